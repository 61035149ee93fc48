/*
 * The MQTT side of the daemon: one libmosquitto client with a persistent
 * session, driven by our own loop on the calling thread.
 *
 * Why our own loop: libmosquitto queues the PUBACK of a QoS 1 message before
 * it calls on_message and, in a loop it does not run itself, writes it
 * straight away. With mosquitto_threaded_set(true) the PUBACK waits in the
 * queue until the next loop write, i.e. after our callback returned — and
 * our callback returns only after the message is committed. If the commit
 * fails, the socket is shut down inside the callback, so the PUBACK is never
 * sent and the broker redelivers the message after we reconnect.
 */
#ifndef MQTT_H
#define MQTT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_mqtt;
struct mqtt_in;

/*
 * Called for every message; returns 0 when the message is durably handled
 * (and may be acknowledged), or a negative COL_ERR_* when it must not be.
 */
typedef int (*mqtt_msg_fn)(void *ud, const char *topic, const void *payload, size_t len);

/* Borrows @cfg for the client's lifetime. NULL on failure (logged). */
struct mqtt_in *mqtt_in_new(const struct cfg_mqtt *cfg, mqtt_msg_fn fn, void *ud);
void mqtt_in_free(struct mqtt_in *m);

/*
 * Connect and consume until *@stop becomes non-zero; reconnects with
 * exponential backoff and jitter. When *@reload is set, clears it and calls
 * @on_reload(@ud) between messages; @on_tick(@ud), if not NULL, runs about
 * once a second between messages. On stop, finishes the message in hand,
 * flushes its acknowledgement and disconnects. Returns 0 on a clean stop or
 * a negative COL_ERR_* for a fatal setup error. Blocks.
 */
int mqtt_in_run(struct mqtt_in *m, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                void (*on_reload)(void *ud), void (*on_tick)(void *ud), void *ud);

/* True while the broker session is up (CONNACK accepted). Thread-safe. */
bool mqtt_in_is_connected(const struct mqtt_in *m);

#endif
