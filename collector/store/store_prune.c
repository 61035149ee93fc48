/*
 * What happens to a stored day across rooms (store.h): dropping its raw
 * readings (store_drop_raw), for retention and the disk guard alike, and
 * marking an uploaded day changed (store_day_changed) for the rollups.
 */
#include "store.h"
#include "col_err.h"
#include "db.h"

#include <stdint.h>

/* Rows deleted per transaction: a slice of a large fleet's day takes milliseconds. */
#define ROWS_PER_SLICE 2000

/* Delete up to ROWS_PER_SLICE readings of [t0, t1) in one transaction; how many in *n. */
static int drop_slice(struct store *st, int64_t t0, int64_t t1, int64_t *n)
{
    struct db_stmt *s;
    int rc = store_begin(st);

    *n = 0;
    if (rc)
        return rc;
    s = db_prepare(st, "DELETE FROM readings WHERE (ts, device_id, metric_id) IN (SELECT ts,"
                       " device_id, metric_id FROM readings WHERE ts >= ?1 AND ts < ?2"
                       " LIMIT ?3)");
    rc = s ? 0 : COL_ERR_DB;
    if (rc == 0) {
        db_bind_i64(s, 1, t0);
        db_bind_i64(s, 2, t1);
        db_bind_i64(s, 3, ROWS_PER_SLICE);
        rc = db_run(s);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    *n = db_changes(st);
    return store_commit(st);
}

int store_drop_raw(struct store *st, const char *day, int64_t t0_ms, int64_t t1_ms,
                   enum store_pruned why)
{
    struct db_stmt *s;
    int64_t n;
    int rc;

    do {
        rc = drop_slice(st, t0_ms, t1_ms, &n);
        if (rc)
            return rc;
    } while (n >= ROWS_PER_SLICE);
    s = db_prepare(st, "UPDATE days SET raw_pruned = ?2 WHERE day = ?1");
    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, day);
    db_bind_i64(s, 2, why);
    return db_run(s);
}

int store_day_changed(struct store *st, const char *day)
{
    struct db_stmt *s = db_prepare(st, "UPDATE upload_ledger SET changed_after_upload = 1"
                                       " WHERE day = ?1 AND state IN ('done', 'uploading')");

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, day);
    return db_run(s);
}
