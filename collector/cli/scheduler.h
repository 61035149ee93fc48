/*
 * The scheduler thread (not "sched.h": that name belongs to the C library):
 * periodic work that must not run on the MQTT thread
 * (which acknowledges messages only between commits): the rollup pass with
 * its scheduled rules, retention, and the start of the nightly upload's
 * thread. It has its own SQLite connection.
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <stdint.h>

struct config;
struct sched;

struct notify_channels;
struct snapshot;
struct watchdog;

/*
 * Start the thread. Holds @snap (rules and profiles) until sched_stop() or
 * a later snapshot; borrows @cfg, @channels (alert routing; may be NULL)
 * and @wd (the systemd watchdog, whose "scheduler" heart the thread beats;
 * may be NULL) until sched_stop(). NULL on failure (logged).
 */
struct sched *sched_start(const struct config *cfg, const struct snapshot *snap,
                          const struct notify_channels *channels, struct watchdog *wd);

/*
 * Route the thread's alerts into @channels (held until the thread takes
 * them over between two steps) after the channels were reloaded.
 * Thread-safe.
 */
void sched_set_channels(struct sched *s, const struct notify_channels *channels);

/*
 * Hand the thread a new snapshot (SIGHUP): held until the thread swaps it
 * in between two steps. Thread-safe.
 */
void sched_use_snapshot(struct sched *s, const struct snapshot *snap);
/* Stop and free; finishes the step in progress. Accepts NULL. */
void sched_stop(struct sched *s);

/*
 * Run every pending rollup now on the calling thread's own connection
 * (`collector rollup`). Returns the number of device-hours processed or a
 * negative COL_ERR_*. @progress (may be NULL) hears, at most twice a
 * second, the device-hours done so far and those still waiting.
 */
long sched_rollup_all(const struct config *cfg,
                      void (*progress)(void *ud, long done, int64_t pending), void *ud);

#endif
