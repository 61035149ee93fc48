/*
 * The delivery threads (see notify.h). One thread per channel walks that
 * channel's outbox strictly in id order: the oldest undelivered entry is
 * retried with exponential backoff and jitter until it is delivered or
 * expires, and no later entry of the channel is sent before it. Sending
 * happens outside any transaction; only the bookkeeping (delivered,
 * attempts, next_attempt, last_error, expired, delivery_stats) is written,
 * each outcome in one short transaction. Delivery is at-least-once: a crash
 * between a send and its commit resends the entry at the next start.
 */
#include "col_err.h"
#include "diag.h"
#include "core/config.h"
#include "core/log.h"
#include "notify_int.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/watchdog.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_POLL_MS 250                      /* idle poll of the outbox */
#define NOTIFY_KEEP_MS (7LL * 24 * 3600 * 1000) /* delivered/expired rows kept */
#define NOTIFY_PRUNE_EVERY_MS (3600LL * 1000)   /* how often they are pruned */
#define NOTIFY_EXPIRE_EVERY_MS (60LL * 1000)    /* expiry sweep besides the head check */

enum {
    Q_HEAD,
    Q_EXPIRE,
    Q_DELIVERED,
    Q_FAILED,
    Q_REJECTED,
    Q_STATS,
    Q_PRUNE,
    Q_SCOPE,
    Q_COUNT_STMTS
};

static const char *const sql_text[Q_COUNT_STMTS] = {
    [Q_HEAD] = "SELECT id, coalesce(alert_id, 0), event, payload, attempts, next_attempt, "
               "created_at FROM outbox WHERE channel = ?1 AND delivered_at IS NULL "
               "AND expired_at IS NULL ORDER BY id LIMIT 1",
    [Q_EXPIRE] = "UPDATE outbox SET expired_at = ?2, last_error = coalesce(last_error, "
                 "'expired before any attempt') WHERE channel = ?1 AND delivered_at IS NULL "
                 "AND expired_at IS NULL AND created_at <= ?3",
    [Q_DELIVERED] = "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, "
                    "last_error = NULL WHERE id = ?1",
    [Q_FAILED] = "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 "
                 "WHERE id = ?1",
    [Q_REJECTED] = "UPDATE outbox SET attempts = attempts + 1, expired_at = ?2, last_error = ?3 "
                   "WHERE id = ?1",
    [Q_STATS] = "INSERT INTO delivery_stats(channel, delivered, failed_attempts, expired) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(channel) DO UPDATE SET "
                "delivered = delivered + excluded.delivered, "
                "failed_attempts = failed_attempts + excluded.failed_attempts, "
                "expired = expired + excluded.expired",
    [Q_PRUNE] = "DELETE FROM outbox WHERE channel = ?1 AND coalesce(delivered_at, expired_at) < ?2",
    [Q_SCOPE] = "SELECT scope FROM alerts WHERE id = ?1",
};

struct worker {
    struct notify_worker w; /* first: the types see only this part */
    pthread_t thread;
    bool has_thread;
    struct complaint failing;
    struct complaint db_failing;
    int64_t next_prune_ms, next_expire_ms;
};

struct notify {
    struct notify_channels *chans;
    struct worker *workers;
    size_t n_workers;
    atomic_int stop;
    bool has_curl;
    struct watchdog *wd;
};

bool notify_stopping(const struct notify_worker *w)
{
    wd_beat(w->heart);
    return atomic_load(w->stop) != 0;
}

struct nap_watch {
    const struct notify_worker *w;
    unsigned seen; /* the kick counter when the nap began */
};

static bool nap_should_wake(void *ud)
{
    const struct nap_watch *nw = ud;

    return notify_stopping(nw->w) || (nw->w->kick && atomic_load(nw->w->kick) != nw->seen);
}

/* Sleep up to @ms, or until notify_channels_kick() reports committed work. */
static void nap_ms(const struct notify_worker *w, int64_t ms)
{
    struct nap_watch nw = {w, w->kick ? atomic_load(w->kick) : 0};

    clock_nap(ms, 5, nap_should_wake, &nw);
}

/* The helper logged SQLite's reason; this says what the channel could not do, with backoff. */
static int db_fail(struct worker *k, const char *what, int rc)
{
    complain(&k->db_failing, mono_ms(), "notify: channel '%s': %s failed (%s)", k->w.ch->name, what,
             col_strerror(rc));
    return rc < 0 ? rc : COL_ERR_DB;
}

/* The outbox statement @q (prepared once per connection, then cached). */
static struct db_stmt *stmt(struct worker *k, int q)
{
    return db_prepare(k->w.st, sql_text[q]);
}

static int run_stmt(struct worker *k, struct db_stmt *s, const char *what)
{
    int rc = s ? db_run(s) : COL_ERR_DB;

    return rc ? db_fail(k, what, rc) : 0;
}

static int add_stats(struct worker *k, int64_t delivered, int64_t failed, int64_t expired)
{
    struct db_stmt *s = stmt(k, Q_STATS);

    if (s) {
        db_bind_text(s, 1, k->w.ch->name);
        db_bind_i64(s, 2, delivered);
        db_bind_i64(s, 3, failed);
        db_bind_i64(s, 4, expired);
    }
    return run_stmt(k, s, "counting");
}

/* Mark every entry created at or before @cutoff expired; returns how many or COL_ERR_DB. */
static int expire_old(struct worker *k, int64_t now)
{
    struct db_stmt *s;
    int n, rc;

    rc = store_begin(k->w.st);
    if (rc)
        return db_fail(k, "begin", rc);
    s = stmt(k, Q_EXPIRE);
    if (s) {
        db_bind_text(s, 1, k->w.ch->name);
        db_bind_i64(s, 2, now);
        db_bind_i64(s, 3, now - k->w.ch->expire_ms);
    }
    rc = run_stmt(k, s, "expiring");
    n = rc ? 0 : (int)db_changes(k->w.st);
    if (rc == 0 && n > 0)
        rc = add_stats(k, 0, 0, n);
    if (rc) {
        store_rollback(k->w.st);
        return rc;
    }
    rc = store_commit(k->w.st);
    if (rc)
        return db_fail(k, "commit", rc);
    if (n > 0)
        log_warn("notify: channel '%s': %d notification%s expired undelivered after %llds",
                 k->w.ch->name, n, n == 1 ? "" : "s", (long long)(k->w.ch->expire_ms / 1000));
    return n;
}

static int prune(struct worker *k, int64_t now)
{
    struct db_stmt *s = stmt(k, Q_PRUNE);

    if (s) {
        db_bind_text(s, 1, k->w.ch->name);
        db_bind_i64(s, 2, now - NOTIFY_KEEP_MS);
    }
    return run_stmt(k, s, "pruning delivered entries");
}

/* Record the outcome @rc of sending entry @id (attempts before: @attempts). */
static int record(struct worker *k, int64_t id, int64_t attempts, int rc, const char *err)
{
    int64_t now = wall_ms();
    struct db_stmt *s;
    int r;

    r = store_begin(k->w.st);
    if (r)
        return db_fail(k, "begin", r);
    s = stmt(k, rc == 0 ? Q_DELIVERED : rc == COL_ERR_INVAL ? Q_REJECTED : Q_FAILED);
    if (s) {
        db_bind_i64(s, 1, id);
        if (rc == 0 || rc == COL_ERR_INVAL)
            db_bind_i64(s, 2, now);
        else
            db_bind_i64(s, 2, now + backoff_delay(&k->w.backoff, attempts + 1));
        if (rc != 0)
            db_bind_text(s, 3, err);
    }
    r = run_stmt(k, s, "recording a delivery");
    if (r == 0)
        r = add_stats(k, rc == 0, rc == COL_ERR_NET, rc == COL_ERR_INVAL);
    if (r) {
        store_rollback(k->w.st);
        return r;
    }
    r = store_commit(k->w.st);
    if (r)
        return db_fail(k, "commit", r);
    complain_release(&k->db_failing, "notify: channel '%s': database writes succeed again",
                     k->w.ch->name);
    return 0;
}

/*
 * Send the head entry of the channel when it is due. Returns 1 when an
 * entry was handled (look again at once), 0 when there is nothing due, or
 * a negative COL_ERR_*.
 */
static int deliver_head(struct worker *k)
{
    struct db_stmt *s = stmt(k, Q_HEAD);
    struct notify_msg m = {0};
    char *payload = NULL, *event = NULL;
    const char *text;
    char err[512] = "";
    int64_t attempts, next_attempt, created_at, now = wall_ms();
    size_t len;
    int rc, step;

    if (!s)
        return db_fail(k, "reading the outbox", COL_ERR_DB);
    db_bind_text(s, 1, k->w.ch->name);
    step = db_step(s);
    if (step != DB_ROW) {
        db_reset(s);
        return step == DB_DONE ? 0 : db_fail(k, "reading the outbox", step);
    }
    m.id = db_col_i64(s, 0);
    m.alert_id = db_col_i64(s, 1);
    text = db_col_text(s, 2);
    event = text ? xstrdup(text) : NULL;
    text = db_col_bytes(s, 3, &len);
    payload = text ? xstrndup(text, len) : NULL;
    attempts = db_col_i64(s, 4);
    next_attempt = db_col_i64(s, 5);
    created_at = db_col_i64(s, 6);
    db_reset(s);
    if (!event || !payload) {
        rc = COL_ERR_NOMEM;
        goto out;
    }
    if (created_at <= now - k->w.ch->expire_ms) {
        rc = expire_old(k, now);
        rc = rc < 0 ? rc : 1;
        goto out;
    }
    if (next_attempt > now) {
        rc = 0;
        goto out;
    }
    m.event = event;
    m.payload = payload;
    m.len = strlen(payload);
    m.json = cJSON_ParseWithLength(payload, m.len);
    if (m.json && !cJSON_IsObject(m.json)) {
        cJSON_Delete(m.json);
        m.json = NULL;
    }
    rc = k->w.ch->type->send(&k->w, &m, err, sizeof(err));
    if (rc == COL_ERR_BUSY) /* stopping: neither delivered nor failed */
        goto out;
    if (rc == 0) {
        complain_release(&k->failing, "notify: channel '%s' delivers again", k->w.ch->name);
        log_dbg("notify: channel '%s': delivered outbox entry %lld (%s)", k->w.ch->name,
                (long long)m.id, event);
    } else if (rc == COL_ERR_INVAL) {
        log_err("notify: channel '%s': outbox entry %lld (%s, alert %lld) refused: %s; "
                "dropped and counted as expired",
                k->w.ch->name, (long long)m.id, event, (long long)m.alert_id, err);
    } else {
        rc = COL_ERR_NET;
        complain(&k->failing, mono_ms(), "notify: channel '%s': delivery failed (%s); retrying",
                 k->w.ch->name, err);
    }
    rc = record(k, m.id, attempts, rc, err);
    rc = rc < 0 ? rc : 1;
out:
    cJSON_Delete(m.json);
    xfree(event);
    xfree(payload);
    return rc;
}

static void *run(void *arg)
{
    struct worker *k = arg;

    log_info("notify: channel '%s' (%s) started", k->w.ch->name, k->w.ch->type->name);
    while (!notify_stopping(&k->w)) {
        int64_t now = wall_ms();
        int rc;

        if (mono_ms() >= k->next_expire_ms) {
            if (expire_old(k, now) >= 0)
                k->next_expire_ms = mono_ms() + NOTIFY_EXPIRE_EVERY_MS;
        }
        if (mono_ms() >= k->next_prune_ms) {
            if (prune(k, now) == 0)
                k->next_prune_ms = mono_ms() + NOTIFY_PRUNE_EVERY_MS;
        }
        rc = deliver_head(k);
        /* Also during a burst: re-posts and MQTT keep-alives must not starve. */
        if (k->w.ch->type->tick)
            k->w.ch->type->tick(&k->w, wall_ms());
        if (rc > 0)
            continue;
        nap_ms(&k->w, rc < 0 ? 1000 : NOTIFY_POLL_MS);
    }
    return NULL;
}

static void worker_close(struct worker *k)
{
    if (k->w.ch && k->w.ch->type->close)
        k->w.ch->type->close(&k->w);
    if (k->w.curl)
        curl_easy_cleanup(k->w.curl);
    store_close(k->w.st);
}

static void worker_heart(struct notify *n, struct worker *k)
{
    char name[80];

    snprintf(name, sizeof(name), "notify:%s", k->w.ch->name);
    k->w.heart = watchdog_heart(n->wd, name);
}

static int worker_open(struct notify *n, struct worker *k, const struct config *cfg,
                       const struct notify_channel *ch)
{
    char err[512];

    k->w.ch = ch;
    k->w.cfg = cfg;
    k->w.stop = &n->stop;
    k->w.kick = n->chans ? n->chans->kick : NULL;
    k->w.backoff = (struct backoff){ch->backoff_min_ms, ch->backoff_max_ms, 0};
    backoff_seed(&k->w.backoff);
    k->w.st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!k->w.st) {
        log_err("notify: channel '%s': %s", ch->name, err);
        return COL_ERR_DB;
    }
    /* prepared now, so that SQL the schema does not accept stops the start */
    for (int i = 0; i < Q_COUNT_STMTS; i++) {
        if (!stmt(k, i))
            return COL_ERR_DB;
    }
    return ch->type->open(&k->w);
}

/* Entries waiting for a channel that is no longer configured are never sent: say so once. */
static void warn_orphans(struct notify *n, const struct config *cfg)
{
    struct store *st;
    struct db_stmt *s;
    char err[512];

    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st)
        return;
    s = db_prepare(st, "SELECT channel, count(*) FROM outbox WHERE delivered_at IS NULL "
                       "AND expired_at IS NULL GROUP BY channel");
    while (s && db_step(s) == DB_ROW) {
        const char *name = db_col_text(s, 0);
        bool known = false;
        for (size_t i = 0; i < n->chans->n; i++)
            if (strcmp(n->chans->v[i].name, name) == 0)
                known = true;
        if (!known)
            log_warn("notify: %lld outbox entries wait for channel '%s', which is not "
                     "configured; they will not be delivered",
                     (long long)db_col_i64(s, 1), name);
    }
    db_reset(s);
    store_close(st);
}

struct notify *notify_start(const struct config *cfg, struct notify_channels **chans,
                            struct watchdog *wd)
{
    struct notify *n = xcalloc(1, sizeof(*n));

    if (!n) {
        notify_channels_free(*chans);
        *chans = NULL;
        return NULL;
    }
    n->chans = *chans;
    *chans = NULL;
    n->wd = wd;
    if (!n->chans) {
        struct diag quiet = {0};
        n->chans = notify_channels_load(NULL, NULL, &quiet);
    }
    if (!n->chans) {
        xfree(n);
        return NULL;
    }
    if (n->chans->n == 0)
        return n;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_err("notify: cannot initialise libcurl");
        goto fail;
    }
    n->has_curl = true;
    warn_orphans(n, cfg);
    n->workers = xcalloc(n->chans->n, sizeof(*n->workers));
    if (!n->workers)
        goto fail;
    for (size_t i = 0; i < n->chans->n; i++) {
        struct worker *k = &n->workers[i];
        n->n_workers++;
        if (worker_open(n, k, cfg, &n->chans->v[i]))
            goto fail;
        worker_heart(n, k);
        if (pthread_create(&k->thread, NULL, run, k)) {
            log_err("notify: cannot start the thread of channel '%s'", k->w.ch->name);
            goto fail;
        }
        k->has_thread = true;
    }
    return n;
fail:
    notify_stop(n);
    return NULL;
}

void notify_stop(struct notify *n)
{
    if (!n)
        return;
    atomic_store(&n->stop, 1);
    for (size_t i = 0; i < n->n_workers; i++)
        if (n->workers[i].has_thread)
            pthread_join(n->workers[i].thread, NULL);
    for (size_t i = 0; i < n->n_workers; i++) {
        worker_close(&n->workers[i]);
        watchdog_heart_free(n->wd, n->workers[i].w.heart);
    }
    xfree(n->workers);
    notify_channels_free(n->chans);
    if (n->has_curl)
        curl_global_cleanup();
    xfree(n);
}

const struct notify_channels *notify_channels_of(const struct notify *n)
{
    return n ? n->chans : NULL;
}

int notify_alert_scope(struct notify_worker *w, int64_t alert_id, char *out, size_t sz)
{
    struct worker *k = (struct worker *)w;
    struct db_stmt *s = stmt(k, Q_SCOPE);
    int rc = COL_ERR_NOTFOUND, step;

    if (!s)
        return db_fail(k, "reading an alert's scope", COL_ERR_DB);
    db_bind_i64(s, 1, alert_id);
    step = db_step(s);
    if (step == DB_ROW && db_col_text(s, 0)) {
        db_col_copy(s, 0, out, sz);
        rc = 0;
    } else if (step < 0) {
        rc = db_fail(k, "reading an alert's scope", step);
    }
    db_reset(s);
    return rc;
}

int notify_stats_read(struct store *st, struct notify_stat *out, size_t max, size_t *n)
{
    static const char sql[] =
        "SELECT channel, sum(d), sum(f), sum(e), sum(p) FROM ("
        " SELECT channel, delivered AS d, failed_attempts AS f, expired AS e, 0 AS p"
        " FROM delivery_stats"
        " UNION ALL SELECT channel, 0, 0, 0, count(*) FROM outbox"
        " WHERE delivered_at IS NULL AND expired_at IS NULL GROUP BY channel)"
        " GROUP BY channel ORDER BY channel";
    struct db_stmt *s = db_prepare(st, sql);
    int step;

    *n = 0;
    if (!s)
        return COL_ERR_DB;
    while ((step = db_step(s)) == DB_ROW) {
        struct notify_stat *o;
        if (*n >= max)
            continue;
        o = &out[(*n)++];
        db_col_copy(s, 0, o->channel, sizeof(o->channel));
        o->delivered = db_col_i64(s, 1);
        o->failed_attempts = db_col_i64(s, 2);
        o->expired = db_col_i64(s, 3);
        o->pending = db_col_i64(s, 4);
    }
    db_reset(s);
    return step < 0 ? step : 0;
}
