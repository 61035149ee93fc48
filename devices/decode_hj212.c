/*
 * Decoder "hj212": one HJ 212-2017 data packet (##dddd<segment>CRC, CRLF
 * optional) into fields. Framing and the header come from hj212.c; this
 * file reads the CP area: "DataTime=YYYYMMDDhhmmss[zzz]" then ';'-separated
 * groups of ','-separated "<code>-<Kind>=value" items. Each value becomes a
 * field named as sent ("a34004-Avg") carrying DataTime and its group's
 * "<code>-Flag" letter; DataTime is local time at opt->utc_offset_s (China
 * Standard Time, +08:00, when @opt is NULL). The checksum is the one
 * opt->crc names. Only measurement uploads are accepted (CN 2011, 2031,
 * 2051, 2061); a split packet (PNUM/PNO) decoded alone must carry its own
 * DataTime (the TCP listener reassembles parts first). Dialects of the
 * field (HJ/T 212-2005 headers and data flags, DataTime with milliseconds,
 * long segments, Modbus CRCs) are accepted and reported in msg->notes.
 * The caller owns replies (hj212_build_reply).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "hj212.h"
#include "textparse.h"
#include "civil.h"

#define NUM_TEXT_MAX 63 /* longest number text accepted */

struct span {
    const char *p;
    size_t n;
};

static bool span_eq(struct span a, struct span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Printable length of a span in messages, so details stay readable. */
static int show(struct span s)
{
    return (int)(s.n < 24 ? s.n : 24);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool key_char_ok(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '_' || c == '.';
}

/* Digits @p[0..n) as an unsigned number (the caller checked they are digits). */
static unsigned digits_value(const char *p, size_t n)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(p[i] - '0');
    return v;
}

/* Advance *@i over digits of @v; false when there are none. */
static bool skip_digits(struct span v, size_t *i)
{
    size_t start = *i;

    while (*i < v.n && is_digit(v.p[*i]))
        (*i)++;
    return *i > start;
}

/*
 * "YYYYMMDDhhmmss", or "YYYYMMDDhhmmsszzz" with milliseconds as some
 * loggers send it, at @utc_offset_s east of UTC into UTC epoch ms.
 */
static int parse_datatime(struct span v, long utc_offset_s, int64_t *out_ms)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, s, dim, ms = 0;
    int64_t secs;

    if (v.n != 14 && v.n != 17)
        return -1;
    for (size_t i = 0; i < v.n; i++) {
        if (!is_digit(v.p[i]))
            return -1;
    }
    y = digits_value(v.p, 4);
    mo = digits_value(v.p + 4, 2);
    d = digits_value(v.p + 6, 2);
    h = digits_value(v.p + 8, 2);
    mi = digits_value(v.p + 10, 2);
    s = digits_value(v.p + 12, 2);
    if (v.n == 17)
        ms = digits_value(v.p + 14, 3);
    if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59)
        return -1;
    dim = mdays[mo - 1];
    if (mo == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        dim = 29;
    if (d < 1 || d > dim)
        return -1;
    secs =
        civil_to_days(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s - utc_offset_s;
    if (secs <= 0)
        return -1;
    *out_ms = secs * 1000 + ms;
    return 0;
}

/*
 * A decimal number as HJ 212 devices send it: optional sign, digits, an
 * optional fraction with digits, an optional exponent. Refuses what strtod
 * would also take ("0x10", "inf", "nan", ".5", spaces) and non-finite values.
 */
static bool parse_number(struct span v, double *out)
{
    char text[NUM_TEXT_MAX + 1];
    size_t i = 0;
    char *end = NULL;
    double d;

    if (v.n == 0 || v.n > NUM_TEXT_MAX)
        return false;
    if (v.p[i] == '+' || v.p[i] == '-')
        i++;
    if (!skip_digits(v, &i))
        return false;
    if (i < v.n && v.p[i] == '.') {
        i++;
        if (!skip_digits(v, &i))
            return false;
    }
    if (i < v.n && (v.p[i] == 'e' || v.p[i] == 'E')) {
        i++;
        if (i < v.n && (v.p[i] == '+' || v.p[i] == '-'))
            i++;
        if (!skip_digits(v, &i))
            return false;
    }
    if (i != v.n)
        return false;
    memcpy(text, v.p, v.n);
    text[v.n] = '\0';
    d = strtod(text, &end);
    if (end != text + v.n || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* Copy @v into @dst (size @dstsz), cut at a UTF-8 character boundary. */
static void copy_truncated(char *dst, size_t dstsz, struct span v)
{
    size_t n = v.n < dstsz - 1 ? v.n : dstsz - 1;

    if (n < v.n) {
        while (n > 0 && ((unsigned char)v.p[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, v.p, n);
    dst[n] = '\0';
}

/* The data flags of HJ 212-2017 Table 8. */
static bool is_data_flag(char c)
{
    return c != '\0' && strchr("NFMSDCTB", c) != NULL;
}

/*
 * The flags of HJ/T 212-2005 that 2017 dropped: P power failure, H/L above
 * or below the instrument's range, ']' ')' / '[' '(' above or below a user
 * limit, and the lower-case forms loggers of that edition send. Stored as
 * sent; rollups count only N as valid, as for any flag but N.
 */
static bool is_data_flag_2005(char c)
{
    return c != '\0' && strchr("PHLpbdchlfn][)(", c) != NULL;
}

/* Kinds whose value must be a number (HJ 212-2017 Table 4 and noise N3). */
static bool kind_is_measurement(struct span kind)
{
    static const char *const kinds[] = {"Rtd",   "Min",   "Avg",   "Max",  "Cou",     "ZsRtd",
                                        "ZsMin", "ZsAvg", "ZsMax", "Data", "DayData", "NightData"};

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (span_is(kind, kinds[i]))
            return true;
    }
    return false;
}

/* One "key=value" item; the code is the key up to its first '-'. */
struct item {
    struct span key;
    struct span val;
    struct span code;
    struct span kind; /* after the first '-'; empty when the key has none */
};

/* Split @raw at its '=' and check the key. 0 or DEC_ERR_SYNTAX. */
static int item_split(struct span raw, struct item *it, struct dec_error *err)
{
    const char *eq = memchr(raw.p, '=', raw.n);
    const char *dash;

    memset(it, 0, sizeof(*it));
    if (!eq)
        return dec_fail(err, DEC_ERR_SYNTAX, "CP item \"%.*s\" has no '='", show(raw), raw.p);
    it->key = (struct span){raw.p, (size_t)(eq - raw.p)};
    it->val = (struct span){eq + 1, raw.n - it->key.n - 1};
    if (it->key.n == 0 || it->key.n >= DEC_NAME_MAX)
        return dec_fail(err, DEC_ERR_SYNTAX, "CP item \"%.*s\" has an empty or too long key",
                        show(raw), raw.p);
    for (size_t i = 0; i < it->key.n; i++) {
        if (!key_char_ok(it->key.p[i]))
            return dec_fail(err, DEC_ERR_SYNTAX, "CP key \"%.*s\" has a bad character",
                            show(it->key), it->key.p);
    }
    if (memchr(it->val.p, '=', it->val.n))
        return dec_fail(err, DEC_ERR_SYNTAX, "CP item \"%.*s\" has two '='", show(raw), raw.p);
    dash = memchr(it->key.p, '-', it->key.n);
    if (dash) {
        it->code = (struct span){it->key.p, (size_t)(dash - it->key.p)};
        it->kind = (struct span){dash + 1, it->key.n - it->code.n - 1};
    } else {
        it->code = it->key;
        it->kind = (struct span){it->key.p + it->key.n, 0};
    }
    return 0;
}

/* Next ','-separated piece of @group from *@pos; false at the end. */
static bool next_piece(struct span group, char sep, size_t *pos, struct span *piece)
{
    const char *hit;

    if (*pos > group.n)
        return false;
    hit = memchr(group.p + *pos, sep, group.n - *pos);
    piece->p = group.p + *pos;
    piece->n = hit ? (size_t)(hit - piece->p) : group.n - *pos;
    *pos += piece->n + 1;
    return true;
}

/*
 * The data flag for @code in @group ("<code>-Flag=N"), 0 when the group has
 * none. Items were already checked by the caller's walk of the group.
 */
static char group_flag(struct span group, struct span code)
{
    struct span piece;
    size_t pos = 0;

    while (next_piece(group, ',', &pos, &piece)) {
        struct item it;
        struct dec_error ignored;

        if (piece.n == 0 || item_split(piece, &it, &ignored) != 0)
            continue;
        if (span_eq(it.code, code) && span_is(it.kind, "Flag") && it.val.n == 1)
            return it.val.p[0];
    }
    return 0;
}

/* True when @group has an item with @key before offset @before. */
static bool group_has_key_before(struct span group, struct span key, size_t before)
{
    struct span piece;
    size_t pos = 0;

    while (pos < before && next_piece(group, ',', &pos, &piece)) {
        if (piece.n > key.n && memcmp(piece.p, key.p, key.n) == 0 && piece.p[key.n] == '=' &&
            (size_t)(piece.p - group.p) < before)
            return true;
    }
    return false;
}

/* Fill @f from one value item. 0 or DEC_ERR_SYNTAX. */
static int item_value(const struct item *it, struct dec_field *f, struct dec_error *err)
{
    memset(f, 0, sizeof(*f));
    if (it->key.n)
        memcpy(f->name, it->key.p, it->key.n);
    if (it->val.n == 0) {
        f->kind = DEC_NULL;
        return 0;
    }
    if (parse_number(it->val, &f->num)) {
        f->kind = DEC_NUM;
        return 0;
    }
    if (kind_is_measurement(it->kind))
        return dec_fail(err, DEC_ERR_SYNTAX, "%.*s=\"%.*s\" is not a number", show(it->key),
                        it->key.p, show(it->val), it->val.p);
    if (!utf8_valid(it->val.p, it->val.n))
        return dec_fail(err, DEC_ERR_SYNTAX, "%.*s is not valid UTF-8", show(it->key), it->key.p);
    f->kind = DEC_STR;
    copy_truncated(f->str, sizeof(f->str), it->val);
    return 0;
}

static int decode_cp(struct span cp, long utc_offset_s, struct dec_msg *msg, struct dec_field *out,
                     size_t max, struct dec_error *err)
{
    unsigned notes = 0;
    struct span group;
    size_t gpos = 0;
    size_t n = 0;
    bool have_time = false;
    int64_t ts_ms = 0;
    int rc;

    if (memchr(cp.p, '&', cp.n))
        return dec_fail(err, DEC_ERR_SYNTAX, "'&' inside the CP area");
    while (next_piece(cp, ';', &gpos, &group)) {
        struct span piece;
        size_t ipos = 0;

        while (next_piece(group, ',', &ipos, &piece)) {
            struct item it;
            char flag;

            if (piece.n == 0)
                continue; /* tolerate ";;" and a trailing ';' some loggers send */
            rc = item_split(piece, &it, err);
            if (rc)
                return rc;
            if (span_is(it.key, "DataTime")) {
                if (have_time)
                    return dec_fail(err, DEC_ERR_SHAPE, "CP has two DataTime items");
                if (parse_datatime(it.val, utc_offset_s, &ts_ms) != 0)
                    return dec_fail(err, DEC_ERR_TIMESTAMP, "bad DataTime \"%.*s\"", show(it.val),
                                    it.val.p);
                if (it.val.n == 17)
                    notes |= DEC_NOTE_HJ212_DATATIME_MS;
                have_time = true;
                continue;
            }
            if (span_is(it.kind, "Flag")) {
                if (it.val.n != 1 || !(is_data_flag(it.val.p[0]) || is_data_flag_2005(it.val.p[0])))
                    return dec_fail(err, DEC_ERR_SYNTAX,
                                    "%.*s=\"%.*s\" is not a data flag (N F M S D C T B)",
                                    show(it.key), it.key.p, show(it.val), it.val.p);
                if (!is_data_flag(it.val.p[0]))
                    notes |= DEC_NOTE_HJ212_FLAG_2005;
                if (group_has_key_before(group, it.key, (size_t)(piece.p - group.p)))
                    return dec_fail(err, DEC_ERR_SHAPE, "%.*s appears twice in one group",
                                    show(it.key), it.key.p);
                continue;
            }
            if (n >= max)
                return dec_fail(err, DEC_ERR_TOO_MANY, "more than %zu values", max);
            rc = item_value(&it, &out[n], err);
            if (rc)
                return rc;
            for (size_t i = 0; i < n; i++) {
                if (strcmp(out[i].name, out[n].name) == 0)
                    return dec_fail(err, DEC_ERR_SHAPE, "%s appears twice", out[n].name);
            }
            flag = group_flag(group, it.code);
            out[n].flag = flag;
            n++;
        }
    }
    if (!have_time)
        return dec_fail(err, DEC_ERR_SHAPE, "CP has no DataTime");
    for (size_t i = 0; i < n; i++)
        out[i].ts_ms = ts_ms;
    msg->ts_ms = ts_ms;
    msg->n_fields = n;
    msg->notes |= notes;
    return (int)n;
}

static int hj212_decode(const struct dec_opts *opt, const char *buf, size_t len,
                        struct dec_msg *msg, struct dec_field *out, size_t max,
                        struct dec_error *err)
{
    struct dec_error scratch_err;
    struct dec_msg scratch_msg;
    struct hj212_header h;
    const char *seg = NULL;
    size_t seg_len = 0;
    long offset = opt ? opt->utc_offset_s : DEC_HJ212_UTC_OFFSET_S;
    enum dec_crc used = DEC_CRC_HJ212;
    int rc;

    if (!err)
        err = &scratch_err;
    if (!msg)
        msg = &scratch_msg;
    memset(msg, 0, sizeof(*msg));
    err->code = 0;
    err->detail[0] = '\0';
    if (!buf) {
        buf = "";
        len = 0;
    }
    if (!out)
        max = 0;

    rc = hj212_unframe_mode(buf, len, opt ? opt->crc : DEC_CRC_HJ212, &seg, &seg_len, &used, err);
    if (rc)
        return rc;
    rc = hj212_parse_header(seg, seg_len, &h, err);
    if (rc)
        return rc;
    if (used == DEC_CRC_MODBUS)
        h.notes |= DEC_NOTE_HJ212_CRC_MODBUS;
    else if (used == DEC_CRC_MODBUS_SWAPPED)
        h.notes |= DEC_NOTE_HJ212_CRC_SWAPPED;
    if (!hj212_cn_is_data(h.cn))
        return dec_fail(err, DEC_ERR_SHAPE, "CN=%04d is not a data upload (2011 2031 2051 2061)",
                        h.cn);
    rc = decode_cp((struct span){h.cp, h.cp_len}, offset, msg, out, max, err);
    if (rc < 0) {
        msg->n_fields = 0;
        msg->notes = 0;
        return rc;
    }
    msg->notes |= h.notes;
    (void)snprintf(msg->device, sizeof(msg->device), "%s", h.mn);
    return rc;
}

const struct decoder decoder_hj212 = {"hj212", hj212_decode};
