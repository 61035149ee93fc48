/*
 * The MQTT channel: the event JSON published at QoS 1 on `topic`, and a
 * retained state message per alert on <state_topic>/<rule>/<scope> that a
 * dashboard can subscribe to (the state of every active alert, even after
 * it connects late); an empty retained message clears it on resolve. It is
 * a client of its own (`<mqtt.client_id>-alerts`), driven synchronously on
 * the channel's thread: an entry counts as delivered only when the broker
 * acknowledged both publications. A failed attempt drops the client and its
 * queue, so nothing is sent twice behind our back; the outbox retries.
 */
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "notify_int.h"
#include "xalloc.h"
#include "core/clock.h"

#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <string.h>

#define MQ_KEEPALIVE_S 60

static const char *const mqtt_keys[] = {"topic",    "state_topic",   "host",    "port",
                                        "username", "password_file", "ca_file", NULL};

struct mq_state {
    struct mosquitto *mosq;
    bool is_connected;
    bool is_connack_seen;
    int connack_rc;
    int pending[2]; /* mids waiting for PUBACK, 0 = none */
    char client_id[160];
};

static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
    struct mq_state *s = ud;

    (void)mosq;
    s->is_connack_seen = true;
    s->connack_rc = rc;
    s->is_connected = rc == 0;
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
    struct mq_state *s = ud;

    (void)mosq;
    (void)rc;
    s->is_connected = false;
}

static void on_publish(struct mosquitto *mosq, void *ud, int mid)
{
    struct mq_state *s = ud;

    (void)mosq;
    for (int i = 0; i < 2; i++)
        if (s->pending[i] == mid)
            s->pending[i] = 0;
}

static void drop_client(struct mq_state *s)
{
    if (!s->mosq)
        return;
    if (s->is_connected) {
        mosquitto_disconnect(s->mosq);
        mosquitto_loop(s->mosq, 0, 1);
    }
    mosquitto_destroy(s->mosq);
    s->mosq = NULL;
    s->is_connected = false;
}

static int mq_open(struct notify_worker *w)
{
    struct mq_state *s = xcalloc(1, sizeof(*s));

    if (!s)
        return COL_ERR_NOMEM;
    snprintf(s->client_id, sizeof(s->client_id), "%s-alerts", w->cfg->mqtt.client_id);
    w->state = s;
    return 0;
}

static void mq_close(struct notify_worker *w)
{
    struct mq_state *s = w->state;

    if (!s)
        return;
    drop_client(s);
    xfree(s);
    w->state = NULL;
}

static const char *mq_strerror(int rc)
{
    return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/* A new client with the channel's (or the mqtt section's) credentials and TLS. */
static int make_client(struct notify_worker *w, char *err, size_t errlen)
{
    struct mq_state *s = w->state;
    const struct cfg_mqtt *main_cfg = &w->cfg->mqtt;
    const struct notify_channel *ch = w->ch;
    int rc = MOSQ_ERR_SUCCESS;

    s->mosq = mosquitto_new(s->client_id, true, s);
    if (!s->mosq) {
        snprintf(err, errlen, "cannot create an MQTT client: %s", strerror(errno));
        return COL_ERR_NET;
    }
    mosquitto_connect_callback_set(s->mosq, on_connect);
    mosquitto_disconnect_callback_set(s->mosq, on_disconnect);
    mosquitto_publish_callback_set(s->mosq, on_publish);
    if (ch->host) {
        if (ch->username)
            rc = mosquitto_username_pw_set(s->mosq, ch->username, ch->password);
        if (rc == MOSQ_ERR_SUCCESS && ch->ca_file)
            rc = mosquitto_tls_set(s->mosq, ch->ca_file, NULL, NULL, NULL, NULL);
    } else {
        if (main_cfg->username || main_cfg->password)
            rc = mosquitto_username_pw_set(s->mosq, main_cfg->username, main_cfg->password);
        if (rc == MOSQ_ERR_SUCCESS && (main_cfg->tls.ca_file || main_cfg->tls.ca_path)) {
            rc = mosquitto_tls_set(s->mosq, main_cfg->tls.ca_file, main_cfg->tls.ca_path,
                                   main_cfg->tls.cert_file, main_cfg->tls.key_file, NULL);
            if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_tls_insecure_set(s->mosq, main_cfg->tls.is_insecure);
        }
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "MQTT client setup: %s", mq_strerror(rc));
        drop_client(s);
        return COL_ERR_NET;
    }
    return 0;
}

/* Run the client's loop until @done(s) or the deadline; 0, COL_ERR_NET or COL_ERR_BUSY. */
static int loop_until(struct notify_worker *w, bool (*done)(const struct mq_state *),
                      int64_t deadline, const char *what, char *err, size_t errlen)
{
    struct mq_state *s = w->state;

    while (!done(s)) {
        int rc;
        if (notify_stopping(w)) {
            snprintf(err, errlen, "stopped");
            return COL_ERR_BUSY;
        }
        if (mono_ms() >= deadline) {
            snprintf(err, errlen, "timed out waiting for %s", what);
            return COL_ERR_NET;
        }
        rc = mosquitto_loop(s->mosq, 50, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "broker connection: %s", mq_strerror(rc));
            return COL_ERR_NET;
        }
        if (s->is_connack_seen && !s->is_connected) {
            snprintf(err, errlen, "broker refused the connection: %s",
                     s->connack_rc ? mosquitto_connack_string(s->connack_rc) : "connection lost");
            return COL_ERR_NET;
        }
    }
    return 0;
}

static bool is_connack_seen(const struct mq_state *s)
{
    return s->is_connack_seen;
}

static bool are_acked(const struct mq_state *s)
{
    return s->pending[0] == 0 && s->pending[1] == 0;
}

static int ensure_connected(struct notify_worker *w, int64_t deadline, char *err, size_t errlen)
{
    struct mq_state *s = w->state;
    const char *host = w->ch->host ? w->ch->host : w->cfg->mqtt.host;
    int port = w->ch->host ? (int)w->ch->port : (int)w->cfg->mqtt.port;
    int rc;

    if (s->mosq && s->is_connected)
        return 0;
    drop_client(s);
    rc = make_client(w, err, errlen);
    if (rc)
        return rc;
    s->is_connack_seen = false;
    rc = mosquitto_connect_async(s->mosq, host, port, MQ_KEEPALIVE_S);
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, mq_strerror(rc));
        return COL_ERR_NET;
    }
    rc = loop_until(w, is_connack_seen, deadline, "the broker's CONNACK", err, errlen);
    if (rc == 0)
        log_info("notify: channel '%s' connected to %s:%d as %s", w->ch->name, host, port,
                 s->client_id);
    return rc;
}

/* Copy @in into @out as one topic level: no '/', '+', '#' or control characters. */
static void topic_level(const char *in, char *out, size_t sz)
{
    size_t i = 0;

    for (; in && *in && i + 1 < sz; in++)
        out[i++] =
            ((unsigned char)*in < 0x20 || *in == '/' || *in == '+' || *in == '#') ? '_' : *in;
    if (i == 0 && sz > 1)
        out[i++] = '_';
    out[i] = '\0';
}

static void state_topic(struct notify_worker *w, const struct notify_msg *m, char *out, size_t sz)
{
    char scope[256], rule[128], level[256];

    topic_level(notify_json_str(m->json, "rule"), rule, sizeof(rule));
    if (notify_alert_scope(w, m->alert_id, scope, sizeof(scope)))
        snprintf(scope, sizeof(scope), "%lld", (long long)m->alert_id);
    topic_level(scope, level, sizeof(level));
    if (w->ch->state_topic)
        snprintf(out, sz, "%s/%s/%s", w->ch->state_topic, rule, level);
    else
        snprintf(out, sz, "%s/state/%s/%s", w->ch->topic, rule, level);
}

/* The retained state of an alert that is not resolved: the event, with state "firing". */
static char *state_json(const struct notify_msg *m)
{
    cJSON *copy = cJSON_Duplicate(m->json, true);
    char *text = NULL;

    if (copy && cJSON_GetObjectItemCaseSensitive(copy, "state"))
        cJSON_ReplaceItemInObjectCaseSensitive(copy, "state", cJSON_CreateString("firing"));
    if (copy)
        text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return text;
}

static int mq_send(struct notify_worker *w, const struct notify_msg *m, char *err, size_t errlen)
{
    struct mq_state *s = w->state;
    int64_t deadline = mono_ms() + w->ch->timeout_ms;
    bool is_resolved = strcmp(m->event, "resolved") == 0;
    bool has_state = m->json && notify_json_str(m->json, "rule");
    char topic[1536];
    char *state = NULL;
    int rc, mrc;

    rc = ensure_connected(w, deadline, err, errlen);
    if (rc)
        goto out;
    if (has_state && !is_resolved) {
        state = state_json(m);
        if (!state) {
            snprintf(err, errlen, "out of memory");
            rc = COL_ERR_NET;
            goto out;
        }
    }
    s->pending[0] = s->pending[1] = 0;
    mrc =
        mosquitto_publish(s->mosq, &s->pending[0], w->ch->topic, (int)m->len, m->payload, 1, false);
    if (mrc == MOSQ_ERR_SUCCESS && has_state) {
        state_topic(w, m, topic, sizeof(topic));
        /* An empty retained message removes the retained state. */
        mrc = mosquitto_publish(s->mosq, &s->pending[1], topic, state ? (int)strlen(state) : 0,
                                state, 1, true);
    }
    if (mrc != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "publish: %s", mq_strerror(mrc));
        rc = COL_ERR_NET;
        goto out;
    }
    rc = loop_until(w, are_acked, deadline, "the broker's PUBACK", err, errlen);
out:
    cJSON_free(state);
    if (rc && rc != COL_ERR_BUSY)
        drop_client(s);
    return rc ? (rc == COL_ERR_BUSY ? rc : COL_ERR_NET) : 0;
}

static void mq_tick(struct notify_worker *w, int64_t now_ms)
{
    struct mq_state *s = w->state;
    int rc;

    (void)now_ms;
    if (!s->mosq)
        return;
    rc = mosquitto_loop(s->mosq, 0, 1); /* keep-alive pings */
    if (rc != MOSQ_ERR_SUCCESS || !s->is_connected) {
        log_dbg("notify: channel '%s': idle connection lost (%s)", w->ch->name, mq_strerror(rc));
        drop_client(s);
    }
}

const struct notify_type notify_mqtt_type = {
    .name = "mqtt",
    .keys = mqtt_keys,
    .target_key = "topic",
    .open = mq_open,
    .send = mq_send,
    .tick = mq_tick,
    .close = mq_close,
};
