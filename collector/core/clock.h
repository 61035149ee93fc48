/*
 * Clocks and sleeping. Intervals (timeouts, backoff, silence, reminders)
 * are measured on the monotonic clock so that a wall-clock step neither
 * fires nor suppresses them; data time and stored timestamps use the wall
 * clock (UTC). Sleeps are cut into short steps so a stop request or a
 * wake-up condition is seen quickly.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC). */
int64_t mono_ms(void);
/* The same clock in microseconds (for measuring short waits). */
int64_t mono_us(void);
/* Wall clock (UTC) in milliseconds since the epoch. */
int64_t wall_ms(void);

/*
 * Sleep up to @ms milliseconds in steps of @step_ms, returning early as
 * soon as @wake(@ud) returns true (checked before each step; @wake may be
 * NULL). Blocks the calling thread only.
 */
void clock_nap(int64_t ms, int64_t step_ms, bool (*wake)(void *ud), void *ud);

/*
 * The age of an instant the database keeps in wall time (a device's last
 * message, an alert's last notice), measured on the monotonic clock from
 * the moment it was first seen, so that a wall-clock jump neither ages it
 * nor makes it young. One struct per instant watched, zeroed at first.
 */
struct clock_seen {
    bool is_known;
    int64_t wall;       /* the instant, as the database said */
    int64_t version;    /* what else changes with a new event (a message count) */
    int64_t age_at_obs; /* its age when first seen */
    int64_t mono_obs;   /* when it was first seen */
};

/*
 * The age in ms of @wall (with @version) at wall time @wall_now and
 * monotonic time @mono_now, updating @cs. The first sighting of an instant
 * takes its age from the wall clock (clamped at 0; before that the process
 * was not watching), but no more than @max_fresh_ms when the instant is
 * new since the previous look (an event the last look did not see is at
 * most that old; < 0: no limit). After that it ages with the monotonic
 * clock alone. Pure: no clock is read.
 */
int64_t clock_seen_age(struct clock_seen *cs, int64_t wall, int64_t version, int64_t wall_now,
                       int64_t mono_now, int64_t max_fresh_ms);

#endif
