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
struct store;
struct hj212_tcp;
struct watchdog;

/*
 * Where the listener's thread gets its instant rules: an evaluator of its
 * own over its own connection @st (the alerts room implements it; the
 * daemon passes it in). open() fills @out and returns 0 or a COL_ERR_*;
 * reload() re-reads the rules and takes up reloaded alert channels
 * (SIGHUP), on the listener's thread, and returns 0 or a COL_ERR_* (the
 * old rules stay); close() frees what open() made.
 */
struct hj212_rules_source {
    int (*open)(void *ud, struct store *st, struct ingest_rules *out);
    int (*reload)(void *ud, struct ingest_rules *r);
    void (*close)(struct ingest_rules *r);
    void *ud;
};

/*
 * Start listening on @addr ("host:port"; "0.0.0.0:9212") on a new thread,
 * which beats the heart "hj212" of @wd (the systemd watchdog; may be NULL)
 * every pass. Borrows @cfg, @rules (may be NULL: no rules) and @wd until
 * hj212_tcp_stop(). NULL on failure (logged).
 */
struct hj212_tcp *hj212_tcp_start(const struct config *cfg, const char *addr,
                                  const struct hj212_rules_source *rules, struct watchdog *wd);

/* Ask the listener to reload profiles and registry (SIGHUP). Thread-safe. */
void hj212_tcp_reload(struct hj212_tcp *t);

/*
 * Stop the thread, close every connection (unsent answers are dropped:
 * their data is committed), free everything. Returns within one poll pass
 * and the commit in progress, whatever the clients do. Accepts NULL.
 */
void hj212_tcp_stop(struct hj212_tcp *t);

#endif
