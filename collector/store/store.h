/*
 * The SQLite store: schema and migrations, and the statements ingest runs
 * for every message. One struct store is one connection; threads each open
 * their own. The caller brackets a batch of messages with
 * store_begin/store_commit so that readings, the devices' last_seen,
 * counters and rejects of the batch commit together or not at all.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_storage;
struct store;

#define STORE_SCHEMA_VERSION 10

/*
 * Open (creating if needed) the database at cfg->path: WAL mode, the
 * configured synchronous level, busy timeout, schema migrated forward,
 * `PRAGMA quick_check` run. With @is_readonly_check false the integrity
 * check is skipped (tools that only read). Returns NULL with a reason in
 * @err; a corrupt file is reported and never replaced.
 */
struct store *store_open(const struct cfg_storage *cfg, bool run_check, char *err, size_t errlen);

/*
 * Open an existing database for reading only, as the read-only commands
 * (stats, query, report, the alerts listing) do: the file is never
 * created, migrated or written, so a typo in storage.path or a command
 * run before the daemon cannot leave an empty database behind. A missing
 * file, one without the collector's schema or with another schema version
 * is refused with a reason in @err. Every write through it fails.
 */
struct store *store_open_readonly(const struct cfg_storage *cfg, char *err, size_t errlen);
void store_close(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * How long store_begin() waited for the write lock, summed over the
 * connections that asked to be tracked (the ingest connections), for the
 * whole process: what the rollups and other writers cost ingest.
 */
struct store_lock_waits {
    int64_t n, total_us, max_us, n_over_50ms;
};
void store_track_lock_waits(struct store *st);
void store_lock_waits(struct store_lock_waits *out);
/* Tracked connections waiting for the write lock right now. */
int store_lock_waiters(void);
/* Commits (on any connection) that marked a completed hour dirty: rollup work. */
uint64_t store_marked_commits(void);

/* Schema version found in the file (PRAGMA user_version). */
int store_schema_version(struct store *st);

/*
 * Id of device @name, creating it with @site, @profile and @source
 * ("registry" or "auto") if absent; an existing registry device gets its
 * site and profile updated. Returns 0 or COL_ERR_DB.
 */
int store_device_upsert(struct store *st, const char *name, const char *site, const char *profile,
                        const char *source, int64_t *id);
/* Look up a device; 0 with *id set, COL_ERR_NOTFOUND, or COL_ERR_DB. */
int store_device_find(struct store *st, const char *name, int64_t *id, char *site, size_t site_sz,
                      char *profile, size_t profile_sz);
/* Record that @n_messages from @id arrived, the last at @last_ms. */
int store_device_seen(struct store *st, int64_t id, int64_t last_ms, int64_t n_messages);

/* Insert a site (or update it) from the registry. */
int store_site_upsert(struct store *st, const char *id, const char *name, const char *street,
                      const char *kind, const char *noise_zone, const char *water_body);

/* Id of metric @name, created with @unit if absent. */
int store_metric_id(struct store *st, const char *name, const char *unit, int64_t *id);

/* Insert one reading. Returns 1 when stored, 0 when it already existed, or COL_ERR_DB. */
int store_reading_insert(struct store *st, int64_t ts_ms, int64_t device, int64_t metric,
                         double value, int flags);

/* One reading of a device, for store_readings_insert(). */
struct store_reading {
    int64_t ts_ms;
    int64_t metric;
    double value;
    int flags;
};

#define STORE_INSERT_MAX 8

/*
 * Insert @n (1..STORE_INSERT_MAX) readings of @device in one statement,
 * leaving any whose key (time, device, metric) already exists as it is.
 * One statement for a message's readings costs about half of one per
 * reading. Returns how many were inserted (n: all of them were new), or a
 * negative COL_ERR_*.
 */
int store_readings_insert(struct store *st, int64_t device, const struct store_reading *r, int n);

/*
 * The reading (@ts_ms, @device, @metric) exists (store_reading_insert
 * returned 0): when its value or flags differ from @value and @flags, the
 * new ones replace them and the old ones are kept in the corrections table
 * with the receive time @now_ms and @topic (may be NULL). Returns 1 for a
 * correction, 0 when the stored reading is the same (a duplicate), or a
 * negative COL_ERR_*. The caller marks the hour for the rollups.
 */
int store_reading_correct(struct store *st, int64_t ts_ms, int64_t device, int64_t metric,
                          double value, int flags, int64_t now_ms, const char *topic);

/*
 * Mark the hour starting at @hour_ms (UTC) of @device for the rollup pass to
 * recompute. Cheap when already marked (no page is written).
 */
int store_mark_dirty(struct store *st, int64_t hour_ms, int64_t device);

/*
 * Add @n to the note counter @name (an HJ 212 dialect accepted, a value
 * counted instead of stored; docs/devices.md lists them), in the current
 * transaction. 0 or a COL_ERR_*.
 */
int store_note(struct store *st, const char *name, int64_t n);

/* Run SQL without results; 0 or COL_ERR_DB (logged). */
int store_exec(struct store *st, const char *sql);

/*
 * For work that can be done again from what is durable (the rollups:
 * derived rows and the dirty marks that call for them, written in the
 * same transaction): @relaxed true lets this connection's commits
 * skip the fsync that storage.synchronous: full asks for; false restores
 * it. WAL keeps such a commit atomic; a power cut can only undo it whole,
 * and the work is done again. The next fsync of the WAL by any connection
 * (every ingest commit, a checkpoint) makes it durable too. 0 or COL_ERR_DB.
 */
int store_relax_sync(struct store *st, bool relaxed);

/*
 * Counter deltas of a message or a batch, added by store_count(). @now_ms
 * is the receive time of the last message (0: leaves last_received as it
 * is), @first_ms that of the first (0: @now_ms).
 */
struct store_delta {
    int64_t received;
    int64_t stored_messages;
    int64_t stored_readings;
    int64_t duplicates;
    int64_t duplicate_readings;
    int64_t unknown_fields;
    int64_t corrections;        /* readings whose value a later message changed */
    int64_t corrected_messages; /* messages that only corrected readings */
    int64_t qos_downgrades;     /* subscriptions granted below the QoS asked for */
    int64_t sessions_lost;      /* reconnects that found no session at the broker */
    int64_t now_ms;
    int64_t first_ms;
};
int store_count(struct store *st, const struct store_delta *d);

/*
 * Keep a rejected message or value: receive time, topic, reason code,
 * human detail and the whole payload (@len bytes; ingest caps it at
 * ingest.max_payload). Bumps the per-reason counter; keeps the table
 * within its bounds (store_prune_rejects).
 */
int store_reject(struct store *st, int64_t now_ms, const char *topic, const char *reason,
                 const char *detail, const void *payload, size_t len);

/* One reject to keep, for store_reject_add(). Borrowed strings and bytes. */
struct store_reject {
    int64_t received_ms;
    const char *topic;   /* NULL: none */
    const char *reason;  /* a stable code (docs/operations.md) */
    const char *detail;  /* NULL: none */
    const void *payload; /* NULL: none */
    size_t len;          /* bytes of @payload kept */
    size_t size;         /* bytes as received (more than @len when cut at max_payload) */
    int64_t id;          /* 0: a new id; else this one (a retried message keeps its place) */
    int64_t msg_id;      /* 0: a message's first reject, which keeps the payload; else
                          * that reject's id (the payload is not kept twice) */
    bool is_raw;         /* never reached a decoder (bad checksum): never retried */
    bool is_uncounted;   /* leave the per-reason counters alone (a retry) */
};

/* Keep @r; *@id (may be NULL) gets its id. 0 or a COL_ERR_*. */
int store_reject_add(struct store *st, const struct store_reject *r, int64_t *id);

/*
 * Enforce the rejects bounds now, oldest first in the order they were kept:
 * storage.retention.rejects_max_rows messages, rejects_max_bytes of
 * payload, and the age rule (store_rejects_age_now). 0 or a COL_ERR_*.
 */
int store_prune_rejects(struct store *st, int64_t now_ms);
/* The bytes bound alone (cheap when within it). */
int store_prune_reject_bytes(struct store *st);
/* Payload bytes the rejects table holds. */
int64_t store_reject_bytes(struct store *st);

/*
 * The "now" rejects age against: @now_ms, but never later than the wall
 * clock at open plus the monotonic time since, so a wall-clock jump
 * forward ages nothing. Rows received before 2025 are never pruned by age
 * (their clock was not set); the row and byte bounds still hold them.
 */
int64_t store_rejects_age_now(const struct store *st, int64_t now_ms);

/* One row of the rejects table, as store_rejects_each() gives it. Valid during the callback. */
struct store_reject_row {
    int64_t id, received_ms;
    const char *topic, *reason, *detail; /* NULL when none */
    const void *payload;                 /* the message's payload (its first reject's) */
    size_t len;                          /* bytes of @payload */
    int64_t size;                        /* bytes as received; -1 unknown (kept before 0.9) */
    int64_t msg_id;                      /* 0, or the id of the message's first reject */
    bool is_raw;                         /* never reached a decoder */
    bool is_retryable;                   /* a first reject with the whole payload, not raw */
};

struct store_reject_filter {
    const char *reason; /* NULL = any; a message matches when any of its rejects has it */
    int64_t since_ms;   /* received at or after */
    int64_t after_id;   /* ids above this (paging) */
    long limit;         /* 0 = no limit */
    bool only_messages; /* first rejects only: one row per message */
};

/* Call @fn for each matching row in id order; stops early when @fn returns non-zero. */
int store_rejects_each(struct store *st, const struct store_reject_filter *f,
                       int (*fn)(void *ud, const struct store_reject_row *row), void *ud);

/* Remove a message's rejects (@id, its first, and those pointing at it). 0 or a COL_ERR_*. */
int store_reject_forget(struct store *st, int64_t id);

/*
 * The gateway clock against its devices', as comparison windows found it
 * (ingest_watch_clock): how many devices sent timestamped readings, how
 * many were far ahead or behind, the median skew (reading time minus
 * receive time, ms), and the verdict: 1 suspect, 0 agreeing, -1 the
 * window could not tell. A window that cannot tell leaves the verdict and
 * the counts of the window that decided it, and moves only checked_ms
 * (the last window closed). since_ms: when the verdict began.
 */
struct store_clock {
    char source[16];
    int64_t checked_ms, since_ms, skew_ms;
    int64_t n_devices, n_ahead, n_behind;
    int verdict;
};
/* Record a window of @c->source (in the open transaction). 0 or a COL_ERR_*. */
int store_clock_write(struct store *st, const struct store_clock *c);
/* The suspect source if any, else the one with most devices; verdict -1 when none. */
int store_clock_read(struct store *st, struct store_clock *out);

struct store_reason_count {
    char reason[40];
    int64_t n;
};

struct store_stats {
    int64_t received, stored_messages, stored_readings, duplicates, duplicate_readings;
    int64_t unknown_fields, rejected_total;
    int64_t corrections, corrected_messages, qos_downgrades, sessions_lost;
    int64_t first_received_ms, last_received_ms;
    int64_t n_devices, n_rejects_kept, reject_bytes;
    int64_t rollup_pending; /* device-hours waiting for the rollup pass */
    int64_t db_bytes;
    size_t n_reasons;
    struct store_reason_count reasons[32];
    size_t n_notes; /* ingest_notes: leniencies and values counted, not stored */
    struct store_reason_count notes[32];
    struct store_clock clock; /* the gateway clock against its devices' (store_clock_read) */
};
int store_stats_read(struct store *st, struct store_stats *out);

/* One row of a readings query. */
struct store_row {
    int64_t ts_ms;
    const char *device;
    const char *site;
    const char *metric;
    const char *unit;
    double value;
    int flags;
};

struct store_query {
    const char *device; /* NULL = any */
    const char *site;   /* NULL = any */
    const char *metric; /* NULL = any */
    int64_t from_ms;    /* inclusive */
    int64_t to_ms;      /* exclusive */
    long limit;         /* 0 = no limit */
};

/* Call @fn for each matching reading in time order; stops early if @fn returns non-zero. */
int store_query_readings(struct store *st, const struct store_query *q,
                         int (*fn)(void *ud, const struct store_row *row), void *ud);

/* Why a day's raw readings are gone (days.raw_pruned). */
enum store_pruned {
    STORE_PRUNED_RETENTION = 1, /* storage.retention.raw ran out */
    STORE_PRUNED_DISK = 2,      /* the disk guard dropped them early, for room */
};

/*
 * Delete the raw readings of @day, [@t0_ms, @t1_ms), and note the day as
 * pruned for @why. The only deletion of raw readings: in committed slices
 * of a few thousand rows, so ingest waits for the write lock only while one
 * slice runs; called outside a transaction. 0 or a COL_ERR_*; after an
 * error the day is not noted and a later call goes on where this one stopped.
 */
int store_drop_raw(struct store *st, const char *day, int64_t t0_ms, int64_t t1_ms,
                   enum store_pruned why);

/*
 * The statistics of @day ("YYYY-MM-DD", local) changed: if the district
 * data pool already has the day (upload ledger state done, or uploading,
 * whose export may have been read before the change), mark it to be sent
 * again as a new revision. The one write of the upload's ledger from
 * outside the upload room, kept here so that the rollups need not know
 * the ledger. In the caller's transaction. 0 or a COL_ERR_*.
 */
int store_day_changed(struct store *st, const char *day);

#endif
