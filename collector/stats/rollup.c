/*
 * Rollup passes (see rollup.h). A pass takes the oldest dirty device-hours
 * in time order and recomputes: the device hours (runs of consecutive
 * hours from one scan of their readings, aggregated here); the site hours
 * they feed (read along each device's hourly key); the device and site
 * days containing them; the day's AQI, water class, noise and waste
 * figures; and the site's real-time AQI for the 24 hours whose moving
 * averages include a changed hour (from a window of site hours loaded once
 * and shared by every AQI hour and day of the site in the pass). Every
 * recompute deletes and rewrites its rows from the level below, so running
 * a pass twice, or receiving data late, changes nothing that on-time data
 * would not have. Statements are prepared once per connection (store/db.h).
 *
 * Hours are UTC-aligned: correct for zones whose offset is whole hours
 * (Asia/Shanghai and nearly all others). Days are local calendar days.
 */
#include "rollup.h"
#include "rule.h"
#include "col_err.h"
#include "core/config.h"
#include "gb3095.h"
#include "gb3096.h"
#include "gb3838.h"
#include "hj633.h"
#include "hj663.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Hourly site means of the AQI and noise series for WIN_HOURS from t0 (n = 0: none). */
struct window {
    char site[SITE_MAX];
    int64_t t0;
    int n;
    double v[WIN_SERIES][WIN_HOURS];
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
    struct dev_cache dev_cache[PASS_CACHE_MAX];
    struct day_cache day_cache[PASS_CACHE_MAX];
    struct site_cache site_cache[PASS_CACHE_MAX];
    size_t n_dev_cache, n_day_cache, n_site_cache;
    int has_waste;     /* waste metrics exist: -1 not known yet this pass */
    int64_t budget_ms; /* a pass takes no new hour after this long (0: no limit) */
    struct window win;
    struct acc_table acc; /* statistics being accumulated */
    int64_t *site_devs;   /* the devices of the site whose hours are computed */
    size_t n_site_devs, site_devs_cap;
    int64_t *dirty; /* the pass's dirty (hour, device) pairs */
    size_t dirty_cap;
};

static const char *const aqi_metric[HJ633_N_POLLUTANTS] = {
    [HJ633_SO2] = "so2",   [HJ633_NO2] = "no2", [HJ633_PM10] = "pm10",
    [HJ633_PM25] = "pm25", [HJ633_CO] = "co",   [HJ633_O3] = "o3",
};

/* ---- item sets ---- */

static int set_add(struct itemset *s, const char *site, int64_t id, int64_t t)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        struct item *nv = xrealloc(s->v, ncap * sizeof(*nv));
        if (!nv)
            return COL_ERR_NOMEM;
        s->v = nv;
        s->cap = ncap;
    }
    snprintf(s->v[s->n].site, SITE_MAX, "%s", site ? site : "");
    s->v[s->n].id = id;
    s->v[s->n].t = t;
    s->n++;
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->site, y->site);

    if (c)
        return c;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

static void set_unique(struct itemset *s)
{
    size_t k = 0;

    if (!s->n)
        return;
    qsort(s->v, s->n, sizeof(*s->v), item_cmp);
    for (size_t i = 1; i < s->n; i++)
        if (item_cmp(&s->v[k], &s->v[i]) != 0)
            s->v[++k] = s->v[i];
    s->n = k + 1;
}

/* ---- SQL helpers ---- */

static double fn_energy(double x)
{
    return isnan(x) ? NAN : pow(10.0, x / 10.0);
}

static double fn_db(double e)
{
    return isnan(e) || e <= 0 ? NAN : 10.0 * log10(e);
}

/*
 * Bind "?" parameters of @s from @fmt ('i' int64, 'd' double where NaN
 * binds NULL, 's' text where NULL binds NULL) and the va_list.
 */
static void bind_all(struct db_stmt *s, const char *fmt, va_list ap)
{
    int i = 1;

    for (const char *f = fmt; *f; f++, i++) {
        if (*f == 'i')
            db_bind_i64(s, i, va_arg(ap, int64_t));
        else if (*f == 'd')
            db_bind_f64(s, i, va_arg(ap, double));
        else
            db_bind_text(s, i, va_arg(ap, const char *));
    }
}

/* The cached statement for @sql (a literal) with its parameters bound, stepped to done. */
static int run(struct rollup *r, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s = db_prepare(r->st, sql);
    va_list ap;

    if (!s)
        return COL_ERR_DB;
    va_start(ap, fmt);
    bind_all(s, fmt, ap);
    va_end(ap);
    return db_run(s);
}

/* The cached statement for @sql with its parameters bound, ready to step; NULL if it fails. */
static struct db_stmt *query(struct rollup *r, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s = db_prepare(r->st, sql);
    va_list ap;

    if (!s)
        return NULL;
    va_start(ap, fmt);
    bind_all(s, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- what a pass looks up many times: cached for the pass ---- */

static void pass_cache_clear(struct rollup *r)
{
    r->n_dev_cache = r->n_day_cache = r->n_site_cache = 0;
    r->has_waste = -1;
    r->win.n = 0;
}

/* The site of device @dev into @site: 0, COL_ERR_NOTFOUND (device gone) or COL_ERR_DB. */
static int device_site(struct rollup *r, int64_t dev, char site[SITE_MAX])
{
    struct db_stmt *s;
    int rc;

    for (size_t i = 0; i < r->n_dev_cache; i++)
        if (r->dev_cache[i].id == dev) {
            memcpy(site, r->dev_cache[i].site, SITE_MAX);
            return r->dev_cache[i].found ? 0 : COL_ERR_NOTFOUND;
        }
    s = query(r, "SELECT site FROM devices WHERE id = ?1", "i", dev);
    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    site[0] = '\0';
    if (rc == DB_ROW)
        db_col_copy(s, 0, site, SITE_MAX);
    db_reset(s);
    if (rc < 0)
        return rc;
    if (r->n_dev_cache < PASS_CACHE_MAX) {
        struct dev_cache *c = &r->dev_cache[r->n_dev_cache++];
        c->id = dev;
        c->found = rc == DB_ROW;
        memcpy(c->site, site, SITE_MAX);
    }
    return rc == DB_ROW ? 0 : COL_ERR_NOTFOUND;
}

/* Which tiers retention has removed from the day of @h: 1 raw, 2 hourly. */
static int day_pruned(struct rollup *r, int64_t h)
{
    struct db_stmt *s;
    int64_t a, b;
    char day[11];
    int pruned = 0;

    for (size_t i = 0; i < r->n_day_cache; i++)
        if (h >= r->day_cache[i].t0 && h < r->day_cache[i].t1)
            return r->day_cache[i].pruned;
    cal_day_bounds(h, &a, &b, day);
    s = query(r, "SELECT raw_pruned, hourly_pruned FROM days WHERE day = ?1", "s", day);
    if (!s)
        return 0;
    if (db_step(s) == DB_ROW)
        pruned = (db_col_i64(s, 0) ? 1 : 0) | (db_col_i64(s, 1) ? 2 : 0);
    db_reset(s);
    if (r->n_day_cache < PASS_CACHE_MAX)
        r->day_cache[r->n_day_cache++] = (struct day_cache){a, b, pruned};
    return pruned;
}

/* A site's water body (GB 3838 lakes have their own TP limits) and noise zone. */
static const struct site_cache *site_info(struct rollup *r, const char *site)
{
    static const struct site_cache none = {"", GB3838_RIVER, ""};
    struct site_cache *c;
    struct db_stmt *s;

    for (size_t i = 0; i < r->n_site_cache; i++)
        if (strcmp(r->site_cache[i].site, site) == 0)
            return &r->site_cache[i];
    if (r->n_site_cache == PASS_CACHE_MAX)
        r->n_site_cache = 0; /* a pass over very many sites: start over */
    c = &r->site_cache[r->n_site_cache];
    snprintf(c->site, sizeof(c->site), "%s", site);
    c->water = GB3838_RIVER;
    c->zone[0] = '\0';
    s = query(r, "SELECT water_body, noise_zone FROM sites WHERE name = ?1", "s", site);
    if (!s)
        return &none;
    if (db_step(s) == DB_ROW) {
        const char *w = db_col_text(s, 0);
        if (w && strcmp(w, "lake") == 0)
            c->water = GB3838_LAKE;
        db_col_copy(s, 1, c->zone, sizeof(c->zone));
    }
    db_reset(s);
    r->n_site_cache++;
    return c;
}

/* ---- alerts ---- */

static bool has_series(const struct rollup *r, enum rule_series series)
{
    return r->rules.has_series && r->rules.has_series(r->rules.ud, series);
}

static int alert(struct rollup *r, enum rule_series series, const char *domain, const char *site,
                 const char *device, const char *metric, const char *unit, double value,
                 int64_t t_ms)
{
    if (!has_series(r, series) || !isfinite(value))
        return 0;
    return r->rules.on_value(r->rules.ud, series, domain, site, device, metric, unit, value, t_ms);
}

static const char *domain_of_metric(const char *m)
{
    static const char *const air[] = {"pm25", "pm10", "so2", "no2", "co", "o3", NULL};
    static const char *const water[] = {"ph",   "do", "codmn", "cod",       "bod5",
                                        "nh3n", "tp", "tn",    "turbidity", NULL};

    for (size_t i = 0; air[i]; i++)
        if (strcmp(m, air[i]) == 0)
            return "air";
    for (size_t i = 0; water[i]; i++)
        if (strcmp(m, water[i]) == 0)
            return "water";
    if (strncmp(m, "l", 1) == 0 && (strcmp(m, "laeq") == 0 || strcmp(m, "lmax") == 0))
        return "noise";
    return NULL;
}

/* ---- device and site hours ---- */

static const char *const water_params[] = {"ph",   "do", "codmn", "cod", "bod5",
                                           "nh3n", "tp", "tn",    NULL};

static int water_param(const char *metric, enum gb3838_param *p)
{
    for (size_t i = 0; metric && water_params[i]; i++)
        if (strcmp(metric, water_params[i]) == 0)
            return gb3838_param_parse(metric, p);
    return COL_ERR_NOTFOUND;
}

/* One water sample (a device's readings at one time): its GB 3838 class, stored and evaluated. */
static int water_sample(struct rollup *r, int64_t dev, const char *site, int64_t ts,
                        const struct gb3838_value *vals, size_t n)
{
    struct gb3838_result res;
    struct db_stmt *s;
    char dev_name[64] = "";
    int rc;

    if (gb3838_sample_class(site_info(r, site)->water, vals, n, &res) != 0)
        return 0;
    s = query(r, "SELECT name FROM devices WHERE id = ?1", "i", dev);
    if (s && db_step(s) == DB_ROW)
        db_col_copy(s, 0, dev_name, sizeof(dev_name));
    db_reset(s);
    rc = alert(r, RULE_WATER_SAMPLE, "water", site, dev_name, "class", "", (double)res.cls, ts);
    if (rc == 0)
        rc = run(r,
                 "INSERT OR REPLACE INTO water_samples(device_id, ts, site, class, deciding, "
                 "is_partial, n_evaluated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 "iisisii", dev, ts, site, (int64_t)res.cls, gb3838_param_name(res.deciding),
                 (int64_t)res.is_partial, (int64_t)res.n_evaluated);
    return rc;
}

/*
 * The water samples of the segment's device-hours, from one scan of its
 * readings in (hour, device, time) order: one GB 3838 class per sample time.
 */
static int segment_water(struct rollup *r, int64_t lo, int64_t hi)
{
    struct gb3838_value vals[16];
    struct db_stmt *s;
    size_t n = 0;
    int64_t cur_ts = INT64_MIN, cur_dev = 0;
    char cur_site[SITE_MAX] = "";
    int rc = 0, step;

    for (size_t i = 0; i < r->seg.n; i++) {
        rc = run(r, "DELETE FROM water_samples WHERE device_id = ?1 AND ts >= ?2 AND ts < ?3",
                 "iii", r->seg.v[i].id, r->seg.v[i].t, r->seg.v[i].t + HOUR_MS);
        if (rc)
            return rc;
    }
    s = query(r,
              "SELECT r.device_id, r.ts, m.name, r.value FROM readings r CROSS JOIN "
              "temp.rollup_batch b ON b.hour = r.ts - r.ts % 3600000 AND b.device_id = "
              "r.device_id JOIN metrics m ON m.id = r.metric_id WHERE r.ts >= ?1 AND r.ts < ?2 "
              "AND r.flags IN (0, 78) AND m.name IN ('ph','do','codmn','cod','bod5','nh3n','tp',"
              "'tn') ORDER BY b.hour, r.device_id, r.ts",
              "ii", lo, hi);
    if (!s)
        return COL_ERR_DB;
    for (;;) {
        int64_t dev = 0, ts = INT64_MAX;

        step = db_step(s);
        if (step == DB_ROW) {
            dev = db_col_i64(s, 0);
            ts = db_col_i64(s, 1);
        }
        if ((step != DB_ROW || ts != cur_ts || dev != cur_dev) && n > 0) {
            rc = water_sample(r, cur_dev, cur_site, cur_ts, vals, n);
            n = 0;
            if (rc)
                break;
        }
        if (step != DB_ROW)
            break;
        if (dev != cur_dev && device_site(r, dev, cur_site) != 0)
            cur_site[0] = '\0';
        cur_dev = dev;
        cur_ts = ts;
        if (n < sizeof(vals) / sizeof(vals[0]) &&
            water_param(db_col_text(s, 2), &vals[n].param) == 0)
            vals[n++].value = db_col_f64(s, 3);
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Noise LAeq averages by energy (GB 3096); everything else arithmetically
 * (the energy of other metrics is never computed: CASE evaluates lazily). */
#define MEAN_EXPR(col)                                                                             \
    "CASE WHEN m.name = 'laeq' THEN xh_db(avg(CASE WHEN m.name = 'laeq' THEN xh_energy(" col       \
    ") END)) ELSE avg(" col ") END"

/*
 * Late data for an hour whose raw readings retention already removed: the
 * hour cannot be recomputed from raw data, so the late readings are merged
 * into the stored statistics and then removed like the rest of that day.
 */
static int merge_late_hour(struct rollup *r, int64_t dev, int64_t h)
{
    /* LAeq merges by energy like every LAeq mean (GB 3096): 10 lg of the
     * mean of 10^(L/10) over the stored n readings and the late ones. */
    int rc = run(
        r,
        "INSERT INTO hourly(device_id, metric_id, hour, n, mean, min, max, sum) SELECT "
        "r.device_id, r.metric_id, ?1, count(*), " MEAN_EXPR(
            "r.value") ", min(r.value), max(r.value), sum(r.value) FROM readings r JOIN metrics m "
                       "ON m.id = r.metric_id WHERE r.ts >= ?1 AND r.ts < ?2 AND r.device_id = ?3 "
                       "AND r.flags IN (0, 78) GROUP BY r.metric_id ON CONFLICT(device_id, hour, "
                       "metric_id) DO UPDATE SET mean = CASE WHEN (SELECT name FROM metrics WHERE "
                       "id = hourly.metric_id) = 'laeq' THEN xh_db((xh_energy(mean) * n + "
                       "xh_energy(excluded.mean) * excluded.n) / (n + excluded.n)) ELSE (mean * n "
                       "+ excluded.mean * excluded.n) / (n + excluded.n) END, n = n + excluded.n, "
                       "min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + "
                       "excluded.sum",
        "iii", h, h + HOUR_MS, dev);

    if (rc == 0)
        rc = run(r, "DELETE FROM readings WHERE ts >= ?1 AND ts < ?2 AND device_id = ?3", "iii", h,
                 h + HOUR_MS, dev);
    return rc;
}

/*
 * Running statistics of one (device or site, hour, metric), accumulated the
 * way SQLite's aggregates do (doubles summed in arrival order; a NULL mean
 * left out of the mean but counted as a row), so a statistic is the same to
 * the last bit as the SQL it replaces: count(*), MEAN_EXPR, min, max, sum.
 */
struct acc {
    int64_t id, hour, metric; /* id: a device, or a site's index in the pass */
    bool is_laeq;
    int64_t n_rows, n_means, n_sum; /* n_sum: readings under the rows (days) */
    double mean_sum, energy_sum, min, max, sum;
};

/* One row: its value for the mean (NaN = NULL), its min, max and sum. */
static void acc_add(struct acc *a, double mean, double min, double max, double sum)
{
    if (a->n_rows++ == 0) {
        a->min = min;
        a->max = max;
        a->sum = sum;
    } else {
        if (min < a->min)
            a->min = min;
        if (max > a->max)
            a->max = max;
        a->sum += sum;
    }
    if (isnan(mean))
        return;
    a->n_means++;
    if (a->is_laeq)
        a->energy_sum += fn_energy(mean);
    else
        a->mean_sum += mean;
}

static double acc_mean(const struct acc *a)
{
    if (a->n_means == 0)
        return NAN;
    if (a->is_laeq)
        return fn_db(a->energy_sum / (double)a->n_means);
    return a->mean_sum / (double)a->n_means;
}

static int acc_cmp(const void *x, const void *y)
{
    const struct acc *a = x, *b = y;

    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    if (a->hour != b->hour)
        return a->hour < b->hour ? -1 : 1;
    return a->metric < b->metric ? -1 : a->metric > b->metric;
}

/* The accumulator of (id, hour, metric) in the pass's table, added if new; NULL if out of memory.
 */
static struct acc *acc_get(struct rollup *r, int64_t id, int64_t hour, int64_t metric, bool is_laeq)
{
    struct acc_table *t = &r->acc;
    uint64_t k;
    size_t i;

    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        struct acc *nv = xcalloc(ncap, sizeof(*nv));
        uint32_t *nslot = xcalloc(ncap, sizeof(*nslot));
        if (!nv || !nslot) {
            xfree(nv);
            xfree(nslot);
            return NULL;
        }
        if (t->n)
            memcpy(nv, t->v, t->n * sizeof(*nv));
        xfree(t->v);
        xfree(t->slot);
        t->v = nv;
        t->slot = nslot;
        t->cap = ncap;
        for (size_t j = 0; j < t->n; j++) {
            const struct acc *e = &t->v[j];
            k = ((uint64_t)e->id * 0x9E3779B97F4A7C15ULL) ^
                ((uint64_t)e->hour * 0xC2B2AE3D27D4EB4FULL) ^ (uint64_t)e->metric;
            for (i = (size_t)(k % t->cap); t->slot[i]; i = (i + 1) % t->cap)
                ;
            t->slot[i] = (uint32_t)j + 1;
        }
    }
    k = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)hour * 0xC2B2AE3D27D4EB4FULL) ^
        (uint64_t)metric;
    for (i = (size_t)(k % t->cap); t->slot[i]; i = (i + 1) % t->cap) {
        struct acc *e = &t->v[t->slot[i] - 1];
        if (e->id == id && e->hour == hour && e->metric == metric)
            return e;
    }
    t->slot[i] = (uint32_t)t->n + 1;
    t->v[t->n] = (struct acc){.id = id, .hour = hour, .metric = metric, .is_laeq = is_laeq};
    return &t->v[t->n++];
}

/* The accumulators in key order: rows are inserted in the order of their key. */
static void acc_sort(struct rollup *r)
{
    if (r->acc.n > 1)
        qsort(r->acc.v, r->acc.n, sizeof(*r->acc.v), acc_cmp);
}

static void acc_clear(struct rollup *r)
{
    if (r->acc.n)
        memset(r->acc.slot, 0, r->acc.cap * sizeof(*r->acc.slot));
    r->acc.n = 0;
}

/*
 * The hourly statistics of the segment's device-hours from one scan of
 * their readings (in key order: time, device, metric), accumulated here
 * rather than by a GROUP BY, which would sort every reading first.
 */
static int segment_hours(struct rollup *r, int64_t lo, int64_t hi)
{
    struct db_stmt *s, *ins;
    int rc = 0, step;

    acc_clear(r);
    s = query(r,
              "SELECT r.device_id, r.ts - r.ts % 3600000, r.metric_id, m.name = 'laeq', r.value "
              "FROM readings r CROSS JOIN temp.rollup_batch b ON b.hour = r.ts - r.ts % 3600000 "
              "AND b.device_id = r.device_id JOIN metrics m ON m.id = r.metric_id WHERE r.ts >= "
              "?1 AND r.ts < ?2 AND r.flags IN (0, 78)",
              "ii", lo, hi);
    if (!s)
        return COL_ERR_DB;
    while ((step = db_step(s)) == DB_ROW) {
        struct acc *a =
            acc_get(r, db_col_i64(s, 0), db_col_i64(s, 1), db_col_i64(s, 2), db_col_i64(s, 3) != 0);
        double v = db_col_f64(s, 4);
        if (!a) {
            rc = COL_ERR_NOMEM;
            break;
        }
        acc_add(a, v, v, v, v);
    }
    db_reset(s);
    if (rc || step < 0)
        return rc ? rc : step;
    acc_sort(r); /* inserts in key order */
    ins = db_prepare(r->st, "INSERT INTO hourly(device_id, metric_id, hour, n, mean, min, max, "
                            "sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!ins)
        return COL_ERR_DB;
    for (size_t i = 0; rc == 0 && i < r->acc.n; i++) {
        const struct acc *a = &r->acc.v[i];
        db_bind_i64(ins, 1, a->id);
        db_bind_i64(ins, 2, a->metric);
        db_bind_i64(ins, 3, a->hour);
        db_bind_i64(ins, 4, a->n_rows);
        db_bind_f64(ins, 5, acc_mean(a));
        db_bind_f64(ins, 6, a->min);
        db_bind_f64(ins, 7, a->max);
        db_bind_f64(ins, 8, a->sum);
        rc = db_run(ins);
    }
    acc_clear(r);
    return rc;
}

/*
 * A segment: device-hours of consecutive hours, computed together from one
 * scan of their readings (the readings key starts with the time, so the
 * scan is the segment's stretch of the table; each row is matched to its
 * device-hour in the batch table). Replaces the hours' statistics and
 * water samples, and clears them from dirty_hours.
 */
static int segment_flush(struct rollup *r)
{
    int64_t lo, hi;
    int rc;

    if (r->seg.n == 0)
        return 0;
    lo = r->seg.v[0].t;
    hi = r->seg.v[r->seg.n - 1].t + HOUR_MS;
    rc = run(r, "DELETE FROM temp.rollup_batch", "");
    for (size_t i = 0; rc == 0 && i < r->seg.n; i++)
        rc = run(r, "INSERT OR IGNORE INTO temp.rollup_batch(hour, device_id) VALUES (?1, ?2)",
                 "ii", r->seg.v[i].t, r->seg.v[i].id);
    if (rc == 0)
        rc = run(r,
                 "DELETE FROM hourly WHERE (device_id, hour) IN (SELECT device_id, hour FROM "
                 "temp.rollup_batch)",
                 "");
    if (rc == 0)
        rc = segment_hours(r, lo, hi);
    if (rc == 0)
        rc = segment_water(r, lo, hi);
    if (rc == 0)
        rc = run(r,
                 "DELETE FROM dirty_hours WHERE (hour, device_id) IN (SELECT hour, device_id FROM "
                 "temp.rollup_batch)",
                 "");
    r->seg.n = 0;
    return rc;
}

/* Whether r->site_hours.v[i0..i1) (one site, sorted by hour) holds hour @h. */
static bool in_site_hours(const struct rollup *r, size_t i0, size_t i1, int64_t h)
{
    while (i0 < i1) {
        size_t m = i0 + (i1 - i0) / 2;
        if (r->site_hours.v[m].t == h)
            return true;
        if (r->site_hours.v[m].t < h)
            i0 = m + 1;
        else
            i1 = m;
    }
    return false;
}

/*
 * The site hours r->site_hours.v[i0..i1) — one site, hours ascending, at
 * most a day apart — from the hourly rows of every device of the site
 * (those of this pass and the others), each device's stretch read along
 * its key, devices in id order as the site's mean has always summed them.
 */
static int site_run(struct rollup *r, size_t i0, size_t i1)
{
    const char *site = r->site_hours.v[i0].site;
    int64_t lo = r->site_hours.v[i0].t, hi = r->site_hours.v[i1 - 1].t;
    struct db_stmt *ins;
    int rc = 0, step;

    acc_clear(r);
    for (size_t d = 0; rc == 0 && d < r->n_site_devs; d++) {
        struct db_stmt *s = query(r,
                                  "SELECT h.hour, h.metric_id, m.name = 'laeq', h.mean, h.min, "
                                  "h.max, h.sum FROM hourly h JOIN metrics m ON m.id = "
                                  "h.metric_id WHERE h.device_id = ?1 AND h.hour >= ?2 AND "
                                  "h.hour <= ?3",
                                  "iii", r->site_devs[d], lo, hi);
        if (!s)
            return COL_ERR_DB;
        while ((step = db_step(s)) == DB_ROW) {
            int64_t h = db_col_i64(s, 0);
            struct acc *e;
            if (!in_site_hours(r, i0, i1, h))
                continue;
            e = acc_get(r, 0, h, db_col_i64(s, 1), db_col_i64(s, 2) != 0);
            if (!e) {
                rc = COL_ERR_NOMEM;
                break;
            }
            acc_add(e, db_col_f64(s, 3), db_col_f64(s, 4), db_col_f64(s, 5), db_col_f64(s, 6));
        }
        db_reset(s);
        if (rc == 0 && step < 0)
            rc = step;
    }
    acc_sort(r);
    ins = db_prepare(r->st, "INSERT INTO site_hourly(site, metric_id, hour, n_devices, mean, min, "
                            "max, sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (rc == 0 && !ins)
        rc = COL_ERR_DB;
    for (size_t i = 0; rc == 0 && i < r->acc.n; i++) {
        const struct acc *e = &r->acc.v[i];
        db_bind_text(ins, 1, site);
        db_bind_i64(ins, 2, e->metric);
        db_bind_i64(ins, 3, e->hour);
        db_bind_i64(ins, 4, e->n_rows);
        db_bind_f64(ins, 5, acc_mean(e));
        db_bind_f64(ins, 6, e->min);
        db_bind_f64(ins, 7, e->max);
        db_bind_f64(ins, 8, e->sum);
        rc = db_run(ins);
    }
    acc_clear(r);
    return rc;
}

/* The ids of the devices of @site, ascending, into r->site_devs. */
static int site_devices(struct rollup *r, const char *site)
{
    struct db_stmt *s = query(r, "SELECT id FROM devices WHERE site = ?1 ORDER BY id", "s", site);
    int step;

    r->n_site_devs = 0;
    if (!s)
        return COL_ERR_DB;
    while ((step = db_step(s)) == DB_ROW) {
        if (r->n_site_devs == r->site_devs_cap) {
            size_t ncap = r->site_devs_cap ? r->site_devs_cap * 2 : 16;
            int64_t *nv = xrealloc(r->site_devs, ncap * sizeof(*nv));
            if (!nv) {
                db_reset(s);
                return COL_ERR_NOMEM;
            }
            r->site_devs = nv;
            r->site_devs_cap = ncap;
        }
        r->site_devs[r->n_site_devs++] = db_col_i64(s, 0);
    }
    db_reset(s);
    return step < 0 ? step : 0;
}

/* The site hours of the pass (r->site_hours, sorted and unique), run by run. */
static int site_hours(struct rollup *r)
{
    size_t i0 = 0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < r->site_hours.n; i++)
        rc = run(r, "DELETE FROM site_hourly WHERE site = ?1 AND hour = ?2", "si",
                 r->site_hours.v[i].site, r->site_hours.v[i].t);
    for (size_t i = 1; rc == 0 && i <= r->site_hours.n; i++) {
        const struct item *p = &r->site_hours.v[i - 1], *c = &r->site_hours.v[i];
        bool same_site = i < r->site_hours.n && strcmp(p->site, c->site) == 0;
        if (same_site && c->t - p->t <= 24 * HOUR_MS)
            continue;
        if (i0 == 0 || strcmp(r->site_hours.v[i0].site, r->site_hours.v[i0 - 1].site) != 0)
            rc = site_devices(r, r->site_hours.v[i0].site);
        if (rc == 0)
            rc = site_run(r, i0, i);
        i0 = i;
    }
    return rc;
}

/* ---- days ---- */

/*
 * Accumulate the rows of @s — (metric_id, is_laeq, n, mean, min, max, sum)
 * of a lower tier, in time order — per metric into r->acc; @s is reset.
 */
static int acc_rows(struct rollup *r, struct db_stmt *s)
{
    int step, rc = 0;

    if (!s)
        return COL_ERR_DB;
    acc_clear(r);
    while ((step = db_step(s)) == DB_ROW) {
        struct acc *a = acc_get(r, 0, 0, db_col_i64(s, 0), db_col_i64(s, 1) != 0);
        if (!a) {
            rc = COL_ERR_NOMEM;
            break;
        }
        a->n_sum += db_col_i64(s, 2);
        acc_add(a, db_col_f64(s, 3), db_col_f64(s, 4), db_col_f64(s, 5), db_col_f64(s, 6));
    }
    db_reset(s);
    if (rc == 0 && step < 0)
        rc = step;
    if (rc == 0)
        acc_sort(r);
    return rc;
}

static int device_day(struct rollup *r, int64_t dev, int64_t t0)
{
    struct db_stmt *ins;
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(t0, &a, &b, day);
    rc = run(r, "DELETE FROM daily WHERE device_id = ?1 AND day = ?2", "is", dev, day);
    if (rc == 0)
        rc = acc_rows(r, query(r,
                               "SELECT h.metric_id, m.name = 'laeq', h.n, h.mean, h.min, h.max, "
                               "h.sum FROM hourly h JOIN metrics m ON m.id = h.metric_id WHERE "
                               "h.device_id = ?1 AND h.hour >= ?2 AND h.hour < ?3",
                               "iii", dev, a, b));
    ins = db_prepare(r->st, "INSERT INTO daily(device_id, metric_id, day, n_hours, n, mean, min, "
                            "max, sum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0 && !ins)
        rc = COL_ERR_DB;
    for (size_t i = 0; rc == 0 && i < r->acc.n; i++) {
        const struct acc *e = &r->acc.v[i];
        db_bind_i64(ins, 1, dev);
        db_bind_i64(ins, 2, e->metric);
        db_bind_text(ins, 3, day);
        db_bind_i64(ins, 4, e->n_rows);
        db_bind_i64(ins, 5, e->n_sum);
        db_bind_f64(ins, 6, acc_mean(e));
        db_bind_f64(ins, 7, e->min);
        db_bind_f64(ins, 8, e->max);
        db_bind_f64(ins, 9, e->sum);
        rc = db_run(ins);
    }
    acc_clear(r);
    return rc;
}

/* The site's daily statistics from its site hours; valid with 20 hours or more (HJ 663). */
static int site_daily(struct rollup *r, const char *site, const char *day, int64_t a, int64_t b)
{
    struct db_stmt *ins;
    int rc = run(r, "DELETE FROM site_daily WHERE site = ?1 AND day = ?2", "ss", site, day);

    if (rc == 0)
        rc = acc_rows(r, query(r,
                               "SELECT sh.metric_id, m.name = 'laeq', 0, sh.mean, sh.min, sh.max, "
                               "sh.sum FROM site_hourly sh JOIN metrics m ON m.id = sh.metric_id "
                               "WHERE sh.site = ?1 AND sh.hour >= ?2 AND sh.hour < ?3",
                               "sii", site, a, b));
    ins = db_prepare(r->st, "INSERT INTO site_daily(site, metric_id, day, n_hours, mean, min, "
                            "max, sum, is_valid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0 && !ins)
        rc = COL_ERR_DB;
    for (size_t i = 0; rc == 0 && i < r->acc.n; i++) {
        const struct acc *e = &r->acc.v[i];
        db_bind_text(ins, 1, site);
        db_bind_i64(ins, 2, e->metric);
        db_bind_text(ins, 3, day);
        db_bind_i64(ins, 4, e->n_rows);
        db_bind_f64(ins, 5, acc_mean(e));
        db_bind_f64(ins, 6, e->min);
        db_bind_f64(ins, 7, e->max);
        db_bind_f64(ins, 8, e->sum);
        db_bind_i64(ins, 9, e->n_rows >= 20);
        rc = db_run(ins);
    }
    acc_clear(r);
    return rc;
}

/*
 * The site's hourly means of the series the AQI and noise figures read,
 * for a stretch of hours: loaded with one query and read by every AQI hour
 * and day of the pass that falls inside it (they ask, site by site in time
 * order, for windows of 8 to 30 hours). Valid for one pass: the pass
 * writes the site hours before it reads any window.
 */
static const char *const win_metric[WIN_SERIES] = {"so2", "no2", "pm10", "pm25",
                                                   "co",  "o3",  "laeq", "lmax"};

static int win_series(const char *metric)
{
    for (int i = 0; i < WIN_SERIES; i++)
        if (strcmp(metric, win_metric[i]) == 0)
            return i;
    return -1;
}

static int win_load(struct rollup *r, const char *site, int64_t t0)
{
    struct window *w = &r->win;
    struct db_stmt *s;
    int rc;

    snprintf(w->site, sizeof(w->site), "%s", site);
    w->t0 = t0;
    w->n = 0;
    for (int k = 0; k < WIN_SERIES; k++)
        for (int i = 0; i < WIN_HOURS; i++)
            w->v[k][i] = NAN;
    s = query(r,
              "SELECT sh.hour, m.name, sh.mean FROM site_hourly sh JOIN metrics m ON m.id = "
              "sh.metric_id WHERE sh.site = ?1 AND sh.hour >= ?2 AND sh.hour < ?3",
              "sii", site, t0, t0 + (int64_t)WIN_HOURS * HOUR_MS);
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        int64_t i = (db_col_i64(s, 0) - t0) / HOUR_MS;
        const char *m = db_col_text(s, 1);
        int k = m ? win_series(m) : -1;
        if (k >= 0 && i >= 0 && i < WIN_HOURS)
            w->v[k][i] = db_col_f64(s, 2);
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    w->n = WIN_HOURS;
    return 0;
}

/* Hourly site means of @metric over [t0, t0 + n hours): vals[i], valid[i]. */
static int load_hours(struct rollup *r, const char *site, const char *metric, int64_t t0, int n,
                      double *vals, bool *valid, int *n_valid)
{
    struct window *w = &r->win;
    int k = win_series(metric), rc;
    int64_t off;

    *n_valid = 0;
    if (k < 0 || n > WIN_HOURS)
        return COL_ERR_INVAL;
    if (w->n == 0 || strcmp(w->site, site) != 0 || t0 < w->t0 ||
        t0 + (int64_t)n * HOUR_MS > w->t0 + (int64_t)w->n * HOUR_MS) {
        rc = win_load(r, site, t0);
        if (rc)
            return rc;
    }
    off = (t0 - w->t0) / HOUR_MS;
    for (int i = 0; i < n; i++) {
        vals[i] = w->v[k][off + i];
        valid[i] = isfinite(vals[i]);
        *n_valid += valid[i];
    }
    return 0;
}

/* "pm25+o3" from a pollutant bitmask, in the fixed order so2, no2, pm10, pm25, co, o3. */
static void primary_text(unsigned mask, char *out, size_t sz)
{
    static const enum hj633_pollutant order[] = {HJ633_SO2,  HJ633_NO2, HJ633_PM10,
                                                 HJ633_PM25, HJ633_CO,  HJ633_O3};
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (mask & HJ633_BIT(order[i]))
            n += (size_t)snprintf(out + n, sz - n, "%s%s", n ? "+" : "", aqi_metric[order[i]]);
}

static const char *const indicator_name[HJ633_N_INDICATORS] = {
    "so2_24h", "no2_24h", "pm10_24h", "pm25_24h", "co_24h", "so2_1h",
    "no2_1h",  "pm10_1h", "pm25_1h",  "co_1h",    "o3_1h",  "o3_8h",
};

static void iaqi_text(const struct hj633_aqi *a, unsigned missing, char *iaqi, size_t isz,
                      char *miss, size_t msz)
{
    size_t n = 0, k = 0;

    iaqi[0] = miss[0] = '\0';
    for (int i = 0; i < HJ633_N_INDICATORS; i++) {
        if (a && a->iaqi[i] >= 0)
            n += (size_t)snprintf(iaqi + n, isz - n, "%s%s=%d", n ? ";" : "", indicator_name[i],
                                  a->iaqi[i]);
        if (missing & HJ633_BIT(i))
            k += (size_t)snprintf(miss + k, msz - k, "%s%s", k ? "+" : "", indicator_name[i]);
        if (n >= isz || k >= msz)
            break;
    }
}

/* A value to store: NaN (bound as NULL) unless finite. */
static double or_nan(double x)
{
    return isfinite(x) ? x : NAN;
}

static double o3_8h_limit(int64_t t)
{
    double lim = 160;

    gb3095_limit(gb3095_edition_for(t), GB3095_O3, GB3095_8H, GB3095_GRADE_II, &lim);
    return lim;
}

static int aqi_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    static const enum hj633_indicator daily24[] = {HJ633_SO2_24H, HJ633_NO2_24H, HJ633_PM10_24H,
                                                   HJ633_PM25_24H, HJ633_CO_24H};
    static const enum hj633_pollutant daily24_p[] = {HJ633_SO2, HJ633_NO2, HJ633_PM10, HJ633_PM25,
                                                     HJ633_CO};
    double v[DAY_HOURS_MAX], conc[HJ633_N_INDICATORS];
    bool ok[DAY_HOURS_MAX];
    struct hj633_input in = {0};
    struct hj633_aqi a;
    enum hj633_edition ed;
    int n = (int)((t1 - t0) / HOUR_MS), nv, y, mo, d, any = 0, rc;
    char prim[64] = "", iaqi[256], miss[128];
    bool is_valid;
    unsigned need;

    if (n > DAY_HOURS_MAX)
        n = DAY_HOURS_MAX;
    for (int i = 0; i < HJ633_N_INDICATORS; i++)
        conc[i] = NAN;
    for (size_t i = 0; i < 5; i++) {
        double mean;
        if (load_hours(r, site, aqi_metric[daily24_p[i]], t0, n, v, ok, &nv))
            return COL_ERR_DB;
        any += nv;
        if (hj663_mean(v, ok, (size_t)n, 20, &mean, NULL) == 0) {
            in.conc[daily24[i]] = conc[daily24[i]] = mean;
            in.present[daily24[i]] = true;
        }
    }
    if (load_hours(r, site, "o3", t0, n, v, ok, &nv))
        return COL_ERR_DB;
    any += nv;
    if (nv >= 20) {
        double mx = -INFINITY;
        for (int i = 0; i < n; i++)
            if (ok[i] && v[i] > mx)
                mx = v[i];
        in.conc[HJ633_O3_1H] = conc[HJ633_O3_1H] = mx;
        in.present[HJ633_O3_1H] = true;
    }
    if (nv > 0 && n >= 24) {
        struct hj663_mda8 m8;
        if (hj663_o3_mda8(v, ok, (int)r->cfg->rollup.mda8_min_windows, o3_8h_limit(t0), &m8) == 0 &&
            m8.is_valid) {
            in.conc[HJ633_O3_8H] = conc[HJ633_O3_8H] = m8.value;
            in.present[HJ633_O3_8H] = true;
        }
    }
    rc = run(r, "DELETE FROM aqi_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc || any == 0)
        return rc;
    if (sscanf(day, "%d-%d-%d", &y, &mo, &d) != 3 || hj633_edition_for_day(y, mo, d, &ed))
        return COL_ERR_INVAL;
    need = HJ633_BIT(HJ633_SO2_24H) | HJ633_BIT(HJ633_NO2_24H) | HJ633_BIT(HJ633_PM10_24H) |
           HJ633_BIT(HJ633_PM25_24H) | HJ633_BIT(HJ633_CO_24H) | HJ633_BIT(HJ633_O3_8H);
    if (ed == HJ633_2012)
        need |= HJ633_BIT(HJ633_O3_1H);
    rc = hj633_aqi_daily(ed, &in, &a);
    if (rc == COL_ERR_NOTFOUND) {
        unsigned missing = need;
        iaqi_text(NULL, missing, iaqi, sizeof(iaqi), miss, sizeof(miss));
        return run(r, "INSERT INTO aqi_daily(site, day, edition, missing) VALUES (?1, ?2, ?3, ?4)",
                   "ssss", site, day, hj633_edition_name(ed), miss);
    }
    if (rc)
        return 0; /* a value the standard cannot take (negative): no AQI for the day */
    /* A day's AQI counts (good-day ratio, levels) only with every indicator of
     * its edition's set; 2026 §5.3.1 also publishes an incomplete AQI above 100. */
    is_valid = (a.missing & need) == 0 || (ed == HJ633_2026 && a.aqi > 100);
    if (is_valid && a.aqi > 50)
        primary_text(a.primary, prim, sizeof(prim));
    iaqi_text(&a, a.missing & need, iaqi, sizeof(iaqi), miss, sizeof(miss));
    rc = run(r,
             "INSERT INTO aqi_daily(site, day, edition, aqi, level, primary_pollutants, so2, "
             "no2, pm10, pm25, co, o3_1h, o3_8h, iaqi, missing, is_above_scale) VALUES (?1, ?2, "
             "?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END, CASE WHEN ?5 < 0 THEN NULL ELSE ?5 "
             "END, ?6, ?7, ?8, ?9, "
             "?10, ?11, ?12, "
             "?13, ?14, ?15, ?16)",
             "sssiisdddddddssi", site, day, hj633_edition_name(ed),
             (int64_t)(is_valid ? a.aqi : -1), (int64_t)(is_valid ? a.band->level : -1), prim,
             or_nan(conc[HJ633_SO2_24H]), or_nan(conc[HJ633_NO2_24H]), or_nan(conc[HJ633_PM10_24H]),
             or_nan(conc[HJ633_PM25_24H]), or_nan(conc[HJ633_CO_24H]), or_nan(conc[HJ633_O3_1H]),
             or_nan(conc[HJ633_O3_8H]), iaqi, miss, (int64_t)a.is_above_scale);
    if (rc)
        return rc;
    if (is_valid) {
        static const char *const names[] = {"so2", "no2", "pm10", "pm25", "co"};
        rc = alert(r, RULE_AQI_DAILY, "air", site, NULL, "aqi", "", (double)a.aqi, t0);
        for (size_t i = 0; rc == 0 && i < 5; i++)
            rc = alert(r, RULE_AQI_DAILY, "air", site, NULL, names[i], i == 4 ? "mg/m3" : "ug/m3",
                       conc[daily24[i]], t0);
        if (rc == 0)
            rc = alert(r, RULE_AQI_DAILY, "air", site, NULL, "o3_8h", "ug/m3", conc[HJ633_O3_8H],
                       t0);
        if (rc == 0)
            rc = alert(r, RULE_AQI_DAILY, "air", site, NULL, "o3_1h", "ug/m3", conc[HJ633_O3_1H],
                       t0);
    } else {
        /* concentrations of a day without a complete AQI still count on their own */
        rc = alert(r, RULE_AQI_DAILY, "air", site, NULL, "pm25", "ug/m3", conc[HJ633_PM25_24H], t0);
    }
    if (rc)
        return rc;
    return 0;
}

/* Real-time AQI of the hour starting @h (HJ 633 §1.6 / 2026 §4.2.3). */
static int aqi_hour(struct rollup *r, const char *site, int64_t h)
{
    double v[24], cur[HJ633_N_POLLUTANTS], m24[HJ633_N_POLLUTANTS], o3_8h = NAN;
    bool ok[24];
    struct hj633_input in = {0};
    struct hj633_aqi a;
    enum hj633_edition ed = hj633_edition_for(h);
    int nv, any = 0, rc;
    char prim[64] = "", iaqi[256], miss[128];

    for (int p = 0; p < HJ633_N_POLLUTANTS; p++) {
        if (load_hours(r, site, aqi_metric[p], h - 23 * HOUR_MS, 24, v, ok, &nv))
            return COL_ERR_DB;
        cur[p] = ok[23] ? v[23] : NAN;
        any += ok[23];
        m24[p] = NAN;
        hj663_mean(v, ok, 24, 20, &m24[p], NULL);
        if (p == HJ633_O3)
            hj663_mean(v + 16, ok + 16, 8, 6, &o3_8h, NULL);
    }
    rc = run(r, "DELETE FROM aqi_hourly WHERE site = ?1 AND hour = ?2", "si", site, h);
    if (rc || any == 0)
        return rc;
#define PUT(ind, val)                                                                              \
    do {                                                                                           \
        if (isfinite(val)) {                                                                       \
            in.conc[ind] = (val);                                                                  \
            in.present[ind] = true;                                                                \
        }                                                                                          \
    } while (0)
    PUT(HJ633_SO2_1H, cur[HJ633_SO2]);
    PUT(HJ633_NO2_1H, cur[HJ633_NO2]);
    PUT(HJ633_CO_1H, cur[HJ633_CO]);
    PUT(HJ633_O3_1H, cur[HJ633_O3]);
    if (ed == HJ633_2012) {
        PUT(HJ633_O3_8H, o3_8h);
        PUT(HJ633_PM10_24H, m24[HJ633_PM10]);
        PUT(HJ633_PM25_24H, m24[HJ633_PM25]);
        PUT(HJ633_SO2_24H, m24[HJ633_SO2]);
    } else {
        PUT(HJ633_PM10_1H, cur[HJ633_PM10]);
        PUT(HJ633_PM25_1H, cur[HJ633_PM25]);
    }
#undef PUT
    if (hj633_aqi_hourly(ed, &in, &a) != 0)
        return 0;
    if (a.is_publishable && a.aqi > 50)
        primary_text(a.primary, prim, sizeof(prim));
    iaqi_text(&a, a.missing, iaqi, sizeof(iaqi), miss, sizeof(miss));
    rc = run(r,
             "INSERT INTO aqi_hourly(site, hour, edition, aqi, level, primary_pollutants, so2, "
             "no2, co, o3, o3_8h, pm10, pm25, pm10_24h, pm25_24h, iaqi, missing) VALUES (?1, "
             "?2, ?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END, CASE WHEN ?5 < 0 THEN NULL ELSE "
             "?5 END, ?6, ?7, ?8, ?9, "
             "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
             "sisiisdddddddddss", site, h, hj633_edition_name(ed),
             (int64_t)(a.is_publishable ? a.aqi : -1),
             (int64_t)(a.is_publishable ? a.band->level : -1), prim, or_nan(cur[HJ633_SO2]),
             or_nan(cur[HJ633_NO2]), or_nan(cur[HJ633_CO]), or_nan(cur[HJ633_O3]), or_nan(o3_8h),
             or_nan(cur[HJ633_PM10]), or_nan(cur[HJ633_PM25]), or_nan(m24[HJ633_PM10]),
             or_nan(m24[HJ633_PM25]), iaqi, miss);
    if (rc)
        return rc;
    if (a.is_publishable)
        rc = alert(r, RULE_AQI_HOURLY, "air", site, NULL, "aqi", "", (double)a.aqi, h);
    if (rc == 0)
        rc = alert(r, RULE_AQI_HOURLY, "air", site, NULL, "o3_8h", "ug/m3", o3_8h, h);
    if (rc == 0)
        rc = alert(r, RULE_AQI_HOURLY, "air", site, NULL, "pm25", "ug/m3", cur[HJ633_PM25], h);
    if (rc)
        return rc;
    return 0;
}

static int water_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    struct db_stmt *s;
    struct gb3838_value vals[16];
    struct gb3838_result res;
    size_t n = 0;
    int64_t worst = 0, n_samples = 0;
    int rc;

    rc = run(r, "DELETE FROM water_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc)
        return rc;
    s = query(r,
              "SELECT m.name, sd.mean FROM site_daily sd JOIN metrics m ON m.id = "
              "sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2",
              "ss", site, day);
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW && n < sizeof(vals) / sizeof(vals[0]))
        if (water_param(db_col_text(s, 0), &vals[n].param) == 0)
            vals[n++].value = db_col_f64(s, 1);
    db_reset(s);
    if (rc < 0)
        return rc;
    if (n == 0 || gb3838_sample_class(site_info(r, site)->water, vals, n, &res) != 0)
        return 0;
    s = query(r,
              "SELECT max(class), count(*) FROM water_samples WHERE site = ?1 AND ts >= ?2 AND "
              "ts < ?3",
              "sii", site, t0, t1);
    if (!s)
        return COL_ERR_DB;
    if ((rc = db_step(s)) == DB_ROW) {
        worst = db_col_is_null(s, 0) ? 0 : db_col_i64(s, 0);
        n_samples = db_col_i64(s, 1);
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    rc = run(r,
             "INSERT INTO water_daily(site, day, class, deciding, is_partial, n_evaluated, "
             "worst_sample_class, n_samples) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8)",
             "ssisiiii", site, day, (int64_t)res.cls, gb3838_param_name(res.deciding),
             (int64_t)res.is_partial, (int64_t)res.n_evaluated, worst, n_samples);
    if (rc)
        return rc;
    return alert(r, RULE_WATER_DAILY, "water", site, NULL, "class", "", (double)res.cls, t0);
}

static int noise_day(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    double v[48], lx[48], dayv[24], nightv[24], ld = NAN, ln = NAN, lmax = -INFINITY;
    bool ok[48], okx[48];
    int nv, nx, nd = 0, nn = 0, rc;
    enum gb3096_zone zone;
    double ldl = NAN, lnl = NAN, ldo = NAN, lno = NAN, lmo = NAN;
    char zname[8];

    rc = run(r, "DELETE FROM noise_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc || load_hours(r, site, "laeq", t0, 30, v, ok, &nv))
        return rc ? rc : COL_ERR_DB;
    if (nv == 0)
        return 0;
    if (load_hours(r, site, "lmax", t0, 30, lx, okx, &nx))
        return COL_ERR_DB;
    /* Day: 06-22 of this day; night: 22-24 of this day and 00-06 of the next. */
    for (int i = 0; i < 30; i++) {
        int hour = cal_local_hour(t0 + i * HOUR_MS) + (i >= 24 ? 24 : 0);
        bool is_day = hour >= 6 && hour < 22;
        if (!ok[i] || hour < 6)
            continue;
        if (is_day)
            dayv[nd++] = v[i];
        else
            nightv[nn++] = v[i];
        if (!is_day && okx[i] && lx[i] > lmax)
            lmax = lx[i];
    }
    if (nd)
        gb3096_energy_mean(dayv, (size_t)nd, &ld);
    if (nn)
        gb3096_energy_mean(nightv, (size_t)nn, &ln);
    snprintf(zname, sizeof(zname), "%s", site_info(r, site)->zone);
    if (*zname && gb3096_zone_parse(zname, &zone) == 0) {
        gb3096_limit(zone, GB3096_DAY, &ldl);
        gb3096_limit(zone, GB3096_NIGHT, &lnl);
        if (nd)
            gb3096_exceedance(zone, GB3096_DAY, ld, &ldo);
        if (nn)
            gb3096_exceedance(zone, GB3096_NIGHT, ln, &lno);
        if (isfinite(lmax))
            gb3096_night_lmax_exceedance(zone, lmax, &lmo);
    }
#define NUL(x) or_nan(x)
    rc = run(r,
             "INSERT INTO noise_daily(site, day, zone, ld, ln, n_day_hours, n_night_hours, "
             "ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over) VALUES (?1, ?2, "
             "nullif(?3, ''), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
             "sssddiidddddd", site, day, zname, NUL(ld), NUL(ln), (int64_t)nd, (int64_t)nn,
             NUL(ldl), NUL(lnl), NUL(ldo), NUL(lno), NUL(lmax), NUL(lmo));
#undef NUL
    if (rc)
        return rc;
    rc = alert(r, RULE_NOISE_DAY, "noise", site, NULL, "ld", "dB(A)", ld, t0);
    if (rc == 0)
        rc = alert(r, RULE_NOISE_NIGHT, "noise", site, NULL, "ln", "dB(A)", ln, t0);
    if (rc == 0)
        rc = alert(r, RULE_NOISE_LMAX, "noise", site, NULL, "lmax", "dB(A)", lmax, t0);
    if (rc)
        return rc;
    return 0;
}

static int waste_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    /* Per bin: the category it reports, waste deposited (the sum of weight
     * increases, so emptying by a collection round is not counted), fill,
     * and events (overflow starting, hazard reports). */
    static const char sql[] =
        "WITH bins AS (SELECT d.id FROM devices d WHERE d.site = ?1),"
        " r AS (SELECT r.device_id AS dev, m.name AS metric, r.ts, r.value,"
        "   lag(r.value) OVER (PARTITION BY r.device_id, r.metric_id ORDER BY r.ts) AS prev"
        "   FROM readings r JOIN metrics m ON m.id = r.metric_id"
        "   WHERE r.device_id IN (SELECT id FROM bins) AND r.ts >= ?2 AND r.ts < ?3"
        "   AND m.name IN ('category', 'weight', 'fill', 'overflow', 'hazard')),"
        " per_bin AS (SELECT dev,"
        "   (SELECT value FROM r r2 WHERE r2.dev = r.dev AND r2.metric = 'category'"
        "    ORDER BY ts DESC LIMIT 1) AS category,"
        "   sum(CASE WHEN metric = 'weight' AND prev IS NOT NULL AND value > prev"
        "       THEN value - prev ELSE 0 END) AS deposited,"
        "   max(CASE WHEN metric = 'fill' THEN value END) AS max_fill,"
        "   (SELECT value FROM r r3 WHERE r3.dev = r.dev AND r3.metric = 'fill'"
        "    ORDER BY ts DESC LIMIT 1) AS last_fill,"
        "   sum(CASE WHEN metric = 'overflow' AND value >= 1 AND coalesce(prev, 0) < 1"
        "       THEN 1 ELSE 0 END) AS overflows,"
        "   sum(CASE WHEN metric = 'hazard' AND value >= 1 THEN 1 ELSE 0 END) AS hazards"
        "   FROM r GROUP BY dev)"
        " INSERT INTO waste_daily(site, day, category, n_bins, deposited_kg, max_fill, last_fill,"
        "   overflow_events, hazard_events)"
        " SELECT ?1, ?4, CAST(category AS INTEGER), count(*), sum(deposited), max(max_fill),"
        "   max(last_fill), sum(overflows), sum(hazards) FROM per_bin"
        "   WHERE category IS NOT NULL GROUP BY CAST(category AS INTEGER)";
    int rc = run(r, "DELETE FROM waste_daily WHERE site = ?1 AND day = ?2", "ss", site, day);

    if (rc == 0 && r->has_waste < 0) {
        /* once per pass: a gateway without waste bins skips the day's scan */
        struct db_stmt *s = query(r,
                                  "SELECT count(*) FROM metrics WHERE name IN ('category', "
                                  "'weight', 'fill', 'overflow', 'hazard')",
                                  "");
        rc = s ? db_step(s) : COL_ERR_DB;
        r->has_waste = rc == DB_ROW && db_col_i64(s, 0) > 0;
        db_reset(s);
        rc = rc < 0 ? rc : 0;
    }
    if (rc == 0 && r->has_waste)
        rc = run(r, sql, "siis", site, t0, t1, day);
    return rc;
}

/* Evaluate @series on each row (metric, unit, value) of the bound statement @s, reset here. */
static int alert_rows(struct rollup *r, struct db_stmt *s, enum rule_series series,
                      const char *site, int64_t t0)
{
    int rc = 0, step;

    if (!s)
        return COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        const char *m = db_col_text(s, 0);
        rc = alert(r, series, m ? domain_of_metric(m) : NULL, site, NULL, m, db_col_text(s, 1),
                   db_col_f64(s, 2), t0);
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Valid daily means of the day (RULE_DAILY). */
static int daily_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    if (!has_series(r, RULE_DAILY))
        return 0;
    return alert_rows(r,
                      query(r,
                            "SELECT m.name, m.unit, sd.mean FROM site_daily sd JOIN metrics m ON "
                            "m.id = sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2 AND "
                            "sd.is_valid",
                            "ss", site, day),
                      RULE_DAILY, site, t0);
}

/* Year-to-date figures as of @day: mean of valid daily means, good-day share. */
static int ytd_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    struct db_stmt *s;
    char jan1[11];
    int rc = 0;

    if (!r->rules.on_value)
        return 0;
    snprintf(jan1, sizeof(jan1), "%.4s-01-01", day);
    if (has_series(r, RULE_YTD_MEAN))
        rc = alert_rows(r,
                        query(r,
                              "SELECT m.name, m.unit, avg(sd.mean), count(*) FROM site_daily sd "
                              "JOIN metrics m ON m.id = sd.metric_id WHERE sd.site = ?1 AND "
                              "sd.day >= ?2 AND sd.day <= ?3 AND sd.is_valid GROUP BY m.name",
                              "sss", site, jan1, day),
                        RULE_YTD_MEAN, site, t0);
    if (rc == 0 && has_series(r, RULE_YTD_SHARE)) {
        s = query(r,
                  "SELECT 100.0 * sum(aqi <= 100) / count(*) FROM aqi_daily WHERE site = ?1 AND "
                  "day >= ?2 AND day <= ?3 AND aqi IS NOT NULL",
                  "sss", site, jan1, day);
        if (!s)
            return COL_ERR_DB;
        rc = db_step(s);
        if (rc == DB_ROW && !db_col_is_null(s, 0))
            rc = alert(r, RULE_YTD_SHARE, "air", site, NULL, "aqi", "%", db_col_f64(s, 0), t0);
        else if (rc > 0)
            rc = 0;
        db_reset(s);
    }
    return rc;
}

static int site_day(struct rollup *r, const char *site, int64_t t0)
{
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(t0, &a, &b, day);
    rc = run(r, "INSERT OR IGNORE INTO days(day) VALUES (?1)", "s", day);
    /* a day already sent to the data pool changed: the upload sends a new revision.
     * 'uploading' too: the export may have been read before this change. */
    if (rc == 0)
        rc = run(r,
                 "UPDATE upload_ledger SET changed_after_upload = 1 WHERE day = ?1 AND "
                 "state IN ('done', 'uploading')",
                 "s", day);
    if (rc == 0)
        rc = site_daily(r, site, day, a, b);
    if (rc == 0)
        rc = daily_alerts(r, site, a, day);
    if (rc == 0)
        rc = aqi_day(r, site, a, b, day);
    if (rc == 0)
        rc = water_day(r, site, a, b, day);
    if (rc == 0)
        rc = noise_day(r, site, a, day);
    /* waste figures come from raw readings: once retention removed them, the
     * day's stored figures are final (a late reading must not empty them) */
    if (rc == 0 && !(day_pruned(r, a) & 1))
        rc = waste_day(r, site, a, b, day);
    if (rc == 0)
        rc = ytd_alerts(r, site, a, day);
    return rc;
}

/*
 * The real-time AQI of every hour whose moving averages include a site
 * hour of the pass: each site hour h changes the AQI of h .. h + 23 h.
 * r->site_hours is sorted by (site, hour), so the union of those ranges
 * is walked site by site in time order, each hour once.
 */
static int aqi_hours(struct rollup *r)
{
    int64_t next = INT64_MIN; /* the first hour not computed yet in this site's walk */
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < r->site_hours.n; i++) {
        const struct item *it = &r->site_hours.v[i];
        int64_t from = it->t, to = it->t + 24 * HOUR_MS;
        if (i == 0 || strcmp(it->site, r->site_hours.v[i - 1].site) != 0)
            next = INT64_MIN;
        if (from < next)
            from = next;
        for (int64_t h = from; rc == 0 && h < to; h += HOUR_MS)
            rc = aqi_hour(r, it->site, h);
        if (to > next)
            next = to;
    }
    return rc;
}

/* ---- the pass ---- */

struct rollup *rollup_new(const struct config *cfg, struct store *st)
{
    struct rollup *r = xcalloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->cfg = cfg;
    r->st = st;
    r->budget_ms = 15;
    /* Recomputing a day reads a few thousand pages; keep them cached. The
     * batch tables live in memory (temp_store), per connection. */
    if (store_exec(st, "PRAGMA cache_size = -4096") ||
        db_define_number_fn(st, "xh_energy", fn_energy) ||
        db_define_number_fn(st, "xh_db", fn_db) ||
        store_exec(st,
                   "CREATE TEMP TABLE IF NOT EXISTS rollup_batch(hour INTEGER NOT NULL, "
                   "device_id INTEGER NOT NULL, PRIMARY KEY (hour, device_id)) WITHOUT ROWID")) {
        log_err("rollup: cannot prepare the connection");
        xfree(r);
        return NULL;
    }
    return r;
}

void rollup_set_rules(struct rollup *r, const struct rollup_rules *rules)
{
    if (!r)
        return;
    if (rules)
        r->rules = *rules;
    else
        memset(&r->rules, 0, sizeof(r->rules));
}

static void rules_committed(struct rollup *r, bool is_committed)
{
    if (r->rules.committed)
        r->rules.committed(r->rules.ud, is_committed);
}

void rollup_free(struct rollup *r)
{
    if (!r)
        return;
    xfree(r->seg.v);
    xfree(r->site_hours.v);
    xfree(r->device_days.v);
    xfree(r->site_days.v);
    xfree(r->dirty);
    xfree(r->acc.v);
    xfree(r->acc.slot);
    xfree(r->site_devs);
    xfree(r);
}

/* The oldest @max dirty (hour, device) pairs before @before_ms into r->dirty; their number. */
static long read_dirty(struct rollup *r, int max, int64_t before_ms)
{
    struct db_stmt *s;
    size_t n = 0;
    int rc;

    if ((size_t)max * 2 > r->dirty_cap) {
        int64_t *nv = xrealloc(r->dirty, (size_t)max * 2 * sizeof(*nv));
        if (!nv)
            return COL_ERR_NOMEM;
        r->dirty = nv;
        r->dirty_cap = (size_t)max * 2;
    }
    s = query(r,
              "SELECT hour, device_id FROM dirty_hours WHERE hour < ?2 ORDER BY hour, device_id "
              "LIMIT ?1",
              "ii", (int64_t)max, before_ms);
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW && n < (size_t)max) {
        r->dirty[2 * n] = db_col_i64(s, 0);
        r->dirty[2 * n + 1] = db_col_i64(s, 1);
        n++;
    }
    db_reset(s);
    return rc < 0 ? rc : (long)n;
}

/* What a computed device-hour of @site changes: its site hour, days, and 24 AQI hours. */
static int add_dependents(struct rollup *r, const char *site, int64_t dev, int64_t h)
{
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(h, &a, &b, day);
    rc = set_add(&r->site_hours, site, 0, h);
    if (rc == 0)
        rc = set_add(&r->device_days, NULL, dev, a);
    if (rc == 0)
        rc = set_add(&r->site_days, site, 0, a);
    /* the night of the previous day runs to 06:00 of this one */
    if (rc == 0 && cal_local_hour(h) < 6 && !(day_pruned(r, a - HOUR_MS) & 2)) {
        int64_t pa, pb;
        cal_day_bounds(a - HOUR_MS, &pa, &pb, day);
        rc = set_add(&r->site_days, site, 0, pa);
    }
    return rc; /* the AQI hours follow from the site hours (aqi_hours()) */
}

/*
 * The device-hours of the pass. Consecutive hours form a segment computed
 * with a few set-based statements; the rare ones are handled one by one:
 * a device that is gone (nothing to attach the hour to), a day whose raw
 * readings retention removed (merged into the stored hour), a day whose
 * hourly statistics are gone (its daily figures are final).
 */
static int collect(struct rollup *r, int max_hours, int64_t before_ms, int *n_done)
{
    int64_t t0 = mono_ms();
    long n = read_dirty(r, max_hours, before_ms);
    int64_t prev_h = INT64_MIN;
    int rc = 0;

    r->seg.n = r->site_hours.n = r->device_days.n = r->site_days.n = 0;
    *n_done = 0;
    if (n < 0)
        return (int)n;
    for (long i = 0; rc == 0 && i < n; i++) {
        int64_t h = r->dirty[2 * i], dev = r->dirty[2 * i + 1];
        char site[SITE_MAX], day[11];
        int pruned;

        if (h > prev_h + HOUR_MS)
            rc = segment_flush(r); /* a gap: the next segment starts here */
        if (rc)
            break;
        /* The pass holds the write lock: at a new hour, stop once the time
         * budget is spent (what depends on the hours so far costs about as
         * much again); the rest stays dirty for the next pass. */
        if (h != prev_h && i > 0 && r->budget_ms > 0 && mono_ms() - t0 >= r->budget_ms) {
            rc = segment_flush(r);
            break;
        }
        prev_h = h;
        pruned = day_pruned(r, h);
        rc = device_site(r, dev, site);
        if (rc == COL_ERR_NOTFOUND || (pruned & 2)) {
            if (pruned & 2) {
                cal_day_of(h, day);
                log_info("rollup: late data for %s, older than the hourly retention, is stored "
                         "but leaves that day's statistics as they are",
                         day);
            }
            rc = run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii", h, dev);
            continue;
        }
        if (rc == 0 && (pruned & 1)) {
            rc = merge_late_hour(r, dev, h);
            if (rc == 0)
                rc = run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii", h,
                         dev);
        } else if (rc == 0) {
            rc = set_add(&r->seg, NULL, dev, h);
        }
        if (rc == 0)
            rc = add_dependents(r, site, dev, h);
        if (rc == 0)
            (*n_done)++;
    }
    if (rc == 0)
        rc = segment_flush(r);
    return rc;
}

int rollup_step(struct rollup *r, int max_hours, int64_t before_ms)
{
    int n = 0, rc;

    pass_cache_clear(r);
    rc = store_begin(r->st);
    if (rc)
        return rc;
    rc = collect(r, max_hours, before_ms, &n);
    set_unique(&r->site_hours);
    set_unique(&r->device_days);
    set_unique(&r->site_days);
    if (rc == 0)
        rc = site_hours(r);
    r->win.n = 0; /* the site hours changed: windows are loaded from here on */
    for (size_t i = 0; rc == 0 && i < r->device_days.n; i++)
        rc = device_day(r, r->device_days.v[i].id, r->device_days.v[i].t);
    for (size_t i = 0; rc == 0 && i < r->site_days.n; i++)
        rc = site_day(r, r->site_days.v[i].site, r->site_days.v[i].t);
    if (rc == 0)
        rc = aqi_hours(r);
    if (rc) {
        store_rollback(r->st);
        rules_committed(r, false);
        return rc;
    }
    rc = store_commit(r->st);
    rules_committed(r, rc == 0);
    return rc ? rc : n;
}

void rollup_set_budget(struct rollup *r, int64_t ms)
{
    if (r)
        r->budget_ms = ms > 0 ? ms : 0;
}

int64_t rollup_pending(struct rollup *r)
{
    struct db_stmt *s = query(r, "SELECT count(*) FROM dirty_hours", "");
    int64_t n;
    int rc;

    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    n = rc == DB_ROW ? db_col_i64(s, 0) : rc;
    db_reset(s);
    return n;
}

/* True when no hour in [t0, t1) waits for the rollups (its figures are final). */
static int is_settled(struct rollup *r, int64_t t0, int64_t t1)
{
    struct db_stmt *s =
        query(r, "SELECT 1 FROM dirty_hours WHERE hour >= ?1 AND hour < ?2 LIMIT 1", "ii", t0, t1);
    int rc;

    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    db_reset(s);
    return rc < 0 ? rc : rc == DB_DONE;
}

/*
 * The oldest day before @cutoff that @sql (a list of candidate days, oldest
 * first, with ?1 the cutoff and ?2 @flag) gives and whose hours in [day
 * start, day end + @margin_ms) are all rolled up, into @day ("" for none).
 * Hours still pending elsewhere (the open hour of a live gateway) do not
 * hold a day back.
 */
static int prunable_day(struct rollup *r, const char *sql, const char *cutoff, int64_t flag,
                        int64_t margin_ms, char day[11])
{
    char cand[8][11];
    int n = 0, rc;
    struct db_stmt *s = query(r, sql, "si", cutoff, flag);

    day[0] = '\0';
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW && n < 8)
        db_col_copy(s, 0, cand[n++], sizeof(cand[0]));
    db_reset(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        int64_t a, b;
        char d2[11];
        if (cal_day_start(cand[i], &a))
            continue;
        cal_day_bounds(a, &a, &b, d2);
        rc = is_settled(r, a, b + margin_ms);
        if (rc < 0)
            return rc;
        if (rc) {
            memcpy(day, cand[i], 11);
            return 0;
        }
    }
    return 0;
}

/* Delete @sql's rows (?1, ?2 a time range) in slices of at most ROWS_PER_TX, each committed. */
#define ROWS_PER_TX 2000
static int delete_in_slices(struct rollup *r, const char *sql, int64_t t0, int64_t t1)
{
    int64_t n;
    int rc;

    do {
        rc = store_begin(r->st);
        if (rc == 0)
            rc = run(r, sql, "iii", t0, t1, (int64_t)ROWS_PER_TX);
        n = rc == 0 ? db_changes(r->st) : 0;
        if (rc) {
            store_rollback(r->st);
            return rc;
        }
        rc = store_commit(r->st);
        if (rc)
            return rc;
    } while (n >= ROWS_PER_TX);
    return 0;
}

int rollup_retention(struct rollup *r, int64_t now_ms, bool require_upload)
{
    const struct cfg_retention *ret = &r->cfg->storage.retention;
    char cutoff[11], day[11] = "";
    int64_t a, b;
    int rc, n_pruned = 0;

    pass_cache_clear(r);
    if (ret->raw_ms > 0) {
        cal_day_of(now_ms - ret->raw_ms, cutoff);
        rc = prunable_day(r,
                          "SELECT day FROM days WHERE raw_pruned = 0 AND day < ?1 AND (?2 = 0 OR "
                          "day IN (SELECT day FROM upload_ledger WHERE state = 'done' AND "
                          "changed_after_upload = 0)) ORDER BY day LIMIT 8",
                          cutoff, require_upload, 0, day);
        if (rc)
            return rc;
    }
    if (*day && cal_day_start(day, &a) == 0) {
        char d2[11];
        cal_day_bounds(a, &a, &b, d2);
        /* In slices: a day of a large fleet is millions of rows, and ingest
         * waits for the write lock while a slice runs. */
        rc = delete_in_slices(r,
                              "DELETE FROM readings WHERE (ts, device_id, metric_id) IN (SELECT "
                              "ts, device_id, metric_id FROM readings WHERE ts >= ?1 AND ts < ?2 "
                              "LIMIT ?3)",
                              a, b);
        if (rc == 0)
            rc = run(r, "UPDATE days SET raw_pruned = 1 WHERE day = ?1", "s", day);
        if (rc)
            return rc;
        log_info("retention: raw readings of %s removed (statistics kept)", day);
        n_pruned++;
    }
    day[0] = '\0';
    if (ret->hourly_ms > 0) {
        /* Whole days, oldest first, once their rollups are complete (daily
         * figures are then final), and those of the next day's first hours
         * too (its AQI hours read this day's last 23 hours). */
        cal_day_of(now_ms - ret->hourly_ms, cutoff);
        rc = prunable_day(r,
                          "SELECT day FROM days WHERE hourly_pruned = 0 AND day < ?1 AND ?2 = ?2 "
                          "ORDER BY day LIMIT 8",
                          cutoff, 0, 24 * HOUR_MS, day);
        if (rc)
            return rc;
    }
    if (*day && cal_day_start(day, &a) == 0) {
        char d2[11];
        cal_day_bounds(a, &a, &b, d2);
        rc = store_begin(r->st);
        if (rc == 0)
            rc = run(r, "DELETE FROM hourly WHERE hour >= ?1 AND hour < ?2", "ii", a, b);
        if (rc == 0)
            rc = run(r, "DELETE FROM site_hourly WHERE hour >= ?1 AND hour < ?2", "ii", a, b);
        if (rc == 0)
            rc = run(r, "DELETE FROM aqi_hourly WHERE hour >= ?1 AND hour < ?2", "ii", a, b);
        if (rc == 0)
            rc = run(r, "UPDATE days SET hourly_pruned = 1 WHERE day = ?1", "s", day);
        if (rc) {
            store_rollback(r->st);
            return rc;
        }
        rc = store_commit(r->st);
        if (rc)
            return rc;
        n_pruned++;
    }
    return n_pruned;
}
