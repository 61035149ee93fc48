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

#endif
