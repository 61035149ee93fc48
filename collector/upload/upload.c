/*
 * The upload's ledger, its choice of days and its thread (see upload.h).
 *
 * Ledger states: pending → uploading → done | failed | config_error.
 * 'uploading' is written before the first byte goes out, so one found at
 * the start of a run is a day whose run died: it is sent again, with the
 * same revision. 'failed' is retried with exponential backoff; a run stops
 * at the first failure so that days reach the pool in day order.
 * 'config_error' (a 4xx other than 408/429, a TLS or credential problem)
 * holds the queue until the configuration changes, the daemon restarts or
 * an operator runs `collector upload`. A 'done' day that the rollup marks
 * changed_after_upload is sent again as revision + 1 while it is younger
 * than upload.reupload_window.
 *
 * Every attempt exports the day afresh into the spool directory (one read
 * transaction, so files and manifest agree) and removes the files after:
 * late data between two attempts is then never missed.
 */
#include "upload.h"
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "upload_int.h"
#include "xalloc.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL
#define FP_LEN 17

/* ---- small helpers ---- */

static uint64_t random_u64(void)
{
    uint64_t v = 0;

    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint64_t)wall_ms() * 6364136223846793005ULL + (uint64_t)getpid();
    return v;
}

static int64_t random_below(int64_t n)
{
    return n > 0 ? (int64_t)(random_u64() % (uint64_t)n) : 0;
}

static void spool_dir(const struct config *cfg, char *out, size_t sz)
{
    if (cfg->upload.spool_dir)
        snprintf(out, sz, "%s", cfg->upload.spool_dir);
    else
        snprintf(out, sz, "%s.upload", cfg->storage.path);
}

/* Percent-encode a path segment (RFC 3986 unreserved characters stay). */
static void encode_segment(const char *in, char *out, size_t sz)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < sz; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
}

/* Local midnight starting @day and the next one (23, 24 or 25 hours later), UTC ms. */
static int day_bounds(const char *day, int64_t *t0, int64_t *t1)
{
    char next[11];

    if (cal_day_start(day, t0))
        return COL_ERR_INVAL;
    cal_day_of(*t0 + 26 * HOUR_MS, next);
    return cal_day_start(next, t1);
}

static void format_local(int64_t ms, char *out, size_t sz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, sz, "%Y-%m-%d %H:%M:%S", &tm);
}

/* "{gateway}/{yyyy}/{mm}/{dd}" for @day: the day's place on the pool and under --output. */
static int day_path(const struct config *cfg, const char *day, char *out, size_t sz)
{
    char gw[256];
    int n;

    encode_segment(cfg->gateway.id, gw, sizeof(gw));
    n = snprintf(out, sz, "%s/%.4s/%.2s/%.2s", gw, day, day + 5, day + 8);
    return n < 0 || (size_t)n >= sz ? COL_ERR_RANGE : 0;
}

/*
 * What the configuration of the upload is now, as far as a config_error
 * could depend on it: the settings, and the identity (not the content) of
 * the files holding secrets and certificates, so a rotated token counts.
 */
static void config_fp(const struct cfg_upload *u, char out[FP_LEN])
{
    const char *const files[] = {u->token_file, u->password_file, u->aws_secret_file,
                                 u->ca_file,    u->client_cert,   u->client_key};
    const char *const strs[] = {u->url, u->username, u->aws_region, u->aws_access_key_id,
                                u->aws_service};
    struct upload_sha256 c;
    char hex[UPLOAD_SHA256_HEX_LEN];
    long long v[2] = {u->auth, u->is_insecure};

    /* without memory for a digest the fingerprint is empty: it matches no
     * recorded one, so a held day is tried again rather than held forever */
    out[0] = '\0';
    if (upload_sha256_begin(&c))
        return;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        upload_sha256_add(&c, strs[i] ? strs[i] : "", strs[i] ? strlen(strs[i]) + 1 : 1);
    upload_sha256_add(&c, v, sizeof(v));
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct stat sb;
        long long id[4] = {0};
        if (files[i] && stat(files[i], &sb) == 0) {
            id[0] = (long long)sb.st_ino;
            id[1] = (long long)sb.st_size;
            id[2] = (long long)sb.st_mtim.tv_sec;
            id[3] = (long long)sb.st_mtim.tv_nsec;
        }
        upload_sha256_add(&c, id, sizeof(id));
    }
    if (upload_sha256_end(&c, hex) == 0)
        snprintf(out, FP_LEN, "%.16s", hex);
}

/* The spool directory's lock: one uploader per database (daemon or `collector upload`). */
static int lock_spool(const char *dir, int *fd)
{
    char path[4200];

    *fd = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_err("upload: cannot create the spool directory %s: %s", dir, strerror(errno));
        return COL_ERR_IO;
    }
    snprintf(path, sizeof(path), "%s/lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        log_err("upload: cannot open %s: %s", path, strerror(errno));
        return COL_ERR_IO;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return COL_ERR_BUSY;
    }
    return 0;
}

/* ---- the ledger ---- */

/* Run @sql with "?" parameters from @fmt ('i' int64, 's' text or NULL). */
static int exec_args(struct store *st, const char *sql, const char *fmt, ...)
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

struct due {
    char day[11];
    char state[16]; /* ledger state before this run */
    long revision;  /* the revision this run sends */
};

struct plan {
    struct due *v;
    size_t n, cap;
    int64_t retry_at_ms; /* a failed day waiting for its backoff */
    bool is_blocked;     /* a config_error day holds the queue */
    char blocked_day[11];
};

static int plan_add(struct plan *p, const char *day, const char *state, long rev)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        struct due *nv = xrealloc(p->v, ncap * sizeof(*nv));
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

    if (day_bounds(day, &t0, &t1))
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

/*
 * Which days this run sends, in day order: every day before today with
 * data (or a ledger row) that is not delivered, and delivered days changed
 * since, inside the re-upload window. Stops at a day that must wait (a
 * backoff, a configuration error), so that no later day overtakes it.
 */
static int make_plan(const struct config *cfg, struct store *st, const struct upload_opts *o,
                     const char *fp, struct plan *p)
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
        rc = exec_args(st,
                       "UPDATE upload_ledger SET changed_after_upload = 0, changes_not_sent = "
                       "changes_not_sent + 1 WHERE day = ?1",
                       "s", stale[i]);
    }
    return rc;
}

/* A day whose hours are still waiting for the rollup would be exported half-updated. */
static bool is_rolled_up(struct store *st, int64_t t0, int64_t t1)
{
    sqlite3_stmt *s = NULL;
    bool is_dirty = false;

    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT 1 FROM dirty_hours WHERE hour >= ?1 AND hour < ?2 LIMIT 1", -1,
                           &s, NULL) != SQLITE_OK)
        return true;
    sqlite3_bind_int64(s, 1, t0);
    sqlite3_bind_int64(s, 2, t1);
    is_dirty = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return !is_dirty;
}

static int64_t backoff_ms(const struct cfg_upload *u, int64_t attempts)
{
    struct backoff b = {u->backoff_min_ms, u->backoff_max_ms, 0};

    backoff_seed(&b);
    return backoff_delay(&b, attempts);
}

static int64_t ledger_attempts(struct store *st, const char *day)
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

/* ---- one day ---- */

struct run {
    const struct config *cfg;
    struct store *st;
    const struct upload_opts *o;
    struct upload_summary *sum;
    struct upload_http *http;
    const atomic_int *stop;
    char spool[4096];
    char fp[FP_LEN];
    char base[2048];
};

static void report(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(const struct run *r, const char *fmt, ...)
{
    va_list ap;

    if (!r->o->report)
        return;
    va_start(ap, fmt);
    vfprintf(r->o->report, fmt, ap);
    va_end(ap);
    fputc('\n', r->o->report);
    fflush(r->o->report);
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t len = strlen(path);

    if (len >= sizeof(tmp))
        return COL_ERR_RANGE;
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return COL_ERR_IO;
        *p = '/';
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return COL_ERR_IO;
    return 0;
}

/* --output: the files of the day under DIR/{gateway}/{yyyy}/{mm}/{dd}/, ledger untouched. */
static int export_only(struct run *r, const struct due *d)
{
    struct upload_export ex;
    char rel[512], dir[4600];
    int rc = day_path(r->cfg, d->day, rel, sizeof(rel));

    if (rc == 0) {
        snprintf(dir, sizeof(dir), "%s/%s", r->o->output_dir, rel);
        rc = mkdir_p(dir);
        if (rc)
            log_err("upload: cannot create %s: %s", dir, strerror(errno));
    }
    if (rc == 0)
        rc = upload_export_day(r->st, r->cfg, d->day, d->revision, r->o->now_ms, dir, NULL, &ex);
    if (rc) {
        report(r, "%s: export failed (%s)", d->day, col_strerror(rc));
        return rc;
    }
    r->sum->n_done++;
    report(r, "%s: revision %ld written to %s (%zu files, %lld bytes, %lld rows)", d->day,
           d->revision, dir, ex.n_files, (long long)ex.bytes, (long long)ex.rows);
    return 0;
}

static int ledger_start(struct run *r, const struct due *d)
{
    bool is_new_rev = strcmp(d->state, "done") == 0;

    /* changed_after_upload = 0 now: a change the export might miss sets it again */
    return exec_args(r->st,
                     "INSERT INTO upload_ledger(day, state, revision, attempts, first_attempt_at) "
                     "VALUES (?1, 'uploading', ?2, 1, ?3) ON CONFLICT(day) DO UPDATE SET "
                     "state = 'uploading', revision = ?2, changed_after_upload = 0, "
                     "attempts = CASE WHEN ?4 THEN 1 ELSE attempts + 1 END, "
                     "first_attempt_at = CASE WHEN ?4 OR first_attempt_at IS NULL THEN ?3 "
                     "ELSE first_attempt_at END, next_attempt = NULL",
                     "siii", d->day, (int64_t)d->revision, r->o->now_ms, (int64_t)is_new_rev);
}

static int ledger_fail(struct run *r, const struct due *d, const struct upload_put_result *res)
{
    int64_t next = 0;
    const char *state = "failed";

    if (res->outcome == UPLOAD_CONFIG) {
        state = "config_error";
        r->sum->n_config++;
        log_err("upload: %s revision %ld: %s — a configuration error: not retried until the "
                "configuration changes (or `collector upload` is run by hand)",
                d->day, d->revision, res->error);
        report(r, "%s: revision %ld: CONFIGURATION ERROR: %s", d->day, d->revision, res->error);
    } else if (res->outcome == UPLOAD_STOPPED) {
        next = r->o->now_ms; /* not the pool's fault: due again at the next start */
        r->sum->n_failed++;
        log_info("upload: %s revision %ld interrupted by the shutdown; sent again at the next "
                 "start",
                 d->day, d->revision);
    } else {
        int64_t wait = backoff_ms(&r->cfg->upload, ledger_attempts(r->st, d->day));
        if (res->retry_after_ms > wait)
            wait = res->retry_after_ms;
        next = wall_ms() + wait;
        r->sum->n_failed++;
        if (!r->sum->retry_at_ms || next < r->sum->retry_at_ms)
            r->sum->retry_at_ms = next;
        log_warn("upload: %s revision %ld failed: %s; retry in %lld s", d->day, d->revision,
                 res->error, (long long)((next - wall_ms()) / 1000));
        report(r, "%s: revision %ld failed: %s; will retry", d->day, d->revision, res->error);
    }
    return exec_args(r->st,
                     "UPDATE upload_ledger SET state = ?2, last_error = ?3, last_status = "
                     "nullif(?4, 0), next_attempt = nullif(?5, 0), config_fp = ?6 WHERE day = ?1",
                     "sssiis", d->day, state, res->error, (int64_t)res->status, next,
                     res->outcome == UPLOAD_CONFIG ? r->fp : NULL);
}

static int ledger_done(struct run *r, const struct due *d, const struct upload_export *ex,
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
    rc = exec_args(r->st,
                   "UPDATE upload_ledger SET state = 'done', last_error = NULL, last_status = ?2, "
                   "bytes = ?3, rows = ?4, manifest_sha256 = ?5, manifest = ?6, "
                   "next_attempt = NULL, uploaded_at = ?7, config_fp = NULL WHERE day = ?1",
                   "siiissi", d->day, (int64_t)status, ex->bytes + m->bytes, ex->rows, m->sha256,
                   text, wall_ms());
    if (rc == 0)
        rc = exec_args(r->st, "UPDATE days SET uploaded = 1 WHERE day = ?1", "s", d->day);
    xfree(text);
    return rc;
}

/* Export and PUT one day; returns the outcome (UPLOAD_OK, ...) or a negative COL_ERR_*. */
static int send_day(struct run *r, const struct due *d)
{
    struct upload_export ex;
    struct upload_put_result res = {0};
    char rel[512], dir[4200], url[4096], path[4300];
    int64_t t0 = mono_ms(), bytes = 0;
    int rc;

    rc = day_path(r->cfg, d->day, rel, sizeof(rel));
    if (rc)
        return rc;
    snprintf(dir, sizeof(dir), "%s/%s", r->spool, d->day);
    rc = ledger_start(r, d);
    if (rc)
        return rc;
    rc = upload_export_day(r->st, r->cfg, d->day, d->revision, r->o->now_ms, dir, r->stop, &ex);
    if (rc) {
        res.outcome = rc == COL_ERR_BUSY ? UPLOAD_STOPPED : UPLOAD_RETRY;
        if (rc == COL_ERR_BUSY)
            upload_errorf(&res, "interrupted: the collector is stopping");
        else
            upload_errorf(&res, "export failed: %s", col_strerror(rc));
        goto fail;
    }
    if (!r->http) {
        r->http = upload_http_new(&r->cfg->upload, r->stop, &res);
        if (!r->http)
            goto fail;
    }
    for (size_t i = 0; i < ex.n_files; i++) {
        const struct upload_file *f = &ex.files[i];
        bool is_manifest = i == ex.n_files - 1;
        int n = snprintf(url, sizeof(url), "%s/%s/%s", r->base, rel, f->name);
        if (n < 0 || (size_t)n >= sizeof(url)) {
            res.outcome = UPLOAD_CONFIG;
            upload_errorf(&res, "upload.url is too long");
            goto fail;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, f->name);
        rc = upload_http_put(r->http, url, path, f->bytes, f->sha256,
                             is_manifest ? "application/json" : "application/gzip", &res);
        if (rc) {
            res.outcome = UPLOAD_RETRY;
            upload_errorf(&res, "%s: %s", f->name, col_strerror(rc));
            goto fail;
        }
        bytes += res.bytes_sent;
        if (res.outcome != UPLOAD_OK) {
            char why[sizeof(res.error)];
            memcpy(why, res.error, sizeof(why));
            upload_errorf(&res, "%s: %s", f->name, why);
            goto fail;
        }
    }
    rc = ledger_done(r, d, &ex, res.status, path);
    if (rc)
        goto out;
    r->sum->n_done++;
    r->sum->bytes += bytes;
    log_info("upload: %s revision %ld delivered: %zu files, %lld bytes, %lld rows in %.1f s",
             d->day, d->revision, ex.n_files, (long long)bytes, (long long)ex.rows,
             (double)(mono_ms() - t0) / 1000.0);
    report(r, "%s: revision %ld delivered (%zu files, %lld bytes, %lld rows)", d->day, d->revision,
           ex.n_files, (long long)bytes, (long long)ex.rows);
    rc = UPLOAD_OK;
    goto out;
fail:
    r->sum->bytes += bytes;
    rc = ledger_fail(r, d, &res);
    if (rc == 0)
        rc = (int)res.outcome;
out:
    upload_remove_dir(dir);
    return rc;
}

/* upload_run, abortable through @stop (the daemon's thread). */
static int run_days(const struct config *cfg, struct store *st, const struct upload_opts *o,
                    struct upload_summary *sum, const atomic_int *stop)
{
    struct run r = {cfg, st, o, sum, NULL, stop, "", "", ""};
    struct plan p = {0};
    int lock_fd = -1, rc;
    size_t i;

    memset(sum, 0, sizeof(*sum));
    spool_dir(cfg, r.spool, sizeof(r.spool));
    config_fp(&cfg->upload, r.fp);
    if (cfg->upload.url) {
        snprintf(r.base, sizeof(r.base), "%s", cfg->upload.url);
        while (*r.base && r.base[strlen(r.base) - 1] == '/')
            r.base[strlen(r.base) - 1] = '\0';
    }
    if (!o->is_dry_run && !o->output_dir) {
        if (!cfg->upload.url)
            return COL_ERR_CONFIG;
        rc = lock_spool(r.spool, &lock_fd);
        if (rc)
            return rc;
    }
    rc = make_plan(cfg, st, o, r.fp, &p);
    if (rc)
        goto out;
    for (i = 0; i < p.n && rc == 0; i++) {
        const struct due *d = &p.v[i];
        int64_t t0, t1;
        if (stop && atomic_load(stop))
            break;
        if (o->is_dry_run) {
            report(&r, "%s: %s; would send revision %ld", d->day, d->state, d->revision);
            continue;
        }
        if (o->output_dir) {
            rc = export_only(&r, d);
            continue;
        }
        if (!o->is_manual && day_bounds(d->day, &t0, &t1) == 0 && !is_rolled_up(st, t0, t1)) {
            log_info("upload: %s is still being rolled up; trying again in a minute", d->day);
            sum->retry_at_ms = wall_ms() + MINUTE_MS;
            break;
        }
        rc = send_day(&r, d);
        if (rc > 0) { /* a failure: the days after this one wait, in order */
            i++;
            break;
        }
    }
    sum->n_waiting = (int)(p.n - i);
    if (p.retry_at_ms && (!sum->retry_at_ms || p.retry_at_ms < sum->retry_at_ms))
        sum->retry_at_ms = p.retry_at_ms;
    if (p.is_blocked) {
        report(&r,
               "%s: held by a configuration error (see `collector stats`); fix it, then run "
               "`collector upload` or restart",
               p.blocked_day);
        sum->n_config++;
    }
    if (p.retry_at_ms && o->report) {
        char when[32];
        format_local(p.retry_at_ms, when, sizeof(when));
        report(&r, "a failed day waits for its retry at %s (backoff)", when);
    }
    if (p.n == 0 && !p.is_blocked && !p.retry_at_ms)
        report(&r, "nothing to send");
    if (rc >= 0)
        rc = sum->n_failed || sum->n_config ? 1 : 0;
out:
    upload_http_free(r.http);
    xfree(p.v);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}

int upload_run(const struct config *cfg, struct store *st, const struct upload_opts *o,
               struct upload_summary *sum)
{
    return run_days(cfg, st, o, sum, NULL);
}

/* ---- counts ---- */

/* Days before today that have something to send (see has_data), with their ledger row as l. */
#define DAYS_TO_SEND                                                                               \
    "FROM (SELECT day FROM days UNION SELECT day FROM upload_ledger) x LEFT JOIN upload_ledger l " \
    "ON l.day = x.day WHERE x.day < date('now', 'localtime') AND (l.day IS NOT NULL OR x.day IN "  \
    "(SELECT day FROM site_daily) OR x.day IN (SELECT day FROM days WHERE raw_pruned <> 0))"

static int64_t scalar(struct store *st, const char *sql)
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

/* Bytes the database can still grow by: free disk plus its own free pages, capped by max_size. */
static int64_t disk_room(const struct config *cfg, struct store *st)
{
    char dir[4096];
    struct statvfs sv;
    int64_t page = scalar(st, "PRAGMA page_size");
    int64_t free_pages = scalar(st, "PRAGMA freelist_count") * page;
    int64_t room = -1;
    char *slash;

    snprintf(dir, sizeof(dir), "%s", cfg->storage.path);
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    if (statvfs(dir, &sv) == 0)
        room = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize + free_pages;
    if (cfg->storage.max_size > 0) {
        int64_t used = scalar(st, "PRAGMA page_count") * page - free_pages;
        int64_t cap = cfg->storage.max_size - used;
        if (room < 0 || cap < room)
            room = cap > 0 ? cap : 0;
    }
    return room;
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
        scalar(st, "SELECT count(*) " DAYS_TO_SEND " AND coalesce(l.state, 'pending') IN "
                   "('pending', 'uploading')");
    out->emergency_pruned_days = scalar(st, "SELECT count(*) FROM days WHERE raw_pruned = 2");
    if (upload_failing_days(st, &n) == 0)
        out->failing_days = n;
    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT day || ': ' || last_error FROM upload_ledger WHERE state IN "
                           "('failed', 'config_error') ORDER BY day LIMIT 1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out->last_error, sizeof(out->last_error), "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    out->disk_room = disk_room(cfg, st);
    out->is_disk_low = cfg->upload.disk_reserve > 0 && out->disk_room >= 0 &&
                       out->disk_room < cfg->upload.disk_reserve;
    return 0;
}

/* ---- disk full ---- */

/*
 * When the database is about to run out of room, say so (loudly, before
 * anything goes) and then drop the raw readings of the oldest day already
 * delivered — statistics stay. Days not yet delivered are never dropped:
 * if nothing is left to drop, ingest stops acknowledging when the database
 * is full and messages wait at the broker. One day per call.
 */
static int disk_guard(const struct config *cfg, struct store *st, struct complaint *c)
{
    int64_t reserve = cfg->upload.disk_reserve, room, t0 = 0, t1;
    sqlite3_stmt *s = NULL;
    char day[11] = "";
    int rc = 0;

    if (reserve <= 0)
        return 0;
    room = disk_room(cfg, st);
    if (room < 0 || room >= reserve) {
        complain_release(c, "disk: %lld MiB free for the database again",
                         (long long)(room / 1048576));
        return 0;
    }
    if (sqlite3_prepare_v2(store_handle(st),
                           "SELECT day FROM days WHERE raw_pruned = 0 AND day IN (SELECT day FROM "
                           "upload_ledger WHERE state = 'done' AND changed_after_upload = 0) "
                           "ORDER BY day LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        return store_error(st, "disk guard");
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(day, sizeof(day), "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (!*day) {
        complain(c, mono_ms(),
                 "disk: DATABASE NEARLY FULL: %lld KiB left for %s (upload.disk_reserve %lld "
                 "KiB) and no delivered day left to drop; when it is full, new messages wait "
                 "at the broker",
                 (long long)(room / 1024), cfg->storage.path, (long long)(reserve / 1024));
        return 0;
    }
    log_err("disk: DATABASE NEARLY FULL: %lld KiB left for %s (upload.disk_reserve %lld KiB); "
            "dropping the raw readings of %s, the oldest day already delivered (its statistics "
            "are kept)",
            (long long)(room / 1024), cfg->storage.path, (long long)(reserve / 1024), day);
    complain(c, mono_ms(), "disk: database nearly full; dropping delivered raw data early");
    if (day_bounds(day, &t0, &t1))
        return COL_ERR_INVAL;
    for (int64_t h = t0; rc == 0 && h < t1; h += HOUR_MS) {
        rc = store_begin(st);
        if (rc == 0)
            rc = exec_args(st, "DELETE FROM readings WHERE ts >= ?1 AND ts < ?2", "ii", h,
                           h + HOUR_MS);
        if (rc == 0)
            rc = store_commit(st);
        else
            store_rollback(st);
    }
    if (rc == 0)
        rc = exec_args(st, "UPDATE days SET raw_pruned = 2 WHERE day = ?1", "s", day);
    if (rc == 0)
        log_err("disk: raw readings of %s dropped early to make room", day);
    return rc;
}

/* ---- the thread ---- */

struct upload_worker {
    const struct config *cfg;
    pthread_t thread;
    bool has_thread;
    atomic_int stop;
    struct store *st;
    struct complaint failing, held, disk, broken;
    int64_t next_nightly_ms; /* wall clock */
    int64_t retry_ms;        /* wall clock, 0 = none */
    int64_t next_check_ms;   /* monotonic: disk and configuration checks */
    char fp[FP_LEN];
    bool is_first_run;
    bool has_curl;
};

/* The next local 'at' time after @now_ms, plus a fresh random jitter. */
static int64_t next_slot(const struct config *cfg, int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    int64_t slot;

    localtime_r(&t, &tm);
    for (int i = 0; i < 3; i++) {
        struct tm x = tm;
        x.tm_mday += i;
        x.tm_hour = (int)(cfg->upload.at_s / 3600);
        x.tm_min = (int)(cfg->upload.at_s / 60 % 60);
        x.tm_sec = (int)(cfg->upload.at_s % 60);
        x.tm_isdst = -1;
        slot = (int64_t)mktime(&x) * 1000;
        if (slot > now_ms)
            break;
    }
    return slot + random_below(cfg->upload.jitter_ms);
}

static void worker_run(struct upload_worker *w)
{
    struct upload_opts o = {0};
    struct upload_summary sum;
    int rc, n = 0;

    o.now_ms = wall_ms();
    o.is_first_run = w->is_first_run;
    rc = run_days(w->cfg, w->st, &o, &sum, &w->stop);
    w->is_first_run = false;
    w->retry_ms = sum.retry_at_ms;
    config_fp(&w->cfg->upload, w->fp);
    if (rc < 0) {
        complain(&w->broken, mono_ms(), "upload: the run could not start (%s); will retry",
                 col_strerror(rc));
        w->retry_ms = wall_ms() + 5 * MINUTE_MS;
    } else {
        complain_release(&w->broken, "upload: runs start again");
    }
    if (sum.n_config)
        complain(&w->held, mono_ms(),
                 "upload: held by a configuration error; fix upload.* (see `collector stats`), "
                 "then restart or run `collector upload`");
    else if (rc == 0)
        complain_release(&w->held, "upload: configuration error cleared");
    if (upload_failing_days(w->st, &n) == 0 && n >= w->cfg->upload.fail_alert_days)
        complain(&w->failing, mono_ms(),
                 "upload: ALERT: %d days not delivered to the data pool (upload.fail_alert_days "
                 "is %lld)",
                 n, w->cfg->upload.fail_alert_days);
    else if (n == 0)
        complain_release(&w->failing, "upload: every day delivered again");
}

static bool worker_stopping(void *ud)
{
    return atomic_load(&((struct upload_worker *)ud)->stop) != 0;
}

static void *worker_main(void *arg)
{
    struct upload_worker *w = arg;

    while (!atomic_load(&w->stop)) {
        int64_t now = wall_ms();
        if (mono_ms() >= w->next_check_ms) {
            char fp[FP_LEN];
            disk_guard(w->cfg, w->st, &w->disk);
            config_fp(&w->cfg->upload, fp);
            if (strcmp(fp, w->fp) != 0) { /* e.g. a new token file: try the held day again */
                snprintf(w->fp, sizeof(w->fp), "%s", fp);
                w->retry_ms = now;
            }
            w->next_check_ms = mono_ms() + MINUTE_MS;
        }
        if (now >= w->next_nightly_ms || (w->retry_ms && now >= w->retry_ms)) {
            bool is_nightly = now >= w->next_nightly_ms;
            worker_run(w);
            if (is_nightly)
                w->next_nightly_ms = next_slot(w->cfg, wall_ms());
        }
        clock_nap(1000, 50, worker_stopping, w);
    }
    return NULL;
}

struct upload_worker *upload_start(const struct config *cfg)
{
    struct upload_worker *w = xcalloc(1, sizeof(*w));
    char err[512], when[32];

    if (!w)
        return NULL;
    w->cfg = cfg;
    w->is_first_run = true;
    /* here, on the starting thread: curl_global_init is not for concurrent use */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_err("upload: libcurl could not start");
        xfree(w);
        return NULL;
    }
    w->has_curl = true;
    w->st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!w->st) {
        log_err("upload: %s", err);
        goto fail;
    }
    /* streaming a day through one statement needs no more cache than this */
    store_exec(w->st, "PRAGMA cache_size = -2048");
    config_fp(&cfg->upload, w->fp);
    w->next_nightly_ms = next_slot(cfg, wall_ms());
    /* catch up after a restart, but not the whole district in the same second */
    w->retry_ms = wall_ms() + random_below(cfg->upload.jitter_ms < MINUTE_MS ? cfg->upload.jitter_ms
                                                                             : MINUTE_MS);
    if (pthread_create(&w->thread, NULL, worker_main, w)) {
        log_err("upload: cannot start the upload thread");
        goto fail;
    }
    w->has_thread = true;
    format_local(w->next_nightly_ms, when, sizeof(when));
    log_info("upload: nightly upload at %s (+ up to %lld s jitter); next at %s", cfg->upload.at,
             cfg->upload.jitter_ms / 1000, when);
    return w;
fail:
    upload_stop(w);
    return NULL;
}

void upload_stop(struct upload_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, 1);
    if (w->has_thread)
        pthread_join(w->thread, NULL);
    store_close(w->st);
    if (w->has_curl)
        curl_global_cleanup();
    xfree(w);
}
