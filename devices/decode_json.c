/*
 * Flat JSON decoder: {"ts": 1732600000, "pm25": 23.4, "meta": {"rssi": -70}}.
 *
 * A single pass over the buffer with no allocation at all (the payload is
 * not NUL-terminated and may be hostile). Every scalar leaf becomes a field
 * named by its dotted path ("meta.rssi"); arrays are skipped and counted.
 * The message time is the top-level key named by dec_opts.time_field
 * (epoch seconds or milliseconds, or an ISO 8601 string). NaN and Infinity,
 * which some firmware emits although JSON forbids them, are read as
 * non-finite numbers so that ingest rejects the one value, not the message.
 */
#include "decode.h"
#include "textparse.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

struct jscan {
    const char *buf;
    size_t len;
    size_t pos;
    const struct dec_opts *opt;
    struct dec_msg *msg;
    struct dec_field *out;
    size_t max;
    struct dec_error *err;
    char path[DEC_NAME_MAX * 2];
    int in_array; /* > 0 while inside arrays: values there are not fields */
    int rc;       /* first error, 0 while fine */
};

static int scan_fail(struct jscan *s, int code, const char *what)
{
    if (s->rc == 0) {
        s->rc = code;
        snprintf(s->err->detail, sizeof(s->err->detail), "%s at byte %zu", what, s->pos);
        s->err->code = code;
    }
    return code;
}

static void skip_ws(struct jscan *s)
{
    while (s->pos < s->len) {
        char c = s->buf[s->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        s->pos++;
    }
}

static bool match(struct jscan *s, const char *word)
{
    size_t n = strlen(word);

    if (s->len - s->pos < n || memcmp(s->buf + s->pos, word, n) != 0)
        return false;
    s->pos += n;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of @s[0..n) without a multi-byte character cut short at its end. */
static size_t utf8_trim(const char *s, size_t n)
{
    size_t k = n;
    size_t need;
    unsigned char lead;

    while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0)
        return n;
    lead = (unsigned char)s[k - 1];
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return n - (k - 1) < need ? k - 1 : n;
}

/* Append code point @cp as UTF-8 to out if it fits (truncation is silent). */
static void put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
    char tmp[4];
    size_t k;

    if (cp < 0x80) {
        tmp[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | (cp >> 6));
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12));
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | (cp >> 18));
        tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*n + k < cap) {
        memcpy(out + *n, tmp, k);
        *n += k;
    }
}

static int read_hex4(struct jscan *s, unsigned *cp)
{
    unsigned v = 0;

    if (s->len - s->pos < 4)
        return scan_fail(s, DEC_ERR_SYNTAX, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        int h = hexval(s->buf[s->pos + (size_t)i]);
        if (h < 0)
            return scan_fail(s, DEC_ERR_SYNTAX, "bad \\u escape");
        v = v * 16 + (unsigned)h;
    }
    s->pos += 4;
    *cp = v;
    return 0;
}

/*
 * Read a string at s->pos (which is on the opening quote) into out (NUL-
 * terminated, truncated to cap-1 bytes; out may be NULL to skip).
 */
static int read_string(struct jscan *s, char *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    bool is_cut = false;

    s->pos++; /* opening quote */
    while (s->pos < s->len) {
        unsigned char c = (unsigned char)s->buf[s->pos++];
        if (c == '"') {
            if (out && is_cut)
                n = utf8_trim(out, n);
            if (out)
                out[n] = '\0';
            if (out_len)
                *out_len = n;
            return 0;
        }
        if (c < 0x20)
            return scan_fail(s, DEC_ERR_SYNTAX, "control character in string");
        if (c != '\\') {
            if (out && n + 1 < cap)
                out[n++] = (char)c;
            else
                is_cut = true;
            continue;
        }
        if (s->pos >= s->len)
            break;
        c = (unsigned char)s->buf[s->pos++];
        unsigned cp = 0;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            cp = c;
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (read_hex4(s, &cp))
                return s->rc;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (!match(s, "\\u") || read_hex4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return scan_fail(s, DEC_ERR_SYNTAX, "unpaired surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return scan_fail(s, DEC_ERR_SYNTAX, "unpaired surrogate");
            }
            break;
        default:
            return scan_fail(s, DEC_ERR_SYNTAX, "bad escape");
        }
        if (out)
            put_utf8(out, cap, &n, cp);
    }
    return scan_fail(s, DEC_ERR_SYNTAX, "unterminated string");
}

/* Read a JSON number (or NaN/Infinity) per the JSON grammar into *v. */
static int read_number(struct jscan *s, double *v)
{
    size_t start = s->pos;
    char tmp[64];
    bool neg = false;

    if (s->pos < s->len && s->buf[s->pos] == '-') {
        neg = true;
        s->pos++;
    }
    if (match(s, "Infinity")) {
        *v = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (!neg && match(s, "NaN")) {
        *v = NAN;
        return 0;
    }
    if (s->pos >= s->len)
        return scan_fail(s, DEC_ERR_SYNTAX, "truncated number");
    if (s->buf[s->pos] == '0') {
        s->pos++;
    } else if (s->buf[s->pos] >= '1' && s->buf[s->pos] <= '9') {
        while (s->pos < s->len && s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9')
            s->pos++;
    } else {
        return scan_fail(s, DEC_ERR_SYNTAX, "bad number");
    }
    if (s->pos < s->len && s->buf[s->pos] == '.') {
        s->pos++;
        if (s->pos >= s->len || s->buf[s->pos] < '0' || s->buf[s->pos] > '9')
            return scan_fail(s, DEC_ERR_SYNTAX, "bad fraction");
        while (s->pos < s->len && s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9')
            s->pos++;
    }
    if (s->pos < s->len && (s->buf[s->pos] == 'e' || s->buf[s->pos] == 'E')) {
        s->pos++;
        if (s->pos < s->len && (s->buf[s->pos] == '+' || s->buf[s->pos] == '-'))
            s->pos++;
        if (s->pos >= s->len || s->buf[s->pos] < '0' || s->buf[s->pos] > '9')
            return scan_fail(s, DEC_ERR_SYNTAX, "bad exponent");
        while (s->pos < s->len && s->buf[s->pos] >= '0' && s->buf[s->pos] <= '9')
            s->pos++;
    }
    if (s->pos - start >= sizeof(tmp))
        return scan_fail(s, DEC_ERR_SYNTAX, "number too long");
    memcpy(tmp, s->buf + start, s->pos - start);
    tmp[s->pos - start] = '\0';
    *v = strtod(tmp, NULL); /* grammar checked above; overflow gives +-inf */
    return 0;
}

static struct dec_field *new_field(struct jscan *s)
{
    struct dec_field *f;

    if (s->in_array)
        return NULL;
    /* A value too long to name is skipped and takes no room. */
    if (strlen(s->path) >= DEC_NAME_MAX) {
        s->msg->n_skipped++;
        return NULL;
    }
    if (s->msg->n_fields >= s->max) {
        scan_fail(s, DEC_ERR_TOO_MANY, "too many fields");
        return NULL;
    }
    f = &s->out[s->msg->n_fields++];
    memset(f, 0, sizeof(*f));
    memcpy(f->name, s->path, strlen(s->path) + 1);
    return f;
}

static int parse_value(struct jscan *s, int depth, bool is_time);

static int set_time_from_string(struct jscan *s, const char *str, size_t n)
{
    int64_t ms;
    double v;

    if (parse_double(str, &v) == 0) {
        if (epoch_to_ms(v, &ms))
            return scan_fail(s, DEC_ERR_TIMESTAMP, "bad timestamp");
    } else if (parse_iso8601_ms(str, n, 0, &ms) != 0) {
        return scan_fail(s, DEC_ERR_TIMESTAMP, "bad timestamp");
    }
    s->msg->ts_ms = ms;
    return 0;
}

static int parse_object(struct jscan *s, int depth)
{
    size_t base = strlen(s->path);

    if (depth >= JSON_MAX_DEPTH)
        return scan_fail(s, DEC_ERR_SHAPE, "nesting too deep");
    s->pos++; /* { */
    skip_ws(s);
    if (s->pos < s->len && s->buf[s->pos] == '}') {
        s->pos++;
        return 0;
    }
    for (;;) {
        char key[DEC_NAME_MAX * 2];
        size_t klen = 0;
        bool is_time;

        skip_ws(s);
        if (s->pos >= s->len || s->buf[s->pos] != '"')
            return scan_fail(s, DEC_ERR_SYNTAX, "expected a key");
        if (read_string(s, key, sizeof(key), &klen))
            return s->rc;
        if (klen == 0)
            return scan_fail(s, DEC_ERR_SHAPE, "empty key");
        skip_ws(s);
        if (s->pos >= s->len || s->buf[s->pos] != ':')
            return scan_fail(s, DEC_ERR_SYNTAX, "expected ':'");
        s->pos++;
        is_time = depth == 0 && strcmp(key, s->opt->time_field) == 0;
        if (base + 1 + klen < sizeof(s->path)) {
            size_t at = base;
            if (base)
                s->path[at++] = '.';
            memcpy(s->path + at, key, klen + 1);
        } else {
            /* too long to name: fill the path so new_field() skips this
             * value and everything nested in it */
            memset(s->path, 'x', sizeof(s->path) - 1);
            s->path[sizeof(s->path) - 1] = '\0';
        }
        if (parse_value(s, depth + 1, is_time))
            return s->rc;
        s->path[base] = '\0';
        skip_ws(s);
        if (s->pos >= s->len)
            return scan_fail(s, DEC_ERR_SYNTAX, "unterminated object");
        if (s->buf[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->buf[s->pos] == '}') {
            s->pos++;
            return 0;
        }
        return scan_fail(s, DEC_ERR_SYNTAX, "expected ',' or '}'");
    }
}

/* Skip an array and everything in it; arrays carry no flat fields. */
static int skip_array(struct jscan *s, int depth)
{
    char saved[sizeof(s->path)];

    if (depth >= JSON_MAX_DEPTH)
        return scan_fail(s, DEC_ERR_SHAPE, "nesting too deep");
    memcpy(saved, s->path, sizeof(saved));
    s->pos++; /* [ */
    skip_ws(s);
    if (s->pos < s->len && s->buf[s->pos] == ']') {
        s->pos++;
        s->msg->n_skipped++;
        return 0;
    }
    s->in_array++;
    for (;;) {
        if (parse_value(s, depth + 1, false))
            return s->rc;
        memcpy(s->path, saved, sizeof(saved));
        skip_ws(s);
        if (s->pos >= s->len)
            return scan_fail(s, DEC_ERR_SYNTAX, "unterminated array");
        if (s->buf[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->buf[s->pos] == ']') {
            s->pos++;
            s->in_array--;
            s->msg->n_skipped++;
            return 0;
        }
        return scan_fail(s, DEC_ERR_SYNTAX, "expected ',' or ']'");
    }
}

static int parse_value(struct jscan *s, int depth, bool is_time)
{
    struct dec_field *f;
    char c;

    skip_ws(s);
    if (s->pos >= s->len)
        return scan_fail(s, DEC_ERR_SYNTAX, "expected a value");
    c = s->buf[s->pos];
    if (c == '{') {
        if (is_time)
            return scan_fail(s, DEC_ERR_TIMESTAMP, "timestamp is an object");
        return parse_object(s, depth);
    }
    if (c == '[') {
        if (is_time)
            return scan_fail(s, DEC_ERR_TIMESTAMP, "timestamp is an array");
        return skip_array(s, depth);
    }
    if (c == '"') {
        char str[DEC_STR_MAX];
        size_t n = 0;
        if (read_string(s, str, sizeof(str), &n))
            return s->rc;
        if (is_time)
            return set_time_from_string(s, str, n);
        f = new_field(s);
        if (f) {
            f->kind = DEC_STR;
            memcpy(f->str, str, n + 1);
        }
        return s->rc;
    }
    if (c == 't' || c == 'f') {
        bool truth = match(s, "true");
        if (!truth && !match(s, "false"))
            return scan_fail(s, DEC_ERR_SYNTAX, "bad literal");
        if (is_time)
            return scan_fail(s, DEC_ERR_TIMESTAMP, "timestamp is a boolean");
        f = new_field(s);
        if (f) {
            f->kind = DEC_BOOL;
            f->num = truth ? 1 : 0;
        }
        return s->rc;
    }
    if (match(s, "null")) {
        if (is_time)
            return 0; /* no device time: receive time applies */
        f = new_field(s);
        if (f)
            f->kind = DEC_NULL;
        return s->rc;
    }
    double v;
    if (read_number(s, &v))
        return s->rc;
    if (is_time) {
        int64_t ms;
        if (epoch_to_ms(v, &ms))
            return scan_fail(s, DEC_ERR_TIMESTAMP, "bad timestamp");
        s->msg->ts_ms = ms;
        return 0;
    }
    f = new_field(s);
    if (f) {
        f->kind = DEC_NUM;
        f->num = v;
    }
    return s->rc;
}

static int json_decode(const struct dec_opts *opt, const char *buf, size_t len, struct dec_msg *msg,
                       struct dec_field *out, size_t max, struct dec_error *err)
{
    static const struct dec_opts defaults = {.time_field = "ts"};
    struct dec_opts o = opt ? *opt : defaults;
    struct jscan s = {
        .buf = buf, .len = len, .opt = &o, .msg = msg, .out = out, .max = max, .err = err};

    if (!o.time_field)
        o.time_field = "ts";
    memset(msg, 0, sizeof(*msg));
    err->code = 0;
    err->detail[0] = '\0';
    skip_ws(&s);
    if (s.pos >= len)
        return scan_fail(&s, DEC_ERR_SYNTAX, "empty payload");
    if (buf[s.pos] != '{')
        return scan_fail(&s, DEC_ERR_SHAPE, "payload is not a JSON object");
    if (parse_object(&s, 0))
        return s.rc;
    skip_ws(&s);
    if (s.pos != len)
        return scan_fail(&s, DEC_ERR_SYNTAX, "trailing data after the object");
    return (int)msg->n_fields;
}

const struct decoder decoder_json = {
    .name = "json",
    .decode = json_decode,
};
