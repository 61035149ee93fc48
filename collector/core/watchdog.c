/*
 * sd_notify and the progress watchdog (see watchdog.h). libsystemd is used
 * for the protocol only (sd_notify, sd_watchdog_enabled); its error codes
 * stop here: a message systemd does not get is not worth failing for.
 * Hearts are a list under a mutex (added and removed as threads start and
 * stop); a beat is one atomic store, so a busy loop pays nothing for it.
 */
#include "watchdog.h"
#include "clock.h"
#include "col_err.h"
#include "log.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

struct wd_heart {
    struct wd_heart *next;
    char name[48];
    atomic_llong last_ms; /* mono_ms() of the last beat */
};

struct watchdog {
    pthread_mutex_t mu;
    struct wd_heart *hearts;
    bool is_notifying;
    int64_t interval_ms;
    pthread_t thread;
    bool has_thread;
    atomic_int stop;
};

struct watchdog *watchdog_new(void)
{
    struct watchdog *wd = xcalloc(1, sizeof(*wd));
    uint64_t usec = 0;

    if (!wd)
        return NULL;
    pthread_mutex_init(&wd->mu, NULL);
    wd->is_notifying = getenv("NOTIFY_SOCKET") != NULL;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 1000)
        wd->interval_ms = (int64_t)(usec / 1000);
    return wd;
}

void watchdog_free(struct watchdog *wd)
{
    if (!wd)
        return;
    atomic_store(&wd->stop, 1);
    if (wd->has_thread)
        pthread_join(wd->thread, NULL);
    while (wd->hearts) {
        struct wd_heart *h = wd->hearts;
        wd->hearts = h->next;
        xfree(h);
    }
    pthread_mutex_destroy(&wd->mu);
    xfree(wd);
}

bool watchdog_is_notifying(const struct watchdog *wd)
{
    return wd && wd->is_notifying;
}

int64_t watchdog_interval_ms(const struct watchdog *wd)
{
    return wd ? wd->interval_ms : 0;
}

struct wd_heart *watchdog_heart(struct watchdog *wd, const char *name)
{
    struct wd_heart *h;

    if (!wd)
        return NULL;
    h = xcalloc(1, sizeof(*h));
    if (!h)
        return NULL;
    snprintf(h->name, sizeof(h->name), "%s", name);
    atomic_store(&h->last_ms, mono_ms());
    pthread_mutex_lock(&wd->mu);
    h->next = wd->hearts;
    wd->hearts = h;
    pthread_mutex_unlock(&wd->mu);
    return h;
}

void watchdog_heart_free(struct watchdog *wd, struct wd_heart *h)
{
    if (!wd || !h)
        return;
    pthread_mutex_lock(&wd->mu);
    for (struct wd_heart **p = &wd->hearts; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            break;
        }
    }
    pthread_mutex_unlock(&wd->mu);
    xfree(h);
}

void wd_beat_at(struct wd_heart *h, int64_t now_ms)
{
    if (h)
        atomic_store_explicit(&h->last_ms, now_ms, memory_order_relaxed);
}

void wd_beat(struct wd_heart *h)
{
    if (h)
        wd_beat_at(h, mono_ms());
}

bool watchdog_all_fresh(struct watchdog *wd, int64_t now_ms, int64_t limit_ms, char *stale,
                        size_t sz, int64_t *silent_ms)
{
    int64_t worst = -1;

    if (!wd)
        return true;
    pthread_mutex_lock(&wd->mu);
    for (struct wd_heart *h = wd->hearts; h; h = h->next) {
        int64_t silent = now_ms - atomic_load_explicit(&h->last_ms, memory_order_relaxed);
        if (silent > limit_ms && silent > worst) {
            worst = silent;
            if (stale && sz)
                snprintf(stale, sz, "%s", h->name);
        }
    }
    pthread_mutex_unlock(&wd->mu);
    if (silent_ms)
        *silent_ms = worst < 0 ? 0 : worst;
    return worst < 0;
}

static bool is_stopping(void *ud)
{
    return atomic_load(&((struct watchdog *)ud)->stop) != 0;
}

static void *run(void *arg)
{
    struct watchdog *wd = arg;
    const int64_t period = wd->interval_ms / 4 > 0 ? wd->interval_ms / 4 : 1;
    bool was_fresh = true;

    while (!atomic_load(&wd->stop)) {
        char stale[48] = "";
        int64_t silent = 0;
        bool is_fresh =
            watchdog_all_fresh(wd, mono_ms(), wd->interval_ms / 2, stale, sizeof(stale), &silent);

        if (is_fresh) {
            sd_notify(0, "WATCHDOG=1");
            if (!was_fresh)
                log_info("watchdog: every thread makes progress again; pinging systemd");
        } else if (was_fresh) {
            log_err("watchdog: thread '%s' has made no progress for %lld ms; no more pings, "
                    "systemd restarts the collector after %lld ms",
                    stale, (long long)silent, (long long)wd->interval_ms);
            sd_notifyf(0, "STATUS=stalled: thread '%s' makes no progress", stale);
        }
        was_fresh = is_fresh;
        clock_nap(period, 20, is_stopping, wd);
    }
    return NULL;
}

int watchdog_start(struct watchdog *wd)
{
    char names[256] = "";
    size_t len = 0;

    if (!wd || wd->interval_ms <= 0 || wd->has_thread)
        return 0;
    pthread_mutex_lock(&wd->mu);
    for (struct wd_heart *h = wd->hearts; h && len < sizeof(names); h = h->next) {
        int n = snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", h->name);
        len += n > 0 ? (size_t)n : 0;
    }
    pthread_mutex_unlock(&wd->mu);
    if (pthread_create(&wd->thread, NULL, run, wd)) {
        log_err("watchdog: cannot start the thread that pings systemd");
        return COL_ERR_NOMEM;
    }
    wd->has_thread = true;
    log_info("watchdog: pinging systemd every %lld ms while these threads make progress: %s",
             (long long)(wd->interval_ms / 4), names);
    return 0;
}

void watchdog_ready(struct watchdog *wd, const char *status)
{
    if (!watchdog_is_notifying(wd))
        return;
    if (status)
        sd_notifyf(0, "READY=1\nSTATUS=%s", status);
    else
        sd_notify(0, "READY=1");
}

void watchdog_reloading(struct watchdog *wd)
{
    if (watchdog_is_notifying(wd))
        sd_notify(0, "RELOADING=1\nSTATUS=reloading");
}

void watchdog_stopping(struct watchdog *wd)
{
    if (watchdog_is_notifying(wd))
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void watchdog_status(struct watchdog *wd, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    if (!watchdog_is_notifying(wd))
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sd_notifyf(0, "STATUS=%s", line);
}
