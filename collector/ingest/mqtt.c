/*
 * libmosquitto client with a persistent session and group commit (see
 * mqtt.h for why the loop is ours). One pass of the loop: poll() the
 * socket; while it stays readable, mosquitto_loop_read() — which reads one
 * packet per call in libmosquitto 2.0.11, whatever max_packets says —
 * delivers messages into the open batch, until it holds ingest.batch_max
 * messages or ingest.batch_ms have passed since its first (waiting for
 * more while the socket is quiet); then COMMIT; then mosquitto_loop_write() sends the
 * batch's PUBACKs; then mosquitto_loop_misc() keeps the connection alive.
 * MOSQ_ERR_* codes are translated here. Reconnects back off exponentially
 * with jitter (core/backoff.h) so that a district's gateways do not
 * reconnect in lockstep after a broker restart.
 */
#include "mqtt.h"
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "xalloc.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/watchdog.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Room in a packet besides its payload: fixed header, topic, packet id, properties. */
#define MQTT_PACKET_OVERHEAD 1024

struct mqtt_in {
    const struct cfg_mqtt *cfg;
    struct mqtt_limits lim;
    struct mqtt_sink sink;
    struct mosquitto *mosq;
    bool is_connected;       /* CONNACK accepted and not disconnected since */
    bool has_socket;         /* TCP connection exists (maybe awaiting CONNACK) */
    bool is_refused;         /* broker refused our CONNECT (auth, id) */
    bool expects_session;    /* the broker should hold our session */
    atomic_bool is_degraded; /* a subscription is granted below the QoS asked for (read by HTTP) */
    int n_failures;          /* consecutive connection failures, for backoff */
    int n_store_failures;    /* consecutive batches the store refused */
    int64_t last_msg_ms;     /* monotonic time of the last message or connect */
    struct backoff backoff;  /* reconnect delays */
    struct complaint down;   /* broker unreachable */
    struct complaint silent; /* connected, nothing arriving */
    struct complaint store;  /* storage refusing messages */
    long n_messages;
    /* The open batch */
    long n_batch;        /* messages added to it */
    int64_t batch_t0_ms; /* when its first message arrived */
    int batch_rc;        /* non-zero: a message could not be added; nothing may be acknowledged */
    long n_batches;
    atomic_bool is_up;      /* is_connected, for other threads (the HTTP endpoint) */
    struct wd_heart *heart; /* beaten every turn of the loop and while napping; may be NULL */
};

static void set_connected(struct mqtt_in *m, bool v)
{
    m->is_connected = v;
    atomic_store(&m->is_up, v);
}

void mqtt_in_set_heart(struct mqtt_in *m, struct wd_heart *heart)
{
    m->heart = heart;
}

bool mqtt_in_is_connected(const struct mqtt_in *m)
{
    return m && atomic_load(&m->is_up);
}

uint32_t mqtt_max_packet_size(uint32_t max_payload)
{
    return max_payload + MQTT_PACKET_OVERHEAD;
}

static void note(struct mqtt_in *m, enum mqtt_note what)
{
    if (m->sink.note)
        m->sink.note(m->sink.ud, what);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    struct mqtt_in *m = obj;
    const struct cfg_mqtt *c = m->cfg;
    bool session_present = (flags & 0x01) != 0;
    int src;

    (void)props;
    if (rc != 0) {
        m->is_refused = true;
        complain(&m->down, mono_ms(), "mqtt: broker %s:%lld refused the connection: %s", c->host,
                 c->port,
                 c->protocol == MQTT_V5 ? mosquitto_reason_string(rc)
                                        : mosquitto_connack_string(rc));
        return;
    }
    set_connected(m, true);
    m->is_refused = false;
    m->n_failures = 0;
    m->last_msg_ms = mono_ms();
    complain_release(&m->down, "mqtt: connected to %s:%lld again", c->host, c->port);
    log_info("mqtt: connected to %s:%lld as %s (session %s)", c->host, c->port, c->client_id,
             session_present ? "resumed" : "new");
    if (!c->clean_session && !session_present && m->expects_session) {
        /* The broker dropped our session (expired, broker restarted without
         * persistence, client id taken over): what it had queued is gone. */
        log_err("mqtt: the broker had no session for %s: messages queued while the collector "
                "was away may have been dropped; check the broker's persistence and "
                "mqtt.session_expiry",
                c->client_id);
        note(m, MQTT_NOTE_SESSION_LOST);
    }
    m->expects_session = !c->clean_session;
    if (session_present && !c->clean_session)
        return; /* the broker kept our subscriptions */
    src = mosquitto_subscribe_multiple(mosq, NULL, (int)c->topics.n, c->topics.v, (int)c->qos, 0,
                                       NULL);
    if (src != MOSQ_ERR_SUCCESS)
        log_err("mqtt: subscribe failed: %s", mosquitto_strerror(src));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    struct mqtt_in *m = obj;
    bool is_degraded = false;

    (void)mosq;
    (void)mid;
    (void)props;
    for (int i = 0; i < n && (size_t)i < m->cfg->topics.n; i++) {
        if (granted[i] >= 0x80) {
            log_err("mqtt: broker refused the subscription to %s", m->cfg->topics.v[i]);
        } else if (granted[i] < m->cfg->qos) {
            /* Delivered at QoS 0, a message is not acknowledged at all: the
             * broker forgets it once sent, and one lost in transit (or in a
             * batch that fails) is gone. */
            log_err("mqtt: subscribed to %s at QoS %d only, asked for %lld: the broker does "
                    "not wait for acknowledgements, so its messages can be lost (check the "
                    "broker's max_qos and ACLs)",
                    m->cfg->topics.v[i], granted[i], m->cfg->qos);
        } else {
            log_info("mqtt: subscribed to %s (QoS %d)", m->cfg->topics.v[i], granted[i]);
            continue;
        }
        is_degraded = true;
        note(m, MQTT_NOTE_QOS_DOWNGRADE);
    }
    atomic_store(&m->is_degraded, is_degraded);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *p)
{
    struct mqtt_in *m = obj;

    (void)mosq;
    (void)p;
    if (m->is_connected && rc != 0)
        log_warn("mqtt: connection lost (%s)", mosquitto_strerror(rc));
    set_connected(m, false);
    m->has_socket = false;
}

/*
 * Called by mosquitto_loop_read() for each message, after libmosquitto
 * queued its PUBACK (handle__publish: send__puback, then the callback).
 * The message only joins the open batch here; the PUBACK stays queued
 * until the batch commits (see read_pass).
 */
static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct mqtt_in *m = obj;
    int rc;

    (void)props;
    m->last_msg_ms = mono_ms();
    m->n_messages++;
    complain_release(&m->silent, "mqtt: messages are arriving again");
    if (m->batch_rc)
        return; /* the batch failed; the socket is shut down, nothing will be acknowledged */
    if (m->n_batch == 0)
        m->batch_t0_ms = m->last_msg_ms;
    rc = m->sink.add(m->sink.ud, msg->topic, msg->payload,
                     (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0));
    if (rc == 0) {
        m->n_batch++;
        return;
    }
    /* Cannot be stored: make sure no queued PUBACK of this batch ever
     * leaves. The broker keeps the messages and redelivers them on our
     * next connection. */
    m->batch_rc = rc;
    shutdown(mosquitto_socket(mosq), SHUT_RDWR);
}

static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
    (void)mosq;
    (void)obj;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        log_dbg("mqtt: libmosquitto: %s", str);
}

struct mqtt_in *mqtt_in_new(const struct cfg_mqtt *cfg, const struct mqtt_limits *lim,
                            const struct mqtt_sink *sink)
{
    struct mqtt_in *m = xcalloc(1, sizeof(*m));
    long receive_max;
    int rc;

    if (!m)
        return NULL;
    m->cfg = cfg;
    m->lim = *lim;
    m->sink = *sink;
    if (m->lim.batch_max < 1)
        m->lim.batch_max = 1;
    m->backoff = (struct backoff){cfg->reconnect_min_ms, cfg->reconnect_max_ms, 0};
    backoff_seed(&m->backoff);
    m->mosq = mosquitto_new(cfg->client_id, cfg->clean_session, m);
    if (!m->mosq) {
        log_err("mqtt: cannot create client: %s", strerror(errno));
        goto fail;
    }
    /* Queued packets are written only by mosquitto_loop_write(), never from
     * inside a callback or at queue time: what ack-after-commit rests on. */
    mosquitto_threaded_set(m->mosq, true);
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         cfg->protocol == MQTT_V5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    /* MQTT 5 Receive Maximum: how many unacknowledged messages the broker
     * may send us. The library's default of 20 would cap a batch at 20
     * messages and stall the broker during every commit's fsync. */
    receive_max = m->lim.batch_max * 4;
    mosquitto_int_option(m->mosq, MOSQ_OPT_RECEIVE_MAXIMUM,
                         (int)(receive_max > 65535 ? 65535 : receive_max));
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
    /* With a log callback set, libmosquitto 2.0.11 (log__printf) allocates
     * and formats a line for every packet, two per message, whatever the
     * level: 5% of the CPU per message. Its lines are only wanted when
     * debugging. */
    if (log_threshold >= LOG_LVL_DBG)
        mosquitto_log_callback_set(m->mosq, on_log);
    if (cfg->username || cfg->password) {
        rc = mosquitto_username_pw_set(m->mosq, cfg->username, cfg->password);
        if (rc) {
            log_err("mqtt: credentials: %s", mosquitto_strerror(rc));
            goto fail;
        }
    }
    if (cfg->tls.ca_file || cfg->tls.ca_path) {
        rc = mosquitto_tls_set(m->mosq, cfg->tls.ca_file, cfg->tls.ca_path, cfg->tls.cert_file,
                               cfg->tls.key_file, NULL);
        if (rc == MOSQ_ERR_SUCCESS)
            rc = mosquitto_tls_insecure_set(m->mosq, cfg->tls.is_insecure);
        if (rc) {
            log_err("mqtt: TLS setup: %s", mosquitto_strerror(rc));
            goto fail;
        }
    }
    return m;
fail:
    mqtt_in_free(m);
    return NULL;
}

void mqtt_in_free(struct mqtt_in *m)
{
    if (!m)
        return;
    if (m->mosq)
        mosquitto_destroy(m->mosq);
    xfree(m);
}

void mqtt_in_expect_session(struct mqtt_in *m, bool expect)
{
    if (m)
        m->expects_session = expect && !m->cfg->clean_session;
}

bool mqtt_in_is_degraded(const struct mqtt_in *m)
{
    return m && atomic_load(&m->is_degraded);
}

static int start_connect(struct mqtt_in *m)
{
    const struct cfg_mqtt *c = m->cfg;
    mosquitto_property *props = NULL;
    int keepalive = (int)(c->keepalive_ms / 1000);
    int rc;

    if (c->protocol == MQTT_V5) {
        if (!c->clean_session) {
            long long secs = c->session_expiry_ms / 1000;
            mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                         (uint32_t)(secs > 0xFFFFFFFFLL ? 0xFFFFFFFFLL : secs));
        }
        /* The broker must not send us a packet larger than we accept: it
         * drops such a message for us instead (and logs it), so a 20 MB
         * publish never has to be read into memory here (libmosquitto
         * 2.0.11 allocates an incoming packet whole and checks no size). */
        mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                     mqtt_max_packet_size(m->lim.max_payload));
    }
    rc = mosquitto_connect_bind_v5(m->mosq, c->host, (int)c->port, keepalive, NULL, props);
    mosquitto_property_free_all(&props);
    return rc;
}

struct nap_watch {
    struct mqtt_in *m;
    volatile sig_atomic_t *stop;
};

/* Waiting for a reconnect is progress too: the loop beats while it naps. */
static bool is_stopping(void *ud)
{
    struct nap_watch *nw = ud;

    wd_beat(nw->m->heart);
    return *nw->stop != 0;
}

/* Sleep up to @ms, waking at once on a stop request. */
static void nap(struct mqtt_in *m, int64_t ms, volatile sig_atomic_t *stop)
{
    struct nap_watch nw = {m, stop};

    clock_nap(ms, 50, is_stopping, &nw);
}

static int64_t backoff_ms(struct mqtt_in *m)
{
    /* A store that keeps refusing backs off like a broker that is down:
     * the connection itself succeeds each time, so count both. */
    int n = m->n_failures > m->n_store_failures ? m->n_failures : m->n_store_failures;

    return backoff_delay(&m->backoff, n);
}

static void check_silence(struct mqtt_in *m, int64_t now)
{
    const int64_t limit = m->cfg->silent_after_ms;

    if (!limit || !m->is_connected || now - m->last_msg_ms < limit)
        return;
    if (!m->silent.is_active)
        complain(&m->silent, now,
                 "mqtt: connected to %s:%lld but no message for %lld s; are the devices and "
                 "subscriptions (%s%s) right?",
                 m->cfg->host, m->cfg->port, (long long)((now - m->last_msg_ms) / 1000),
                 m->cfg->topics.v[0], m->cfg->topics.n > 1 ? ", ..." : "");
}

/* Sleep @ms milliseconds (a signal may end it early). */
static void nap_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

/* Does @fd become readable within @wait_ms (0: is it now)? */
static bool is_readable(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return fd >= 0 && poll(&p, 1, wait_ms) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* End the open batch: committed (0) or, after a failed message, abandoned. */
static int end_batch(struct mqtt_in *m)
{
    int rc = m->batch_rc;

    if (m->n_batch == 0 && rc == 0)
        return 0;
    if (rc) {
        if (m->sink.rollback)
            m->sink.rollback(m->sink.ud);
    } else {
        rc = m->sink.commit(m->sink.ud);
    }
    m->n_batch = 0;
    m->batch_rc = 0;
    if (rc == 0) {
        m->n_batches++;
        m->n_store_failures = 0;
        complain_release(&m->store, "store: writing again; messages are acknowledged");
        return 0;
    }
    m->n_store_failures++;
    complain(&m->store, mono_ms(),
             "store: cannot commit a message batch (%s); dropping the connection so the broker "
             "keeps the messages",
             col_strerror(rc));
    /* Not committed: the batch's queued PUBACKs must never leave. After
     * shutdown() nothing more can be sent on this socket, and the
     * reconnect discards libmosquitto's output queue. */
    shutdown(mosquitto_socket(m->mosq), SHUT_RDWR);
    return rc;
}

/*
 * Read every message that is readable into one batch (bounded by
 * batch_max and batch_ms), then commit it. Returns MOSQ_ERR_SUCCESS with
 * no batch open and every queued PUBACK belonging to committed messages,
 * or an error after which the connection is gone.
 */
static int read_pass(struct mqtt_in *m)
{
    int rc;

    for (;;) {
        int64_t left;

        /* One packet per call in 2.0.11: its loop bound is recomputed from
         * the library's queues (max_packets is overwritten), so we loop. */
        rc = mosquitto_loop_read(m->mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS || m->batch_rc || !m->has_socket)
            break;
        left = m->n_batch > 0 ? m->lim.batch_ms - (mono_ms() - m->batch_t0_ms) : 0;
        if (m->n_batch >= m->lim.batch_max || (m->n_batch > 0 && left <= 0))
            break;
        /* An open batch waits for more until batch_ms after its first
         * message: at a few thousand messages a second, one commit (and
         * fsync) then serves many messages instead of one or two. It
         * sleeps through the wait rather than waking for each message,
         * and then reads what arrived meanwhile. */
        if (!is_readable(mosquitto_socket(m->mosq), 0)) {
            if (m->n_batch == 0)
                break;
            nap_ms(left);
            if (!is_readable(mosquitto_socket(m->mosq), 0))
                break;
        }
    }
    /* Messages read before a lost connection are committed all the same:
     * unacknowledged, they come back as duplicates the key absorbs. */
    if (end_batch(m) != 0 && rc == MOSQ_ERR_SUCCESS)
        rc = MOSQ_ERR_CONN_LOST;
    return rc;
}

/*
 * One turn of the loop: wait up to @wait_ms for the socket, read a pass
 * and commit it, then write what is queued (the committed batch's
 * PUBACKs, our PINGREQ, SUBSCRIBE) and keep the connection alive.
 */
static int turn(struct mqtt_in *m, int wait_ms)
{
    struct pollfd p = {.fd = mosquitto_socket(m->mosq), .events = POLLIN};
    int n, rc;

    if (p.fd < 0)
        return MOSQ_ERR_NO_CONN;
    if (mosquitto_want_write(m->mosq))
        p.events |= POLLOUT;
    n = poll(&p, 1, wait_ms);
    if (n < 0)
        return errno == EINTR ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ERRNO;
    if (n > 0) {
        /* Also on POLLOUT alone: with TLS the handshake continues in
         * mosquitto_loop_read(), and reading first keeps the rule that no
         * write happens while a batch is open. */
        rc = read_pass(m);
        if (rc != MOSQ_ERR_SUCCESS)
            return rc;
    }
    if (mosquitto_socket(m->mosq) < 0)
        return MOSQ_ERR_NO_CONN;
    if (mosquitto_want_write(m->mosq)) {
        rc = mosquitto_loop_write(m->mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS)
            return rc;
    }
    return mosquitto_loop_misc(m->mosq);
}

static void drain_and_disconnect(struct mqtt_in *m)
{
    int64_t until = mono_ms() + 3000;

    if (!m->has_socket)
        return;
    /* No batch is open here (every pass ends with its commit), so what is
     * queued may leave; nothing more is read: unread messages stay with
     * the broker. */
    mosquitto_disconnect(m->mosq);
    while (m->has_socket && mosquitto_socket(m->mosq) >= 0 && mono_ms() < until) {
        struct pollfd p = {.fd = mosquitto_socket(m->mosq), .events = POLLOUT};
        if (poll(&p, 1, 100) < 0 && errno != EINTR)
            break;
        if (mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS)
            break;
    }
    log_info("mqtt: disconnected after %ld messages in %ld batches", m->n_messages, m->n_batches);
}

int mqtt_in_run(struct mqtt_in *m, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    int64_t next_tick = mono_ms() + 1000;

    while (!*stop) {
        int64_t now = mono_ms(), wait_ms;
        int rc;

        wd_beat_at(m->heart, now);
        /* Between batches: none is open here. */
        if (reload && *reload) {
            *reload = 0;
            if (m->sink.on_reload)
                m->sink.on_reload(m->sink.ud);
        }
        if (m->sink.on_tick && now >= next_tick) {
            m->sink.on_tick(m->sink.ud);
            next_tick = now + 1000;
        }
        if (!m->has_socket) {
            rc = start_connect(m);
            if (rc != MOSQ_ERR_SUCCESS) {
                m->n_failures++;
                complain(&m->down, now, "mqtt: cannot connect to %s:%lld: %s", m->cfg->host,
                         m->cfg->port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                nap(m, backoff_ms(m), stop);
                continue;
            }
            m->has_socket = true;
            m->last_msg_ms = now;
        }
        wait_ms = next_tick - now;
        rc = turn(m, (int)(wait_ms > 500 ? 500 : wait_ms < 0 ? 0 : wait_ms));
        if (rc != MOSQ_ERR_SUCCESS || m->is_refused || !m->has_socket) {
            set_connected(m, false);
            m->has_socket = false;
            m->is_refused = false;
            m->n_failures++;
            if (rc != MOSQ_ERR_SUCCESS && !m->store.is_active)
                complain(&m->down, now, "mqtt: connection to %s:%lld lost: %s", m->cfg->host,
                         m->cfg->port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            mosquitto_disconnect(m->mosq);
            nap(m, backoff_ms(m), stop);
            continue;
        }
        check_silence(m, mono_ms());
    }
    drain_and_disconnect(m);
    return 0;
}
