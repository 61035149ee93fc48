/*
 * HJ 663 evaluation statistics (standards README §2, decisions 3 and 5).
 *
 * Each function is a small, separate rule over caller-owned arrays. Rounding works on an
 * integer grid of 1e-6 so that GB/T 8170's "exactly half" case is decided on the decimal value
 * the instrument reported, not on its binary approximation. Validity minima come from
 * GB 3095 Table 4 through gb3095.h, so the numbers live in one place.
 */
#include <math.h>
#include <stdint.h>

#include "col_err.h"
#include "gb3095.h"
#include "hj663.h"

/* Rounding grid: 1e-6 of the unit, i.e. up to 6 decimals (README §1.3's exact-arithmetic advice).
 */
#define GRID_DECIMALS 6
#define GRID 1000000LL
/* Largest |v| rounded; 1e9 * 1e6 stays far inside int64. */
#define ROUND_MAX 1e9

int hj663_round(double v, int decimals, double *out)
{
    long long q, step = 1, r, rem;
    int i;
    bool is_neg;

    if (!out || !isfinite(v) || decimals < 0 || decimals > GRID_DECIMALS)
        return COL_ERR_INVAL;
    if (fabs(v) > ROUND_MAX)
        return COL_ERR_RANGE;
    for (i = decimals; i < GRID_DECIMALS; i++)
        step *= 10;
    q = llround(v * (double)GRID);
    is_neg = q < 0;
    if (is_neg)
        q = -q;
    r = q / step;
    rem = q % step;
    /* GB/T 8170: above half rounds up; exactly half rounds to the even neighbour. */
    if (rem * 2 > step || (rem * 2 == step && (r % 2) == 1))
        r++;
    r *= step;
    *out = (double)(is_neg ? -r : r) / (double)GRID;
    return 0;
}

int hj663_percentile(const double *sorted, size_t n, double p, double *out)
{
    double pos, frac;
    size_t i, s;

    if (!sorted || !out || n == 0 || isnan(p))
        return COL_ERR_INVAL;
    for (i = 0; i < n; i++) {
        if (!isfinite(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1]))
            return COL_ERR_INVAL;
    }
    if (p < 0 || p > 100)
        return COL_ERR_RANGE;
    /*
     * README §2: k = 1 + (n - 1) * p%; here pos = k - 1 (0-based). (n - 1) * p is exact for
     * integer p, so the only rounding is the one division.
     */
    pos = (double)(n - 1) * p / 100.0;
    s = (size_t)floor(pos);
    if (s >= n - 1) {
        *out = sorted[n - 1];
        return 0;
    }
    frac = pos - (double)s;
    *out = sorted[s] + (sorted[s + 1] - sorted[s]) * frac;
    return 0;
}

/* README §2 "Annual evaluation" [S]: P98 for SO2/NO2, P95 for PM10/PM2.5/CO, P90 for O3. */
int hj663_annual_percentile(enum hj663_item item)
{
    switch (item) {
    case HJ663_SO2:
    case HJ663_NO2:
        return 98;
    case HJ663_PM10:
    case HJ663_PM25:
    case HJ663_CO:
        return 95;
    case HJ663_O3:
        return 90;
    default:
        return COL_ERR_INVAL;
    }
}

int hj663_check_annual(enum hj663_item item, const int n_days_by_month[12])
{
    static const enum gb3095_pollutant row[HJ663_N_ITEMS] = {
        [HJ663_SO2] = GB3095_SO2,
        [HJ663_NO2] = GB3095_NO2,
        [HJ663_PM10] = GB3095_PM10,
        [HJ663_PM25] = GB3095_PM25,
        /*
         * GB 3095 Table 4 has no annual row for CO or O3; apply the SO2/NO2/PM row
         * (324 days, 27 a month, February 25) to their daily values. README §2 [U].
         */
        [HJ663_CO] = GB3095_SO2,
        [HJ663_O3] = GB3095_SO2,
    };

    if ((unsigned)item >= HJ663_N_ITEMS || !n_days_by_month)
        return COL_ERR_INVAL;
    return gb3095_check_annual(row[item], n_days_by_month);
}

int hj663_mean(const double *v, const bool *valid, size_t n, size_t min_valid, double *out,
               size_t *n_valid)
{
    double sum = 0;
    size_t i, k = 0;

    if (!v || !out || min_valid == 0)
        return COL_ERR_INVAL;
    for (i = 0; i < n; i++) {
        if ((!valid || valid[i]) && isfinite(v[i])) {
            sum += v[i];
            k++;
        }
    }
    if (n_valid)
        *n_valid = k;
    if (k < min_valid)
        return COL_ERR_RANGE;
    *out = sum / (double)k;
    return 0;
}

#define HOURS_PER_DAY 24
#define HOURS_PER_WINDOW 8
/* The first window ends at 08:00 (README §2 "O3 daily max 8-h", decision 5). */
#define FIRST_WINDOW_END 8

int hj663_o3_mda8(const double *hourly, const bool *valid, int min_windows, double keep_above,
                  struct hj663_mda8 *out)
{
    int end, h;

    if (!hourly || !out || min_windows < 0 || min_windows > HJ663_MDA8_N_WINDOWS ||
        isnan(keep_above))
        return COL_ERR_INVAL;
    out->value = 0;
    out->end_hour = -1;
    out->n_windows = 0;
    out->is_valid = false;
    out->is_by_limit = false;

    for (end = FIRST_WINDOW_END; end <= HOURS_PER_DAY; end++) {
        double sum = 0, mean;
        int k = 0;

        for (h = end - HOURS_PER_WINDOW; h < end; h++) {
            if ((!valid || valid[h]) && isfinite(hourly[h])) {
                sum += hourly[h];
                k++;
            }
        }
        if (k < HJ663_MIN_HOURS_PER_8H)
            continue;
        mean = sum / k;
        if (out->n_windows == 0 || mean > out->value) {
            out->value = mean;
            out->end_hour = end;
        }
        out->n_windows++;
    }
    if (out->n_windows == 0)
        return COL_ERR_NOTFOUND;
    if (out->n_windows >= min_windows) {
        out->is_valid = true;
    } else if (keep_above >= 0 && out->value > keep_above) {
        out->is_valid = true;
        out->is_by_limit = true;
    }
    return 0;
}

/* README decision 3: a good day (优 or 良) has a daily AQI of at most 100. */
#define GOOD_DAY_MAX_AQI 100

bool hj663_is_good_day(int aqi)
{
    return aqi >= 0 && aqi <= GOOD_DAY_MAX_AQI;
}

int hj663_good_day_ratio(const int *daily_aqi, size_t n, struct hj663_days *out)
{
    size_t i;

    if (!out || (!daily_aqi && n > 0))
        return COL_ERR_INVAL;
    out->n_valid = 0;
    out->n_good = 0;
    out->ratio_pct = 0;
    for (i = 0; i < n; i++) {
        if (daily_aqi[i] < 0)
            continue;
        out->n_valid++;
        if (hj663_is_good_day(daily_aqi[i]))
            out->n_good++;
    }
    if (out->n_valid == 0)
        return COL_ERR_NOTFOUND;
    out->ratio_pct = 100.0 * (double)out->n_good / (double)out->n_valid;
    return 0;
}

int hj663_exceedance_multiple(double conc, double limit, double *out)
{
    if (!out || !isfinite(conc) || !isfinite(limit) || limit <= 0)
        return COL_ERR_INVAL;
    *out = (conc - limit) / limit;
    return 0;
}

int hj663_attainment_rate(size_t n_attaining, size_t n_valid, double *out_pct)
{
    if (!out_pct || n_attaining > n_valid)
        return COL_ERR_INVAL;
    if (n_valid == 0)
        return COL_ERR_NOTFOUND;
    *out_pct = 100.0 * (double)n_attaining / (double)n_valid;
    return 0;
}
