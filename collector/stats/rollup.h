/*
 * Rollups: turn stored readings into the numbers the standards define —
 * hourly and daily statistics per device and per site, site hourly
 * (real-time) and daily AQI, the water class of every sample and day, noise
 * day and night levels, waste figures per sorting category.
 *
 * Ingest marks each device-hour that received a reading as dirty, in the
 * reading's transaction. A rollup pass recomputes dirty hours from the raw
 * readings, and everything that depends on them (the days they belong to,
 * AQI moving averages of the following 23 hours), in one transaction per
 * batch. Recomputing from raw data is what makes late, out-of-order and
 * duplicate data give the same result as data that arrived on time.
 */
#ifndef ROLLUP_H
#define ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

#include "rule.h"

struct config;
struct store;
struct rollup;

/* Borrows @cfg and @st (a connection of the calling thread). NULL on failure. */
struct rollup *rollup_new(const struct config *cfg, struct store *st);
void rollup_free(struct rollup *r);

/*
 * Rules on the derived series each pass computes (hourly, daily, AQI,
 * year-to-date), evaluated inside the pass's transaction. The alerts room
 * implements them and the daemon wires them in, so that the statistics do
 * not depend on the alerts room. on_value returns 0 or a negative COL_ERR_*
 * (the pass rolls back); committed() reports the pass's outcome.
 */
struct rollup_rules {
    bool (*has_series)(void *ud, enum rule_series series);
    int (*on_value)(void *ud, enum rule_series series, const char *domain, const char *site,
                    const char *device, const char *metric, const char *unit, double value,
                    int64_t t_ms);
    void (*committed)(void *ud, bool is_committed);
    void *ud;
};

/* Evaluate @rules (copied; its ud is borrowed) on what each pass computes; NULL = none. */
void rollup_set_rules(struct rollup *r, const struct rollup_rules *rules);

/*
 * Process up to @max_hours dirty device-hours starting before @before_ms
 * (UTC) in one transaction. The daemon passes the start of the current
 * hour: an hour is computed once it is complete (HJ 633 publishes an hour
 * after it ends) instead of again every few seconds while readings still
 * arrive; late data for past hours is processed at once. Returns the
 * number processed (0 when nothing was due) or a negative COL_ERR_*.
 */
int rollup_step(struct rollup *r, int max_hours, int64_t before_ms);

/*
 * A pass stops taking new hours once it has run @ms milliseconds (default
 * 15: the pass holds the write lock); 0 takes all @max_hours, for callers
 * that need a pass to be exactly that (tests).
 */
void rollup_set_budget(struct rollup *r, int64_t ms);

/*
 * An hour is due once no reading has arrived for it for @ms milliseconds
 * (default 0: at once). The daemon waits a few seconds, so that an hour
 * still filling up — the broker's backlog after an outage delivers a past
 * hour's readings one after another — is computed once, not again after
 * every batch; late data seconds or days later is still computed. An
 * hour whose device has data for the next hour is due at once: the device
 * has moved on.
 */
void rollup_set_settle(struct rollup *r, int64_t ms);

/* Device-hours waiting (all of dirty_hours), or a negative COL_ERR_*. */
int64_t rollup_pending(struct rollup *r);

/*
 * Tiered retention: remove the raw readings of the oldest day older than
 * storage.retention.raw — only once that day is uploaded when
 * @require_upload — and hourly statistics older than retention.hourly;
 * daily statistics are kept forever. Returns the number of days whose raw
 * data were removed (0 or 1 per call) or a negative COL_ERR_*.
 */
int rollup_retention(struct rollup *r, int64_t now_ms, bool require_upload);

#endif
