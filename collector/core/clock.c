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

int64_t clock_seen_age(struct clock_seen *cs, int64_t wall, int64_t version, int64_t wall_now,
                       int64_t mono_now, int64_t max_fresh_ms)
{
    if (!cs->is_known || cs->wall != wall || cs->version != version) {
        int64_t age = wall_now - wall;
        bool is_new = cs->is_known;

        if (age < 0)
            age = 0;
        if (is_new && max_fresh_ms >= 0 && age > max_fresh_ms)
            age = max_fresh_ms;
        *cs = (struct clock_seen){true, wall, version, age, mono_now};
    }
    return cs->age_at_obs + (mono_now - cs->mono_obs);
}
