/*
 * Decoder "senml": a SenML pack (RFC 8428, JSON) into fields, resolved as
 * §4.5-4.6 say. Base fields (bn bt bu bv bs bver) apply to their record and
 * every later one until the next record that sets them again; a record of
 * base fields only yields nothing. The resolved name bn+n (n may be absent:
 * the name is then the base name alone) splits into device and field as
 * opt->senml_device says, so one pack may carry several devices (§5.1.6).
 * Value: v+bv, vs, vb, or vd (kept as DEC_DATA: counted, never stored);
 * a sum s+bs, present when either is, comes as a second field with is_sum.
 * Unit u, else bu. Time bt+t seconds: from 2^28 on absolute, below it
 * relative to opt->now_ms, the receive time. A bver above 10, or records of
 * different versions, refuse the pack (§4.4). JSON is scanned by hand
 * (validated, then read) so decoding allocates nothing.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "textparse.h"

#define SENML_VERSION 10
#define SENML_BN_MAX 128                   /* bn, NUL included */
#define SENML_NAME_MAX (SENML_BN_MAX + 64) /* bn + n, NUL included */
#define SENML_REL_LIMIT 268435456.0        /* 2^28: smaller times are relative (§4.5.3) */
#define SENML_TIME_MAX 253402300800.0      /* 10000-01-01T00:00:00Z */
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

/* Base values carried from record to record (RFC 8428 §4.1). */
struct base {
    char bn[SENML_BN_MAX];
    char bu[DEC_UNIT_MAX];
    double bt, bv, bs;
    bool has_bs;      /* a sum applies to every later record (§4.5.4) */
    int version;      /* bver in effect; 10 when the pack has none */
    int pack_version; /* version of record 0: every record must share it (§4.4) */
};

/* The labels of regular fields (§4.2): a record with none carries only base fields. */
#define REGULAR_LABELS                                                                             \
    ((1u << L_N) | (1u << L_U) | (1u << L_V) | (1u << L_VS) | (1u << L_VB) | (1u << L_VD) |        \
     (1u << L_S) | (1u << L_T) | (1u << L_UT))

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

/* Apply the record's base labels to @b; check the pack's one version. */
static int apply_base(const struct record *r, size_t idx, struct base *b, struct dec_error *err)
{
    double ver = 0;
    int rc;

    if (has(r, L_BVER)) {
        rc = record_number(r, L_BVER, idx, &ver, err);
        if (rc)
            return rc;
        /* §4.4: a version above ours MUST NOT be used; §4.1: a positive integer. */
        if (ver != floor(ver) || ver < 1 || ver > SENML_VERSION)
            return fail(err, DEC_ERR_SHAPE, "record %zu: bver %g is not a version up to %d", idx,
                        ver, SENML_VERSION);
        b->version = (int)ver;
    }
    if (idx == 0)
        b->pack_version = b->version;
    else if (b->version != b->pack_version)
        return fail(err, DEC_ERR_SHAPE, "record %zu: version %d, but the pack began with %d", idx,
                    b->version, b->pack_version);
    if (has(r, L_BN)) {
        rc = record_short_string(r, L_BN, idx, b->bn, sizeof(b->bn), err);
        if (rc)
            return rc;
        if (!name_chars_ok(b->bn) || (b->bn[0] && !is_alnum(b->bn[0])))
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn \"%s\" is not a valid name", idx,
                        b->bn);
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
        b->has_bs = true;
    }
    return 0;
}

/* Copy @n bytes of @src into @dst (size @dstsz) when they fit; false when not. */
static bool copy_part(char *dst, size_t dstsz, const char *src, size_t n)
{
    if (n >= dstsz)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/*
 * The record's resolved name bn + n (§4.5.1), split into the device and
 * field name @mode says. The resolved name must be valid as a whole.
 */
static int record_name(const struct record *r, size_t idx, const struct base *b,
                       enum dec_senml_device mode, char *device, char *field, struct dec_error *err)
{
    char n[DEC_NAME_MAX], full[SENML_NAME_MAX];
    size_t n_len = 0, bn_len = strlen(b->bn), full_len, cut;
    const char *sep;
    char last;

    n[0] = '\0';
    if (has(r, L_N)) {
        if (!decode_string(&r->val[L_N], n, sizeof(n), &n_len, &last))
            return fail(err, DEC_ERR_SHAPE, "record %zu: name contains U+0000", idx);
        if (n_len >= sizeof(n))
            return fail(err, DEC_ERR_SHAPE, "record %zu: name longer than %zu bytes", idx,
                        sizeof(n) - 1);
    }
    memcpy(full, b->bn, bn_len);
    memcpy(full + bn_len, n, n_len + 1);
    full_len = bn_len + n_len;
    if (full_len == 0)
        return fail(err, DEC_ERR_SHAPE, "record %zu: no name (neither bn nor n)", idx);
    if (!name_chars_ok(full) || !is_alnum(full[0]))
        return fail(err, DEC_ERR_SHAPE, "record %zu: name \"%.64s\" has invalid characters", idx,
                    full);
    switch (mode) {
    case DEC_SENML_SPLIT:
        sep = NULL;
        for (size_t i = full_len; i > 0 && !sep; i--)
            if (full[i - 1] == ':' || full[i - 1] == '/')
                sep = full + i - 1;
        cut = sep ? (size_t)(sep - full) : 0;
        if (!copy_part(device, DEC_DEVICE_MAX, full, cut) ||
            !copy_part(field, DEC_NAME_MAX, sep ? sep + 1 : full, full_len - (sep ? cut + 1 : 0)))
            return fail(err, DEC_ERR_SHAPE, "record %zu: \"%.64s\" splits into parts too long", idx,
                        full);
        break;
    case DEC_SENML_NAME:
        if (!copy_part(device, DEC_DEVICE_MAX, full, full_len))
            return fail(err, DEC_ERR_SHAPE, "record %zu: name longer than %d bytes", idx,
                        DEC_DEVICE_MAX - 1);
        field[0] = '\0';
        break;
    default:
        /* The base name is the device, less one trailing separator. */
        cut = bn_len;
        if (cut > 0 && (b->bn[cut - 1] == ':' || b->bn[cut - 1] == '/'))
            cut--;
        if (!copy_part(device, DEC_DEVICE_MAX, b->bn, cut))
            return fail(err, DEC_ERR_SHAPE, "record %zu: bn longer than %d bytes", idx,
                        DEC_DEVICE_MAX - 1);
        memcpy(field, n, n_len + 1);
        break;
    }
    return 0;
}

/* The record's value (§4.5.4: v + bv, vs, vb, vd) into @f; *@has_value false when none. */
static int record_value(const struct record *r, size_t idx, const struct base *b,
                        struct dec_field *f, bool *has_value, struct dec_error *err)
{
    int n_values = has(r, L_V) + has(r, L_VS) + has(r, L_VB) + has(r, L_VD);
    size_t n;
    char last;
    int rc;

    *has_value = n_values > 0;
    if (n_values > 1)
        return fail(err, DEC_ERR_SHAPE, "record %zu: more than one of v, vs, vb, vd", idx);
    if (has(r, L_V)) {
        rc = record_number(r, L_V, idx, &f->num, err);
        if (rc)
            return rc;
        f->num += b->bv;
        if (!isfinite(f->num))
            return fail(err, DEC_ERR_SHAPE, "record %zu: value overflows", idx);
        f->kind = DEC_NUM;
    } else if (has(r, L_VB)) {
        f->kind = DEC_BOOL;
        f->num = r->val[L_VB].type == J_TRUE ? 1 : 0;
    } else if (n_values > 0) {
        int l = has(r, L_VS) ? L_VS : L_VD;

        if (!decode_string(&r->val[l], f->str, sizeof(f->str), &n, &last))
            return fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" contains U+0000", idx,
                        label_names[l]);
        f->kind = l == L_VS ? DEC_STR : DEC_DATA;
    }
    return 0;
}

/* The record's sum (s + bs) into @f; *@has_sum false when neither is present. */
static int record_sum(const struct record *r, size_t idx, const struct base *b, struct dec_field *f,
                      bool *has_sum, struct dec_error *err)
{
    double s = 0;
    int rc;

    *has_sum = has(r, L_S) || b->has_bs;
    if (!*has_sum)
        return 0;
    if (has(r, L_S)) {
        rc = record_number(r, L_S, idx, &s, err);
        if (rc)
            return rc;
    }
    f->kind = DEC_NUM;
    f->num = s + b->bs;
    f->is_sum = true;
    if (!isfinite(f->num))
        return fail(err, DEC_ERR_SHAPE, "record %zu: sum overflows", idx);
    return 0;
}

/*
 * bt + t (§4.5.3) in UTC ms into *@ts_ms: absolute from 2^28 s on, else
 * relative to @now_ms (the receive time). Without a receive time only
 * "now" (0) can be given, as 0 ("the receive time stands").
 */
static int record_time(const struct record *r, size_t idx, const struct base *b, int64_t now_ms,
                       int64_t *ts_ms, unsigned *notes, struct dec_error *err)
{
    double t = 0, rt;
    int rc;

    *ts_ms = 0;
    if (has(r, L_T)) {
        rc = record_number(r, L_T, idx, &t, err);
        if (rc)
            return rc;
    }
    rt = b->bt + t;
    if (!isfinite(rt))
        return fail(err, DEC_ERR_TIMESTAMP, "record %zu: time overflows", idx);
    if (rt >= SENML_REL_LIMIT) {
        if (!(rt < SENML_TIME_MAX))
            return fail(err, DEC_ERR_TIMESTAMP, "record %zu: time %g s is beyond year 9999", idx,
                        rt);
        *ts_ms = llround(rt * 1000.0);
        return 0;
    }
    if (now_ms <= 0) {
        if (rt == 0)
            return 0;
        return fail(err, DEC_ERR_TIMESTAMP,
                    "record %zu: relative time %g s and no receive time to add it to", idx, rt);
    }
    if (rt != 0)
        *notes |= DEC_NOTE_SENML_RELATIVE;
    *ts_ms = now_ms + llround(rt * 1000.0);
    if (*ts_ms <= 0)
        return fail(err, DEC_ERR_TIMESTAMP, "record %zu: relative time %g s is before 1970", idx,
                    rt);
    return 0;
}

/* Count the distinct non-empty devices of out[0..n) into msg. */
static void count_devices(const struct dec_field *out, size_t n, struct dec_msg *msg)
{
    msg->n_devices = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;

        if (!out[i].device[0])
            continue;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(out[k].device, out[i].device) == 0;
        if (seen)
            continue;
        if (msg->n_devices++ == 0)
            memcpy(msg->device, out[i].device, sizeof(msg->device));
    }
}

/* One record into zero, one (value or sum) or two (value and sum) fields. */
static int record_fields(const struct record *r, size_t idx, const struct base *b,
                         const struct dec_opts *opt, struct dec_field *out, size_t *n, size_t max,
                         unsigned *notes, struct dec_error *err)
{
    struct dec_field rec, value, sum;
    bool has_value, has_sum;
    int rc;

    memset(&rec, 0, sizeof(rec));
    rc =
        record_name(r, idx, b, opt ? opt->senml_device : DEC_SENML_BASE, rec.device, rec.name, err);
    if (rc == 0)
        rc = record_time(r, idx, b, opt ? opt->now_ms : 0, &rec.ts_ms, notes, err);
    if (rc == 0 && has(r, L_U))
        rc = record_short_string(r, L_U, idx, rec.unit, sizeof(rec.unit), err);
    else if (rc == 0)
        memcpy(rec.unit, b->bu, sizeof(rec.unit));
    if (rc)
        return rc;
    /* Both are resolved in locals: out[] is written only below its bound. */
    value = rec;
    sum = rec;
    rc = record_value(r, idx, b, &value, &has_value, err);
    if (rc == 0)
        rc = record_sum(r, idx, b, &sum, &has_sum, err);
    if (rc)
        return rc;
    if (*n + (size_t)has_value + (size_t)has_sum > max)
        return fail(err, DEC_ERR_TOO_MANY, "more than %zu values", max);
    if (has_value)
        out[(*n)++] = value;
    if (has_sum)
        out[(*n)++] = sum;
    /* §4.2: exactly one value field unless there is a sum. */
    if (!has_value && !has_sum)
        return fail(err, DEC_ERR_SHAPE, "record %zu: no value (v, vs, vb, vd or s)", idx);
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
    size_t n = 0, idx = 0;
    unsigned notes = 0;
    int rc;

    if (!err)
        err = &scratch_err;
    if (!msg)
        msg = &scratch_msg;
    memset(msg, 0, sizeof(*msg));
    memset(&b, 0, sizeof(b));
    b.version = SENML_VERSION;
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

    /* Pass 2: walk the records, resolving each against the base fields so far (§4.6). */
    c.p = whole.p + 1;
    skip_ws(&c);
    for (; !at(&c, ']'); idx++) {
        struct record r;

        if (!at(&c, '{'))
            return fail(err, DEC_ERR_SHAPE, "record %zu is not an object", idx);
        rc = read_record(&c, idx, &r, err);
        if (rc == 0)
            rc = check_types(&r, idx, err);
        if (rc == 0)
            rc = apply_base(&r, idx, &b, err);
        if (rc)
            goto fail;
        if (r.seen == 0) {
            rc = fail(err, DEC_ERR_SHAPE, "record %zu has no SenML field", idx);
            goto fail;
        }
        /* A record of base fields only (e.g. RFC 8428 §5.1.7) sets them for the rest. */
        if ((r.seen & REGULAR_LABELS) != 0) {
            rc = record_fields(&r, idx, &b, opt, out, &n, max, &notes, err);
            if (rc)
                goto fail;
        }
        skip_ws(&c);
        if (at(&c, ','))
            c.p++;
        skip_ws(&c);
    }
    count_devices(out, n, msg);
    msg->n_fields = n;
    msg->notes = notes;
    return (int)n;
fail:
    memset(msg, 0, sizeof(*msg));
    return rc;
}

const struct decoder decoder_senml = {"senml", senml_decode};
