/*
 * Alerts: rules evaluated where their series is computed, and the persisted
 * alert lifecycle (pending → firing → resolved, one active alert per rule
 * and scope). Every state change is written in the caller's open
 * transaction — the one that stored the reading or the rollup that caused
 * it — together with one outbox entry per channel that wants the event, so
 * after a crash an alert is either pending delivery or never happened, and
 * a restart does not notify again.
 *
 * One struct alerts per thread (each thread has its own connection): ingest
 * evaluates instant rules on readings, the rollup pass evaluates derived
 * series, the scheduler evaluates silence and sends reminders.
 */
#ifndef ALERTS_H
#define ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "rule.h"

struct config;
struct store;
struct snapshot;
struct notify_channels;
struct alerts;

/*
 * Borrows @cfg and @st (this thread's connection); holds @snap (the rules,
 * and the profiles for device intervals) until alerts_free() or
 * alerts_use_snapshot(), and @channels (routing; may be NULL) until
 * alerts_free() or alerts_set_channels(). NULL when out of memory.
 */
struct alerts *alerts_new(const struct config *cfg, struct store *st, const struct snapshot *snap,
                          const struct notify_channels *channels);
void alerts_free(struct alerts *a);

/*
 * Evaluate the rules of @snap (held; the old snapshot is released) from
 * now on (SIGHUP). Active alerts keep their state. Call on @a's thread,
 * between transactions.
 */
void alerts_use_snapshot(struct alerts *a, const struct snapshot *snap);

/*
 * Route from now on into @channels (held; the old set is released), after
 * the channels were reloaded. Call on @a's thread, between transactions:
 * the rows of a transaction all go to one set.
 */
void alerts_set_channels(struct alerts *a, const struct notify_channels *channels);

/* True when some rule watches @series (lets callers skip computing it). */
bool alerts_has_series(const struct alerts *a, enum rule_series series);

/* True when some rule could use readings of @metric (cheap pre-filter for ingest). */
bool alerts_wants_metric(const struct alerts *a, const char *metric);

/*
 * A new reading (inside ingest's transaction): instant, jump and stuck
 * rules. @ts_ms is the reading's time, @now_ms the receive time.
 */
int alerts_on_reading(struct alerts *a, const char *domain, const char *site, const char *device,
                      const char *metric, const char *unit, double value, int64_t ts_ms,
                      int64_t now_ms);

/*
 * A derived value (inside the rollup transaction): @series of @site (and
 * @device when per device), the @metric it is of, the time @t_ms it
 * describes. State machine time is data time, so a replayed year produces
 * alerts that start and end when the data say.
 */
int alerts_on_value(struct alerts *a, enum rule_series series, const char *domain, const char *site,
                    const char *device, const char *metric, const char *unit, double value,
                    int64_t t_ms);

/*
 * The caller's transaction ended (@is_committed false: rolled back). What
 * the evaluations inside it changed in memory — the set of active alerts,
 * the last values of jump and stuck rules — takes effect only now, with
 * the commit that persisted it, or is dropped with the rollback, so memory
 * never disagrees with the alerts table. Every transaction that evaluated
 * rules ends with this call. After a commit that enqueued events, the
 * delivery threads are woken at once.
 */
void alerts_committed(struct alerts *a, bool is_committed);

/*
 * What the gateway-health rules (upload failing for days, disk low) need
 * to know from the upload room, read through @st in the tick's transaction.
 * The daemon wires it in so that the alerts room does not depend on the
 * upload room. read() returns 0 or a COL_ERR_* (then nothing is evaluated).
 */
struct alerts_gateway_facts {
    int (*read)(void *ud, struct store *st, int *failing_days, bool *is_disk_low);
    void *ud;
};

/* Use @f (copied; its ud borrowed) for the gateway-health rules; NULL = none. */
void alerts_set_gateway_facts(struct alerts *a, const struct alerts_gateway_facts *f);

/*
 * Time-driven rules (device silence) and reminders for firing alerts, at
 * wall time @now_ms. Opens and commits its own transaction.
 */
int alerts_tick(struct alerts *a, int64_t now_ms);

#endif
