/*
 * The fixture of the rollup engine's tests (test_rollup.c,
 * test_rollup_late.c): a fresh database per test, readings written as
 * ingest writes them, and the derived tables read back. Header-only,
 * static: each test is one binary.
 */
#ifndef ROLLUP_FIXTURE_H
#define ROLLUP_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "col_err.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/log.h"
#include "diag.h"
#include "rule.h"
#include "stats/rollup.h"
#include "store/db.h"
#include "store/store.h"
#include "test_util.h"
#include "xalloc.h"

#define HOUR_MS 3600000LL
#define MIN_MS 60000LL
#define DAY_MS (24 * HOUR_MS)
/* 2024-11-26 00:00 Asia/Shanghai = 2024-11-25T16:00:00Z = 1732550400 s. */
#define D0 1732550400000LL
/* Local hour @i of 2024-11-26 (negative: the day before, >= 24: the day after). */
#define H(i) (D0 + (int64_t)(i)*HOUR_MS)
#define DAY "2024-11-26"
#define DAY_BEFORE "2024-11-25"
/* A before_ms past every hour the tests write: all of them are due. */
#define FAR (D0 + 60 * DAY_MS)
#define MAX_HOURS 1000
#define EPS 1e-9

/* HJ 212 data flags as ingest stores them: 0 (none given) and 'N' count, others do not. */
#define FLAG_N 78
#define FLAG_D 68
#define FLAG_M 77

struct seen {
    enum rule_series series;
    char site[32], device[32], metric[16];
    double value;
    int64_t t_ms;
};

#define SEEN_MAX 512

struct fixture {
    char dir[64];
    char cfg_path[128];
    struct config *cfg;
    struct store *st;
    struct rollup *r;
    size_t n_seen;
    struct seen seen[SEEN_MAX];
    int n_committed, n_rolled_back;
};

/* ---- the rules' view: every derived value the engine hands over ---- */

static inline bool rec_has_series(void *ud, enum rule_series series)
{
    return true;
}

static inline int rec_on_value(void *ud, enum rule_series series, const char *domain,
                               const char *site, const char *device, const char *metric,
                               const char *unit, double value, int64_t t_ms)
{
    struct fixture *fx = ud;
    struct seen *s;

    if (fx->n_seen == SEEN_MAX)
        return 0;
    s = &fx->seen[fx->n_seen++];
    s->series = series;
    snprintf(s->site, sizeof(s->site), "%s", site ? site : "");
    snprintf(s->device, sizeof(s->device), "%s", device ? device : "");
    snprintf(s->metric, sizeof(s->metric), "%s", metric ? metric : "");
    s->value = value;
    s->t_ms = t_ms;
    return 0;
}

static inline void rec_committed(void *ud, bool is_committed)
{
    struct fixture *fx = ud;

    if (is_committed)
        fx->n_committed++;
    else
        fx->n_rolled_back++;
}

/* The last value of @series for (@site, @metric) at @t_ms the rules saw, or NULL. */
static const struct seen *seen_find(const struct fixture *fx, enum rule_series series,
                                    const char *site, const char *metric, int64_t t_ms)
{
    const struct seen *found = NULL;

    for (size_t i = 0; i < fx->n_seen; i++) {
        const struct seen *s = &fx->seen[i];
        if (s->series == series && strcmp(s->site, site) == 0 && strcmp(s->metric, metric) == 0 &&
            s->t_ms == t_ms)
            found = s;
    }
    return found;
}

/* ---- fixture ---- */

static inline int open_with(void **state, const char *const *sets, size_t n_sets)
{
    static const char yaml[] = "storage:\n  path: c.db\n  synchronous: normal\n";
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct rollup_rules rules = {rec_has_series, rec_on_value, rec_committed, NULL};
    struct capture cap;
    struct diag d;
    struct stat sb;
    char err[512];

    if (!fx)
        return -1;
    *state = fx;
    log_set_level(LOG_LVL_ERR);
    snprintf(fx->dir, sizeof(fx->dir), "%s/test_rollup.XXXXXX",
             stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                 ? "/dev/shm"
                 : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->cfg_path, sizeof(fx->cfg_path), "%s/collector.yaml", fx->dir);
    cap_init(&cap, &d);
    fx->cfg = config_parse(fx->cfg_path, yaml, sizeof(yaml) - 1, sets, n_sets, &d);
    if (!fx->cfg) {
        for (int i = 0; i < cap.n && i < CAP_MAX; i++)
            fprintf(stderr, "%s\n", cap.msg[i]);
        return -1;
    }
    if (cal_set_timezone(fx->cfg->gateway.timezone))
        return -1;
    fx->st = store_open(&fx->cfg->storage, true, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    fx->r = rollup_new(fx->cfg, fx->st);
    if (!fx->r)
        return -1;
    rollup_set_budget(fx->r, 0); /* a step takes every due hour, however slow the machine */
    rules.ud = fx;
    rollup_set_rules(fx->r, &rules);
    return 0;
}

static inline int setup(void **state)
{
    return open_with(state, NULL, 0);
}

/* Raw readings kept one day (the default is 30): retention has something to do. */
static inline int setup_raw_1d(void **state)
{
    static const char *const sets[] = {"storage.retention.raw=1d"};

    return open_with(state, sets, 1);
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;

    if (!fx)
        return 0;
    rollup_free(fx->r);
    store_close(fx->st);
    config_free(fx->cfg);
    if (fx->dir[0])
        test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- writing: what ingest does for one message ---- */

static inline int64_t device(struct fixture *fx, const char *site, const char *noise_zone,
                             const char *water_body, const char *name)
{
    int64_t id = 0;

    assert_int_equal(store_site_upsert(fx->st, site, site, NULL, NULL, noise_zone, water_body), 0);
    assert_int_equal(store_device_upsert(fx->st, name, site, "test", "registry", &id), 0);
    return id;
}

/* One message of @dev at @ts: readings of @n metrics, one transaction, its hour marked dirty. */
static inline void put_msg(struct fixture *fx, int64_t dev, int64_t ts, const char *const *metrics,
                           const double *values, int n, int flags)
{
    struct store_reading rows[STORE_INSERT_MAX];

    assert_true(n >= 1 && n <= STORE_INSERT_MAX);
    assert_int_equal(store_begin(fx->st), 0);
    for (int i = 0; i < n; i++) {
        rows[i] = (struct store_reading){ts, 0, values[i], flags};
        assert_int_equal(store_metric_id(fx->st, metrics[i], NULL, &rows[i].metric), 0);
    }
    assert_int_equal(store_readings_insert(fx->st, dev, rows, n), n);
    assert_int_equal(store_mark_dirty(fx->st, cal_hour_floor(ts), dev), 0);
    assert_int_equal(store_commit(fx->st), 0);
}

static inline void put(struct fixture *fx, int64_t dev, const char *metric, int64_t ts,
                       double value, int flags)
{
    put_msg(fx, dev, ts, &metric, &value, 1, flags);
}

static const char *const air6[] = {"so2", "no2", "pm10", "pm25", "co", "o3"};

/*
 * Constant hourly concentrations of the six pollutants at the start of
 * local hours [from, to) of the test day. The values and their HJ 633-2012
 * sub-indices (eq. 1, rounded up, Table 1):
 *   SO2   20 ug/m3: 24h [0,50]->[0,50]    20;  1h [0,150]->[0,50] 50*20/150 = 6.67 -> 7
 *   NO2   30:       24h [0,40]->[0,50]    37.5 -> 38;  1h [0,100]: 50*30/100 = 15
 *   PM10  80:       24h [50,150]->[50,100] 50 + 50*30/100 = 65
 *   PM2.5 100:      24h [75,115]->[100,150] 100 + 50*25/40 = 131.25 -> 132
 *   CO    1.0 mg/m3: 24h [0,2]->[0,50] 25;  1h [0,5]->[0,50] 10
 *   O3    80:       1h [0,160]->[0,50] 25;  8h [0,100]->[0,50] 40
 */
static const double air6_value[] = {20, 30, 80, 100, 1.0, 80};

static inline void put_air_hours(struct fixture *fx, int64_t dev, int from, int to)
{
    for (int i = from; i < to; i++)
        put_msg(fx, dev, H(i), air6, air6_value, 6, 0);
}

static inline int step(struct fixture *fx)
{
    int n = rollup_step(fx->r, MAX_HOURS, FAR);

    assert_true(n >= 0);
    return n;
}

/* ---- reading back ---- */

#define assert_near(got, want) assert_near_at((got), (want), __FILE__, __LINE__)

static inline void assert_near_at(double got, double want, const char *file, int line)
{
    if (!(fabs(got - want) <= EPS)) {
        print_error("%s:%d: got %.12g, want %.12g\n", file, line, got, want);
        _fail(file, line);
    }
}

struct stat_row {
    int64_t n;        /* hourly: readings; site hourly: devices; days: hours */
    int64_t n_sum;    /* device days: readings */
    int64_t is_valid; /* site days */
    double mean, min, max, sum;
};

/*
 * @sql (a literal) with its parameters bound from @fmt ('i' int64, 's'
 * text), stepped once: the statement on its first row (read it, then
 * db_reset), or NULL without a row.
 */
static inline struct db_stmt *row(struct fixture *fx, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s = db_prepare(fx->st, sql);
    va_list ap;
    int rc;

    assert_non_null(s);
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 'i')
            db_bind_i64(s, i + 1, va_arg(ap, int64_t));
        else
            db_bind_text(s, i + 1, va_arg(ap, const char *));
    }
    va_end(ap);
    rc = db_step(s);
    assert_true(rc >= 0);
    if (rc == DB_ROW)
        return s;
    db_reset(s);
    return NULL;
}

static inline bool read_stat(struct db_stmt *s, struct stat_row *o, bool has_n_sum, bool has_valid)
{
    int c = 0;

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->n = db_col_i64(s, c++);
    if (has_n_sum)
        o->n_sum = db_col_i64(s, c++);
    o->mean = db_col_f64(s, c++);
    o->min = db_col_f64(s, c++);
    o->max = db_col_f64(s, c++);
    o->sum = db_col_f64(s, c++);
    if (has_valid)
        o->is_valid = db_col_i64(s, c);
    db_reset(s);
    return true;
}

static inline bool hourly(struct fixture *fx, int64_t dev, const char *metric, int64_t hour,
                          struct stat_row *o)
{
    return read_stat(
        row(fx,
            "SELECT h.n, h.mean, h.min, h.max, h.sum FROM hourly h JOIN metrics m ON "
            "m.id = h.metric_id WHERE h.device_id = ?1 AND m.name = ?2 AND h.hour = ?3",
            "isi", dev, metric, hour),
        o, false, false);
}

static inline bool site_hourly(struct fixture *fx, const char *site, const char *metric,
                               int64_t hour, struct stat_row *o)
{
    return read_stat(row(fx,
                         "SELECT h.n_devices, h.mean, h.min, h.max, h.sum FROM site_hourly h JOIN "
                         "metrics m ON m.id = h.metric_id WHERE h.site = ?1 AND m.name = ?2 AND "
                         "h.hour = ?3",
                         "ssi", site, metric, hour),
                     o, false, false);
}

static inline bool daily(struct fixture *fx, int64_t dev, const char *metric, const char *day,
                         struct stat_row *o)
{
    return read_stat(row(fx,
                         "SELECT d.n_hours, d.n, d.mean, d.min, d.max, d.sum FROM daily d JOIN "
                         "metrics m ON m.id = d.metric_id WHERE d.device_id = ?1 AND m.name = ?2 "
                         "AND d.day = ?3",
                         "iss", dev, metric, day),
                     o, true, false);
}

static inline bool site_daily(struct fixture *fx, const char *site, const char *metric,
                              const char *day, struct stat_row *o)
{
    return read_stat(row(fx,
                         "SELECT d.n_hours, d.mean, d.min, d.max, d.sum, d.is_valid FROM "
                         "site_daily d JOIN metrics m ON m.id = d.metric_id WHERE d.site = ?1 AND "
                         "m.name = ?2 AND d.day = ?3",
                         "sss", site, metric, day),
                     o, false, true);
}

struct aqi_row {
    int64_t aqi, level; /* -1 for NULL */
    char primary[32], edition[16], iaqi[256];
    double pm25, pm25_24h, o3_1h, o3_8h, co; /* NaN for NULL */
};

static inline int64_t i64_or(struct db_stmt *s, int col, int64_t null_value)
{
    return db_col_is_null(s, col) ? null_value : db_col_i64(s, col);
}

/* A row of aqi_daily or aqi_hourly (@s from row(), columns as below), into @o. */
static inline bool read_aqi(struct db_stmt *s, struct aqi_row *o)
{
    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->aqi = i64_or(s, 0, -1);
    o->level = i64_or(s, 1, -1);
    db_col_copy(s, 2, o->primary, sizeof(o->primary));
    db_col_copy(s, 3, o->edition, sizeof(o->edition));
    db_col_copy(s, 4, o->iaqi, sizeof(o->iaqi));
    o->pm25 = db_col_f64(s, 5);
    o->pm25_24h = db_col_f64(s, 6);
    o->o3_1h = db_col_f64(s, 7);
    o->o3_8h = db_col_f64(s, 8);
    o->co = db_col_f64(s, 9);
    db_reset(s);
    return true;
}

/* A day has no 24-hour PM2.5 column and an hour no 1-hour O3 maximum: NULL, read as NaN. */
static inline bool aqi_daily(struct fixture *fx, const char *site, const char *day,
                             struct aqi_row *o)
{
    return read_aqi(row(fx,
                        "SELECT aqi, level, primary_pollutants, edition, iaqi, pm25, NULL, o3_1h, "
                        "o3_8h, co FROM aqi_daily WHERE site = ?1 AND day = ?2",
                        "ss", site, day),
                    o);
}

static inline bool aqi_hourly(struct fixture *fx, const char *site, int64_t hour, struct aqi_row *o)
{
    return read_aqi(row(fx,
                        "SELECT aqi, level, primary_pollutants, edition, iaqi, pm25, pm25_24h, "
                        "NULL, o3_8h, co FROM aqi_hourly WHERE site = ?1 AND hour = ?2",
                        "si", site, hour),
                    o);
}

/* The integer in the first column of @s's row (from row()); -1 without a row or for NULL. */
static inline int64_t first_int(struct db_stmt *s)
{
    int64_t v;

    if (!s)
        return -1;
    v = i64_or(s, 0, -1);
    db_reset(s);
    return v;
}

static inline int64_t n_dirty(struct fixture *fx)
{
    return first_int(row(fx, "SELECT count(*) FROM dirty_hours", ""));
}

static inline int64_t n_hourly_rows(struct fixture *fx)
{
    return first_int(row(fx, "SELECT count(*) FROM hourly", ""));
}

/* Raw readings in [t0, t1). */
static inline int64_t n_readings(struct fixture *fx, int64_t t0, int64_t t1)
{
    return first_int(
        row(fx, "SELECT count(*) FROM readings WHERE ts >= ?1 AND ts < ?2", "ii", t0, t1));
}

/* days.raw_pruned of @day, -1 when the day has no row. */
static inline int64_t raw_pruned(struct fixture *fx, const char *day)
{
    return first_int(row(fx, "SELECT raw_pruned FROM days WHERE day = ?1", "s", day));
}

/* The waste_daily row of (site, day, category). */
struct waste_row {
    int64_t n_bins, overflows, hazards;
    double deposited, max_fill;
};

static inline bool waste_daily(struct fixture *fx, const char *site, const char *day,
                               int64_t category, struct waste_row *o)
{
    struct db_stmt *s = row(fx,
                            "SELECT n_bins, deposited_kg, max_fill, overflow_events, hazard_events "
                            "FROM waste_daily WHERE site = ?1 AND day = ?2 AND category = ?3",
                            "ssi", site, day, category);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->n_bins = db_col_i64(s, 0);
    o->deposited = db_col_f64(s, 1);
    o->max_fill = db_col_f64(s, 2);
    o->overflows = db_col_i64(s, 3);
    o->hazards = db_col_i64(s, 4);
    db_reset(s);
    return true;
}

#endif
