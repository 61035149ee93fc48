/*
 * The HJ 212 listener's connection table (see hj212_int.h): the listening
 * socket, accepting, the limits that bound a hostile client, and each
 * connection's queue of answers on its way out. Every source may be
 * hostile: an allow list closes connections from elsewhere at accept
 * (logged once a minute per address); an address may hold
 * ingest.hj212_max_per_address connections and the table
 * ingest.hj212_max_connections, and at a limit the oldest idle connection
 * makes room rather than the newcomer being refused; deadlines close a
 * connection that sends no valid packet, goes idle, or takes no answers.
 */
#include "col_err.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "hj212_int.h"
#include "ingest.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HJ212_SNDBUF 16384

int hj212_conn_listen(const char *addr)
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
    /* Non-blocking: a connection that is reset between poll() and accept()
     * must not leave the thread waiting in accept(). */
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
        log_err("hj212: cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * Close connection @i. A connection that never sent a valid packet is
 * logged at debug level only: a flood of hostile sockets must not flood
 * the log (the notes count them).
 */
void hj212_conn_drop(struct hj212_tcp *t, int i, const char *why)
{
    struct conn *c = t->conns[i];

    if (c->is_valid)
        log_info("hj212: closing %s (%s)", c->peer, why);
    else
        log_dbg("hj212: closing %s (%s)", c->peer, why);
    close(c->fd);
    xfree(c);
    t->conns[i] = NULL;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

/*
 * The connection to close to make room: among those from @addr (NULL: all),
 * the one that has waited longest for its first valid packet, or else the
 * one whose last valid packet is oldest. -1 when there is none.
 */
static int oldest_idle(const struct hj212_tcp *t, const struct sockaddr_storage *addr)
{
    int best = -1;

    for (size_t i = 0; i < t->max_conns; i++) {
        const struct conn *c = t->conns[i], *b;

        if (!c || (addr && !same_host(&c->addr, addr)))
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        b = t->conns[best];
        if (c->is_valid != b->is_valid) {
            if (!c->is_valid)
                best = (int)i;
        } else if ((c->is_valid ? c->last_ms : c->open_ms) <
                   (b->is_valid ? b->last_ms : b->open_ms)) {
            best = (int)i;
        }
    }
    return best;
}

/*
 * Close the oldest idle connection (among those from @addr; NULL: all) to
 * make room, counted as the note @note. Returns its slot, now free, or -1
 * when there was none to close.
 */
static int evict(struct hj212_tcp *t, const struct sockaddr_storage *addr, const char *note,
                 const char *why)
{
    int victim = oldest_idle(t, addr);

    if (victim < 0)
        return -1;
    ingest_note(t->ig, note, 1);
    hj212_conn_drop(t, victim, why);
    return victim;
}

/* Log a refused source at most once a minute per address. */
static void log_denied(struct hj212_tcp *t, const struct sockaddr_storage *sa, const char *peer,
                       int64_t now)
{
    struct denied *d = NULL, *oldest = &t->denied[0];

    for (size_t i = 0; i < HJ212_DENIED_SLOTS && !d; i++) {
        if (t->denied[i].logged_ms && same_host(&t->denied[i].addr, sa))
            d = &t->denied[i];
        else if (t->denied[i].logged_ms < oldest->logged_ms)
            oldest = &t->denied[i];
    }
    if (d && now - d->logged_ms < HJ212_DENIED_LOG_MS) {
        d->n_since++;
        return;
    }
    if (!d) {
        d = oldest;
        d->addr = *sa;
        d->n_since = 0;
    }
    if (d->n_since)
        log_warn("hj212: refusing connections from %s: not in ingest.hj212_allow (%ld more "
                 "in the last minute)",
                 peer, d->n_since);
    else
        log_warn("hj212: refusing connections from %s: not in ingest.hj212_allow", peer);
    d->logged_ms = now;
    d->n_since = 0;
}

/* Accept one waiting connection; false when none was waiting. */
bool hj212_conn_accept(struct hj212_tcp *t)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int fd = accept4(t->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    char peer[64];
    struct conn *c;
    int slot = -1, n_same = 0;
    size_t n_open = 0;
    int64_t now = mono_ms();

    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            log_warn("hj212: accept: %s", strerror(errno));
        return errno == EINTR || errno == ECONNABORTED;
    }
    if (getnameinfo((struct sockaddr *)&sa, len, peer, sizeof(peer), NULL, 0, NI_NUMERICHOST))
        snprintf(peer, sizeof(peer), "?");
    if (t->n_allow && !cidr_match_any(t->allow, t->n_allow, (struct sockaddr *)&sa)) {
        ingest_note(t->ig, "hj212_conn_denied", 1);
        log_denied(t, &sa, peer, now);
        close(fd);
        return true;
    }
    for (size_t i = 0; i < t->max_conns; i++) {
        if (!t->conns[i]) {
            if (slot < 0)
                slot = (int)i;
            continue;
        }
        n_open++;
        if (same_host(&t->conns[i]->addr, &sa))
            n_same++;
    }
    if ((size_t)n_same >= t->max_per_addr) {
        /* One address may not take the places of others: it makes room among its own. */
        slot = evict(t, &sa, "hj212_conn_address_limit",
                     "its address has ingest.hj212_max_per_address connections");
    } else if (n_open >= t->max_conns) {
        slot = evict(t, NULL, "hj212_conn_evicted",
                     "ingest.hj212_max_connections reached: oldest idle connection");
    }
    /* At a limit there is a connection to evict (max_per_addr >= 1), and below
     * them a free slot; should neither be found, the newcomer is refused. */
    if (NEVER(slot < 0)) {
        log_warn("hj212: refusing a connection from %s: no free slot", peer);
        close(fd);
        return true;
    }
    c = xcalloc(1, sizeof(*c));
    if (!c) {
        log_warn("hj212: refusing a connection from %s: no memory", peer);
        close(fd);
        return true;
    }
    /* Answers are ~120 bytes: a small fixed send buffer (no autotuning) bounds the
     * kernel memory a client that never reads can pin, and how much it can be
     * sent before its write timeout runs. */
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){HJ212_SNDBUF}, sizeof(int));
    c->fd = fd;
    c->addr = sa;
    c->open_ms = c->last_ms = now;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    t->conns[slot] = c;
    log_dbg("hj212: connection from %s", c->peer);
    return true;
}

/*
 * Send what connection @i may send, without blocking. Returns 0, or <0
 * when the connection failed and was closed.
 */
int hj212_conn_flush(struct hj212_tcp *t, int i)
{
    struct conn *c = t->conns[i];
    size_t sent = 0;

    while (sent < c->n_out) {
        ssize_t w = send(c->fd, c->out + sent, c->n_out - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            hj212_conn_drop(t, i, "cannot send the responses");
            return COL_ERR_IO;
        }
        sent += (size_t)w;
    }
    if (sent) {
        memmove(c->out, c->out + sent, c->n_out + c->n_wait - sent);
        c->n_out -= sent;
        c->stall_ms = 0; /* the client takes its responses: its write timeout starts again */
    }
    if (c->n_out && !c->stall_ms)
        c->stall_ms = mono_ms();
    if (!c->n_out)
        c->stall_ms = 0;
    return 0;
}

/* Close the connections whose deadlines have passed. */
void hj212_conn_check_deadlines(struct hj212_tcp *t, int64_t now)
{
    const struct cfg_ingest *ic = &t->cfg->ingest;

    for (size_t i = 0; i < t->max_conns; i++) {
        struct conn *c = t->conns[i];

        if (!c || c->in_batch)
            continue;
        if (c->n_out && c->stall_ms && now - c->stall_ms > ic->hj212_write_timeout_ms) {
            char why[128];

            snprintf(why, sizeof(why),
                     "takes no responses: %zu bytes of them dropped after "
                     "ingest.hj212_write_timeout",
                     c->n_out);
            ingest_note(t->ig, "hj212_conn_write_timeout", 1);
            hj212_conn_drop(t, (int)i, why);
        } else if (!c->is_valid && now - c->open_ms > ic->hj212_first_packet_timeout_ms) {
            ingest_note(t->ig, "hj212_conn_first_packet_timeout", 1);
            hj212_conn_drop(t, (int)i, "no valid packet within ingest.hj212_first_packet_timeout");
        } else if (c->is_valid && now - c->last_ms > ic->hj212_idle_timeout_ms) {
            ingest_note(t->ig, "hj212_conn_idle_timeout", 1);
            hj212_conn_drop(t, (int)i, "idle longer than ingest.hj212_idle_timeout");
        }
    }
}
