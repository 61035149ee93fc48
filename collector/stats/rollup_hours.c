/*
 * Device and site hours and days (see rollup_int.h): each tier from one
 * scan of the tier below, aggregated here the way SQLite's aggregates
 * would, in key order; the water samples of the device-hours; late data
 * for a day whose raw readings are gone.
 */
#include "rollup_int.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- device and site hours ---- */

static const char *const water_params[] = {"ph",   "do", "codmn", "cod", "bod5",
                                           "nh3n", "tp", "tn",    NULL};

int ru_water_param(const char *metric, enum gb3838_param *p)
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

    if (gb3838_sample_class(ru_site_info(r, site)->water, vals, n, &res) != 0)
        return 0;
    s = ru_query(r, "SELECT name FROM devices WHERE id = ?1", "i", dev);
    if (s && db_step(s) == DB_ROW)
        db_col_copy(s, 0, dev_name, sizeof(dev_name));
    db_reset(s);
    rc = ru_alert(r, RULE_WATER_SAMPLE, "water", site, dev_name, "class", "", (double)res.cls, ts);
    if (rc == 0)
        rc = ru_run(r,
                    "INSERT OR REPLACE INTO water_samples(device_id, ts, site, class, deciding, "
                    "is_partial, n_evaluated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "iisisii", dev, ts, site, (int64_t)res.cls, gb3838_param_name(res.deciding),
                    (int64_t)res.is_partial, (int64_t)res.n_evaluated);
    return rc;
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
int ru_merge_late_hour(struct rollup *r, int64_t dev, int64_t h)
{
    /* LAeq merges by energy like every LAeq mean (GB 3096): 10 lg of the
     * mean of 10^(L/10) over the stored n readings and the late ones. */
    int rc = ru_run(
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
        rc = ru_run(r, "DELETE FROM readings WHERE ts >= ?1 AND ts < ?2 AND device_id = ?3", "iii",
                    h, h + HOUR_MS, dev);
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
        a->energy_sum += ru_fn_energy(mean);
    else
        a->mean_sum += mean;
}

static double acc_mean(const struct acc *a)
{
    if (a->n_means == 0)
        return NAN;
    if (a->is_laeq)
        return ru_fn_db(a->energy_sum / (double)a->n_means);
    return a->mean_sum / (double)a->n_means;
}

/* The order of an (id, hour, metric) key: the order of the tables' keys. */
static int key_cmp(int64_t id_a, int64_t hour_a, int64_t metric_a, int64_t id_b, int64_t hour_b,
                   int64_t metric_b)
{
    if (id_a != id_b)
        return id_a < id_b ? -1 : 1;
    if (hour_a != hour_b)
        return hour_a < hour_b ? -1 : 1;
    return metric_a < metric_b ? -1 : metric_a > metric_b;
}

static int acc_cmp(const void *x, const void *y)
{
    const struct acc *a = x, *b = y;

    return key_cmp(a->id, a->hour, a->metric, b->id, b->hour, b->metric);
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
 * Where a table's accumulated rows go: the key of the rows (a device, or a
 * site), the day for daily tables (NULL: each row's hour), and the INSERT,
 * whose named parameters (:key :metric :t :rows :n :mean :min :max :sum
 * :valid) are bound when the SQL uses them.
 */
struct acc_target {
    const char *sql;
    int64_t device;
    const char *site; /* non-NULL: the key is this site */
    const char *day;
    bool keep; /* device-hours: the rows are kept in r->wrote for the pass's site hours */
};

/* Keep a device-hour row as it is stored, for the site hours of the pass. */
static int wrote_add(struct rollup *r, const struct acc *e, double mean)
{
    struct dh_row *nv = xgrow(r->wrote, &r->wrote_cap, r->n_wrote + 1, sizeof(*nv), 256);

    if (!nv)
        return COL_ERR_NOMEM;
    r->wrote = nv;
    r->wrote[r->n_wrote++] =
        (struct dh_row){e->id, e->hour, e->metric, mean, e->min, e->max, e->sum};
    return 0;
}

/* Insert r->acc's rows (in key order) into @to's table, then clear them. */
static int acc_insert(struct rollup *r, const struct acc_target *to)
{
    static const char *const names[] = {":key",  ":metric", ":t",   ":rows", ":n",
                                        ":mean", ":min",    ":max", ":sum",  ":valid"};
    enum { KEY, METRIC, T, ROWS, N, MEAN, MIN, MAX, SUM, VALID, N_PARAMS };
    struct db_stmt *ins = db_prepare(r->st, to->sql);
    int rc = ins ? 0 : COL_ERR_DB, at[N_PARAMS];

    /* the statement's parameters by name, once: every row binds all of them */
    for (int k = 0; ins && k < N_PARAMS; k++)
        at[k] = db_param(ins, names[k]);
    acc_sort(r);
    for (size_t i = 0; rc == 0 && i < r->acc.n; i++) {
        const struct acc *e = &r->acc.v[i];
        if (to->site)
            db_bind_text(ins, at[KEY], to->site);
        else
            db_bind_i64(ins, at[KEY], to->device ? to->device : e->id);
        db_bind_i64(ins, at[METRIC], e->metric);
        if (to->day)
            db_bind_text(ins, at[T], to->day);
        else
            db_bind_i64(ins, at[T], e->hour);
        double mean = acc_mean(e);
        db_bind_i64(ins, at[ROWS], e->n_rows);
        db_bind_i64(ins, at[N], e->n_sum);
        db_bind_f64(ins, at[MEAN], mean);
        db_bind_f64(ins, at[MIN], e->min);
        db_bind_f64(ins, at[MAX], e->max);
        db_bind_f64(ins, at[SUM], e->sum);
        db_bind_i64(ins, at[VALID], e->n_rows >= 20); /* HJ 663: 20 hours a day */
        rc = db_run(ins);
        if (rc == 0 && to->keep)
            rc = wrote_add(r, e, mean);
    }
    acc_clear(r);
    return rc;
}

/* A device's water readings at one time, collected while its segment is scanned. */
struct water_acc {
    int64_t dev, ts;
    char site[SITE_MAX];
    struct gb3838_value vals[16];
    size_t n;
};

/* Add a water reading; the sample before it is evaluated when this one starts a new sample. */
static int water_add(struct rollup *r, struct water_acc *w, int64_t dev, int64_t ts,
                     enum gb3838_param p, double v)
{
    int rc = 0;

    if (w->n > 0 && (ts != w->ts || dev != w->dev)) {
        rc = water_sample(r, w->dev, w->site, w->ts, w->vals, w->n);
        w->n = 0;
    }
    if (dev != w->dev && ru_device_site(r, dev, w->site) != 0)
        w->site[0] = '\0';
    w->dev = dev;
    w->ts = ts;
    if (w->n < sizeof(w->vals) / sizeof(w->vals[0]))
        w->vals[w->n++] = (struct gb3838_value){.param = p, .value = v};
    return rc;
}

/* The segment's old water samples, when there are water metrics at all. */
static int segment_water_clear(struct rollup *r)
{
    int rc = ru_has_water(r);

    for (size_t i = 0; rc > 0 && i < r->seg.n; i++)
        rc = ru_run(r, "DELETE FROM water_samples WHERE device_id = ?1 AND ts >= ?2 AND ts < ?3",
                    "iii", r->seg.v[i].id, r->seg.v[i].t, r->seg.v[i].t + HOUR_MS);
    return rc < 0 ? rc : 0;
}

/*
 * The hourly statistics and water samples of the segment's device-hours
 * from one scan of their readings (in key order: time, device, metric, so
 * a sample's readings are adjacent), accumulated here rather than by a
 * GROUP BY, which would sort every reading first.
 */
static int segment_hours(struct rollup *r, int64_t lo, int64_t hi)
{
    struct water_acc w = {.dev = 0, .ts = INT64_MIN, .n = 0};
    struct db_stmt *s;
    int rc = segment_water_clear(r), step = 0;

    acc_clear(r);
    s = rc ? NULL
           : ru_query(r,
                      "SELECT r.device_id, r.ts, r.metric_id, r.value FROM readings r CROSS JOIN "
                      "temp.rollup_batch b ON b.hour = r.ts - r.ts % 3600000 AND b.device_id = "
                      "r.device_id WHERE r.ts >= ?1 AND r.ts < ?2 AND r.flags IN (0, 78)",
                      "ii", lo, hi);
    if (!s)
        return rc ? rc : COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        int64_t dev = db_col_i64(s, 0), ts = db_col_i64(s, 1), metric = db_col_i64(s, 2);
        int kind = ru_metric_kind(r, metric);
        double v = db_col_f64(s, 3);
        struct acc *a = acc_get(r, dev, ts - ts % HOUR_MS, metric, kind == RU_LAEQ);
        if (!a) {
            rc = COL_ERR_NOMEM;
            break;
        }
        acc_add(a, v, v, v, v);
        if (kind >= RU_WATER)
            rc = water_add(r, &w, dev, ts, (enum gb3838_param)(kind - RU_WATER), v);
    }
    db_reset(s);
    if (rc == 0 && step < 0)
        rc = step;
    if (rc == 0 && w.n > 0)
        rc = water_sample(r, w.dev, w.site, w.ts, w.vals, w.n);
    if (rc)
        return rc;
    return acc_insert(
        r, &(struct acc_target){"INSERT INTO hourly(device_id, metric_id, hour, n, mean, min, max, "
                                "sum) VALUES (:key, :metric, :t, :rows, :mean, :min, :max, :sum)",
                                0, NULL, NULL, true});
}

/*
 * A segment: device-hours of consecutive hours, computed together from one
 * scan of their readings (the readings key starts with the time, so the
 * scan is the segment's stretch of the table; each row is matched to its
 * device-hour in the batch table). Replaces the hours' statistics and
 * water samples, and clears them from dirty_hours.
 */
int ru_segment_flush(struct rollup *r)
{
    int64_t lo, hi;
    int rc;

    if (r->seg.n == 0)
        return 0;
    lo = r->seg.v[0].t;
    hi = r->seg.v[r->seg.n - 1].t + HOUR_MS;
    rc = ru_run(r, "DELETE FROM temp.rollup_batch", "");
    for (size_t i = 0; rc == 0 && i < r->seg.n; i++)
        rc = ru_run(r, "INSERT OR IGNORE INTO temp.rollup_batch(hour, device_id) VALUES (?1, ?2)",
                    "ii", r->seg.v[i].t, r->seg.v[i].id);
    if (rc == 0)
        rc = ru_run(r,
                    "DELETE FROM hourly WHERE (device_id, hour) IN (SELECT device_id, hour FROM "
                    "temp.rollup_batch)",
                    "");
    if (rc == 0)
        rc = segment_hours(r, lo, hi);
    for (size_t i = 0; rc == 0 && i < r->seg.n; i++) {
        int64_t *nv = xgrow(r->wrote_pairs, &r->wrote_pairs_cap, 2 * (r->n_wrote_pairs + 1),
                            sizeof(*nv), 512);
        if (!nv) {
            rc = COL_ERR_NOMEM;
            break;
        }
        r->wrote_pairs = nv;
        r->wrote_pairs[2 * r->n_wrote_pairs] = r->seg.v[i].id;
        r->wrote_pairs[2 * r->n_wrote_pairs + 1] = r->seg.v[i].t;
        r->n_wrote_pairs++;
    }
    if (rc == 0)
        rc = ru_run(
            r,
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

static int pair_cmp(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;

    return key_cmp(a[0], a[1], 0, b[0], b[1], 0);
}

static int dh_cmp(const void *x, const void *y)
{
    const struct dh_row *a = x, *b = y;

    return key_cmp(a->dev, a->hour, a->metric, b->dev, b->hour, b->metric);
}

/* r->wrote and its pairs in key order (device, hour, metric), once a pass. */
static void wrote_sort(struct rollup *r)
{
    if (r->wrote_sorted)
        return;
    if (r->n_wrote > 1)
        qsort(r->wrote, r->n_wrote, sizeof(*r->wrote), dh_cmp);
    if (r->n_wrote_pairs > 1)
        qsort(r->wrote_pairs, r->n_wrote_pairs, 2 * sizeof(*r->wrote_pairs), pair_cmp);
    r->wrote_sorted = true;
}

/*
 * Whether this pass wrote every hour of r->site_hours.v[i0..i1) of device
 * @dev: then its rows are in r->wrote exactly as `hourly` holds them, and
 * the site hours need not read them back.
 */
static bool wrote_all(struct rollup *r, int64_t dev, size_t i0, size_t i1)
{
    wrote_sort(r);
    for (size_t i = i0; i < i1; i++) {
        int64_t key[2] = {dev, r->site_hours.v[i].t};
        if (!bsearch(key, r->wrote_pairs, r->n_wrote_pairs, 2 * sizeof(*key), pair_cmp))
            return false;
    }
    return true;
}

/* Add @dev's rows of the site hours v[i0..i1) from r->wrote, in the order `hourly` keeps them. */
static int site_add_wrote(struct rollup *r, int64_t dev, size_t i0, size_t i1)
{
    int64_t lo = r->site_hours.v[i0].t, hi = r->site_hours.v[i1 - 1].t;
    size_t a = 0, b = r->n_wrote;

    while (a < b) { /* the first row of (dev, lo) or after */
        size_t m = a + (b - a) / 2;
        const struct dh_row *w = &r->wrote[m];
        if (w->dev < dev || (w->dev == dev && w->hour < lo))
            a = m + 1;
        else
            b = m;
    }
    for (; a < r->n_wrote && r->wrote[a].dev == dev && r->wrote[a].hour <= hi; a++) {
        const struct dh_row *w = &r->wrote[a];
        struct acc *e;
        if (!in_site_hours(r, i0, i1, w->hour))
            continue;
        e = acc_get(r, 0, w->hour, w->metric, ru_metric_kind(r, w->metric) == RU_LAEQ);
        if (!e)
            return COL_ERR_NOMEM;
        acc_add(e, w->mean, w->min, w->max, w->sum);
    }
    return 0;
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
    int rc = 0, step;

    acc_clear(r);
    for (size_t d = 0; rc == 0 && d < r->n_site_devs; d++) {
        if (wrote_all(r, r->site_devs[d], i0, i1)) {
            rc = site_add_wrote(r, r->site_devs[d], i0, i1);
            continue;
        }
        struct db_stmt *s = ru_query(r,
                                     "SELECT h.hour, h.metric_id, h.mean, h.min, h.max, h.sum "
                                     "FROM hourly h WHERE h.device_id = ?1 AND h.hour >= ?2 AND "
                                     "h.hour <= ?3",
                                     "iii", r->site_devs[d], lo, hi);
        if (!s)
            return COL_ERR_DB;
        while ((step = db_step(s)) == DB_ROW) {
            int64_t h = db_col_i64(s, 0);
            struct acc *e;
            if (!in_site_hours(r, i0, i1, h))
                continue;
            int64_t metric = db_col_i64(s, 1);
            e = acc_get(r, 0, h, metric, ru_metric_kind(r, metric) == RU_LAEQ);
            if (!e) {
                rc = COL_ERR_NOMEM;
                break;
            }
            acc_add(e, db_col_f64(s, 2), db_col_f64(s, 3), db_col_f64(s, 4), db_col_f64(s, 5));
        }
        db_reset(s);
        if (rc == 0 && step < 0)
            rc = step;
    }
    if (rc)
        return rc;
    return acc_insert(r, &(struct acc_target){"INSERT INTO site_hourly(site, metric_id, hour, "
                                              "n_devices, mean, min, max, sum) VALUES (:key, "
                                              ":metric, :t, :rows, :mean, :min, :max, :sum)",
                                              0, site, NULL, false});
}

/* The ids of the devices of @site, ascending, into r->site_devs. */
static int site_devices(struct rollup *r, const char *site)
{
    struct db_stmt *s =
        ru_query(r, "SELECT id FROM devices WHERE site = ?1 ORDER BY id", "s", site);
    int step;

    r->n_site_devs = 0;
    if (!s)
        return COL_ERR_DB;
    while ((step = db_step(s)) == DB_ROW) {
        int64_t *nv = xgrow(r->site_devs, &r->site_devs_cap, r->n_site_devs + 1, sizeof(*nv), 16);
        if (!nv) {
            db_reset(s);
            return COL_ERR_NOMEM;
        }
        r->site_devs = nv;
        r->site_devs[r->n_site_devs++] = db_col_i64(s, 0);
    }
    db_reset(s);
    return step < 0 ? step : 0;
}

/* The site hours of the pass (r->site_hours, sorted and unique), run by run. */
int ru_site_hours(struct rollup *r)
{
    size_t i0 = 0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < r->site_hours.n; i++)
        rc = ru_run(r, "DELETE FROM site_hourly WHERE site = ?1 AND hour = ?2", "si",
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
 * Accumulate the rows of @s — (metric_id, n, mean, min, max, sum)
 * of a lower tier, in time order — per metric into r->acc; @s is reset.
 */
static int acc_rows(struct rollup *r, struct db_stmt *s)
{
    int step, rc = 0;

    if (!s)
        return COL_ERR_DB;
    acc_clear(r);
    while ((step = db_step(s)) == DB_ROW) {
        int64_t metric = db_col_i64(s, 0);
        struct acc *a = acc_get(r, 0, 0, metric, ru_metric_kind(r, metric) == RU_LAEQ);
        if (!a) {
            rc = COL_ERR_NOMEM;
            break;
        }
        a->n_sum += db_col_i64(s, 1);
        acc_add(a, db_col_f64(s, 2), db_col_f64(s, 3), db_col_f64(s, 4), db_col_f64(s, 5));
    }
    db_reset(s);
    if (rc == 0 && step < 0)
        rc = step;
    if (rc == 0)
        acc_sort(r);
    return rc;
}

int ru_device_day(struct rollup *r, int64_t dev, int64_t t0)
{
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(t0, &a, &b, day);
    rc = ru_run(r, "DELETE FROM daily WHERE device_id = ?1 AND day = ?2", "is", dev, day);
    if (rc == 0)
        rc = acc_rows(r, ru_query(r,
                                  "SELECT h.metric_id, h.n, h.mean, h.min, h.max, h.sum FROM "
                                  "hourly h WHERE h.device_id = ?1 AND h.hour >= ?2 AND h.hour < "
                                  "?3",
                                  "iii", dev, a, b));
    if (rc)
        return rc;
    return acc_insert(r, &(struct acc_target){"INSERT INTO daily(device_id, metric_id, day, "
                                              "n_hours, n, mean, min, max, sum) VALUES (:key, "
                                              ":metric, :t, :rows, :n, :mean, :min, :max, :sum)",
                                              dev, NULL, day, false});
}

/* The site's daily statistics from its site hours; valid with 20 hours or more (HJ 663). */
int ru_site_daily(struct rollup *r, const char *site, const char *day, int64_t a, int64_t b)
{
    int rc = ru_run(r, "DELETE FROM site_daily WHERE site = ?1 AND day = ?2", "ss", site, day);

    if (rc == 0)
        rc = acc_rows(r,
                      ru_query(r,
                               "SELECT sh.metric_id, 0, sh.mean, sh.min, sh.max, sh.sum FROM "
                               "site_hourly sh WHERE sh.site = ?1 AND sh.hour >= ?2 AND sh.hour < "
                               "?3",
                               "sii", site, a, b));
    if (rc)
        return rc;
    return acc_insert(r, &(struct acc_target){"INSERT INTO site_daily(site, metric_id, day, "
                                              "n_hours, mean, min, max, sum, is_valid) VALUES "
                                              "(:key, :metric, :t, :rows, :mean, :min, :max, "
                                              ":sum, :valid)",
                                              0, site, day, false});
}
