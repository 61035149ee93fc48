/*
 * The upload ledger (table upload_ledger, see upload.c for its states):
 * which days a run sends and in what order, what each attempt writes to a
 * day's row, and the counts that `collector stats` and the failing-days
 * alert read. Every write to the ledger is here; upload.c decides
 * when to send, how long to wait and what a failure means.
 */
#include "upload.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "upload_int.h"
#include "xalloc.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements ---- */

int upload_exec(struct store *st, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *s = NULL;
    va_list ap;
    int rc = 0, i = 1;

    if (sqlite3_prepare_v2(store_handle(st), sql, -1, &s, NULL) != SQLITE_OK)
        return store_error(st, "upload: ledger");
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++, i++) {
        if (*f == 'i') {
            sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
        } else {
            const char *v = va_arg(ap, const char *);
            if (v)
                sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
        }
    }
    va_end(ap);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_error(st, "upload: ledger");
    sqlite3_finalize(s);
    return rc;
}

/* ---- which days ---- */

static int plan_add(struct upload_plan *p, const char *day, const char *state, long rev)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        struct upload_due *nv = xrealloc(p->v, ncap * sizeof(*nv));
        if (!nv)
            return COL_ERR_NOMEM;
        p->v = nv;
        p->cap = ncap;
    }
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
    sqlite3_stmt *s = NULL;
    int64_t t0, t1;
    bool is_found = true;

    if (upload_day_bounds(day, &t0, &t1))
        return true;
    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT EXISTS (SELECT 1 FROM readings WHERE ts >= ?1 AND ts < ?2) OR "
                           "EXISTS (SELECT 1 FROM site_daily WHERE day = ?3) OR EXISTS (SELECT 1 "
                           "FROM days WHERE day = ?3 AND raw_pruned <> 0)",
                           -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, t0);
        sqlite3_bind_int64(s, 2, t1);
        sqlite3_bind_text(s, 3, day, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            is_found = sqlite3_column_int(s, 0) != 0;
    }
    sqlite3_finalize(s);
    return is_found;
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
    sqlite3_stmt *s = NULL;
    char today[11], window[11] = "", stale[64][11];
    size_t n_stale = 0;
    int rc = 0, step;

    cal_day_of(o->now_ms, today);
    if (u->reupload_window_ms > 0)
        cal_day_of(o->now_ms - u->reupload_window_ms, window);
    if (sqlite3_prepare_v2(store_handle(st), sql, -1, &s, NULL) != SQLITE_OK)
        return store_error(st, "upload: plan");
    sqlite3_bind_text(s, 1, o->day ? "9999-12-31" : today, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *day = (const char *)sqlite3_column_text(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        long rev = (long)sqlite3_column_int64(s, 2);
        int64_t next = sqlite3_column_int64(s, 3);
        bool is_changed = sqlite3_column_int(s, 4) != 0;
        const char *row_fp = (const char *)sqlite3_column_text(s, 5);
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
    sqlite3_finalize(s);
    if (o->day && rc == 0 && p->n == 0) /* a day without data or ledger row: send it empty */
        rc = plan_add(p, o->day, "pending", 1);
    for (size_t i = 0; rc == 0 && i < n_stale && !o->is_dry_run && !o->output_dir; i++) {
        log_warn("upload: %s changed after its upload but is older than upload.reupload_window; "
                 "the change is not sent",
                 stale[i]);
        rc = upload_exec(st,
                         "UPDATE upload_ledger SET changed_after_upload = 0, changes_not_sent = "
                         "changes_not_sent + 1 WHERE day = ?1",
                         "s", stale[i]);
    }
    return rc;
}

/* ---- one attempt ---- */

int64_t upload_ledger_attempts(struct store *st, const char *day)
{
    sqlite3_stmt *s = NULL;
    int64_t n = 1;

    if (sqlite3_prepare_v2(store_handle(st), "SELECT attempts FROM upload_ledger WHERE day = ?1",
                           -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return n;
}

int upload_ledger_start(struct store *st, const struct upload_due *d, int64_t now_ms)
{
    bool is_new_rev = strcmp(d->state, "done") == 0;

    /* changed_after_upload = 0 now: a change the export might miss sets it again */
    return upload_exec(
        st,
        "INSERT INTO upload_ledger(day, state, revision, attempts, first_attempt_at) "
        "VALUES (?1, 'uploading', ?2, 1, ?3) ON CONFLICT(day) DO UPDATE SET "
        "state = 'uploading', revision = ?2, changed_after_upload = 0, "
        "attempts = CASE WHEN ?4 THEN 1 ELSE attempts + 1 END, "
        "first_attempt_at = CASE WHEN ?4 OR first_attempt_at IS NULL THEN ?3 "
        "ELSE first_attempt_at END, next_attempt = NULL",
        "siii", d->day, (int64_t)d->revision, now_ms, (int64_t)is_new_rev);
}

int upload_ledger_fail(struct store *st, const struct upload_due *d, const char *state,
                       const struct upload_put_result *res, int64_t next_ms, const char *fp)
{
    return upload_exec(st,
                       "UPDATE upload_ledger SET state = ?2, last_error = ?3, last_status = "
                       "nullif(?4, 0), next_attempt = nullif(?5, 0), config_fp = ?6 WHERE day = ?1",
                       "sssiis", d->day, state, res->error, (int64_t)res->status, next_ms, fp);
}

int upload_ledger_done(struct store *st, const struct upload_due *d, const struct upload_export *ex,
                       long status, const char *manifest_path)
{
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
    rc =
        upload_exec(st,
                    "UPDATE upload_ledger SET state = 'done', last_error = NULL, last_status = ?2, "
                    "bytes = ?3, rows = ?4, manifest_sha256 = ?5, manifest = ?6, "
                    "next_attempt = NULL, uploaded_at = ?7, config_fp = NULL WHERE day = ?1",
                    "siiissi", d->day, (int64_t)status, ex->bytes + m->bytes, ex->rows, m->sha256,
                    text, wall_ms());
    if (rc == 0)
        rc = upload_exec(st, "UPDATE days SET uploaded = 1 WHERE day = ?1", "s", d->day);
    xfree(text);
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
    sqlite3_stmt *s = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(store_handle(st), sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int upload_failing_days(struct store *st, int *n)
{
    static const char sql[] =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM upload_ledger WHERE state IN ('failed', "
        "'config_error')) THEN (SELECT count(*) " DAYS_TO_SEND " AND coalesce(l.state, "
        "'pending') <> 'done') ELSE 0 END";
    sqlite3_stmt *s = NULL;
    int rc = 0;

    *n = 0;
    if (sqlite3_prepare_v2(store_handle(st), sql, -1, &s, NULL) != SQLITE_OK)
        return store_error(st, "upload: failing days");
    if (sqlite3_step(s) == SQLITE_ROW)
        *n = sqlite3_column_int(s, 0);
    else
        rc = store_error(st, "upload: failing days");
    sqlite3_finalize(s);
    return rc;
}

int upload_stats_read(const struct config *cfg, struct store *st, struct upload_stats *out)
{
    sqlite3_stmt *s = NULL;
    int n = 0;

    memset(out, 0, sizeof(*out));
    out->is_enabled = cfg->upload.url != NULL;
    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT count(*) FILTER (WHERE state = 'done'), "
                           "count(*) FILTER (WHERE state = 'failed'), "
                           "count(*) FILTER (WHERE state = 'config_error'), "
                           "count(*) FILTER (WHERE revision > 1), "
                           "coalesce(sum(bytes) FILTER (WHERE state = 'done'), 0), "
                           "coalesce(max(uploaded_at), 0) FROM upload_ledger",
                           -1, &s, NULL) != SQLITE_OK)
        return store_error(st, "upload: stats");
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->done_days = sqlite3_column_int64(s, 0);
        out->failed_days = sqlite3_column_int64(s, 1);
        out->config_error_days = sqlite3_column_int64(s, 2);
        out->revisions = sqlite3_column_int64(s, 3);
        out->bytes_sent = sqlite3_column_int64(s, 4);
        out->last_success_ms = sqlite3_column_int64(s, 5);
    }
    sqlite3_finalize(s);
    s = NULL;
    out->pending_days =
        upload_scalar(st, "SELECT count(*) " DAYS_TO_SEND " AND coalesce(l.state, 'pending') IN "
                          "('pending', 'uploading')");
    out->emergency_pruned_days =
        upload_scalar(st, "SELECT count(*) FROM days WHERE raw_pruned = 2");
    if (upload_failing_days(st, &n) == 0)
        out->failing_days = n;
    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT day || ': ' || last_error FROM upload_ledger WHERE state IN "
                           "('failed', 'config_error') ORDER BY day LIMIT 1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out->last_error, sizeof(out->last_error), "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    out->disk_room = upload_disk_room(cfg, st);
    out->is_disk_low = cfg->upload.disk_reserve > 0 && out->disk_room >= 0 &&
                       out->disk_room < cfg->upload.disk_reserve;
    return 0;
}
