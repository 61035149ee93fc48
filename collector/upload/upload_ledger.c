/*
 * The upload ledger (table upload_ledger, see upload.c for its states):
 * which days a run sends and in what order, what each attempt writes to a
 * day's row, and the counts that `collector stats` and the failing-days
 * alert read. Every write to the ledger is here, but for the rollups' mark
 * that an uploaded day changed (store_day_changed); upload.c decides
 * when to send, how long to wait and what a failure means.
 */
#include "upload.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "upload_int.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- which days ---- */

static int plan_add(struct upload_plan *p, const char *day, const char *state, long rev)
{
    struct upload_due *nv = xgrow(p->v, &p->cap, p->n + 1, sizeof(*nv), 16);

    if (!nv)
        return COL_ERR_NOMEM;
    p->v = nv;
    snprintf(p->v[p->n].day, sizeof(p->v[0].day), "%s", day);
    snprintf(p->v[p->n].state, sizeof(p->v[0].state), "%s", state);
    p->v[p->n].revision = rev;
    p->n++;
    return 0;
}

/*
 * A day in the days table may hold nothing to send: the rollup notes the
 * day before a night's first hours (noise nights run to 06:00). A day with
 * no readings, no statistics and no ledger row is not sent.
 */
static bool has_data(struct store *st, const char *day)
{
    struct db_stmt *s =
        db_prepare(st, "SELECT EXISTS (SELECT 1 FROM readings WHERE ts >= ?1 AND ts < ?2) OR "
                       "EXISTS (SELECT 1 FROM site_daily WHERE day = ?3) OR EXISTS (SELECT 1 "
                       "FROM days WHERE day = ?3 AND raw_pruned <> 0)");
    int64_t t0, t1;
    bool is_found = true;

    if (!s || upload_day_bounds(day, &t0, &t1))
        return true;
    db_bind_i64(s, 1, t0);
    db_bind_i64(s, 2, t1);
    db_bind_text(s, 3, day);
    if (db_step(s) == DB_ROW)
        is_found = db_col_i64(s, 0) != 0;
    db_reset(s);
    return is_found;
}

/* A change of @day that came after its upload and will not be sent: counted, then forgotten. */
static int note_not_sent(struct store *st, const char *day)
{
    struct db_stmt *s = db_prepare(st, "UPDATE upload_ledger SET changed_after_upload = 0,"
                                       " changes_not_sent = changes_not_sent + 1 WHERE day = ?1");

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, day);
    return db_run(s);
}

int upload_ledger_plan(const struct config *cfg, struct store *st, const struct upload_opts *o,
                       const char *fp, struct upload_plan *p)
{
    static const char sql[] =
        "SELECT x.day, coalesce(l.state, 'pending'), coalesce(l.revision, 0), "
        "coalesce(l.next_attempt, 0), coalesce(l.changed_after_upload, 0), l.config_fp "
        "FROM (SELECT day FROM days UNION SELECT day FROM upload_ledger) x "
        "LEFT JOIN upload_ledger l ON l.day = x.day WHERE x.day < ?1 ORDER BY x.day";
    const struct cfg_upload *u = &cfg->upload;
    struct db_stmt *s;
    char today[11], window[11] = "", stale[64][11];
    size_t n_stale = 0;
    int rc = 0, step;

    cal_day_of(o->now_ms, today);
    if (u->reupload_window_ms > 0)
        cal_day_of(o->now_ms - u->reupload_window_ms, window);
    s = db_prepare(st, sql);
    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, o->day ? "9999-12-31" : today);
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        const char *day = db_col_text(s, 0);
        const char *state = db_col_text(s, 1);
        long rev = (long)db_col_i64(s, 2);
        int64_t next = db_col_i64(s, 3);
        bool is_changed = db_col_i64(s, 4) != 0;
        const char *row_fp = db_col_text(s, 5);
        bool is_done = strcmp(state, "done") == 0;
        long send_rev = is_done ? rev + 1 : (rev > 0 ? rev : 1);

        if (o->day) {
            if (strcmp(day, o->day) == 0)
                rc = plan_add(p, day, state, send_rev);
            continue;
        }
        if (is_done && !is_changed)
            continue;
        if (rev == 0 && strcmp(state, "pending") == 0 && !has_data(st, day))
            continue;
        if (is_done && (!*window || strcmp(day, window) < 0)) {
            /* changed, but too late to send again: keep the count, let retention go on */
            if (n_stale < sizeof(stale) / sizeof(stale[0]))
                snprintf(stale[n_stale++], sizeof(stale[0]), "%s", day);
            continue;
        }
        if (strcmp(state, "failed") == 0 && !o->is_manual && next > o->now_ms) {
            p->retry_at_ms = next;
            break;
        }
        if (strcmp(state, "config_error") == 0 && !o->is_manual && !o->is_first_run && row_fp &&
            strcmp(row_fp, fp) == 0) {
            p->is_blocked = true;
            snprintf(p->blocked_day, sizeof(p->blocked_day), "%s", day);
            break;
        }
        if (u->max_days_per_run > 0 && p->n >= (size_t)u->max_days_per_run)
            break;
        rc = plan_add(p, day, state, send_rev);
    }
    db_reset(s);
    if (rc == 0 && step < 0)
        rc = step;
    if (o->day && rc == 0 && p->n == 0) /* a day without data or ledger row: send it empty */
        rc = plan_add(p, o->day, "pending", 1);
    for (size_t i = 0; rc == 0 && i < n_stale && !o->is_dry_run && !o->output_dir; i++) {
        log_warn("upload: %s changed after its upload but is older than upload.reupload_window; "
                 "the change is not sent",
                 stale[i]);
        rc = note_not_sent(st, stale[i]);
    }
    return rc;
}

/* ---- one attempt ---- */

int64_t upload_ledger_attempts(struct store *st, const char *day)
{
    struct db_stmt *s = db_prepare(st, "SELECT attempts FROM upload_ledger WHERE day = ?1");
    int64_t n = 1;

    if (!s)
        return n;
    db_bind_text(s, 1, day);
    if (db_step(s) == DB_ROW)
        n = db_col_i64(s, 0);
    db_reset(s);
    return n;
}

int upload_ledger_start(struct store *st, const struct upload_due *d, int64_t now_ms)
{
    /* changed_after_upload = 0 now: a change the export might miss sets it again */
    struct db_stmt *s = db_prepare(
        st, "INSERT INTO upload_ledger(day, state, revision, attempts, first_attempt_at)"
            " VALUES (:day, 'uploading', :rev, 1, :now) ON CONFLICT(day) DO UPDATE SET"
            " state = 'uploading', revision = :rev, changed_after_upload = 0,"
            " attempts = CASE WHEN :new_rev THEN 1 ELSE attempts + 1 END,"
            " first_attempt_at = CASE WHEN :new_rev OR first_attempt_at IS NULL THEN :now"
            " ELSE first_attempt_at END, next_attempt = NULL");

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, db_param(s, ":day"), d->day);
    db_bind_i64(s, db_param(s, ":rev"), d->revision);
    db_bind_i64(s, db_param(s, ":now"), now_ms);
    db_bind_i64(s, db_param(s, ":new_rev"), strcmp(d->state, "done") == 0);
    return db_run(s);
}

int upload_ledger_fail(struct store *st, const struct upload_due *d, const char *state,
                       const struct upload_put_result *res, int64_t next_ms, const char *fp)
{
    struct db_stmt *s =
        db_prepare(st, "UPDATE upload_ledger SET state = :state, last_error = :error,"
                       " last_status = nullif(:status, 0), next_attempt = nullif(:next, 0),"
                       " config_fp = :fp WHERE day = :day");

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, db_param(s, ":day"), d->day);
    db_bind_text(s, db_param(s, ":state"), state);
    db_bind_text(s, db_param(s, ":error"), res->error);
    db_bind_i64(s, db_param(s, ":status"), res->status);
    db_bind_i64(s, db_param(s, ":next"), next_ms);
    db_bind_text(s, db_param(s, ":fp"), fp);
    return db_run(s);
}

/* The days table notes the day as delivered (retention waits for it). */
static int mark_uploaded(struct store *st, const char *day)
{
    struct db_stmt *s = db_prepare(st, "UPDATE days SET uploaded = 1 WHERE day = ?1");

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, day);
    return db_run(s);
}

int upload_ledger_done(struct store *st, const struct upload_due *d, const struct upload_export *ex,
                       long status, const char *manifest_path)
{
    struct db_stmt *s;
    char *text = NULL;
    FILE *f = fopen(manifest_path, "rb");
    const struct upload_file *m = &ex->files[ex->n_files - 1];
    int rc;

    if (f) {
        text = xcalloc(1, (size_t)m->bytes + 1);
        if (text && fread(text, 1, (size_t)m->bytes, f) != (size_t)m->bytes) {
            xfree(text);
            text = NULL;
        }
        fclose(f);
    }
    s = db_prepare(st, "UPDATE upload_ledger SET state = 'done', last_error = NULL,"
                       " last_status = :status, bytes = :bytes, rows = :rows,"
                       " manifest_sha256 = :sha256, manifest = :manifest, next_attempt = NULL,"
                       " uploaded_at = :now, config_fp = NULL WHERE day = :day");
    rc = s ? 0 : COL_ERR_DB;
    if (rc == 0) {
        db_bind_text(s, db_param(s, ":day"), d->day);
        db_bind_i64(s, db_param(s, ":status"), status);
        db_bind_i64(s, db_param(s, ":bytes"), ex->bytes + m->bytes);
        db_bind_i64(s, db_param(s, ":rows"), ex->rows);
        db_bind_text(s, db_param(s, ":sha256"), m->sha256);
        db_bind_text(s, db_param(s, ":manifest"), text);
        db_bind_i64(s, db_param(s, ":now"), wall_ms());
        rc = db_run(s);
    }
    xfree(text);
    if (rc == 0)
        rc = mark_uploaded(st, d->day);
    return rc;
}

/* ---- counts ---- */

/* Days before today that have something to send (see has_data), with their ledger row as l. */
#define DAYS_TO_SEND                                                                               \
    "FROM (SELECT day FROM days UNION SELECT day FROM upload_ledger) x LEFT JOIN upload_ledger l " \
    "ON l.day = x.day WHERE x.day < date('now', 'localtime') AND (l.day IS NOT NULL OR x.day IN "  \
    "(SELECT day FROM site_daily) OR x.day IN (SELECT day FROM days WHERE raw_pruned <> 0))"

int64_t upload_scalar(struct store *st, const char *sql)
{
    struct db_stmt *s = db_prepare(st, sql);
    int64_t v = 0;

    if (s && db_step(s) == DB_ROW)
        v = db_col_i64(s, 0);
    db_reset(s);
    return v;
}

int upload_failing_days(struct store *st, int *n)
{
    static const char sql[] =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM upload_ledger WHERE state IN ('failed', "
        "'config_error')) THEN (SELECT count(*) " DAYS_TO_SEND " AND coalesce(l.state, "
        "'pending') <> 'done') ELSE 0 END";
    struct db_stmt *s = db_prepare(st, sql);
    int rc;

    *n = 0;
    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    if (rc == DB_ROW)
        *n = (int)db_col_i64(s, 0);
    db_reset(s);
    return rc < 0 ? rc : 0;
}

int upload_stats_read(const struct config *cfg, struct store *st, struct upload_stats *out)
{
    struct db_stmt *s = db_prepare(st, "SELECT count(*) FILTER (WHERE state = 'done'),"
                                       " count(*) FILTER (WHERE state = 'failed'),"
                                       " count(*) FILTER (WHERE state = 'config_error'),"
                                       " count(*) FILTER (WHERE revision > 1),"
                                       " coalesce(sum(bytes) FILTER (WHERE state = 'done'), 0),"
                                       " coalesce(max(uploaded_at), 0) FROM upload_ledger");
    int n = 0;

    memset(out, 0, sizeof(*out));
    out->is_enabled = cfg->upload.url != NULL;
    if (!s)
        return COL_ERR_DB;
    if (db_step(s) == DB_ROW) {
        out->done_days = db_col_i64(s, 0);
        out->failed_days = db_col_i64(s, 1);
        out->config_error_days = db_col_i64(s, 2);
        out->revisions = db_col_i64(s, 3);
        out->bytes_sent = db_col_i64(s, 4);
        out->last_success_ms = db_col_i64(s, 5);
    }
    db_reset(s);
    out->pending_days =
        upload_scalar(st, "SELECT count(*) " DAYS_TO_SEND " AND coalesce(l.state, 'pending') IN "
                          "('pending', 'uploading')");
    out->emergency_pruned_days =
        upload_scalar(st, "SELECT count(*) FROM days WHERE raw_pruned = 2");
    if (upload_failing_days(st, &n) == 0)
        out->failing_days = n;
    s = db_prepare(st, "SELECT day || ': ' || last_error FROM upload_ledger"
                       " WHERE state IN ('failed', 'config_error') ORDER BY day LIMIT 1");
    if (s && db_step(s) == DB_ROW)
        db_col_copy(s, 0, out->last_error, sizeof(out->last_error));
    db_reset(s);
    out->disk_room = upload_disk_room(cfg, st);
    out->is_disk_low = cfg->upload.disk_reserve > 0 && out->disk_room >= 0 &&
                       out->disk_room < cfg->upload.disk_reserve;
    return 0;
}
