/*
 * Civil dates of the proleptic Gregorian calendar, with no time zone: leap
 * years, month lengths, validity, and the day number of a date (days since
 * 1970-01-01) both ways. Exact for every year, no tables beyond month
 * lengths; the one copy every part of the project uses (decoders, the
 * standards, the report, the simulator).
 */
#ifndef BASE_CIVIL_H
#define BASE_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

bool civil_is_leap(int64_t y);

/* Days in month @m (1..12) of year @y; 0 for a month out of range. */
int civil_month_days(int64_t y, int m);

/* True when @y-@m-@d is a date (year >= 1). */
bool civil_date_valid(int64_t y, int m, int d);

/* Days since 1970-01-01 of the date (negative before). */
int64_t civil_to_days(int64_t y, int m, int d);

/* The date of day number @days (days since 1970-01-01). */
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
