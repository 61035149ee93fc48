/*
 * Exponential backoff with "equal jitter" for every retry loop (broker
 * reconnects, alert delivery, uploads): the n-th consecutive failure waits
 * between d/2 and d, where d = min * 2^(n-1) capped at max. Half fixed,
 * half random, so that a district's gateways do not retry in lockstep
 * after a shared outage, yet never retry much sooner than planned.
 */
#ifndef CORE_BACKOFF_H
#define CORE_BACKOFF_H

#include <stdint.h>

struct backoff {
    int64_t min_ms;
    int64_t max_ms;
    unsigned int rand_state; /* per-user state for rand_r(); seed with backoff_seed() */
};

/* Seed @b's random state from the clock and process id. */
void backoff_seed(struct backoff *b);

/* Delay in ms before the next attempt after @n_failures consecutive failures (>= 1). */
int64_t backoff_delay(struct backoff *b, int64_t n_failures);

#endif
