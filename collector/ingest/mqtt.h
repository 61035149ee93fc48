/*
 * The MQTT side of the daemon: one libmosquitto client with a persistent
 * session, driven by our own poll() loop on the calling thread, with group
 * commit: every message readable in one pass joins one open batch, the
 * batch is committed, and only then are its acknowledgements written.
 *
 * Why our own loop: libmosquitto has no manual acknowledgement. It queues
 * the PUBACK of a QoS 1 message before it calls on_message. With
 * mosquitto_threaded_set(true) a queued packet is written only by
 * mosquitto_loop_write() (or mosquitto_loop(), which we never call), so
 * calling mosquitto_loop_read() for a pass, COMMIT, and then
 * mosquitto_loop_write() lets a batch's PUBACKs leave after its commit and
 * never before. If the commit fails, the socket is shut down instead, so
 * the queued PUBACKs can never leave, and the reconnect discards them
 * (libmosquitto empties its output queue before it connects again); the
 * broker redelivers the batch. docs/operations.md cites the library code
 * this relies on (libmosquitto 2.0.11).
 */
#ifndef MQTT_H
#define MQTT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_mqtt;
struct mqtt_in;
struct wd_heart;

/* Conditions that weaken the delivery guarantee, for the sink to count. */
enum mqtt_note {
    MQTT_NOTE_QOS_DOWNGRADE, /* a subscription granted below the QoS asked for, or refused */
    MQTT_NOTE_SESSION_LOST,  /* a reconnect found no session: queued messages may be gone */
};

/*
 * Where messages go (the daemon wires ingest in). add() puts a message in
 * the open batch (opening one) and returns 0, or a negative COL_ERR_* when
 * the batch can no longer be committed; commit() returns 0 when the batch
 * is durable and may be acknowledged, a negative COL_ERR_* when nothing of
 * it is stored; rollback() abandons it. note() counts a condition;
 * on_reload() and on_tick() (about once a second) run between batches.
 * Any but add and commit may be NULL.
 */
struct mqtt_sink {
    int (*add)(void *ud, const char *topic, const void *payload, size_t len);
    int (*commit)(void *ud);
    void (*rollback)(void *ud);
    void (*note)(void *ud, enum mqtt_note what);
    void (*on_reload)(void *ud);
    void (*on_tick)(void *ud);
    void *ud;
};

/* How large a batch grows and how large a packet the broker may send us. */
struct mqtt_limits {
    long batch_max;       /* messages per batch */
    int64_t batch_ms;     /* a batch is committed at most this long after its first message */
    uint32_t max_payload; /* ingest.max_payload: sets the MQTT 5 Maximum Packet Size */
};

/* Borrows @cfg; copies @lim and @sink. NULL on failure (logged). */
struct mqtt_in *mqtt_in_new(const struct cfg_mqtt *cfg, const struct mqtt_limits *lim,
                            const struct mqtt_sink *sink);
void mqtt_in_free(struct mqtt_in *m);

/*
 * Tell the client that the broker should already hold a session for it
 * (the database has received messages before), so that not finding one at
 * the first connect is reported as a lost session. After the first
 * connect of the process this is known anyway.
 */
void mqtt_in_expect_session(struct mqtt_in *m, bool expect);

/* True while a subscription is granted below the QoS asked for (health: degraded). */
bool mqtt_in_is_degraded(const struct mqtt_in *m);

/* The MQTT 5 Maximum Packet Size the client announces for @max_payload. */
uint32_t mqtt_max_packet_size(uint32_t max_payload);

/*
 * Connect and consume until *@stop becomes non-zero; reconnects with
 * exponential backoff and jitter. When *@reload is set, clears it and calls
 * the sink's on_reload() between batches. On stop, the batch in hand is
 * committed, its acknowledgements are flushed and the client disconnects.
 * Returns 0 on a clean stop or a negative COL_ERR_* for a fatal setup
 * error. Blocks.
 */
int mqtt_in_run(struct mqtt_in *m, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/*
 * Beat @heart (borrowed; NULL: none) on every turn of mqtt_in_run() and
 * while it waits to reconnect, so the systemd watchdog sees the ingest
 * loop make progress (core/watchdog.h). A commit that never returns stops
 * the beats. Call before mqtt_in_run().
 */
void mqtt_in_set_heart(struct mqtt_in *m, struct wd_heart *heart);

/* True while the broker session is up (CONNACK accepted). Thread-safe. */
bool mqtt_in_is_connected(const struct mqtt_in *m);

#endif
