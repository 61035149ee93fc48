/*
 * Rollup passes (see rollup.h). A pass takes a batch of dirty device-hours
 * and recomputes, in order: the device hours; the site hours they feed;
 * the device and site days containing them; the day's AQI, water class,
 * noise and waste figures; and the site's real-time AQI for the 24 hours
 * whose moving averages include a changed hour. Every recompute deletes and
 * rewrites its rows from the level below, so running a pass twice, or
 * receiving data late, changes nothing that on-time data would not have.
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
#include "store/store.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
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

struct rollup {
    struct rollup_rules rules; /* derived-series rules; all NULL = none */
    const struct config *cfg;
    struct store *st;
    sqlite3 *db;
    struct itemset site_hours, device_days, site_days, aqi_hours;
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

static void fn_energy(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_double(ctx, pow(10.0, sqlite3_value_double(argv[0]) / 10.0));
}

static void fn_db(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    double e;

    (void)argc;
    e = sqlite3_value_double(argv[0]);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || e <= 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_double(ctx, 10.0 * log10(e));
}

/* Prepare @sql, bind "?" parameters from @fmt ('i' int64, 'd' double, 's' text), step to done. */
static int run(struct rollup *r, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *s = NULL;
    va_list ap;
    int rc = 0, i = 1;

    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return store_error(r->st, "rollup prepare");
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++, i++) {
        if (*f == 'i')
            sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
        else if (*f == 'd')
            sqlite3_bind_double(s, i, va_arg(ap, double));
        else
            sqlite3_bind_text(s, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
    }
    va_end(ap);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_error(r->st, "rollup");
    sqlite3_finalize(s);
    return rc;
}

static int prepare(struct rollup *r, const char *sql, sqlite3_stmt **s)
{
    if (sqlite3_prepare_v2(r->db, sql, -1, s, NULL) != SQLITE_OK)
        return store_error(r->st, "rollup prepare");
    return 0;
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
    for (size_t i = 0; water_params[i]; i++)
        if (strcmp(metric, water_params[i]) == 0)
            return gb3838_param_parse(metric, p);
    return COL_ERR_NOTFOUND;
}

static enum gb3838_water site_water(struct rollup *r, const char *site)
{
    sqlite3_stmt *s = NULL;
    enum gb3838_water w = GB3838_RIVER;

    if (prepare(r, "SELECT water_body FROM sites WHERE name = ?1", &s))
        return w;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) &&
        strcmp((const char *)sqlite3_column_text(s, 0), "lake") == 0)
        w = GB3838_LAKE;
    sqlite3_finalize(s);
    return w;
}

/* Water samples of a device-hour: one GB 3838 class per sample time. */
static int water_samples(struct rollup *r, int64_t dev, const char *site, int64_t h)
{
    sqlite3_stmt *s = NULL;
    struct gb3838_value vals[16];
    size_t n = 0;
    int64_t cur = INT64_MIN;
    enum gb3838_water w = site_water(r, site);
    int rc;

    rc = run(r, "DELETE FROM water_samples WHERE device_id = ?1 AND ts >= ?2 AND ts < ?3", "iii",
             dev, h, h + HOUR_MS);
    if (rc || prepare(r,
                      "SELECT r.ts, m.name, r.value FROM readings r JOIN metrics m ON m.id = "
                      "r.metric_id WHERE r.ts >= ?1 AND r.ts < ?2 AND r.device_id = ?3 AND "
                      "r.flags IN (0, 78) AND m.name IN ('ph','do','codmn','cod','bod5','nh3n',"
                      "'tp','tn') ORDER BY r.ts",
                      &s))
        return rc ? rc : COL_ERR_DB;
    sqlite3_bind_int64(s, 1, h);
    sqlite3_bind_int64(s, 2, h + HOUR_MS);
    sqlite3_bind_int64(s, 3, dev);
    for (;;) {
        int step = sqlite3_step(s);
        int64_t ts = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : INT64_MAX;
        if ((ts != cur || step != SQLITE_ROW) && n > 0) {
            struct gb3838_result res;
            if (gb3838_sample_class(w, vals, n, &res) == 0) {
                char dev_name[64] = "";
                sqlite3_stmt *dn = NULL;
                if (prepare(r, "SELECT name FROM devices WHERE id = ?1", &dn) == 0) {
                    sqlite3_bind_int64(dn, 1, dev);
                    if (sqlite3_step(dn) == SQLITE_ROW)
                        snprintf(dev_name, sizeof(dev_name), "%s",
                                 (const char *)sqlite3_column_text(dn, 0));
                    sqlite3_finalize(dn);
                }
                rc = alert(r, RULE_WATER_SAMPLE, "water", site, dev_name, "class", "",
                           (double)res.cls, cur);
            }
            if (rc == 0 && gb3838_sample_class(w, vals, n, &res) == 0)
                rc = run(r,
                         "INSERT OR REPLACE INTO water_samples(device_id, ts, site, class, "
                         "deciding, is_partial, n_evaluated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         "iisisii", dev, cur, site, (int64_t)res.cls,
                         gb3838_param_name(res.deciding), (int64_t)res.is_partial,
                         (int64_t)res.n_evaluated);
            n = 0;
            if (rc)
                break;
        }
        if (step != SQLITE_ROW)
            break;
        cur = ts;
        if (n < sizeof(vals) / sizeof(vals[0]) &&
            water_param((const char *)sqlite3_column_text(s, 1), &vals[n].param) == 0) {
            vals[n].value = sqlite3_column_double(s, 2);
            n++;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

static int device_site(struct rollup *r, int64_t dev, char site[SITE_MAX])
{
    sqlite3_stmt *s = NULL;
    int rc = COL_ERR_NOTFOUND;

    if (prepare(r, "SELECT site FROM devices WHERE id = ?1", &s))
        return COL_ERR_DB;
    sqlite3_bind_int64(s, 1, dev);
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(site, SITE_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Noise LAeq averages by energy (GB 3096); everything else arithmetically. */
#define MEAN_EXPR(col)                                                                             \
    "CASE WHEN m.name = 'laeq' THEN xh_db(avg(xh_energy(" col "))) ELSE avg(" col ") END"

/* Which tiers retention has removed from the day of @h: 1 raw, 2 hourly. */
static int day_pruned(struct rollup *r, int64_t h)
{
    sqlite3_stmt *s = NULL;
    char day[11];
    int pruned = 0;

    cal_day_of(h, day);
    if (prepare(r, "SELECT raw_pruned, hourly_pruned FROM days WHERE day = ?1", &s))
        return 0;
    sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        pruned = (sqlite3_column_int(s, 0) ? 1 : 0) | (sqlite3_column_int(s, 1) ? 2 : 0);
    sqlite3_finalize(s);
    return pruned;
}

static bool day_is_pruned(struct rollup *r, int64_t h)
{
    return (day_pruned(r, h) & 1) != 0;
}

/*
 * Late data for an hour whose raw readings retention already removed: the
 * hour cannot be recomputed from raw data, so the late readings are merged
 * into the stored statistics and then removed like the rest of that day.
 */
static int merge_late_hour(struct rollup *r, int64_t dev, int64_t h)
{
    int rc = run(r,
                 "INSERT INTO hourly(device_id, metric_id, hour, n, mean, min, max, sum) "
                 "SELECT device_id, metric_id, ?1, count(*), avg(value), min(value), max(value), "
                 "sum(value) FROM readings WHERE ts >= ?1 AND ts < ?2 AND device_id = ?3 AND "
                 "flags IN (0, 78) GROUP BY metric_id ON CONFLICT(device_id, hour, metric_id) DO "
                 "UPDATE SET mean = (mean * n + excluded.mean * excluded.n) / (n + excluded.n), "
                 "n = n + excluded.n, min = min(min, excluded.min), max = max(max, excluded.max), "
                 "sum = sum + excluded.sum",
                 "iii", h, h + HOUR_MS, dev);

    if (rc == 0)
        rc = run(r, "DELETE FROM readings WHERE ts >= ?1 AND ts < ?2 AND device_id = ?3", "iii", h,
                 h + HOUR_MS, dev);
    return rc;
}

static int device_hour(struct rollup *r, int64_t dev, int64_t h, char site[SITE_MAX])
{
    int rc = device_site(r, dev, site);

    if (rc == COL_ERR_NOTFOUND)
        return 0; /* device gone: nothing to attach the hour to */
    if (rc)
        return rc;
    if (day_is_pruned(r, h))
        return merge_late_hour(r, dev, h);
    rc = run(r, "DELETE FROM hourly WHERE device_id = ?1 AND hour = ?2", "ii", dev, h);
    if (rc == 0)
        rc = run(r,
                 "INSERT INTO hourly(device_id, metric_id, hour, n, mean, min, max, sum) "
                 "SELECT r.device_id, r.metric_id, ?1, count(*), " MEAN_EXPR(
                     "r.value") ", "
                                "min(r.value), max(r.value), sum(r.value) FROM readings r JOIN "
                                "metrics m ON "
                                "m.id = r.metric_id WHERE r.ts >= ?1 AND r.ts < ?2 AND r.device_id "
                                "= ?3 AND "
                                "r.flags IN (0, 78) GROUP BY r.metric_id",
                 "iii", h, h + HOUR_MS, dev);
    if (rc == 0)
        rc = water_samples(r, dev, site, h);
    return rc;
}

static int site_hour(struct rollup *r, const char *site, int64_t h)
{
    int rc = run(r, "DELETE FROM site_hourly WHERE site = ?1 AND hour = ?2", "si", site, h);

    if (rc == 0)
        rc = run(
            r,
            "INSERT INTO site_hourly(site, metric_id, hour, n_devices, mean, min, max, sum) "
            "SELECT d.site, h.metric_id, h.hour, count(*), " MEAN_EXPR(
                "h.mean") ", "
                          "min(h.min), max(h.max), sum(h.sum) FROM hourly h JOIN devices d ON d.id "
                          "= "
                          "h.device_id JOIN metrics m ON m.id = h.metric_id WHERE h.hour = ?2 AND "
                          "d.site = ?1 GROUP BY h.metric_id",
            "si", site, h);
    return rc;
}

/* ---- days ---- */

static int device_day(struct rollup *r, int64_t dev, int64_t t0)
{
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(t0, &a, &b, day);
    rc = run(r, "DELETE FROM daily WHERE device_id = ?1 AND day = ?2", "is", dev, day);
    if (rc == 0)
        rc =
            run(r,
                "INSERT INTO daily(device_id, metric_id, day, n_hours, n, mean, min, max, sum) "
                "SELECT h.device_id, h.metric_id, ?2, count(*), sum(h.n), " MEAN_EXPR(
                    "h.mean") ", min(h.min), max(h.max), sum(h.sum) FROM hourly h JOIN metrics m "
                              "ON m.id = "
                              "h.metric_id WHERE h.device_id = ?1 AND h.hour >= ?3 AND h.hour < ?4 "
                              "GROUP BY h.metric_id",
                "isii", dev, day, a, b);
    return rc;
}

/* Hourly site means of @metric over [t0, t0 + n hours): vals[i], valid[i]. */
static int load_hours(struct rollup *r, const char *site, const char *metric, int64_t t0, int n,
                      double *vals, bool *valid, int *n_valid)
{
    sqlite3_stmt *s = NULL;

    for (int i = 0; i < n; i++) {
        vals[i] = NAN;
        valid[i] = false;
    }
    *n_valid = 0;
    if (prepare(r,
                "SELECT sh.hour, sh.mean FROM site_hourly sh JOIN metrics m ON m.id = "
                "sh.metric_id WHERE sh.site = ?1 AND m.name = ?2 AND sh.hour >= ?3 AND "
                "sh.hour < ?4",
                &s))
        return COL_ERR_DB;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, t0);
    sqlite3_bind_int64(s, 4, t0 + (int64_t)n * HOUR_MS);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int i = (int)((sqlite3_column_int64(s, 0) - t0) / HOUR_MS);
        if (i >= 0 && i < n && sqlite3_column_type(s, 1) != SQLITE_NULL) {
            vals[i] = sqlite3_column_double(s, 1);
            valid[i] = isfinite(vals[i]);
            *n_valid += valid[i];
        }
    }
    sqlite3_finalize(s);
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
             "END, ?6, nullif(?7, -1e308), nullif(?8, -1e308), nullif(?9, -1e308), "
             "nullif(?10, -1e308), nullif(?11, -1e308), nullif(?12, -1e308), "
             "nullif(?13, -1e308), ?14, ?15, ?16)",
             "sssiisdddddddssi", site, day, hj633_edition_name(ed),
             (int64_t)(is_valid ? a.aqi : -1), (int64_t)(is_valid ? a.band->level : -1), prim,
             isfinite(conc[HJ633_SO2_24H]) ? conc[HJ633_SO2_24H] : -1e308,
             isfinite(conc[HJ633_NO2_24H]) ? conc[HJ633_NO2_24H] : -1e308,
             isfinite(conc[HJ633_PM10_24H]) ? conc[HJ633_PM10_24H] : -1e308,
             isfinite(conc[HJ633_PM25_24H]) ? conc[HJ633_PM25_24H] : -1e308,
             isfinite(conc[HJ633_CO_24H]) ? conc[HJ633_CO_24H] : -1e308,
             isfinite(conc[HJ633_O3_1H]) ? conc[HJ633_O3_1H] : -1e308,
             isfinite(conc[HJ633_O3_8H]) ? conc[HJ633_O3_8H] : -1e308, iaqi, miss,
             (int64_t)a.is_above_scale);
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
             "?5 END, ?6, nullif(?7, -1e308), nullif(?8, -1e308), nullif(?9, -1e308), "
             "nullif(?10, -1e308), nullif(?11, -1e308), nullif(?12, -1e308), nullif(?13, "
             "-1e308), nullif(?14, -1e308), nullif(?15, -1e308), ?16, ?17)",
             "sisiisdddddddddss", site, h, hj633_edition_name(ed),
             (int64_t)(a.is_publishable ? a.aqi : -1),
             (int64_t)(a.is_publishable ? a.band->level : -1), prim,
             isfinite(cur[HJ633_SO2]) ? cur[HJ633_SO2] : -1e308,
             isfinite(cur[HJ633_NO2]) ? cur[HJ633_NO2] : -1e308,
             isfinite(cur[HJ633_CO]) ? cur[HJ633_CO] : -1e308,
             isfinite(cur[HJ633_O3]) ? cur[HJ633_O3] : -1e308, isfinite(o3_8h) ? o3_8h : -1e308,
             isfinite(cur[HJ633_PM10]) ? cur[HJ633_PM10] : -1e308,
             isfinite(cur[HJ633_PM25]) ? cur[HJ633_PM25] : -1e308,
             isfinite(m24[HJ633_PM10]) ? m24[HJ633_PM10] : -1e308,
             isfinite(m24[HJ633_PM25]) ? m24[HJ633_PM25] : -1e308, iaqi, miss);
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
    sqlite3_stmt *s = NULL;
    struct gb3838_value vals[16];
    struct gb3838_result res;
    size_t n = 0;
    int worst = 0, n_samples = 0, rc;

    rc = run(r, "DELETE FROM water_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc || prepare(r,
                      "SELECT m.name, sd.mean FROM site_daily sd JOIN metrics m ON m.id = "
                      "sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2",
                      &s))
        return rc ? rc : COL_ERR_DB;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW && n < sizeof(vals) / sizeof(vals[0]))
        if (water_param((const char *)sqlite3_column_text(s, 0), &vals[n].param) == 0)
            vals[n++].value = sqlite3_column_double(s, 1);
    sqlite3_finalize(s);
    s = NULL;
    if (n == 0 || gb3838_sample_class(site_water(r, site), vals, n, &res) != 0)
        return 0;
    if (prepare(r,
                "SELECT max(class), count(*) FROM water_samples WHERE site = ?1 AND ts >= ?2 AND "
                "ts < ?3",
                &s))
        return COL_ERR_DB;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, t0);
    sqlite3_bind_int64(s, 3, t1);
    if (sqlite3_step(s) == SQLITE_ROW) {
        worst = sqlite3_column_int(s, 0);
        n_samples = sqlite3_column_int(s, 1);
    }
    sqlite3_finalize(s);
    rc = run(r,
             "INSERT INTO water_daily(site, day, class, deciding, is_partial, n_evaluated, "
             "worst_sample_class, n_samples) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8)",
             "ssisiiii", site, day, (int64_t)res.cls, gb3838_param_name(res.deciding),
             (int64_t)res.is_partial, (int64_t)res.n_evaluated, (int64_t)worst, (int64_t)n_samples);
    if (rc)
        return rc;
    rc = alert(r, RULE_WATER_DAILY, "water", site, NULL, "class", "", (double)res.cls, t0);
    if (rc)
        return rc;
    return 0;
}

static int noise_day(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    double v[48], lx[48], dayv[24], nightv[24], ld = NAN, ln = NAN, lmax = -INFINITY;
    bool ok[48], okx[48];
    int nv, nx, nd = 0, nn = 0, rc;
    enum gb3096_zone zone;
    double ldl = NAN, lnl = NAN, ldo = NAN, lno = NAN, lmo = NAN;
    char zname[8] = "";
    sqlite3_stmt *s = NULL;

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
    if (prepare(r, "SELECT noise_zone FROM sites WHERE name = ?1", &s) == 0) {
        sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(zname, sizeof(zname), "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
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
#define NUL(x) (isfinite(x) ? (x) : -1e308)
    rc = run(r,
             "INSERT INTO noise_daily(site, day, zone, ld, ln, n_day_hours, n_night_hours, "
             "ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over) VALUES (?1, ?2, "
             "nullif(?3, ''), nullif(?4, -1e308), nullif(?5, -1e308), ?6, ?7, nullif(?8, "
             "-1e308), nullif(?9, -1e308), nullif(?10, -1e308), nullif(?11, -1e308), "
             "nullif(?12, -1e308), nullif(?13, -1e308))",
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

    if (rc == 0)
        rc = run(r, sql, "siis", site, t0, t1, day);
    return rc;
}

/*
 * Evaluate @series on each row (metric, unit, value) of the bound statement
 * @s, which is finalized here.
 */
static int alert_rows(struct rollup *r, sqlite3_stmt *s, enum rule_series series, const char *site,
                      int64_t t0)
{
    int rc = 0;

    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(s, 0);
        rc = alert(r, series, domain_of_metric(m), site, NULL, m,
                   (const char *)sqlite3_column_text(s, 1), sqlite3_column_double(s, 2), t0);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Valid daily means of the day (RULE_DAILY). */
static int daily_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    sqlite3_stmt *s = NULL;

    if (!has_series(r, RULE_DAILY))
        return 0;
    if (prepare(r,
                "SELECT m.name, m.unit, sd.mean FROM site_daily sd JOIN metrics m ON m.id = "
                "sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2 AND sd.is_valid",
                &s))
        return COL_ERR_DB;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, day, -1, SQLITE_STATIC);
    return alert_rows(r, s, RULE_DAILY, site, t0);
}

/* Year-to-date figures as of @day: mean of valid daily means, good-day share. */
static int ytd_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    sqlite3_stmt *s = NULL;
    char jan1[11];
    int rc = 0;

    if (!r->rules.on_value)
        return 0;
    snprintf(jan1, sizeof(jan1), "%.4s-01-01", day);
    if (has_series(r, RULE_YTD_MEAN)) {
        if (prepare(r,
                    "SELECT m.name, m.unit, avg(sd.mean), count(*) FROM site_daily sd JOIN metrics "
                    "m ON m.id = sd.metric_id WHERE sd.site = ?1 AND sd.day >= ?2 AND sd.day <= ?3 "
                    "AND sd.is_valid GROUP BY m.name",
                    &s))
            return COL_ERR_DB;
        sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, jan1, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, day, -1, SQLITE_STATIC);
        rc = alert_rows(r, s, RULE_YTD_MEAN, site, t0);
        s = NULL;
    }
    if (rc == 0 && has_series(r, RULE_YTD_SHARE)) {
        if (prepare(r,
                    "SELECT 100.0 * sum(aqi <= 100) / count(*) FROM aqi_daily WHERE site = ?1 AND "
                    "day >= ?2 AND day <= ?3 AND aqi IS NOT NULL",
                    &s))
            return COL_ERR_DB;
        sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, jan1, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, day, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
            rc = alert(r, RULE_YTD_SHARE, "air", site, NULL, "aqi", "%",
                       sqlite3_column_double(s, 0), t0);
        sqlite3_finalize(s);
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
        rc = run(r, "DELETE FROM site_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc == 0)
        rc = run(r,
                 "INSERT INTO site_daily(site, metric_id, day, n_hours, mean, min, max, sum, "
                 "is_valid) SELECT sh.site, sh.metric_id, ?2, count(*), " MEAN_EXPR(
                     "sh.mean") ", min(sh.min), max(sh.max), sum(sh.sum), count(*) >= 20 FROM "
                                "site_hourly sh "
                                "JOIN metrics m ON m.id = sh.metric_id WHERE sh.site = ?1 AND "
                                "sh.hour >= ?3 "
                                "AND sh.hour < ?4 GROUP BY sh.metric_id",
                 "ssii", site, day, a, b);
    if (rc == 0)
        rc = daily_alerts(r, site, a, day);
    if (rc == 0)
        rc = aqi_day(r, site, a, b, day);
    if (rc == 0)
        rc = water_day(r, site, a, b, day);
    if (rc == 0)
        rc = noise_day(r, site, a, day);
    if (rc == 0)
        rc = waste_day(r, site, a, b, day);
    if (rc == 0)
        rc = ytd_alerts(r, site, a, day);
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
    r->db = store_handle(st);
    /* Recomputing a day reads a few thousand pages; keep them cached. */
    store_exec(st, "PRAGMA cache_size = -4096");
    if (sqlite3_create_function(r->db, "xh_energy", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                fn_energy, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(r->db, "xh_db", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_db,
                                NULL, NULL) != SQLITE_OK) {
        log_err("rollup: cannot register SQL functions");
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
    xfree(r->site_hours.v);
    xfree(r->device_days.v);
    xfree(r->site_days.v);
    xfree(r->aqi_hours.v);
    xfree(r);
}

static int collect(struct rollup *r, int max_hours, int64_t before_ms, int *n_done)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    r->site_hours.n = r->device_days.n = r->site_days.n = r->aqi_hours.n = 0;
    *n_done = 0;
    if (prepare(r,
                "SELECT hour, device_id FROM dirty_hours WHERE hour < ?2 ORDER BY hour, device_id "
                "LIMIT ?1",
                &s))
        return COL_ERR_DB;
    sqlite3_bind_int(s, 1, max_hours);
    sqlite3_bind_int64(s, 2, before_ms);
    /* The pass holds the write lock: stop collecting after a time budget so
     * that ingest (which waits for the lock) is never held up for long. */
    int64_t budget_end = mono_ms() + 150;
    while (rc == 0 && mono_ms() < budget_end && sqlite3_step(s) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(s, 0), dev = sqlite3_column_int64(s, 1), a, b;
        char site[SITE_MAX] = "", day[11];
        if (day_pruned(r, h) & 2) {
            /* Hourly statistics of that day are gone (retention); its daily figures
             * are final and late data can no longer change them. */
            cal_day_of(h, day);
            log_info("rollup: late data for %s, older than the hourly retention, is stored but "
                     "leaves that day's statistics as they are",
                     day);
            rc = run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii", h, dev);
            continue;
        }
        rc = device_hour(r, dev, h, site);
        if (rc == 0)
            rc = run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii", h, dev);
        if (rc || !*site)
            continue;
        (*n_done)++;
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
        for (int k = 0; rc == 0 && k < 24; k++)
            rc = set_add(&r->aqi_hours, site, 0, h + k * HOUR_MS);
    }
    sqlite3_finalize(s);
    return rc;
}

int rollup_step(struct rollup *r, int max_hours, int64_t before_ms)
{
    int n = 0, rc;

    rc = store_begin(r->st);
    if (rc)
        return rc;
    rc = collect(r, max_hours, before_ms, &n);
    set_unique(&r->site_hours);
    set_unique(&r->device_days);
    set_unique(&r->site_days);
    set_unique(&r->aqi_hours);
    for (size_t i = 0; rc == 0 && i < r->site_hours.n; i++)
        rc = site_hour(r, r->site_hours.v[i].site, r->site_hours.v[i].t);
    for (size_t i = 0; rc == 0 && i < r->device_days.n; i++)
        rc = device_day(r, r->device_days.v[i].id, r->device_days.v[i].t);
    for (size_t i = 0; rc == 0 && i < r->site_days.n; i++)
        rc = site_day(r, r->site_days.v[i].site, r->site_days.v[i].t);
    for (size_t i = 0; rc == 0 && i < r->aqi_hours.n; i++)
        rc = aqi_hour(r, r->aqi_hours.v[i].site, r->aqi_hours.v[i].t);
    if (rc) {
        store_rollback(r->st);
        rules_committed(r, false);
        return rc;
    }
    rc = store_commit(r->st);
    rules_committed(r, rc == 0);
    return rc ? rc : n;
}

int rollup_retention(struct rollup *r, int64_t now_ms, bool require_upload)
{
    const struct cfg_retention *ret = &r->cfg->storage.retention;
    sqlite3_stmt *s = NULL;
    char cutoff[11], day[11] = "";
    int64_t a, b;
    int rc, n_pruned = 0;

    if (ret->raw_ms > 0) {
        cal_day_of(now_ms - ret->raw_ms, cutoff);
        if (prepare(r,
                    "SELECT day FROM days WHERE raw_pruned = 0 AND day < ?1 AND (?2 = 0 OR day "
                    "IN (SELECT day FROM upload_ledger WHERE state = 'done' AND "
                    "changed_after_upload = 0)) AND NOT EXISTS (SELECT 1 FROM dirty_hours) "
                    "ORDER BY day LIMIT 1",
                    &s))
            return COL_ERR_DB;
        sqlite3_bind_text(s, 1, cutoff, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, require_upload);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(day, sizeof(day), "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    if (*day && cal_day_start(day, &a) == 0) {
        char d2[11];
        cal_day_bounds(a, &a, &b, d2);
        /* One hour per transaction: a day of a large fleet is millions of rows. */
        for (int64_t h = a; h < b; h += HOUR_MS) {
            rc = store_begin(r->st);
            if (rc == 0)
                rc =
                    run(r, "DELETE FROM readings WHERE ts >= ?1 AND ts < ?2", "ii", h, h + HOUR_MS);
            if (rc) {
                store_rollback(r->st);
                return rc;
            }
            rc = store_commit(r->st);
            if (rc)
                return rc;
        }
        rc = run(r, "UPDATE days SET raw_pruned = 1 WHERE day = ?1", "s", day);
        if (rc)
            return rc;
        log_info("retention: raw readings of %s removed (statistics kept)", day);
        n_pruned++;
    }
    day[0] = '\0';
    if (ret->hourly_ms > 0) {
        /* Whole days, oldest first, and only days whose rollups are complete
         * (no dirty hour left): daily figures are then final. */
        cal_day_of(now_ms - ret->hourly_ms, cutoff);
        if (prepare(r,
                    "SELECT day FROM days WHERE hourly_pruned = 0 AND day < ?1 AND NOT EXISTS "
                    "(SELECT 1 FROM dirty_hours) ORDER BY day LIMIT 1",
                    &s))
            return COL_ERR_DB;
        sqlite3_bind_text(s, 1, cutoff, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(day, sizeof(day), "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
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
