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
 * different versions, refuse the pack (§4.4). The JSON is scanned
 * (json_scan.h) and validated whole, then read, so decoding allocates nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "json_scan.h"
#include "textparse.h"

#define SENML_VERSION 10
#define SENML_BN_MAX 128                   /* bn, NUL included */
#define SENML_NAME_MAX (SENML_BN_MAX + 64) /* bn + n, NUL included */
#define SENML_REL_LIMIT 268435456.0        /* 2^28: smaller times are relative (§4.5.3) */
#define SENML_TIME_MAX 253402300800.0      /* 10000-01-01T00:00:00Z */

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
    struct json_val val[L_COUNT];
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
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
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
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Read one record object's members into @r. 0 or a DEC_ERR_* in @err. */
static int read_record(struct json_cur *c, size_t idx, struct record *r, struct dec_error *err)
{
    memset(r, 0, sizeof(*r));
    c->p++; /* '{' */
    json_skip_ws(c);
    if (json_at(c, '}')) {
        c->p++;
        return 0;
    }
    for (;;) {
        struct json_val key, val;
        char kbuf[8], last;
        size_t klen;
        int l;

        if (json_scan_string(c, &key) != JSON_OK)
            return dec_fail(err, DEC_ERR_SYNTAX, "record %zu: bad key", idx);
        json_skip_ws(c);
        c->p++; /* ':' (validated) */
        json_skip_ws(c);
        if (json_scan_value(c, &val, 2) != JSON_OK)
            return dec_fail(err, DEC_ERR_SYNTAX, "record %zu: bad value", idx);
        if (!json_unescape(&key, kbuf, sizeof(kbuf), &klen, &last))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: key contains U+0000", idx);
        for (l = 0; l < L_COUNT; l++) {
            if (klen == strlen(label_names[l]) && strcmp(kbuf, label_names[l]) == 0)
                break;
        }
        if (l < L_COUNT) {
            if (r->seen & (1u << l))
                return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" appears twice", idx,
                                label_names[l]);
            r->seen |= 1u << l;
            r->val[l] = val;
        } else if (last == '_') {
            /* RFC 8428 §4.4: labels ending in '_' must be understood. */
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: unsupported must-understand label",
                            idx);
        }
        json_skip_ws(c);
        if (json_at(c, '}')) {
            c->p++;
            return 0;
        }
        c->p++; /* ',' */
        json_skip_ws(c);
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
        enum json_type want;
        enum json_type got = r->val[l].type;

        if (!has(r, l))
            continue;
        switch (l) {
        case L_BN:
        case L_BU:
        case L_N:
        case L_U:
        case L_VS:
        case L_VD:
            want = JSON_STR;
            break;
        case L_VB:
            want = got == JSON_FALSE ? JSON_FALSE : JSON_TRUE;
            break;
        default:
            want = JSON_NUM;
            break;
        }
        if (got != want)
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" must be a %s", idx,
                            label_names[l],
                            want == JSON_STR   ? "string"
                            : want == JSON_NUM ? "number"
                                               : "boolean");
    }
    return 0;
}

static int record_number(const struct record *r, int l, size_t idx, double *out,
                         struct dec_error *err)
{
    if (json_number(&r->val[l], out) != 0 || !isfinite(*out))
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" is not a finite number", idx,
                        label_names[l]);
    return 0;
}

/* A short string label (bu, u) into @dst; too long is an error, not a truncation. */
static int record_short_string(const struct record *r, int l, size_t idx, char *dst, size_t dstsz,
                               struct dec_error *err)
{
    size_t n;
    char last;

    if (!json_unescape(&r->val[l], dst, dstsz, &n, &last))
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" contains U+0000", idx,
                        label_names[l]);
    if (n >= dstsz)
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" longer than %zu bytes", idx,
                        label_names[l], dstsz - 1);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)dst[i] < 0x20)
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" has a control character", idx,
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
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: bver %g is not a version up to %d",
                            idx, ver, SENML_VERSION);
        b->version = (int)ver;
    }
    if (idx == 0)
        b->pack_version = b->version;
    else if (b->version != b->pack_version)
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: version %d, but the pack began with %d",
                        idx, b->version, b->pack_version);
    if (has(r, L_BN)) {
        rc = record_short_string(r, L_BN, idx, b->bn, sizeof(b->bn), err);
        if (rc)
            return rc;
        if (!name_chars_ok(b->bn) || (b->bn[0] && !is_alnum(b->bn[0])))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: bn \"%s\" is not a valid name", idx,
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
        if (!json_unescape(&r->val[L_N], n, sizeof(n), &n_len, &last))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: name contains U+0000", idx);
        if (n_len >= sizeof(n))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: name longer than %zu bytes", idx,
                            sizeof(n) - 1);
    }
    memcpy(full, b->bn, bn_len);
    memcpy(full + bn_len, n, n_len + 1);
    full_len = bn_len + n_len;
    if (full_len == 0)
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: no name (neither bn nor n)", idx);
    if (!name_chars_ok(full) || !is_alnum(full[0]))
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: name \"%.64s\" has invalid characters",
                        idx, full);
    switch (mode) {
    case DEC_SENML_SPLIT:
        sep = NULL;
        for (size_t i = full_len; i > 0 && !sep; i--)
            if (full[i - 1] == ':' || full[i - 1] == '/')
                sep = full + i - 1;
        cut = sep ? (size_t)(sep - full) : 0;
        if (!copy_part(device, DEC_DEVICE_MAX, full, cut) ||
            !copy_part(field, DEC_NAME_MAX, sep ? sep + 1 : full, full_len - (sep ? cut + 1 : 0)))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%.64s\" splits into parts too long",
                            idx, full);
        break;
    case DEC_SENML_NAME:
        if (!copy_part(device, DEC_DEVICE_MAX, full, full_len))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: name longer than %d bytes", idx,
                            DEC_DEVICE_MAX - 1);
        field[0] = '\0';
        break;
    default:
        /* The base name is the device, less one trailing separator. */
        cut = bn_len;
        if (cut > 0 && (b->bn[cut - 1] == ':' || b->bn[cut - 1] == '/'))
            cut--;
        if (!copy_part(device, DEC_DEVICE_MAX, b->bn, cut))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: bn longer than %d bytes", idx,
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
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: more than one of v, vs, vb, vd", idx);
    if (has(r, L_V)) {
        rc = record_number(r, L_V, idx, &f->num, err);
        if (rc)
            return rc;
        f->num += b->bv;
        if (!isfinite(f->num))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: value overflows", idx);
        f->kind = DEC_NUM;
    } else if (has(r, L_VB)) {
        f->kind = DEC_BOOL;
        f->num = r->val[L_VB].type == JSON_TRUE ? 1 : 0;
    } else if (n_values > 0) {
        int l = has(r, L_VS) ? L_VS : L_VD;

        if (!json_unescape(&r->val[l], f->str, sizeof(f->str), &n, &last))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu: \"%s\" contains U+0000", idx,
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
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: sum overflows", idx);
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
        return dec_fail(err, DEC_ERR_TIMESTAMP, "record %zu: time overflows", idx);
    if (rt >= SENML_REL_LIMIT) {
        if (!(rt < SENML_TIME_MAX))
            return dec_fail(err, DEC_ERR_TIMESTAMP, "record %zu: time %g s is beyond year 9999",
                            idx, rt);
        *ts_ms = llround(rt * 1000.0);
        return 0;
    }
    if (now_ms <= 0) {
        if (rt == 0)
            return 0;
        return dec_fail(err, DEC_ERR_TIMESTAMP,
                        "record %zu: relative time %g s and no receive time to add it to", idx, rt);
    }
    if (rt != 0)
        *notes |= DEC_NOTE_SENML_RELATIVE;
    *ts_ms = now_ms + llround(rt * 1000.0);
    if (*ts_ms <= 0)
        return dec_fail(err, DEC_ERR_TIMESTAMP, "record %zu: relative time %g s is before 1970",
                        idx, rt);
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
        return dec_fail(err, DEC_ERR_TOO_MANY, "more than %zu values", max);
    if (has_value)
        out[(*n)++] = value;
    if (has_sum)
        out[(*n)++] = sum;
    /* §4.2: exactly one value field unless there is a sum. */
    if (!has_value && !has_sum)
        return dec_fail(err, DEC_ERR_SHAPE, "record %zu: no value (v, vs, vb, vd or s)", idx);
    return 0;
}

static int senml_decode(const struct dec_opts *opt, const char *buf, size_t len,
                        struct dec_msg *msg, struct dec_field *out, size_t max,
                        struct dec_error *err)
{
    struct dec_error scratch_err;
    struct dec_msg scratch_msg;
    struct base b;
    struct json_cur c;
    struct json_val whole;
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
        return dec_fail(err, DEC_ERR_SYNTAX, "payload is not valid UTF-8");
    c = (struct json_cur){buf, buf, buf + len};
    json_skip_ws(&c);
    rc = json_scan_value(&c, &whole, 0);
    if (rc == JSON_DEEP)
        return dec_fail(err, DEC_ERR_SHAPE, "JSON nested deeper than %d levels", JSON_DEPTH_MAX);
    if (rc == JSON_OK) {
        json_skip_ws(&c);
        if (c.p != c.end)
            rc = JSON_BAD;
    }
    if (rc != JSON_OK)
        return dec_fail(err, DEC_ERR_SYNTAX, "invalid JSON at offset %zu", (size_t)(c.p - c.start));
    if (whole.type != JSON_ARR)
        return dec_fail(err, DEC_ERR_SHAPE, "a SenML pack is a JSON array");

    /* Pass 2: walk the records, resolving each against the base fields so far (§4.6). */
    c.p = whole.p + 1;
    json_skip_ws(&c);
    for (; !json_at(&c, ']'); idx++) {
        struct record r;

        if (!json_at(&c, '{'))
            return dec_fail(err, DEC_ERR_SHAPE, "record %zu is not an object", idx);
        rc = read_record(&c, idx, &r, err);
        if (rc == 0)
            rc = check_types(&r, idx, err);
        if (rc == 0)
            rc = apply_base(&r, idx, &b, err);
        if (rc)
            goto fail;
        if (r.seen == 0) {
            rc = dec_fail(err, DEC_ERR_SHAPE, "record %zu has no SenML field", idx);
            goto fail;
        }
        /* A record of base fields only (e.g. RFC 8428 §5.1.7) sets them for the rest. */
        if ((r.seen & REGULAR_LABELS) != 0) {
            rc = record_fields(&r, idx, &b, opt, out, &n, max, &notes, err);
            if (rc)
                goto fail;
        }
        json_skip_ws(&c);
        if (json_at(&c, ','))
            c.p++;
        json_skip_ws(&c);
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
