/*
 * Where devsim's messages go: the MQTT publisher (sim_pub.c), or one TCP
 * connection to an HJ 212 receiver such as the collector's listener. Over
 * TCP a packet whose Flag has the A bit is sent stop-and-wait, as a
 * datalogger does: wait up to 5 s for the 9014 data response with the same
 * QN, resend up to 3 times (HJ 212-2017 Table 1), then give up on it and go
 * on. Packets without the A bit (the deliberately damaged ones) are only
 * written. A dropped connection is re-opened before the next attempt.
 */
#include "sim_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hj212.h"

#define TCP_ACK_TIMEOUT_S 5.0
#define TCP_RETRIES 3
#define TCP_RBUF 4096

struct sim_sink {
    struct sim_pub *pub; /* NULL for TCP */
    int fd;              /* TCP connection, -1 while down */
    char host[256];
    char port[8];
    long n_sent;    /* packets written, first attempts only */
    long n_acked;   /* 9014 responses matched */
    long n_retries; /* packets written again after a timeout or a dropped link */
    long n_unacked; /* gave up after the retries */
    long delivered[SIM_N_TAGS];
    size_t rlen;
    char rbuf[TCP_RBUF];
};

static int tcp_split_addr(struct sim_sink *sk, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    long port;
    int n;

    if (!colon || colon == addr || sim_opt_long("--tcp", colon + 1, 1, 65535, &port))
        goto bad;
    n = snprintf(sk->host, sizeof(sk->host), "%.*s", (int)(colon - addr), addr);
    if (n < 0 || (size_t)n >= sizeof(sk->host))
        goto bad;
    snprintf(sk->port, sizeof(sk->port), "%ld", port);
    return 0;
bad:
    fprintf(stderr, "devsim: --tcp: '%s' is not HOST:PORT\n", addr);
    return COL_ERR_INVAL;
}

static int tcp_connect(struct sim_sink *sk, bool is_quiet)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(sk->host, sk->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "devsim: %s: %s\n", sk->host, gai_strerror(rc));
        return COL_ERR_NET;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    if (fd < 0 && !is_quiet)
        fprintf(stderr, "devsim: cannot connect to %s:%s: %s\n", sk->host, sk->port,
                strerror(errno));
    freeaddrinfo(res);
    if (fd < 0)
        return COL_ERR_NET;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sk->fd = fd;
    sk->rlen = 0;
    return 0;
}

static void tcp_drop(struct sim_sink *sk)
{
    if (sk->fd >= 0)
        close(sk->fd);
    sk->fd = -1;
    sk->rlen = 0;
}

struct sim_sink *sim_sink_open(const struct sim_conn *conn, const char *tcp, const char *cmd)
{
    struct sim_sink *sk = calloc(1, sizeof(*sk));

    if (!sk) {
        fprintf(stderr, "devsim: out of memory\n");
        return NULL;
    }
    sk->fd = -1;
    if (!tcp) {
        sk->pub = sim_pub_open(conn, cmd);
        if (!sk->pub)
            goto fail;
        return sk;
    }
    if (tcp_split_addr(sk, tcp) || tcp_connect(sk, false))
        goto fail;
    return sk;
fail:
    sim_sink_close(sk);
    return NULL;
}

static int send_all(int fd, const char *p, size_t len)
{
    ssize_t w;

    while (len > 0) {
        w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return COL_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* True when @pkt[0..len) is the 9014 response to QN @qn. */
static bool is_response_to(const char *pkt, size_t len, const char *qn)
{
    struct hj212_header h;
    struct dec_error err;
    const char *seg;
    size_t seg_len;

    if (hj212_unframe(pkt, len, &seg, &seg_len, &err) < 0 ||
        hj212_parse_header(seg, seg_len, &h, &err) < 0)
        return false;
    return h.cn == HJ212_CN_DATA_ACK && strcmp(h.qn, qn) == 0;
}

/* Take the complete lines out of rbuf; 1 when one answered @qn. */
static int scan_responses(struct sim_sink *sk, const char *qn)
{
    size_t start = 0, k;
    int found = 0;

    for (k = 0; k + 1 < sk->rlen; k++) {
        if (sk->rbuf[k] != '\r' || sk->rbuf[k + 1] != '\n')
            continue;
        if (!found && is_response_to(sk->rbuf + start, k + 2 - start, qn))
            found = 1;
        start = k + 2;
        k++;
    }
    memmove(sk->rbuf, sk->rbuf + start, sk->rlen - start);
    sk->rlen -= start;
    if (sk->rlen == sizeof(sk->rbuf))
        sk->rlen = 0; /* a line longer than any packet: garbage */
    return found;
}

/* 0 when the response came, COL_ERR_BUSY on timeout or stop, COL_ERR_IO when the link broke. */
static int tcp_wait_ack(struct sim_sink *sk, const char *qn)
{
    double deadline = sim_now() + TCP_ACK_TIMEOUT_S, left;
    struct pollfd pfd;
    ssize_t r;
    int rc;

    for (;;) {
        if (scan_responses(sk, qn))
            return 0;
        left = deadline - sim_now();
        if (left <= 0 || sim_stop_requested())
            return COL_ERR_BUSY;
        pfd.fd = sk->fd;
        pfd.events = POLLIN;
        rc = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (rc < 0 && errno != EINTR)
            return COL_ERR_IO;
        if (rc <= 0)
            continue;
        r = recv(sk->fd, sk->rbuf + sk->rlen, sizeof(sk->rbuf) - sk->rlen, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return COL_ERR_IO;
        sk->rlen += (size_t)r;
    }
}

/* The QN of the packet when it asks for a response; false otherwise. */
static bool packet_wants_ack(const char *pkt, size_t len, char *qn, size_t qn_size)
{
    struct hj212_header h;
    struct dec_error err;
    const char *seg;
    size_t seg_len;

    if (hj212_unframe(pkt, len, &seg, &seg_len, &err) < 0 ||
        hj212_parse_header(seg, seg_len, &h, &err) < 0 || !hj212_wants_ack(&h) || !h.qn[0])
        return false;
    snprintf(qn, qn_size, "%s", h.qn);
    return true;
}

static int tcp_send(struct sim_sink *sk, const char *pkt, size_t len, int tag)
{
    char qn[HJ212_QN_MAX + 1];
    bool wants_ack = packet_wants_ack(pkt, len, qn, sizeof(qn));
    int attempt, rc;

    for (attempt = 0; attempt <= TCP_RETRIES; attempt++) {
        if (sim_stop_requested())
            return COL_ERR_BUSY;
        if (attempt > 0)
            sk->n_retries++;
        if (sk->fd < 0 && tcp_connect(sk, attempt > 0)) {
            sim_sleep_until(sim_now() + 1.0);
            continue;
        }
        if (send_all(sk->fd, pkt, len)) {
            tcp_drop(sk);
            continue;
        }
        if (attempt == 0)
            sk->n_sent++;
        if (!wants_ack) {
            sk->delivered[tag]++;
            return 0;
        }
        rc = tcp_wait_ack(sk, qn);
        if (rc == 0) {
            sk->n_acked++;
            sk->delivered[tag]++;
            return 0;
        }
        if (rc == COL_ERR_IO)
            tcp_drop(sk);
    }
    if (sim_stop_requested())
        return COL_ERR_BUSY;
    sk->n_unacked++;
    fprintf(stderr, "devsim: no data response to QN=%s after %d retries\n", qn, TCP_RETRIES);
    return 0;
}

int sim_sink_send(struct sim_sink *sk, const char *topic, const char *payload, size_t len, int tag)
{
    if (NEVER(tag < 0 || tag >= SIM_N_TAGS))
        return COL_ERR_INVAL;
    if (sk->pub)
        return sim_pub_send(sk->pub, topic, payload, len, tag);
    return tcp_send(sk, payload, len, tag);
}

int sim_sink_wait_until(struct sim_sink *sk, double deadline)
{
    if (sk->pub)
        return sim_pub_wait_until(sk->pub, deadline);
    while (sim_now() < deadline) {
        if (sim_stop_requested())
            return COL_ERR_BUSY;
        sim_sleep_until(deadline);
    }
    return 0;
}

int sim_sink_finish(struct sim_sink *sk)
{
    if (sk->pub)
        return sim_pub_finish(sk->pub);
    tcp_drop(sk);
    return 0;
}

long sim_sink_delivered(const struct sim_sink *sk, int tag)
{
    long n = 0;
    int i;

    if (!sk)
        return 0;
    if (sk->pub)
        return sim_pub_acked(sk->pub, tag);
    if (tag >= 0 && tag < SIM_N_TAGS)
        return sk->delivered[tag];
    for (i = 0; i < SIM_N_TAGS; i++)
        n += sk->delivered[i];
    return n;
}

bool sim_sink_is_tcp(const struct sim_sink *sk)
{
    return sk && !sk->pub;
}

void sim_sink_print_stats(const struct sim_sink *sk, const char *cmd)
{
    if (!sim_sink_is_tcp(sk))
        return;
    printf("%s: tcp=%s:%s sent=%ld acked=%ld retries=%ld unacked=%ld\n", cmd, sk->host, sk->port,
           sk->n_sent, sk->n_acked, sk->n_retries, sk->n_unacked);
}

void sim_sink_close(struct sim_sink *sk)
{
    if (!sk)
        return;
    sim_pub_close(sk->pub);
    tcp_drop(sk);
    free(sk);
}
