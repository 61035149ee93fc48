/*
 * Backoff with equal jitter (see backoff.h).
 */
#include "backoff.h"
#include "clock.h"

#include <stdlib.h>
#include <unistd.h>

void backoff_seed(struct backoff *b)
{
    b->rand_state = (unsigned)(wall_ms() ^ ((int64_t)getpid() << 16) ^ (intptr_t)b);
}

int64_t backoff_delay(struct backoff *b, int64_t n_failures)
{
    int64_t d = b->min_ms > 0 ? b->min_ms : 1;

    for (int64_t i = 1; i < n_failures && d < b->max_ms; i++)
        d *= 2;
    if (d > b->max_ms)
        d = b->max_ms;
    return d / 2 + (int64_t)(rand_r(&b->rand_state) % (unsigned)(d / 2 + 1));
}
