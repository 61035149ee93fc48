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

struct config;
struct store;
struct rollup;

/* Borrows @cfg and @st (a connection of the calling thread). NULL on failure. */
struct rollup *rollup_new(const struct config *cfg, struct store *st);
void rollup_free(struct rollup *r);

/* Evaluate rules on what each pass computes, with @a (borrowed; NULL = none). */
struct alerts;
void rollup_set_alerts(struct rollup *r, struct alerts *a);

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
 * Tiered retention: remove the raw readings of the oldest day older than
 * storage.retention.raw — only once that day is uploaded when
 * @require_upload — and hourly statistics older than retention.hourly;
 * daily statistics are kept forever. Returns the number of days whose raw
 * data were removed (0 or 1 per call) or a negative COL_ERR_*.
 */
int rollup_retention(struct rollup *r, int64_t now_ms, bool require_upload);

/* Local calendar day of @utc_ms as "YYYY-MM-DD" (TZ must be set). */
void rollup_day_of(int64_t utc_ms, char out[11]);
/* UTC ms of local midnight starting @day ("YYYY-MM-DD"); 0 or COL_ERR_INVAL. */
int rollup_day_start(const char *day, int64_t *out_ms);

#endif
