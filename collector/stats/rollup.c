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
 * A pass that stops at its budget or size leaves the days and AQI hours
 * of the due hours it did not take to the next pass, which recomputes
 * them anyway: a backfill computes each day once, not once per pass.
 *
 * Hours are UTC-aligned: correct for zones whose offset is whole hours
 * (Asia/Shanghai and nearly all others). Days are local calendar days.
 */
#include "rollup_int.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- item sets ---- */

static int set_add(struct itemset *s, const char *site, int64_t id, int64_t t)
{
    struct item *nv = xgrow(s->v, &s->cap, s->n + 1, sizeof(*nv), 64);

    if (!nv)
        return COL_ERR_NOMEM;
    s->v = nv;
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

double ru_fn_energy(double x)
{
    return isnan(x) ? NAN : pow(10.0, x / 10.0);
}

double ru_fn_db(double e)
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

static struct db_stmt *vquery(struct rollup *r, const char *sql, const char *fmt, va_list ap)
{
    struct db_stmt *s = db_prepare(r->st, sql);

    if (s)
        bind_all(s, fmt, ap);
    return s;
}

/* The cached statement for @sql (a literal) with its parameters bound, stepped to done. */
int ru_run(struct rollup *r, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s;
    va_list ap;

    va_start(ap, fmt);
    s = vquery(r, sql, fmt, ap);
    va_end(ap);
    return s ? db_run(s) : COL_ERR_DB;
}

/* The cached statement for @sql with its parameters bound, ready to step; NULL if it fails. */
struct db_stmt *ru_query(struct rollup *r, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s;
    va_list ap;

    va_start(ap, fmt);
    s = vquery(r, sql, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- what a pass looks up many times: cached for the pass ---- */

void ru_pass_cache_clear(struct rollup *r)
{
    r->has_kinds = false;
    r->n_dev_cache = r->n_day_cache = r->n_site_cache = 0;
    r->has_waste = -1;
    ru_windows_clear(r);
}

/* The kind of the metric named @name (enum ru_metric_kind). */
static int kind_of_name(const char *name)
{
    enum gb3838_param p;

    if (name && strcmp(name, "laeq") == 0)
        return RU_LAEQ;
    return ru_water_param(name, &p) == 0 ? RU_WATER + (int)p : RU_PLAIN;
}

/* The kinds of every metric, by id, into r->kinds (once a pass: a metric may appear meanwhile). */
static int load_kinds(struct rollup *r)
{
    struct db_stmt *s = ru_query(r, "SELECT id, name FROM metrics ORDER BY id", "");
    int rc;

    if (!s)
        return COL_ERR_DB;
    r->n_kinds = 0;
    r->has_water = false;
    while ((rc = db_step(s)) == DB_ROW) {
        int64_t id = db_col_i64(s, 0);
        uint8_t kind = (uint8_t)kind_of_name(db_col_text(s, 1));
        r->has_water |= kind >= RU_WATER;
        if (id < 0 || id >= 65536)
            continue; /* ids far out are looked up one by one */
        if ((size_t)id >= r->n_kinds) {
            uint8_t *nv = xgrow(r->kinds, &r->kinds_cap, (size_t)id + 1, 1, 64);
            if (!nv) {
                db_reset(s);
                return COL_ERR_NOMEM;
            }
            r->kinds = nv;
            memset(r->kinds + r->n_kinds, RU_PLAIN, (size_t)id + 1 - r->n_kinds);
            r->n_kinds = (size_t)id + 1;
        }
        r->kinds[id] = kind;
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    r->has_kinds = true;
    return 0;
}

int ru_metric_kind(struct rollup *r, int64_t metric_id)
{
    struct db_stmt *s;
    int kind = RU_PLAIN;

    if (!r->has_kinds && load_kinds(r) != 0)
        r->n_kinds = 0; /* looked up one by one below */
    if (metric_id >= 0 && (size_t)metric_id < r->n_kinds)
        return r->kinds[metric_id];
    s = ru_query(r, "SELECT name FROM metrics WHERE id = ?1", "i", metric_id);
    if (s && db_step(s) == DB_ROW)
        kind = kind_of_name(db_col_text(s, 0));
    db_reset(s);
    return kind;
}

int ru_has_water(struct rollup *r)
{
    int rc = r->has_kinds ? 0 : load_kinds(r);

    return rc ? rc : r->has_water;
}

/* The site of device @dev into @site: 0, COL_ERR_NOTFOUND (device gone) or COL_ERR_DB. */
int ru_device_site(struct rollup *r, int64_t dev, char site[SITE_MAX])
{
    struct db_stmt *s;
    int rc;

    for (size_t i = 0; i < r->n_dev_cache; i++)
        if (r->dev_cache[i].id == dev) {
            memcpy(site, r->dev_cache[i].site, SITE_MAX);
            return r->dev_cache[i].found ? 0 : COL_ERR_NOTFOUND;
        }
    s = ru_query(r, "SELECT site FROM devices WHERE id = ?1", "i", dev);
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
int ru_day_pruned(struct rollup *r, int64_t h)
{
    struct db_stmt *s;
    int64_t a, b;
    char day[11];
    int pruned = 0;

    for (size_t i = 0; i < r->n_day_cache; i++)
        if (h >= r->day_cache[i].t0 && h < r->day_cache[i].t1)
            return r->day_cache[i].pruned;
    cal_day_bounds(h, &a, &b, day);
    s = ru_query(r, "SELECT raw_pruned, hourly_pruned FROM days WHERE day = ?1", "s", day);
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
const struct site_cache *ru_site_info(struct rollup *r, const char *site)
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
    s = ru_query(r, "SELECT water_body, noise_zone FROM sites WHERE name = ?1", "s", site);
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

bool ru_has_series(const struct rollup *r, enum rule_series series)
{
    return r->rules.has_series && r->rules.has_series(r->rules.ud, series);
}

int ru_alert(struct rollup *r, enum rule_series series, const char *domain, const char *site,
             const char *device, const char *metric, const char *unit, double value, int64_t t_ms)
{
    if (!ru_has_series(r, series) || !isfinite(value))
        return 0;
    return r->rules.on_value(r->rules.ud, series, domain, site, device, metric, unit, value, t_ms);
}

const char *ru_domain_of_metric(const char *m)
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
        db_define_number_fn(st, "xh_energy", ru_fn_energy) ||
        db_define_number_fn(st, "xh_db", ru_fn_db) ||
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
    xfree(r->next.v);
    xfree(r->dirty);
    xfree(r->acc.v);
    xfree(r->acc.slot);
    xfree(r->wrote);
    xfree(r->wrote_pairs);
    xfree(r->site_devs);
    xfree(r->kinds);
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
    /* Settled: no data for settle_ms, or the device has moved on (its next
     * hour is dirty too: a device's data arrives in time order, so in a
     * catch-up an hour is done when the next one starts; data that comes
     * late after all marks the hour again), or marked "in the future" (the
     * clock went back). Only the next hour is looked up: a point in the key. */
    int64_t now = r->settle_ms > 0 ? wall_ms() : 0;
    int64_t quiet_before = r->settle_ms > 0 ? now - r->settle_ms : INT64_MAX;

    s = ru_query(r,
                 "SELECT d.hour, d.device_id FROM dirty_hours d WHERE d.hour < ?2 AND "
                 "(d.marked_ms <= ?3 OR d.marked_ms > ?4 OR EXISTS (SELECT 1 FROM dirty_hours n "
                 "WHERE n.hour = d.hour + 3600000 AND n.device_id = d.device_id)) ORDER BY d.hour, "
                 "d.device_id LIMIT ?1",
                 "iiii", (int64_t)max, before_ms, quiet_before, now + 60000);
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
    if (rc == 0 && cal_local_hour(h) < 6 && !(ru_day_pruned(r, a - HOUR_MS) & 2)) {
        int64_t pa, pb;
        cal_day_bounds(a - HOUR_MS, &pa, &pb, day);
        rc = set_add(&r->site_days, site, 0, pa);
    }
    return rc; /* the AQI hours follow from the site hours (ru_aqi_hours()) */
}

/*
 * The device-hours of the pass. Consecutive hours form a segment computed
 * with a few set-based statements; the rare ones are handled one by one:
 * a device that is gone (nothing to attach the hour to), a day whose raw
 * readings retention removed (merged into the stored hour), a day whose
 * hourly statistics are gone (its daily figures are final).
 */
/*
 * The due pairs r->dirty[@from..@n) that the budget left for the next
 * pass, by device, their first hour: what depends on them is computed
 * then, so this pass leaves it (see deferred()). Pairs whose device is gone
 * or whose day's hourly statistics are gone feed nothing and are left out.
 */
static int note_next(struct rollup *r, long from, long n)
{
    int rc = 0;

    for (long i = from; rc == 0 && i < n; i++) {
        int64_t h = r->dirty[2 * i], dev = r->dirty[2 * i + 1];
        char site[SITE_MAX];
        bool seen = false;
        for (size_t k = 0; k < r->next.n && !seen; k++)
            seen = r->next.v[k].id == dev;
        if (seen || (ru_day_pruned(r, h) & 2) || ru_device_site(r, dev, site) != 0)
            continue;
        rc = set_add(&r->next, site, dev, h);
    }
    return rc;
}

/*
 * The first hour the next pass computes for device @dev (@dev 0: for any
 * device of @site), or INT64_MAX. Every pair a pass takes is earlier than
 * every pair it leaves, and the next pass recomputes the day, the site day
 * and the 24 AQI hours from that hour on: this pass need not.
 */
static int64_t next_hour(const struct rollup *r, int64_t dev, const char *site)
{
    int64_t first = INT64_MAX;

    for (size_t k = 0; k < r->next.n; k++) {
        const struct item *it = &r->next.v[k];
        if ((dev ? it->id == dev : strcmp(it->site, site) == 0) && it->t < first)
            first = it->t;
    }
    return first;
}

/* Whether a day [@t0, its end) of @dev (or of @site, @dev 0) is left to the next pass. */
static bool deferred(struct rollup *r, int64_t dev, const char *site, int64_t t0)
{
    int64_t a, b;
    char day[11];

    if (r->next.n == 0)
        return false;
    cal_day_bounds(t0, &a, &b, day);
    return next_hour(r, dev, site) < b;
}

int64_t ru_aqi_deferred_from(const struct rollup *r, const char *site)
{
    return next_hour(r, 0, site);
}

/* The pairs a pass reads beyond the @max_hours it takes: what it leaves to the next (note_next). */
#define LOOK_AHEAD 64

/*
 * The first @take of the @n dirty pairs read into r->dirty (fewer if the
 * budget runs out): their device-hours and what they feed.
 */
static int collect(struct rollup *r, long n, long take, int *n_done)
{
    int64_t t0 = mono_ms();
    int64_t prev_h = INT64_MIN;
    int rc = 0;

    r->seg.n = r->site_hours.n = r->device_days.n = r->site_days.n = r->next.n = 0;
    r->n_wrote = r->n_wrote_pairs = 0;
    r->wrote_sorted = false;
    *n_done = 0;
    if (n < 0)
        return (int)n;
    for (long i = 0; rc == 0 && i < n; i++) {
        int64_t h = r->dirty[2 * i], dev = r->dirty[2 * i + 1];
        char site[SITE_MAX], day[11];
        int pruned;

        if (h > prev_h + HOUR_MS)
            rc = ru_segment_flush(r); /* a gap: the next segment starts here */
        if (rc)
            break;
        /* The pass holds the write lock: at a new hour, stop once the time
         * budget is spent (what depends on the hours so far costs about as
         * much again), or at the pairs it was asked to take; the rest stays
         * dirty for the next pass. */
        if (i == take ||
            (h != prev_h && i > 0 && r->budget_ms > 0 && mono_ms() - t0 >= r->budget_ms)) {
            rc = ru_segment_flush(r);
            if (rc == 0)
                rc = note_next(r, i, n);
            return rc;
        }
        prev_h = h;
        pruned = ru_day_pruned(r, h);
        rc = ru_device_site(r, dev, site);
        if (rc == COL_ERR_NOTFOUND || (pruned & 2)) {
            if (pruned & 2) {
                cal_day_of(h, day);
                log_info("rollup: late data for %s, older than the hourly retention, is stored "
                         "but leaves that day's statistics as they are",
                         day);
            }
            rc = ru_run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii", h,
                        dev);
            continue;
        }
        if (rc == 0 && (pruned & 1)) {
            rc = ru_merge_late_hour(r, dev, h);
            if (rc == 0)
                rc = ru_run(r, "DELETE FROM dirty_hours WHERE hour = ?1 AND device_id = ?2", "ii",
                            h, dev);
        } else if (rc == 0) {
            rc = set_add(&r->seg, NULL, dev, h);
        }
        if (rc == 0)
            rc = add_dependents(r, site, dev, h);
        if (rc == 0)
            (*n_done)++;
    }
    if (rc == 0)
        rc = ru_segment_flush(r);
    return rc;
}

/*
 * How far the pass's windows can reach: an AQI hour reads the 24 hours up
 * to it, and the pass's AQI hours run to 23 hours after its last site hour;
 * a day reads from its start to 06:00 the day after (noise: 30 hours). A
 * day before the first site hour and 31 hours after the last hour or day
 * bound them all; a window asked for beyond is loaded anew, so the bounds
 * only save reading hours that nothing of this pass asks for.
 */
static void pass_window_bounds(struct rollup *r)
{
    int64_t first = INT64_MAX, last = INT64_MIN;
    const struct itemset *sets[] = {&r->site_hours, &r->site_days};

    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->n; i++) {
            if (sets[k]->v[i].t < first)
                first = sets[k]->v[i].t;
            if (sets[k]->v[i].t > last)
                last = sets[k]->v[i].t;
        }
    r->win_begin = first == INT64_MAX ? 0 : first - 24 * HOUR_MS;
    r->win_end = last == INT64_MIN ? 0 : last + 31 * HOUR_MS;
}

int rollup_step(struct rollup *r, int max_hours, int64_t before_ms)
{
    int n = 0, rc;

    long n_dirty;

    ru_pass_cache_clear(r);
    /* what is due, read before taking the write lock: nothing due, no lock
     * (a pair computed meanwhile by another process is computed twice, harmlessly) */
    n_dirty = read_dirty(r, max_hours + LOOK_AHEAD, before_ms);
    if (n_dirty <= 0)
        return (int)n_dirty;
    /* all of it is done again from the dirty marks if a power cut undoes it */
    rc = store_relax_sync(r->st, true);
    if (rc == 0)
        rc = store_begin(r->st);
    if (rc)
        return rc;
    rc = collect(r, n_dirty, max_hours, &n);
    set_unique(&r->site_hours);
    set_unique(&r->device_days);
    set_unique(&r->site_days);
    if (rc == 0)
        rc = ru_site_hours(r);
    ru_windows_clear(r); /* the site hours changed: windows are loaded from here on */
    pass_window_bounds(r);
    for (size_t i = 0; rc == 0 && i < r->device_days.n; i++)
        if (!deferred(r, r->device_days.v[i].id, "", r->device_days.v[i].t))
            rc = ru_device_day(r, r->device_days.v[i].id, r->device_days.v[i].t);
    for (size_t i = 0; rc == 0 && i < r->site_days.n; i++)
        if (!deferred(r, 0, r->site_days.v[i].site, r->site_days.v[i].t))
            rc = ru_site_day(r, r->site_days.v[i].site, r->site_days.v[i].t);
    if (rc == 0)
        rc = ru_aqi_hours(r);
    if (rc) {
        store_rollback(r->st);
        rules_committed(r, false);
    } else {
        rc = store_commit(r->st);
        rules_committed(r, rc == 0);
    }
    store_relax_sync(r->st, false); /* the connection's other work stays as configured */
    return rc ? rc : n;
}

void rollup_set_settle(struct rollup *r, int64_t ms)
{
    if (r)
        r->settle_ms = ms > 0 ? ms : 0;
}

void rollup_set_budget(struct rollup *r, int64_t ms)
{
    if (r)
        r->budget_ms = ms > 0 ? ms : 0;
}

int64_t rollup_pending(struct rollup *r)
{
    struct db_stmt *s = ru_query(r, "SELECT count(*) FROM dirty_hours", "");
    int64_t n;
    int rc;

    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    n = rc == DB_ROW ? db_col_i64(s, 0) : rc;
    db_reset(s);
    return n;
}
