/*
 * The HJ 212 TCP listener (see hj212_tcp.h). One thread polls the listening
 * socket and up to HJ212_MAX_CLIENTS connections; each connection has a
 * fixed buffer that holds the longest packet the length field can announce
 * (9999 bytes of data segment: longer than the standard's 1024, which is
 * accepted with a note), and a line longer than it is a protocol error that
 * closes the connection. The thread owns its ingest and store, so the MQTT
 * thread never waits for it except on SQLite's write lock (busy timeout).
 *
 * Group commit as on MQTT: the packets of one poll pass, from every
 * connection, go into one batch; after its COMMIT the pass's responses are
 * sent, and when the commit fails no response is sent and the connections
 * that had packets in the batch are closed (their dataloggers resend).
 *
 * What a packet asks for is decided by its CN (hj212_cmd_classify): data
 * uploads are ingested; other uploads (2081 restart, 2021, 2041), the clock
 * notice 1013, replies (9011-9014) and parameter or control commands carry
 * nothing to store: each is counted as a note, answered as hj212.h says or
 * ignored, and never fills the rejects table. The checksum is checked under
 * the mode of the profile the packet's topic matches (hj212_crc).
 *
 * Split messages (PNUM/PNO) are held in a reassembly buffer until every part
 * has come, then ingested as one packet, so a message is stored whole or
 * not at all; their parts are answered only after that commit, because an
 * answer tells the datalogger its data is stored. A message still
 * incomplete after ingest.hj212_split_timeout is rejected as
 * split_incomplete, one rejects row per part, so every part's payload is
 * kept.
 */
#include "hj212_tcp.h"
#include "col_err.h"
#include "core/config.h"
#include "core/watchdog.h"
#include "diag.h"
#include "hj212.h"
#include "ingest.h"
#include "core/log.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/devices_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HJ212_MAX_CLIENTS 64
#define HJ212_BUF (HJ212_PACKET_LONG_MAX + 64)
#define HJ212_IDLE_MS (15 * 60 * 1000)
#define HJ212_RESP_MAX 256
#define HJ212_RESP_BUF (8 * HJ212_RESP_MAX)

struct conn {
    int fd;
    char peer[64];
    size_t n;
    int64_t last_ms;
    bool in_batch; /* packets of this connection are in the open batch */
    size_t n_resp; /* responses waiting for the batch's commit */
    char resp[HJ212_RESP_BUF];
    char buf[HJ212_BUF];
};

struct hj212_tcp {
    const struct config *cfg;
    pthread_t thread;
    bool has_thread;
    int listen_fd;
    atomic_int stop;
    atomic_int reload;
    struct store *st;
    struct ingest *ig;
    const struct hj212_rules_source *rules_src; /* borrowed; NULL = no rules */
    struct ingest_rules rules;                  /* instant rules on the packets' readings */
    bool has_rules;
    struct conn *conns[HJ212_MAX_CLIENTS];
    struct hj212_reasm *reasm;             /* split messages waiting for their parts */
    char whole[HJ212_PACKET_LONG_MAX + 1]; /* a reassembled message, off the stack */
    long n_packets, n_acks;
    struct watchdog *wd;
    struct wd_heart *heart; /* beaten every pass of the loop */
};

static int listen_on(const char *addr)
{
    char host[256], *colon;
    struct addrinfo hints = {0}, *res = NULL;
    int fd = -1, one = 1, rc;

    snprintf(host, sizeof(host), "%s", addr);
    colon = strrchr(host, ':');
    if (!colon) {
        log_err("hj212: listen address '%s' is not host:port", addr);
        return -1;
    }
    *colon = '\0';
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
    if (rc) {
        log_err("hj212: cannot resolve %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 16)) {
        log_err("hj212: cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void drop(struct hj212_tcp *t, int i, const char *why)
{
    struct conn *c = t->conns[i];

    log_info("hj212: closing %s (%s)", c->peer, why);
    close(c->fd);
    xfree(c);
    t->conns[i] = NULL;
}

static void accept_one(struct hj212_tcp *t)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int fd = accept4(t->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
    struct conn *c;
    int slot = -1;

    if (fd < 0)
        return;
    for (int i = 0; i < HJ212_MAX_CLIENTS && slot < 0; i++)
        if (!t->conns[i])
            slot = i;
    c = slot >= 0 ? xcalloc(1, sizeof(*c)) : NULL;
    if (!c) {
        log_warn("hj212: refusing a connection: %s", slot < 0 ? "too many clients" : "no memory");
        close(fd);
        return;
    }
    c->fd = fd;
    c->last_ms = mono_ms();
    if (getnameinfo((struct sockaddr *)&sa, len, c->peer, sizeof(c->peer), NULL, 0, NI_NUMERICHOST))
        snprintf(c->peer, sizeof(c->peer), "?");
    t->conns[slot] = c;
    log_info("hj212: connection from %s", c->peer);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return COL_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Commit the open batch, then send the responses it allowed; when the
 * commit failed, close the connections whose packets were in it, without a
 * response (their dataloggers resend).
 */
static void settle(struct hj212_tcp *t)
{
    int rc = ingest_commit(t->ig);

    for (int i = 0; i < HJ212_MAX_CLIENTS; i++) {
        struct conn *c = t->conns[i];
        if (!c || !c->in_batch)
            continue;
        c->in_batch = false;
        if (rc) {
            c->n_resp = 0;
            drop(t, i, "storage failed; packets not acknowledged");
            continue;
        }
        if (c->n_resp && send_all(c->fd, c->resp, c->n_resp)) {
            drop(t, i, "cannot send the data responses");
            continue;
        }
        c->n_resp = 0;
    }
}

/*
 * Queue the answer @h owes (hj212_build_reply: none for replies, or when
 * the sender does not ask) on connection @i, to leave after the batch's
 * commit. Returns <0 when making room (a commit) failed; then connection
 * @i may be gone.
 */
static int queue_reply(struct hj212_tcp *t, int i, const struct hj212_header *h)
{
    struct conn *c = t->conns[i];
    int n;

    if (c->n_resp + HJ212_RESP_MAX > sizeof(c->resp)) {
        settle(t); /* no room for another response: commit what we have */
        if (t->conns[i] != c)
            return COL_ERR_IO;
        c->in_batch = true;
    }
    n = hj212_build_reply(h, c->resp + c->n_resp, sizeof(c->resp) - c->n_resp);
    if (n <= 0)
        return 0;
    c->n_resp += (size_t)n;
    t->n_acks++;
    return 0;
}

/*
 * Reject every part of split message @msg under @reason (one row per
 * part, so every payload is kept), then forget it. @topic names the
 * device. Returns <0 when the batch failed.
 */
static int reject_parts(struct hj212_tcp *t, int msg, const char *topic, const char *reason,
                        const char *why)
{
    size_t n = hj212_reasm_n_parts(t->reasm, msg);
    int pnum = hj212_reasm_pnum(t->reasm, msg);
    int rc = 0;

    for (size_t k = 0; rc == 0 && k < n; k++) {
        char detail[DEC_DETAIL_MAX + 96];
        size_t len;
        const char *part = hj212_reasm_part(t->reasm, msg, k, &len);

        (void)snprintf(detail, sizeof(detail), "part %zu of %zu held (PNUM=%d): %s", k + 1, n, pnum,
                       why);
        rc = ingest_reject(t->ig, topic, reason, detail, part, len, wall_ms());
    }
    hj212_reasm_drop(t->reasm, msg);
    return rc;
}

/*
 * Answer every part of the stored split message @msg that asks for it
 * (each part's checksum was checked under its profile's mode when it came).
 */
static int answer_parts(struct hj212_tcp *t, int i, int msg)
{
    size_t n = hj212_reasm_n_parts(t->reasm, msg);

    for (size_t k = 0; k < n; k++) {
        struct hj212_header h;
        struct dec_error err;
        const char *seg;
        size_t seg_len, len;
        const char *part = hj212_reasm_part(t->reasm, msg, k, &len);
        int rc;

        if (hj212_unframe_mode(part, len, DEC_CRC_ANY, &seg, &seg_len, NULL, &err) < 0 ||
            hj212_parse_header(seg, seg_len, &h, &err) < 0)
            continue; /* NEVER: each part was checked when it came */
        rc = queue_reply(t, i, &h);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * One part of a split message: held until the message is whole, which is
 * then ingested as one packet. Returns <0 when the batch failed.
 */
static int handle_part(struct hj212_tcp *t, int i, const struct hj212_header *h, enum dec_crc mode,
                       const char *topic, const char *pkt, size_t len)
{
    struct dec_error err;
    int msg = -1, rc, n;

    rc = hj212_reasm_add(t->reasm, h, mode, pkt, len, mono_ms(), &msg);
    if (rc == HJ212_REASM_DUPLICATE) {
        ingest_note(t->ig, "hj212_split_part_resent", 1);
        return 0;
    }
    if (rc == HJ212_REASM_PENDING)
        return 0;
    if (rc < 0) {
        char detail[DEC_DETAIL_MAX];

        (void)snprintf(detail, sizeof(detail),
                       "part PNO=%d of PNUM=%d cannot be held (at most %d parts and %d bytes "
                       "a message, %d messages at once)",
                       h->pno, h->pnum, HJ212_REASM_PARTS, HJ212_REASM_BYTES, HJ212_REASM_MESSAGES);
        rc = ingest_reject(t->ig, topic, "split_incomplete", detail, pkt, len, wall_ms());
        return rc ? rc : queue_reply(t, i, h);
    }
    n = hj212_reasm_build(t->reasm, msg, t->whole, sizeof(t->whole), &err);
    if (n < 0) {
        const char *why =
            n == COL_ERR_RANGE ? "the message is longer than a packet can be" : err.detail;

        rc = reject_parts(t, msg, topic, "malformed", why);
        return rc;
    }
    rc = ingest_add(t->ig, topic, t->whole, (size_t)n, wall_ms());
    if (rc) {
        hj212_reasm_drop(t->reasm, msg);
        return rc;
    }
    ingest_note(t->ig, "hj212_split_reassembled", 1);
    rc = answer_parts(t, i, msg);
    hj212_reasm_drop(t->reasm, msg);
    return rc;
}

/*
 * Add one packet (without CRLF) of connection @i to the open batch, its
 * response (if it asks for one) to wait for the commit. Returns <0 when the
 * batch failed; then connection @i may be gone (t->conns[i] no longer
 * @c).
 */
static int handle_packet(struct hj212_tcp *t, int i, const char *pkt, size_t len)
{
    struct conn *c = t->conns[i];
    struct hj212_header h;
    struct dec_error err;
    enum dec_crc mode, used;
    enum hj212_cmd_class cls;
    const char *seg;
    size_t seg_len;
    char topic[96], source[96];
    int rc;

    t->n_packets++;
    c->in_batch = true;
    snprintf(source, sizeof(source), "tcp:%s", c->peer);
    /* Who sent it decides the checksum mode: read the header under any mode first. */
    if (hj212_unframe_mode(pkt, len, DEC_CRC_ANY, &seg, &seg_len, &used, &err) < 0 ||
        hj212_parse_header(seg, seg_len, &h, &err) < 0)
        return ingest_reject(t->ig, source, err.code == DEC_ERR_CRC ? "bad_checksum" : "malformed",
                             err.detail, pkt, len, wall_ms());
    ingest_hj212_topic(t->ig, h.st_text, h.mn, topic, sizeof(topic));
    mode = (enum dec_crc)ingest_hj212_crc(t->ig, topic);
    if (hj212_unframe_mode(pkt, len, mode, &seg, &seg_len, &used, &err) < 0)
        return ingest_reject(t->ig, source, "bad_checksum", err.detail, pkt, len, wall_ms());
    cls = hj212_cmd_classify(h.cn);
    if (cls != HJ212_CMD_DATA) {
        /* Nothing to store: counted, answered as the standard says, never a reject. */
        ingest_note(t->ig, hj212_cmd_class_name(cls), 1);
        log_dbg("hj212: %s sent CN=%04d (%s)", h.mn, h.cn, hj212_cmd_class_name(cls));
        return queue_reply(t, i, &h);
    }
    if (h.pnum > 0)
        return handle_part(t, i, &h, used, topic, pkt, len);
    rc = ingest_add(t->ig, topic, pkt, len, wall_ms());
    if (rc)
        return rc; /* the batch failed: no acknowledgement; the datalogger resends */
    return queue_reply(t, i, &h);
}

/* Reject the split messages whose time ran out, every part kept. */
static void expire_parts(struct hj212_tcp *t)
{
    int64_t now = mono_ms();
    int msg;

    while ((msg = hj212_reasm_expired(t->reasm, now)) >= 0) {
        char topic[96], why[128];
        size_t len;
        const char *part = hj212_reasm_part(t->reasm, msg, 0, &len);
        struct hj212_header h;
        struct dec_error err;
        const char *seg;
        size_t seg_len;

        snprintf(topic, sizeof(topic), "hj212");
        if (part && hj212_unframe_mode(part, len, DEC_CRC_ANY, &seg, &seg_len, NULL, &err) == 0 &&
            hj212_parse_header(seg, seg_len, &h, &err) == 0)
            ingest_hj212_topic(t->ig, h.st_text, h.mn, topic, sizeof(topic));
        snprintf(why, sizeof(why), "%zu of %d parts came within %lld ms",
                 hj212_reasm_n_parts(t->reasm, msg), hj212_reasm_pnum(t->reasm, msg),
                 (long long)t->cfg->ingest.hj212_split_timeout_ms);
        log_warn("hj212: split message from %s incomplete: %s; rejected", topic, why);
        if (reject_parts(t, msg, topic, "split_incomplete", why) < 0)
            return; /* the batch failed; settle() rolls it back, the parts are gone */
    }
}

static void read_conn(struct hj212_tcp *t, int i)
{
    struct conn *c = t->conns[i];
    ssize_t r = recv(c->fd, c->buf + c->n, sizeof(c->buf) - c->n, 0);
    size_t start = 0;

    if (r <= 0) {
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        drop(t, i, r == 0 ? "closed by peer" : strerror(errno));
        return;
    }
    c->n += (size_t)r;
    c->last_ms = mono_ms();
    for (size_t k = 0; k + 1 < c->n; k++) {
        if (c->buf[k] != '\r' || c->buf[k + 1] != '\n')
            continue;
        if (handle_packet(t, i, c->buf + start, k - start) < 0)
            return; /* the batch failed: settle() closes the connection */
        start = k + 2;
        k++;
    }
    memmove(c->buf, c->buf + start, c->n - start);
    c->n -= start;
    if (c->n == sizeof(c->buf)) {
        ingest_reject(t->ig, c->peer, "malformed", "no CRLF within the HJ 212 packet limit", c->buf,
                      c->n, wall_ms());
        drop(t, i, "packet longer than the HJ 212 limit");
    }
}

static void do_reload(struct hj212_tcp *t)
{
    struct diag d = {0};
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;

    if (devices_load(t->cfg, &d, &ps, &reg) == 0 && ingest_reload(t->ig, &ps, &reg) == 0)
        log_info("hj212: reloaded profiles and registry");
    if (t->has_rules && t->rules_src->reload(t->rules_src->ud, &t->rules))
        log_err("hj212: rules have errors; keeping the rules in use");
    profile_set_free(ps);
    registry_free(reg);
}

static void *run(void *arg)
{
    struct hj212_tcp *t = arg;
    struct pollfd pfd[HJ212_MAX_CLIENTS + 1];
    int map[HJ212_MAX_CLIENTS + 1];
    int64_t next_flush = mono_ms() + 1000;

    while (!atomic_load(&t->stop)) {
        int n = 0;
        int64_t now = mono_ms();

        wd_beat_at(t->heart, now);
        if (atomic_exchange(&t->reload, 0))
            do_reload(t);
        if (now >= next_flush) {
            ingest_flush(t->ig);
            next_flush = now + 1000;
        }
        pfd[n].fd = t->listen_fd;
        pfd[n].events = POLLIN;
        map[n++] = -1;
        for (int i = 0; i < HJ212_MAX_CLIENTS; i++) {
            if (!t->conns[i])
                continue;
            if (now - t->conns[i]->last_ms > HJ212_IDLE_MS) {
                drop(t, i, "idle");
                continue;
            }
            pfd[n].fd = t->conns[i]->fd;
            pfd[n].events = POLLIN;
            map[n++] = i;
        }
        if (poll(pfd, (nfds_t)n, 200) <= 0) {
            expire_parts(t);
            settle(t);
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (map[k] < 0)
                accept_one(t);
            else if (t->conns[map[k]])
                read_conn(t, map[k]);
        }
        expire_parts(t);
        settle(t); /* one commit for the pass, then its responses */
    }
    ingest_flush(t->ig);
    return NULL;
}

struct hj212_tcp *hj212_tcp_start(const struct config *cfg, const char *addr,
                                  const struct hj212_rules_source *rules, struct watchdog *wd)
{
    struct hj212_tcp *t = xcalloc(1, sizeof(*t));
    struct diag d = {0};
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;
    char err[512];

    if (!t)
        return NULL;
    t->cfg = cfg;
    t->listen_fd = -1;
    t->reasm = hj212_reasm_new(cfg->ingest.hj212_split_timeout_ms);
    if (!t->reasm)
        goto fail;
    t->st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!t->st) {
        log_err("hj212: %s", err);
        goto fail;
    }
    if (devices_load(cfg, &d, &ps, &reg))
        goto fail;
    t->ig = ingest_new(cfg, t->st, &ps, &reg);
    if (!t->ig)
        goto fail;
    t->rules_src = rules;
    if (rules) {
        if (rules->open(rules->ud, t->st, &t->rules))
            goto fail;
        t->has_rules = true;
        ingest_set_rules(t->ig, &t->rules);
    }
    t->listen_fd = listen_on(addr);
    if (t->listen_fd < 0)
        goto fail;
    t->wd = wd;
    t->heart = watchdog_heart(wd, "hj212");
    if (pthread_create(&t->thread, NULL, run, t)) {
        log_err("hj212: cannot start the listener thread");
        goto fail;
    }
    t->has_thread = true;
    log_info("hj212: listening on %s", addr);
    return t;
fail:
    profile_set_free(ps);
    registry_free(reg);
    hj212_tcp_stop(t);
    return NULL;
}

void hj212_tcp_reload(struct hj212_tcp *t)
{
    if (t)
        atomic_store(&t->reload, 1);
}

void hj212_tcp_stop(struct hj212_tcp *t)
{
    if (!t)
        return;
    atomic_store(&t->stop, 1);
    if (t->has_thread)
        pthread_join(t->thread, NULL);
    watchdog_heart_free(t->wd, t->heart);
    for (int i = 0; i < HJ212_MAX_CLIENTS; i++)
        if (t->conns[i])
            drop(t, i, "shutting down");
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->has_thread)
        log_info("hj212: stopped after %ld packets, %ld acknowledged", t->n_packets, t->n_acks);
    ingest_free(t->ig);
    hj212_reasm_free(t->reasm);
    if (t->has_rules)
        t->rules_src->close(&t->rules);
    store_close(t->st);
    xfree(t);
}
