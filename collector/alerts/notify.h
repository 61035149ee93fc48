/*
 * Alert delivery: the channels of `alerts.channels` (MQTT, webhook,
 * Prometheus Alertmanager, SMTP) and the threads that drain the durable
 * outbox into them. alerts.c decides what to say and enqueues one outbox row
 * per event and routed channel in the transaction that caused it; this
 * module only delivers, so a dead endpoint never slows ingest or rule
 * evaluation. Each channel has its own thread, SQLite connection and
 * backoff, so it delays nobody but itself. See docs/alerts.md.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct diag;
struct notify;
struct notify_channels;
struct store;
struct watchdog;
struct ynode;

/*
 * Parse and validate the `alerts.channels` node (a list of mappings; NULL
 * means no channels and yields an empty set). Relative secret_file and
 * password_file paths are taken from @config_dir; the files are read here
 * and their contents are never logged. Every problem goes to @d as
 * file:line; returns NULL when there was any (or no memory).
 */
struct notify_channels *notify_channels_load(const struct ynode *channels, const char *config_dir,
                                             struct diag *d);
/*
 * A set is shared by the delivery threads and every thread that routes
 * alerts into it, and replaced on SIGHUP while they run: each holder
 * counts. notify_channels_hold() adds a holder (thread-safe; returns
 * @chans, NULL for NULL); notify_channels_release() and
 * notify_channels_free() (the same, for a non-const owner) drop one; the
 * last drop wipes the secrets and frees the set. Both accept NULL.
 */
struct notify_channels *notify_channels_hold(const struct notify_channels *chans);
void notify_channels_release(const struct notify_channels *chans);
void notify_channels_free(struct notify_channels *chans);

/*
 * True when @a and @b configure the same channels in the same order (every
 * key, and the secrets read from their files): a reload that changes
 * nothing keeps the delivery threads and their connections.
 */
bool notify_channels_equal(const struct notify_channels *a, const struct notify_channels *b);

/*
 * Tell the delivery threads that new outbox rows were committed, so they
 * send now instead of at their next poll. Call after the commit. Thread-safe.
 */
void notify_channels_kick(const struct notify_channels *chans);

size_t notify_channels_count(const struct notify_channels *chans);
/* The `name` of channel @i (< count): the value of outbox.channel. */
const char *notify_channel_name(const struct notify_channels *chans, size_t i);

/*
 * Routing: true when channel @i accepts an event of @severity ("info",
 * "warning", "major", "critical"), @domain (may be NULL) and @event
 * ("firing", "reminder", "resolved"). A channel without `severities`,
 * `domains` or `events` accepts every value of that filter. Pure; safe
 * from any thread.
 */
bool notify_channel_wants(const struct notify_channels *chans, size_t i, const char *severity,
                          const char *domain, const char *event);

/*
 * Start one delivery thread per channel, each with its own store
 * connection and a heart "notify:<name>" of @wd (the systemd watchdog;
 * may be NULL). Borrows @cfg and @wd until notify_stop(); takes ownership
 * of *@chans and sets it to NULL (also on failure). With no channels no
 * thread is started. NULL on failure (logged).
 */
struct notify *notify_start(const struct config *cfg, struct notify_channels **chans,
                            struct watchdog *wd);
/*
 * Stop the threads (an HTTP request or MQTT publish in progress is
 * abandoned and retried at the next start), close their connections and
 * free everything. Returns within about a second. Accepts NULL.
 */
void notify_stop(struct notify *n);

/*
 * The channels the threads deliver (for routing while they run): owned by
 * @n, immutable, valid until notify_stop(), safe to read from any thread.
 * Never NULL for a started notify.
 */
const struct notify_channels *notify_channels_of(const struct notify *n);

/* Delivery counters of one channel, as `collector stats` shows them. */
struct notify_stat {
    char channel[64];
    int64_t delivered;       /* outbox entries delivered */
    int64_t failed_attempts; /* attempts that failed (each retry counts) */
    int64_t expired;         /* entries given up after `expire` (or rejected) */
    int64_t pending;         /* entries waiting now */
};

/*
 * Read the counters of every channel that has counters or pending entries,
 * ordered by channel, into @out (at most @max); *@n is the number written.
 * Returns 0 or a negative COL_ERR_*.
 */
int notify_stats_read(struct store *st, struct notify_stat *out, size_t max, size_t *n);

#endif
