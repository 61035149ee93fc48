/*
 * SQLite store. Layout decisions, each measured or required:
 * - readings are keyed (ts, device_id, metric_id) WITHOUT ROWID: a
 *   time-first key appends at the right edge of the B-tree, about 4x faster
 *   to insert than a device-first key, and the key makes a resent reading a
 *   no-op (INSERT OR IGNORE), which is how duplicates are detected.
 * - counters live in a one-row table updated in the message's transaction,
 *   so `collector stats` (another process) reads numbers that always agree
 *   with the readings table, even after a crash.
 * - every statement on the hot path is prepared once at open.
 * SQLite result codes are translated to COL_ERR_* here and nowhere else.
 * The schema and its migrations are in store_schema.c, the rejects table
 * and its bounds in store_rejects.c.
 */
#include "store.h"
#include "store_int.h"
#include "col_err.h"
#include "db.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define STORE_WAL_CHECKPOINT_BYTES (8 * 1024 * 1024)

static const char *const stmt_sql[S_COUNT_STMTS] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_INSERT_READING] = "INSERT OR IGNORE INTO readings(ts, device_id, metric_id, value, flags) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_DEVICE_SEEN] = "UPDATE devices SET last_seen = max(coalesce(last_seen, 0), ?2), "
                      "first_seen = coalesce(first_seen, ?2), n_messages = n_messages + ?3 "
                      "WHERE id = ?1",
    [S_COUNT] = "UPDATE ingest_stats SET received = received + ?1, "
                "stored_messages = stored_messages + ?2, stored_readings = stored_readings + ?3, "
                "duplicates = duplicates + ?4, duplicate_readings = duplicate_readings + ?5, "
                "unknown_fields = unknown_fields + ?6, corrections = corrections + ?8, "
                "corrected_messages = corrected_messages + ?9, "
                "qos_downgrades = qos_downgrades + ?10, sessions_lost = sessions_lost + ?11, "
                "first_received = coalesce(first_received, ?12), "
                "last_received = coalesce(?7, last_received) WHERE id = 1",
    [S_REJECT] = "INSERT INTO rejects(id, received, topic, reason, detail, payload, size, msg_id, "
                 "is_raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_REJECT_COUNT] = "INSERT INTO reject_counts(reason, n) VALUES (?1, 1) "
                       "ON CONFLICT(reason) DO UPDATE SET n = n + 1",
    [S_DEVICE_FIND] = "SELECT id, site, profile FROM devices WHERE name = ?1",
    [S_DEVICE_INSERT] = "INSERT INTO devices(name, site, profile, source) VALUES (?1, ?2, ?3, ?4)",
    [S_DEVICE_UPDATE] = "UPDATE devices SET site = ?2, profile = ?3, source = ?4 WHERE id = ?1",
    [S_METRIC_FIND] = "SELECT id FROM metrics WHERE name = ?1",
    [S_METRIC_INSERT] = "INSERT INTO metrics(name, unit) VALUES (?1, ?2)",
    /* marked_ms moves at most once a second: a busy hour costs no write per reading */
    [S_DIRTY] = "INSERT INTO dirty_hours(hour, device_id, marked_ms) VALUES (?1, ?2, ?3) ON "
                "CONFLICT(hour, device_id) DO UPDATE SET marked_ms = excluded.marked_ms WHERE "
                "excluded.marked_ms >= marked_ms + 1000",
    [S_NOTE] = "INSERT INTO ingest_notes(name, n) VALUES (?1, ?2) "
               "ON CONFLICT(name) DO UPDATE SET n = n + ?2",
};

/* Lock waits of the connections that track them, for the whole process. */
static _Atomic int64_t lock_waits_n, lock_waits_total_us, lock_waits_max_us, lock_waits_over_50ms;
static atomic_int lock_waiters;
/* Commits that marked a completed hour dirty: work for the rollups. */
static _Atomic uint64_t marked_commits;

/*
 * Waiting for a lock: poll every millisecond up to storage.busy_timeout
 * (SQLite's own handler sleeps up to 100 ms between tries, so a writer
 * could keep missing short gaps between another's transactions).
 */
static int busy_wait(void *ud, int n_tries)
{
    struct store *st = ud;
    struct timespec ts = {0, 1000000};

    if (n_tries == 0)
        st->busy_since_ms = mono_ms();
    else if (mono_ms() - st->busy_since_ms >= st->busy_timeout_ms)
        return 0;
    nanosleep(&ts, NULL);
    return 1;
}

struct db_cache *store_cache(struct store *st)
{
    return &st->cache;
}

int store_code_of(sqlite3 *db)
{
    switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return COL_ERR_BUSY;
    case SQLITE_NOMEM:
        return COL_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return COL_ERR_CORRUPT;
    case SQLITE_IOERR:
    case SQLITE_FULL:
        return COL_ERR_IO;
    default:
        return COL_ERR_DB;
    }
}

int store_fail(struct store *st, const char *what)
{
    log_err("store: %s failed: %s (%d)", what, sqlite3_errmsg(st->db),
            sqlite3_extended_errcode(st->db));
    return store_code_of(st->db);
}

static int exec(struct store *st, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_err("store: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return COL_ERR_DB;
    }
    return 0;
}

int store_pragma_int(struct store *st, const char *sql, int *out)
{
    sqlite3_stmt *s = NULL;
    int rc = COL_ERR_DB;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        *out = sqlite3_column_int(s, 0);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

static int prepare_all(struct store *st, char *err, size_t errlen)
{
    for (int i = 0; i < S_COUNT_STMTS; i++) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "preparing statement %d: %s", i, sqlite3_errmsg(st->db));
            return COL_ERR_DB;
        }
    }
    for (int n = 1; n <= STORE_INSERT_MAX; n++) {
        char multi[96 + STORE_INSERT_MAX * 16];
        int len = snprintf(multi, sizeof(multi),
                           "INSERT OR IGNORE INTO readings(ts, device_id, metric_id, value, flags) "
                           "VALUES (?, ?, ?, ?, ?)");
        for (int i = 1; i < n; i++)
            len += snprintf(multi + len, sizeof(multi) - (size_t)len, ", (?, ?, ?, ?, ?)");
        if (sqlite3_prepare_v3(st->db, multi, -1, SQLITE_PREPARE_PERSISTENT, &st->insert_n[n],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "preparing the insert of %d readings: %s", n,
                     sqlite3_errmsg(st->db));
            return COL_ERR_DB;
        }
    }
    return 0;
}

/*
 * Before the first connection: SQLite's allocation statistics off. Nothing
 * here reads them, and keeping them takes a global mutex around every
 * allocation of every connection (a few percent of a rollup pass). Too late
 * if something initialised SQLite first (a test's VFS): then it stays on.
 */
static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

struct store *store_open(const struct cfg_storage *cfg, bool run_check, char *err, size_t errlen)
{
    struct store *st = xcalloc(1, sizeof(*st));
    char sql[128];

    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->path = xstrdup(cfg->path);
    st->rejects_max_rows = cfg->retention.rejects_max_rows;
    st->rejects_max_bytes = cfg->retention.rejects_max_bytes;
    st->rejects_max_age_ms = cfg->retention.rejects_ms;
    st->opened_wall_ms = wall_ms();
    st->opened_mono_ms = mono_ms();
    if (!st->path)
        goto nomem;
    pthread_once(&sqlite_once, sqlite_setup);
    if (sqlite3_open_v2(cfg->path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", cfg->path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    st->busy_timeout_ms = cfg->busy_timeout_ms;
    sqlite3_busy_handler(st->db, busy_wait, st);
    if (run_check && store_check_integrity(st, err, errlen))
        goto fail;
    /* 4 KiB pages (the default) for a new file. With a commit per message,
     * 1 KiB pages were cheaper: each changed page is a WAL frame written per
     * commit. With a commit per batch the frames are shared by its messages,
     * and the shallower B-tree of larger pages costs about 10% less CPU per
     * message. An older file keeps the page size it has. */
    if (exec(st, "PRAGMA page_size = 4096")) {
        snprintf(err, errlen, "%s: cannot set the page size", cfg->path);
        goto fail;
    }
    {
        int is_wal = 0;
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            is_wal = strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
        sqlite3_finalize(s);
        if (!is_wal) {
            snprintf(err, errlen, "%s: cannot switch to WAL mode: %s", cfg->path,
                     sqlite3_errmsg(st->db));
            goto fail;
        }
    }
    snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
             cfg->synchronous == STORE_SYNC_FULL ? "FULL" : "NORMAL");
    if (exec(st, sql)) {
        snprintf(err, errlen, "%s: cannot set synchronous mode", cfg->path);
        goto fail;
    }
    st->sync_full = cfg->synchronous == STORE_SYNC_FULL;
    /* A checkpoint copies the WAL into the database and fsyncs it; at the
     * default of 1000 pages that happened every few hundred messages and
     * cost more than the inserts. About 8 MiB of WAL between checkpoints,
     * whatever the file's page size. */
    {
        int page = 4096;
        store_pragma_int(st, "PRAGMA page_size", &page);
        snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d",
                 STORE_WAL_CHECKPOINT_BYTES / (page > 0 ? page : 4096));
    }
    if (exec(st, sql) || exec(st, "PRAGMA temp_store = MEMORY")) {
        snprintf(err, errlen, "%s: cannot set pragmas", cfg->path);
        goto fail;
    }
    if (store_schema_migrate(st, err, errlen))
        goto fail;
    if (cfg->max_size > 0) {
        /* SQLITE_FULL past this size: ingest then refuses to acknowledge. */
        int page = 4096;
        store_pragma_int(st, "PRAGMA page_size", &page);
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
                 (long long)(cfg->max_size / page > 0 ? cfg->max_size / page : 1));
        if (exec(st, sql)) {
            snprintf(err, errlen, "%s: cannot set the size limit", cfg->path);
            goto fail;
        }
    }
    if (prepare_all(st, err, errlen))
        goto fail;
    return st;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    store_close(st);
    return NULL;
}

struct store *store_open_readonly(const struct cfg_storage *cfg, char *err, size_t errlen)
{
    struct store *st = xcalloc(1, sizeof(*st));
    struct stat sb;

    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->path = xstrdup(cfg->path);
    if (!st->path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    pthread_once(&sqlite_once, sqlite_setup);
    /* SQLite's own message for a missing file ("unable to open database
     * file") does not say which file or why. */
    if (stat(cfg->path, &sb) != 0) {
        snprintf(err, errlen,
                 "no database at %s: %s (nothing stored yet, or storage.path is wrong)", cfg->path,
                 strerror(errno));
        goto fail;
    }
    if (sqlite3_open_v2(cfg->path, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", cfg->path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    st->busy_timeout_ms = cfg->busy_timeout_ms;
    sqlite3_busy_handler(st->db, busy_wait, st);
    if (store_schema_check(st, err, errlen))
        goto fail;
    if (exec(st, "PRAGMA temp_store = MEMORY") || prepare_all(st, err, errlen))
        goto fail;
    return st;
fail:
    store_close(st);
    return NULL;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < S_COUNT_STMTS; i++)
        sqlite3_finalize(st->stmt[i]);
    for (int n = 1; n <= STORE_INSERT_MAX; n++)
        sqlite3_finalize(st->insert_n[n]);
    db_cache_clear(&st->cache);
    if (st->db)
        sqlite3_close(st->db);
    xfree(st->path);
    xfree(st);
}

int store_step_done(struct store *st, enum stmt_id id, const char *what)
{
    sqlite3_stmt *s = st->stmt[id];
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return store_fail(st, what);
    return 0;
}

void store_track_lock_waits(struct store *st)
{
    st->tracks_lock_waits = true;
}

void store_lock_waits(struct store_lock_waits *out)
{
    out->n = atomic_load(&lock_waits_n);
    out->total_us = atomic_load(&lock_waits_total_us);
    out->max_us = atomic_load(&lock_waits_max_us);
    out->n_over_50ms = atomic_load(&lock_waits_over_50ms);
}

static void note_lock_wait(int64_t us)
{
    int64_t max = atomic_load(&lock_waits_max_us);

    atomic_fetch_add(&lock_waits_n, 1);
    atomic_fetch_add(&lock_waits_total_us, us);
    if (us > 50000)
        atomic_fetch_add(&lock_waits_over_50ms, 1);
    while (us > max && !atomic_compare_exchange_weak(&lock_waits_max_us, &max, us))
        ;
}

int store_lock_waiters(void)
{
    return atomic_load(&lock_waiters);
}

uint64_t store_marked_commits(void)
{
    return atomic_load(&marked_commits);
}

int store_begin(struct store *st)
{
    int64_t t0 = 0;
    int rc;

    if (st->tracks_lock_waits) {
        t0 = mono_us();
        atomic_fetch_add(&lock_waiters, 1);
    }
    /* BEGIN IMMEDIATE returns once this connection holds the write lock. */
    rc = store_step_done(st, S_BEGIN, "begin");
    if (st->tracks_lock_waits) {
        atomic_fetch_sub(&lock_waiters, 1);
        note_lock_wait(mono_us() - t0);
    }
    st->in_tx = rc == 0;
    st->marked_past = false;
    return rc;
}

int store_commit(struct store *st)
{
    int rc = store_step_done(st, S_COMMIT, "commit");

    if (rc)
        store_rollback(st);
    else if (st->marked_past)
        atomic_fetch_add(&marked_commits, 1);
    st->in_tx = false;
    st->marked_past = false;
    return rc;
}

void store_rollback(struct store *st)
{
    if (sqlite3_get_autocommit(st->db) == 0)
        store_step_done(st, S_ROLLBACK, "rollback");
    st->in_tx = false;
}

void store_bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void copy_col(sqlite3_stmt *s, int col, char *out, size_t sz)
{
    const char *v = (const char *)sqlite3_column_text(s, col);

    if (out && sz)
        snprintf(out, sz, "%s", v ? v : "");
}

int store_device_find(struct store *st, const char *name, int64_t *id, char *site, size_t site_sz,
                      char *profile, size_t profile_sz)
{
    sqlite3_stmt *s = st->stmt[S_DEVICE_FIND];
    int rc;

    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        copy_col(s, 1, site, site_sz);
        copy_col(s, 2, profile, profile_sz);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = COL_ERR_NOTFOUND;
    } else {
        rc = store_fail(st, "device lookup");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int store_device_upsert(struct store *st, const char *name, const char *site, const char *profile,
                        const char *source, int64_t *id)
{
    char old_site[128], old_prof[128];
    sqlite3_stmt *s;
    int rc =
        store_device_find(st, name, id, old_site, sizeof(old_site), old_prof, sizeof(old_prof));

    if (rc == 0) {
        if (strcmp(old_site, site) == 0 && strcmp(old_prof, profile) == 0)
            return 0;
        s = st->stmt[S_DEVICE_UPDATE];
        sqlite3_bind_int64(s, 1, *id);
        sqlite3_bind_text(s, 2, site, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, profile, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, source, -1, SQLITE_STATIC);
        return store_step_done(st, S_DEVICE_UPDATE, "device update");
    }
    if (rc != COL_ERR_NOTFOUND)
        return rc;
    s = st->stmt[S_DEVICE_INSERT];
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, site, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, source, -1, SQLITE_STATIC);
    rc = store_step_done(st, S_DEVICE_INSERT, "device insert");
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_device_seen(struct store *st, int64_t id, int64_t last_ms, int64_t n_messages)
{
    sqlite3_stmt *s = st->stmt[S_DEVICE_SEEN];

    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, last_ms);
    sqlite3_bind_int64(s, 3, n_messages);
    return store_step_done(st, S_DEVICE_SEEN, "device seen");
}

int store_site_upsert(struct store *st, const char *id, const char *name, const char *street,
                      const char *kind, const char *noise_zone, const char *water_body)
{
    static const char sql[] =
        "INSERT INTO sites(name, display_name, street, kind, noise_zone, water_body) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO UPDATE SET "
        "display_name = ?2, street = ?3, kind = ?4, noise_zone = ?5, water_body = ?6";
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "site upsert");
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    store_bind_text_or_null(s, 2, name);
    store_bind_text_or_null(s, 3, street);
    store_bind_text_or_null(s, 4, kind);
    store_bind_text_or_null(s, 5, noise_zone);
    store_bind_text_or_null(s, 6, water_body);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_fail(st, "site upsert");
    sqlite3_finalize(s);
    return rc;
}

int store_metric_id(struct store *st, const char *name, const char *unit, int64_t *id)
{
    sqlite3_stmt *s = st->stmt[S_METRIC_FIND];
    int rc;

    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return store_fail(st, "metric lookup");
    s = st->stmt[S_METRIC_INSERT];
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    store_bind_text_or_null(s, 2, unit);
    rc = store_step_done(st, S_METRIC_INSERT, "metric insert");
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_reading_insert(struct store *st, int64_t ts_ms, int64_t device, int64_t metric,
                         double value, int flags)
{
    sqlite3_stmt *s = st->stmt[S_INSERT_READING];
    int rc;

    sqlite3_bind_int64(s, 1, ts_ms);
    sqlite3_bind_int64(s, 2, device);
    sqlite3_bind_int64(s, 3, metric);
    sqlite3_bind_double(s, 4, value);
    sqlite3_bind_int(s, 5, flags);
    rc = store_step_done(st, S_INSERT_READING, "reading insert");
    if (rc)
        return rc;
    return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_readings_insert(struct store *st, int64_t device, const struct store_reading *r, int n)
{
    sqlite3_stmt *s;
    int rc;

    if (NEVER(n < 1 || n > STORE_INSERT_MAX))
        return COL_ERR_INVAL;
    s = st->insert_n[n];
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(s, 5 * i + 1, r[i].ts_ms);
        sqlite3_bind_int64(s, 5 * i + 2, device);
        sqlite3_bind_int64(s, 5 * i + 3, r[i].metric);
        sqlite3_bind_double(s, 5 * i + 4, r[i].value);
        sqlite3_bind_int(s, 5 * i + 5, r[i].flags);
    }
    rc = sqlite3_step(s);
    sqlite3_reset(s); /* every parameter is bound again next time */
    if (rc != SQLITE_DONE)
        return store_fail(st, "readings insert");
    return sqlite3_changes(st->db);
}

int store_reading_correct(struct store *st, int64_t ts_ms, int64_t device, int64_t metric,
                          double value, int flags, int64_t now_ms, const char *topic)
{
    static const char q_old[] =
        "SELECT value, flags FROM readings WHERE ts = ?1 AND device_id = ?2 AND metric_id = ?3";
    static const char q_set[] = "UPDATE readings SET value = ?4, flags = ?5 "
                                "WHERE ts = ?1 AND device_id = ?2 AND metric_id = ?3";
    static const char q_keep[] =
        "INSERT INTO corrections(ts, device_id, metric_id, old_value, new_value, old_flags,"
        " new_flags, received, topic) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    struct db_stmt *s = db_prepare(st, q_old);
    double old_value;
    int old_flags, rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, ts_ms);
    db_bind_i64(s, 2, device);
    db_bind_i64(s, 3, metric);
    rc = db_step(s);
    if (rc != DB_ROW) {
        db_reset(s);
        /* Gone since the insert was ignored: cannot happen inside one transaction. */
        return rc < 0 ? rc : COL_ERR_DB;
    }
    old_value = db_col_f64(s, 0);
    old_flags = (int)db_col_i64(s, 1);
    db_reset(s);
    if (old_value == value && old_flags == flags)
        return 0;
    s = db_prepare(st, q_set);
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, ts_ms);
    db_bind_i64(s, 2, device);
    db_bind_i64(s, 3, metric);
    db_bind_f64(s, 4, value);
    db_bind_i64(s, 5, flags);
    rc = db_run(s);
    if (rc)
        return rc;
    s = db_prepare(st, q_keep);
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, ts_ms);
    db_bind_i64(s, 2, device);
    db_bind_i64(s, 3, metric);
    db_bind_f64(s, 4, old_value);
    db_bind_f64(s, 5, value);
    db_bind_i64(s, 6, old_flags);
    db_bind_i64(s, 7, flags);
    db_bind_i64(s, 8, now_ms);
    db_bind_text(s, 9, topic);
    rc = db_run(s);
    return rc ? rc : 1;
}

int store_mark_dirty(struct store *st, int64_t hour_ms, int64_t device)
{
    sqlite3_stmt *s = st->stmt[S_DIRTY];
    int64_t now = wall_ms();

    sqlite3_bind_int64(s, 1, hour_ms);
    sqlite3_bind_int64(s, 2, device);
    sqlite3_bind_int64(s, 3, now);
    if (hour_ms + 3600000 <= now)
        st->marked_past = true; /* the rollups can compute it now */
    return store_step_done(st, S_DIRTY, "dirty hour");
}

int store_note(struct store *st, const char *name, int64_t n)
{
    sqlite3_stmt *s = st->stmt[S_NOTE];

    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, n);
    return store_step_done(st, S_NOTE, "note count");
}

sqlite3 *store_handle(struct store *st)
{
    return st->db;
}

int store_exec(struct store *st, const char *sql)
{
    return exec(st, sql);
}

int store_relax_sync(struct store *st, bool relaxed)
{
    int rc;

    if (!st->sync_full || relaxed == st->sync_relaxed)
        return 0;
    rc = exec(st, relaxed ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
    if (rc == 0)
        st->sync_relaxed = relaxed;
    return rc;
}

int store_count(struct store *st, const struct store_delta *d)
{
    sqlite3_stmt *s = st->stmt[S_COUNT];

    sqlite3_bind_int64(s, 1, d->received);
    sqlite3_bind_int64(s, 2, d->stored_messages);
    sqlite3_bind_int64(s, 3, d->stored_readings);
    sqlite3_bind_int64(s, 4, d->duplicates);
    sqlite3_bind_int64(s, 5, d->duplicate_readings);
    sqlite3_bind_int64(s, 6, d->unknown_fields);
    if (d->now_ms)
        sqlite3_bind_int64(s, 7, d->now_ms);
    sqlite3_bind_int64(s, 8, d->corrections);
    sqlite3_bind_int64(s, 9, d->corrected_messages);
    sqlite3_bind_int64(s, 10, d->qos_downgrades);
    sqlite3_bind_int64(s, 11, d->sessions_lost);
    if (d->first_ms || d->now_ms)
        sqlite3_bind_int64(s, 12, d->first_ms ? d->first_ms : d->now_ms);
    return store_step_done(st, S_COUNT, "counters");
}

int store_clock_write(struct store *st, const struct store_clock *c)
{
    /* ?7 NULL: the window could not tell (too few devices); the verdict, and
     * the counts of the window that decided it, stay. */
    static const char sql[] =
        "INSERT INTO clock_watch(source, checked_at, n_devices, n_ahead, n_behind, skew_ms,"
        " is_suspect, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, 0), ?2) "
        "ON CONFLICT(source) DO UPDATE SET checked_at = ?2,"
        " n_devices = CASE WHEN ?7 IS NULL THEN n_devices ELSE ?3 END,"
        " n_ahead = CASE WHEN ?7 IS NULL THEN n_ahead ELSE ?4 END,"
        " n_behind = CASE WHEN ?7 IS NULL THEN n_behind ELSE ?5 END,"
        " skew_ms = CASE WHEN ?7 IS NULL THEN skew_ms ELSE ?6 END,"
        " since = CASE WHEN ?7 IS NULL OR ?7 = is_suspect THEN since ELSE ?2 END,"
        " is_suspect = coalesce(?7, is_suspect)";
    struct db_stmt *s = db_prepare(st, sql);

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, c->source);
    db_bind_i64(s, 2, c->checked_ms);
    db_bind_i64(s, 3, c->n_devices);
    db_bind_i64(s, 4, c->n_ahead);
    db_bind_i64(s, 5, c->n_behind);
    if (c->n_devices > 0)
        db_bind_i64(s, 6, c->skew_ms);
    if (c->verdict >= 0)
        db_bind_i64(s, 7, c->verdict);
    return db_run(s);
}

int store_clock_read(struct store *st, struct store_clock *out)
{
    /* A suspect source first, then the one that saw the most devices. */
    static const char sql[] =
        "SELECT source, checked_at, n_devices, n_ahead, n_behind, coalesce(skew_ms, 0),"
        " is_suspect, coalesce(since, checked_at) FROM clock_watch"
        " ORDER BY is_suspect DESC, n_devices DESC LIMIT 1";
    struct db_stmt *s = db_prepare(st, sql);
    int rc;

    memset(out, 0, sizeof(*out));
    out->verdict = -1;
    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    if (rc == DB_ROW) {
        db_col_copy(s, 0, out->source, sizeof(out->source));
        out->checked_ms = db_col_i64(s, 1);
        out->n_devices = db_col_i64(s, 2);
        out->n_ahead = db_col_i64(s, 3);
        out->n_behind = db_col_i64(s, 4);
        out->skew_ms = db_col_i64(s, 5);
        out->verdict = (int)db_col_i64(s, 6);
        out->since_ms = db_col_i64(s, 7);
    }
    db_reset(s);
    return rc < 0 ? rc : 0;
}

static int64_t scalar_i64(struct store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int store_stats_read(struct store *st, struct store_stats *out)
{
    sqlite3_stmt *s = NULL;
    struct stat sb;
    char wal[4200];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (exec(st, "BEGIN"))
        return COL_ERR_DB;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT received, stored_messages, stored_readings, duplicates, "
                           "duplicate_readings, unknown_fields, coalesce(first_received, 0), "
                           "coalesce(last_received, 0), corrections, corrected_messages, "
                           "qos_downgrades, sessions_lost FROM ingest_stats WHERE id = 1",
                           -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        rc = store_fail(st, "stats");
        goto out;
    }
    out->received = sqlite3_column_int64(s, 0);
    out->stored_messages = sqlite3_column_int64(s, 1);
    out->stored_readings = sqlite3_column_int64(s, 2);
    out->duplicates = sqlite3_column_int64(s, 3);
    out->duplicate_readings = sqlite3_column_int64(s, 4);
    out->unknown_fields = sqlite3_column_int64(s, 5);
    out->first_received_ms = sqlite3_column_int64(s, 6);
    out->last_received_ms = sqlite3_column_int64(s, 7);
    out->corrections = sqlite3_column_int64(s, 8);
    out->corrected_messages = sqlite3_column_int64(s, 9);
    out->qos_downgrades = sqlite3_column_int64(s, 10);
    out->sessions_lost = sqlite3_column_int64(s, 11);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT reason, n FROM reject_counts ORDER BY reason", -1, &s,
                           NULL) != SQLITE_OK) {
        rc = store_fail(st, "stats");
        goto out;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(s, 1);
        out->rejected_total += n;
        if (out->n_reasons < sizeof(out->reasons) / sizeof(out->reasons[0])) {
            struct store_reason_count *r = &out->reasons[out->n_reasons++];
            copy_col(s, 0, r->reason, sizeof(r->reason));
            r->n = n;
        }
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT name, n FROM ingest_notes ORDER BY name", -1, &s,
                           NULL) != SQLITE_OK) {
        rc = store_fail(st, "stats");
        goto out;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (out->n_notes < sizeof(out->notes) / sizeof(out->notes[0])) {
            struct store_reason_count *r = &out->notes[out->n_notes++];
            copy_col(s, 0, r->reason, sizeof(r->reason));
            r->n = sqlite3_column_int64(s, 1);
        }
    }
    out->n_devices = scalar_i64(st, "SELECT count(*) FROM devices");
    out->n_rejects_kept = scalar_i64(st, "SELECT count(*) FROM rejects");
    out->reject_bytes = store_reject_bytes(st);
    if (store_clock_read(st, &out->clock))
        out->clock.verdict = -1;
    /* completed hours only: the open hour is computed once it ends */
    out->rollup_pending =
        scalar_i64(st, "SELECT count(*) FROM dirty_hours WHERE hour + 3600000 <= "
                       "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)");
out:
    sqlite3_finalize(s);
    exec(st, "COMMIT");
    if (stat(st->path, &sb) == 0)
        out->db_bytes = sb.st_size;
    snprintf(wal, sizeof(wal), "%s-wal", st->path);
    if (stat(wal, &sb) == 0)
        out->db_bytes += sb.st_size;
    return rc;
}

int store_query_readings(struct store *st, const struct store_query *q,
                         int (*fn)(void *ud, const struct store_row *row), void *ud)
{
    static const char sql[] =
        "SELECT r.ts, d.name, d.site, m.name, m.unit, r.value, r.flags "
        "FROM readings r JOIN devices d ON d.id = r.device_id JOIN metrics m ON m.id = r.metric_id "
        "WHERE r.ts >= ?1 AND r.ts < ?2 AND (?3 IS NULL OR d.name = ?3) "
        "AND (?4 IS NULL OR d.site = ?4) AND (?5 IS NULL OR m.name = ?5) "
        "ORDER BY r.ts, d.name, m.name LIMIT ?6";
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "query");
    sqlite3_bind_int64(s, 1, q->from_ms);
    sqlite3_bind_int64(s, 2, q->to_ms);
    store_bind_text_or_null(s, 3, q->device);
    store_bind_text_or_null(s, 4, q->site);
    store_bind_text_or_null(s, 5, q->metric);
    sqlite3_bind_int64(s, 6, q->limit > 0 ? q->limit : -1);
    for (;;) {
        int r = sqlite3_step(s);
        struct store_row row;
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = store_fail(st, "query");
            break;
        }
        row.ts_ms = sqlite3_column_int64(s, 0);
        row.device = (const char *)sqlite3_column_text(s, 1);
        row.site = (const char *)sqlite3_column_text(s, 2);
        row.metric = (const char *)sqlite3_column_text(s, 3);
        row.unit = (const char *)sqlite3_column_text(s, 4);
        if (!row.unit)
            row.unit = "";
        row.value = sqlite3_column_double(s, 5);
        row.flags = sqlite3_column_int(s, 6);
        if (fn(ud, &row))
            break;
    }
    sqlite3_finalize(s);
    return rc;
}
