/*
 * GB 3095 limits and data validity (standards README §3a, §3b, decision 1).
 *
 * One constant table per limit set, indexed [pollutant][period][grade]; a value of 0 means
 * "no limit" since every real limit is positive. The validity rules of Table 4 are the same
 * in both editions (README §3a, last paragraph), so they are written once as small checks.
 */
#include <stdbool.h>
#include <stddef.h>

#include "col_err.h"
#include "gb3095.h"
#include "civil.h"

#define N_GRADES 2
#define N_EDITIONS 3

/* [edition][pollutant][period][grade - 1], µg/m³ (CO mg/m³); 0 = not defined. */
static const double limits[N_EDITIONS][GB3095_N_POLLUTANTS][GB3095_N_PERIODS][N_GRADES] =
    {
        /* GB 3095-2012 Tables 1 and 2, README §3a [S]. */
        [GB3095_2012] =
            {
                [GB3095_SO2] = {[GB3095_ANNUAL] = {20, 60},
                                [GB3095_24H] = {50, 150},
                                [GB3095_1H] = {150, 500}},
                [GB3095_NO2] =
                    {[GB3095_ANNUAL] = {40, 40}, [GB3095_24H] = {80, 80}, [GB3095_1H] = {200, 200}},
                [GB3095_CO] = {[GB3095_24H] = {4, 4}, [GB3095_1H] = {10, 10}},
                [GB3095_O3] = {[GB3095_8H] = {100, 160}, [GB3095_1H] = {160, 200}},
                [GB3095_PM10] = {[GB3095_ANNUAL] = {40, 70}, [GB3095_24H] = {50, 150}},
                [GB3095_PM25] = {[GB3095_ANNUAL] = {15, 35}, [GB3095_24H] = {35, 75}},
                [GB3095_TSP] = {[GB3095_ANNUAL] = {80, 200}, [GB3095_24H] = {120, 300}},
                [GB3095_NOX] = {[GB3095_ANNUAL] = {50, 50},
                                [GB3095_24H] = {100, 100},
                                [GB3095_1H] = {250, 250}},
                [GB3095_PB] = {[GB3095_ANNUAL] = {0.5, 0.5}, [GB3095_QUARTER] = {1, 1}},
                [GB3095_BAP] = {[GB3095_ANNUAL] = {0.001, 0.001}, [GB3095_24H] = {0.0025, 0.0025}},
            },
        /* GB 3095-2026 Tables 1 and 2, transition columns, README §3b [P]. */
        [GB3095_2026_TRANSITION] =
            {
                [GB3095_SO2] = {[GB3095_ANNUAL] = {20, 60},
                                [GB3095_24H] = {50, 150},
                                [GB3095_1H] = {150, 500}},
                [GB3095_NO2] =
                    {[GB3095_ANNUAL] = {40, 40}, [GB3095_24H] = {80, 80}, [GB3095_1H] = {200, 200}},
                [GB3095_CO] = {[GB3095_24H] = {4, 4}, [GB3095_1H] = {10, 10}},
                [GB3095_O3] = {[GB3095_8H] = {100, 160}, [GB3095_1H] = {160, 200}},
                [GB3095_PM10] = {[GB3095_ANNUAL] = {40, 60}, [GB3095_24H] = {50, 120}},
                [GB3095_PM25] = {[GB3095_ANNUAL] = {15, 30}, [GB3095_24H] = {35, 60}},
                [GB3095_TSP] = {[GB3095_ANNUAL] = {80, 200}, [GB3095_24H] = {120, 300}},
                [GB3095_NOX] = {[GB3095_ANNUAL] = {50, 50},
                                [GB3095_24H] = {100, 100},
                                [GB3095_1H] = {250, 250}},
                [GB3095_PB] = {[GB3095_ANNUAL] = {0.5, 0.5}, [GB3095_QUARTER] = {1.0, 1.0}},
                [GB3095_BAP] = {[GB3095_ANNUAL] = {0.001, 0.001}, [GB3095_24H] = {0.0025, 0.0025}},
            },
        /* GB 3095-2026 Tables 1 and 2, final columns, README §3b [P]. */
        [GB3095_2026_FINAL] =
            {
                [GB3095_SO2] =
                    {[GB3095_ANNUAL] = {20, 20}, [GB3095_24H] = {50, 50}, [GB3095_1H] = {150, 150}},
                [GB3095_NO2] =
                    {[GB3095_ANNUAL] = {30, 30}, [GB3095_24H] = {50, 50}, [GB3095_1H] = {200, 200}},
                [GB3095_CO] = {[GB3095_24H] = {4, 4}, [GB3095_1H] = {10, 10}},
                [GB3095_O3] = {[GB3095_8H] = {100, 160}, [GB3095_1H] = {160, 200}},
                [GB3095_PM10] = {[GB3095_ANNUAL] = {20, 50}, [GB3095_24H] = {50, 100}},
                [GB3095_PM25] = {[GB3095_ANNUAL] = {10, 25}, [GB3095_24H] = {25, 50}},
                [GB3095_TSP] = {[GB3095_ANNUAL] = {80, 200}, [GB3095_24H] = {120, 300}},
                [GB3095_NOX] =
                    {[GB3095_ANNUAL] = {40, 40}, [GB3095_24H] = {70, 70}, [GB3095_1H] = {250, 250}},
                [GB3095_PB] = {[GB3095_ANNUAL] = {0.5, 0.5}, [GB3095_QUARTER] = {1.0, 1.0}},
                [GB3095_BAP] = {[GB3095_ANNUAL] = {0.001, 0.001}, [GB3095_24H] = {0.0025, 0.0025}},
            },
};

/*
 * Switches at local midnight in Asia/Shanghai (UTC+8): GB 3095-2026 from 2026-03-01, its
 * final limits from 2031-01-01 (README §3b, Foreword and §4.4).
 */
#define TRANSITION_FROM_MS 1772294400000LL /* 2026-02-28T16:00:00Z */
#define FINAL_FROM_MS 1924963200000LL      /* 2030-12-31T16:00:00Z */
#define TRANSITION_YEAR 2026
#define TRANSITION_MONTH 3
#define FINAL_YEAR 2031

enum gb3095_edition gb3095_edition_for(int64_t utc_ms)
{
    if (utc_ms >= FINAL_FROM_MS)
        return GB3095_2026_FINAL;
    if (utc_ms >= TRANSITION_FROM_MS)
        return GB3095_2026_TRANSITION;
    return GB3095_2012;
}

int gb3095_edition_for_day(int year, int month, int day, enum gb3095_edition *out)
{
    if (!out || !civil_date_valid(year, month, day))
        return COL_ERR_INVAL;
    /* Both switches fall on the first of a month (2026-03-01, 2031-01-01). */
    if (year >= FINAL_YEAR)
        *out = GB3095_2026_FINAL;
    else if (year > TRANSITION_YEAR || (year == TRANSITION_YEAR && month >= TRANSITION_MONTH))
        *out = GB3095_2026_TRANSITION;
    else
        *out = GB3095_2012;
    return 0;
}

const char *gb3095_edition_name(enum gb3095_edition ed)
{
    switch (ed) {
    case GB3095_2026_TRANSITION:
        return "GB 3095-2026 (transition)";
    case GB3095_2026_FINAL:
        return "GB 3095-2026 (final)";
    default:
        return "GB 3095-2012";
    }
}

int gb3095_limit(enum gb3095_edition ed, enum gb3095_pollutant p, enum gb3095_period period,
                 enum gb3095_grade grade, double *out)
{
    double v;

    if (!out || (unsigned)ed >= N_EDITIONS || (unsigned)p >= GB3095_N_POLLUTANTS ||
        (unsigned)period >= GB3095_N_PERIODS ||
        (grade != GB3095_GRADE_I && grade != GB3095_GRADE_II))
        return COL_ERR_INVAL;
    v = limits[ed][p][period][grade - 1];
    if (v <= 0)
        return COL_ERR_NOTFOUND;
    *out = v;
    return 0;
}

/* GB 3095 Table 4 minima, README §3b [P] (§3a [S] for 2012). */
#define MIN_MINUTES_PER_HOUR 45
#define MIN_HOURS_PER_8H 6
#define MIN_HOURS_PER_DAY 20
#define MIN_SAMPLING_HOURS_PER_DAY 24 /* TSP, BaP, Pb: "24 h of sampling" */
#define MIN_DAYS_PER_YEAR 324
#define MIN_DAYS_PER_MONTH 27
#define MIN_DAYS_PER_FEBRUARY 25
#define MIN_SPARSE_DAYS_PER_YEAR 60 /* TSP, BaP, Pb */
#define MIN_SPARSE_DAYS_PER_MONTH 5 /* TSP, BaP, Pb annual; Pb quarterly */
#define MIN_PB_DAYS_PER_QUARTER 15
#define FEBRUARY 1 /* index in n_days_by_month */

/* Table 4 has a 0 / COL_ERR_RANGE answer once the pollutant has a row. */
static int at_least(int n, int min)
{
    if (n < 0)
        return COL_ERR_INVAL;
    return n >= min ? 0 : COL_ERR_RANGE;
}

static bool is_known(enum gb3095_pollutant p)
{
    return (unsigned)p < GB3095_N_POLLUTANTS;
}

int gb3095_check_hourly(enum gb3095_pollutant p, int n_minutes)
{
    if (!is_known(p))
        return COL_ERR_INVAL;
    switch (p) {
    case GB3095_SO2:
    case GB3095_NO2:
    case GB3095_CO:
    case GB3095_O3:
    case GB3095_NOX:
        return at_least(n_minutes, MIN_MINUTES_PER_HOUR);
    default:
        return COL_ERR_NOTFOUND;
    }
}

int gb3095_check_8h(enum gb3095_pollutant p, int n_hours)
{
    if (!is_known(p))
        return COL_ERR_INVAL;
    if (p != GB3095_O3)
        return COL_ERR_NOTFOUND;
    return at_least(n_hours, MIN_HOURS_PER_8H);
}

int gb3095_check_daily(enum gb3095_pollutant p, int n_hours)
{
    if (!is_known(p))
        return COL_ERR_INVAL;
    switch (p) {
    case GB3095_SO2:
    case GB3095_NO2:
    case GB3095_CO:
    case GB3095_PM10:
    case GB3095_PM25:
    case GB3095_NOX:
        return at_least(n_hours, MIN_HOURS_PER_DAY);
    case GB3095_TSP:
    case GB3095_BAP:
    case GB3095_PB:
        return at_least(n_hours, MIN_SAMPLING_HOURS_PER_DAY);
    default:
        return COL_ERR_NOTFOUND;
    }
}

/* Sum of @n month counts, each at least its minimum; COL_ERR_INVAL for a negative count. */
static int check_months(const int *n_days, int n, int min_month, int min_feb, int min_total)
{
    int i, total = 0, rc = 0;

    for (i = 0; i < n; i++) {
        if (n_days[i] < 0)
            return COL_ERR_INVAL;
        if (n_days[i] < (i == FEBRUARY ? min_feb : min_month))
            rc = COL_ERR_RANGE;
        total += n_days[i];
    }
    if (total < min_total)
        rc = COL_ERR_RANGE;
    return rc;
}

int gb3095_check_quarterly(enum gb3095_pollutant p, const int n_days_by_month[3])
{
    if (!is_known(p) || !n_days_by_month)
        return COL_ERR_INVAL;
    if (p != GB3095_PB)
        return COL_ERR_NOTFOUND;
    /* The February exception belongs to the annual rule only: pass the same minimum twice. */
    return check_months(n_days_by_month, 3, MIN_SPARSE_DAYS_PER_MONTH, MIN_SPARSE_DAYS_PER_MONTH,
                        MIN_PB_DAYS_PER_QUARTER);
}

int gb3095_check_annual(enum gb3095_pollutant p, const int n_days_by_month[12])
{
    if (!is_known(p) || !n_days_by_month)
        return COL_ERR_INVAL;
    switch (p) {
    case GB3095_SO2:
    case GB3095_NO2:
    case GB3095_PM10:
    case GB3095_PM25:
    case GB3095_NOX:
        return check_months(n_days_by_month, 12, MIN_DAYS_PER_MONTH, MIN_DAYS_PER_FEBRUARY,
                            MIN_DAYS_PER_YEAR);
    case GB3095_TSP:
    case GB3095_BAP:
    case GB3095_PB:
        return check_months(n_days_by_month, 12, MIN_SPARSE_DAYS_PER_MONTH,
                            MIN_SPARSE_DAYS_PER_MONTH, MIN_SPARSE_DAYS_PER_YEAR);
    default:
        return COL_ERR_NOTFOUND;
    }
}
