/*
 * GB 3096-2008 environmental noise: LAeq limits in dB(A) by functional zone and period, the
 * day/night split, energy averaging of LAeq values and the night-time Lmax rule (standards
 * README §5 [S]).
 *
 * The day/night boundary is a parameter because local government may set other hours; the
 * defaults are 06:00 and 22:00. Pure functions: no allocation, no clock (the caller passes
 * the local time of day), safe from any thread.
 */
#ifndef GB3096_H
#define GB3096_H

#include <stddef.h>

#include "col_err.h"

enum gb3096_zone {
    GB3096_ZONE_0,  /* convalescence areas needing special quiet */
    GB3096_ZONE_1,  /* mainly residential, medical, education, research, administrative */
    GB3096_ZONE_2,  /* commercial, markets, mixed residential/commercial/industrial */
    GB3096_ZONE_3,  /* industrial production, warehousing and logistics */
    GB3096_ZONE_4A, /* either side of expressways, arterial roads, surface rail, waterways */
    GB3096_ZONE_4B, /* either side of railway trunk lines (new lines, EIA from 2011-01-01) */
    GB3096_N_ZONES
};

enum gb3096_period {
    GB3096_DAY,   /* 昼间 */
    GB3096_NIGHT, /* 夜间 */
};

/* README §5: day is 06:00-22:00, night 22:00-06:00 (minutes after local midnight). */
#define GB3096_DAY_START_MIN (6 * 60)
#define GB3096_NIGHT_START_MIN (22 * 60)
/* README §5: night-time sudden noise may exceed the zone's night limit by at most 15 dB(A). */
#define GB3096_NIGHT_LMAX_MARGIN_DB 15.0

/*
 * The LAeq limit in dB(A) for @zone in @period (README §5 table). Along existing railway
 * trunk lines crossing urban areas the background limit is 70 / 55, i.e. use 4a's values.
 * Returns 0 and sets *out, or COL_ERR_INVAL for unknown enums or NULL @out.
 */
int gb3096_limit(enum gb3096_zone zone, enum gb3096_period period, double *out);

/*
 * The zone named @s: "0", "1", "2", "3", "4a", "4b" (case-insensitive "4A"/"4B" accepted).
 * Returns 0 and sets *out, COL_ERR_NOTFOUND for another name, COL_ERR_INVAL for NULL.
 */
int gb3096_zone_parse(const char *s, enum gb3096_zone *out);

/* "0", "1", "2", "3", "4a", "4b"; "?" if unknown. */
const char *gb3096_zone_name(enum gb3096_zone zone);

/*
 * The period of local time @minute_of_day (0..1439): day when
 * @day_start <= minute < @night_start, else night. Pass GB3096_DAY_START_MIN and
 * GB3096_NIGHT_START_MIN for the defaults. An interval is classed by its start minute.
 * Returns 0 and sets *out; COL_ERR_INVAL when a minute is outside 0..1439, day_start >=
 * night_start or @out is NULL.
 */
int gb3096_period_at(int minute_of_day, int day_start, int night_start, enum gb3096_period *out);

/*
 * Energy mean of @n LAeq values of equal duration: 10 * log10(mean(10^(L/10))) in dB(A)
 * (e.g. hourly LAeq into Ld or Ln). Computed relative to the largest value so that it
 * neither overflows nor loses the quiet values.
 * Returns 0 and sets *out; COL_ERR_INVAL for NULL pointers, n == 0 or a NaN/infinite value.
 */
int gb3096_energy_mean(const double *laeq, size_t n, double *out);

/*
 * By how much @laeq exceeds the limit of @zone in @period: *over_db = laeq - limit. The
 * limit is met when *over_db <= 0 (values equal to the limit comply).
 * Returns 0, or COL_ERR_INVAL for unknown enums, a non-finite @laeq or NULL @over_db.
 */
int gb3096_exceedance(enum gb3096_zone zone, enum gb3096_period period, double laeq,
                      double *over_db);

/*
 * Night-time sudden noise (README §5): *over_db = lmax - (night limit + 15 dB). The rule is
 * met when *over_db <= 0. Returns as gb3096_exceedance().
 */
int gb3096_night_lmax_exceedance(enum gb3096_zone zone, double lmax, double *over_db);

#endif
