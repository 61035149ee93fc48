/*
 * Ingest: one MQTT message in, one committed transaction out.
 *
 * topic → profile (topic pattern) → device (registry, database, or
 * auto-registration by policy) → decoder → per field: mapping, unit
 * conversion, range and time checks → readings. Everything a message
 * causes — readings, counters, rejects — commits in one transaction before
 * ingest_message() returns, which is what lets the MQTT layer acknowledge
 * only what is stored. A device's last_seen is written with the message at
 * most once a second (see ingest_flush).
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;
struct profile_set;
struct registry;
struct ingest;

/*
 * New ingest over @st. Borrows @cfg and @st; takes ownership of *profiles
 * and *reg (sets them to NULL). Registry sites and devices are written to
 * the database. NULL on failure (logged).
 */
struct ingest *ingest_new(const struct config *cfg, struct store *st, struct profile_set **profiles,
                          struct registry **reg);
void ingest_free(struct ingest *ig);

/*
 * Swap in new profiles and registry (SIGHUP). Takes ownership as
 * ingest_new does; the old ones are freed. 0 or a COL_ERR_*.
 */
int ingest_reload(struct ingest *ig, struct profile_set **profiles, struct registry **reg);

/*
 * Process one message received at @now_ms (UTC). Returns 0 when the
 * message is committed — stored, counted as a duplicate, or kept in the
 * rejects table — and a negative COL_ERR_* when the database failed and
 * nothing was committed (the message must not be acknowledged).
 * Not thread-safe: one ingest per thread.
 */
int ingest_message(struct ingest *ig, const char *topic, const void *payload, size_t len,
                   int64_t now_ms);

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
 * checksum) in the rejects table under @reason, in its own transaction.
 * @source stands where the topic would be. 0 or a COL_ERR_*.
 */
int ingest_reject(struct ingest *ig, const char *source, const char *reason, const char *detail,
                  const void *payload, size_t len, int64_t now_ms);

/*
 * Count @n occurrences of the note @name (a static string: an HJ 212
 * command that carries no data, a split message reassembled; see
 * docs/devices.md). Written with the next commit of this ingest.
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
 * Write pending per-device bookkeeping (last_seen, message counts) in one
 * transaction. ingest_message() writes a device's row at most once per
 * second, so that a busy device does not rewrite the same page with every
 * message; call this periodically and before exit. 0 or a COL_ERR_*.
 */
int ingest_flush(struct ingest *ig);

#endif
