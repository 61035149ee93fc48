/*
 * HJ 633 IAQI and AQI, both editions (standards README §1 and §1b).
 *
 * The breakpoint tables are constants indexed by edition and column; everything else is
 * arithmetic. Concentrations are moved onto an integer grid of 1e-6 of their unit before
 * eq. (1) so that the §1.3 round-up is exact: 60.000000001 from float noise must not become
 * 61. The daily and real-time sets differ only in which indicators they read, so both AQI
 * functions share one routine driven by a per-edition list of indicators.
 */
#include <math.h>
#include <stddef.h>

#include "col_err.h"
#include "hj633.h"
#include "hj663.h"
#include "civil.h"

/* Grid of the integer arithmetic: 1e-6 µg/m³ (or mg/m³ for CO) per step (README §1.3). */
#define MICRO 1000000LL
/* Above this every column is beyond its top (max breakpoint 3840, README §1.1); skip the grid. */
#define CONC_HUGE 1e7

/* IAQI of the rows of Table 1 (README §1.1) and of HJ 633-2026 Table 3 (README §1b). */
#define N_ROWS 8
static const int iaqi_row[N_ROWS] = {0, 50, 100, 150, 200, 300, 400, 500};

enum column {
    BPC_SO2_24H,
    BPC_SO2_1H,
    BPC_NO2_24H,
    BPC_NO2_1H,
    BPC_PM10_24H,
    BPC_CO_24H,
    BPC_CO_1H,
    BPC_O3_1H,
    BPC_O3_8H,
    BPC_PM25_24H,
    N_COLUMNS
};

/*
 * Breakpoints per column in table units (µg/m³, CO mg/m³); -1 = not defined (notes ②③,
 * footnotes ᵇᶜ). HJ 633-2012 Table 1, README §1.1 and hj633_iaqi.csv [P].
 */
static const int bp_2012[N_COLUMNS][N_ROWS] = {
    [BPC_SO2_24H] = {0, 50, 150, 475, 800, 1600, 2100, 2620},
    [BPC_SO2_1H] = {0, 150, 500, 650, 800, -1, -1, -1},
    [BPC_NO2_24H] = {0, 40, 80, 180, 280, 565, 750, 940},
    [BPC_NO2_1H] = {0, 100, 200, 700, 1200, 2340, 3090, 3840},
    [BPC_PM10_24H] = {0, 50, 150, 250, 350, 420, 500, 600},
    [BPC_CO_24H] = {0, 2, 4, 14, 24, 36, 48, 60},
    [BPC_CO_1H] = {0, 5, 10, 35, 60, 90, 120, 150},
    [BPC_O3_1H] = {0, 160, 200, 300, 400, 800, 1000, 1200},
    [BPC_O3_8H] = {0, 100, 160, 215, 265, 800, -1, -1},
    [BPC_PM25_24H] = {0, 35, 75, 115, 150, 250, 350, 500},
};

/*
 * HJ 633-2026 Table 3, README §1b [P]: as 2012 except the IAQI-100 breakpoints of PM10 (120)
 * and PM2.5 (60).
 */
static const int bp_2026[N_COLUMNS][N_ROWS] = {
    [BPC_SO2_24H] = {0, 50, 150, 475, 800, 1600, 2100, 2620},
    [BPC_SO2_1H] = {0, 150, 500, 650, 800, -1, -1, -1},
    [BPC_NO2_24H] = {0, 40, 80, 180, 280, 565, 750, 940},
    [BPC_NO2_1H] = {0, 100, 200, 700, 1200, 2340, 3090, 3840},
    [BPC_PM10_24H] = {0, 50, 120, 250, 350, 420, 500, 600},
    [BPC_CO_24H] = {0, 2, 4, 14, 24, 36, 48, 60},
    [BPC_CO_1H] = {0, 5, 10, 35, 60, 90, 120, 150},
    [BPC_O3_1H] = {0, 160, 200, 300, 400, 800, 1000, 1200},
    [BPC_O3_8H] = {0, 100, 160, 215, 265, 800, -1, -1},
    [BPC_PM25_24H] = {0, 35, 60, 115, 150, 250, 350, 500},
};

/* HJ 633-2026 footnotes ᵇ and ᶜ (README §1b): SO2 1h > 800 counts 200, O3 8h > 800 counts 300. */
#define IAQI_2026_SO2_1H_OVER 200
#define IAQI_2026_O3_8H_OVER 300

/* Which column serves a pollutant and averaging; -1 when the edition defines none. */
static int column_for(enum hj633_edition ed, enum hj633_pollutant p, enum hj633_avg avg)
{
    switch (p) {
    case HJ633_SO2:
        return avg == HJ633_1H ? BPC_SO2_1H : avg == HJ633_24H ? BPC_SO2_24H : -1;
    case HJ633_NO2:
        return avg == HJ633_1H ? BPC_NO2_1H : avg == HJ633_24H ? BPC_NO2_24H : -1;
    case HJ633_CO:
        return avg == HJ633_1H ? BPC_CO_1H : avg == HJ633_24H ? BPC_CO_24H : -1;
    case HJ633_O3:
        return avg == HJ633_1H ? BPC_O3_1H : avg == HJ633_8H ? BPC_O3_8H : -1;
    case HJ633_PM10:
    case HJ633_PM25:
        /*
         * 2012 publishes PM 1-h means without an IAQI (README §1.6); 2026 §4.2.4 reads PM 1-h
         * means on the daily breakpoints.
         */
        if (avg == HJ633_24H || (avg == HJ633_1H && ed == HJ633_2026))
            return p == HJ633_PM10 ? BPC_PM10_24H : BPC_PM25_24H;
        return -1;
    default:
        return -1;
    }
}

/* Index of the last defined breakpoint of a column. */
static int top_row(const int *bp)
{
    int i = N_ROWS - 1;

    while (i > 0 && bp[i] < 0)
        i--;
    return i;
}

/*
 * Eq. (1) on the 1e-6 grid, rounded up (§1.3): IAQI_Lo + ceil((IAQI_Hi - IAQI_Lo) *
 * (C - BP_Lo) / (BP_Hi - BP_Lo)). @q must lie within 0 .. top breakpoint. Segments share end
 * points, so a value on a breakpoint gives that row's IAQI from either side (§1.2).
 */
static int iaqi_on_grid(const int *bp, int top, long long q)
{
    int i;
    long long lo, hi, num;

    for (i = 1; i < top && q > bp[i] * MICRO; i++)
        ;
    lo = bp[i - 1] * MICRO;
    hi = bp[i] * MICRO;
    num = (long long)(iaqi_row[i] - iaqi_row[i - 1]) * (q - lo);
    return iaqi_row[i - 1] + (int)((num + (hi - lo) - 1) / (hi - lo));
}

/* The IAQI for a concentration beyond the column's top breakpoint. */
static void above_scale(enum hj633_edition ed, int column, struct hj633_subindex *out)
{
    out->is_above_scale = true;
    if (column == BPC_SO2_1H || column == BPC_O3_8H) {
        if (ed == HJ633_2012) {
            /* Notes ② and ③ (README §1.1): no IAQI from this value. */
            out->is_deferred = true;
            out->iaqi = -1;
        } else {
            out->iaqi = column == BPC_SO2_1H ? IAQI_2026_SO2_1H_OVER : IAQI_2026_O3_8H_OVER;
        }
        return;
    }
    out->iaqi = HJ633_IAQI_MAX; /* README decision 6 */
}

int hj633_iaqi(enum hj633_edition ed, enum hj633_pollutant p, enum hj633_avg avg, double conc,
               struct hj633_subindex *out)
{
    const int *bp;
    int column, top, rc;
    long long q;

    if (!out || (ed != HJ633_2012 && ed != HJ633_2026) || !isfinite(conc))
        return COL_ERR_INVAL;
    column = column_for(ed, p, avg);
    if (column < 0)
        return COL_ERR_INVAL;
    if (conc < 0)
        return COL_ERR_RANGE;

    out->iaqi = -1;
    out->conc_used = conc;
    out->is_above_scale = false;
    out->is_deferred = false;
    bp = ed == HJ633_2012 ? bp_2012[column] : bp_2026[column];
    top = top_row(bp);
    if (conc > CONC_HUGE) {
        above_scale(ed, column, out);
        return 0;
    }
    if (ed == HJ633_2026) {
        /* §4.2.2: integers for µg/m³, one decimal for CO in mg/m³, per GB/T 8170. */
        rc = hj663_round(conc, p == HJ633_CO ? 1 : 0, &out->conc_used);
        if (NEVER(rc))
            return rc;
    }
    q = llround(out->conc_used * (double)MICRO);
    if (q > bp[top] * MICRO) {
        above_scale(ed, column, out);
        return 0;
    }
    out->iaqi = iaqi_on_grid(bp, top, q);
    return 0;
}

/* What each slot of struct hj633_input measures. */
static const struct {
    enum hj633_pollutant p;
    enum hj633_avg avg;
} indicator_def[HJ633_N_INDICATORS] = {
    [HJ633_SO2_24H] = {HJ633_SO2, HJ633_24H},   [HJ633_NO2_24H] = {HJ633_NO2, HJ633_24H},
    [HJ633_PM10_24H] = {HJ633_PM10, HJ633_24H}, [HJ633_PM25_24H] = {HJ633_PM25, HJ633_24H},
    [HJ633_CO_24H] = {HJ633_CO, HJ633_24H},     [HJ633_SO2_1H] = {HJ633_SO2, HJ633_1H},
    [HJ633_NO2_1H] = {HJ633_NO2, HJ633_1H},     [HJ633_PM10_1H] = {HJ633_PM10, HJ633_1H},
    [HJ633_PM25_1H] = {HJ633_PM25, HJ633_1H},   [HJ633_CO_1H] = {HJ633_CO, HJ633_1H},
    [HJ633_O3_1H] = {HJ633_O3, HJ633_1H},       [HJ633_O3_8H] = {HJ633_O3, HJ633_8H},
};

/*
 * The indicator sets (README §1.6 Tables 3-4 for 2012; §1b §4.2.2-4.2.3 for 2026). O3_1H
 * precedes O3_8H so that note ③ can reuse the 1-h IAQI.
 */
static const enum hj633_indicator daily_2012[] = {
    HJ633_SO2_24H, HJ633_NO2_24H, HJ633_PM10_24H, HJ633_PM25_24H,
    HJ633_CO_24H,  HJ633_O3_1H,   HJ633_O3_8H,
};
static const enum hj633_indicator daily_2026[] = {
    HJ633_SO2_24H, HJ633_NO2_24H, HJ633_PM10_24H, HJ633_PM25_24H, HJ633_CO_24H, HJ633_O3_8H,
};
static const enum hj633_indicator hourly_2012[] = {
    HJ633_SO2_1H, HJ633_NO2_1H,   HJ633_CO_1H,    HJ633_O3_1H,
    HJ633_O3_8H,  HJ633_PM10_24H, HJ633_PM25_24H,
};
static const enum hj633_indicator hourly_2026[] = {
    HJ633_SO2_1H, HJ633_NO2_1H, HJ633_CO_1H, HJ633_O3_1H, HJ633_PM10_1H, HJ633_PM25_1H,
};

/* AQI bands, README §1.5 (Table 2 and Appendix A Table A.1); unchanged in 2026 (§4.1.1). */
static const struct hj633_band bands[] = {
    {1, 0, 50, "一级", "优", "Excellent", "green", "#00E400", 0x00E400},
    {2, 51, 100, "二级", "良", "Good", "yellow", "#FFFF00", 0xFFFF00},
    {3, 101, 150, "三级", "轻度污染", "Lightly polluted", "orange", "#FF7E00", 0xFF7E00},
    {4, 151, 200, "四级", "中度污染", "Moderately polluted", "red", "#FF0000", 0xFF0000},
    {5, 201, 300, "五级", "重度污染", "Heavily polluted", "purple", "#99004C", 0x99004C},
    {6, 301, HJ633_IAQI_MAX, "六级", "严重污染", "Severely polluted", "maroon", "#7E0023",
     0x7E0023},
};

const struct hj633_band *hj633_band_for(int aqi)
{
    size_t i;

    if (aqi < 0)
        return NULL;
    for (i = 0; i + 1 < sizeof(bands) / sizeof(bands[0]); i++) {
        if (aqi <= bands[i].aqi_hi)
            return &bands[i];
    }
    return &bands[i]; /* > 300 is level 6 whatever the value */
}

/* Primary pollutant (§1.4 / 2026 §4.3.1) only when AQI > 50. */
#define PRIMARY_ABOVE 50
/* 超标污染物 (§1.4): IAQI > 100, i.e. over the Grade II limit; deleted in 2026. */
#define OVER_LIMIT_ABOVE 100
/* 2026 §5.3.1: an incomplete AQI is still published when > 100. */
#define PUBLISH_INCOMPLETE_ABOVE 100

static int aqi_of_set(enum hj633_edition ed, const enum hj633_indicator *set, size_t n_set,
                      const struct hj633_input *in, struct hj633_aqi *out)
{
    struct hj633_subindex sub, fb;
    size_t i;
    int k, rc, aqi = -1;

    for (k = 0; k < HJ633_N_INDICATORS; k++)
        out->iaqi[k] = -1;
    out->aqi = -1;
    out->band = NULL;
    out->primary = out->over_limit = out->missing = 0;
    out->is_above_scale = out->is_publishable = false;
    out->is_so2_from_24h = out->is_o3_from_1h = false;

    for (i = 0; i < n_set; i++) {
        enum hj633_indicator ind = set[i];

        if (!in->present[ind]) {
            out->missing |= HJ633_BIT(ind);
            continue;
        }
        rc = hj633_iaqi(ed, indicator_def[ind].p, indicator_def[ind].avg, in->conc[ind], &sub);
        if (rc)
            return rc;
        if (sub.is_above_scale)
            out->is_above_scale = true;
        if (!sub.is_deferred) {
            out->iaqi[ind] = sub.iaqi;
        } else if (ind == HJ633_SO2_1H) {
            /* Note ②, decision 4: report the SO2 24-h (moving) mean's IAQI. */
            if (!in->present[HJ633_SO2_24H]) {
                out->missing |= HJ633_BIT(HJ633_SO2_24H);
                continue;
            }
            rc = hj633_iaqi(ed, HJ633_SO2, HJ633_24H, in->conc[HJ633_SO2_24H], &fb);
            if (rc)
                return rc;
            if (fb.is_above_scale)
                out->is_above_scale = true;
            out->iaqi[ind] = fb.iaqi;
            out->is_so2_from_24h = true;
        } else if (ind == HJ633_O3_8H && out->iaqi[HJ633_O3_1H] >= 0) {
            /* Note ③: report the O3 1-h IAQI (computed earlier in every 2012 set). */
            out->iaqi[ind] = out->iaqi[HJ633_O3_1H];
            out->is_o3_from_1h = true;
        }
    }

    for (i = 0; i < n_set; i++) {
        if (out->iaqi[set[i]] > aqi)
            aqi = out->iaqi[set[i]]; /* eq. (2) */
    }
    if (aqi < 0)
        return COL_ERR_NOTFOUND;
    for (i = 0; i < n_set; i++) {
        int v = out->iaqi[set[i]];
        unsigned bit = HJ633_BIT(indicator_def[set[i]].p);

        if (aqi > PRIMARY_ABOVE && v == aqi)
            out->primary |= bit;
        if (ed == HJ633_2012 && v > OVER_LIMIT_ABOVE)
            out->over_limit |= bit;
    }
    out->aqi = aqi;
    out->band = hj633_band_for(aqi);
    if (ed == HJ633_2012)
        out->is_publishable = true;
    else
        out->is_publishable = out->missing == 0 || aqi > PUBLISH_INCOMPLETE_ABOVE;
    return 0;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

int hj633_aqi_daily(enum hj633_edition ed, const struct hj633_input *in, struct hj633_aqi *out)
{
    if (!in || !out)
        return COL_ERR_INVAL;
    if (ed == HJ633_2012)
        return aqi_of_set(ed, daily_2012, N_OF(daily_2012), in, out);
    if (ed == HJ633_2026)
        return aqi_of_set(ed, daily_2026, N_OF(daily_2026), in, out);
    return COL_ERR_INVAL;
}

int hj633_aqi_hourly(enum hj633_edition ed, const struct hj633_input *in, struct hj633_aqi *out)
{
    if (!in || !out)
        return COL_ERR_INVAL;
    if (ed == HJ633_2012)
        return aqi_of_set(ed, hourly_2012, N_OF(hourly_2012), in, out);
    if (ed == HJ633_2026)
        return aqi_of_set(ed, hourly_2026, N_OF(hourly_2026), in, out);
    return COL_ERR_INVAL;
}

/*
 * HJ 633-2026 took effect on 2026-03-01 (README §0.1, decision 1), a date in China:
 * 2026-03-01 00:00 +08:00 is 2026-02-28 16:00 UTC.
 */
#define HJ633_2026_FROM_MS 1772294400000LL
#define SWITCH_YEAR 2026
#define SWITCH_MONTH 3

enum hj633_edition hj633_edition_for(int64_t utc_ms)
{
    return utc_ms >= HJ633_2026_FROM_MS ? HJ633_2026 : HJ633_2012;
}

int hj633_edition_for_day(int year, int month, int day, enum hj633_edition *out)
{
    if (!out || !civil_date_valid(year, month, day))
        return COL_ERR_INVAL;
    /* From 2026-03-01: the switch is on the first of a month, so the day does not matter. */
    if (year > SWITCH_YEAR || (year == SWITCH_YEAR && month >= SWITCH_MONTH))
        *out = HJ633_2026;
    else
        *out = HJ633_2012;
    return 0;
}

const char *hj633_edition_name(enum hj633_edition ed)
{
    return ed == HJ633_2026 ? "HJ 633-2026" : "HJ 633-2012";
}

const char *hj633_pollutant_name(enum hj633_pollutant p)
{
    static const char *const names[HJ633_N_POLLUTANTS] = {
        [HJ633_SO2] = "so2",   [HJ633_NO2] = "no2", [HJ633_PM10] = "pm10",
        [HJ633_PM25] = "pm25", [HJ633_CO] = "co",   [HJ633_O3] = "o3",
    };

    if ((unsigned)p >= HJ633_N_POLLUTANTS)
        return "?";
    return names[p];
}
