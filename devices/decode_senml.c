/*
 * Decoder "senml": a SenML pack (RFC 8428, JSON) into one field per record.
 * Base fields (bn bt bu bv bs bver) apply to their record and later ones.
 * msg->device is bn minus one trailing ':' or '/', and a field is named by
 * its record's n alone (the RFC's resolved name is bn+n), so a pack names
 * one device, from its first record on, and every record needs an n.
 * Value: v (+bv), vs, vb, vd (as text), else s (+bs); unit u, else bu; time
 * bt+t seconds to ms, 0 when both are absent or the sum is 0 ("now"); other
 * relative times (< 2^28) are rejected, as the decoder has no clock. JSON is
 * scanned by hand (validated, then read) so decoding allocates nothing.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "textparse.h"

#define SENML_VERSION 10
#define SENML_REL_LIMIT 268435456.0   /* 2^28: smaller times are relative (§4.5.3) */
#define SENML_TIME_MAX 253402300800.0 /* 10000-01-01T00:00:00Z */
#define JSON_DEPTH_MAX 32
#define NUM_TEXT_MAX 63

struct jcur {
    const char *p;
    const char *start; /* for offsets in error messages */
    const char *end;
};

enum jtype { J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_OBJ, J_ARR };

/* A scanned value: strings keep their raw (escaped) bytes between the quotes. */
struct jval {
    enum jtype type;
    const char *p;
    size_t n;
};

enum { J_OK = 0, J_BAD = -1, J_DEEP = -2 };

static int fail(struct dec_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct dec_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    va_start(ap, fmt);
    (void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return code;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(struct jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool at(const struct jcur *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char h = p[i];

        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return J_BAD;
    }
    *out = v;
    return J_OK;
}

/* Read the \uXXXX escape at @p (@avail bytes); a surrogate pair counts as one. */
static int read_u_escape(const char *p, size_t avail, unsigned *cp, size_t *used)
{
    unsigned lo;

    if (avail < 6 || hex4(p + 2, cp) != J_OK)
        return J_BAD;
    *used = 6;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return J_BAD;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        if (avail < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) != J_OK || lo < 0xDC00 ||
            lo > 0xDFFF)
            return J_BAD;
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        *used = 12;
    }
    return J_OK;
}

/* The one-letter escapes of RFC 8259 §7. */
static bool is_simple_escape(char c)
{
    return c != '\0' && strchr("\"\\/bfnrt", c) != NULL;
}

static int scan_string(struct jcur *c, struct jval *v)
{
    if (!at(c, '"'))
        return J_BAD;
    c->p++;
    v->type = J_STR;
    v->p = c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char u = (unsigned char)*c->p;

        if (u < 0x20)
            return J_BAD;
        if (u != '\\') {
            c->p++;
            continue;
        }
        if (c->end - c->p < 2)
            return J_BAD;
        if (c->p[1] == 'u') {
            unsigned cp;
            size_t used;

            if (read_u_escape(c->p, (size_t)(c->end - c->p), &cp, &used) != J_OK)
                return J_BAD;
            c->p += used;
        } else if (is_simple_escape(c->p[1])) {
            c->p += 2;
        } else {
            return J_BAD;
        }
    }
    if (c->p >= c->end)
        return J_BAD;
    v->n = (size_t)(c->p - v->p);
    c->p++;
    return J_OK;
}

static size_t scan_digits(struct jcur *c)
{
    const char *s = c->p;

    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    return (size_t)(c->p - s);
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct jcur *c, struct jval *v)
{
    v->type = J_NUM;
    v->p = c->p;
    if (at(c, '-'))
        c->p++;
    if (at(c, '0'))
        c->p++;
    else if (scan_digits(c) == 0)
        return J_BAD;
    if (at(c, '.')) {
        c->p++;
        if (scan_digits(c) == 0)
            return J_BAD;
    }
    if (at(c, 'e') || at(c, 'E')) {
        c->p++;
        if (at(c, '+') || at(c, '-'))
            c->p++;
        if (scan_digits(c) == 0)
            return J_BAD;
    }
    v->n = (size_t)(c->p - v->p);
    return J_OK;
}

static int scan_literal(struct jcur *c, const char *lit, enum jtype type, struct jval *v)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return J_BAD;
    v->type = type;
    v->p = c->p;
    v->n = n;
    c->p += n;
    return J_OK;
}

/* Scan any JSON value at the cursor (no leading whitespace); nested ones are skipped. */
static int scan_value(struct jcur *c, struct jval *v, int depth)
{
    int rc;

    if (c->p >= c->end)
        return J_BAD;
    switch (*c->p) {
    case '"':
        return scan_string(c, v);
    case 't':
        return scan_literal(c, "true", J_TRUE, v);
    case 'f':
        return scan_literal(c, "false", J_FALSE, v);
    case 'n':
        return scan_literal(c, "null", J_NULL, v);
    case '{':
    case '[': {
        char close = *c->p == '{' ? '}' : ']';
        bool is_obj = close == '}';

        if (depth >= JSON_DEPTH_MAX)
            return J_DEEP;
        v->type = is_obj ? J_OBJ : J_ARR;
        v->p = c->p;
        c->p++;
        skip_ws(c);
        if (at(c, close)) {
            c->p++;
            v->n = (size_t)(c->p - v->p);
            return J_OK;
        }
        for (;;) {
            struct jval inner;

            if (is_obj) {
                rc = scan_string(c, &inner);
                if (rc)
                    return rc;
                skip_ws(c);
                if (!at(c, ':'))
                    return J_BAD;
                c->p++;
                skip_ws(c);
            }
            rc = scan_value(c, &inner, depth + 1);
            if (rc)
                return rc;
            skip_ws(c);
            if (at(c, close))
                break;
            if (!at(c, ','))
                return J_BAD;
            c->p++;
            skip_ws(c);
        }
        c->p++;
        v->n = (size_t)(c->p - v->p);
        return J_OK;
    }
    default:
        if (*c->p == '-' || is_digit(*c->p))
            return scan_number(c, v);
        return J_BAD;
    }
}

/*
 * Decode the JSON string @v into @dst (size @dstsz, NUL-terminated), cut at
 * a character boundary. *@full_len gets the decoded length; returns false
 * when the string holds U+0000, which no kept string may contain.
 */
static bool decode_string(const struct jval *v, char *dst, size_t dstsz, size_t *full_len,
                          char *last)
{
    size_t i = 0, total = 0, w = 0;
    bool room = true;

    *last = '\0';
    while (i < v->n) {
        char unit[4] = {0};
        size_t ulen = 1;
        unsigned char u = (unsigned char)v->p[i];

        if (u == '\\' && v->p[i + 1] == 'u') {
            unsigned cp = 0;
            size_t used = 6;

            (void)read_u_escape(v->p + i, v->n - i, &cp, &used); /* validated by the scan */
            if (cp == 0)
                return false;
            if (cp < 0x80) {
                unit[0] = (char)cp;
            } else if (cp < 0x800) {
                unit[0] = (char)(0xC0 | cp >> 6);
                unit[1] = (char)(0x80 | (cp & 0x3F));
                ulen = 2;
            } else if (cp < 0x10000) {
                unit[0] = (char)(0xE0 | cp >> 12);
                unit[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                unit[2] = (char)(0x80 | (cp & 0x3F));
                ulen = 3;
            } else {
                unit[0] = (char)(0xF0 | cp >> 18);
                unit[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                unit[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                unit[3] = (char)(0x80 | (cp & 0x3F));
                ulen = 4;
            }
            i += used;
        } else if (u == '\\') {
            static const char from[] = "\"\\/bfnrt";
            static const char to[] = "\"\\/\b\f\n\r\t";
            const char *hit = is_simple_escape(v->p[i + 1]) ? strchr(from, v->p[i + 1]) : NULL;

            unit[0] = (char)(hit ? to[hit - from] : '?');
            i += 2;
        } else {
            /* A raw UTF-8 sequence (the payload was checked to be UTF-8). */
            ulen = u < 0x80 ? 1 : u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
            if (ulen > v->n - i)
                ulen = v->n - i;
            memcpy(unit, v->p + i, ulen);
            i += ulen;
        }
        if (room && w + ulen < dstsz) {
            memcpy(dst + w, unit, ulen);
            w += ulen;
        } else {
            room = false;
        }
        total += ulen;
        *last = unit[ulen - 1];
    }
    if (dstsz > 0)
        dst[w] = '\0';
    *full_len = total;
    return true;
}

static int json_number(const struct jval *v, double *out)
{
    char text[NUM_TEXT_MAX + 1];

    if (v->n > NUM_TEXT_MAX)
        return -1;
    memcpy(text, v->p, v->n);
    text[v->n] = '\0';
    *out = strtod(text, NULL);
    return isfinite(*out) ? 0 : -1;
}

/* The record labels this decoder understands (RFC 8428 §4.1, §4.2). */
enum label {
    L_BN,
    L_BT,
    L_BU,
    L_BV,
    L_BS,
    L_BVER,
    L_N,
    L_U,
    L_V,
    L_VS,
    L_VB,
    L_VD,
    L_S,
    L_T,
    L_UT,
    L_COUNT
};

static const char *const label_names[L_COUNT] = {"bn", "bt", "bu", "bv", "bs", "bver", "n", "u",
                                                 "v",  "vs", "vb", "vd", "s",  "t",    "ut"};

struct record {
    unsigned seen; /* 1 << label */
    struct jval val[L_COUNT];
};

/* Base values carried from record to record. */
struct base {
    char bn[DEC_DEVICE_MAX + 1];
    char bu[DEC_UNIT_MAX];
    double bt, bv, bs;
    bool has_bt, has_device;
};

static bool name_char_ok(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == ':' || c == '.' || c == '/' || c == '_';
}

static bool name_chars_ok(const char *s)
{
    for (; *s; s++) {
        if (!name_char_ok(*s))
            return false;
    }
    return true;
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Read one record object's members into @r. 0 or a DEC_ERR_* in @err. */
static int read_record(struct jcur *c, size_t idx, struct record *r, struct dec_error *err)
{
    memset(r, 0, sizeof(*r));
    c->p++; /* '{' */
    skip_ws(c);
    if (at(c, '}')) {
        c->p++;
        return 0;
    }
    for (;;) {
        struct jval key, val;
        char kbuf[8], last;
        size_t klen;
        int l;

        if (scan_string(c, &key) != J_OK)
            return fail(err, DEC_ERR_SYNTAX, "record %zu: bad key", idx);
        skip_ws(c);
        c->p++; /* ':' (validated) */
        skip_ws(c);
        if (scan_value(c, &val, 2) != J_OK)
            return fail(err, DEC_ERR_SYNTAX, "record %zu: bad value", idx);
        if (!decode_string(&key, kbuf, sizeof(kbuf), &klen, &last))
            return fail(err, DEC_ERR_SHAPE, "record %zu: key contains U+0000", idx);
        for (l = 0; l < L_COUNT; l++) {
            if (klen == strlen(label_names[l]) && strcmp(kbuf, label_names[l]) == 0)
                break;
        }
        if (l < L_COUNT) {
            if (r->seen & (1u << l))
                return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" appears twice", idx,
                            label_names[l]);
            r->seen |= 1u << l;
            r->val[l] = val;
        } else if (last == '_') {
            /* RFC 8428 §4.4: labels ending in '_' must be understood. */
            return fail(err, DEC_ERR_SHAPE, "record %zu: unsupported must-understand label", idx);
        }
        skip_ws(c);
        if (at(c, '}')) {
            c->p++;
            return 0;
        }
        c->p++; /* ',' */
        skip_ws(c);
    }
}

static bool has(const struct record *r, int l)
{
    return (r->seen & (1u << l)) != 0;
}

/* Check each label's JSON type. */
static int check_types(const struct record *r, size_t idx, struct dec_error *err)
{
    for (int l = 0; l < L_COUNT; l++) {
        enum jtype want;
        enum jtype got = r->val[l].type;

        if (!has(r, l))
            continue;
        switch (l) {
        case L_BN:
        case L_BU:
        case L_N:
        case L_U:
        case L_VS:
        case L_VD:
            want = J_STR;
            break;
        case L_VB:
            want = got == J_FALSE ? J_FALSE : J_TRUE;
            break;
        default:
            want = J_NUM;
            break;
        }
        if (got != want)
            return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" must be a %s", idx, label_names[l],
                        want == J_STR   ? "string"
                        : want == J_NUM ? "number"
                                        : "boolean");
    }
    return 0;
}

static int record_number(const struct record *r, int l, size_t idx, double *out,
                         struct dec_error *err)
{
    if (json_number(&r->val[l], out) != 0)
        return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" is not a finite number", idx,
                    label_names[l]);
    return 0;
}

/* A short string label (bu, u) into @dst; too long is an error, not a truncation. */
static int record_short_string(const struct record *r, int l, size_t idx, char *dst, size_t dstsz,
                               struct dec_error *err)
{
    size_t n;
    char last;

    if (!decode_string(&r->val[l], dst, dstsz, &n, &last))
        return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" contains U+0000", idx, label_names[l]);
    if (n >= dstsz)
        return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" longer than %zu bytes", idx,
                    label_names[l], dstsz - 1);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)dst[i] < 0x20)
            return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" has a control character", idx,
                        label_names[l]);
    }
    return 0;
}

/* Apply the record's base labels to @b and to the message's device. */
static int apply_base(const struct record *r, size_t idx, struct base *b, struct dec_msg *msg,
                      struct dec_error *err)
{
    double ver = 0;
    int rc;

    if (has(r, L_BVER)) {
        rc = record_number(r, L_BVER, idx, &ver, err);
        if (rc)
            return rc;
        if (ver != floor(ver) || ver < 1 || ver > SENML_VERSION)
            return fail(err, DEC_ERR_SHAPE, "record %zu: bver %g is not a version up to %d", idx,
                        ver, SENML_VERSION);
    }
    if (has(r, L_BN)) {
        char dev[DEC_DEVICE_MAX + 1];
        size_t n;

        rc = record_short_string(r, L_BN, idx, b->bn, sizeof(b->bn), err);
        if (rc)
            return rc;
        if (!name_chars_ok(b->bn) || (b->bn[0] && !is_alnum(b->bn[0])))
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn \"%s\" is not a valid name", idx,
                        b->bn);
        n = strlen(b->bn);
        memcpy(dev, b->bn, n + 1);
        if (n > 0 && (dev[n - 1] == ':' || dev[n - 1] == '/'))
            dev[--n] = '\0';
        if (n >= DEC_DEVICE_MAX)
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn longer than %d bytes", idx,
                        DEC_DEVICE_MAX - 1);
        if (!b->has_device && idx > 0)
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn after records that had none", idx);
        if (b->has_device && strcmp(dev, msg->device) != 0)
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn names a second device \"%s\"", idx,
                        dev);
        memcpy(msg->device, dev, n + 1);
        b->has_device = true;
    }
    if (has(r, L_BU)) {
        rc = record_short_string(r, L_BU, idx, b->bu, sizeof(b->bu), err);
        if (rc)
            return rc;
    }
    if (has(r, L_BT)) {
        rc = record_number(r, L_BT, idx, &b->bt, err);
        if (rc)
            return rc;
        b->has_bt = true;
    }
    if (has(r, L_BV)) {
        rc = record_number(r, L_BV, idx, &b->bv, err);
        if (rc)
            return rc;
    }
    if (has(r, L_BS)) {
        rc = record_number(r, L_BS, idx, &b->bs, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int record_name(const struct record *r, size_t idx, const struct base *b,
                       struct dec_field *f, struct dec_error *err)
{
    size_t n;
    char last;

    if (!has(r, L_N))
        return fail(err, DEC_ERR_SHAPE, "record %zu: no name (n)", idx);
    if (!decode_string(&r->val[L_N], f->name, sizeof(f->name), &n, &last))
        return fail(err, DEC_ERR_SHAPE, "record %zu: name contains U+0000", idx);
    if (n == 0)
        return fail(err, DEC_ERR_SHAPE, "record %zu: empty name (n)", idx);
    if (n >= sizeof(f->name))
        return fail(err, DEC_ERR_SHAPE, "record %zu: name longer than %zu bytes", idx,
                    sizeof(f->name) - 1);
    /* The resolved name bn+n must start with a letter or digit (RFC 8428 §4.5.1). */
    if (!name_chars_ok(f->name) || (b->bn[0] == '\0' && !is_alnum(f->name[0])))
        return fail(err, DEC_ERR_SHAPE, "record %zu: name \"%s\" has invalid characters", idx,
                    f->name);
    return 0;
}

static int record_value(const struct record *r, size_t idx, const struct base *b,
                        struct dec_field *f, struct dec_error *err)
{
    int n_values = has(r, L_V) + has(r, L_VS) + has(r, L_VB) + has(r, L_VD);
    size_t n;
    char last;
    int rc;

    if (n_values > 1)
        return fail(err, DEC_ERR_SHAPE, "record %zu: more than one of v, vs, vb, vd", idx);
    if (n_values == 0 && !has(r, L_S))
        return fail(err, DEC_ERR_SHAPE, "record %zu: no value (v, vs, vb, vd or s)", idx);
    if (has(r, L_V) || (n_values == 0 && has(r, L_S))) {
        int l = has(r, L_V) ? L_V : L_S;
        double base = l == L_V ? b->bv : b->bs;

        rc = record_number(r, l, idx, &f->num, err);
        if (rc)
            return rc;
        f->num += base;
        if (!isfinite(f->num))
            return fail(err, DEC_ERR_SHAPE, "record %zu: value overflows", idx);
        f->kind = DEC_NUM;
    } else if (has(r, L_VB)) {
        f->kind = DEC_BOOL;
        f->num = r->val[L_VB].type == J_TRUE ? 1 : 0;
    } else {
        int l = has(r, L_VS) ? L_VS : L_VD;

        if (!decode_string(&r->val[l], f->str, sizeof(f->str), &n, &last))
            return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" contains U+0000", idx,
                        label_names[l]);
        f->kind = DEC_STR;
    }
    return 0;
}

static int record_time(const struct record *r, size_t idx, const struct base *b,
                       struct dec_field *f, struct dec_error *err)
{
    double t = 0, rt;
    int rc;

    f->ts_ms = 0;
    if (has(r, L_T)) {
        rc = record_number(r, L_T, idx, &t, err);
        if (rc)
            return rc;
    }
    if (!has(r, L_T) && !b->has_bt)
        return 0;
    rt = b->bt + t;
    if (rt == 0)
        return 0; /* "roughly now": the receive time stands */
    if (rt < SENML_REL_LIMIT)
        return fail(err, DEC_ERR_TIMESTAMP,
                    "record %zu: relative time %g s needs a clock the decoder lacks", idx, rt);
    if (!(rt < SENML_TIME_MAX))
        return fail(err, DEC_ERR_TIMESTAMP, "record %zu: time %g s is beyond year 9999", idx, rt);
    f->ts_ms = llround(rt * 1000.0);
    return 0;
}

static int senml_decode(const struct dec_opts *opt, const char *buf, size_t len,
                        struct dec_msg *msg, struct dec_field *out, size_t max,
                        struct dec_error *err)
{
    struct dec_error scratch_err;
    struct dec_msg scratch_msg;
    struct base b;
    struct jcur c;
    struct jval whole;
    size_t n = 0;
    int rc;

    (void)opt;
    if (!err)
        err = &scratch_err;
    if (!msg)
        msg = &scratch_msg;
    memset(msg, 0, sizeof(*msg));
    memset(&b, 0, sizeof(b));
    err->code = 0;
    err->detail[0] = '\0';
    if (!buf) {
        buf = "";
        len = 0;
    }
    if (!out)
        max = 0;

    /* Pass 1: the whole payload must be UTF-8 JSON, so pass 2 meets no syntax errors. */
    if (!utf8_valid(buf, len))
        return fail(err, DEC_ERR_SYNTAX, "payload is not valid UTF-8");
    c = (struct jcur){buf, buf, buf + len};
    skip_ws(&c);
    rc = scan_value(&c, &whole, 0);
    if (rc == J_DEEP)
        return fail(err, DEC_ERR_SHAPE, "JSON nested deeper than %d levels", JSON_DEPTH_MAX);
    if (rc == J_OK) {
        skip_ws(&c);
        if (c.p != c.end)
            rc = J_BAD;
    }
    if (rc != J_OK)
        return fail(err, DEC_ERR_SYNTAX, "invalid JSON at offset %zu", (size_t)(c.p - c.start));
    if (whole.type != J_ARR)
        return fail(err, DEC_ERR_SHAPE, "a SenML pack is a JSON array");

    /* Pass 2: walk the records. */
    c.p = whole.p + 1;
    skip_ws(&c);
    while (!at(&c, ']')) {
        struct record r;
        struct dec_field *f;

        if (!at(&c, '{'))
            return fail(err, DEC_ERR_SHAPE, "record %zu is not an object", n);
        rc = read_record(&c, n, &r, err);
        if (rc)
            return rc;
        rc = check_types(&r, n, err);
        if (rc)
            return rc;
        rc = apply_base(&r, n, &b, msg, err);
        if (rc)
            return rc;
        if (n >= max)
            return fail(err, DEC_ERR_TOO_MANY, "more than %zu records", max);
        f = &out[n];
        memset(f, 0, sizeof(*f));
        rc = record_name(&r, n, &b, f, err);
        if (rc == 0)
            rc = record_value(&r, n, &b, f, err);
        if (rc == 0)
            rc = record_time(&r, n, &b, f, err);
        if (rc == 0 && has(&r, L_U))
            rc = record_short_string(&r, L_U, n, f->unit, sizeof(f->unit), err);
        else if (rc == 0)
            memcpy(f->unit, b.bu, sizeof(f->unit));
        if (rc)
            return rc;
        n++;
        skip_ws(&c);
        if (at(&c, ','))
            c.p++;
        skip_ws(&c);
    }
    msg->n_fields = n;
    return (int)n;
}

const struct decoder decoder_senml = {"senml", senml_decode};
