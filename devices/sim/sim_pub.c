/*
 * The MQTT side of devsim: one libmosquitto connection driven by our own
 * loop (mosquitto_loop with max_packets 1, measured cheapest), publishing
 * with a bounded window of unacknowledged messages (SIM_WINDOW, at QoS 2
 * SIM_WINDOW_QOS2) so memory stays bounded however fast the caller produces. A dropped connection
 * is re-established with backoff; libmosquitto re-sends QoS 1/2 messages that were not
 * acknowledged. SIGINT/SIGTERM only set a flag that the loops check. The struct is heap-allocated
 * with calloc rather than xalloc: devsim links libdevices only for its HJ 212 helpers (see
 * sim_int.h), not the collector's allocator.
 */
#include "sim_int.h"

#include <errno.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUB_KEEPALIVE_S 30
#define PUB_CONNACK_WAIT_S 10.0
#define PUB_STOP_GRACE_S 2.0
#define PUB_BACKOFF_MIN_S 0.25
#define PUB_BACKOFF_MAX_S 5.0
#define PUB_STABLE_S 2.0 /* a link that lived this long resets the backoff */

static volatile sig_atomic_t stop_flag;

struct sim_pub {
    struct mosquitto *mosq;
    int qos;
    long window; /* most messages sent but not yet acknowledged */
    bool is_lib_init;
    bool is_connected;
    bool is_connecting; /* reconnect issued, CONNACK not yet seen */
    double t_connected; /* sim_now() of the last accepted CONNACK */
    double backoff;     /* seconds to wait before the next reconnect */
    bool is_closing;    /* our own disconnect */
    double connect_deadline;
    int connack_rc; /* last refused CONNACK code, 0 when none */
    long n_sent;    /* accepted by mosquitto_publish */
    long n_done;    /* acknowledged (QoS 0: written) or given up */
    long n_lost;    /* QoS 0 messages dropped with a connection */
    long n_acked[SIM_N_TAGS];
    /* Publish in progress: its acknowledgement may arrive before its mid is known. */
    bool is_publishing;
    bool is_current_done;
    int current_tag;
    unsigned char tag_of_mid[65536]; /* tag + 1 of each unacknowledged mid */
};

static void pub_mark_down(struct sim_pub *pub);

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void sim_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: select() and nanosleep() return at once on a signal. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool sim_stop_requested(void)
{
    return stop_flag != 0;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    struct sim_pub *pub = obj;

    (void)mosq;
    if (rc == 0) {
        pub->is_connected = true;
        pub->is_connecting = false;
        pub->t_connected = sim_now();
        pub->connack_rc = 0;
    } else {
        pub->connack_rc = rc;
    }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    struct sim_pub *pub = obj;

    (void)mosq;
    (void)rc;
    pub_mark_down(pub);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    struct sim_pub *pub = obj;
    unsigned idx = (unsigned)mid & 0xffffu;
    int tag = 0;

    (void)mosq;
    if (pub->tag_of_mid[idx]) {
        tag = pub->tag_of_mid[idx] - 1;
        pub->tag_of_mid[idx] = 0;
    } else if (pub->is_publishing && !pub->is_current_done) {
        /* A QoS 0 message is "published" while mosquitto_publish() writes it. */
        tag = pub->current_tag;
        pub->is_current_done = true;
    }
    pub->n_acked[tag]++;
    pub->n_done++;
}

static void make_client_id(char *buf, size_t size, const char *cmd)
{
    static unsigned n_made;

    snprintf(buf, size, "devsim-%s-%ld-%u", cmd, (long)getpid(), n_made++);
}

static int pub_wait_connack(struct sim_pub *pub)
{
    double deadline = sim_now() + PUB_CONNACK_WAIT_S;
    int rc;

    while (!pub->is_connected) {
        if (pub->connack_rc) {
            fprintf(stderr, "devsim: broker refused the connection: %s\n",
                    mosquitto_connack_string(pub->connack_rc));
            return COL_ERR_NET;
        }
        if (sim_stop_requested() || sim_now() > deadline) {
            fprintf(stderr, "devsim: no CONNACK from the broker\n");
            return COL_ERR_NET;
        }
        rc = mosquitto_loop(pub->mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "devsim: connection failed: %s\n", mosquitto_strerror(rc));
            return COL_ERR_NET;
        }
    }
    return 0;
}

static int pub_setup(struct sim_pub *pub, const struct sim_conn *conn, const char *cmd)
{
    char id[64];
    const char *client_id = conn->client_id;

    if (!client_id) {
        make_client_id(id, sizeof(id), cmd);
        client_id = id;
    }
    pub->mosq = mosquitto_new(client_id, true, pub);
    if (!pub->mosq) {
        fprintf(stderr, "devsim: cannot create the MQTT client\n");
        return COL_ERR_NOMEM;
    }
    mosquitto_connect_callback_set(pub->mosq, on_connect);
    mosquitto_disconnect_callback_set(pub->mosq, on_disconnect);
    mosquitto_publish_callback_set(pub->mosq, on_publish);
    mosquitto_int_option(pub->mosq, MOSQ_OPT_SEND_MAXIMUM, (int)pub->window);
    return 0;
}

struct sim_pub *sim_pub_open(const struct sim_conn *conn, const char *cmd)
{
    struct sim_pub *pub = NULL;
    int rc;

    pub = calloc(1, sizeof(*pub));
    if (!pub) {
        fprintf(stderr, "devsim: out of memory\n");
        goto fail;
    }
    pub->qos = conn->qos;
    /*
     * mosquitto counts incoming QoS 2 messages of MQTT 3.1.1 clients against
     * its max_inflight_messages (default 20) and drops a client that sends
     * more, so QoS 2 keeps to that default.
     */
    pub->window = conn->qos == 2 ? SIM_WINDOW_QOS2 : SIM_WINDOW;
    mosquitto_lib_init();
    pub->is_lib_init = true;
    if (pub_setup(pub, conn, cmd))
        goto fail;
    rc = mosquitto_connect(pub->mosq, conn->host, conn->port, PUB_KEEPALIVE_S);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "devsim: cannot connect to %s:%d: %s\n", conn->host, conn->port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        goto fail;
    }
    if (pub_wait_connack(pub))
        goto fail;
    return pub;
fail:
    sim_pub_close(pub);
    return NULL;
}

/* QoS 0 messages still queued when the connection dropped are gone. */
static void pub_forget_qos0(struct sim_pub *pub)
{
    long pending = pub->n_sent - pub->n_done;

    if (pub->qos != 0 || pending <= 0)
        return;
    pub->n_lost += pending;
    pub->n_done = pub->n_sent;
    memset(pub->tag_of_mid, 0, sizeof(pub->tag_of_mid));
    fprintf(stderr, "devsim: %ld QoS 0 messages lost with the connection\n", pending);
}

static void pub_mark_down(struct sim_pub *pub)
{
    if (pub->is_connected && !pub->is_closing)
        fprintf(stderr, "devsim: connection lost, reconnecting\n");
    pub->is_connected = false;
    pub->is_connecting = false;
    pub_forget_qos0(pub);
}

/*
 * Open a new TCP connection (backing off while it fails); CONNACK comes via
 * the loop. A link that dropped soon after it was made also waits first, so
 * a broker that keeps closing the connection is not hammered.
 */
static int pub_reconnect(struct sim_pub *pub)
{
    int rc;

    if (sim_now() - pub->t_connected < PUB_STABLE_S)
        pub->backoff = pub->backoff * 2 > PUB_BACKOFF_MAX_S ? PUB_BACKOFF_MAX_S : pub->backoff * 2;
    else
        pub->backoff = 0;
    for (;;) {
        if (pub->backoff > 0)
            sim_sleep_until(sim_now() + pub->backoff);
        if (sim_stop_requested())
            return COL_ERR_BUSY;
        rc = mosquitto_reconnect(pub->mosq);
        if (rc == MOSQ_ERR_SUCCESS) {
            pub->is_connecting = true;
            pub->connect_deadline = sim_now() + PUB_CONNACK_WAIT_S;
            return 0;
        }
        pub->backoff = pub->backoff * 2 > PUB_BACKOFF_MAX_S ? PUB_BACKOFF_MAX_S : pub->backoff * 2;
        if (pub->backoff < PUB_BACKOFF_MIN_S)
            pub->backoff = PUB_BACKOFF_MIN_S;
    }
}

static bool is_link_error(int rc)
{
    return rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO ||
           rc == MOSQ_ERR_PROTOCOL || rc == MOSQ_ERR_KEEPALIVE;
}

/*
 * One turn of the network: reconnect if the link is down (or a reconnect got
 * no CONNACK in time), then run libmosquitto for up to @timeout_ms.
 */
static int pub_step(struct sim_pub *pub, int timeout_ms)
{
    int rc;

    if (!pub->is_connected && (!pub->is_connecting || sim_now() > pub->connect_deadline)) {
        rc = pub_reconnect(pub);
        if (rc)
            return 0; /* stop requested; the caller sees it */
    }
    rc = mosquitto_loop(pub->mosq, timeout_ms, 1);
    if (pub->connack_rc) {
        fprintf(stderr, "devsim: broker refused the connection: %s\n",
                mosquitto_connack_string(pub->connack_rc));
        return COL_ERR_NET;
    }
    if (rc == MOSQ_ERR_SUCCESS)
        return 0;
    if (is_link_error(rc)) {
        pub_mark_down(pub);
        return 0;
    }
    fprintf(stderr, "devsim: MQTT error: %s\n", mosquitto_strerror(rc));
    return COL_ERR_NET;
}

static bool pub_window_full(const struct sim_pub *pub)
{
    return pub->n_sent - pub->n_done >= pub->window;
}

/*
 * Hand one message to libmosquitto. Returns 0 when it was taken (QoS 1/2
 * messages stay queued across a broken link and are re-sent after the
 * reconnect), COL_ERR_BUSY when a QoS 0 message met a dead link and must be
 * sent again, COL_ERR_INVAL when the message itself was refused.
 */
static int pub_publish_once(struct sim_pub *pub, const char *topic, const char *payload, size_t len,
                            int tag)
{
    int mid = 0;
    int rc;

    pub->is_publishing = true;
    pub->is_current_done = false;
    pub->current_tag = tag;
    rc = mosquitto_publish(pub->mosq, &mid, topic, (int)len, payload, pub->qos, false);
    pub->is_publishing = false;
    if (rc != MOSQ_ERR_SUCCESS && !is_link_error(rc)) {
        fprintf(stderr, "devsim: publish on %s failed: %s\n", topic, mosquitto_strerror(rc));
        return COL_ERR_INVAL;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        pub_mark_down(pub);
        if (pub->qos == 0)
            return COL_ERR_BUSY;
    }
    pub->n_sent++;
    if (!pub->is_current_done)
        pub->tag_of_mid[(unsigned)mid & 0xffffu] = (unsigned char)(tag + 1);
    return 0;
}

int sim_pub_send(struct sim_pub *pub, const char *topic, const char *payload, size_t len, int tag)
{
    int rc;

    if (NEVER(tag < 0 || tag >= SIM_N_TAGS))
        return COL_ERR_INVAL;
    do {
        while (!pub->is_connected || pub_window_full(pub)) {
            if (sim_stop_requested())
                return COL_ERR_BUSY;
            rc = pub_step(pub, 1000);
            if (rc)
                return rc;
        }
        if (sim_stop_requested())
            return COL_ERR_BUSY;
        rc = pub_publish_once(pub, topic, payload, len, tag);
    } while (rc == COL_ERR_BUSY);
    return rc;
}

int sim_pub_wait_until(struct sim_pub *pub, double deadline)
{
    double left;
    int rc;

    for (;;) {
        if (sim_stop_requested())
            return COL_ERR_BUSY;
        left = deadline - sim_now();
        if (left <= 0)
            return 0;
        rc = pub_step(pub, left > 1.0 ? 1000 : (int)(left * 1000) + 1);
        if (rc)
            return rc;
    }
}

int sim_pub_finish(struct sim_pub *pub)
{
    double grace_end = -1;
    int rc = 0;

    while (pub->n_done < pub->n_sent) {
        if (sim_stop_requested()) {
            if (grace_end < 0)
                grace_end = sim_now() + PUB_STOP_GRACE_S;
            if (sim_now() >= grace_end)
                break;
        }
        rc = pub_step(pub, 100);
        if (rc)
            break;
    }
    pub->is_closing = true;
    if (pub->is_connected)
        mosquitto_disconnect(pub->mosq);
    if (pub->n_done < pub->n_sent) {
        fprintf(stderr, "devsim: %ld messages were not acknowledged\n", pub->n_sent - pub->n_done);
        return COL_ERR_NET;
    }
    if (pub->n_lost)
        return COL_ERR_NET;
    return rc;
}

long sim_pub_acked(const struct sim_pub *pub, int tag)
{
    long n = 0;
    int i;

    if (tag >= 0 && tag < SIM_N_TAGS)
        return pub->n_acked[tag];
    for (i = 0; i < SIM_N_TAGS; i++)
        n += pub->n_acked[i];
    return n;
}

void sim_pub_close(struct sim_pub *pub)
{
    if (!pub)
        return;
    if (pub->mosq)
        mosquitto_destroy(pub->mosq);
    if (pub->is_lib_init)
        mosquitto_lib_cleanup();
    free(pub);
}
