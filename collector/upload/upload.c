/*
 * The upload's runs, its thread and the disk guard (see upload.h); the
 * ledger's statements are in upload_ledger.c.
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
#include "store/db.h"
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

int upload_day_bounds(const char *day, int64_t *t0, int64_t *t1)
{
    if (cal_day_start(day, t0))
        return COL_ERR_INVAL;
    cal_day_bounds(*t0, t0, t1, NULL);
    return 0;
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

/* A day whose hours are still waiting for the rollup would be exported half-updated. */
static bool is_rolled_up(struct store *st, int64_t t0, int64_t t1)
{
    struct db_stmt *s =
        db_prepare(st, "SELECT 1 FROM dirty_hours WHERE hour >= ?1 AND hour < ?2 LIMIT 1");
    bool is_dirty = false;

    if (!s)
        return true;
    db_bind_i64(s, 1, t0);
    db_bind_i64(s, 2, t1);
    is_dirty = db_step(s) == DB_ROW;
    db_reset(s);
    return !is_dirty;
}

static int64_t backoff_ms(const struct cfg_upload *u, int64_t attempts)
{
    struct backoff b = {u->backoff_min_ms, u->backoff_max_ms, 0};

    backoff_seed(&b);
    return backoff_delay(&b, attempts);
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
static int export_only(struct run *r, const struct upload_due *d)
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

/* Record a failed attempt: a configuration error holds the queue, anything else is retried. */
static int ledger_fail(struct run *r, const struct upload_due *d,
                       const struct upload_put_result *res)
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
        int64_t wait = backoff_ms(&r->cfg->upload, upload_ledger_attempts(r->st, d->day));
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
    return upload_ledger_fail(r->st, d, state, res, next,
                              res->outcome == UPLOAD_CONFIG ? r->fp : NULL);
}

/* Export and PUT one day; returns the outcome (UPLOAD_OK, ...) or a negative COL_ERR_*. */
static int send_day(struct run *r, const struct upload_due *d)
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
    rc = upload_ledger_start(r->st, d, r->o->now_ms);
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
    rc = upload_ledger_done(r->st, d, &ex, res.status, path);
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
    struct upload_plan p = {0};
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
    rc = upload_ledger_plan(cfg, st, o, r.fp, &p);
    if (rc)
        goto out;
    for (i = 0; i < p.n && rc == 0; i++) {
        const struct upload_due *d = &p.v[i];
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
        if (!o->is_manual && upload_day_bounds(d->day, &t0, &t1) == 0 &&
            !is_rolled_up(st, t0, t1)) {
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

/* ---- disk full ---- */

int64_t upload_disk_room(const struct config *cfg, struct store *st)
{
    char dir[4096];
    struct statvfs sv;
    int64_t page = upload_scalar(st, "PRAGMA page_size");
    int64_t free_pages = upload_scalar(st, "PRAGMA freelist_count") * page;
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
        int64_t used = upload_scalar(st, "PRAGMA page_count") * page - free_pages;
        int64_t cap = cfg->storage.max_size - used;
        if (room < 0 || cap < room)
            room = cap > 0 ? cap : 0;
    }
    return room;
}

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
    struct db_stmt *s;
    char day[11] = "";
    int rc = 0;

    if (reserve <= 0)
        return 0;
    room = upload_disk_room(cfg, st);
    if (room < 0 || room >= reserve) {
        complain_release(c, "disk: %lld MiB free for the database again",
                         (long long)(room / 1048576));
        return 0;
    }
    s = db_prepare(st, "SELECT day FROM days WHERE raw_pruned = 0 AND day IN (SELECT day FROM"
                       " upload_ledger WHERE state = 'done' AND changed_after_upload = 0)"
                       " ORDER BY day LIMIT 1");
    if (!s)
        return COL_ERR_DB;
    if (db_step(s) == DB_ROW)
        db_col_copy(s, 0, day, sizeof(day));
    db_reset(s);
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
    if (upload_day_bounds(day, &t0, &t1))
        return COL_ERR_INVAL;
    rc = store_drop_raw(st, day, t0, t1, STORE_PRUNED_DISK);
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
