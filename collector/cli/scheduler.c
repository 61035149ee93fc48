/*
 * Scheduler thread (see scheduler.h). Each tick drains the rollup backlog in
 * batches; between batches the write lock is released so ingest never
 * waits longer than one batch. A failing pass is logged through a
 * complaint and retried on the next tick.
 */
#include "scheduler.h"
#include "col_err.h"
#include "core/config.h"
#include "alerts/alerts.h"
#include "alerts/notify.h"
#include "cli.h"
#include "diag.h"
#include "core/log.h"
#include "stats/rollup.h"
#include "store/store.h"
#include "wiring.h"
#include "upload/upload.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/snapshot.h"
#include "core/watchdog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

struct sched {
    const struct config *cfg;
    pthread_t thread;
    bool has_thread;
    atomic_int stop;
    struct store *st;
    struct rollup *ru;
    struct complaint failing;
    int64_t next_retention_ms;
    struct upload_worker *upload; /* the nightly upload's own thread, when upload.url is set */
    struct alerts *alerts;
    struct watchdog *wd;
    struct wd_heart *heart; /* beaten per step and while napping */
    uint64_t seen_marked;   /* store_marked_commits() when last looked at */
    int64_t last_mark_ms;   /* when it was last seen to change (monotonic) */
    int64_t nap_start_ms;   /* when the idle nap began */
    /* Alert channels and a snapshot reloaded on SIGHUP, held until the
     * thread takes them over. */
    _Atomic(const struct notify_channels *) next_channels;
    _Atomic(const struct snapshot *) next_snapshot;
};

static bool sched_stopping(void *ud)
{
    struct sched *s = ud;

    wd_beat(s->heart);
    return atomic_load(&s->stop) != 0;
}

/* An hour is computed once no data arrived for it for this long (rollup_set_settle). */
#define SETTLE_MS 2000

/* Note whether ingest has marked completed hours dirty since we last looked. */
static void observe_marks(struct sched *s)
{
    uint64_t v = store_marked_commits();

    if (v != s->seen_marked) {
        s->seen_marked = v;
        s->last_mark_ms = mono_ms();
    }
}

/* Wake from the idle nap: stopping, or completed hours were marked (at most every 0.5 s). */
static bool sched_new_work(void *ud)
{
    struct sched *s = ud;

    return sched_stopping(ud) ||
           (store_marked_commits() != s->seen_marked && mono_ms() - s->nap_start_ms >= 500);
}

static bool ingest_has_lock(void *ud)
{
    return sched_stopping(ud) || store_lock_waiters() == 0;
}

/*
 * Between two passes of a backlog: if ingest is waiting for the write lock
 * the pass held, wait (up to the pass's own length) until it has it, so a
 * backlog of rollups never starves incoming data; otherwise go on at once.
 */
static void yield_to_ingest(struct sched *s, int64_t took)
{
    clock_nap(took > 1 ? took : 1, 1, ingest_has_lock, s);
}

/* Take up a snapshot handed over on SIGHUP, between two steps. */
static void take_snapshot(struct sched *s)
{
    const struct snapshot *snap = atomic_exchange(&s->next_snapshot, NULL);

    if (snap) {
        alerts_use_snapshot(s->alerts, snap);
        snapshot_release(snap);
    }
}

static void *run(void *arg)
{
    struct sched *s = arg;

    while (!atomic_load(&s->stop)) {
        int n;
        long done = 0;
        take_snapshot(s);
        {
            const struct notify_channels *nc = atomic_exchange(&s->next_channels, NULL);
            if (nc) {
                alerts_set_channels(s->alerts, nc);
                notify_channels_release(nc);
            }
        }
        wd_beat(s->heart);
        do {
            int64_t t0 = mono_ms(), took;
            int64_t now = wall_ms();
            n = rollup_step(s->ru, (int)s->cfg->rollup.batch, now - now % 3600000);
            done += n > 0 ? n : 0;
            took = mono_ms() - t0;
            wd_beat(s->heart);
            if (n > 0)
                yield_to_ingest(s, took);
        } while (n > 0 && !atomic_load(&s->stop));
        if (n < 0)
            complain(&s->failing, mono_ms(), "rollup: pass failed (%s); will retry",
                     col_strerror(n));
        else
            complain_release(&s->failing, "rollup: passes succeed again");
        /* After new data (a day may have become prunable) or once a minute. Raw
         * data of a day is kept until the day is uploaded, when uploads are on. */
        if (n >= 0 && (done > 0 || mono_ms() >= s->next_retention_ms)) {
            /* day after day while there are some (each in short transactions,
             * ingest first between them), for up to a second per round */
            int64_t until = mono_ms() + 1000;
            int pruned;
            do {
                int64_t t0 = mono_ms();
                pruned = rollup_retention(s->ru, wall_ms(), s->cfg->upload.url != NULL);
                wd_beat(s->heart);
                if (pruned > 0)
                    yield_to_ingest(s, mono_ms() - t0);
            } while (pruned > 0 && mono_ms() < until && !atomic_load(&s->stop));
            s->next_retention_ms = mono_ms() + (pruned > 0 ? 0 : 60000);
        }
        if (s->alerts && alerts_tick(s->alerts, wall_ms()) != 0)
            complain(&s->failing, mono_ms(), "alerts: silence and reminder checks failed");
        /* Completed hours received data lately (a catch-up: the broker's backlog,
         * a replay): look again in half a second, until they have settled.
         * Otherwise until the next interval, or sooner when that starts. */
        observe_marks(s);
        if (mono_ms() - s->last_mark_ms < SETTLE_MS + 500) {
            clock_nap(500, 50, sched_stopping, s);
        } else {
            s->nap_start_ms = mono_ms();
            clock_nap(s->cfg->rollup.interval_ms, 50, sched_new_work, s);
        }
    }
    return NULL;
}

struct sched *sched_start(const struct config *cfg, const struct snapshot *snap,
                          const struct notify_channels *channels, struct watchdog *wd)
{
    struct sched *s = xcalloc(1, sizeof(*s));
    char err[512];

    if (!s)
        return NULL;
    s->cfg = cfg;
    s->wd = wd;
    s->st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!s->st) {
        log_err("sched: %s", err);
        goto fail;
    }
    s->ru = rollup_new(cfg, s->st);
    if (!s->ru)
        goto fail;
    rollup_set_settle(s->ru, SETTLE_MS);
    s->last_mark_ms = INT64_MIN / 2;
    s->alerts = alerts_new(cfg, s->st, snap, channels);
    if (!s->alerts)
        goto fail;
    {
        struct rollup_rules rr;
        wire_rollup_rules(s->alerts, &rr);
        rollup_set_rules(s->ru, &rr);
        wire_gateway_facts(s->alerts, cfg);
    }
    s->heart = watchdog_heart(wd, "scheduler");
    if (pthread_create(&s->thread, NULL, run, s)) {
        log_err("sched: cannot start the scheduler thread");
        goto fail;
    }
    s->has_thread = true;
    if (cfg->upload.url) {
        s->upload = upload_start(cfg);
        if (!s->upload)
            goto fail;
    }
    return s;
fail:
    sched_stop(s);
    return NULL;
}

void sched_stop(struct sched *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    upload_stop(s->upload);
    if (s->has_thread)
        pthread_join(s->thread, NULL);
    watchdog_heart_free(s->wd, s->heart);
    notify_channels_release(atomic_exchange(&s->next_channels, NULL));
    snapshot_release(atomic_exchange(&s->next_snapshot, NULL));
    rollup_free(s->ru);
    alerts_free(s->alerts);
    store_close(s->st);
    xfree(s);
}

void sched_set_channels(struct sched *s, const struct notify_channels *channels)
{
    if (s)
        notify_channels_release(atomic_exchange(&s->next_channels, notify_channels_hold(channels)));
}

void sched_use_snapshot(struct sched *s, const struct snapshot *snap)
{
    if (s)
        snapshot_release(atomic_exchange(&s->next_snapshot, snapshot_hold(snap)));
}

long sched_rollup_all(const struct config *cfg,
                      void (*progress)(void *ud, long done, int64_t pending), void *ud)
{
    int64_t next_report = 0;
    struct store *st;
    struct rollup *ru;
    struct alerts *al = NULL;
    const struct snapshot *snap = NULL;
    struct diag d = {log_diag_line, NULL, 0};
    char err[512];
    long total = 0;
    int n;

    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st) {
        log_err("rollup: %s", err);
        return COL_ERR_DB;
    }
    ru = rollup_new(cfg, st);
    if (!ru) {
        store_close(st);
        return COL_ERR_NOMEM;
    }
    /* alerts computed offline are recorded; no channels: nothing is sent from here */
    if (snapshot_load(cfg, &d, &snap) == 0)
        al = alerts_new(cfg, st, snap, NULL);
    else
        log_err("rollup: %d error%s in the rules, profiles or registry; no alerts are evaluated",
                d.n_errors, d.n_errors == 1 ? "" : "s");
    if (al) {
        struct rollup_rules rr;
        wire_rollup_rules(al, &rr);
        rollup_set_rules(ru, &rr);
    }
    do {
        n = rollup_step(ru, (int)cfg->rollup.batch, INT64_MAX); /* open hours too */
        if (n > 0)
            total += n;
        if (progress && n > 0 && mono_ms() >= next_report) {
            progress(ud, total, rollup_pending(ru));
            next_report = mono_ms() + 500;
        }
    } while (n > 0);
    rollup_free(ru);
    alerts_free(al);
    snapshot_release(snap);
    store_close(st);
    return n < 0 ? n : total;
}
