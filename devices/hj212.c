/*
 * HJ 212-2017 packet helpers: CRC (Appendix A, and the Modbus CRC-16 of
 * devices that send it), framing, the data segment header, command classes
 * and the replies owed to them. Everything works on (pointer, length)
 * spans because packets arrive from MQTT and TCP without a NUL; nothing
 * here reads past the length it is given. Header values are copied into
 * fixed arrays of struct hj212_header so the caller needs no allocation.
 * Split-message reassembly lives in hj212_reasm.c.
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

uint16_t hj212_crc16_modbus(const char *data, size_t len)
{
    uint16_t crc = 0xFFFF;

    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned char)data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
    }
    return crc;
}

uint16_t hj212_crc_for(enum dec_crc mode, const char *data, size_t len)
{
    uint16_t c;

    switch (mode) {
    case DEC_CRC_MODBUS:
        return hj212_crc16_modbus(data, len);
    case DEC_CRC_MODBUS_SWAPPED:
        c = hj212_crc16_modbus(data, len);
        return (uint16_t)((c >> 8) | (c << 8));
    default:
        return hj212_crc16(data, len);
    }
}

static const char *const crc_names[] = {
    [DEC_CRC_HJ212] = "hj212",
    [DEC_CRC_MODBUS] = "modbus",
    [DEC_CRC_MODBUS_SWAPPED] = "modbus-swapped",
    [DEC_CRC_ANY] = "any",
};

const char *hj212_crc_name(enum dec_crc mode)
{
    if ((unsigned)mode >= sizeof(crc_names) / sizeof(crc_names[0]))
        return NULL;
    return crc_names[mode];
}

int hj212_crc_parse(const char *name, enum dec_crc *out)
{
    for (size_t i = 0; i < sizeof(crc_names) / sizeof(crc_names[0]); i++) {
        if (strcmp(name, crc_names[i]) == 0) {
            *out = (enum dec_crc)i;
            return 0;
        }
    }
    return COL_ERR_INVAL;
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

static int frame(const char *segment, size_t seg_len, size_t max, enum dec_crc mode, char *out,
                 size_t outsz)
{
    static const char hex[] = "0123456789ABCDEF";
    uint16_t crc;
    char *p;

    if (!segment || seg_len == 0 || seg_len > max || mode == DEC_CRC_ANY)
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
    crc = hj212_crc_for(mode, segment, seg_len);
    *p++ = hex[(crc >> 12) & 0xF];
    *p++ = hex[(crc >> 8) & 0xF];
    *p++ = hex[(crc >> 4) & 0xF];
    *p++ = hex[crc & 0xF];
    *p++ = '\r';
    *p++ = '\n';
    *p = '\0';
    return (int)(p - out);
}

int hj212_frame(const char *segment, size_t seg_len, char *out, size_t outsz)
{
    return frame(segment, seg_len, HJ212_SEG_MAX, DEC_CRC_HJ212, out, outsz);
}

int hj212_frame_mode(const char *segment, size_t seg_len, enum dec_crc mode, char *out,
                     size_t outsz)
{
    return frame(segment, seg_len, HJ212_SEG_LONG_MAX, mode, out, outsz);
}

int hj212_unframe(const char *pkt, size_t len, const char **seg, size_t *seg_len,
                  struct dec_error *err)
{
    return hj212_unframe_mode(pkt, len, DEC_CRC_HJ212, seg, seg_len, NULL, err);
}

int hj212_unframe_mode(const char *pkt, size_t len, enum dec_crc mode, const char **seg,
                       size_t *seg_len, enum dec_crc *used, struct dec_error *err)
{
    size_t body; /* bytes before the optional CRLF */
    size_t declared = 0;
    size_t actual;
    unsigned crc_sent = 0;
    uint16_t crc;

    if (!pkt)
        len = 0;
    body = len;
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
    if (mode == DEC_CRC_ANY) {
        static const enum dec_crc order[] = {DEC_CRC_HJ212, DEC_CRC_MODBUS, DEC_CRC_MODBUS_SWAPPED};
        size_t k;

        for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
            if (hj212_crc_for(order[k], pkt + 6, actual) == crc_sent)
                break;
        }
        if (k == sizeof(order) / sizeof(order[0])) {
            set_err(err, DEC_ERR_CRC,
                    "CRC %04X is none of HJ 212 %04X, Modbus %04X, Modbus swapped %04X", crc_sent,
                    hj212_crc_for(DEC_CRC_HJ212, pkt + 6, actual),
                    hj212_crc_for(DEC_CRC_MODBUS, pkt + 6, actual),
                    hj212_crc_for(DEC_CRC_MODBUS_SWAPPED, pkt + 6, actual));
            return DEC_ERR_CRC;
        }
        mode = order[k];
    } else {
        crc = hj212_crc_for(mode, pkt + 6, actual);
        if (crc != crc_sent) {
            set_err(err, DEC_ERR_CRC, "CRC is %04X (%s), packet says %04X", crc,
                    hj212_crc_name(mode), crc_sent);
            return DEC_ERR_CRC;
        }
    }
    if (used)
        *used = mode;
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
        /* Two characters 0-9 or A-Z (§6.6.1.2); letters have no number. */
        ok = v.n == 2;
        for (size_t i = 0; ok && i < 2; i++)
            ok = is_digit(v.p[i]) || (v.p[i] >= 'A' && v.p[i] <= 'Z');
        if (ok) {
            memcpy(h->st_text, v.p, 2);
            h->st_text[2] = '\0';
            if (!span_uint(v, 2, 2, &h->st))
                h->st = -1;
            if (!hj212_st_is_listed(h->st))
                h->notes |= DEC_NOTE_HJ212_ST_UNLISTED;
        }
        break;
    case K_CN:
        ok = span_uint(v, 4, 4, &h->cn);
        break;
    case K_PW:
        /* Any text a device sends (the value scan stops at ';'), empty included. */
        ok = v.n < sizeof(h->pw);
        if (ok) {
            memcpy(h->pw, v.p, v.n);
            h->pw[v.n] = '\0';
            if (v.n != 6)
                h->notes |= DEC_NOTE_HJ212_PW_LENGTH;
        }
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
        /* Devices set the bit on whole packets: without PNUM/PNO it is one. */
        h->flag &= ~HJ212_FLAG_SPLIT;
        h->notes |= DEC_NOTE_HJ212_SPLIT_ALONE;
    }
    if (!(seen & (1u << K_QN)))
        h->notes |= DEC_NOTE_HJ212_NO_QN;
    if (!(seen & (1u << K_FLAG)))
        h->notes |= DEC_NOTE_HJ212_NO_FLAG;
    if (len > HJ212_SEG_MAX)
        h->notes |= DEC_NOTE_HJ212_LONG;
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

/* A reply segment "QN=..;ST=91;CN=@cn;PW=..;MN=..;Flag=4;CP=&&@cp&&", framed. */
static int build_reply(const struct hj212_header *req, int cn, const char *cp, char *out,
                       size_t outsz)
{
    char seg[HJ212_SEG_MAX + 1];
    int n;

    n = snprintf(seg, sizeof(seg), "QN=%s;ST=%d;CN=%d;PW=%s;MN=%s;Flag=%d;CP=&&%s&&", req->qn,
                 HJ212_ST_SYSTEM, cn, req->pw, req->mn,
                 HJ212_VERSION_2017 << HJ212_FLAG_VERSION_SHIFT, cp);
    if (n < 0 || (size_t)n >= sizeof(seg))
        return COL_ERR_INVAL;
    return hj212_frame(seg, (size_t)n, out, outsz);
}

int hj212_build_response(const struct hj212_header *req, char *out, size_t outsz)
{
    if (!req || req->qn[0] == '\0')
        return COL_ERR_INVAL;
    return build_reply(req, HJ212_CN_DATA_ACK, "", out, outsz);
}

int hj212_build_reply(const struct hj212_header *req, char *out, size_t outsz)
{
    if (!req || req->qn[0] == '\0' || !hj212_wants_ack(req))
        return 0;
    switch (hj212_cmd_classify(req->cn)) {
    case HJ212_CMD_DATA:
    case HJ212_CMD_UPLOAD:
        return build_reply(req, HJ212_CN_DATA_ACK, "", out, outsz);
    case HJ212_CMD_NOTICE:
        return build_reply(req, HJ212_CN_NOTICE_ACK, "", out, outsz);
    case HJ212_CMD_REQUEST: {
        char cp[16];

        (void)snprintf(cp, sizeof(cp), "QnRtn=%d", HJ212_QNRTN_REFUSED);
        return build_reply(req, HJ212_CN_REQ_ACK, cp, out, outsz);
    }
    default:
        return 0;
    }
}

bool hj212_cn_is_data(int cn)
{
    return cn == HJ212_CN_RTD || cn == HJ212_CN_DAY || cn == HJ212_CN_MIN || cn == HJ212_CN_HOUR;
}

bool hj212_st_is_listed(int st)
{
    /* HJ 212-2017 Table 5: environmental quality 21-27, pollution sources
     * 31-39 and 41, process monitoring 51-52, system interaction 91. */
    return (st >= 21 && st <= 27) || (st >= 31 && st <= 39) || st == 41 || st == 51 || st == 52 ||
           st == HJ212_ST_SYSTEM;
}

enum hj212_cmd_class hj212_cmd_classify(int cn)
{
    if (hj212_cn_is_data(cn))
        return HJ212_CMD_DATA;
    if (cn == HJ212_CN_RESTART || cn == HJ212_CN_STATUS || cn == HJ212_CN_RUNTIME)
        return HJ212_CMD_UPLOAD;
    if (cn == HJ212_CN_TIME_CAL_REQ)
        return HJ212_CMD_NOTICE;
    if (cn >= 9000 && cn <= 9999)
        return HJ212_CMD_REPLY;
    return HJ212_CMD_REQUEST;
}

const char *hj212_cmd_class_name(enum hj212_cmd_class c)
{
    switch (c) {
    case HJ212_CMD_UPLOAD:
        return "hj212_upload_cmd";
    case HJ212_CMD_NOTICE:
        return "hj212_notice_cmd";
    case HJ212_CMD_REPLY:
        return "hj212_reply_cmd";
    case HJ212_CMD_REQUEST:
        return "hj212_request_cmd";
    default:
        return "hj212_data";
    }
}

bool hj212_password_ok(const char *pw, size_t len)
{
    if (len == 0 || len > HJ212_PW_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (pw[i] <= ' ' || pw[i] > '~' || pw[i] == ';')
            return false;
    return true;
}

bool hj212_password_equal(const char *sent, size_t sent_len, const char *pw, size_t pw_len)
{
    /* Every byte of what was sent is compared, against the password repeated:
     * the work depends on the attacker's length only. */
    volatile unsigned char diff = (unsigned char)(sent_len != pw_len);

    for (size_t i = 0; i < sent_len; i++)
        diff |= (unsigned char)(sent[i] ^ pw[i % pw_len]);
    return diff == 0;
}
