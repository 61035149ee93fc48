/*
 * libmosquitto client with a persistent session and ack-after-commit (see
 * mqtt.h for why the loop is ours). MOSQ_ERR_* codes are translated here.
 * Reconnects back off exponentially with jitter (core/backoff.h) so that a
 * district's gateways do not reconnect in lockstep after a broker restart.
 */
#include "mqtt.h"
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "xalloc.h"
#include "core/backoff.h"
#include "core/clock.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct mqtt_in {
    const struct cfg_mqtt *cfg;
    struct mosquitto *mosq;
    mqtt_msg_fn fn;
    void *ud;
    bool is_connected;       /* CONNACK accepted and not disconnected since */
    bool has_socket;         /* TCP connection exists (maybe awaiting CONNACK) */
    bool is_refused;         /* broker refused our CONNECT (auth, id) */
    int n_failures;          /* consecutive connection failures, for backoff */
    int n_store_failures;    /* consecutive messages the store refused */
    int64_t last_msg_ms;     /* monotonic time of the last message or connect */
    struct backoff backoff;  /* reconnect delays */
    struct complaint down;   /* broker unreachable */
    struct complaint silent; /* connected, nothing arriving */
    struct complaint store;  /* storage refusing messages */
    long n_messages;
    atomic_bool is_up; /* is_connected, for other threads (the HTTP endpoint) */
};

static void set_connected(struct mqtt_in *m, bool v)
{
    m->is_connected = v;
    atomic_store(&m->is_up, v);
}

bool mqtt_in_is_connected(const struct mqtt_in *m)
{
    return m && atomic_load(&m->is_up);
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

    (void)mosq;
    (void)mid;
    (void)props;
    for (int i = 0; i < n && (size_t)i < m->cfg->topics.n; i++) {
        if (granted[i] >= 0x80)
            log_err("mqtt: broker refused the subscription to %s", m->cfg->topics.v[i]);
        else
            log_info("mqtt: subscribed to %s (QoS %d)", m->cfg->topics.v[i], granted[i]);
    }
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

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct mqtt_in *m = obj;
    int rc;

    (void)props;
    m->last_msg_ms = mono_ms();
    m->n_messages++;
    complain_release(&m->silent, "mqtt: messages are arriving again");
    rc =
        m->fn(m->ud, msg->topic, msg->payload, (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0));
    if (rc == 0) {
        m->n_store_failures = 0;
        complain_release(&m->store, "store: writing again; messages are acknowledged");
        return;
    }
    m->n_store_failures++;
    /* Not committed: make sure the queued PUBACK never leaves. The broker
     * keeps the message and redelivers it on our next session. */
    complain(&m->store, m->last_msg_ms,
             "store: cannot commit a message (%s); dropping the connection so the broker keeps "
             "it",
             col_strerror(rc));
    shutdown(mosquitto_socket(mosq), SHUT_RDWR);
}

static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
    (void)mosq;
    (void)obj;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        log_dbg("mqtt: libmosquitto: %s", str);
}

struct mqtt_in *mqtt_in_new(const struct cfg_mqtt *cfg, mqtt_msg_fn fn, void *ud)
{
    struct mqtt_in *m = xcalloc(1, sizeof(*m));
    int rc;

    if (!m)
        return NULL;
    m->cfg = cfg;
    m->fn = fn;
    m->ud = ud;
    m->backoff = (struct backoff){cfg->reconnect_min_ms, cfg->reconnect_max_ms, 0};
    backoff_seed(&m->backoff);
    m->mosq = mosquitto_new(cfg->client_id, cfg->clean_session, m);
    if (!m->mosq) {
        log_err("mqtt: cannot create client: %s", strerror(errno));
        goto fail;
    }
    mosquitto_threaded_set(m->mosq, true);
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         cfg->protocol == MQTT_V5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
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

static int start_connect(struct mqtt_in *m)
{
    const struct cfg_mqtt *c = m->cfg;
    mosquitto_property *props = NULL;
    int keepalive = (int)(c->keepalive_ms / 1000);
    int rc;

    if (c->protocol == MQTT_V5 && !c->clean_session) {
        long long secs = c->session_expiry_ms / 1000;
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     (uint32_t)(secs > 0xFFFFFFFFLL ? 0xFFFFFFFFLL : secs));
    }
    rc = mosquitto_connect_bind_v5(m->mosq, c->host, (int)c->port, keepalive, NULL, props);
    mosquitto_property_free_all(&props);
    return rc;
}

static bool is_stopping(void *ud)
{
    return *(volatile sig_atomic_t *)ud != 0;
}

/* Sleep up to @ms, waking at once on a stop request. */
static void nap(int64_t ms, volatile sig_atomic_t *stop)
{
    clock_nap(ms, 50, is_stopping, (void *)stop);
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

static void drain_and_disconnect(struct mqtt_in *m)
{
    int64_t until = mono_ms() + 3000;

    if (!m->has_socket)
        return;
    mosquitto_disconnect(m->mosq);
    while (m->has_socket && mono_ms() < until) {
        if (mosquitto_loop(m->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
            break;
    }
    log_info("mqtt: disconnected after %ld messages", m->n_messages);
}

int mqtt_in_run(struct mqtt_in *m, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                void (*on_reload)(void *ud), void (*on_tick)(void *ud), void *ud)
{
    int64_t next_tick = mono_ms() + 1000;

    while (!*stop) {
        int64_t now = mono_ms();
        int rc;

        if (reload && *reload) {
            *reload = 0;
            if (on_reload)
                on_reload(ud);
        }
        if (on_tick && now >= next_tick) {
            on_tick(ud);
            next_tick = now + 1000;
        }
        if (!m->has_socket) {
            rc = start_connect(m);
            if (rc != MOSQ_ERR_SUCCESS) {
                m->n_failures++;
                complain(&m->down, now, "mqtt: cannot connect to %s:%lld: %s", m->cfg->host,
                         m->cfg->port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                nap(backoff_ms(m), stop);
                continue;
            }
            m->has_socket = true;
            m->last_msg_ms = now;
        }
        rc = mosquitto_loop(m->mosq, 500, 1);
        if (rc != MOSQ_ERR_SUCCESS || m->is_refused) {
            set_connected(m, false);
            m->has_socket = false;
            m->is_refused = false;
            m->n_failures++;
            if (rc != MOSQ_ERR_SUCCESS && !m->store.is_active)
                complain(&m->down, now, "mqtt: connection to %s:%lld lost: %s", m->cfg->host,
                         m->cfg->port,
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            mosquitto_disconnect(m->mosq);
            nap(backoff_ms(m), stop);
            continue;
        }
        check_silence(m, mono_ms());
    }
    drain_and_disconnect(m);
    return 0;
}
