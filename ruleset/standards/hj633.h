/*
 * HJ 633 air quality index: the IAQI of one concentration, the daily and real-time AQI of a
 * set of concentrations, the primary pollutant, level, category and colour.
 *
 * Both editions are kept side by side and the caller picks one from the data's date (standards
 * README decision 1): HJ 633-2012 (README §1) before 2026-03-01, HJ 633-2026 (README §1b) from
 * then on. The IAQI is computed in integer arithmetic on a 1e-6 grid of the concentration so
 * that the round-up rule (§1.3) never turns float noise into an extra point. Pure functions
 * over constant tables: no allocation, no clock, no global state, safe from any thread.
 */
#ifndef HJ633_H
#define HJ633_H

#include <stdbool.h>
#include <stdint.h>

#include "col_err.h"

enum hj633_edition {
    HJ633_2012, /* HJ 633-2012, in force 2016-01-01 .. 2026-02-28 */
    HJ633_2026, /* HJ 633-2026, in force from 2026-03-01 */
};

/* Units: µg/m³, CO in mg/m³ (README decision 7). */
enum hj633_pollutant {
    HJ633_SO2,
    HJ633_NO2,
    HJ633_PM10,
    HJ633_PM25,
    HJ633_CO,
    HJ633_O3,
    HJ633_N_POLLUTANTS
};

enum hj633_avg {
    HJ633_1H,  /* 1-hour mean */
    HJ633_8H,  /* 8-hour moving mean (O3 only); in the daily report the day's maximum */
    HJ633_24H, /* 24-hour mean; in the 2012 real-time report the 24-h moving mean */
};

/*
 * The indicators of the daily and real-time sets (README §1.6 and §1b), one slot each in
 * struct hj633_input. In the daily report O3_1H is the day's maximum 1-h mean and O3_8H the
 * day's maximum 8-h moving mean; in the 2012 real-time report PM10_24H/PM25_24H are the 24-h
 * moving means and SO2_24H (the SO2 24-h moving mean) is read only for note ② (decision 4).
 */
enum hj633_indicator {
    HJ633_SO2_24H,
    HJ633_NO2_24H,
    HJ633_PM10_24H,
    HJ633_PM25_24H,
    HJ633_CO_24H,
    HJ633_SO2_1H,
    HJ633_NO2_1H,
    HJ633_PM10_1H,
    HJ633_PM25_1H,
    HJ633_CO_1H,
    HJ633_O3_1H,
    HJ633_O3_8H,
    HJ633_N_INDICATORS
};

/* Bit of a pollutant in hj633_aqi.primary/.over_limit, of an indicator in .missing. */
#define HJ633_BIT(x) (1u << (unsigned)(x))

/* The 500 cap (README decision 6) and the top of the AQI scale. */
#define HJ633_IAQI_MAX 500

/* One IAQI (sub-index). */
struct hj633_subindex {
    int iaqi;            /* 0..500; -1 when is_deferred */
    double conc_used;    /* the concentration the formula used (2026: after GB/T 8170 rounding) */
    bool is_above_scale; /* concentration above the column's top breakpoint */
    bool is_deferred;    /* 2012 note ②/③: no IAQI from this value, use the other averaging */
};

/*
 * IAQI of @conc of @p averaged over @avg under @ed (eq. 1, README §1.2; tables §1.1 and §1b
 * Table 3), rounded up to an integer (§1.3, 2026 §4.2.6). Under 2026 the concentration is
 * first rounded per GB/T 8170 (integer µg/m³, CO to 0.1 mg/m³; §1b §4.2.2) with
 * hj663_round(). Combinations: SO2, NO2, CO: 1H and 24H; O3: 1H and 8H; PM10, PM2.5: 24H, and
 * 1H under 2026 only (which uses the daily breakpoints, 2026 §4.2.4).
 * Beyond the top breakpoint (is_above_scale):
 *   SO2 1H > 800: 2012 note ② -> is_deferred (take the SO2 24-h IAQI); 2026 ᵇ -> IAQI 200.
 *   O3 8H > 800:  2012 note ③ -> is_deferred (take the O3 1-h IAQI);  2026 ᶜ -> IAQI 300.
 *   any other column: IAQI 500 (decision 6), never an error.
 * Returns 0 and fills *out; COL_ERR_INVAL for a NaN/infinite @conc, an unknown or undefined
 * combination (e.g. PM2.5 1H under 2012, CO 8H) or NULL @out; COL_ERR_RANGE for @conc < 0.
 */
int hj633_iaqi(enum hj633_edition ed, enum hj633_pollutant p, enum hj633_avg avg, double conc,
               struct hj633_subindex *out);

/* The concentrations offered to an AQI computation; a slot counts only when present. */
struct hj633_input {
    double conc[HJ633_N_INDICATORS];
    bool present[HJ633_N_INDICATORS];
};

/* One AQI band: README §1.5 Table 2 / Appendix A, the same in 2026 (§1b §4.1.1). */
struct hj633_band {
    int level;               /* 1..6 */
    int aqi_lo, aqi_hi;      /* inclusive; the top band's aqi_hi is HJ633_IAQI_MAX */
    const char *level_cn;    /* "一级" .. "六级" */
    const char *category_cn; /* "优" .. "严重污染" */
    const char *category_en; /* "Excellent" .. "Severely polluted" */
    const char *colour_en;   /* "green" .. "maroon" */
    const char *colour_hex;  /* "#00E400" .. "#7E0023" */
    uint32_t rgb;            /* 0x00E400 .. 0x7E0023 */
};

/* The band of @aqi (0..500, anything above 300 is level 6), or NULL for aqi < 0. */
const struct hj633_band *hj633_band_for(int aqi);

struct hj633_aqi {
    int aqi;                       /* max of the computed IAQIs (eq. 2), 0..500 */
    const struct hj633_band *band; /* level, category, colour of aqi; never NULL on success */
    unsigned primary;    /* HJ633_BIT(pollutant) of the largest IAQI, ties all set; 0 if aqi<=50 */
    unsigned over_limit; /* 2012 超标污染物: pollutants with an IAQI > 100; always 0 under 2026 */
    unsigned missing;    /* HJ633_BIT(indicator) the edition's set needed but did not get */
    bool is_above_scale;  /* some indicator was beyond its column's top */
    bool is_publishable;  /* 2026 §5.3.1: false when indicators are missing and aqi <= 100 (NA) */
    bool is_so2_from_24h; /* 2012 note ②: iaqi[SO2_1H] is the SO2 24-h IAQI */
    bool is_o3_from_1h;   /* 2012 note ③: iaqi[O3_8H] is the O3 1-h IAQI */
    int iaqi[HJ633_N_INDICATORS]; /* -1 for slots not in the set or not computed */
};

/*
 * Daily AQI (日报) under @ed from @in (README §1.6 for 2012, §1b §4.2.2 for 2026):
 *   2012: SO2, NO2, PM10, PM2.5, CO 24H, O3_1H (daily max 1-h), O3_8H (daily max 8-h);
 *   2026: the same without O3_1H.
 * Real-time AQI (实时报), hj633_aqi_hourly (README §1.6, §1b §4.2.3):
 *   2012: SO2, NO2, CO, O3 1H, O3_8H, PM10_24H and PM25_24H (24-h moving means); SO2_24H is
 *         read only when SO2_1H > 800 (note ②, decision 4);
 *   2026: SO2, NO2, CO, O3, PM10, PM2.5 1H.
 * Slots outside the set are ignored. The AQI is the largest IAQI of the present indicators
 * (2026 §5.3.1: missing ones are skipped), primary pollutants per §1.4 / 2026 §4.3.1.
 * is_publishable is true under 2012, which sets no completeness rule (missing -> "NA" only).
 * Returns 0 and fills *out; COL_ERR_NOTFOUND when no indicator of the set could be computed;
 * otherwise the first error of hj633_iaqi() (bad value) or COL_ERR_INVAL for NULL pointers.
 */
int hj633_aqi_daily(enum hj633_edition ed, const struct hj633_input *in, struct hj633_aqi *out);
int hj633_aqi_hourly(enum hj633_edition ed, const struct hj633_input *in, struct hj633_aqi *out);

/*
 * The edition in force at @utc_ms (epoch ms, UTC): HJ633_2026 from 2026-03-01 00:00
 * Asia/Shanghai (UTC+8, no DST) = 2026-02-28 16:00 UTC = 1772294400000 ms, else HJ633_2012.
 * Apply it to the time the value describes (for an hourly value, its hour). Never fails.
 */
enum hj633_edition hj633_edition_for(int64_t utc_ms);

/*
 * The edition for the natural (local) day @year-@month-@day: HJ633_2026 from 2026-03-01.
 * Returns 0 and sets *out, or COL_ERR_INVAL for an impossible date or NULL @out.
 */
int hj633_edition_for_day(int year, int month, int day, enum hj633_edition *out);

/* "HJ 633-2012" or "HJ 633-2026"; never NULL. */
const char *hj633_edition_name(enum hj633_edition ed);

/* "so2", "no2", "pm10", "pm25", "co", "o3" (as in the device contract); "?" if unknown. */
const char *hj633_pollutant_name(enum hj633_pollutant p);

#endif
