/*
 * The scheduler thread (not "sched.h": that name belongs to the C library):
 * periodic work that must not run on the MQTT thread
 * (which acknowledges messages only between commits): the rollup pass, and
 * later retention and the nightly upload. It has its own SQLite connection.
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

struct config;
struct sched;

/* Start the thread. Borrows @cfg until sched_stop(). NULL on failure (logged). */
struct sched *sched_start(const struct config *cfg);
/* Stop and free; finishes the step in progress. Accepts NULL. */
void sched_stop(struct sched *s);

/*
 * Run every pending rollup now on the calling thread's own connection
 * (`collector rollup`). Returns the number of device-hours processed or a
 * negative COL_ERR_*.
 */
long sched_rollup_all(const struct config *cfg);

#endif
