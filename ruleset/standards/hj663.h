/*
 * HJ 663 ambient-air evaluation statistics: the percentile formula, GB/T 8170 rounding of
 * statistics, means that need a minimum count of valid values, the O3 daily maximum 8-hour
 * mean, the good-day ratio, exceedance multiple and attainment rate.
 *
 * Pure functions over arrays the caller owns: no allocation, no clock, no global state, safe
 * from any thread. HJ 663-2013 itself was not obtained (standards README §0.4, §2), so every
 * rule here is the one README §2 lists, with its status, plus the binding decisions 3 and 5.
 */
#ifndef HJ663_H
#define HJ663_H

#include <stdbool.h>
#include <stddef.h>

#include "col_err.h"

/* The six basic evaluation items (README §2, "Basic evaluation items"). */
enum hj663_item { HJ663_SO2, HJ663_NO2, HJ663_PM10, HJ663_PM25, HJ663_CO, HJ663_O3, HJ663_N_ITEMS };

/* README decision 5 / §2: an 8-hour mean needs >= 6 valid hours (GB 3095-2026 Table 4 [P]). */
#define HJ663_MIN_HOURS_PER_8H 6
/* README decision 5: the "14 valid windows" MDA8 day rule [U], a setting that defaults on. */
#define HJ663_MDA8_MIN_WINDOWS 14
/* README §2 row "O3 daily max 8-h": windows end at 08:00 ... 24:00, i.e. 17 windows. */
#define HJ663_MDA8_N_WINDOWS 17

/*
 * Round @v to @decimals places (0..6) per GB/T 8170: round half to even on the decimal value
 * (README §2 "Rounding of statistics" [U] for HJ 663; HJ 633-2026 §4.2.2 [P] uses it for AQI
 * inputs: integers for µg/m³, one decimal for CO in mg/m³). @v is first read on a 1e-6 grid,
 * so 0.45 counts as exactly 0.45 (-> 0.4) despite its binary form.
 * Returns 0 and sets *out; COL_ERR_INVAL for a NaN/infinite @v, NULL @out or @decimals out of
 * 0..6; COL_ERR_RANGE when |@v| > 1e9 (beyond any environmental quantity).
 */
int hj663_round(double v, int decimals, double *out);

/*
 * The HJ 663 percentile (README §2 "Percentile method" [S]) of @n values @sorted ascending:
 * k = 1 + (n - 1) * p / 100, s = integer part of k,
 * m_p = X(s) + (X(s+1) - X(s)) * (k - s), with X(n+1) taken as X(n) when k = n.
 * Equals numpy "linear" / Excel PERCENTILE.INC. The result is not rounded: round it with
 * hj663_round() for publication. @p is in percent, 0..100.
 * Returns 0 and sets *out; COL_ERR_INVAL for NULL pointers, n == 0, a non-finite value or an
 * array that is not sorted ascending; COL_ERR_RANGE for @p outside 0..100.
 */
int hj663_percentile(const double *sorted, size_t n, double p, double *out);

/*
 * The percentile used for the annual evaluation of @item (README §2 "Annual evaluation" [S]):
 * 98 for SO2 and NO2 (24-h), 95 for PM10, PM2.5 and CO (24-h), 90 for O3 (MDA8).
 * Returns that percent, or COL_ERR_INVAL for an unknown item.
 */
int hj663_annual_percentile(enum hj663_item item);

/*
 * Whether a calendar year of daily values of @item supports the annual evaluation (annual mean
 * and percentile): @n_days_by_month[0..11] holds the number of valid daily values of each
 * month. Applies GB 3095 Table 4's annual minimum (>= 324 per year, >= 27 per month, February
 * >= 25; README §3b [P]) via gb3095_check_annual(). Table 4 has no annual row for CO or O3;
 * for them the same minimum is applied to the daily values (CO 24-h, O3 MDA8) as a documented
 * assumption ([U]: HJ 663-2013 not obtained).
 * Returns 0 when valid, COL_ERR_RANGE when too few days, COL_ERR_INVAL for bad arguments.
 */
int hj663_check_annual(enum hj663_item item, const int n_days_by_month[12]);

/*
 * Arithmetic mean of the values of @v[0..n-1] that are valid: @valid[i] true (or @valid NULL)
 * and v[i] finite. Used for 24-h means (>= 20 hours) and 8-h means (>= 6 hours), GB 3095
 * Table 4. Writes the count of valid values to *n_valid when @n_valid is not NULL.
 * Returns 0 and sets *out when at least @min_valid (>= 1) values are valid; COL_ERR_RANGE when
 * fewer (*out untouched); COL_ERR_INVAL for NULL @v/@out or @min_valid == 0.
 */
int hj663_mean(const double *v, const bool *valid, size_t n, size_t min_valid, double *out,
               size_t *n_valid);

/* The O3 daily maximum 8-hour mean of one natural day. */
struct hj663_mda8 {
    double value;     /* the largest valid 8-h mean, µg/m³, not rounded */
    int end_hour;     /* local hour (8..24) at which that window ends */
    int n_windows;    /* windows with >= 6 valid hours, 0..17 */
    bool is_valid;    /* counts as the day's value (see hj663_o3_mda8) */
    bool is_by_limit; /* valid only because value > keep_above despite too few windows */
};

/*
 * O3 daily maximum 8-hour mean (README decision 5, §2): @hourly[0..23] are the day's hourly
 * means, hourly[h] covering local h:00-(h+1):00, with @valid[h] (NULL = all valid; non-finite
 * values are invalid). The 17 windows end at 08:00 ... 24:00 (window ending e covers hours
 * e-8 .. e-1); each needs >= 6 valid hours and is the mean of its valid hours.
 * The day's value is valid when n_windows >= @min_windows (HJ663_MDA8_MIN_WINDOWS by default
 * [U]; 0 turns the rule off) or, failing that, when the value exceeds @keep_above (README §2
 * "MDA8 daily validity" [U]: an under-covered day still counts when over the limit; pass a
 * negative @keep_above to disable, 160 for the Grade II limit).
 * Returns 0 and fills *out when at least one window exists; COL_ERR_NOTFOUND when none has
 * 6 valid hours; COL_ERR_INVAL for NULL @hourly/@out or @min_windows outside 0..17.
 */
int hj663_o3_mda8(const double *hourly, const bool *valid, int min_windows, double keep_above,
                  struct hj663_mda8 *out);

/* Counts behind the good-day ratio. */
struct hj663_days {
    size_t n_valid;   /* days with a valid daily AQI */
    size_t n_good;    /* of which daily AQI <= 100 (优 or 良) */
    double ratio_pct; /* n_good / n_valid * 100, not rounded */
};

/* True when a valid daily AQI counts as a good day: 0 <= aqi <= 100 (README decision 3). */
bool hj663_is_good_day(int aqi);

/*
 * Good-day ratio 优良天数比例 (README decision 3, §2 [S]): days with daily AQI <= 100 over days
 * with a valid daily AQI, in percent. @daily_aqi[i] < 0 marks a day without a valid AQI. No
 * dust-day exclusion. Each AQI must come from the HJ 633 edition in force on its day.
 * Returns 0 and fills *out; COL_ERR_NOTFOUND when no day is valid (counts still filled, ratio
 * 0); COL_ERR_INVAL for NULL @out or NULL @daily_aqi with n > 0.
 */
int hj663_good_day_ratio(const int *daily_aqi, size_t n, struct hj663_days *out);

/*
 * 超标倍数 exceedance multiple (C - S) / S (README §2 [S]); negative when under the limit.
 * Returns 0 and sets *out; COL_ERR_INVAL when a value is not finite, @limit <= 0 or @out NULL.
 */
int hj663_exceedance_multiple(double conc, double limit, double *out);

/*
 * 达标率 attainment rate: @n_attaining / @n_valid * 100 (README §2 [S]).
 * Returns 0 and sets *out_pct; COL_ERR_NOTFOUND when n_valid == 0; COL_ERR_INVAL when
 * n_attaining > n_valid or @out_pct is NULL.
 */
int hj663_attainment_rate(size_t n_attaining, size_t n_valid, double *out_pct);

#endif
