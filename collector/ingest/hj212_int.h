/*
 * Internals shared by the two files of the HJ 212 TCP listener (see
 * hj212_tcp.h): hj212_tcp.c runs the thread, handles packets and commits a
 * pass's batch; hj212_conn.c keeps the connection table: the listening
 * socket, accepting under the allow list and the connection limits
 * (evicting the oldest idle connection when full), sending the queued
 * answers, and the deadlines. Both work on the same struct hj212_tcp from
 * the listener's thread only, so nothing here is locked.
 */
#ifndef HJ212_INT_H
#define HJ212_INT_H

#include "hj212.h"
#include "hj212_tcp.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr;
struct hj212_auth;
struct hj212_next;
struct hj212_reasm;
struct wd_heart;

#define HJ212_BUF (HJ212_PACKET_LONG_MAX + 64)
#define HJ212_RESP_MAX 256
#define HJ212_OUT_BUF (16 * HJ212_RESP_MAX)
#define HJ212_DENIED_LOG_MS 60000
#define HJ212_DENIED_SLOTS 32

struct conn {
    int fd;
    char peer[64];
    struct sockaddr_storage addr; /* the source, for the per-address limit */
    size_t n;                     /* bytes in buf */
    size_t scanned;               /* bytes of buf already searched for CRLF */
    int64_t open_ms;              /* accepted (monotonic) */
    int64_t last_ms;              /* last valid packet, or open_ms */
    bool is_valid;                /* has sent a valid packet (first-packet deadline met) */
    bool in_batch;                /* packets of this connection are in the open batch */
    bool is_held;                 /* packets wait in buf for room among the responses */
    /* out[0..n_out) answers committed data and may be sent; out[n_out..n_out+n_wait)
     * waits for the open batch's commit. */
    size_t n_out, n_wait;
    int64_t stall_ms; /* since when the client has taken none of out; 0 when out is empty */
    char out[HJ212_OUT_BUF];
    char buf[HJ212_BUF];
};

/* A disallowed source, remembered so that it is logged once a minute. */
struct denied {
    struct sockaddr_storage addr;
    int64_t logged_ms;
    long n_since;
};

struct hj212_tcp {
    const struct config *cfg;
    pthread_t thread;
    bool has_thread;
    int listen_fd;
    atomic_int stop;
    _Atomic(struct hj212_next *) next; /* a reload handed over, taken between passes */
    struct store *st;
    struct ingest *ig;
    const struct hj212_rules_source *rules_src; /* borrowed; NULL = no rules */
    struct ingest_rules rules;                  /* instant rules on the packets' readings */
    bool has_rules;
    struct hj212_auth *auth; /* device passwords */
    int64_t auth_logged_ms;  /* wrong passwords are logged once a minute */
    long n_auth_unlogged;
    struct cidr *allow; /* ingest.hj212_allow, parsed; n_allow 0 = every source */
    size_t n_allow;
    struct denied denied[HJ212_DENIED_SLOTS];
    size_t max_conns, max_per_addr;
    struct conn **conns;                   /* max_conns slots */
    struct pollfd *pfd;                    /* max_conns + 1 */
    struct conn **pconn;                   /* the connection each pfd entry was made for */
    int *pslot;                            /* and its slot */
    struct hj212_reasm *reasm;             /* split messages waiting for their parts */
    char whole[HJ212_PACKET_LONG_MAX + 1]; /* a reassembled message, off the stack */
    long n_packets, n_acks;
    struct watchdog *wd;
    struct wd_heart *heart; /* beaten every pass of the loop */
};

/* Whether connection @c's answer queue has room for one more answer. */
static inline bool hj212_conn_has_room(const struct conn *c)
{
    return sizeof(c->out) - c->n_out - c->n_wait >= HJ212_RESP_MAX;
}

/* The listening socket for @addr ("host:port"), non-blocking; -1 on failure (logged). */
int hj212_conn_listen(const char *addr);

/*
 * Accept one waiting connection, under the allow list and the limits (an
 * address at its limit, or a full table, makes room by closing its oldest
 * idle connection). False when none was waiting.
 */
bool hj212_conn_accept(struct hj212_tcp *t);

/* Close connection @i (its slot becomes free) because of @why. */
void hj212_conn_drop(struct hj212_tcp *t, int i, const char *why);

/*
 * Send what connection @i may send, without blocking. Returns 0, or <0
 * when the connection failed and was closed.
 */
int hj212_conn_flush(struct hj212_tcp *t, int i);

/* Close the connections whose deadlines have passed at @now (monotonic ms). */
void hj212_conn_check_deadlines(struct hj212_tcp *t, int64_t now);

#endif
