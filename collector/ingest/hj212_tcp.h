/*
 * HJ 212-2017 over TCP, the way monitoring dataloggers speak it: a listener
 * on its own thread, with its own SQLite connection and ingest pipeline.
 * Each CRLF-terminated packet is ingested as if it had been published on
 * MQTT topic "hj212/<ST>/<MN>" (so device profiles select it by system
 * code and the registry by MN), and when the packet's Flag asks for it the
 * 9014 data response is sent — only after the packet is committed.
 * Commands that carry no data are counted and answered or ignored, never
 * rejected; split messages are reassembled before they are stored
 * (docs/devices.md). The thread never waits on a client: sockets are
 * non-blocking, answers queue per connection, and limits (allow list,
 * first-packet deadline, idle and write timeouts, connections per address
 * and in all) bound what a hostile client can hold.
 */
#ifndef HJ212_TCP_H
#define HJ212_TCP_H

#include "ingest.h"

struct config;
struct diag;
struct snapshot;
struct store;
struct hj212_tcp;
struct watchdog;

/*
 * Where the listener's thread gets its instant rules: an evaluator of its
 * own over its own connection @st with the rules of @snap (the alerts room
 * implements it; the daemon passes it in). open() fills @out and returns 0
 * or a COL_ERR_*; update(), on the listener's thread between two passes,
 * takes up reloaded alert channels and, when @snap is not NULL, the rules
 * of a reloaded snapshot (SIGHUP); close() frees what open() made.
 */
struct hj212_rules_source {
    int (*open)(void *ud, struct store *st, const struct snapshot *snap, struct ingest_rules *out);
    void (*update)(void *ud, struct ingest_rules *r, const struct snapshot *snap);
    void (*close)(struct ingest_rules *r);
    void *ud;
};

/*
 * Start listening on @addr ("host:port"; "0.0.0.0:9212") on a new thread,
 * which beats the heart "hj212" of @wd (the systemd watchdog; may be NULL)
 * every pass. Holds @snap (profiles, registry, rules; the device passwords
 * are read for its registry) until hj212_tcp_stop() or a later snapshot;
 * borrows @cfg, @rules (may be NULL: no rules) and @wd until
 * hj212_tcp_stop(). NULL on failure (logged).
 */
struct hj212_tcp *hj212_tcp_start(const struct config *cfg, const char *addr,
                                  const struct snapshot *snap,
                                  const struct hj212_rules_source *rules, struct watchdog *wd);

/*
 * Hand the listener a reloaded snapshot (SIGHUP): reads the device
 * passwords for its registry on the calling thread and, when they are
 * valid, queues both for the listener, which swaps them in between two
 * passes. COL_ERR_CONFIG (errors to @d) leaves the listener as it is.
 * Accepts NULL @t (0).
 */
int hj212_tcp_use_snapshot(struct hj212_tcp *t, const struct snapshot *snap, struct diag *d);

/*
 * Stop the thread, close every connection (unsent answers are dropped:
 * their data is committed), free everything. Returns within one poll pass
 * and the commit in progress, whatever the clients do. Accepts NULL.
 */
void hj212_tcp_stop(struct hj212_tcp *t);

#endif
