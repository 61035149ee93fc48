/*
 * Tests of the rollup engine (collector/stats/rollup.h) on a fresh database
 * per test. Readings go in through the store's write path as ingest uses
 * it (store_readings_insert() and store_mark_dirty() in one transaction),
 * rollup_step() computes, and the derived tables are read back through
 * store/db.h. store_open() insists on WAL, which SQLite's ":memory:"
 * databases cannot have, so the database is a file in a tmpfs directory
 * (/dev/shm) where there is one.
 *
 * Every expected number is worked out in a comment from the standard's
 * formula or plain arithmetic. The gateway zone is Asia/Shanghai (UTC+8,
 * no DST); the test day is 2024-11-26 local (HJ 633-2012 in force), whose
 * local midnight is 2024-11-25T16:00Z. Doubles are compared to 1e-9.
 */
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

static bool rec_has_series(void *ud, enum rule_series series)
{
    return true;
}

static int rec_on_value(void *ud, enum rule_series series, const char *domain, const char *site,
                        const char *device, const char *metric, const char *unit, double value,
                        int64_t t_ms)
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

static void rec_committed(void *ud, bool is_committed)
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

static int open_with(void **state, const char *const *sets, size_t n_sets)
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

static int setup(void **state)
{
    return open_with(state, NULL, 0);
}

/* Raw readings kept one day (the default is 30): retention has something to do. */
static int setup_raw_1d(void **state)
{
    static const char *const sets[] = {"storage.retention.raw=1d"};

    return open_with(state, sets, 1);
}

static int teardown(void **state)
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

static int64_t device(struct fixture *fx, const char *site, const char *noise_zone,
                      const char *water_body, const char *name)
{
    int64_t id = 0;

    assert_int_equal(store_site_upsert(fx->st, site, site, NULL, NULL, noise_zone, water_body), 0);
    assert_int_equal(store_device_upsert(fx->st, name, site, "test", "registry", &id), 0);
    return id;
}

/* One message of @dev at @ts: readings of @n metrics, one transaction, its hour marked dirty. */
static void put_msg(struct fixture *fx, int64_t dev, int64_t ts, const char *const *metrics,
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

static void put(struct fixture *fx, int64_t dev, const char *metric, int64_t ts, double value,
                int flags)
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

static void put_air_hours(struct fixture *fx, int64_t dev, int from, int to)
{
    for (int i = from; i < to; i++)
        put_msg(fx, dev, H(i), air6, air6_value, 6, 0);
}

static int step(struct fixture *fx)
{
    int n = rollup_step(fx->r, MAX_HOURS, FAR);

    assert_true(n >= 0);
    return n;
}

/* ---- reading back ---- */

#define assert_near(got, want) assert_near_at((got), (want), __FILE__, __LINE__)

static void assert_near_at(double got, double want, const char *file, int line)
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
static struct db_stmt *row(struct fixture *fx, const char *sql, const char *fmt, ...)
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

static bool read_stat(struct db_stmt *s, struct stat_row *o, bool has_n_sum, bool has_valid)
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

static bool hourly(struct fixture *fx, int64_t dev, const char *metric, int64_t hour,
                   struct stat_row *o)
{
    return read_stat(
        row(fx,
            "SELECT h.n, h.mean, h.min, h.max, h.sum FROM hourly h JOIN metrics m ON "
            "m.id = h.metric_id WHERE h.device_id = ?1 AND m.name = ?2 AND h.hour = ?3",
            "isi", dev, metric, hour),
        o, false, false);
}

static bool site_hourly(struct fixture *fx, const char *site, const char *metric, int64_t hour,
                        struct stat_row *o)
{
    return read_stat(row(fx,
                         "SELECT h.n_devices, h.mean, h.min, h.max, h.sum FROM site_hourly h JOIN "
                         "metrics m ON m.id = h.metric_id WHERE h.site = ?1 AND m.name = ?2 AND "
                         "h.hour = ?3",
                         "ssi", site, metric, hour),
                     o, false, false);
}

static bool daily(struct fixture *fx, int64_t dev, const char *metric, const char *day,
                  struct stat_row *o)
{
    return read_stat(row(fx,
                         "SELECT d.n_hours, d.n, d.mean, d.min, d.max, d.sum FROM daily d JOIN "
                         "metrics m ON m.id = d.metric_id WHERE d.device_id = ?1 AND m.name = ?2 "
                         "AND d.day = ?3",
                         "iss", dev, metric, day),
                     o, true, false);
}

static bool site_daily(struct fixture *fx, const char *site, const char *metric, const char *day,
                       struct stat_row *o)
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

static int64_t i64_or(struct db_stmt *s, int col, int64_t null_value)
{
    return db_col_is_null(s, col) ? null_value : db_col_i64(s, col);
}

/* A row of aqi_daily or aqi_hourly (@s from row(), columns as below), into @o. */
static bool read_aqi(struct db_stmt *s, struct aqi_row *o)
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
static bool aqi_daily(struct fixture *fx, const char *site, const char *day, struct aqi_row *o)
{
    return read_aqi(row(fx,
                        "SELECT aqi, level, primary_pollutants, edition, iaqi, pm25, NULL, o3_1h, "
                        "o3_8h, co FROM aqi_daily WHERE site = ?1 AND day = ?2",
                        "ss", site, day),
                    o);
}

static bool aqi_hourly(struct fixture *fx, const char *site, int64_t hour, struct aqi_row *o)
{
    return read_aqi(row(fx,
                        "SELECT aqi, level, primary_pollutants, edition, iaqi, pm25, pm25_24h, "
                        "NULL, o3_8h, co FROM aqi_hourly WHERE site = ?1 AND hour = ?2",
                        "si", site, hour),
                    o);
}

/* The integer in the first column of @s's row (from row()); -1 without a row or for NULL. */
static int64_t first_int(struct db_stmt *s)
{
    int64_t v;

    if (!s)
        return -1;
    v = i64_or(s, 0, -1);
    db_reset(s);
    return v;
}

static int64_t n_dirty(struct fixture *fx)
{
    return first_int(row(fx, "SELECT count(*) FROM dirty_hours", ""));
}

static int64_t n_hourly_rows(struct fixture *fx)
{
    return first_int(row(fx, "SELECT count(*) FROM hourly", ""));
}

/* Raw readings in [t0, t1). */
static int64_t n_readings(struct fixture *fx, int64_t t0, int64_t t1)
{
    return first_int(
        row(fx, "SELECT count(*) FROM readings WHERE ts >= ?1 AND ts < ?2", "ii", t0, t1));
}

/* days.raw_pruned of @day, -1 when the day has no row. */
static int64_t raw_pruned(struct fixture *fx, const char *day)
{
    return first_int(row(fx, "SELECT raw_pruned FROM days WHERE day = ?1", "s", day));
}

/* ---- 1. device hours and site hours ---- */

static void test_device_and_site_hours(void **state)
{
    struct fixture *fx = *state;
    int64_t a = device(fx, "s1", NULL, NULL, "air-a");
    int64_t b = device(fx, "s1", NULL, NULL, "air-b");
    struct stat_row o;

    /* air-a, local 10:00-11:00: 10 (no flag), 20 ('N'), 36 (no flag) count;
     * 1000 ('D', fault) and 500 ('M', maintenance) are left out. */
    put(fx, a, "pm25", H(10), 10, 0);
    put(fx, a, "pm25", H(10) + 20 * MIN_MS, 20, FLAG_N);
    put(fx, a, "pm25", H(10) + 40 * MIN_MS, 36, 0);
    put(fx, a, "pm25", H(10) + 50 * MIN_MS, 1000, FLAG_D);
    put(fx, a, "pm25", H(10) + 55 * MIN_MS, 500, FLAG_M);
    /* air-b, the same hour: 30 and 40. */
    put(fx, b, "pm25", H(10) + 5 * MIN_MS, 30, 0);
    put(fx, b, "pm25", H(10) + 35 * MIN_MS, 40, 0);
    /* The next hour, still open when the first pass runs. */
    put(fx, a, "pm25", H(11), 50, 0);

    /* Passing the start of 11:00: the two device-hours of 10:00 are due, 11:00 is not. */
    assert_int_equal(rollup_step(fx->r, MAX_HOURS, H(11)), 2);
    assert_int_equal(n_dirty(fx), 1);
    assert_false(hourly(fx, a, "pm25", H(11), &o));

    /* air-a: n = 3, mean = (10 + 20 + 36) / 3 = 66 / 3 = 22, min 10, max 36, sum 66. */
    assert_true(hourly(fx, a, "pm25", H(10), &o));
    assert_int_equal(o.n, 3);
    assert_near(o.mean, 22);
    assert_near(o.min, 10);
    assert_near(o.max, 36);
    assert_near(o.sum, 66);
    /* air-b: n = 2, mean = (30 + 40) / 2 = 35, min 30, max 40, sum 70. */
    assert_true(hourly(fx, b, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 35);
    assert_near(o.min, 30);
    assert_near(o.max, 40);
    assert_near(o.sum, 70);
    /* Site s1: 2 devices, mean of the device means (22 + 35) / 2 = 28.5, min 10, max 40,
     * sum 66 + 70 = 136. */
    assert_true(site_hourly(fx, "s1", "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 28.5);
    assert_near(o.min, 10);
    assert_near(o.max, 40);
    assert_near(o.sum, 136);

    /* Once 11:00 is due: one device-hour, n = 1, mean 50; the site hour has one device. */
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(hourly(fx, a, "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 50);
    assert_true(site_hourly(fx, "s1", "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 50);
    /* Nothing left: a pass with nothing due does nothing. */
    assert_int_equal(step(fx), 0);
    assert_true(fx->n_committed >= 2);
    assert_int_equal(fx->n_rolled_back, 0);
}

/* ---- 2. days, and HJ 663 daily validity (>= 20 hourly values) ---- */

static void test_days_and_validity(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "s2", NULL, NULL, "air-c");
    const struct seen *v;
    struct stat_row o;

    for (int i = 0; i < 20; i++) {
        /* PM2.5 at local hours 0..19: i + 0.5 and i + 1.5, so the hour's mean is i + 1. */
        put(fx, dev, "pm25", H(i) + 10 * MIN_MS, i + 0.5, 0);
        put(fx, dev, "pm25", H(i) + 40 * MIN_MS, i + 1.5, 0);
        /* PM10 at local hours 0..18 only: 19 hours. */
        if (i < 19)
            put(fx, dev, "pm10", H(i) + 10 * MIN_MS, 50, 0);
    }
    /* 23:00 of the day before (2024-11-25T15:00Z): not part of 2024-11-26. */
    put(fx, dev, "pm25", H(-1), 1000, 0);

    /* Device-hours: local 00..19 of the 26th (20) and 23 of the 25th (1) = 21. */
    assert_int_equal(step(fx), 21);

    /* Device day: 20 hours, 40 readings, mean of the hour means 1..20 = 210 / 20 = 10.5,
     * min 0 + 0.5 = 0.5, max 19 + 1.5 = 20.5, sum = sum of (2i + 2), i = 0..19 = 380 + 40 = 420. */
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n, 20);
    assert_int_equal(o.n_sum, 40);
    assert_near(o.mean, 10.5);
    assert_near(o.min, 0.5);
    assert_near(o.max, 20.5);
    assert_near(o.sum, 420);
    /* Site day: the same figures from one device, 20 hours: valid. */
    assert_true(site_daily(fx, "s2", "pm25", DAY, &o));
    assert_int_equal(o.n, 20);
    assert_near(o.mean, 10.5);
    assert_near(o.min, 0.5);
    assert_near(o.max, 20.5);
    assert_near(o.sum, 420);
    assert_int_equal(o.is_valid, 1);
    /* PM10: 19 hours of 50: mean 50, not valid. */
    assert_true(site_daily(fx, "s2", "pm10", DAY, &o));
    assert_int_equal(o.n, 19);
    assert_near(o.mean, 50);
    assert_int_equal(o.is_valid, 0);
    /* The 23:00 reading makes a day of its own for 2024-11-25: 1 hour, 1000, not valid. */
    assert_true(site_daily(fx, "s2", "pm25", DAY_BEFORE, &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 1000);
    assert_int_equal(o.is_valid, 0);
    assert_true(daily(fx, dev, "pm25", DAY_BEFORE, &o));
    assert_int_equal(o.n, 1);

    /* The daily rules see the valid PM2.5 day only. */
    v = seen_find(fx, RULE_DAILY, "s2", "pm25", D0);
    assert_non_null(v);
    assert_near(v->value, 10.5);
    assert_null(seen_find(fx, RULE_DAILY, "s2", "pm10", D0));
    assert_null(seen_find(fx, RULE_DAILY, "s2", "pm25", D0 - DAY_MS));
}

/* ---- 3. AQI hours and days ---- */

static void test_aqi_hours_and_days(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "air-1", NULL, NULL, "aqm-1");
    const struct seen *v;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    assert_int_equal(step(fx), 24);

    /* Daily (HJ 633-2012 Table 3): 24-h means equal the constants; the day's max 1-h O3 is
     * 80 and its MDA8 (17 windows of 80) is 80. IAQIs 20, 38, 65, 132, 25, 25 (O3 1h),
     * 40 (O3 8h) (put_air_hours): AQI = 132, level 3 (101-150), primary PM2.5. */
    assert_true(aqi_daily(fx, "air-1", DAY, &a));
    assert_string_equal(a.edition, "HJ 633-2012");
    assert_int_equal(a.aqi, 132);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 100);
    assert_near(a.co, 1.0);
    assert_near(a.o3_1h, 80);
    assert_near(a.o3_8h, 80);
    assert_non_null(strstr(a.iaqi, "pm25_24h=132"));
    assert_non_null(strstr(a.iaqi, "no2_24h=38"));
    assert_non_null(strstr(a.iaqi, "o3_8h=40"));

    /* Real-time at 23:00 (2012 §5.1.3): SO2 1h 7, NO2 1h 15, CO 1h 10, O3 1h 25, O3 8h of
     * 16..23 = 80 -> 40, PM10 and PM2.5 24-h moving means of 0..23 (24 hours) 80 -> 65 and
     * 100 -> 132: AQI 132, level 3, primary PM2.5. */
    assert_true(aqi_hourly(fx, "air-1", H(23), &a));
    assert_int_equal(a.aqi, 132);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 100);
    assert_near(a.pm25_24h, 100);
    assert_near(a.o3_8h, 80);
    /* 19:00: the window 0..19 holds 20 hours, enough for the 24-h moving mean: 132. */
    assert_true(aqi_hourly(fx, "air-1", H(19), &a));
    assert_near(a.pm25_24h, 100);
    assert_int_equal(a.aqi, 132);
    /* 18:00: 19 hours, no PM 24-h means; AQI = max(7, 15, 10, 25, 40) = 40, level 1, and no
     * primary pollutant at AQI <= 50 (§3.3). */
    assert_true(aqi_hourly(fx, "air-1", H(18), &a));
    assert_true(isnan(a.pm25_24h));
    assert_near(a.pm25, 100);
    assert_int_equal(a.aqi, 40);
    assert_int_equal(a.level, 1);
    assert_string_equal(a.primary, "");
    /* 05:00: the O3 8-h window 22..05 holds 6 hours of data (00..05), enough: 40. */
    assert_true(aqi_hourly(fx, "air-1", H(5), &a));
    assert_near(a.o3_8h, 80);
    assert_int_equal(a.aqi, 40);
    /* 04:00: 5 hours, no O3 8-h mean; AQI = max(7, 15, 10, 25) = 25. */
    assert_true(aqi_hourly(fx, "air-1", H(4), &a));
    assert_true(isnan(a.o3_8h));
    assert_int_equal(a.aqi, 25);

    /* What the AQI rules were given. */
    v = seen_find(fx, RULE_AQI_DAILY, "air-1", "aqi", D0);
    assert_non_null(v);
    assert_near(v->value, 132);
    v = seen_find(fx, RULE_AQI_HOURLY, "air-1", "aqi", H(23));
    assert_non_null(v);
    assert_near(v->value, 132);
    v = seen_find(fx, RULE_AQI_HOURLY, "air-1", "aqi", H(18));
    assert_non_null(v);
    assert_near(v->value, 40);
}

/* ---- 4. water: GB 3838 sample and day classes ---- */

struct water_row {
    int64_t cls, is_partial, n_evaluated, worst, n_samples;
    char deciding[16];
};

static bool water_sample(struct fixture *fx, int64_t dev, int64_t ts, struct water_row *o)
{
    struct db_stmt *s =
        row(fx,
            "SELECT class, deciding, is_partial, n_evaluated FROM water_samples WHERE "
            "device_id = ?1 AND ts = ?2",
            "ii", dev, ts);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->cls = db_col_i64(s, 0);
    db_col_copy(s, 1, o->deciding, sizeof(o->deciding));
    o->is_partial = db_col_i64(s, 2);
    o->n_evaluated = db_col_i64(s, 3);
    db_reset(s);
    return true;
}

static bool water_daily(struct fixture *fx, const char *site, const char *day, struct water_row *o)
{
    struct db_stmt *s = row(fx,
                            "SELECT class, deciding, is_partial, n_evaluated, worst_sample_class, "
                            "n_samples FROM water_daily WHERE site = ?1 AND day = ?2",
                            "ss", site, day);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->cls = db_col_i64(s, 0);
    db_col_copy(s, 1, o->deciding, sizeof(o->deciding));
    o->is_partial = db_col_i64(s, 2);
    o->n_evaluated = db_col_i64(s, 3);
    o->worst = i64_or(s, 4, -1);
    o->n_samples = db_col_i64(s, 5);
    db_reset(s);
    return true;
}

static void test_water_classes(void **state)
{
    static const char *const params[] = {"ph", "do", "codmn", "nh3n", "tp"};
    /* Sample 1: pH 7.5 in 6..9 -> I; DO 6.5 >= 6 (< 7.5) -> II; CODMn 3.0 <= 4 (> 2) -> II;
     * NH3-N 1.2 <= 1.5 (> 1.0) -> IV; TP 0.08 <= 0.1 (river, > 0.02) -> II.
     * Worst: IV, decided by NH3-N; 5 of the 21 evaluated items: partial. */
    static const double s1[] = {7.5, 6.5, 3.0, 1.2, 0.08};
    /* Sample 2: CODMn 4.6 <= 6 (> 4) -> III; NH3-N 0.2 <= 0.5 (> 0.15) -> II; the rest as
     * sample 1. Worst: III, decided by CODMn. */
    static const double s2[] = {7.5, 6.5, 4.6, 0.2, 0.08};
    /* A lake sample: pH 7.5 -> I, DO 8.0 >= 7.5 -> I, TP 0.15 under the lake limits
     * (0.01 0.025 0.05 0.1 0.2) -> V (in a river it would be III: <= 0.2). */
    static const char *const lake_params[] = {"ph", "do", "tp"};
    static const double lake[] = {7.5, 8.0, 0.15};
    struct fixture *fx = *state;
    int64_t river_dev = device(fx, "river-1", NULL, "river", "wq-r");
    int64_t lake_dev = device(fx, "lake-1", NULL, "lake", "wq-l");
    const struct seen *v;
    struct water_row w;

    put_msg(fx, river_dev, H(10), params, s1, 5, 0);
    put_msg(fx, river_dev, H(14), params, s2, 5, 0);
    put_msg(fx, lake_dev, H(10), lake_params, lake, 3, 0);
    assert_int_equal(step(fx), 3);

    assert_true(water_sample(fx, river_dev, H(10), &w));
    assert_int_equal(w.cls, 4);
    assert_string_equal(w.deciding, "nh3n");
    assert_int_equal(w.n_evaluated, 5);
    assert_int_equal(w.is_partial, 1);
    assert_true(water_sample(fx, river_dev, H(14), &w));
    assert_int_equal(w.cls, 3);
    assert_string_equal(w.deciding, "codmn");
    assert_true(water_sample(fx, lake_dev, H(10), &w));
    assert_int_equal(w.cls, 5);
    assert_string_equal(w.deciding, "tp");
    assert_int_equal(w.n_evaluated, 3);

    /* The river's day from the daily means: pH 7.5 I, DO 6.5 II, CODMn (3.0 + 4.6) / 2 = 3.8
     * II, NH3-N (1.2 + 0.2) / 2 = 0.7 <= 1.0 III, TP 0.08 II: III by NH3-N. Worst sample IV,
     * 2 samples. */
    assert_true(water_daily(fx, "river-1", DAY, &w));
    assert_int_equal(w.cls, 3);
    assert_string_equal(w.deciding, "nh3n");
    assert_int_equal(w.n_evaluated, 5);
    assert_int_equal(w.is_partial, 1);
    assert_int_equal(w.worst, 4);
    assert_int_equal(w.n_samples, 2);
    assert_true(water_daily(fx, "lake-1", DAY, &w));
    assert_int_equal(w.cls, 5);
    assert_int_equal(w.n_samples, 1);

    v = seen_find(fx, RULE_WATER_SAMPLE, "river-1", "class", H(10));
    assert_non_null(v);
    assert_near(v->value, 4);
    assert_string_equal(v->device, "wq-r");
    v = seen_find(fx, RULE_WATER_SAMPLE, "river-1", "class", H(14));
    assert_non_null(v);
    assert_near(v->value, 3);
    v = seen_find(fx, RULE_WATER_SAMPLE, "lake-1", "class", H(10));
    assert_non_null(v);
    assert_near(v->value, 5);
    v = seen_find(fx, RULE_WATER_DAILY, "river-1", "class", D0);
    assert_non_null(v);
    assert_near(v->value, 3);
}

/* ---- 5. noise: GB 3096 day and night levels ---- */

struct noise_row {
    char zone[8];
    double ld, ln, ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over;
    int64_t n_day, n_night;
};

static bool noise_daily(struct fixture *fx, const char *site, const char *day, struct noise_row *o)
{
    struct db_stmt *s = row(fx,
                            "SELECT zone, ld, ln, n_day_hours, n_night_hours, ld_limit, ln_limit, "
                            "ld_over, ln_over, night_lmax, lmax_over FROM noise_daily WHERE site = "
                            "?1 AND day = ?2",
                            "ss", site, day);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    db_col_copy(s, 0, o->zone, sizeof(o->zone));
    o->ld = db_col_f64(s, 1);
    o->ln = db_col_f64(s, 2);
    o->n_day = db_col_i64(s, 3);
    o->n_night = db_col_i64(s, 4);
    o->ld_limit = db_col_f64(s, 5);
    o->ln_limit = db_col_f64(s, 6);
    o->ld_over = db_col_f64(s, 7);
    o->ln_over = db_col_f64(s, 8);
    o->night_lmax = db_col_f64(s, 9);
    o->lmax_over = db_col_f64(s, 10);
    db_reset(s);
    return true;
}

/* Energy of a level: 10^(L/10) (GB 3096: L = 10 lg(mean of 10^(L/10))). */
#define E(l) pow(10.0, (l) / 10.0)

static void test_noise_day_and_night(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "quiet-1", "1", NULL, "nm-1");
    const struct seen *v;
    struct noise_row nr;
    struct stat_row o;

    /* 03:00 of the 26th belongs to the night of the 25th (22:00-06:00). */
    put(fx, dev, "laeq", H(3), 70, 0);
    /* Day 06:00-22:00: 06:00 two readings 50 and 60; 07..13 at 50; 14..21 at 60. */
    put(fx, dev, "laeq", H(6), 50, 0);
    put(fx, dev, "laeq", H(6) + 30 * MIN_MS, 60, 0);
    for (int i = 7; i < 22; i++)
        put(fx, dev, "laeq", H(i), i < 14 ? 50 : 60, 0);
    /* Night 22:00-06:00: 22 and 23 at 50, 00..05 of the 27th at 40. */
    for (int i = 22; i < 30; i++)
        put(fx, dev, "laeq", H(i) + MIN_MS, i < 24 ? 50 : 40, 0);
    /* Lmax: 80 by day (not a night event), 62 at 23:00. */
    put(fx, dev, "lmax", H(12) + 2 * MIN_MS, 80, 0);
    put(fx, dev, "lmax", H(23) + 2 * MIN_MS, 62, 0);
    /* Device-hours: 03 of the 26th, 06..23 (18), 00..05 of the 27th (6) = 25. */
    assert_int_equal(step(fx), 25);

    /* The hour 06:00 by energy: 10 lg((10^5 + 10^6) / 2) = 10 lg 550000 = 57.4036. */
    assert_true(hourly(fx, dev, "laeq", H(6), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 10 * log10((E(50) + E(60)) / 2));
    assert_near(o.mean, 10 * log10(550000.0));

    /* Ld: 16 hours, energies 550000 + 7 * 10^5 + 8 * 10^6 = 9250000, / 16 = 578125:
     * Ld = 10 lg 578125 = 57.6202. Ln: 8 hours, (2 * 10^5 + 6 * 10^4) / 8 = 32500:
     * Ln = 10 lg 32500 = 45.1188. Zone 1: 55 by day, 45 at night; over by 2.6202 and 0.1188.
     * Night Lmax 62 against 45 + 15 = 60: over by 2. */
    assert_true(noise_daily(fx, "quiet-1", DAY, &nr));
    assert_string_equal(nr.zone, "1");
    assert_int_equal(nr.n_day, 16);
    assert_int_equal(nr.n_night, 8);
    assert_near(nr.ld, 10 * log10(578125.0));
    assert_near(nr.ln, 10 * log10(32500.0));
    assert_near(nr.ld_limit, 55);
    assert_near(nr.ln_limit, 45);
    assert_near(nr.ld_over, 10 * log10(578125.0) - 55);
    assert_near(nr.ln_over, 10 * log10(32500.0) - 45);
    assert_near(nr.night_lmax, 62);
    assert_near(nr.lmax_over, 2);
    /* The night of the 25th: the one hour at 03:00, 70; no day hours. */
    assert_true(noise_daily(fx, "quiet-1", DAY_BEFORE, &nr));
    assert_int_equal(nr.n_day, 0);
    assert_int_equal(nr.n_night, 1);
    assert_near(nr.ln, 70);
    assert_true(isnan(nr.ld));

    v = seen_find(fx, RULE_NOISE_DAY, "quiet-1", "ld", D0);
    assert_non_null(v);
    assert_near(v->value, 10 * log10(578125.0));
    v = seen_find(fx, RULE_NOISE_NIGHT, "quiet-1", "ln", D0);
    assert_non_null(v);
    assert_near(v->value, 10 * log10(32500.0));
    v = seen_find(fx, RULE_NOISE_LMAX, "quiet-1", "lmax", D0);
    assert_non_null(v);
    assert_near(v->value, 62);
}

/* ---- 6. waste bins ---- */

struct waste_row {
    int64_t n_bins, overflows, hazards;
    double deposited, max_fill;
};

static bool waste_daily(struct fixture *fx, const char *site, const char *day, int64_t category,
                        struct waste_row *o)
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

static void test_waste_deposits_and_overflows(void **state)
{
    static const char *const first[] = {"category", "weight", "fill", "overflow"};
    static const char *const wfo[] = {"weight", "fill", "overflow"};
    static const char *const wf[] = {"weight", "fill"};
    struct fixture *fx = *state;
    int64_t a = device(fx, "bins-1", NULL, NULL, "bin-a");
    int64_t b = device(fx, "bins-1", NULL, NULL, "bin-b");
    int64_t c = device(fx, "bins-1", NULL, NULL, "bin-c");
    struct waste_row w;

    /* bin-a, category 1: weight 10, 15 (+5), 12 (-3: not a deposit), 20 (+8), 2 (emptied),
     * 6 (+4): deposited 5 + 8 + 4 = 17 kg. Fill up to 90. Overflow 0, 0, 1 (event), 1 (the
     * same event), 0, 1 (event): 2 events. */
    put_msg(fx, a, H(8), first, (const double[]){1, 10, 30, 0}, 4, 0);
    put_msg(fx, a, H(9), wfo, (const double[]){15, 50, 0}, 3, 0);
    put_msg(fx, a, H(10), wfo, (const double[]){12, 90, 1}, 3, 0);
    put_msg(fx, a, H(11), wfo, (const double[]){20, 90, 1}, 3, 0);
    put_msg(fx, a, H(12), wfo, (const double[]){2, 10, 0}, 3, 0);
    put_msg(fx, a, H(13), wfo, (const double[]){6, 20, 1}, 3, 0);
    /* bin-b, category 1: weight 0, 3 (+3), 7 (+4): 7 kg; no overflow readings. */
    put_msg(fx, b, H(8), first, (const double[]){1, 0, 5, 0}, 4, 0);
    put_msg(fx, b, H(15), wf, (const double[]){3, 20}, 2, 0);
    put_msg(fx, b, H(18), wf, (const double[]){7, 40}, 2, 0);
    /* bin-c, category 2: weight 5, 9 (+4): 4 kg. */
    put_msg(fx, c, H(9), first, (const double[]){2, 5, 10, 0}, 4, 0);
    put_msg(fx, c, H(17), wf, (const double[]){9, 30}, 2, 0);
    assert_int_equal(step(fx), 11);

    /* Category 1: 2 bins, 17 + 7 = 24 kg, fill at most 90, 2 + 0 overflow events. */
    assert_true(waste_daily(fx, "bins-1", DAY, 1, &w));
    assert_int_equal(w.n_bins, 2);
    assert_near(w.deposited, 24);
    assert_near(w.max_fill, 90);
    assert_int_equal(w.overflows, 2);
    assert_int_equal(w.hazards, 0);
    /* Category 2: 1 bin, 4 kg, no events. */
    assert_true(waste_daily(fx, "bins-1", DAY, 2, &w));
    assert_int_equal(w.n_bins, 1);
    assert_near(w.deposited, 4);
    assert_near(w.max_fill, 30);
    assert_int_equal(w.overflows, 0);
}

/* ---- 7. late data into a computed hour ---- */

static void test_late_data_recomputes(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "late-1", NULL, NULL, "aqm-l");
    const struct seen *v;
    struct stat_row o;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    assert_int_equal(step(fx), 24);
    assert_true(aqi_daily(fx, "late-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
    assert_true(aqi_hourly(fx, "late-1", H(9), &a));
    assert_int_equal(a.aqi, 40);

    /* PM2.5 340 at 10:30 arrives after the day was computed: one device-hour to redo. */
    put(fx, dev, "pm25", H(10) + 30 * MIN_MS, 340, 0);
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);

    /* 10:00: n = 2, mean (100 + 340) / 2 = 220, min 100, max 340, sum 440. */
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 220);
    assert_near(o.min, 100);
    assert_near(o.max, 340);
    assert_near(o.sum, 440);
    /* The hours around it and the other pollutants of 10:00 are as they were. */
    assert_true(hourly(fx, dev, "pm25", H(9), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 100);
    assert_true(hourly(fx, dev, "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 100);
    assert_true(hourly(fx, dev, "o3", H(10), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 80);

    /* The day: (23 * 100 + 220) / 24 = 2520 / 24 = 105; device day 25 readings. */
    assert_true(site_daily(fx, "late-1", "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_near(o.mean, 105);
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n_sum, 25);
    assert_near(o.max, 340);
    /* Daily AQI: PM2.5 105 -> 100 + 50 * (105 - 75) / 40 = 137.5 -> 138 (the others stay
     * below): AQI 138, level 3, primary PM2.5. */
    assert_true(aqi_daily(fx, "late-1", DAY, &a));
    assert_int_equal(a.aqi, 138);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 105);
    /* Real-time 23:00: the 24-h moving mean is 105 too: 138. 19:00: hours 0..19,
     * (19 * 100 + 220) / 20 = 106 -> 100 + 50 * 31 / 40 = 138.75 -> 139. */
    assert_true(aqi_hourly(fx, "late-1", H(23), &a));
    assert_near(a.pm25_24h, 105);
    assert_int_equal(a.aqi, 138);
    assert_true(aqi_hourly(fx, "late-1", H(19), &a));
    assert_near(a.pm25_24h, 106);
    assert_int_equal(a.aqi, 139);
    /* 10:00 shows the new hourly PM2.5; 09:00, before the late hour, is unchanged. */
    assert_true(aqi_hourly(fx, "late-1", H(10), &a));
    assert_near(a.pm25, 220);
    assert_true(aqi_hourly(fx, "late-1", H(9), &a));
    assert_int_equal(a.aqi, 40);
    assert_near(a.pm25, 100);

    v = seen_find(fx, RULE_AQI_DAILY, "late-1", "aqi", D0);
    assert_non_null(v);
    assert_near(v->value, 138);
}

/* ---- 8. late data into a day whose raw readings retention removed ---- */

/* Run retention at @now_ms until it has nothing left to do (one day per call); days pruned. */
static int retention_all(struct fixture *fx, int64_t now_ms)
{
    int total = 0, n;

    for (int i = 0; i < 10; i++) {
        n = rollup_retention(fx->r, now_ms, false);
        assert_true(n >= 0);
        if (n == 0)
            break;
        total += n;
    }
    return total;
}

static void test_late_data_into_pruned_day(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "old-1", NULL, NULL, "aqm-o");
    struct stat_row o;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    /* A second PM2.5 reading at 10:20, also 100: the hour has n = 2, mean 100. */
    put(fx, dev, "pm25", H(10) + 20 * MIN_MS, 100, 0);
    assert_int_equal(step(fx), 24);

    /* Ten days later with raw readings kept one day: the 26th's raw rows go, its
     * statistics stay. */
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 100);
    assert_true(site_daily(fx, "old-1", "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_near(o.mean, 100);
    assert_true(aqi_daily(fx, "old-1", DAY, &a));
    assert_int_equal(a.aqi, 132);

    /* A late PM2.5 of 340 at 10:40 of that day: merged into the stored hour,
     * n = 2 + 1 = 3, mean (100 * 2 + 340) / 3 = 540 / 3 = 180, min 100, max 340, sum 540;
     * and its raw row removed like the rest of the day's. */
    put(fx, dev, "pm25", H(10) + 40 * MIN_MS, 340, 0);
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 3);
    assert_near(o.mean, 180);
    assert_near(o.min, 100);
    assert_near(o.max, 340);
    assert_near(o.sum, 540);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    /* The other pollutants of 10:00 are not touched. */
    assert_true(hourly(fx, dev, "o3", H(10), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 80);
    /* The day follows the hour: (23 * 100 + 180) / 24 = 2480 / 24 = 103.333..., 26 readings;
     * PM2.5 IAQI 100 + 50 * (103.333 - 75) / 40 = 135.42 -> 136. */
    assert_true(site_daily(fx, "old-1", "pm25", DAY, &o));
    assert_near(o.mean, 2480.0 / 24);
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_int_equal(o.n_sum, 26);
    assert_true(aqi_daily(fx, "old-1", DAY, &a));
    assert_int_equal(a.aqi, 136);
    assert_string_equal(a.primary, "pm25");
}

/*
 * A late LAeq reading into a pruned day merges by energy (GB 3096): the
 * stored hour holds 50 dB(A) (n = 1), the late reading is 60:
 * 10 lg((10^5 + 10^6) / 2) = 10 lg 550000 = 57.4036 dB(A), not 55.
 */
static void test_late_laeq_into_pruned_day(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "quiet-2", "1", NULL, "nm-2");
    struct stat_row o;

    put(fx, dev, "laeq", H(10), 50, 0);
    assert_int_equal(step(fx), 1);
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    put(fx, dev, "laeq", H(10) + 30 * MIN_MS, 60, 0);
    assert_int_equal(step(fx), 1);
    assert_true(hourly(fx, dev, "laeq", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 10 * log10(550000.0));
}

/*
 * Waste figures come from raw readings: once a day's raw readings are
 * pruned, a late reading of another device on the site recomputes the
 * site's day but must leave its waste row (10 -> 16 kg: 6 kg deposited).
 */
static void test_late_data_keeps_pruned_waste_day(void **state)
{
    static const char *const first[] = {"category", "weight"};
    struct fixture *fx = *state;
    int64_t bin = device(fx, "bins-2", NULL, NULL, "bin-p");
    int64_t other = device(fx, "bins-2", NULL, NULL, "thermo-p");
    struct waste_row w;

    put_msg(fx, bin, H(8), first, (const double[]){1, 10}, 2, 0);
    put_msg(fx, bin, H(9), first, (const double[]){1, 16}, 2, 0);
    assert_int_equal(step(fx), 2);
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_true(waste_daily(fx, "bins-2", DAY, 1, &w));
    put(fx, other, "temp", H(12), 21.5, 0);
    assert_int_equal(step(fx), 1);
    assert_true(waste_daily(fx, "bins-2", DAY, 1, &w));
    assert_near(w.deposited, 6);
}

/* ---- 9. retention on a live gateway ---- */

static void test_retention_with_open_hour(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "live-1", NULL, NULL, "aqm-v");
    int64_t now = D0 + 10 * DAY_MS + 3 * HOUR_MS + 30 * MIN_MS;
    struct aqi_row a;

    /* The 26th, complete and rolled up; one reading on the 27th, rolled up too. */
    put_air_hours(fx, dev, 0, 24);
    put(fx, dev, "pm25", H(24 + 10), 50, 0);
    assert_int_equal(step(fx), 25);
    /* A late reading for the 27th, not rolled up yet: that day must wait. */
    put(fx, dev, "pm25", H(24 + 11), 60, 0);
    /* The live hour: a reading now, its hour still open (the daemon's passes stop at the
     * start of the current hour, so it stays dirty until the hour ends). */
    put(fx, dev, "pm25", now, 70, 0);
    assert_int_equal(n_dirty(fx), 2);

    /* The pending live hour does not hold the 26th back; the 27th, with an hour pending,
     * keeps its raw readings. */
    assert_true(retention_all(fx, now) >= 1);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    assert_int_equal(raw_pruned(fx, "2024-11-27"), 0);
    assert_int_equal(n_readings(fx, D0 + DAY_MS, D0 + 2 * DAY_MS), 2);
    assert_int_equal(n_readings(fx, cal_hour_floor(now), cal_hour_floor(now) + HOUR_MS), 1);
    assert_int_equal(n_dirty(fx), 2);
    /* The 26th's figures are kept. */
    assert_true(aqi_daily(fx, "live-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
}

/* ---- allocation failures: a failed pass leaves nothing behind, the next one completes ---- */

static void test_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "alloc-1", NULL, NULL, "aqm-x");
    struct aqi_row a;
    int rc = -1;
    long n;

    put_air_hours(fx, dev, 0, 24);
    for (n = 1; n < 10000; n++) {
        struct rollup *r;

        xalloc_fail_at(n);
        r = rollup_new(fx->cfg, fx->st);
        rollup_set_budget(r, 0);
        rc = r ? rollup_step(r, MAX_HOURS, FAR) : COL_ERR_NOMEM;
        xalloc_fail_at(0);
        rollup_free(r);
        if (rc >= 0)
            break;
        /* Rolled back: every hour still waits, nothing was written. */
        assert_int_equal(n_dirty(fx), 24);
        assert_int_equal(n_hourly_rows(fx), 0);
    }
    assert_true(n > 1);
    assert_int_equal(rc, 24);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(aqi_daily(fx, "alloc-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
}

/*
 * A backfill in short passes: each pass takes 5 device-hours (of two
 * devices: cut inside an hour too) and leaves the days and AQI hours that
 * the next pass recomputes anyway. Every day and AQI hour must still be there at the
 * end with the values of put_air_hours()' table: 3 whole days of constant
 * hours at two sites give each day PM2.5 100 over 24 valid hours and AQI
 * 132 (PM2.5's 24-hour sub-index), and 72 AQI hours a site.
 */
static void test_short_passes_leave_nothing_out(void **state)
{
    struct fixture *fx = *state;
    static const char *const days[] = {DAY, "2024-11-27", "2024-11-28"};
    static const char *const sites[] = {"bf-1", "bf-2"};
    int64_t dev[2];
    int passes = 0, n;
    struct aqi_row a;
    struct stat_row o;

    for (int k = 0; k < 2; k++) {
        dev[k] = device(fx, sites[k], NULL, NULL, k ? "bf-dev-2" : "bf-dev-1");
        put_air_hours(fx, dev[k], 0, 72);
    }
    while ((n = rollup_step(fx->r, 5, FAR)) > 0) {
        assert_int_equal(n, 5 - (passes == 28) * 1); /* 144 = 28 * 5 + 4 */
        passes++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(passes, 29);
    assert_int_equal(n_dirty(fx), 0);
    for (int k = 0; k < 2; k++) {
        for (int d = 0; d < 3; d++) {
            assert_true(site_daily(fx, sites[k], "pm25", days[d], &o));
            assert_int_equal(o.n, 24);
            assert_near(o.mean, 100);
            assert_int_equal(o.is_valid, 1);
            assert_true(daily(fx, dev[k], "pm25", days[d], &o));
            assert_int_equal(o.n, 24);
            assert_true(aqi_daily(fx, sites[k], days[d], &a));
            assert_int_equal(a.aqi, 132);
        }
        assert_int_equal(
            first_int(row(fx, "SELECT count(*) FROM aqi_hourly WHERE site = ?1", "s", sites[k])),
            72);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_and_site_hours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_days_and_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aqi_hours_and_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_water_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noise_day_and_night, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waste_deposits_and_overflows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_recomputes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_into_pruned_day, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_late_laeq_into_pruned_day, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_keeps_pruned_waste_day, setup_raw_1d,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention_with_open_hour, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_passes_leave_nothing_out, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
