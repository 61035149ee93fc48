/*
 * GB 3095 ambient air quality standard: concentration limits by pollutant, averaging period
 * and grade for each edition, and the Table 4 minimum data validity.
 *
 * Three limit sets are kept side by side and chosen by date (standards README decision 1):
 * GB 3095-2012 (with its 2018 amendment) before 2026-03-01, GB 3095-2026 transition limits
 * 2026-03-01 .. 2030-12-31 and GB 3095-2026 final limits from 2031-01-01. Pure functions over
 * constant tables: no allocation, no clock (the caller passes the time), safe from any thread.
 */
#ifndef GB3095_H
#define GB3095_H

#include <stdint.h>

#include "col_err.h"

enum gb3095_edition {
    GB3095_2012,            /* GB 3095-2012, README §3a [S] */
    GB3095_2026_TRANSITION, /* GB 3095-2026 transition limits, README §3b [P] */
    GB3095_2026_FINAL,      /* GB 3095-2026 final limits, README §3b [P] */
};

/* Basic items (Table 1) then other items (Table 2). Units: µg/m³, CO in mg/m³. */
enum gb3095_pollutant {
    GB3095_SO2,
    GB3095_NO2,
    GB3095_CO,
    GB3095_O3,
    GB3095_PM10,
    GB3095_PM25,
    GB3095_TSP,
    GB3095_NOX,
    GB3095_PB,
    GB3095_BAP,
    GB3095_N_POLLUTANTS
};

enum gb3095_period {
    GB3095_1H,      /* 1-hour mean */
    GB3095_8H,      /* O3 daily maximum 8-hour mean (the 8-h limit) */
    GB3095_24H,     /* daily (24-hour) mean */
    GB3095_QUARTER, /* quarterly mean (Pb only) */
    GB3095_ANNUAL,  /* annual mean */
    GB3095_N_PERIODS
};

enum gb3095_grade {
    GB3095_GRADE_I = 1,  /* Class 1 zones */
    GB3095_GRADE_II = 2, /* Class 2 zones: Xuhui is urban, README §3a [U] */
};

/*
 * The limit set in force at @utc_ms (epoch milliseconds, UTC). The switches are local
 * midnights in Asia/Shanghai (UTC+8, no DST), the time zone the standards are published for:
 * 2026-03-01 00:00 +08:00 = 1772294400000 ms and 2031-01-01 00:00 +08:00 = 1924963200000 ms.
 * A value stamped at or after a switch uses the newer set. Never fails.
 */
enum gb3095_edition gb3095_edition_for(int64_t utc_ms);

/*
 * The limit set for the natural (local) day @year-@month-@day, for daily and longer values.
 * Returns 0 and sets *out, or COL_ERR_INVAL for an impossible date or NULL @out.
 */
int gb3095_edition_for_day(int year, int month, int day, enum gb3095_edition *out);

/* "GB 3095-2012", "GB 3095-2026 (transition)", "GB 3095-2026 (final)"; never NULL. */
const char *gb3095_edition_name(enum gb3095_edition ed);

/*
 * The limit for @p averaged over @period at @grade in @ed (README §3a Tables 1-2, §3b Tables
 * 1-2), in µg/m³ (CO mg/m³). Pb and BaP have one value for both grades.
 * Returns 0 and sets *out; COL_ERR_NOTFOUND when the edition sets no limit for that pollutant
 * and period (e.g. CO annual); COL_ERR_INVAL for out-of-range enums or NULL @out.
 */
int gb3095_limit(enum gb3095_edition ed, enum gb3095_pollutant p, enum gb3095_period period,
                 enum gb3095_grade grade, double *out);

/*
 * Table 4 minimum data validity (README §3b [P]; identical in substance for 2012, §3a [S]).
 * Each returns 0 when the statistic is valid, COL_ERR_RANGE when it has too few data,
 * COL_ERR_NOTFOUND when Table 4 sets no minimum for that pollutant and period, and
 * COL_ERR_INVAL for bad arguments (negative counts, unknown pollutant, NULL array).
 */

/* 1-h mean: >= 45 minutes of sampling in the hour (SO2, NO2, CO, O3, NOx). */
int gb3095_check_hourly(enum gb3095_pollutant p, int n_minutes);

/* 8-h mean: >= 6 hourly means in the 8 hours (O3). */
int gb3095_check_8h(enum gb3095_pollutant p, int n_hours);

/*
 * Daily mean: >= 20 hourly means (SO2, NO2, CO, PM10, PM2.5, NOx); 24 h of sampling (TSP,
 * BaP, Pb), @n_hours being hours of sampling.
 */
int gb3095_check_daily(enum gb3095_pollutant p, int n_hours);

/*
 * Quarterly mean (Pb): >= 15 daily means in the quarter and >= 5 in each of its months;
 * @n_days_by_month[0..2] are the quarter's months. "Evenly spread" is not checked.
 */
int gb3095_check_quarterly(enum gb3095_pollutant p, const int n_days_by_month[3]);

/*
 * Annual mean: @n_days_by_month[0..11] = valid daily means of January..December.
 * SO2, NO2, PM10, PM2.5, NOx: >= 324 per year and >= 27 per month, February >= 25.
 * TSP, BaP, Pb: >= 60 per year and >= 5 per month ("evenly spread" is not checked).
 */
int gb3095_check_annual(enum gb3095_pollutant p, const int n_days_by_month[12]);

#endif
