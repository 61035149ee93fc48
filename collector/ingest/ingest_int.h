/*
 * Internals shared by the files of the ingest module (see ingest.h):
 *   ingest.c         the message -> transaction path: the batch, a
 *                    message's readings and rejects, notes, ingest_flush()
 *   ingest_device.c  which devices a message's values belong to (the device
 *                    cache, the registry, the database, auto-registration)
 *                    and each device's last_seen bookkeeping
 *   ingest_clock.c   the gateway clock check: devices' reading times against
 *                    the gateway's clock, one window at a time
 * The structs are here because all three work on the same device entries
 * inside the same open batch; nothing outside this module includes it.
 */
#ifndef INGEST_INT_H
#define INGEST_INT_H

#include "ingest.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dec_field;
struct dec_msg;
struct pending_row;
struct profile;
struct strmap;

#define MAX_PENDING_NOTES 16 /* distinct note names waiting for a commit */

struct dev_entry {
    int64_t id;
    const struct profile *profile;
    char name[128];
    char site[128];
    int64_t last_seen_ms; /* newest receive time, maybe not yet written */
    int64_t flushed_ms;   /* when the row was last written */
    int64_t n_pending;    /* messages not yet added to the row's count */
    unsigned warned;      /* DEC_NOTE_* bits already logged for this device */
    /* What the open batch did to this entry, finished or undone at its end. */
    uint64_t batch;                 /* the batch that touched it last */
    struct dev_entry *next_touched; /* the open batch's list */
    bool is_new;                    /* created by the open batch */
    int64_t n_batch;                /* messages of the open batch counted in n_pending */
    int64_t last_seen_before_ms;    /* last_seen_ms when the batch touched it first */
    int64_t flush_n;                /* n_pending the batch wrote to the row; 0: not written */
    int64_t flush_ms;
    int64_t dirty_hour; /* last hour the batch marked for the rollups */
    /* The clock watch: reading time minus receive time in the current window. */
    uint64_t clock_window; /* the window these are of; another one: none yet */
    int64_t skew_min, skew_max;
};

/* A note counted by ingest_note(), waiting for a commit. */
struct pending_note {
    const char *name; /* static */
    int64_t n;
    int64_t n_batch; /* of @n, added while the open batch was undecided */
};

struct ingest {
    const struct config *cfg;
    struct store *st;
    const struct snapshot *snap;        /* held */
    const struct profile_set *profiles; /* the snapshot's */
    const struct registry *reg;         /* the snapshot's */
    struct strmap *devices;             /* name → struct dev_entry* (owned; NULL = forgotten) */
    struct strmap *metrics;             /* name → (void*)(intptr_t)id */
    struct dec_field *fields;
    struct dev_entry **field_dev; /* per field: its device, NULL when rejected */
    struct pending_row *rows;     /* a message's readings, written together */
    size_t max_fields;
    struct ingest_rules rules; /* instant rules; all NULL = none */
    /* The open batch */
    bool in_batch;
    int failed_rc;  /* a database error ended the open batch: it can only fail */
    uint64_t batch; /* sequence number of the open (or last) batch */
    size_t n_batch; /* messages in it */
    struct store_delta delta;
    struct dev_entry *touched;
    struct store_delta conds;                     /* ingest_condition(), until a commit */
    struct pending_note notes[MAX_PENDING_NOTES]; /* ingest_note(), until a commit */
    size_t n_notes;
    /* The clock watch (ingest_watch_clock): NULL source = off. */
    const char *clock_source;
    uint64_t clock_window;      /* sequence number of the open window */
    int64_t clock_started_mono; /* when it opened */
    int clock_verdict;          /* of the last window that could tell; -1 none yet */
};

/* What a message has produced so far; added to its batch as one unit. */
struct msg_ctx {
    struct ingest *ig;
    const char *topic;
    const void *payload;
    size_t len;
    int64_t now_ms;
    int64_t received_ms; /* when it arrived: now_ms, but for a retried reject */
    int64_t reject_id;   /* id of its first reject kept (0: none yet) */
    int64_t retry_id;    /* a retried reject: the id its first reject keeps */
    int n_rejects;
    int64_t n_unstorable;
    struct store_delta delta;
};

/*
 * Keep a reject of message @m under @reason, its detail formatted from
 * @fmt (ingest.c). 0 or a negative COL_ERR_* from the database.
 */
int ingest_msg_reject(struct msg_ctx *m, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Resolve the device of every value of @msg (its @n fields in ig->fields)
 * into ig->field_dev, NULL for values of a device that is rejected
 * (recorded once per device), and put each device on the open batch's
 * list; *@first is the first device found. @n == 0 resolves the message's
 * device alone (from @topic_device or @msg) into *@first. @prof and @site
 * are what the topic matched. Returns <0 only for database errors
 * (ingest_device.c).
 */
int ingest_device_resolve(struct msg_ctx *m, const struct profile *prof, const char *site,
                          const char *topic_device, const struct dec_msg *msg, int n,
                          struct dev_entry **first);

/*
 * Count message @m once for each distinct device of its values (@first
 * alone when @n == 0): last_seen, the message count, and the decoder's
 * leniencies @notes logged once per device. Returns 0 or a negative
 * COL_ERR_* from the database (ingest_device.c).
 */
int ingest_device_seen(struct msg_ctx *m, struct dev_entry *first, int n, unsigned notes);

/*
 * The clock check (ingest_clock.c). add(): one more reading of @dev, time
 * @ts_ms (0 = none), received at @now_ms, for the open window. close():
 * when the window is due, write what its devices said to *@c and to the
 * open transaction and set *@is_closed; 0 or a COL_ERR_*. next(): the
 * closed window committed; log a changed verdict and open the next one.
 */
void ingest_clock_add(struct ingest *ig, struct dev_entry *dev, int64_t ts_ms, int64_t now_ms);
int ingest_clock_close(struct ingest *ig, struct store_clock *c, bool *is_closed);
void ingest_clock_next(struct ingest *ig, const struct store_clock *c);

#endif
