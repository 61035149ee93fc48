/*
 * The HJ 212 TCP listener (see hj212_tcp.h). One thread polls the listening
 * socket and up to ingest.hj212_max_connections connections; each
 * connection has a fixed buffer that holds the longest packet the length
 * field can announce (9999 bytes of data segment: longer than the
 * standard's 1024, which is accepted with a note), and a line longer than
 * it is a protocol error that closes the connection. The thread owns its
 * ingest and store, so the MQTT thread never waits for it except on
 * SQLite's write lock (busy timeout).
 *
 * Every client may be hostile, and the thread must never wait on one:
 * sockets are non-blocking; responses queue per connection and leave when
 * the socket is writable; a client whose queue is full is not read until it
 * takes its responses, and is closed when it takes none for
 * ingest.hj212_write_timeout. Limits bound what a client can hold: a
 * deadline for the first valid packet, an idle timeout, connections per
 * source address, and a maximum overall (when full, the oldest idle
 * connection makes room); an allow list closes connections from elsewhere
 * at accept.
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
 *
 * This file is the listener's loop and what a packet asks for; the
 * connection table (listening, accepting, the limits, eviction, sending
 * the queued answers, deadlines) is in hj212_conn.c, shared through
 * hj212_int.h.
 */
#include "hj212_tcp.h"
#include "hj212_int.h"
#include "col_err.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/watchdog.h"
#include "diag.h"
#include "hj212.h"
#include "hj212_auth.h"
#include "ingest.h"
#include "core/log.h"
#include "store/store.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/snapshot.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HJ212_ACCEPTS_PER_PASS 32
#define HJ212_PASS_MS 200

/*
 * Commit the open batch, then let its responses leave (as far as each
 * client takes them now; the rest when its socket is writable); when the
 * commit failed, close the connections whose packets were in it, without a
 * response (their dataloggers resend).
 */
static void settle(struct hj212_tcp *t)
{
    int rc = ingest_commit(t->ig);

    for (size_t i = 0; i < t->max_conns; i++) {
        struct conn *c = t->conns[i];
        if (!c || !c->in_batch)
            continue;
        c->in_batch = false;
        if (rc) {
            c->n_wait = 0;
            hj212_conn_drop(t, (int)i, "storage failed; packets not acknowledged");
            continue;
        }
        c->n_out += c->n_wait;
        c->n_wait = 0;
        if (c->n_out)
            (void)hj212_conn_flush(t, (int)i);
    }
}

/*
 * Queue the answer @h owes (hj212_build_reply: none for replies, or when
 * the sender does not ask) on connection @i, to leave after the batch's
 * commit. When the connection's queue is full the batch is committed
 * first; if the client still takes nothing, the answer (to committed data)
 * is dropped and counted. Returns <0 when making room (a commit) failed;
 * then connection @i may be gone.
 */
static int queue_reply(struct hj212_tcp *t, int i, const struct hj212_header *h)
{
    struct conn *c = t->conns[i];
    int n;

    if (!hj212_conn_has_room(c)) {
        settle(t); /* no room for another response: commit what we have */
        if (t->conns[i] != c)
            return COL_ERR_IO;
        c->in_batch = true;
        if (!hj212_conn_has_room(c)) {
            ingest_note(t->ig, "hj212_responses_dropped", 1);
            return 0;
        }
    }
    n = hj212_build_reply(h, c->out + c->n_out + c->n_wait, sizeof(c->out) - c->n_out - c->n_wait);
    if (n <= 0)
        return 0;
    c->n_wait += (size_t)n;
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
 * Reject packet @pkt of connection @c for its password (@v: wrong, or none
 * configured where one is required): kept under reason auth, logged once a
 * minute, never answered. Returns <0 when the batch failed.
 */
static int reject_auth(struct hj212_tcp *t, const struct conn *c, const struct hj212_header *h,
                       enum hj212_auth_verdict v, const char *topic, const char *pkt, size_t len)
{
    char detail[DEC_DETAIL_MAX + 128];
    int64_t now = mono_ms();

    if (v == HJ212_AUTH_NONE)
        (void)snprintf(detail, sizeof(detail),
                       "no password is configured for MN %s and ingest.hj212_require_password is "
                       "on (from %s)",
                       h->mn, c->peer);
    else
        (void)snprintf(detail, sizeof(detail), "%s for MN %s (from %s)",
                       h->pw[0] ? "wrong password (PW)" : "no password (PW) sent", h->mn, c->peer);
    if (!t->auth_logged_ms || now - t->auth_logged_ms >= HJ212_DENIED_LOG_MS) {
        if (t->n_auth_unlogged)
            log_warn("hj212: rejected (auth): %s; %ld more in the last minute", detail,
                     t->n_auth_unlogged);
        else
            log_warn("hj212: rejected (auth): %s", detail);
        t->auth_logged_ms = now;
        t->n_auth_unlogged = 0;
    } else {
        t->n_auth_unlogged++;
    }
    return ingest_reject(t->ig, topic, "auth", detail, pkt, len, wall_ms());
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
    enum hj212_auth_verdict verdict;
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
    verdict = hj212_auth_check(t->auth, h.mn, h.pw);
    if (verdict == HJ212_AUTH_WRONG || verdict == HJ212_AUTH_NONE)
        return reject_auth(t, c, &h, verdict, topic, pkt, len); /* and no answer */
    /* A valid packet: the first-packet deadline is met and the idle clock starts again. */
    if (!c->is_valid)
        log_info("hj212: %s connected as %s", c->peer, h.mn);
    c->is_valid = true;
    c->last_ms = mono_ms();
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

/*
 * Handle the complete packets in connection @i's buffer, as far as its
 * response queue has room: a client that does not read its responses is
 * not read either (back pressure; its write timeout closes it).
 */
static void process_buf(struct hj212_tcp *t, int i)
{
    struct conn *c = t->conns[i];
    size_t start = 0, k = c->scanned;

    c->is_held = false;
    for (; k + 1 < c->n; k++) {
        if (c->buf[k] != '\r' || c->buf[k + 1] != '\n')
            continue;
        if (!hj212_conn_has_room(c)) {
            if (c->n_wait)
                settle(t); /* commit, so that the waiting responses may leave */
            if (t->conns[i] != c)
                return;
            if (!hj212_conn_has_room(c)) {
                c->is_held = true; /* until the client takes its responses */
                break;
            }
        }
        if (handle_packet(t, i, c->buf + start, k - start) < 0)
            return; /* the batch failed: settle() closes the connection */
        if (t->conns[i] != c)
            return;
        start = k + 2;
        k++;
    }
    memmove(c->buf, c->buf + start, c->n - start);
    c->n -= start;
    c->scanned = (k > start ? k : start) - start;
    if (c->n == sizeof(c->buf) && hj212_conn_has_room(c)) {
        ingest_reject(t->ig, c->peer, "malformed", "no CRLF within the HJ 212 packet limit", c->buf,
                      c->n, wall_ms());
        hj212_conn_drop(t, i, "packet longer than the HJ 212 limit");
    }
}

static void read_conn(struct hj212_tcp *t, int i)
{
    struct conn *c = t->conns[i];
    ssize_t r;

    if (c->n == sizeof(c->buf) || !hj212_conn_has_room(c))
        return; /* held: nothing more is read until there is room */
    r = recv(c->fd, c->buf + c->n, sizeof(c->buf) - c->n, MSG_DONTWAIT);
    if (r <= 0) {
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        hj212_conn_drop(t, i, r == 0 ? "closed by peer" : strerror(errno));
        return;
    }
    c->n += (size_t)r;
    process_buf(t, i);
}

/*
 * Go on with the packets held back for lack of room where the clients have
 * since taken their responses. True when there were any.
 */
static bool resume_held(struct hj212_tcp *t)
{
    bool any = false;

    for (size_t i = 0; i < t->max_conns; i++) {
        if (t->conns[i] && t->conns[i]->is_held && hj212_conn_has_room(t->conns[i])) {
            process_buf(t, (int)i);
            any = true;
        }
    }
    return any;
}

/* What a reload hands the thread: a snapshot and the passwords of its registry. */
struct hj212_next {
    const struct snapshot *snap; /* held */
    struct hj212_auth *auth;
};

static void next_free(struct hj212_next *n)
{
    if (!n)
        return;
    snapshot_release(n->snap);
    hj212_auth_free(n->auth);
    xfree(n);
}

/* Between passes: take up reloaded alert channels, and a reload handed over by
 * hj212_tcp_use_snapshot(). */
static void take_next(struct hj212_tcp *t)
{
    struct hj212_next *n = atomic_exchange(&t->next, NULL);
    struct hj212_auth *old;

    if (t->has_rules)
        t->rules_src->update(t->rules_src->ud, &t->rules, n ? n->snap : NULL);
    if (!n)
        return;
    if (ingest_reload(t->ig, n->snap))
        log_err("hj212: applying the new registry failed");
    old = t->auth;
    t->auth = n->auth;
    n->auth = old;
    log_info("hj212: reloaded profiles, registry, rules and %zu device passwords",
             hj212_auth_count(t->auth));
    next_free(n);
}

/*
 * One pass: deadlines, one poll() of at most HJ212_PASS_MS over the
 * listening socket and every connection (readable unless its responses are
 * backed up, writable when it has responses to take), then the reads and
 * writes it allows, the accepts, and the pass's commit. Nothing here waits
 * on a client: every socket is non-blocking, so a stop request is seen
 * within one pass and the commit that ends it.
 */
static void *run(void *arg)
{
    struct hj212_tcp *t = arg;
    int64_t next_flush = mono_ms() + 1000;

    while (!atomic_load(&t->stop)) {
        nfds_t n = 0;
        int64_t now = mono_ms();
        bool can_accept = false, is_busy;

        wd_beat_at(t->heart, now);
        take_next(t);
        if (now >= next_flush) {
            ingest_flush(t->ig);
            next_flush = now + 1000;
        }
        hj212_conn_check_deadlines(t, now);
        is_busy = resume_held(t);
        t->pfd[n].fd = t->listen_fd;
        t->pfd[n].events = POLLIN;
        t->pconn[n] = NULL;
        t->pslot[n++] = -1;
        for (size_t i = 0; i < t->max_conns; i++) {
            struct conn *c = t->conns[i];

            if (!c)
                continue;
            t->pfd[n].fd = c->fd;
            t->pfd[n].events =
                (short)((hj212_conn_has_room(c) ? POLLIN : 0) | (c->n_out ? POLLOUT : 0));
            t->pconn[n] = c;
            t->pslot[n++] = (int)i;
        }
        if (poll(t->pfd, n, is_busy ? 0 : HJ212_PASS_MS) > 0) {
            for (nfds_t k = 0; k < n; k++) {
                short ev = t->pfd[k].revents;
                int i = t->pslot[k];

                if (!ev)
                    continue;
                if (i < 0) {
                    can_accept = true;
                    continue;
                }
                if (t->conns[i] != t->pconn[k])
                    continue; /* closed (or its slot reused) earlier in this pass */
                if ((ev & (POLLOUT | POLLERR | POLLHUP)) && t->conns[i]->n_out &&
                    hj212_conn_flush(t, i) < 0)
                    continue;
                if (ev & (POLLIN | POLLHUP | POLLERR))
                    read_conn(t, i);
            }
            /* Accept last, so that a slot freed for a newcomer is not read in this pass. */
            for (int a = 0; can_accept && a < HJ212_ACCEPTS_PER_PASS; a++)
                if (!hj212_conn_accept(t))
                    break;
        }
        expire_parts(t);
        settle(t); /* one commit for the pass, then its responses */
    }
    ingest_flush(t->ig);
    return NULL;
}

/* The passwords for the devices of @snap's registry, or NULL (errors to @d). */
static struct hj212_auth *load_auth(const struct config *cfg, const struct snapshot *snap,
                                    struct diag *d)
{
    return hj212_auth_load(snapshot_registry(snap), cfg->ingest.hj212_password_dir,
                           cfg->ingest.hj212_require_password, d);
}

struct hj212_tcp *hj212_tcp_start(const struct config *cfg, const char *addr,
                                  const struct snapshot *snap,
                                  const struct hj212_rules_source *rules, struct watchdog *wd)
{
    struct hj212_tcp *t = xcalloc(1, sizeof(*t));
    struct diag d = {log_diag_line, NULL, 0};
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
    t->auth = load_auth(cfg, snap, &d);
    if (!t->auth)
        goto fail;
    t->ig = ingest_new(cfg, t->st, snap);
    if (!t->ig)
        goto fail;
    t->rules_src = rules;
    if (rules) {
        if (rules->open(rules->ud, t->st, snap, &t->rules))
            goto fail;
        t->has_rules = true;
        ingest_set_rules(t->ig, &t->rules);
    }
    t->max_conns = (size_t)cfg->ingest.hj212_max_connections;
    t->max_per_addr = (size_t)cfg->ingest.hj212_max_per_address;
    if (t->max_per_addr > t->max_conns)
        t->max_per_addr = t->max_conns;
    t->conns = xcalloc(t->max_conns, sizeof(*t->conns));
    t->pfd = xcalloc(t->max_conns + 1, sizeof(*t->pfd));
    t->pconn = xcalloc(t->max_conns + 1, sizeof(*t->pconn));
    t->pslot = xcalloc(t->max_conns + 1, sizeof(*t->pslot));
    if (!t->conns || !t->pfd || !t->pconn || !t->pslot)
        goto fail;
    if (cfg->ingest.hj212_allow.n) {
        t->allow = xcalloc(cfg->ingest.hj212_allow.n, sizeof(*t->allow));
        if (!t->allow)
            goto fail;
        for (size_t i = 0; i < cfg->ingest.hj212_allow.n; i++) {
            char why[160];

            if (cidr_parse(cfg->ingest.hj212_allow.v[i], &t->allow[i], why, sizeof(why))) {
                log_err("hj212: ingest.hj212_allow: %s", why); /* NEVER: config checked it */
                goto fail;
            }
        }
        t->n_allow = cfg->ingest.hj212_allow.n;
    }
    t->listen_fd = hj212_conn_listen(addr);
    if (t->listen_fd < 0)
        goto fail;
    t->wd = wd;
    t->heart = watchdog_heart(wd, "hj212");
    if (pthread_create(&t->thread, NULL, run, t)) {
        log_err("hj212: cannot start the listener thread");
        goto fail;
    }
    t->has_thread = true;
    log_info("hj212: listening on %s; %zu device passwords%s", addr, hj212_auth_count(t->auth),
             cfg->ingest.hj212_require_password ? ", devices without one refused"
                                                : ", devices without one accepted");
    return t;
fail:
    hj212_tcp_stop(t);
    return NULL;
}

int hj212_tcp_use_snapshot(struct hj212_tcp *t, const struct snapshot *snap, struct diag *d)
{
    struct hj212_next *n;

    if (!t)
        return 0;
    n = xcalloc(1, sizeof(*n));
    if (!n)
        return COL_ERR_NOMEM;
    n->auth = load_auth(t->cfg, snap, d);
    if (!n->auth) {
        xfree(n);
        return COL_ERR_CONFIG;
    }
    n->snap = snapshot_hold(snap);
    next_free(atomic_exchange(&t->next, n));
    return 0;
}

void hj212_tcp_stop(struct hj212_tcp *t)
{
    if (!t)
        return;
    atomic_store(&t->stop, 1);
    if (t->has_thread)
        pthread_join(t->thread, NULL);
    watchdog_heart_free(t->wd, t->heart);
    for (size_t i = 0; t->conns && i < t->max_conns; i++)
        if (t->conns[i])
            hj212_conn_drop(t, (int)i, "shutting down");
    xfree(t->conns);
    xfree(t->pfd);
    xfree(t->pconn);
    xfree(t->pslot);
    xfree(t->allow);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->has_thread)
        log_info("hj212: stopped after %ld packets, %ld acknowledged", t->n_packets, t->n_acks);
    ingest_free(t->ig);
    next_free(atomic_exchange(&t->next, NULL));
    hj212_auth_free(t->auth);
    hj212_reasm_free(t->reasm);
    if (t->has_rules)
        t->rules_src->close(&t->rules);
    store_close(t->st);
    xfree(t);
}
