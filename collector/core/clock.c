/*
 * Clocks and interruptible sleep (see clock.h).
 */
#include "clock.h"

#include <time.h>

int64_t mono_ms(void)
{
    return mono_us() / 1000;
}

int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_nap(int64_t ms, int64_t step_ms, bool (*wake)(void *ud), void *ud)
{
    int64_t until = mono_ms() + ms;

    if (step_ms <= 0)
        step_ms = 50;
    for (;;) {
        int64_t left = until - mono_ms();
        struct timespec ts;

        if (left <= 0 || (wake && wake(ud)))
            return;
        if (left > step_ms)
            left = step_ms;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
}
