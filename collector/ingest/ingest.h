/*
 * Ingest: MQTT messages in, committed transactions out (group commit).
 *
 * topic → profile (topic pattern) → device (registry, database, or
 * auto-registration by policy) → decoder → per field: mapping, unit
 * conversion, range and time checks → readings. Messages are added to an
 * open batch, one transaction: everything they cause — readings,
 * corrections, counters, rejects, rule state — commits together when
 * ingest_commit() returns 0, which is what lets the MQTT layer acknowledge
 * the batch only once it is stored. A device's last_seen is written at most
 * once a second (see ingest_flush).
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;
struct snapshot;
struct ingest;

/*
 * New ingest over @st, reading profiles and registry from @snap (held
 * until ingest_free() or the next ingest_reload()). Borrows @cfg and @st.
 * Registry sites and devices are written to the database. NULL on
 * failure (logged).
 */
struct ingest *ingest_new(const struct config *cfg, struct store *st, const struct snapshot *snap);
void ingest_free(struct ingest *ig);

/*
 * Read profiles and registry from @snap (held; the old snapshot is
 * released) from the next message on (SIGHUP), and write the registry's
 * sites and devices. Call between batches. 0 or a COL_ERR_*.
 */
int ingest_reload(struct ingest *ig, const struct snapshot *snap);

/*
 * Open a batch (BEGIN IMMEDIATE; waits up to storage.busy_timeout for the
 * write lock). ingest_add() opens one itself when none is open. 0 or a
 * COL_ERR_*; with a batch already open, 0 (or the error that failed it).
 */
int ingest_begin(struct ingest *ig);

/*
 * Add one message received at @now_ms (UTC) to the open batch (opening one
 * if needed). Returns 0 when the message is in the batch — to be stored,
 * counted as a duplicate or a correction, or kept in the rejects table —
 * and a negative COL_ERR_* when the database failed: then the whole batch
 * is rolled back at once (memory included) and every later call until
 * ingest_commit() or ingest_rollback() returns the same error, so that
 * nothing of the batch can be mistaken for stored.
 */
int ingest_add(struct ingest *ig, const char *topic, const void *payload, size_t len,
               int64_t now_ms);

/*
 * COMMIT the open batch. 0 means every message added since ingest_begin()
 * is durable (as durable as storage.synchronous makes a commit) and may be
 * acknowledged; a negative COL_ERR_* means none of them is stored and the
 * in-memory state is as before the batch. 0 when no batch is open. Blocks
 * for the commit (with synchronous full, its fsync).
 */
int ingest_commit(struct ingest *ig);

/* Roll the open batch back (e.g. shutting down with it undecided). Accepts no batch. */
void ingest_rollback(struct ingest *ig);

/* Messages in the open batch (0: none open, or it failed). */
size_t ingest_batch_size(const struct ingest *ig);

/*
 * One message as its own batch: ingest_add() then ingest_commit(). Returns
 * 0 when it is committed, a negative COL_ERR_* when nothing was (the
 * message must not be acknowledged). With a batch open, the message joins
 * it and the batch commits. Not thread-safe: one ingest per thread.
 */
int ingest_message(struct ingest *ig, const char *topic, const void *payload, size_t len,
                   int64_t now_ms);

/* A message kept in the rejects table, to ingest again. Borrowed. */
struct ingest_retry_msg {
    int64_t id;          /* its first reject's id */
    int64_t received_ms; /* when it arrived */
    const char *topic;
    const void *payload; /* the whole payload */
    size_t len;
};

/*
 * Ingest a rejected message again (`collector rejects retry`, e.g. after
 * the gateway clock was fixed) in the open batch, opening one if needed,
 * exactly as ingest_add() would at @now_ms. Its rejects are removed first;
 * those it earns now are kept under its id and receive time with their
 * new reasons. It was counted as received and rejected when it arrived:
 * those counters stay, what it stores is counted as stored, and the notes
 * retried_stored / retried_rejected count the retries. *@is_accepted is
 * true when it left no reject. Returns as ingest_add().
 */
int ingest_retry(struct ingest *ig, const struct ingest_retry_msg *msg, int64_t now_ms,
                 bool *is_accepted);

/*
 * Compare the gateway clock with its devices' from now on, recorded in the
 * database under @source (a static string, e.g. "mqtt"): every
 * timestamped message adds its time minus its receive time to its
 * device's account of the window; ingest_flush() closes the window every
 * ingest.clock_window (monotonic) and writes what it found
 * (store_clock_write). A device is ahead when even its least-ahead reading
 * is further ahead than ingest.max_future (5 min when that is 0), behind
 * when even its newest is older than ingest.clock_behind. Retried rejects
 * do not count. The alerts room raises gateway_clock_suspect from it.
 */
void ingest_watch_clock(struct ingest *ig, const char *source);

/*
 * A window's verdict: 1 suspect when more than half of its @n_devices (at
 * least 2) are ahead, or more than half behind; 0 when they agree; -1 with
 * fewer than 2 devices (one device's clock cannot tell which is wrong).
 */
int ingest_clock_verdict(int64_t n_devices, int64_t n_ahead, int64_t n_behind);

/* Conditions worth counting that happen outside any message. */
enum ingest_condition {
    INGEST_COND_QOS_DOWNGRADE, /* the broker granted a subscription below the QoS asked for */
    INGEST_COND_SESSION_LOST,  /* a reconnect found no session: queued messages may be gone */
};

/*
 * Count @what in the stats table with the next commit (a batch or
 * ingest_flush()); kept until one commits.
 */
void ingest_condition(struct ingest *ig, enum ingest_condition what);

/*
 * Instant rules on stored readings, evaluated inside the message's
 * transaction (the alerts room implements them; the daemon wires them in,
 * so ingest does not depend on the alerts room). on_reading returns 0 or a
 * negative COL_ERR_* that rolls the message back; committed() tells the
 * evaluator whether the transaction it wrote into was committed.
 */
struct ingest_rules {
    bool (*wants_metric)(void *ud, const char *metric);
    int (*on_reading)(void *ud, const char *domain, const char *site, const char *device,
                      const char *metric, const char *unit, double value, int64_t ts_ms,
                      int64_t now_ms);
    void (*committed)(void *ud, bool is_committed);
    void *ud;
};

/* Evaluate @rules (copied; its ud is borrowed) on every stored reading; NULL = none. */
void ingest_set_rules(struct ingest *ig, const struct ingest_rules *rules);

/*
 * Keep a message that never reached a decoder (e.g. a TCP packet with a bad
 * checksum) in the rejects table under @reason: in the open batch, or in a
 * transaction of its own when none is open. @source stands where the topic
 * would be. 0 or a COL_ERR_* (with a batch open, as ingest_add()).
 */
int ingest_reject(struct ingest *ig, const char *source, const char *reason, const char *detail,
                  const void *payload, size_t len, int64_t now_ms);

/*
 * Count @n occurrences of the note @name (a static string: an HJ 212
 * command that carries no data, a split message reassembled; see
 * docs/devices.md). Written with the next commit of this ingest; a note
 * counted while a batch is open goes with that batch if it rolls back (its
 * packets will be sent again and noted again).
 */
void ingest_note(struct ingest *ig, const char *name, int64_t n);

/*
 * The topic an HJ 212 packet of device @mn with system code @st (its two
 * characters) is ingested under: "hj212/<st>/<mn>"; or, when no profile
 * matches that and the registry knows @mn, the HJ 212 topic of its
 * registered profile, so that a datalogger sending an ST outside the
 * standard's table still reaches its profile.
 */
void ingest_hj212_topic(const struct ingest *ig, const char *st, const char *mn, char *out,
                        size_t outsz);

/*
 * The checksum mode (enum dec_crc, profile key hj212_crc) of the profile
 * that topic @topic matches: what an HJ 212 packet ingested under @topic
 * must carry. DEC_CRC_HJ212 when no profile matches.
 */
int ingest_hj212_crc(const struct ingest *ig, const char *topic);

/*
 * Write pending per-device bookkeeping (last_seen, message counts) and
 * pending notes in one transaction. A batch writes a device's row at most
 * once per second, so that a busy device does not rewrite the same page
 * with every message; call this periodically and before exit, between
 * batches (never with one open). 0 or a COL_ERR_*.
 */
int ingest_flush(struct ingest *ig);

#endif
