/*
 * The rollup engine's inside, shared by its files and by nothing else
 * (other modules use rollup.h):
 *   rollup.c        the pass: which device-hours, in what order, what
 *                   depends on them, one transaction; SQL and lookup helpers
 *   rollup_hours.c  device and site hours and days, aggregated in C from one
 *                   scan of the level below; water samples; late data
 *   rollup_air.c    real-time and daily AQI from a window of site hours
 *   rollup_days.c   the rest of a site's day: water class, noise, waste,
 *                   daily and year-to-date rules
 *   retention.c     tiered retention
 */
#ifndef STATS_ROLLUP_INT_H
#define STATS_ROLLUP_INT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gb3838.h"
#include "rollup.h"
#include "rule.h"

struct config;
struct store;
struct db_stmt;

#define HOUR_MS 3600000LL
#define DAY_HOURS_MAX 25
#define SITE_MAX 64

/* A (key, hour-or-day) pair collected during a pass; deduplicated by sort. */
struct item {
    char site[SITE_MAX];
    int64_t id; /* device id, or 0 for site items */
    int64_t t;  /* hour start (UTC ms) or day start (UTC ms of local midnight) */
};

struct itemset {
    struct item *v;
    size_t n, cap;
};

#define PASS_CACHE_MAX 256
#define WIN_SERIES 8
#define WIN_HOURS (24 * 9)
#define WIN_SLOTS 8 /* sites whose windows a pass keeps at once */

struct dev_cache {
    int64_t id;
    bool found;
    char site[SITE_MAX];
};

struct day_cache {
    int64_t t0, t1;
    int pruned;
};

struct site_cache {
    char site[SITE_MAX];
    enum gb3838_water water;
    char zone[8];
};

/* Hourly site means of the AQI and noise series for n hours (at most WIN_HOURS) from t0. */
struct window {
    char site[SITE_MAX];
    int64_t t0;
    int n;
    double v[WIN_SERIES][WIN_HOURS];
};

/* A device-hour row this pass wrote to `hourly`, as stored (NaN: NULL). */
struct dh_row {
    int64_t dev, hour, metric;
    double mean, min, max, sum;
};

struct acc;
struct acc_table {
    struct acc *v;
    uint32_t *slot; /* open addressing: index + 1 into v, 0 = empty */
    size_t n, cap;
};

struct rollup {
    struct rollup_rules rules; /* derived-series rules; all NULL = none */
    const struct config *cfg;
    struct store *st;
    struct itemset seg; /* device-hours of the segment being collected */
    struct itemset site_hours, device_days, site_days;
    struct itemset next; /* per device of a due pair left for the next pass: its first hour */
    struct dev_cache dev_cache[PASS_CACHE_MAX];
    struct day_cache day_cache[PASS_CACHE_MAX];
    struct site_cache site_cache[PASS_CACHE_MAX];
    size_t n_dev_cache, n_day_cache, n_site_cache;
    int has_waste;     /* waste metrics exist: -1 not known yet this pass */
    int64_t budget_ms; /* a pass takes no new hour after this long (0: no limit) */
    int64_t settle_ms; /* an hour is due once it had no data this long (0: at once) */
    struct window win[WIN_SLOTS];
    size_t win_next;             /* the slot a new site's window replaces */
    int64_t win_ids[WIN_SERIES]; /* the series' metric ids (0: none), when has_win_ids */
    bool has_win_ids;
    int64_t win_begin;    /* no window of the pass reaches before this (0: not known) */
    int64_t win_end;      /* ... nor past this */
    struct acc_table acc; /* statistics being accumulated */
    struct dh_row *wrote; /* the device-hour rows this pass wrote, for its site hours */
    size_t n_wrote, wrote_cap;
    int64_t *wrote_pairs; /* the (device, hour) pairs whose rows those are, 2 per pair */
    size_t n_wrote_pairs, wrote_pairs_cap;
    bool wrote_sorted;
    int64_t *site_devs; /* the devices of the site whose hours are computed */
    size_t n_site_devs, site_devs_cap;
    int64_t *dirty; /* the pass's dirty (hour, device) pairs */
    size_t dirty_cap;
    uint8_t *kinds; /* enum ru_metric_kind by metric id, n_kinds of them, when has_kinds */
    size_t n_kinds, kinds_cap;
    bool has_kinds, has_water;
};

/* A value to store: NaN (bound as NULL) unless finite. */
static inline double or_nan(double x)
{
    return isfinite(x) ? x : NAN;
}

/* Noise LAeq averages by energy (GB 3096); everything else arithmetically
 * (the energy of other metrics is never computed: CASE evaluates lazily). */
#define MEAN_EXPR(col)                                                                             \
    "CASE WHEN m.name = 'laeq' THEN xh_db(avg(CASE WHEN m.name = 'laeq' THEN xh_energy(" col       \
    ") END)) ELSE avg(" col ") END"

/* rollup.c: SQL with "?" parameters from @fmt ('i' int64, 'd' double, NaN =
 * NULL, 's' text, NULL = NULL), prepared once per connection. */
int ru_run(struct rollup *r, const char *sql, const char *fmt, ...);
struct db_stmt *ru_query(struct rollup *r, const char *sql, const char *fmt, ...);
double ru_fn_energy(double x);
double ru_fn_db(double e);
/* What a metric is to the rollups: LAeq (averaged by energy), a GB 3838
 * water parameter (RU_WATER + its enum gb3838_param), or anything else. */
enum ru_metric_kind { RU_PLAIN = 0, RU_LAEQ = 1, RU_WATER = 2 };

/* rollup.c: lookups cached for one pass */
int ru_metric_kind(struct rollup *r, int64_t metric_id);
/* Whether any water parameter is among the metrics (0 no, 1 yes, < 0 error). */
int ru_has_water(struct rollup *r);
void ru_pass_cache_clear(struct rollup *r);
int ru_device_site(struct rollup *r, int64_t dev, char site[SITE_MAX]);
int ru_day_pruned(struct rollup *r, int64_t h);
const struct site_cache *ru_site_info(struct rollup *r, const char *site);
/* rollup.c: the rules on derived values */
bool ru_has_series(const struct rollup *r, enum rule_series series);
int ru_alert(struct rollup *r, enum rule_series series, const char *domain, const char *site,
             const char *device, const char *metric, const char *unit, double value, int64_t t_ms);
const char *ru_domain_of_metric(const char *m);
/* rollup.c: the first AQI hour of @site the next pass computes anyway (INT64_MAX: none) */
int64_t ru_aqi_deferred_from(const struct rollup *r, const char *site);

/* rollup_hours.c */
int ru_water_param(const char *metric, enum gb3838_param *p);
int ru_merge_late_hour(struct rollup *r, int64_t dev, int64_t h);
int ru_segment_flush(struct rollup *r);
int ru_site_hours(struct rollup *r);
int ru_device_day(struct rollup *r, int64_t dev, int64_t t0);
int ru_site_daily(struct rollup *r, const char *site, const char *day, int64_t a, int64_t b);

/* rollup_air.c */
/* Forget the pass's windows (the site hours they hold changed). */
void ru_windows_clear(struct rollup *r);
int ru_load_hours(struct rollup *r, const char *site, const char *metric, int64_t t0, int n,
                  double *vals, bool *valid, int *n_valid);
int ru_aqi_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day);
int ru_aqi_hours(struct rollup *r);

/* rollup_days.c */
int ru_site_day(struct rollup *r, const char *site, int64_t t0);

#endif
