/*
 * HJ 212-2017 packet helpers: CRC (Appendix A), framing, the data segment
 * header and the 9014 data response. Everything works on (pointer, length)
 * spans because packets arrive from MQTT and TCP without a NUL; nothing
 * here reads past the length it is given. Header values are copied into
 * fixed arrays of struct hj212_header so the caller needs no allocation.
 */
#include "hj212.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "col_err.h"

static void set_err(struct dec_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(struct dec_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    err->code = code;
    va_start(ap, fmt);
    (void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

uint16_t hj212_crc16(const char *data, size_t len)
{
    uint16_t crc = 0xFFFF;

    for (size_t i = 0; i < len; i++) {
        crc = (uint16_t)((crc >> 8) ^ (unsigned char)data[i]);
        for (int bit = 0; bit < 8; bit++) {
            unsigned chk = crc & 1u;

            crc >>= 1;
            if (chk)
                crc ^= 0xA001;
        }
    }
    return crc;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Segment text: printable ASCII, or bytes of UTF-8 sequences (Chinese text). */
static bool seg_char_ok(char c)
{
    unsigned char u = (unsigned char)c;

    return u >= 0x20 && u != 0x7F;
}

int hj212_frame(const char *segment, size_t seg_len, char *out, size_t outsz)
{
    static const char hex[] = "0123456789ABCDEF";
    uint16_t crc;
    char *p;

    if (!segment || seg_len == 0 || seg_len > HJ212_SEG_MAX)
        return COL_ERR_INVAL;
    for (size_t i = 0; i < seg_len; i++) {
        if (!seg_char_ok(segment[i]))
            return COL_ERR_INVAL;
    }
    if (!out || outsz < seg_len + HJ212_OVERHEAD + 1)
        return COL_ERR_RANGE;

    p = out;
    *p++ = '#';
    *p++ = '#';
    *p++ = (char)('0' + seg_len / 1000);
    *p++ = (char)('0' + seg_len / 100 % 10);
    *p++ = (char)('0' + seg_len / 10 % 10);
    *p++ = (char)('0' + seg_len % 10);
    memcpy(p, segment, seg_len);
    p += seg_len;
    crc = hj212_crc16(segment, seg_len);
    *p++ = hex[(crc >> 12) & 0xF];
    *p++ = hex[(crc >> 8) & 0xF];
    *p++ = hex[(crc >> 4) & 0xF];
    *p++ = hex[crc & 0xF];
    *p++ = '\r';
    *p++ = '\n';
    *p = '\0';
    return (int)(p - out);
}

int hj212_unframe(const char *pkt, size_t len, const char **seg, size_t *seg_len,
                  struct dec_error *err)
{
    size_t body = len; /* bytes before the optional CRLF */
    size_t declared = 0;
    size_t actual;
    unsigned crc_sent = 0;
    uint16_t crc;

    if (len >= 2 && pkt[len - 2] == '\r' && pkt[len - 1] == '\n')
        body = len - 2;
    if (body < 2 || pkt[0] != '#' || pkt[1] != '#') {
        set_err(err, DEC_ERR_FRAMING, "packet does not start with \"##\"");
        return DEC_ERR_FRAMING;
    }
    if (body < HJ212_OVERHEAD - 2) {
        set_err(err, DEC_ERR_FRAMING, "packet of %zu bytes is shorter than its frame", len);
        return DEC_ERR_FRAMING;
    }
    for (size_t i = 2; i < 6; i++) {
        if (!is_digit(pkt[i])) {
            set_err(err, DEC_ERR_FRAMING, "length field \"%.4s\" is not 4 digits", pkt + 2);
            return DEC_ERR_FRAMING;
        }
        declared = declared * 10 + (size_t)(pkt[i] - '0');
    }
    actual = body - (HJ212_OVERHEAD - 2);
    if (declared != actual) {
        set_err(err, DEC_ERR_FRAMING, "length field says %zu but the data segment has %zu bytes%s",
                declared, actual, body == len ? " (or the CRLF is damaged)" : "");
        return DEC_ERR_FRAMING;
    }
    for (size_t i = body - 4; i < body; i++) {
        int v = hex_value(pkt[i]);

        if (v < 0) {
            set_err(err, DEC_ERR_FRAMING, "CRC field \"%.4s\" is not 4 hex digits", pkt + body - 4);
            return DEC_ERR_FRAMING;
        }
        crc_sent = crc_sent << 4 | (unsigned)v;
    }
    crc = hj212_crc16(pkt + 6, actual);
    if (crc != crc_sent) {
        set_err(err, DEC_ERR_CRC, "CRC is %04X, packet says %04X", crc, crc_sent);
        return DEC_ERR_CRC;
    }
    *seg = pkt + 6;
    *seg_len = actual;
    return 0;
}

/* A header value: @n bytes at @v. */
struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Decimal of @min..@max digits into *out. */
static bool span_uint(struct span s, size_t min, size_t max, int *out)
{
    int v = 0;

    if (s.n < min || s.n > max)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        if (!is_digit(s.p[i]))
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return true;
}

/* Identifier text for PW and MN: letters, digits, '-', '_' and '.'. */
static bool span_copy_id(struct span s, char *dst, size_t dstsz)
{
    if (s.n == 0 || s.n >= dstsz)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        bool ok = is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
                  c == '_' || c == '.';

        if (!ok)
            return false;
    }
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return true;
}

enum hdr_key { K_QN, K_ST, K_CN, K_PW, K_MN, K_FLAG, K_PNUM, K_PNO, K_COUNT };

static const char *const hdr_names[K_COUNT] = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"};

/* Store one header field; 0 or a DEC_ERR_* with the reason in @err. */
static int header_field(struct hj212_header *h, int key, struct span v, struct dec_error *err)
{
    bool ok = false;

    switch (key) {
    case K_QN:
        ok = v.n >= 1 && v.n <= HJ212_QN_MAX;
        for (size_t i = 0; ok && i < v.n; i++)
            ok = is_digit(v.p[i]);
        if (ok) {
            memcpy(h->qn, v.p, v.n);
            h->qn[v.n] = '\0';
        }
        break;
    case K_ST:
        ok = span_uint(v, 2, 2, &h->st);
        break;
    case K_CN:
        ok = span_uint(v, 4, 4, &h->cn);
        break;
    case K_PW:
        ok = span_copy_id(v, h->pw, sizeof(h->pw));
        break;
    case K_MN:
        ok = span_copy_id(v, h->mn, sizeof(h->mn));
        break;
    case K_FLAG:
        ok = span_uint(v, 1, 3, &h->flag) && h->flag <= 255;
        break;
    case K_PNUM:
        ok = span_uint(v, 1, 4, &h->pnum) && h->pnum > 0;
        break;
    case K_PNO:
        ok = span_uint(v, 1, 4, &h->pno) && h->pno > 0;
        break;
    default:
        break;
    }
    if (!ok) {
        set_err(err, DEC_ERR_SYNTAX, "bad %s value \"%.*s\"", hdr_names[key],
                (int)(v.n < 32 ? v.n : 32), v.p);
        return DEC_ERR_SYNTAX;
    }
    return 0;
}

int hj212_parse_header(const char *seg, size_t len, struct hj212_header *h, struct dec_error *err)
{
    static const int required[] = {K_ST, K_CN, K_PW, K_MN};
    unsigned seen = 0;
    size_t pos = 0;
    int rc;

    memset(h, 0, sizeof(*h));
    h->flag = -1;
    for (size_t i = 0; i < len; i++) {
        if (!seg_char_ok(seg[i])) {
            set_err(err, DEC_ERR_SYNTAX, "control character 0x%02X at offset %zu",
                    (unsigned char)seg[i], i);
            return DEC_ERR_SYNTAX;
        }
    }
    for (;;) {
        struct span key = {seg + pos, 0};
        struct span val;
        int k;

        while (pos + key.n < len && seg[pos + key.n] != '=' && seg[pos + key.n] != ';')
            key.n++;
        if (pos + key.n >= len || seg[pos + key.n] != '=') {
            set_err(err, DEC_ERR_SYNTAX, "field at offset %zu has no '=' (no CP=&&...&&?)", pos);
            return DEC_ERR_SYNTAX;
        }
        if (span_is(key, "CP"))
            break;
        pos += key.n + 1;
        val.p = seg + pos;
        val.n = 0;
        while (pos + val.n < len && seg[pos + val.n] != ';')
            val.n++;
        if (pos + val.n >= len) {
            set_err(err, DEC_ERR_SYNTAX, "field \"%.*s\" is not ended by ';'",
                    (int)(key.n < 16 ? key.n : 16), key.p);
            return DEC_ERR_SYNTAX;
        }
        for (k = 0; k < K_COUNT; k++) {
            if (span_is(key, hdr_names[k]))
                break;
        }
        if (k == K_COUNT) {
            set_err(err, DEC_ERR_SYNTAX, "unknown header field \"%.*s\"",
                    (int)(key.n < 16 ? key.n : 16), key.p);
            return DEC_ERR_SYNTAX;
        }
        if (seen & (1u << k)) {
            set_err(err, DEC_ERR_SHAPE, "header field %s appears twice", hdr_names[k]);
            return DEC_ERR_SHAPE;
        }
        seen |= 1u << k;
        rc = header_field(h, k, val, err);
        if (rc)
            return rc;
        pos += val.n + 1;
    }
    /* seg + pos is "CP=", and CP is the last field of the segment. */
    pos += 3;
    if (len - pos < 4 || memcmp(seg + pos, "&&", 2) != 0 || memcmp(seg + len - 2, "&&", 2) != 0) {
        set_err(err, DEC_ERR_SYNTAX, "CP is not \"&&...&&\" at the end of the segment");
        return DEC_ERR_SYNTAX;
    }
    h->cp = seg + pos + 2;
    h->cp_len = len - pos - 4;

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!(seen & (1u << required[i]))) {
            set_err(err, DEC_ERR_SHAPE, "header has no %s", hdr_names[required[i]]);
            return DEC_ERR_SHAPE;
        }
    }
    if ((h->pnum == 0) != (h->pno == 0)) {
        set_err(err, DEC_ERR_SHAPE, "PNUM and PNO must come together");
        return DEC_ERR_SHAPE;
    }
    if (h->flag >= 0 && (h->flag & HJ212_FLAG_SPLIT) && h->pnum == 0) {
        set_err(err, DEC_ERR_SHAPE, "Flag=%d marks a split packet but PNUM/PNO are missing",
                h->flag);
        return DEC_ERR_SHAPE;
    }
    if (h->pno > h->pnum) {
        set_err(err, DEC_ERR_SHAPE, "PNO=%d is beyond PNUM=%d", h->pno, h->pnum);
        return DEC_ERR_SHAPE;
    }
    return 0;
}

bool hj212_wants_ack(const struct hj212_header *h)
{
    return h && h->flag >= 0 && (h->flag & HJ212_FLAG_ACK);
}

int hj212_build_response(const struct hj212_header *req, char *out, size_t outsz)
{
    char seg[HJ212_SEG_MAX + 1];
    int n;

    if (!req || req->qn[0] == '\0')
        return COL_ERR_INVAL;
    n = snprintf(seg, sizeof(seg), "QN=%s;ST=%d;CN=%d;PW=%s;MN=%s;Flag=%d;CP=&&&&", req->qn,
                 HJ212_ST_SYSTEM, HJ212_CN_DATA_ACK, req->pw, req->mn,
                 HJ212_VERSION_2017 << HJ212_FLAG_VERSION_SHIFT);
    if (n < 0 || (size_t)n >= sizeof(seg))
        return COL_ERR_INVAL;
    return hj212_frame(seg, (size_t)n, out, outsz);
}

bool hj212_cn_is_data(int cn)
{
    return cn == HJ212_CN_RTD || cn == HJ212_CN_DAY || cn == HJ212_CN_MIN || cn == HJ212_CN_HOUR;
}
