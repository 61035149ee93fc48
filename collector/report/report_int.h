/*
 * Internals shared by the files of the report module: the in-memory model
 * that report_load.c fills from the database, report.c judges, and the
 * writers (report_text.c, report_json.c, report_html.c) print. The model
 * holds every figure once, already judged, so that the three formats cannot
 * disagree: a writer only formats, it never computes a statistic or a status.
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include "report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REP_MAX_DAYS 366
#define REP_MAX_TARGETS 24
#define REP_MAX_PERIODS 4
#define REP_MAX_ZONES 8
#define REP_N_POLS 6 /* so2 no2 pm10 pm25 co o3, the order of enum rep_pol */
#define REP_N_WASTE 4
#define REP_TEXT 64

enum rep_pol { REP_SO2, REP_NO2, REP_PM10, REP_PM25, REP_CO, REP_O3 };

enum rep_status { REP_MET, REP_NOT_MET, REP_INSUFFICIENT };

/* One judged target. Strings point to constants or into the report. */
struct rep_target {
    const char *rule;    /* stable id, e.g. "pm25_annual_mean" */
    const char *label;   /* English label for text and HTML */
    const char *unit;    /* "µg/m³", "mg/m³", "%", "days", "" */
    const char *cmp;     /* "<", "<=", ">=", "==" : value cmp target is met */
    const char *edition; /* standard edition of the limit; NULL for plan targets */
    const char *kind;    /* "plan" or "standard" */
    const char *note;    /* why insufficient, or NULL */
    double value;        /* NAN when there is no value */
    double target;
    enum rep_status status;
    /* when status is insufficient but a value exists: what it would be on that value alone */
    enum rep_status indicative;
    bool has_indicative;
    bool is_draft; /* the plan masks the number: a configurable draft default */
    int n_days;    /* days the value rests on (completeness) */
    int n_days_possible;
};

/* Annual statistics of one pollutant over a period. */
struct rep_pol_stats {
    int n_valid;      /* valid daily values (24-h means; O3: MDA8) */
    int by_month[12]; /* of which in each month */
    double mean;      /* annual mean of the daily values, NAN if none */
    int pct;          /* 98, 95 or 90 */
    double pct_value; /* HJ 663 percentile of the daily values, NAN if none */
    bool is_valid;    /* enough days (GB 3095 Table 4 / hj663_check_annual) */
};

/* A run of days with the same editions in force; a year has 1 or 2. */
struct rep_period {
    int d0, d1; /* day-of-year indexes [d0, d1) */
    char from[11], to[11];
    const char *hj633; /* "HJ 633-2012" */
    const char *gb3095;
    int gb3095_ed; /* enum gb3095_edition */
};

/* Air figures of one scope (a site, or the gateway) over one period. */
struct rep_air_period {
    struct rep_pol_stats pol[REP_N_POLS];
    double pm25_mean;
    int pm25_valid_days;
    bool pm25_annual_valid;
    double good_day_ratio; /* percent, NAN when no valid AQI */
    int aqi_valid_days;
    int good_days;
    int aqi_by_month[12];
    int level_days[7]; /* [1..6] */
    struct rep_target targets[REP_MAX_TARGETS];
    size_t n_targets;
};

struct rep_air {
    bool has_data;
    /* daily values by day of year; NAN = none. pol: site_daily valid means,
     * O3 = MDA8 from aqi_daily. ind: the indicators aqi_daily kept. */
    double daily[REP_N_POLS][REP_MAX_DAYS];
    double o3_1h[REP_MAX_DAYS];
    int aqi[REP_MAX_DAYS]; /* -1 = no valid AQI */
    char primary[REP_MAX_DAYS][24];
    double monthly_pm25[12]; /* mean of the month's valid daily means, NAN if none */
    int monthly_pm25_days[12];
    struct rep_air_period year;                     /* the whole year */
    struct rep_air_period periods[REP_MAX_PERIODS]; /* one per edition period when split */
};

struct rep_water {
    bool has_data;
    unsigned char cls[REP_MAX_DAYS]; /* day class 1..6, 0 = none */
    unsigned char worst_sample[REP_MAX_DAYS];
    int days_by_class[7]; /* [1..6] */
    int classified_days;
    int partial_days;
    int worst_day_class;    /* 0 = none */
    int worst_sample_class; /* 0 = none */
    long n_samples;
};

struct rep_noise_zone {
    char zone[8]; /* "" = zone unknown */
    int n_sites;
    int days;      /* days with both Ld and Ln */
    int judged;    /* of which with limits (zone known) */
    int day_ok;    /* Ld <= limit */
    int night_ok;  /* Ln <= limit */
    int lmax_over; /* night Lmax above the night limit + 15 dB */
    double ld_limit, ln_limit;
};

struct rep_noise {
    bool has_data;
    struct rep_noise_zone all; /* zone: the site's latest zone */
    struct rep_noise_zone zones[REP_MAX_ZONES];
    size_t n_zones;
};

struct rep_waste {
    bool has_data;
    double kg[REP_N_WASTE + 1]; /* [1..4] recyclable hazardous wet dry */
    double total_kg;
    double wet_share; /* wet / total, NAN when total is 0 */
    int days;
    long overflow_events, hazard_events;
};

struct rep_sewage {
    bool has_data;
    double inflow_m3, treated_m3;
    double rate_pct; /* NAN when inflow is 0 */
    int days;        /* days with both metrics */
};

/* A site, or the gateway (is_gateway, name = gateway id). */
struct rep_scope {
    bool is_gateway;
    char name[REP_TEXT];
    char *display_name, *street, *kind, *noise_zone, *water_body; /* NULL if unknown */
    int n_sites[5]; /* gateway only: air, water, noise, waste, sewage sites */
    struct rep_air air;
    struct rep_water water;
    struct rep_noise noise;
    struct rep_waste waste;
    struct rep_sewage sewage;
    struct rep_target targets[REP_MAX_TARGETS]; /* the whole-year targets */
    size_t n_targets;
    const char *editions[8];
    size_t n_editions;
};

struct report {
    char gateway[REP_TEXT];
    char timezone[REP_TEXT];
    char generated_at[40];
    int year;
    int n_days; /* 365 or 366 */
    char from[11], to[11];
    double pm25_target, good_day_target, sewage_target, noise_target;
    struct rep_period periods[REP_MAX_PERIODS];
    size_t n_periods;
    const char *editions[8];
    size_t n_editions;
    struct rep_scope *sites; /* n_sites, sorted by id */
    size_t n_sites;
    struct rep_scope gateway_scope;
};

/* The daily indicators of aqi_daily, the order of its columns so2 .. o3_8h. */
enum {
    REP_IND_SO2,
    REP_IND_NO2,
    REP_IND_PM10,
    REP_IND_PM25,
    REP_IND_CO,
    REP_IND_O3_1H,
    REP_IND_O3_8H,
    REP_N_IND
};

/* Sums behind the gateway's daily means: per day, per value. */
struct rep_gw_acc {
    double pol[REP_N_POLS][REP_MAX_DAYS];
    int n_pol[REP_N_POLS][REP_MAX_DAYS];
    double ind[REP_N_IND][REP_MAX_DAYS];
    int n_ind[REP_N_IND][REP_MAX_DAYS];
    int n_water_sites, n_noise_sites, n_air_sites, n_waste_sites, n_sewage_sites;
};

struct config;

/*
 * Between loading (report_load.c) and judging (report.c). rep_model_init
 * fills @r's frame for @year: its days, the plan's targets from @cfg and the
 * periods of the standards' editions; 0, or COL_ERR_INVAL / COL_ERR_RANGE
 * when the editions cannot be told. rep_scope_finish judges a loaded site;
 * rep_gateway_add_site adds it to the gateway's sums in @acc, and
 * rep_gateway_finish turns those into the gateway's figures, last.
 */
int rep_model_init(struct report *r, const struct config *cfg, int year);
void rep_scope_finish(const struct report *r, struct rep_scope *s);
void rep_gateway_add_site(struct report *r, struct rep_gw_acc *acc, struct rep_scope *g,
                          const struct rep_scope *s);
void rep_gateway_finish(struct report *r, struct rep_gw_acc *acc);
/* The tally of zone @zone in @n, added when new; NULL when REP_MAX_ZONES are taken. */
struct rep_noise_zone *rep_noise_zone_of(struct rep_noise *n, const char *zone);

/* "met", "not_met", "insufficient_data" */
const char *rep_status_id(enum rep_status s);
/* "so2", ... "o3" and "SO2", "NO2", "PM10", "PM2.5", "CO", "O3" */
const char *rep_pol_id(enum rep_pol p);
const char *rep_pol_label(enum rep_pol p);
/* "µg/m³" or "mg/m³" */
const char *rep_pol_unit(enum rep_pol p);
/* "recyclable", "hazardous", "wet", "dry" for 1..4 */
const char *rep_waste_id(int category);
/* Decimals a figure in @unit is shown with (the text and HTML writers). */
int rep_unit_decimals(const char *unit);
/* "YYYY-MM-DD" of day-of-year @doy (0-based) of @year. */
void rep_day_name(int year, int doy, char out[11]);
/* Month (0..11) of day-of-year @doy of @year. */
int rep_month_of(int year, int doy);
/* Day of the week (0 = Monday) of day-of-year @doy of @year. */
int rep_weekday_of(int year, int doy);
/* Days in month @m (0..11) of @year. */
int rep_month_days(int year, int m);
/* Day of year (0-based) of "YYYY-MM-DD" @s in @year, or -1 (another year, or not a date). */
int rep_doy_of(int year, const unsigned char *s);

int report_text_write(const struct report *r, FILE *out);
int report_json_write(const struct report *r, FILE *out);
int report_html_write(const struct report *r, FILE *out);

#endif
