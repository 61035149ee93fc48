/*
 * Reassembly of split HJ 212 messages (see hj212.h). A message sent as
 * PNUM packets is stored only once every part is here, so that it is kept
 * whole or rejected whole, never half. The buffer is one allocation of
 * fixed slots: a datalogger cannot make the listener allocate, and a slot
 * whose parts never all come is handed back by hj212_reasm_expired() for
 * the caller to reject with every part it holds. Parts are kept as the
 * packets that came, so a reject keeps exactly what was sent.
 */
#include "hj212.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "col_err.h"
#include "xalloc.h"

struct reasm_part {
    size_t off, len; /* the packet, in the message's buf */
    int pno;
};

struct reasm_msg {
    bool is_used;
    char mn[HJ212_MN_MAX + 1];
    char qn[HJ212_QN_MAX + 1];
    int cn, pnum;
    enum dec_crc crc;
    int64_t first_ms;
    size_t n_parts, used;
    struct reasm_part parts[HJ212_REASM_PARTS]; /* in PNO order */
    char buf[HJ212_REASM_BYTES];
};

struct hj212_reasm {
    int64_t timeout_ms;
    struct reasm_msg msgs[HJ212_REASM_MESSAGES];
    char seg[HJ212_SEG_LONG_MAX + 1]; /* hj212_reasm_build's scratch, off the stack */
};

struct hj212_reasm *hj212_reasm_new(int64_t timeout_ms)
{
    struct hj212_reasm *r = xcalloc(1, sizeof(*r));

    if (r)
        r->timeout_ms = timeout_ms;
    return r;
}

void hj212_reasm_free(struct hj212_reasm *r)
{
    xfree(r);
}

static bool same_message(const struct reasm_msg *m, const struct hj212_header *h)
{
    if (!m->is_used || m->pnum != h->pnum || strcmp(m->mn, h->mn) != 0)
        return false;
    if (m->qn[0] || h->qn[0])
        return strcmp(m->qn, h->qn) == 0;
    return m->cn == h->cn;
}

int hj212_reasm_add(struct hj212_reasm *r, const struct hj212_header *h, enum dec_crc crc,
                    const char *pkt, size_t len, int64_t now_ms, int *msg)
{
    struct reasm_msg *m = NULL;
    size_t at;
    int slot = -1;

    if (h->pnum <= 0 || h->pno <= 0 || h->pnum > HJ212_REASM_PARTS || h->pno > h->pnum)
        return COL_ERR_RANGE;
    for (int i = 0; i < HJ212_REASM_MESSAGES && slot < 0; i++)
        if (same_message(&r->msgs[i], h))
            slot = i;
    for (int i = 0; i < HJ212_REASM_MESSAGES && slot < 0; i++)
        if (!r->msgs[i].is_used)
            slot = i;
    if (slot < 0)
        return COL_ERR_RANGE;
    m = &r->msgs[slot];
    if (!m->is_used) {
        memset(m, 0, offsetof(struct reasm_msg, buf));
        m->is_used = true;
        (void)snprintf(m->mn, sizeof(m->mn), "%s", h->mn);
        (void)snprintf(m->qn, sizeof(m->qn), "%s", h->qn);
        m->cn = h->cn;
        m->pnum = h->pnum;
        m->crc = crc;
        m->first_ms = now_ms;
    }
    *msg = slot;
    for (at = 0; at < m->n_parts && m->parts[at].pno < h->pno; at++)
        ;
    if (at < m->n_parts && m->parts[at].pno == h->pno)
        return HJ212_REASM_DUPLICATE;
    if (len > sizeof(m->buf) - m->used)
        return COL_ERR_RANGE;
    memmove(&m->parts[at + 1], &m->parts[at], (m->n_parts - at) * sizeof(m->parts[0]));
    m->parts[at] = (struct reasm_part){m->used, len, h->pno};
    memcpy(m->buf + m->used, pkt, len);
    m->used += len;
    m->n_parts++;
    return m->n_parts == (size_t)m->pnum ? HJ212_REASM_COMPLETE : HJ212_REASM_PENDING;
}

static int build_fail(struct dec_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int build_fail(struct dec_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        err->code = code;
        va_start(ap, fmt);
        (void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Append @n bytes at @p to @seg (capacity @cap, length *@len); false when full. */
static bool put(char *seg, size_t cap, size_t *len, const char *p, size_t n)
{
    if (n > cap - *len)
        return false;
    memcpy(seg + *len, p, n);
    *len += n;
    return true;
}

int hj212_reasm_build(struct hj212_reasm *r, int msg, char *out, size_t outsz,
                      struct dec_error *err)
{
    char *seg = r->seg;
    const size_t cap = sizeof(r->seg) - 1;
    const struct reasm_msg *m;
    const char *dt = NULL;
    size_t dt_len = 0, n = 0;
    bool any_group = false;
    char head[HJ212_SEG_MAX + 1];
    int hn;

    if (msg < 0 || msg >= HJ212_REASM_MESSAGES || !r->msgs[msg].is_used)
        return COL_ERR_RANGE;
    m = &r->msgs[msg];
    for (size_t i = 0; i < m->n_parts; i++) {
        struct hj212_header h;
        const char *s, *cp_end;
        size_t s_len;
        const char *g;

        if (hj212_unframe_mode(m->buf + m->parts[i].off, m->parts[i].len, m->crc, &s, &s_len, NULL,
                               err) ||
            hj212_parse_header(s, s_len, &h, err))
            return build_fail(err, DEC_ERR_SHAPE, "part %d no longer parses", m->parts[i].pno);
        if (i == 0) {
            /* The first part's header, as one packet: no PNUM/PNO, no split bit. */
            hn = snprintf(head, sizeof(head), "%s%s%sST=%s;CN=%04d;PW=%s;MN=%s;",
                          h.qn[0] ? "QN=" : "", h.qn, h.qn[0] ? ";" : "", h.st_text, h.cn, h.pw,
                          h.mn);
            if (hn < 0 || (size_t)hn >= sizeof(head))
                return COL_ERR_RANGE;
            if (h.flag >= 0)
                hn += snprintf(head + hn, sizeof(head) - (size_t)hn, "Flag=%d;",
                               h.flag & ~HJ212_FLAG_SPLIT);
            if (!put(seg, cap, &n, head, (size_t)hn) || !put(seg, cap, &n, "CP=&&", 5))
                return COL_ERR_RANGE;
        }
        cp_end = h.cp + h.cp_len;
        for (g = h.cp; g < cp_end;) {
            const char *semi = memchr(g, ';', (size_t)(cp_end - g));
            size_t glen = semi ? (size_t)(semi - g) : (size_t)(cp_end - g);

            if (glen > 9 && memcmp(g, "DataTime=", 9) == 0) {
                if (!dt) {
                    dt = g;
                    dt_len = glen;
                } else if (glen == dt_len && memcmp(g, dt, glen) == 0) {
                    g += glen + (semi ? 1 : 0);
                    continue; /* the same DataTime again: taken once */
                } else {
                    return build_fail(err, DEC_ERR_SHAPE, "part %d says %.*s, an earlier part %.*s",
                                      m->parts[i].pno, (int)(glen < 40 ? glen : 40), g,
                                      (int)(dt_len < 40 ? dt_len : 40), dt);
                }
            }
            if (glen > 0) {
                if ((any_group && !put(seg, cap, &n, ";", 1)) || !put(seg, cap, &n, g, glen))
                    return COL_ERR_RANGE;
                any_group = true;
            }
            g += glen + (semi ? 1 : 0);
        }
    }
    if (!put(seg, cap, &n, "&&", 2))
        return COL_ERR_RANGE;
    hn = hj212_frame_mode(seg, n, m->crc, out, outsz);
    return hn < 0 ? COL_ERR_RANGE : hn;
}

size_t hj212_reasm_n_parts(const struct hj212_reasm *r, int msg)
{
    if (msg < 0 || msg >= HJ212_REASM_MESSAGES || !r->msgs[msg].is_used)
        return 0;
    return r->msgs[msg].n_parts;
}

const char *hj212_reasm_part(const struct hj212_reasm *r, int msg, size_t i, size_t *len)
{
    const struct reasm_msg *m;

    if (msg < 0 || msg >= HJ212_REASM_MESSAGES || !r->msgs[msg].is_used ||
        i >= r->msgs[msg].n_parts)
        return NULL;
    m = &r->msgs[msg];
    *len = m->parts[i].len;
    return m->buf + m->parts[i].off;
}

int hj212_reasm_pnum(const struct hj212_reasm *r, int msg)
{
    if (msg < 0 || msg >= HJ212_REASM_MESSAGES || !r->msgs[msg].is_used)
        return 0;
    return r->msgs[msg].pnum;
}

void hj212_reasm_drop(struct hj212_reasm *r, int msg)
{
    if (msg >= 0 && msg < HJ212_REASM_MESSAGES)
        r->msgs[msg].is_used = false;
}

int hj212_reasm_expired(const struct hj212_reasm *r, int64_t now_ms)
{
    for (int i = 0; i < HJ212_REASM_MESSAGES; i++)
        if (r->msgs[i].is_used && now_ms - r->msgs[i].first_ms >= r->timeout_ms)
            return i;
    return -1;
}
