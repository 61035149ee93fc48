/*
 * The nightly upload to the district data pool. Each local calendar day is
 * exported as gzip NDJSON files plus a manifest (docs/upload.md) and PUT to
 * {url}/{gateway}/{yyyy}/{mm}/{dd}/{file}, the manifest last: a day is
 * complete on the pool exactly when its manifest is there and the files'
 * checksums match it. Deterministic names make a retry overwrite rather
 * than duplicate. The ledger (table upload_ledger) records every day's
 * state, attempts, last error, sizes and checksums; a day becomes 'done'
 * only after every PUT, manifest included, returned 2xx.
 *
 * The daemon runs the upload on a thread of its own (upload_start), with
 * its own SQLite connection; `collector upload` calls upload_run directly.
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config;
struct store;
struct upload_worker;

struct upload_opts {
    int64_t now_ms;         /* the current (or a simulated) wall-clock time */
    const char *day;        /* only this day, sent again if already done; NULL: all due */
    bool is_manual;         /* by hand: retry now, ignoring backoff and config_error holds */
    bool is_first_run;      /* the daemon's first run: retry a config_error day once */
    bool is_dry_run;        /* print what would be sent; change nothing */
    const char *output_dir; /* write the files under this directory instead of sending */
    FILE *report;           /* one line per day (may be NULL) */
};

struct upload_summary {
    int n_done;          /* days delivered (or written to output_dir) */
    int n_failed;        /* days that failed and will be retried */
    int n_config;        /* days that failed with a configuration error */
    int n_waiting;       /* due days left for a later run */
    int64_t bytes;       /* bytes sent */
    int64_t retry_at_ms; /* earliest retry of a failed day, 0 if none */
};

/*
 * Send every due day in day order (see docs/upload.md for which days are
 * due); a run stops at the first failure so that days arrive in order.
 * Blocks for the transfers. Takes the spool directory's lock: returns
 * COL_ERR_BUSY when another process is uploading. Returns 0 when every due
 * day was delivered, 1 when some failed (the ledger says why), or a
 * negative COL_ERR_* when the run could not start.
 */
int upload_run(const struct config *cfg, struct store *st, const struct upload_opts *o,
               struct upload_summary *sum);

/* Start the nightly upload thread; borrows @cfg until upload_stop(). NULL on failure (logged). */
struct upload_worker *upload_start(const struct config *cfg);
/* Abort a transfer in progress (the day is retried later), join and free. Accepts NULL. */
void upload_stop(struct upload_worker *w);

/*
 * Days before today that are not delivered while the upload is failing
 * (some day is 'failed' or 'config_error'); 0 when uploads succeed. The
 * alert for upload.fail_alert_days compares with this. 0 or COL_ERR_DB.
 */
int upload_failing_days(struct store *st, int *n);

/* The ledger at a glance, for `collector stats`. */
struct upload_stats {
    bool is_enabled;
    int64_t done_days, pending_days, failed_days, config_error_days, failing_days;
    int64_t revisions; /* days sent more than once (late data) */
    int64_t bytes_sent, last_success_ms;
    int64_t emergency_pruned_days; /* raw data dropped early because the disk was full */
    int64_t disk_room;             /* bytes left for the database, -1 if unknown */
    bool is_disk_low;
    char last_error[160];
};
int upload_stats_read(const struct config *cfg, struct store *st, struct upload_stats *out);

#endif
