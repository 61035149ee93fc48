/*
 * Internals shared by the store's files: store.c (the connection, its
 * prepared statements and the writes ingest runs), store_schema.c (the
 * migrations and the checks at open), store_rejects.c (the rejects table
 * and its bounds), store_prune.c (dropping a day's raw readings) and db.c
 * (the helper every room uses). Only these files touch the sqlite3 API.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* One cached statement: the address of its SQL text is the key. */
struct db_cache_entry {
    const char *sql;
    sqlite3_stmt *stmt;
};

/* The COL_ERR_* of the last error on @db (SQLite's codes are translated here only). */
int store_code_of(sqlite3 *db);
/* Log the connection's last error as "store: @what failed" and map it to a COL_ERR_*. */
int store_fail(struct store *st, const char *what);
/* The connection, for db.c and the store's own files. */
sqlite3 *store_handle(struct store *st);

/* The statement cache of @st (see db.c). */
struct db_cache {
    struct db_cache_entry *v;
    size_t n, cap; /* open addressing; cap is a power of two or 0 */
};
struct db_cache *store_cache(struct store *st);
void db_cache_clear(struct db_cache *c);

/* The statements every connection prepares at open (stmt_sql in store.c). */
enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_INSERT_READING,
    S_DEVICE_SEEN,
    S_COUNT,
    S_REJECT,
    S_REJECT_COUNT,
    S_DEVICE_FIND,
    S_DEVICE_INSERT,
    S_DEVICE_UPDATE,
    S_METRIC_FIND,
    S_METRIC_INSERT,
    S_DIRTY,
    S_NOTE,
    S_COUNT_STMTS
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[S_COUNT_STMTS];
    sqlite3_stmt *insert_n[STORE_INSERT_MAX + 1]; /* INSERT OR IGNORE of 1..MAX readings */
    char *path;
    long long rejects_max_rows;
    long long rejects_max_bytes;
    long long rejects_max_age_ms;
    int64_t opened_wall_ms; /* the clocks when the store opened: the rejects' age rule */
    int64_t opened_mono_ms;
    unsigned n_rejects_since_prune;
    bool in_tx;
    bool sync_full;    /* storage.synchronous: full */
    bool sync_relaxed; /* store_relax_sync() */
    bool tracks_lock_waits;
    bool marked_past;        /* this transaction marked a completed hour dirty */
    int64_t busy_timeout_ms; /* how long a statement waits for a lock */
    int64_t busy_since_ms;   /* when the current wait began */
    struct db_cache cache;   /* db_prepare()'s statements */
};

/* store.c: step the prepared statement @id once, reset it and clear its
 * bindings. 0 when it is done, else the mapped error (logged as @what). */
int store_step_done(struct store *st, enum stmt_id id, const char *what);
/* store.c: bind @v as text (borrowed until the step), or NULL when @v is NULL. */
void store_bind_text_or_null(sqlite3_stmt *s, int i, const char *v);
/* store.c: the integer a PRAGMA @sql returns into *@out. 0 or COL_ERR_DB (*@out untouched). */
int store_pragma_int(struct store *st, const char *sql, int *out);

/* store_schema.c: migrate the open file forward to the latest schema,
 * refusing a newer one. 0, or a COL_ERR_* with the reason in @err. */
int store_schema_migrate(struct store *st, char *err, size_t errlen);
/* store_schema.c: for a reader, refuse a file without the collector's
 * schema or at another version than this collector's. 0, or COL_ERR_DB
 * with the reason in @err. */
int store_schema_check(struct store *st, char *err, size_t errlen);
/* store_schema.c: PRAGMA quick_check. 0, or COL_ERR_CORRUPT with the reason in @err. */
int store_check_integrity(struct store *st, char *err, size_t errlen);

#endif
