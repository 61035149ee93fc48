/*
 * Tests of the SQLite store (collector/store.h) on a database in a
 * mkdtemp() directory: schema version and WAL mode after open, reading
 * de-duplication on (ts, device, metric), device upsert, counters and
 * stats, rejects with their bound, the readings query filters and its
 * [from, to) range, rollback, and the refusals: a newer schema version and
 * a file of garbage bytes (left byte-identical).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_int.h" /* store_pragma_int: the connection's own settings */

struct fixture {
    char dir[64];
    char path[320];
    struct cfg_storage cfg;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[512];

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_store.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/c.db", fx->dir);
    fx->cfg.path = fx->path;
    fx->cfg.synchronous = 0;
    fx->cfg.busy_timeout_ms = 1000;
    fx->cfg.retention.rejects_max_rows = 100;
    fx->cfg.retention.rejects_ms = 0;
    fx->st = store_open(&fx->cfg, true, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *dh;
    struct dirent *de;
    char path[400];

    store_close(fx->st);
    dh = opendir(fx->dir);
    while (dh && (de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
        unlink(path);
    }
    if (dh)
        closedir(dh);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* One integer from @sql, read with a separate sqlite3 connection. */
static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -999;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void sql_text(const char *path, const char *sql, char *out, size_t sz)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    out[0] = '\0';
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out, sz, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_schema_and_wal(void **state)
{
    struct fixture *fx = *state;
    char mode[32];

    assert_int_equal(store_schema_version(fx->st), STORE_SCHEMA_VERSION);
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    sql_text(fx->path, "PRAGMA journal_mode", mode, sizeof(mode));
    assert_string_equal(mode, "wal");
    /* The counters row exists from the start. */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM ingest_stats"), 1);

    /* Opening again is a no-op migration. */
    store_close(fx->st);
    fx->st = store_open(&fx->cfg, true, mode, sizeof(mode));
    assert_non_null(fx->st);
    assert_int_equal(store_schema_version(fx->st), STORE_SCHEMA_VERSION);
}

/* PRAGMA synchronous of the store's own connection: 1 NORMAL, 2 FULL. */
static int sync_mode(struct store *st)
{
    int v = -1;

    assert_int_equal(store_pragma_int(st, "PRAGMA synchronous", &v), 0);
    return v;
}

/* The rollups' commits skip the fsync only while relaxed, and only under full. */
static void test_relax_sync(void **state)
{
    struct fixture *fx = *state;
    char err[256];

    assert_int_equal(sync_mode(fx->st), 1); /* the fixture's storage.synchronous: normal */
    assert_int_equal(store_relax_sync(fx->st, true), 0);
    assert_int_equal(sync_mode(fx->st), 1);
    assert_int_equal(store_relax_sync(fx->st, false), 0);
    assert_int_equal(sync_mode(fx->st), 1);

    store_close(fx->st);
    fx->cfg.synchronous = STORE_SYNC_FULL;
    fx->st = store_open(&fx->cfg, true, err, sizeof(err));
    assert_non_null(fx->st);
    assert_int_equal(sync_mode(fx->st), 2);
    assert_int_equal(store_relax_sync(fx->st, true), 0);
    assert_int_equal(sync_mode(fx->st), 1);
    assert_int_equal(store_relax_sync(fx->st, true), 0);
    assert_int_equal(sync_mode(fx->st), 1);
    assert_int_equal(store_relax_sync(fx->st, false), 0);
    assert_int_equal(sync_mode(fx->st), 2);
}

static void test_reading_dedup(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    int64_t dev, pm25, pm10, again;

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_device_upsert(st, "aqm-01", "xujiahui", "air-station", "auto", &dev), 0);
    assert_int_equal(store_metric_id(st, "pm25", "ug/m3", &pm25), 0);
    assert_int_equal(store_metric_id(st, "pm10", "ug/m3", &pm10), 0);
    assert_int_not_equal(pm25, pm10);
    assert_int_equal(store_metric_id(st, "pm25", "ug/m3", &again), 0);
    assert_int_equal(again, pm25);

    assert_int_equal(store_reading_insert(st, 1732579200000LL, dev, pm25, 23.4, 0), 1);
    /* The same (ts, device, metric) again, even with another value: not stored. */
    assert_int_equal(store_reading_insert(st, 1732579200000LL, dev, pm25, 99.0, 0), 0);
    /* Another metric, another time: stored. */
    assert_int_equal(store_reading_insert(st, 1732579200000LL, dev, pm10, 41, 0), 1);
    assert_int_equal(store_reading_insert(st, 1732579200001LL, dev, pm25, 24, 0), 1);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM readings"), 3);
    /* The first value stays. */
    assert_int_equal(sql_int(fx->path, "SELECT CAST(value * 10 AS INTEGER) FROM readings "
                                       "WHERE ts = 1732579200000 AND metric_id = "
                                       "(SELECT id FROM metrics WHERE name = 'pm25')"),
                     234);
}

static void test_device_upsert(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    int64_t a, b, a2, found;
    char site[64], prof[64];

    assert_int_equal(store_device_upsert(st, "aqm-01", "xujiahui", "air-station", "registry", &a),
                     0);
    assert_int_equal(store_device_upsert(st, "aqm-02", "tianping", "air-station", "auto", &b), 0);
    assert_int_not_equal(a, b);
    /* Same name: same id, nothing changes. */
    assert_int_equal(store_device_upsert(st, "aqm-01", "xujiahui", "air-station", "registry", &a2),
                     0);
    assert_int_equal(a2, a);
    /* A new site and profile are written, under the same id. */
    assert_int_equal(store_device_upsert(st, "aqm-01", "hunan", "water-buoy", "registry", &a2), 0);
    assert_int_equal(a2, a);
    assert_int_equal(
        store_device_find(st, "aqm-01", &found, site, sizeof(site), prof, sizeof(prof)), 0);
    assert_int_equal(found, a);
    assert_string_equal(site, "hunan");
    assert_string_equal(prof, "water-buoy");
    assert_int_equal(store_device_find(st, "nope", &found, NULL, 0, NULL, 0), COL_ERR_NOTFOUND);

    /* last_seen and the message count: 1 message, then a batch of 4 with an older time. */
    assert_int_equal(store_device_seen(st, a, 5000, 1), 0);
    assert_int_equal(store_device_seen(st, a, 3000, 4), 0); /* last_seen does not go back */
    assert_int_equal(sql_int(fx->path, "SELECT last_seen FROM devices WHERE name = 'aqm-01'"),
                     5000);
    assert_int_equal(sql_int(fx->path, "SELECT first_seen FROM devices WHERE name = 'aqm-01'"),
                     5000);
    assert_int_equal(sql_int(fx->path, "SELECT n_messages FROM devices WHERE name = 'aqm-01'"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT n_messages FROM devices WHERE name = 'aqm-02'"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM devices"), 2);
}

static void test_counters_add_up(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    struct store_stats s;
    const struct store_delta d1 = {.received = 1,
                                   .stored_messages = 1,
                                   .stored_readings = 6,
                                   .unknown_fields = 2,
                                   .now_ms = 1000};
    const struct store_delta d2 = {.received = 2,
                                   .duplicates = 1,
                                   .duplicate_readings = 6,
                                   .stored_messages = 1,
                                   .stored_readings = 3,
                                   .now_ms = 2500};
    int64_t dev;

    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.received, 0);
    assert_int_equal(s.first_received_ms, 0);
    assert_int_equal(store_count(st, &d1), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_count(st, &d2), 0);
    assert_int_equal(store_device_upsert(st, "d", "s", "p", "auto", &dev), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.received, 3);
    assert_int_equal(s.stored_messages, 2);
    assert_int_equal(s.stored_readings, 9);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.duplicate_readings, 6);
    assert_int_equal(s.unknown_fields, 2);
    assert_int_equal(s.first_received_ms, 1000);
    assert_int_equal(s.last_received_ms, 2500);
    assert_int_equal(s.n_devices, 1);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(s.n_reasons, 0);
    assert_true(s.db_bytes > 0);
}

static void test_rejects_counted_and_bounded(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    struct store_stats s;
    char payload[600];

    memset(payload, 'p', sizeof(payload));
    assert_int_equal(store_reject(st, 1000, "xh/a", "malformed", "json: bad", "{x", 2), 0);
    assert_int_equal(store_reject(st, 1001, "xh/a", "malformed", "json: bad", "{y", 2), 0);
    assert_int_equal(store_reject(st, 1002, NULL, "unmatched_topic", NULL, NULL, 0), 0);
    /* The whole payload is kept, byte for byte (the caller caps it at max_payload). */
    payload[599] = 'q';
    assert_int_equal(store_reject(st, 1003, "t", "payload_too_large", "big", payload, 600), 0);
    assert_int_equal(sql_int(fx->path, "SELECT length(payload) FROM rejects WHERE reason = "
                                       "'payload_too_large'"),
                     600);
    assert_int_equal(sql_int(fx->path, "SELECT unicode(substr(CAST(payload AS TEXT), 600)) FROM "
                                       "rejects WHERE reason = 'payload_too_large'"),
                     'q');
    assert_int_equal(store_reject_bytes(st), 2 + 2 + 600);

    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.rejected_total, 4);
    assert_int_equal(s.n_rejects_kept, 4);
    /* Reasons in name order. */
    assert_int_equal(s.n_reasons, 3);
    assert_string_equal(s.reasons[0].reason, "malformed");
    assert_int_equal(s.reasons[0].n, 2);
    assert_string_equal(s.reasons[1].reason, "payload_too_large");
    assert_int_equal(s.reasons[1].n, 1);
    assert_string_equal(s.reasons[2].reason, "unmatched_topic");
    assert_int_equal(s.reasons[2].n, 1);

    /* 1000 more: the table is pruned as it goes (every 64 rejects, to 100 rows), the
     * counters are not. 4 + 1000 = 1004 in all. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(store_reject(st, 2000 + i, "xh/b", "bad_timestamp", "d", "x", 1), 0);
    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.rejected_total, 1004);
    assert_true(s.n_rejects_kept <= 100 + 63);
    assert_int_equal(store_prune_rejects(st, 5000), 0);
    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.n_rejects_kept, 100);
    /* The newest are kept: times 2900..2999. */
    assert_int_equal(sql_int(fx->path, "SELECT min(received) FROM rejects"), 2900);
    assert_int_equal(sql_int(fx->path, "SELECT max(received) FROM rejects"), 2999);
    assert_int_equal(s.rejected_total, 1004);
}

static void test_rejects_age_bound(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    char err[512];

    /* Keep rejects one minute: at b + 100 s, those received before b + 40 s go. */
    const int64_t b = wall_ms() - 100000;

    store_close(fx->st);
    fx->cfg.retention.rejects_ms = 60000;
    fx->st = store_open(&fx->cfg, false, err, sizeof(err));
    assert_non_null(fx->st);
    for (int i = 0; i < 10; i++)
        assert_int_equal(store_reject(fx->st, b + 10000 * i + 5000, "t", "malformed", "", NULL, 0),
                         0);
    assert_int_equal(store_prune_rejects(fx->st, b + 100000), 0);
    assert_int_equal(store_stats_read(fx->st, &s), 0);
    /* b + 45 s .. b + 95 s remain: 6 rows. */
    assert_int_equal(s.n_rejects_kept, 6);
    assert_int_equal(s.rejected_total, 10);
}

/* Issue 12: a forward jump of the wall clock deletes no reject. */
static void test_rejects_age_ignores_clock_jump(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    char err[512];
    const int64_t b = wall_ms() - 100000;

    store_close(fx->st);
    fx->cfg.retention.rejects_ms = 60000;
    fx->st = store_open(&fx->cfg, false, err, sizeof(err));
    assert_non_null(fx->st);
    for (int i = 0; i < 10; i++)
        assert_int_equal(store_reject(fx->st, b + 10000 * i + 5000, "t", "malformed", "", NULL, 0),
                         0);
    /* The wall clock says a year later; the monotonic clock says a moment. */
    assert_int_equal(store_prune_rejects(fx->st, b + 100000 + 365LL * 86400000), 0);
    assert_int_equal(store_stats_read(fx->st, &s), 0);
    assert_int_equal(s.n_rejects_kept, 6);
    assert_true(store_rejects_age_now(fx->st, b + 100000 + 365LL * 86400000) < wall_ms() + 1000);
    /* A clock that was never set (1970): no age at all, however old it looks. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(store_reject(fx->st, 1000 * i, "t", "timestamp_future", "", "x", 1), 0);
    assert_int_equal(store_prune_rejects(fx->st, wall_ms()), 0);
    assert_int_equal(store_stats_read(fx->st, &s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM rejects WHERE reason = "
                                       "'timestamp_future'"),
                     5);
}

/* The payload bytes bound: the newest messages that fit stay, oldest go first. */
static void test_rejects_bytes_bound(void **state)
{
    struct fixture *fx = *state;
    static char payload[10000];
    char err[512];

    store_close(fx->st);
    fx->cfg.retention.rejects_max_bytes = 65536;
    fx->st = store_open(&fx->cfg, false, err, sizeof(err));
    assert_non_null(fx->st);
    memset(payload, 'b', sizeof(payload));
    for (int i = 0; i < 10; i++) {
        assert_int_equal(
            store_reject(fx->st, 1000 + i, "t", "malformed", "", payload, sizeof(payload)), 0);
        assert_true(store_reject_bytes(fx->st) <= 65536);
    }
    /* 6 x 10 000 fit in 64 KiB, a 7th does not. */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM rejects"), 6);
    assert_int_equal(sql_int(fx->path, "SELECT min(received) FROM rejects"), 1004);
    assert_int_equal(sql_int(fx->path, "SELECT sum(length(payload)) FROM rejects"),
                     store_reject_bytes(fx->st));
    /* One message larger than the bound is not kept whole: nothing would fit. */
    fx->cfg.retention.rejects_max_bytes = 0;
}

/* A message's later rejects point at its first, which alone keeps the payload. */
static void test_rejects_of_one_message(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    struct store_reject r = {.received_ms = 5,
                             .topic = "xh/a",
                             .reason = "out_of_range",
                             .detail = "pm25",
                             .payload = "{\"pm25\": -1, \"pm10\": -2}",
                             .len = 24, /* the payload's bytes, without the NUL */
                             .size = 24};
    int64_t first = 0, second = 0;

    assert_int_equal(store_reject_add(st, &r, &first), 0);
    r.msg_id = first;
    r.detail = "pm10";
    assert_int_equal(store_reject_add(st, &r, &second), 0);
    assert_true(second > first);
    assert_int_equal(store_reject_bytes(st), 24);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM rejects WHERE payload IS NULL"), 1);
    /* Forgetting the message forgets both. */
    assert_int_equal(store_reject_forget(st, first), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM rejects"), 0);
    assert_int_equal(store_reject_bytes(st), 0);
    /* A retried message keeps its id. */
    r.msg_id = 0;
    r.id = first;
    assert_int_equal(store_reject_add(st, &r, &second), 0);
    assert_int_equal(second, first);
}

struct collected {
    int n;
    int64_t ts[16];
    char device[16][32];
    char site[16][32];
    char metric[16][32];
    char unit[16][16];
    double value[16];
    int stop_after;
};

static int collect(void *ud, const struct store_row *row)
{
    struct collected *c = ud;

    if (c->n < 16) {
        c->ts[c->n] = row->ts_ms;
        snprintf(c->device[c->n], sizeof(c->device[0]), "%s", row->device);
        snprintf(c->site[c->n], sizeof(c->site[0]), "%s", row->site);
        snprintf(c->metric[c->n], sizeof(c->metric[0]), "%s", row->metric);
        snprintf(c->unit[c->n], sizeof(c->unit[0]), "%s", row->unit);
        c->value[c->n] = row->value;
    }
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static int query(struct store *st, const char *device, const char *site, const char *metric,
                 int64_t from, int64_t to, long limit, struct collected *c)
{
    const struct store_query q = {.device = device,
                                  .site = site,
                                  .metric = metric,
                                  .from_ms = from,
                                  .to_ms = to,
                                  .limit = limit};

    memset(c, 0, sizeof(*c));
    assert_int_equal(store_query_readings(st, &q, collect, c), 0);
    return c->n;
}

static void test_query_filters(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    struct collected c;
    int64_t d1, d2, pm25, co;

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_device_upsert(st, "d1", "s1", "p", "auto", &d1), 0);
    assert_int_equal(store_device_upsert(st, "d2", "s2", "p", "auto", &d2), 0);
    assert_int_equal(store_metric_id(st, "pm25", "ug/m3", &pm25), 0);
    assert_int_equal(store_metric_id(st, "co", NULL, &co), 0);
    /* t = 1000, 2000, 3000 for d1/pm25; 2000 for d1/co; 2000 for d2/pm25. */
    assert_int_equal(store_reading_insert(st, 3000, d1, pm25, 3, 0), 1);
    assert_int_equal(store_reading_insert(st, 1000, d1, pm25, 1, 0), 1);
    assert_int_equal(store_reading_insert(st, 2000, d1, pm25, 2, 0), 1);
    assert_int_equal(store_reading_insert(st, 2000, d1, co, 0.5, 0), 1);
    assert_int_equal(store_reading_insert(st, 2000, d2, pm25, 20, 0), 1);
    assert_int_equal(store_commit(st), 0);

    /* Everything, in time order then device then metric. */
    assert_int_equal(query(st, NULL, NULL, NULL, 0, 10000, 0, &c), 5);
    assert_int_equal(c.ts[0], 1000);
    assert_int_equal(c.ts[1], 2000);
    assert_string_equal(c.device[1], "d1");
    assert_string_equal(c.metric[1], "co");
    assert_string_equal(c.unit[1], ""); /* no unit */
    assert_string_equal(c.metric[2], "pm25");
    assert_string_equal(c.unit[2], "ug/m3");
    assert_string_equal(c.device[3], "d2");
    assert_string_equal(c.site[3], "s2");
    assert_true(c.value[3] == 20);
    assert_int_equal(c.ts[4], 3000);

    assert_int_equal(query(st, "d2", NULL, NULL, 0, 10000, 0, &c), 1);
    assert_true(c.value[0] == 20);
    assert_int_equal(query(st, NULL, "s1", NULL, 0, 10000, 0, &c), 4);
    assert_int_equal(query(st, NULL, NULL, "co", 0, 10000, 0, &c), 1);
    assert_true(c.value[0] == 0.5);
    assert_int_equal(query(st, "d1", "s1", "pm25", 0, 10000, 0, &c), 3);
    assert_int_equal(query(st, "d1", "s2", NULL, 0, 10000, 0, &c), 0);
    assert_int_equal(query(st, "nobody", NULL, NULL, 0, 10000, 0, &c), 0);
    /* [from, to): from is included, to is not. */
    assert_int_equal(query(st, "d1", NULL, "pm25", 1000, 3000, 0, &c), 2);
    assert_int_equal(c.ts[0], 1000);
    assert_int_equal(c.ts[1], 2000);
    assert_int_equal(query(st, "d1", NULL, "pm25", 1001, 3001, 0, &c), 2);
    assert_int_equal(c.ts[0], 2000);
    assert_int_equal(c.ts[1], 3000);
    assert_int_equal(query(st, NULL, NULL, NULL, 2000, 2000, 0, &c), 0);
    /* limit, and a callback that stops early. */
    assert_int_equal(query(st, NULL, NULL, NULL, 0, 10000, 2, &c), 2);
    memset(&c, 0, sizeof(c));
    c.stop_after = 3;
    {
        const struct store_query q = {.from_ms = 0, .to_ms = 10000};
        assert_int_equal(store_query_readings(st, &q, collect, &c), 0);
    }
    assert_int_equal(c.n, 3);
}

static void test_rollback_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    struct store *st = fx->st;
    struct store_stats s;
    const struct store_delta d = {.received = 1, .stored_readings = 1, .now_ms = 7};
    int64_t dev, m;

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_device_upsert(st, "d1", "s1", "p", "auto", &dev), 0);
    assert_int_equal(store_metric_id(st, "pm25", "ug/m3", &m), 0);
    assert_int_equal(store_reading_insert(st, 1000, dev, m, 1, 0), 1);
    assert_int_equal(store_count(st, &d), 0);
    assert_int_equal(store_reject(st, 7, "t", "malformed", "x", NULL, 0), 0);
    store_rollback(st);

    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM readings"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM devices"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM metrics"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM rejects"), 0);
    assert_int_equal(store_stats_read(st, &s), 0);
    assert_int_equal(s.received, 0);
    assert_int_equal(s.rejected_total, 0);
    /* A rollback outside a transaction is harmless, and the store still works. */
    store_rollback(st);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_device_upsert(st, "d1", "s1", "p", "auto", &dev), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM devices"), 1);
}

static void test_site_upsert(void **state)
{
    struct fixture *fx = *state;
    char text[64];

    assert_int_equal(
        store_site_upsert(fx->st, "xujiahui", "徐家汇街道", "徐家汇街道", "air", "4a", NULL), 0);
    assert_int_equal(store_site_upsert(fx->st, "xujiahui", "徐家汇", NULL, "air", "4b", NULL), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sites"), 1);
    sql_text(fx->path, "SELECT display_name FROM sites WHERE name = 'xujiahui'", text,
             sizeof(text));
    assert_string_equal(text, "徐家汇");
    sql_text(fx->path, "SELECT noise_zone FROM sites", text, sizeof(text));
    assert_string_equal(text, "4b");
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *fx = *state;
    char err[512] = "", want[512];

    store_close(fx->st);
    fx->st = NULL;
    sql_exec(fx->path, "PRAGMA user_version = 99");
    fx->st = store_open(&fx->cfg, true, err, sizeof(err));
    assert_null(fx->st);
    snprintf(want, sizeof(want),
             "database schema version 99 is newer than this collector understands (%d); "
             "refusing to touch it",
             STORE_SCHEMA_VERSION);
    assert_string_equal(err, want);
    /* The version is left alone. */
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 99);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void check_garbage_refused(struct fixture *fx, bool run_check)
{
    char path[400], err[512] = "";
    unsigned char garbage[4096];
    unsigned char *after;
    size_t len;
    struct cfg_storage cfg = fx->cfg;
    FILE *f;

    /* Bytes that are not an SQLite header ("SQLite format 3\0"). */
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (unsigned char)(i * 37 + 11);
    snprintf(path, sizeof(path), "%s/garbage-%d.db", fx->dir, run_check);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(garbage, 1, sizeof(garbage), f), sizeof(garbage));
    fclose(f);

    cfg.path = path;
    assert_null(store_open(&cfg, run_check, err, sizeof(err)));
    if (!strstr(err, path))
        print_error("error does not name the file: %s\n", err);
    assert_non_null(strstr(err, path));
    after = read_all(path, &len);
    assert_int_equal(len, sizeof(garbage));
    assert_memory_equal(after, garbage, sizeof(garbage));
    free(after);
}

static void test_garbage_file_refused_untouched(void **state)
{
    check_garbage_refused(*state, true);
    check_garbage_refused(*state, false);
}

static void test_unopenable_path(void **state)
{
    struct fixture *fx = *state;
    struct cfg_storage cfg = fx->cfg;
    char path[400], err[512] = "";

    snprintf(path, sizeof(path), "%s/no/such/dir/c.db", fx->dir);
    cfg.path = path;
    assert_null(store_open(&cfg, true, err, sizeof(err)));
    assert_non_null(strstr(err, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_schema_and_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relax_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reading_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_add_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_counted_and_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_age_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_age_ignores_clock_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_bytes_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_of_one_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_site_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_file_refused_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unopenable_path, setup, teardown),
    };

    log_set_level(LOG_LVL_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
