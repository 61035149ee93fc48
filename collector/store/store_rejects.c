/*
 * The rejects table: what ingest could not store, kept with its reason and
 * (once per message) its whole payload, so that it can be listed and
 * retried, and the bounds that keep the table small: rows, payload bytes
 * and age, shed oldest first. A reject is written in the transaction of
 * its message, through a statement prepared at open (store.c); the bounds
 * are enforced every PRUNE_EVERY rejects, the bytes bound also at once
 * when a reject keeps a payload.
 */
#include "store.h"
#include "store_int.h"
#include "col_err.h"
#include "db.h"
#include "core/clock.h"

#include <sqlite3.h>

#define PRUNE_EVERY 64

/*
 * The age rule's clock. A reject's age is its receive time against the
 * wall clock, but never more than the monotonic clock has seen pass since
 * the store opened: a forward jump of the wall clock (a gateway that
 * booted without RTC, then NTP) makes nothing older, and a jump backwards
 * makes nothing younger than it was. Rows received before STORE_CLOCK_FLOOR_MS
 * (a clock that was never set) have no trustworthy age at all.
 */
#define STORE_CLOCK_FLOOR_MS 1735689600000LL /* 2025-01-01T00:00:00Z */

int64_t store_rejects_age_now(const struct store *st, int64_t now_ms)
{
    int64_t mono_now = st->opened_wall_ms + (mono_ms() - st->opened_mono_ms);

    return now_ms < mono_now ? now_ms : mono_now;
}

int store_prune_rejects(struct store *st, int64_t now_ms)
{
    /* Oldest first, in the order they were kept (id): by rows, then by
     * payload bytes, then by age, which stops at the first row young
     * enough (or with an untrustworthy receive time), so that a row kept
     * under a clock that went back is never removed ahead of its elders. */
    static const char q_rows[] =
        "DELETE FROM rejects WHERE msg_id IS NULL AND id <= (SELECT id FROM rejects "
        "WHERE msg_id IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?1)";
    static const char q_age[] =
        "DELETE FROM rejects WHERE msg_id IS NULL AND id < coalesce((SELECT id FROM rejects "
        "WHERE msg_id IS NULL AND (received >= ?1 OR received < ?2) ORDER BY id LIMIT 1), "
        "(SELECT max(id) + 1 FROM rejects))";
    struct db_stmt *s;
    int rc;

    st->n_rejects_since_prune = 0;
    s = db_prepare(st, q_rows);
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, st->rejects_max_rows);
    rc = db_run(s);
    if (rc == 0)
        rc = store_prune_reject_bytes(st);
    if (rc || st->rejects_max_age_ms <= 0)
        return rc;
    s = db_prepare(st, q_age);
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, store_rejects_age_now(st, now_ms) - st->rejects_max_age_ms);
    db_bind_i64(s, 2, STORE_CLOCK_FLOOR_MS);
    return db_run(s);
}

int64_t store_reject_bytes(struct store *st)
{
    /* Read with every reject that keeps a payload: prepared once. */
    struct db_stmt *s = db_prepare(st, "SELECT bytes FROM reject_bytes WHERE id = 1");
    int64_t v = 0;

    if (s && db_step(s) == DB_ROW)
        v = db_col_i64(s, 0);
    db_reset(s);
    return v;
}

int store_prune_reject_bytes(struct store *st)
{
    /* Walk from the oldest message until the excess is shed: in the steady
     * state at the bound that is one or two rows (a window sum over the
     * whole table cost ~25 ms per reject at 1 100 payloads of 60 kB). */
    static const char q_oldest[] = "SELECT id, coalesce(length(payload), 0) FROM rejects "
                                   "WHERE msg_id IS NULL ORDER BY id";
    static const char q_cut[] = "DELETE FROM rejects WHERE msg_id IS NULL AND id <= ?1";
    int64_t excess, cut = 0;
    struct db_stmt *s;
    int rc = 0;

    if (st->rejects_max_bytes <= 0)
        return 0;
    excess = store_reject_bytes(st) - st->rejects_max_bytes;
    if (excess <= 0)
        return 0;
    s = db_prepare(st, q_oldest);
    if (!s)
        return COL_ERR_DB;
    while (excess > 0 && (rc = db_step(s)) == DB_ROW) {
        cut = db_col_i64(s, 0);
        excess -= db_col_i64(s, 1);
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    if (!cut)
        return 0;
    s = db_prepare(st, q_cut);
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, cut);
    return db_run(s);
}

int store_reject_add(struct store *st, const struct store_reject *r, int64_t *id)
{
    sqlite3_stmt *s = st->stmt[S_REJECT];
    int rc;

    if (r->id > 0)
        sqlite3_bind_int64(s, 1, r->id);
    sqlite3_bind_int64(s, 2, r->received_ms);
    store_bind_text_or_null(s, 3, r->topic);
    sqlite3_bind_text(s, 4, r->reason, -1, SQLITE_STATIC);
    store_bind_text_or_null(s, 5, r->detail);
    if (r->payload && r->msg_id <= 0)
        sqlite3_bind_blob64(s, 6, r->payload, r->len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)(r->size > r->len ? r->size : r->len));
    if (r->msg_id > 0)
        sqlite3_bind_int64(s, 8, r->msg_id);
    sqlite3_bind_int(s, 9, r->is_raw ? 1 : 0);
    rc = store_step_done(st, S_REJECT, "reject insert");
    if (rc)
        return rc;
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    if (!r->is_uncounted) {
        s = st->stmt[S_REJECT_COUNT];
        sqlite3_bind_text(s, 1, r->reason, -1, SQLITE_STATIC);
        rc = store_step_done(st, S_REJECT_COUNT, "reject count");
        if (rc)
            return rc;
    }
    if (++st->n_rejects_since_prune >= PRUNE_EVERY)
        return store_prune_rejects(st, r->received_ms);
    /* A large payload can pass the bytes bound long before the rows bound. */
    return r->msg_id <= 0 && r->len > 0 ? store_prune_reject_bytes(st) : 0;
}

int store_reject(struct store *st, int64_t now_ms, const char *topic, const char *reason,
                 const char *detail, const void *payload, size_t len)
{
    const struct store_reject r = {.received_ms = now_ms,
                                   .topic = topic,
                                   .reason = reason,
                                   .detail = detail,
                                   .payload = payload,
                                   .len = len,
                                   .size = len};

    return store_reject_add(st, &r, NULL);
}

int store_reject_forget(struct store *st, int64_t id)
{
    struct db_stmt *s = db_prepare(st, "DELETE FROM rejects WHERE id = ?1");

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, id);
    return db_run(s);
}

int store_rejects_each(struct store *st, const struct store_reject_filter *f,
                       int (*fn)(void *ud, const struct store_reject_row *row), void *ud)
{
    /* A later reject of a message shows its first one's payload. */
    static const char sql[] =
        "SELECT r.id, r.received, r.topic, r.reason, r.detail, coalesce(r.payload, p.payload), "
        "coalesce(r.size, p.size), r.msg_id, r.is_raw, coalesce(r.size, -1) = "
        "coalesce(length(r.payload), 0) AND r.msg_id IS NULL AND NOT r.is_raw "
        "FROM rejects r LEFT JOIN rejects p ON p.id = r.msg_id "
        "WHERE r.id > ?1 AND (?2 IS NULL OR r.reason = ?2 OR EXISTS (SELECT 1 FROM rejects c "
        "WHERE c.msg_id = r.id AND c.reason = ?2)) AND r.received >= ?3 "
        "AND (?4 = 0 OR r.msg_id IS NULL) ORDER BY r.id LIMIT ?5";
    struct db_stmt *s = db_prepare(st, sql);
    int rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, f->after_id);
    db_bind_text(s, 2, f->reason);
    db_bind_i64(s, 3, f->since_ms);
    db_bind_i64(s, 4, f->only_messages ? 1 : 0);
    db_bind_i64(s, 5, f->limit > 0 ? f->limit : -1);
    while ((rc = db_step(s)) == DB_ROW) {
        struct store_reject_row row;
        row.id = db_col_i64(s, 0);
        row.received_ms = db_col_i64(s, 1);
        row.topic = db_col_text(s, 2);
        row.reason = db_col_text(s, 3);
        row.detail = db_col_text(s, 4);
        row.payload = db_col_bytes(s, 5, &row.len);
        row.size = db_col_is_null(s, 6) ? -1 : db_col_i64(s, 6);
        row.msg_id = db_col_is_null(s, 7) ? 0 : db_col_i64(s, 7);
        row.is_raw = db_col_i64(s, 8) != 0;
        row.is_retryable = db_col_i64(s, 9) != 0;
        if (fn(ud, &row)) {
            rc = DB_DONE;
            break;
        }
    }
    db_reset(s);
    return rc < 0 ? rc : 0;
}
