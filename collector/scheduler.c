/*
 * Scheduler thread (see sched.h). Each tick drains the rollup backlog in
 * batches; between batches the write lock is released so ingest never
 * waits longer than one batch. A failing pass is logged through a
 * complaint and retried on the next tick.
 */
#include "scheduler.h"
#include "col_err.h"
#include "config.h"
#include "log.h"
#include "mqtt.h"
#include "rollup.h"
#include "store.h"
#include "xalloc.h"

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
};

static void nap_ms(struct sched *s, int64_t ms)
{
    int64_t until = mono_ms() + ms;

    while (!atomic_load(&s->stop) && mono_ms() < until) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *run(void *arg)
{
    struct sched *s = arg;

    while (!atomic_load(&s->stop)) {
        int n;
        long done = 0;
        do {
            n = rollup_step(s->ru, (int)s->cfg->rollup.batch);
            done += n > 0 ? n : 0;
        } while (n > 0 && !atomic_load(&s->stop));
        if (n < 0)
            complain(&s->failing, mono_ms(), "rollup: pass failed (%s); will retry",
                     col_strerror(n));
        else
            complain_release(&s->failing, "rollup: passes succeed again");
        /* After new data (a day may have become prunable) or once a minute. Raw
         * data of a day is kept until the day is uploaded, when uploads are on. */
        if (n >= 0 && (done > 0 || mono_ms() >= s->next_retention_ms)) {
            int pruned = rollup_retention(s->ru, wall_ms(), s->cfg->upload.url != NULL);
            s->next_retention_ms = mono_ms() + (pruned > 0 ? 0 : 60000);
        }
        nap_ms(s, s->cfg->rollup.interval_ms);
    }
    return NULL;
}

struct sched *sched_start(const struct config *cfg)
{
    struct sched *s = xcalloc(1, sizeof(*s));
    char err[512];

    if (!s)
        return NULL;
    s->cfg = cfg;
    s->st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!s->st) {
        log_err("sched: %s", err);
        goto fail;
    }
    s->ru = rollup_new(cfg, s->st);
    if (!s->ru)
        goto fail;
    if (pthread_create(&s->thread, NULL, run, s)) {
        log_err("sched: cannot start the scheduler thread");
        goto fail;
    }
    s->has_thread = true;
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
    if (s->has_thread)
        pthread_join(s->thread, NULL);
    rollup_free(s->ru);
    store_close(s->st);
    xfree(s);
}

long sched_rollup_all(const struct config *cfg)
{
    struct store *st;
    struct rollup *ru;
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
    do {
        n = rollup_step(ru, (int)cfg->rollup.batch);
        if (n > 0)
            total += n;
    } while (n > 0);
    rollup_free(ru);
    store_close(st);
    return n < 0 ? n : total;
}
