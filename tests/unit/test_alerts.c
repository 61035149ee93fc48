/*
 * Tests of the alert lifecycle's memory across transactions
 * (collector/alerts/alerts.h): what an evaluation changes in memory (the
 * set of active alerts, the last values of jump rules) takes effect only
 * with the commit that persists it. A commit is made to fail for real — a
 * trigger leaves a deferred foreign key dangling, so COMMIT itself refuses
 * — or a statement is made to fail with RAISE; either way the caller rolls
 * back and says so, and the alert must still resolve when the data say.
 * Also an allocation-failure loop over one firing evaluation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "col_err.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/snapshot.h"
#include "diag.h"
#include "store/db.h"
#include "store/store.h"
#include "test_util.h"
#include "xalloc.h"

/* 2024-11-26T00:00:00Z */
#define T0_MS 1732579200000LL
#define DAY_MS 86400000LL

static const char rules_yaml[] = "rules:\n"
                                 "  - name: pm25_high\n"
                                 "    source: test rule, daily PM2.5 above 75\n"
                                 "    series: daily\n"
                                 "    select: {metric: pm25}\n"
                                 "    when: {op: \">\", value: 75}\n"
                                 "    severity: major\n"
                                 "  - name: pm25_jump\n"
                                 "    source: test rule, PM2.5 jumps by more than 50\n"
                                 "    series: jump\n"
                                 "    select: {metric: pm25}\n"
                                 "    when: {op: \">\", value: 50}\n"
                                 "  - name: quiet\n"
                                 "    source: test rule, silent for more than a minute\n"
                                 "    series: silence\n"
                                 "    when: {op: \">\", value: 60}\n"
                                 "    repeat: 1h\n";

/* A table whose rows need a parent that never exists, checked at COMMIT. */
static const char trap_sql[] =
    "CREATE TABLE trap_parent(id INTEGER PRIMARY KEY);"
    "CREATE TABLE trap(p INTEGER REFERENCES trap_parent(id) DEFERRABLE INITIALLY DEFERRED);";

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *st;
    struct alerts *a;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct capture cap;
    struct diag d;
    const struct snapshot *snap;
    char path[256], err[512];

    if (!fx)
        return -1;
    *state = fx;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_alerts.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    test_write_file(fx->dir, "rules.yaml", rules_yaml);
    test_write_file(fx->dir, "collector.yaml",
                    "storage:\n  path: c.db\nrules:\n  paths: [rules.yaml]\n"
                    "devices:\n  profiles: " PROJECT_SRC_DIR "/devices/profiles\n");
    snprintf(path, sizeof(path), "%s/collector.yaml", fx->dir);
    cap_init(&cap, &d);
    fx->cfg = config_load(path, NULL, 0, &d);
    if (!fx->cfg) {
        fprintf(stderr, "%s\n", cap.n ? cap.msg[0] : "config_load failed");
        return -1;
    }
    fx->st = store_open(&fx->cfg->storage, false, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (store_exec(fx->st, "PRAGMA foreign_keys = ON") || store_exec(fx->st, trap_sql))
        return -1;
    if (snapshot_load(fx->cfg, &d, &snap)) {
        fprintf(stderr, "%s\n", cap.n ? cap.msg[0] : "snapshot_load failed");
        return -1;
    }
    fx->a = alerts_new(fx->cfg, fx->st, snap, NULL);
    snapshot_release(snap); /* the evaluator holds it */
    return fx->a ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    if (!fx)
        return 0;
    alerts_free(fx->a);
    store_close(fx->st);
    config_free(fx->cfg);
    test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* One daily value in its own transaction, as the rollup pass runs it. */
static int daily(struct fixture *fx, double value, int64_t t_ms)
{
    int rc = store_begin(fx->st);

    if (rc)
        return rc;
    rc = alerts_on_value(fx->a, RULE_DAILY, "air", "xujiahui", NULL, "pm25", "µg/m³", value, t_ms);
    if (rc == 0)
        rc = store_commit(fx->st);
    else
        store_rollback(fx->st);
    alerts_committed(fx->a, rc == 0);
    return rc;
}

/* One reading in its own transaction; @fail: the caller's other work failed, it rolls back. */
static int reading(struct fixture *fx, double value, int64_t ts_ms, bool fail)
{
    int rc = store_begin(fx->st);

    if (rc)
        return rc;
    rc =
        alerts_on_reading(fx->a, "air", "xujiahui", "aqm-01", "pm25", "µg/m³", value, ts_ms, ts_ms);
    if (rc == 0 && fail)
        rc = COL_ERR_DB;
    if (rc == 0)
        rc = store_commit(fx->st);
    else
        store_rollback(fx->st);
    alerts_committed(fx->a, rc == 0);
    return rc;
}

/* The state of the newest row of @rule ("" when none) and the number of its rows. */
static int state_of(struct fixture *fx, const char *rule, char *out, size_t sz)
{
    struct db_stmt *s = db_prepare(fx->st, "SELECT state, (SELECT count(*) FROM alerts WHERE rule"
                                           " = ?1) FROM alerts WHERE rule = ?1 ORDER BY id DESC"
                                           " LIMIT 1");
    int n = 0;

    assert_non_null(s);
    db_bind_text(s, 1, rule);
    snprintf(out, sz, "%s", "");
    if (db_step(s) == DB_ROW) {
        db_col_copy(s, 0, out, sz);
        n = (int)db_col_i64(s, 1);
    }
    db_reset(s);
    return n;
}

/*
 * Issue #12: a resolution whose COMMIT failed. Memory used to call the
 * alert resolved while its row stayed firing, and the next safe value was
 * then skipped as "quiet": the alert stayed firing in the table forever.
 */
static void test_alerts_issue12_resolve_after_failed_commit(void **state)
{
    struct fixture *fx = *state;
    char st[16];

    assert_int_equal(daily(fx, 100, T0_MS), 0);
    assert_int_equal(state_of(fx, "pm25_high", st, sizeof(st)), 1);
    assert_string_equal(st, "firing");

    assert_int_equal(store_exec(fx->st, "CREATE TRIGGER trap_resolve AFTER UPDATE OF state ON"
                                        " alerts WHEN NEW.state = 'resolved' BEGIN"
                                        " INSERT INTO trap(p) VALUES (42); END"),
                     0);
    /* the value is safe, the row is written, and COMMIT refuses the dangling key */
    assert_int_not_equal(daily(fx, 10, T0_MS + DAY_MS), 0);
    state_of(fx, "pm25_high", st, sizeof(st));
    assert_string_equal(st, "firing");

    assert_int_equal(store_exec(fx->st, "DROP TRIGGER trap_resolve"), 0);
    assert_int_equal(daily(fx, 10, T0_MS + 2 * DAY_MS), 0);
    assert_int_equal(state_of(fx, "pm25_high", st, sizeof(st)), 1);
    assert_string_equal(st, "resolved");
}

/* The same with the update itself refused (RAISE): the evaluation fails, the caller rolls back. */
static void test_alerts_resolve_after_refused_update(void **state)
{
    struct fixture *fx = *state;
    char st[16];

    assert_int_equal(daily(fx, 100, T0_MS), 0);
    assert_int_equal(store_exec(fx->st, "CREATE TRIGGER no_resolve BEFORE UPDATE OF state ON"
                                        " alerts WHEN NEW.state = 'resolved' BEGIN"
                                        " SELECT RAISE(ABORT, 'refused by the test'); END"),
                     0);
    assert_int_equal(daily(fx, 10, T0_MS + DAY_MS), COL_ERR_DB);
    state_of(fx, "pm25_high", st, sizeof(st));
    assert_string_equal(st, "firing");
    assert_int_equal(store_exec(fx->st, "DROP TRIGGER no_resolve"), 0);
    assert_int_equal(daily(fx, 10, T0_MS + 2 * DAY_MS), 0);
    state_of(fx, "pm25_high", st, sizeof(st));
    assert_string_equal(st, "resolved");
}

/* A firing whose commit failed never happened: the next breach fires it, once. */
static void test_alerts_fire_after_failed_commit(void **state)
{
    struct fixture *fx = *state;
    char st[16];

    assert_int_equal(store_exec(fx->st, "CREATE TRIGGER trap_insert AFTER INSERT ON alerts BEGIN"
                                        " INSERT INTO trap(p) VALUES (42); END"),
                     0);
    assert_int_not_equal(daily(fx, 100, T0_MS), 0);
    assert_int_equal(state_of(fx, "pm25_high", st, sizeof(st)), 0);
    assert_int_equal(store_exec(fx->st, "DROP TRIGGER trap_insert"), 0);
    /* safe: nothing is active, nothing to write */
    assert_int_equal(daily(fx, 10, T0_MS + DAY_MS), 0);
    assert_int_equal(state_of(fx, "pm25_high", st, sizeof(st)), 0);
    assert_int_equal(daily(fx, 100, T0_MS + 2 * DAY_MS), 0);
    assert_int_equal(state_of(fx, "pm25_high", st, sizeof(st)), 1);
    assert_string_equal(st, "firing");
}

/*
 * A reading whose transaction rolled back did not happen for the jump rule
 * either: when it comes again (the broker redelivers it), the jump from the
 * last stored reading is seen.
 */
static void test_alerts_jump_after_rollback(void **state)
{
    struct fixture *fx = *state;
    char st[16];

    assert_int_equal(reading(fx, 10, T0_MS, false), 0);
    assert_int_equal(reading(fx, 100, T0_MS + 60000, true), COL_ERR_DB);
    assert_int_equal(state_of(fx, "pm25_jump", st, sizeof(st)), 0);
    assert_int_equal(reading(fx, 100, T0_MS + 60000, false), 0);
    assert_int_equal(state_of(fx, "pm25_jump", st, sizeof(st)), 1);
    assert_string_equal(st, "firing");
}

/* Every allocation of a firing evaluation fails in turn: an error or success, never a crash. */
static void test_alerts_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    char st[16];
    long n;

    xalloc_fail_at(0);
    assert_int_equal(daily(fx, 100, T0_MS), 0);
    n = xalloc_count();
    assert_int_equal(daily(fx, 10, T0_MS + DAY_MS), 0);
    for (long i = 1; i <= n + 2; i++) {
        int rc;
        xalloc_fail_at(i);
        rc = daily(fx, 100 + (double)i, T0_MS + (2 + i) * DAY_MS);
        xalloc_fail_at(0);
        assert_true(rc == 0 || rc == COL_ERR_NOMEM || rc == COL_ERR_DB);
        /* whatever happened, the next safe value leaves nothing firing */
        assert_int_equal(daily(fx, 10, T0_MS + (2 + i) * DAY_MS + 1), 0);
        state_of(fx, "pm25_high", st, sizeof(st));
        assert_string_equal(st, "resolved");
    }
}

/* A device's message received at @last_ms, as ingest records it. */
static void seen(struct fixture *fx, const char *name, int64_t last_ms)
{
    int64_t id;

    assert_int_equal(store_begin(fx->st), 0);
    assert_int_equal(store_device_upsert(fx->st, name, "xujiahui", "air-station", "auto", &id), 0);
    assert_int_equal(store_device_seen(fx->st, id, last_ms, 1), 0);
    assert_int_equal(store_commit(fx->st), 0);
}

static int64_t alert_i64(struct fixture *fx, const char *sql)
{
    struct db_stmt *s = db_prepare(fx->st, sql);
    int64_t v = -1;

    assert_non_null(s);
    if (db_step(s) == DB_ROW)
        v = db_col_i64(s, 0);
    db_reset(s);
    return v;
}

/*
 * Issue 12: silence and reminders age on the monotonic clock. A wall clock
 * that jumps a day forward makes no device silent and sends no reminder; one
 * that jumps back resolves no silence; a device that reports again after the
 * clock went back (last_seen keeps the later time) is no longer silent.
 */
static void test_alerts_issue12_silence_ignores_clock_jumps(void **state)
{
    struct fixture *fx = *state;
    const int64_t w = wall_ms();
    char st[16];

    seen(fx, "aqm-01", w - 1000);
    seen(fx, "aqm-02", w - 120000); /* silent two minutes when the collector starts */
    assert_int_equal(alerts_tick(fx->a, w), 0);
    assert_int_equal(
        alert_i64(fx, "SELECT count(*) FROM alerts WHERE rule = 'quiet' AND state = 'firing'"), 1);
    assert_int_equal(
        alert_i64(fx, "SELECT count(*) FROM alerts WHERE scope LIKE '%aqm-02%' AND state = "
                      "'firing'"),
        1);
    {
        const int64_t notified = alert_i64(fx, "SELECT last_notified FROM alerts");

        /* A day forward: aqm-01 is not silent, aqm-02 gets no reminder (repeat 1h). */
        assert_int_equal(alerts_tick(fx->a, w + DAY_MS), 0);
        assert_int_equal(alert_i64(fx, "SELECT count(*) FROM alerts WHERE rule = 'quiet'"), 1);
        assert_int_equal(alert_i64(fx, "SELECT last_notified FROM alerts"), notified);
    }
    /* A day back: aqm-02 is still silent. */
    assert_int_equal(alerts_tick(fx->a, w - DAY_MS), 0);
    assert_int_equal(state_of(fx, "quiet", st, sizeof(st)), 1);
    assert_string_equal(st, "firing");
    /* It reports under the clock that went back: resolved. */
    seen(fx, "aqm-02", w - DAY_MS);
    assert_int_equal(alerts_tick(fx->a, w - DAY_MS + 1000), 0);
    assert_int_equal(state_of(fx, "quiet", st, sizeof(st)), 1);
    assert_string_equal(st, "resolved");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts_issue12_resolve_after_failed_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_alerts_resolve_after_refused_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_fire_after_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_jump_after_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_issue12_silence_ignores_clock_jumps, setup,
                                        teardown),
    };

    log_set_level(LOG_LVL_ERR + 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
