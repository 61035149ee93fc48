/*
 * The daemon's conversation with systemd (sd_notify(3)): READY=1 once it
 * serves, STATUS= lines with its live state, RELOADING=1 and STOPPING=1,
 * and watchdog pings that mean progress rather than mere existence.
 *
 * Every long-running thread (the ingest loop, the scheduler, each alert
 * delivery thread, the HJ 212 listener) owns a heart and beats it from its
 * loop and from its waits. One thread of this module pings WATCHDOG=1 only
 * while every heart has beaten within half the watchdog interval: a thread
 * stuck in a lock or a call that never returns stops the pings, and
 * systemd restarts the daemon (WatchdogSec= in the unit). Without
 * NOTIFY_SOCKET (not started by systemd, or Type=simple) every call here
 * is a cheap no-op; without WATCHDOG_USEC no thread is started.
 */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watchdog;
struct wd_heart;

/*
 * Read NOTIFY_SOCKET and WATCHDOG_USEC (honouring WATCHDOG_PID) from the
 * environment. NULL only without memory.
 */
struct watchdog *watchdog_new(void);
/* Stop the pinging thread and free every heart. Accepts NULL. */
void watchdog_free(struct watchdog *wd);

/* True when systemd listens (NOTIFY_SOCKET is set). */
bool watchdog_is_notifying(const struct watchdog *wd);
/* The interval systemd expects pings within (WATCHDOG_USEC), ms; 0: no watchdog. */
int64_t watchdog_interval_ms(const struct watchdog *wd);

/*
 * A heart named @name (e.g. "ingest", "notify:ops-webhook") that counts as
 * fresh from now on. Returns NULL when @wd is NULL (no watchdog: the
 * heart's owner beats NULL, which does nothing) or without memory. The
 * owner removes it with watchdog_heart_free() once its thread has ended.
 * Thread-safe.
 */
struct wd_heart *watchdog_heart(struct watchdog *wd, const char *name);
void watchdog_heart_free(struct watchdog *wd, struct wd_heart *h);

/* The owner's thread made progress now. Lock-free; accepts NULL. */
void wd_beat(struct wd_heart *h);
/* As wd_beat() at monotonic time @now_ms (tests drive time). */
void wd_beat_at(struct wd_heart *h, int64_t now_ms);

/*
 * True when every heart beat within @limit_ms before @now_ms (monotonic).
 * Otherwise false, with the name of the heart that has been silent the
 * longest in @stale (@sz bytes) and its silence in *@silent_ms. Pure
 * apart from reading the hearts; thread-safe.
 */
bool watchdog_all_fresh(struct watchdog *wd, int64_t now_ms, int64_t limit_ms, char *stale,
                        size_t sz, int64_t *silent_ms);

/*
 * Start the thread that pings WATCHDOG=1 every quarter interval while
 * watchdog_all_fresh(now, interval / 2) holds, and logs once when a heart
 * goes stale and once when all are fresh again. Does nothing without
 * WATCHDOG_USEC. 0 or a negative COL_ERR_* (logged).
 */
int watchdog_start(struct watchdog *wd);

/*
 * Tell systemd the daemon is ready (READY=1, with @status as STATUS= when
 * not NULL), is reloading (RELOADING=1), is stopping (STOPPING=1), or only
 * its status (printf-style). Never block; no-ops without NOTIFY_SOCKET.
 */
void watchdog_ready(struct watchdog *wd, const char *status);
void watchdog_reloading(struct watchdog *wd);
void watchdog_stopping(struct watchdog *wd);
void watchdog_status(struct watchdog *wd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
