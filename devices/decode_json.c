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
#include "json_scan.h"
#include "textparse.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jscan {
    struct json_cur c;
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
        snprintf(s->err->detail, sizeof(s->err->detail), "%s at byte %zu", what,
                 (size_t)(s->c.p - s->c.start));
        s->err->code = code;
    }
    return code;
}

static void skip_ws(struct jscan *s)
{
    json_skip_ws(&s->c);
}

static bool match(struct jscan *s, const char *word)
{
    struct json_val v;

    return json_scan_literal(&s->c, word, JSON_NULL, &v) == JSON_OK;
}

/* The string at the cursor into @out, NUL-terminated and cut at a character boundary to fit @cap.
 */
static int read_string(struct jscan *s, char *out, size_t cap, size_t *out_len)
{
    struct json_val v;
    size_t full;
    char last;

    if (json_scan_string(&s->c, &v) != JSON_OK)
        return scan_fail(s, DEC_ERR_SYNTAX, "bad string (escape, control character or no end)");
    (void)json_unescape(&v, out, cap, &full, &last); /* a U+0000 ends the string */
    *out_len = strlen(out);
    return 0;
}

/* A JSON number, or NaN and Infinity as some firmware writes them, into *v. */
static int read_number(struct jscan *s, double *v)
{
    struct json_cur word = s->c;
    struct json_val n;
    bool is_neg = json_at(&word, '-');

    if (is_neg)
        word.p++;
    if (json_scan_literal(&word, "Infinity", JSON_NUM, &n) == JSON_OK) {
        s->c = word;
        *v = is_neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (!is_neg && json_scan_literal(&word, "NaN", JSON_NUM, &n) == JSON_OK) {
        s->c = word;
        *v = NAN;
        return 0;
    }
    if (json_scan_number(&s->c, &n) != JSON_OK)
        return scan_fail(s, DEC_ERR_SYNTAX, "bad number");
    if (json_number(&n, v) != 0)
        return scan_fail(s, DEC_ERR_SYNTAX, "number too long");
    return 0; /* overflow gives +-inf, rejected with its value */
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

    if (depth >= JSON_DEPTH_MAX)
        return scan_fail(s, DEC_ERR_SHAPE, "nesting too deep");
    s->c.p++; /* { */
    skip_ws(s);
    if (json_at(&s->c, '}')) {
        s->c.p++;
        return 0;
    }
    for (;;) {
        char key[DEC_NAME_MAX * 2];
        size_t klen = 0;
        bool is_time;

        skip_ws(s);
        if (!json_at(&s->c, '"'))
            return scan_fail(s, DEC_ERR_SYNTAX, "expected a key");
        if (read_string(s, key, sizeof(key), &klen))
            return s->rc;
        if (klen == 0)
            return scan_fail(s, DEC_ERR_SHAPE, "empty key");
        skip_ws(s);
        if (!json_at(&s->c, ':'))
            return scan_fail(s, DEC_ERR_SYNTAX, "expected ':'");
        s->c.p++;
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
        if (s->c.p >= s->c.end)
            return scan_fail(s, DEC_ERR_SYNTAX, "unterminated object");
        if (*s->c.p == ',') {
            s->c.p++;
            continue;
        }
        if (*s->c.p == '}') {
            s->c.p++;
            return 0;
        }
        return scan_fail(s, DEC_ERR_SYNTAX, "expected ',' or '}'");
    }
}

/* Skip an array and everything in it; arrays carry no flat fields. */
static int skip_array(struct jscan *s, int depth)
{
    char saved[sizeof(s->path)];

    if (depth >= JSON_DEPTH_MAX)
        return scan_fail(s, DEC_ERR_SHAPE, "nesting too deep");
    memcpy(saved, s->path, sizeof(saved));
    s->c.p++; /* [ */
    skip_ws(s);
    if (json_at(&s->c, ']')) {
        s->c.p++;
        s->msg->n_skipped++;
        return 0;
    }
    s->in_array++;
    for (;;) {
        if (parse_value(s, depth + 1, false))
            return s->rc;
        memcpy(s->path, saved, sizeof(saved));
        skip_ws(s);
        if (s->c.p >= s->c.end)
            return scan_fail(s, DEC_ERR_SYNTAX, "unterminated array");
        if (*s->c.p == ',') {
            s->c.p++;
            continue;
        }
        if (*s->c.p == ']') {
            s->c.p++;
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
    if (s->c.p >= s->c.end)
        return scan_fail(s, DEC_ERR_SYNTAX, "expected a value");
    c = *s->c.p;
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
        .c = {buf, buf, buf + len}, .opt = &o, .msg = msg, .out = out, .max = max, .err = err};

    if (!o.time_field)
        o.time_field = "ts";
    memset(msg, 0, sizeof(*msg));
    err->code = 0;
    err->detail[0] = '\0';
    skip_ws(&s);
    if (s.c.p >= s.c.end)
        return scan_fail(&s, DEC_ERR_SYNTAX, "empty payload");
    if (*s.c.p != '{')
        return scan_fail(&s, DEC_ERR_SHAPE, "payload is not a JSON object");
    if (parse_object(&s, 0))
        return s.rc;
    skip_ws(&s);
    if (s.c.p != s.c.end)
        return scan_fail(&s, DEC_ERR_SYNTAX, "trailing data after the object");
    return (int)msg->n_fields;
}

const struct decoder decoder_json = {
    .name = "json",
    .decode = json_decode,
};
