/*
 * GB 3096-2008 noise limits and arithmetic (standards README §5 [S]).
 *
 * A constant limit table, a day/night classifier with the boundary passed in, and energy
 * averaging. Levels are averaged as energies, never arithmetically: 50 and 70 dB(A) average
 * to 67 dB(A), not 60.
 */
#include <math.h>
#include <stdbool.h>
#include <strings.h>

#include "col_err.h"
#include "gb3096.h"

/* README §5 table, dB(A): {day, night}. */
static const double limits[GB3096_N_ZONES][2] = {
    [GB3096_ZONE_0] = {50, 40}, [GB3096_ZONE_1] = {55, 45},  [GB3096_ZONE_2] = {60, 50},
    [GB3096_ZONE_3] = {65, 55}, [GB3096_ZONE_4A] = {70, 55}, [GB3096_ZONE_4B] = {70, 60},
};

static const char *const zone_names[GB3096_N_ZONES] = {
    [GB3096_ZONE_0] = "0", [GB3096_ZONE_1] = "1",   [GB3096_ZONE_2] = "2",
    [GB3096_ZONE_3] = "3", [GB3096_ZONE_4A] = "4a", [GB3096_ZONE_4B] = "4b",
};

#define MINUTES_PER_DAY (24 * 60)

int gb3096_limit(enum gb3096_zone zone, enum gb3096_period period, double *out)
{
    if (!out || (unsigned)zone >= GB3096_N_ZONES ||
        (period != GB3096_DAY && period != GB3096_NIGHT))
        return COL_ERR_INVAL;
    *out = limits[zone][period == GB3096_DAY ? 0 : 1];
    return 0;
}

int gb3096_zone_parse(const char *s, enum gb3096_zone *out)
{
    int i;

    if (!s || !out)
        return COL_ERR_INVAL;
    for (i = 0; i < GB3096_N_ZONES; i++) {
        if (strcasecmp(s, zone_names[i]) == 0) {
            *out = (enum gb3096_zone)i;
            return 0;
        }
    }
    return COL_ERR_NOTFOUND;
}

const char *gb3096_zone_name(enum gb3096_zone zone)
{
    if ((unsigned)zone >= GB3096_N_ZONES)
        return "?";
    return zone_names[zone];
}

static bool is_minute(int m)
{
    return m >= 0 && m < MINUTES_PER_DAY;
}

int gb3096_period_at(int minute_of_day, int day_start, int night_start, enum gb3096_period *out)
{
    if (!out || !is_minute(minute_of_day) || !is_minute(day_start) || !is_minute(night_start) ||
        day_start >= night_start)
        return COL_ERR_INVAL;
    *out = minute_of_day >= day_start && minute_of_day < night_start ? GB3096_DAY : GB3096_NIGHT;
    return 0;
}

int gb3096_energy_mean(const double *laeq, size_t n, double *out)
{
    double top, sum = 0;
    size_t i;

    if (!laeq || !out || n == 0)
        return COL_ERR_INVAL;
    top = laeq[0];
    for (i = 0; i < n; i++) {
        if (!isfinite(laeq[i]))
            return COL_ERR_INVAL;
        if (laeq[i] > top)
            top = laeq[i];
    }
    /* 10 log10(mean 10^(L/10)) = top + 10 log10(mean 10^((L - top)/10)); each term <= 1. */
    for (i = 0; i < n; i++)
        sum += pow(10.0, (laeq[i] - top) / 10.0);
    *out = top + 10.0 * log10(sum / (double)n);
    return 0;
}

int gb3096_exceedance(enum gb3096_zone zone, enum gb3096_period period, double laeq,
                      double *over_db)
{
    double limit;
    int rc;

    if (!over_db || !isfinite(laeq))
        return COL_ERR_INVAL;
    rc = gb3096_limit(zone, period, &limit);
    if (rc)
        return rc;
    *over_db = laeq - limit;
    return 0;
}

int gb3096_night_lmax_exceedance(enum gb3096_zone zone, double lmax, double *over_db)
{
    int rc;

    rc = gb3096_exceedance(zone, GB3096_NIGHT, lmax, over_db);
    if (rc)
        return rc;
    *over_db -= GB3096_NIGHT_LMAX_MARGIN_DB;
    return 0;
}
