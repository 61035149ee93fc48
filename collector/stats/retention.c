/*
 * Tiered retention (rollup.h): raw readings and then hourly statistics of
 * whole days, oldest first, once the rollups of those days are final;
 * daily statistics are kept forever.
 */
#include "rollup_int.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when no hour in [t0, t1) waits for the rollups (its figures are final). */
static int is_settled(struct rollup *r, int64_t t0, int64_t t1)
{
    struct db_stmt *s = ru_query(
        r, "SELECT 1 FROM dirty_hours WHERE hour >= ?1 AND hour < ?2 LIMIT 1", "ii", t0, t1);
    int rc;

    if (!s)
        return COL_ERR_DB;
    rc = db_step(s);
    db_reset(s);
    return rc < 0 ? rc : rc == DB_DONE;
}

/*
 * The first of the candidate days @s gives (oldest first, at most 8) whose
 * hours in [day start, day end + @margin_ms) are all rolled up, into @day
 * ("" for none). Hours still pending elsewhere (the open hour of a live
 * gateway) do not hold a day back.
 */
static int prunable_day(struct rollup *r, struct db_stmt *s, int64_t margin_ms, char day[11])
{
    char cand[8][11];
    int n = 0, rc;

    day[0] = '\0';
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW && n < 8)
        db_col_copy(s, 0, cand[n++], sizeof(cand[0]));
    db_reset(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        int64_t a, b;
        char d2[11];
        if (cal_day_start(cand[i], &a))
            continue;
        cal_day_bounds(a, &a, &b, d2);
        rc = is_settled(r, a, b + margin_ms);
        if (rc < 0)
            return rc;
        if (rc) {
            memcpy(day, cand[i], 11);
            return 0;
        }
    }
    return 0;
}

/* Commit the open transaction if @rc is 0, else roll it back; the outcome. */
static int end_tx(struct rollup *r, int rc)
{
    if (rc) {
        store_rollback(r->st);
        return rc;
    }
    return store_commit(r->st);
}

int rollup_retention(struct rollup *r, int64_t now_ms, bool require_upload)
{
    const struct cfg_retention *ret = &r->cfg->storage.retention;
    char cutoff[11], day[11] = "";
    int64_t a, b;
    int rc, n_pruned = 0;

    ru_pass_cache_clear(r);
    if (ret->raw_ms > 0) {
        cal_day_of(now_ms - ret->raw_ms, cutoff);
        /* The one read of the upload's ledger outside its room: with an
         * upload configured, only days the data pool has (and has whole) go. */
        rc = prunable_day(
            r,
            ru_query(r,
                     "SELECT day FROM days WHERE raw_pruned = 0 AND day < ?1 AND (?2 = 0 OR day IN "
                     "(SELECT day FROM upload_ledger WHERE state = 'done' AND "
                     "changed_after_upload = 0)) ORDER BY day LIMIT 8",
                     "si", cutoff, (int64_t)require_upload),
            0, day);
        if (rc)
            return rc;
    }
    if (*day && cal_day_start(day, &a) == 0) {
        char d2[11];
        cal_day_bounds(a, &a, &b, d2);
        /* In slices (store_drop_raw): a day of a large fleet is millions of
         * rows, and ingest waits for the write lock while a slice runs. */
        rc = store_drop_raw(r->st, day, a, b, STORE_PRUNED_RETENTION);
        if (rc)
            return rc;
        log_info("retention: raw readings of %s removed (statistics kept)", day);
        n_pruned++;
    }
    day[0] = '\0';
    if (ret->hourly_ms > 0) {
        /* Whole days, oldest first, once their rollups are complete (daily
         * figures are then final), and those of the next day's first hours
         * too (its AQI hours read this day's last 23 hours). */
        cal_day_of(now_ms - ret->hourly_ms, cutoff);
        rc = prunable_day(r,
                          ru_query(r,
                                   "SELECT day FROM days WHERE hourly_pruned = 0 AND day < ?1 "
                                   "ORDER BY day LIMIT 8",
                                   "s", cutoff),
                          24 * HOUR_MS, day);
        if (rc)
            return rc;
    }
    if (*day && cal_day_start(day, &a) == 0) {
        char d2[11];
        cal_day_bounds(a, &a, &b, d2);
        rc = store_begin(r->st);
        if (rc == 0)
            rc = ru_run(r,
                        "DELETE FROM hourly WHERE device_id IN (SELECT id FROM devices) AND "
                        "hour >= ?1 AND hour < ?2",
                        "ii", a, b);
        /* by key (device or site, then hour), not by a scan of the tables */
        if (rc == 0)
            rc = ru_run(r,
                        "DELETE FROM site_hourly WHERE site IN (SELECT site FROM devices) AND "
                        "hour >= ?1 AND hour < ?2",
                        "ii", a, b);
        if (rc == 0)
            rc = ru_run(r,
                        "DELETE FROM aqi_hourly WHERE site IN (SELECT site FROM devices) AND "
                        "hour >= ?1 AND hour < ?2",
                        "ii", a, b);
        if (rc == 0)
            rc = ru_run(r, "UPDATE days SET hourly_pruned = 1 WHERE day = ?1", "s", day);
        if ((rc = end_tx(r, rc)))
            return rc;
        n_pruned++;
    }
    return n_pruned;
}
