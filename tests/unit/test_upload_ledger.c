/*
 * Tests of the upload ledger (collector/upload/upload_ledger.c, declared in
 * upload_int.h) against docs/upload.md: which days a run sends and in what
 * order, what each attempt writes, retries and their count, late data as a
 * new revision, and the limits the options and the configuration set. A
 * real store in a temporary directory (tmpfs where there is one); readings
 * go in as ingest writes them and the rollup runs on them, so that the days
 * table and the late-data mark are the rollup's own. No HTTP: a test plays
 * upload.c, calling _start, then _fail or _done.
 *
 * The gateway zone is Asia/Shanghai (UTC+8, no DST). "Now" is
 * 2024-11-26 10:00 local; the days used are 2024-11-14 .. 2024-11-26.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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
#include "stats/rollup.h"
#include "store/db.h"
#include "store/store.h"
#include "test_util.h"
#include "upload/upload.h"
#include "upload/upload_int.h"
#include "xalloc.h"

#define HOUR_MS 3600000LL
#define MIN_MS 60000LL
#define DAY_MS (24 * HOUR_MS)
/* 2024-11-26 00:00 Asia/Shanghai = 2024-11-25T16:00:00Z = 1732550400 s. */
#define D26 1732550400000LL
/* Local midnight of 2024-11-@d (14 <= d <= 30). */
#define DAY0(d) (D26 + ((int64_t)(d)-26) * DAY_MS)
/* "Now": 2024-11-26 10:00 local. Today is the 26th; the 25th is the last day due. */
#define NOW (D26 + 10 * HOUR_MS)
/* The fingerprint of the upload configuration, as upload.c passes it. */
#define FP "fp-a"

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *st;
    struct rollup *ru;
    int64_t dev;
    struct upload_plan p;
};

/* ---- fixture ---- */

static int open_with(void **state, const char *const *sets, size_t n_sets)
{
    static const char yaml[] = "storage:\n  path: c.db\n  synchronous: normal\n";
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct capture cap;
    struct diag d;
    struct stat sb;
    char path[128], err[512];

    if (!fx)
        return -1;
    *state = fx;
    log_set_level(LOG_LVL_ERR);
    snprintf(fx->dir, sizeof(fx->dir), "%s/test_upload_ledger.XXXXXX",
             stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                 ? "/dev/shm"
                 : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(path, sizeof(path), "%s/collector.yaml", fx->dir);
    cap_init(&cap, &d);
    fx->cfg = config_parse(path, yaml, sizeof(yaml) - 1, sets, n_sets, &d);
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
    fx->ru = rollup_new(fx->cfg, fx->st);
    if (!fx->ru)
        return -1;
    rollup_set_budget(fx->ru, 0);
    if (store_site_upsert(fx->st, "air-1", "air-1", NULL, NULL, NULL, NULL) ||
        store_device_upsert(fx->st, "aqm-1", "air-1", "test", "registry", &fx->dev))
        return -1;
    return 0;
}

static int setup(void **state)
{
    return open_with(state, NULL, 0);
}

static int setup_two_per_run(void **state)
{
    static const char *const sets[] = {"upload.max_days_per_run=2"};

    return open_with(state, sets, 1);
}

static int setup_no_reupload(void **state)
{
    static const char *const sets[] = {"upload.reupload_window=0"};

    return open_with(state, sets, 1);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    if (!fx)
        return 0;
    xfree(fx->p.v);
    rollup_free(fx->ru);
    store_close(fx->st);
    config_free(fx->cfg);
    if (fx->dir[0])
        test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- data: what ingest and the rollup do ---- */

/* A PM2.5 reading at local @hour of 2024-11-@day, committed and rolled up. */
static void reading(struct fixture *fx, int day, int hour, double value)
{
    struct store_reading row = {DAY0(day) + hour * HOUR_MS, 0, value, 0};

    assert_int_equal(store_begin(fx->st), 0);
    assert_int_equal(store_metric_id(fx->st, "pm25", NULL, &row.metric), 0);
    assert_int_equal(store_readings_insert(fx->st, fx->dev, &row, 1), 1);
    assert_int_equal(store_mark_dirty(fx->st, cal_hour_floor(row.ts_ms), fx->dev), 0);
    assert_int_equal(store_commit(fx->st), 0);
    assert_true(rollup_step(fx->ru, 1000, DAY0(31)) >= 1);
}

/* ---- the ledger ---- */

static struct upload_opts opts(int64_t now)
{
    struct upload_opts o = {0};

    o.now_ms = now;
    return o;
}

/* The plan for @o, into fx->p (the previous one is freed). */
static void plan_with(struct fixture *fx, const struct upload_opts *o, const char *fp)
{
    xfree(fx->p.v);
    memset(&fx->p, 0, sizeof(fx->p));
    assert_int_equal(upload_ledger_plan(fx->cfg, fx->st, o, fp, &fx->p), 0);
}

static void plan_at(struct fixture *fx, int64_t now)
{
    struct upload_opts o = opts(now);

    plan_with(fx, &o, FP);
}

/* The plan is exactly @n days: "YYYY-MM-DD", state, revision, ... */
static void expect_plan(const struct fixture *fx, size_t n, ...)
{
    va_list ap;

    if (fx->p.n != n) {
        for (size_t i = 0; i < fx->p.n; i++)
            print_error("  planned %s %s %ld\n", fx->p.v[i].day, fx->p.v[i].state,
                        fx->p.v[i].revision);
    }
    assert_int_equal(fx->p.n, n);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *day = va_arg(ap, const char *);
        const char *state = va_arg(ap, const char *);
        long rev = va_arg(ap, long);
        assert_string_equal(fx->p.v[i].day, day);
        assert_string_equal(fx->p.v[i].state, state);
        assert_int_equal(fx->p.v[i].revision, rev);
    }
    va_end(ap);
}

/* The due entry of @day in the current plan. */
static const struct upload_due *due(const struct fixture *fx, const char *day)
{
    for (size_t i = 0; i < fx->p.n; i++)
        if (strcmp(fx->p.v[i].day, day) == 0)
            return &fx->p.v[i];
    print_error("%s is not planned\n", day);
    fail();
    return NULL;
}

/* One ledger column of @day as an integer (-1 without a row, -2 for NULL). */
static int64_t col_i64(struct fixture *fx, const char *sql, const char *day)
{
    struct db_stmt *s = db_prepare(fx->st, sql);
    int64_t v = -1;

    assert_non_null(s);
    db_bind_text(s, 1, day);
    if (db_step(s) == DB_ROW)
        v = db_col_is_null(s, 0) ? -2 : db_col_i64(s, 0);
    db_reset(s);
    return v;
}

static void ledger_state(struct fixture *fx, const char *day, char out[16])
{
    struct db_stmt *s = db_prepare(fx->st, "SELECT state FROM upload_ledger WHERE day = ?1");

    assert_non_null(s);
    db_bind_text(s, 1, day);
    out[0] = '\0';
    if (db_step(s) == DB_ROW)
        db_col_copy(s, 0, out, 16);
    db_reset(s);
}

#define assert_state(fx, day, want)                                                                \
    do {                                                                                           \
        char st_[16];                                                                              \
        ledger_state((fx), (day), st_);                                                            \
        assert_string_equal(st_, (want));                                                          \
    } while (0)

static int64_t revision_of(struct fixture *fx, const char *day)
{
    return col_i64(fx, "SELECT revision FROM upload_ledger WHERE day = ?1", day);
}

static int64_t changes_not_sent(struct fixture *fx, const char *day)
{
    return col_i64(fx, "SELECT changes_not_sent FROM upload_ledger WHERE day = ?1", day);
}

static int64_t days_uploaded(struct fixture *fx, const char *day)
{
    return col_i64(fx, "SELECT uploaded FROM days WHERE day = ?1", day);
}

/* upload.c's part after every PUT returned 2xx: a manifest on disk and the export's figures. */
static void deliver(struct fixture *fx, const struct upload_due *d)
{
    static const char manifest[] = "{\"format\":\"xuhui-collector-day\"}\n";
    struct upload_export ex;
    char path[128];
    FILE *f;

    memset(&ex, 0, sizeof(ex));
    snprintf(ex.day, sizeof(ex.day), "%s", d->day);
    ex.revision = d->revision;
    ex.n_files = 2;
    snprintf(ex.files[0].name, sizeof(ex.files[0].name), "readings.ndjson.gz");
    ex.files[0].rows = 1;
    ex.files[0].bytes = 40;
    snprintf(ex.files[1].name, sizeof(ex.files[1].name), UPLOAD_MANIFEST);
    ex.files[1].bytes = (int64_t)sizeof(manifest) - 1;
    snprintf(ex.files[1].sha256, sizeof(ex.files[1].sha256), "%064d", 0);
    ex.rows = 1;
    ex.bytes = 40;
    snprintf(path, sizeof(path), "%s/%s", fx->dir, UPLOAD_MANIFEST);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(manifest, 1, sizeof(manifest) - 1, f), sizeof(manifest) - 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(upload_ledger_done(fx->st, d, &ex, 200, path), 0);
    unlink(path);
}

static void fail_with(struct fixture *fx, const struct upload_due *d, const char *state,
                      long status, int64_t next, const char *fp)
{
    struct upload_put_result res = {0};

    res.outcome = strcmp(state, "config_error") == 0 ? UPLOAD_CONFIG : UPLOAD_RETRY;
    res.status = status;
    upload_errorf(&res, "readings.ndjson.gz: HTTP %ld", status);
    assert_int_equal(upload_ledger_fail(fx->st, d, state, &res, next, fp), 0);
}

/* A whole attempt that succeeds. */
static void send_ok(struct fixture *fx, const char *day, int64_t now)
{
    struct upload_due d = *due(fx, day);

    assert_int_equal(upload_ledger_start(fx->st, &d, now), 0);
    deliver(fx, &d);
}

/* ---- 1. which days, in which order ---- */

static void test_days_due_in_order(void **state)
{
    struct fixture *fx = *state;

    /*
     * Data on the 22nd, 20th and 21st (written in that order), and today, the
     * 26th. Due: every day before today with data, oldest first (docs/upload.md
     * "Which days are due"), each pending as revision 1. Today is not due.
     */
    reading(fx, 22, 12, 30);
    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    reading(fx, 26, 8, 30);
    plan_at(fx, NOW);
    expect_plan(fx, 3, "2024-11-20", "pending", 1L, "2024-11-21", "pending", 1L, "2024-11-22",
                "pending", 1L);
    assert_false(fx->p.is_blocked);
    assert_int_equal(fx->p.retry_at_ms, 0);
    /* planning writes nothing */
    assert_int_equal(revision_of(fx, "2024-11-20"), -1);
    /* the next day, the 26th is due too */
    plan_at(fx, NOW + DAY_MS);
    assert_int_equal(fx->p.n, 4);
    assert_string_equal(fx->p.v[3].day, "2024-11-26");
}

static void test_day_without_data_is_not_due(void **state)
{
    struct fixture *fx = *state;
    struct db_stmt *s;

    /* A days row with nothing behind it (the rollup notes a day before its night's
     * first hours are in): the 23rd has no readings and no statistics, so it is not
     * sent (docs/upload.md: a day is due when it "has data"); the 24th is. */
    reading(fx, 24, 12, 30);
    s = db_prepare(fx->st, "INSERT OR IGNORE INTO days(day) VALUES ('2024-11-23')");
    assert_non_null(s);
    assert_int_equal(db_run(s), 0);
    plan_at(fx, NOW);
    expect_plan(fx, 1, "2024-11-24", "pending", 1L);
}

/* ---- 2. done only after upload_ledger_done ---- */

static void test_done_only_after_done(void **state)
{
    struct fixture *fx = *state;
    struct upload_due d;

    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    plan_at(fx, NOW);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, NOW), 0);
    /* 'uploading' is written before the first byte; the day is not delivered */
    assert_state(fx, "2024-11-20", "uploading");
    assert_int_equal(days_uploaded(fx, "2024-11-20"), 0);
    /* A run that died there: the next run sends the day again, same revision. */
    plan_at(fx, NOW + MIN_MS);
    expect_plan(fx, 2, "2024-11-20", "uploading", 1L, "2024-11-21", "pending", 1L);
    deliver(fx, &d);
    assert_state(fx, "2024-11-20", "done");
    assert_int_equal(days_uploaded(fx, "2024-11-20"), 1);
    assert_int_equal(revision_of(fx, "2024-11-20"), 1);
    assert_int_equal(col_i64(fx, "SELECT bytes FROM upload_ledger WHERE day = ?1", "2024-11-20"),
                     40 + 33);
    /* delivered: not due any more */
    plan_at(fx, NOW + 2 * MIN_MS);
    expect_plan(fx, 1, "2024-11-21", "pending", 1L);
}

/* ---- 3. a failed day is retried and its attempts counted ---- */

static void test_failed_day_is_retried(void **state)
{
    struct fixture *fx = *state;
    struct upload_due d;
    int64_t next = NOW + 5 * MIN_MS;

    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    plan_at(fx, NOW);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_attempts(fx->st, d.day), 1); /* no row yet */
    assert_int_equal(upload_ledger_start(fx->st, &d, NOW), 0);
    assert_int_equal(upload_ledger_attempts(fx->st, d.day), 1);
    fail_with(fx, &d, "failed", 503, next, NULL);
    assert_state(fx, "2024-11-20", "failed");
    assert_int_equal(col_i64(fx, "SELECT last_status FROM upload_ledger WHERE day = ?1", d.day),
                     503);

    /* Before its backoff: nothing is sent, and the 21st does not overtake the 20th. */
    plan_at(fx, next - 1);
    expect_plan(fx, 0);
    assert_int_equal(fx->p.retry_at_ms, next);
    /* By hand (`collector upload`): the backoff is not waited for. */
    {
        struct upload_opts o = opts(next - 1);
        o.is_manual = true;
        plan_with(fx, &o, FP);
        expect_plan(fx, 2, "2024-11-20", "failed", 1L, "2024-11-21", "pending", 1L);
    }
    /* At its retry time: due again, same revision, in front of the 21st. */
    plan_at(fx, next);
    expect_plan(fx, 2, "2024-11-20", "failed", 1L, "2024-11-21", "pending", 1L);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, next), 0);
    assert_int_equal(upload_ledger_attempts(fx->st, d.day), 2);
    fail_with(fx, &d, "failed", 0, next + 10 * MIN_MS, NULL);
    plan_at(fx, next + 10 * MIN_MS);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, next + 10 * MIN_MS), 0);
    deliver(fx, &d);
    /* attempts of this revision, including the successful one: 3 */
    assert_int_equal(upload_ledger_attempts(fx->st, d.day), 3);
    assert_state(fx, "2024-11-20", "done");
    assert_int_equal(col_i64(fx, "SELECT last_status FROM upload_ledger WHERE day = ?1", d.day),
                     200);
    assert_int_equal(col_i64(fx, "SELECT next_attempt FROM upload_ledger WHERE day = ?1", d.day),
                     -2);
    assert_int_equal(
        col_i64(fx, "SELECT first_attempt_at FROM upload_ledger WHERE day = ?1", d.day), NOW);
}

static void test_config_error_holds_the_queue(void **state)
{
    struct fixture *fx = *state;
    struct upload_due d;
    struct upload_opts o;

    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    plan_at(fx, NOW);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, NOW), 0);
    fail_with(fx, &d, "config_error", 403, 0, FP);
    /* Held under the same configuration: nothing goes, however late. */
    plan_at(fx, NOW + DAY_MS / 2);
    expect_plan(fx, 0);
    assert_true(fx->p.is_blocked);
    assert_string_equal(fx->p.blocked_day, "2024-11-20");
    /* The configuration changed, the daemon restarted, or an operator runs it: tried again. */
    o = opts(NOW + DAY_MS / 2);
    plan_with(fx, &o, "fp-b");
    expect_plan(fx, 2, "2024-11-20", "config_error", 1L, "2024-11-21", "pending", 1L);
    o.is_first_run = true;
    plan_with(fx, &o, FP);
    assert_int_equal(fx->p.n, 2);
    o.is_first_run = false;
    o.is_manual = true;
    plan_with(fx, &o, FP);
    assert_int_equal(fx->p.n, 2);
}

/* ---- 4. late data: a new revision ---- */

static void test_late_data_sends_a_new_revision(void **state)
{
    struct fixture *fx = *state;
    struct upload_due d;

    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    plan_at(fx, NOW);
    send_ok(fx, "2024-11-20", NOW);
    send_ok(fx, "2024-11-21", NOW);
    plan_at(fx, NOW + MIN_MS);
    expect_plan(fx, 0);

    /*
     * A device flushes its buffer: a reading for the 20th arrives after the
     * day was delivered. The rollup recomputes the day and marks it
     * changed_after_upload (docs/upload.md "Late data"); the 20th is 6 days
     * old, inside the 7-day re-upload window: due again as revision 2.
     */
    reading(fx, 20, 13, 40);
    assert_int_equal(
        col_i64(fx, "SELECT changed_after_upload FROM upload_ledger WHERE day = ?1", "2024-11-20"),
        1);
    plan_at(fx, NOW + HOUR_MS);
    expect_plan(fx, 1, "2024-11-20", "done", 2L);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, NOW + HOUR_MS), 0);
    /* the new revision counts its own attempts, from 1 */
    assert_int_equal(upload_ledger_attempts(fx->st, d.day), 1);
    assert_int_equal(revision_of(fx, "2024-11-20"), 2);
    deliver(fx, &d);
    assert_state(fx, "2024-11-20", "done");
    assert_int_equal(revision_of(fx, "2024-11-20"), 2);
    plan_at(fx, NOW + 2 * HOUR_MS);
    expect_plan(fx, 0);
}

static void test_late_data_during_upload_is_not_lost(void **state)
{
    struct fixture *fx = *state;
    struct upload_due d;

    /* A reading for the 20th arrives while the 20th is being sent: the export may
     * have been read before it, so once delivered the day is due again as revision 2. */
    reading(fx, 20, 12, 30);
    plan_at(fx, NOW);
    d = *due(fx, "2024-11-20");
    assert_int_equal(upload_ledger_start(fx->st, &d, NOW), 0);
    reading(fx, 20, 14, 50);
    deliver(fx, &d);
    plan_at(fx, NOW + MIN_MS);
    expect_plan(fx, 1, "2024-11-20", "done", 2L);
}

static void test_late_data_outside_the_window(void **state)
{
    struct fixture *fx = *state;
    struct upload_opts o;

    /*
     * The window is 7 days (default): from now, 2024-11-26 10:00, back to
     * 2024-11-19 10:00, whose day is the 19th. The 18th is older: its late
     * change is counted in changes_not_sent, not sent; the 20th is resent.
     */
    reading(fx, 18, 12, 30);
    reading(fx, 20, 12, 30);
    plan_at(fx, NOW - 3 * DAY_MS);
    send_ok(fx, "2024-11-18", NOW - 3 * DAY_MS);
    send_ok(fx, "2024-11-20", NOW - 3 * DAY_MS);
    reading(fx, 18, 13, 40);
    reading(fx, 20, 13, 40);
    /* a dry run changes nothing, not even the count */
    o = opts(NOW);
    o.is_dry_run = true;
    plan_with(fx, &o, FP);
    expect_plan(fx, 1, "2024-11-20", "done", 2L);
    assert_int_equal(changes_not_sent(fx, "2024-11-18"), 0);
    plan_at(fx, NOW);
    expect_plan(fx, 1, "2024-11-20", "done", 2L);
    assert_int_equal(changes_not_sent(fx, "2024-11-18"), 1);
    assert_int_equal(revision_of(fx, "2024-11-18"), 1);
    /* counted once: the mark is cleared */
    plan_at(fx, NOW + MIN_MS);
    assert_int_equal(changes_not_sent(fx, "2024-11-18"), 1);
    /* `--day` sends it anyway, as a new revision */
    o = opts(NOW);
    o.day = "2024-11-18";
    plan_with(fx, &o, FP);
    expect_plan(fx, 1, "2024-11-18", "done", 2L);
}

static void test_no_reupload_window(void **state)
{
    struct fixture *fx = *state;

    /* upload.reupload_window = 0: "never". A delivered day that changes is not sent again. */
    reading(fx, 25, 12, 30);
    plan_at(fx, NOW);
    send_ok(fx, "2024-11-25", NOW);
    reading(fx, 25, 13, 40);
    plan_at(fx, NOW + MIN_MS);
    expect_plan(fx, 0);
    assert_int_equal(changes_not_sent(fx, "2024-11-25"), 1);
}

/* ---- 5. what the options allow ---- */

static void test_max_days_per_run(void **state)
{
    struct fixture *fx = *state;

    /* upload.max_days_per_run = 2: of the four due days, the two oldest. */
    for (int day = 20; day <= 23; day++)
        reading(fx, day, 12, 30);
    plan_at(fx, NOW);
    expect_plan(fx, 2, "2024-11-20", "pending", 1L, "2024-11-21", "pending", 1L);
    send_ok(fx, "2024-11-20", NOW);
    send_ok(fx, "2024-11-21", NOW);
    plan_at(fx, NOW + MIN_MS);
    expect_plan(fx, 2, "2024-11-22", "pending", 1L, "2024-11-23", "pending", 1L);
}

static void test_one_day_by_hand(void **state)
{
    struct fixture *fx = *state;
    struct upload_opts o = opts(NOW);

    reading(fx, 20, 12, 30);
    reading(fx, 21, 12, 30);
    plan_at(fx, NOW);
    send_ok(fx, "2024-11-20", NOW);
    /* `--day` sends that day only, again as a new revision when it was delivered */
    o.day = "2024-11-20";
    plan_with(fx, &o, FP);
    expect_plan(fx, 1, "2024-11-20", "done", 2L);
    o.day = "2024-11-21";
    plan_with(fx, &o, FP);
    expect_plan(fx, 1, "2024-11-21", "pending", 1L);
    /* a day with nothing stored is sent empty */
    o.day = "2024-11-10";
    plan_with(fx, &o, FP);
    expect_plan(fx, 1, "2024-11-10", "pending", 1L);
}

/* ---- allocation failures: an error, nothing written, then a whole plan ---- */

static void test_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    struct upload_opts o = opts(D26 + 40 * DAY_MS);
    int rc = -1;
    long n;

    /* 17 due days (the 14th .. the 30th) outgrow the plan's first 16 slots. */
    for (int day = 14; day <= 30; day++)
        reading(fx, day, 12, 30);
    for (n = 1; n < 1000; n++) {
        xfree(fx->p.v);
        memset(&fx->p, 0, sizeof(fx->p));
        xalloc_fail_at(n);
        rc = upload_ledger_plan(fx->cfg, fx->st, &o, FP, &fx->p);
        xalloc_fail_at(0);
        if (rc == 0)
            break;
        /* the plan's own array fails with NOMEM; a statement the db helper could not
         * prepare for want of memory is a database error (upload_int.h allows both) */
        assert_true(rc == COL_ERR_NOMEM || rc == COL_ERR_DB);
    }
    assert_true(n > 1);
    assert_int_equal(rc, 0);
    assert_int_equal(fx->p.n, 17);
    assert_string_equal(fx->p.v[0].day, "2024-11-14");
    assert_string_equal(fx->p.v[16].day, "2024-11-30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_days_due_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_day_without_data_is_not_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_only_after_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_day_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_error_holds_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_sends_a_new_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_during_upload_is_not_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_outside_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_reupload_window, setup_no_reupload, teardown),
        cmocka_unit_test_setup_teardown(test_max_days_per_run, setup_two_per_run, teardown),
        cmocka_unit_test_setup_teardown(test_one_day_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
