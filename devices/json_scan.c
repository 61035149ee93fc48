/*
 * The JSON scanner both JSON decoders share (json_scan.h): RFC 8259
 * grammar over a buffer that is not NUL-terminated, without allocation.
 * Strings keep their raw bytes until json_unescape() decodes them, so a
 * decoder can validate a whole payload first and read it afterwards.
 */
#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void json_skip_ws(struct json_cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

bool json_at(const struct json_cur *c, char ch)
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
            return JSON_BAD;
    }
    *out = v;
    return JSON_OK;
}

/* Read the \uXXXX escape at @p (@avail bytes); a surrogate pair counts as one. */
static int read_u_escape(const char *p, size_t avail, unsigned *cp, size_t *used)
{
    unsigned lo;

    if (avail < 6 || hex4(p + 2, cp) != JSON_OK)
        return JSON_BAD;
    *used = 6;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return JSON_BAD;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        if (avail < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) != JSON_OK ||
            lo < 0xDC00 || lo > 0xDFFF)
            return JSON_BAD;
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        *used = 12;
    }
    return JSON_OK;
}

/* The one-letter escapes of RFC 8259 §7. */
static bool is_simple_escape(char c)
{
    return c != '\0' && strchr("\"\\/bfnrt", c) != NULL;
}

int json_scan_string(struct json_cur *c, struct json_val *v)
{
    if (!json_at(c, '"'))
        return JSON_BAD;
    c->p++;
    v->type = JSON_STR;
    v->p = c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char u = (unsigned char)*c->p;

        if (u < 0x20)
            return JSON_BAD;
        if (u != '\\') {
            c->p++;
            continue;
        }
        if (c->end - c->p < 2)
            return JSON_BAD;
        if (c->p[1] == 'u') {
            unsigned cp;
            size_t used;

            if (read_u_escape(c->p, (size_t)(c->end - c->p), &cp, &used) != JSON_OK)
                return JSON_BAD;
            c->p += used;
        } else if (is_simple_escape(c->p[1])) {
            c->p += 2;
        } else {
            return JSON_BAD;
        }
    }
    if (c->p >= c->end)
        return JSON_BAD;
    v->n = (size_t)(c->p - v->p);
    c->p++;
    return JSON_OK;
}

static size_t scan_digits(struct json_cur *c)
{
    const char *s = c->p;

    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    return (size_t)(c->p - s);
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
int json_scan_number(struct json_cur *c, struct json_val *v)
{
    v->type = JSON_NUM;
    v->p = c->p;
    if (json_at(c, '-'))
        c->p++;
    if (json_at(c, '0'))
        c->p++;
    else if (scan_digits(c) == 0)
        return JSON_BAD;
    if (json_at(c, '.')) {
        c->p++;
        if (scan_digits(c) == 0)
            return JSON_BAD;
    }
    if (json_at(c, 'e') || json_at(c, 'E')) {
        c->p++;
        if (json_at(c, '+') || json_at(c, '-'))
            c->p++;
        if (scan_digits(c) == 0)
            return JSON_BAD;
    }
    v->n = (size_t)(c->p - v->p);
    return JSON_OK;
}

int json_scan_literal(struct json_cur *c, const char *lit, enum json_type type, struct json_val *v)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return JSON_BAD;
    v->type = type;
    v->p = c->p;
    v->n = n;
    c->p += n;
    return JSON_OK;
}

int json_scan_value(struct json_cur *c, struct json_val *v, int depth)
{
    int rc;

    if (c->p >= c->end)
        return JSON_BAD;
    switch (*c->p) {
    case '"':
        return json_scan_string(c, v);
    case 't':
        return json_scan_literal(c, "true", JSON_TRUE, v);
    case 'f':
        return json_scan_literal(c, "false", JSON_FALSE, v);
    case 'n':
        return json_scan_literal(c, "null", JSON_NULL, v);
    case '{':
    case '[': {
        char close = *c->p == '{' ? '}' : ']';
        bool is_obj = close == '}';

        if (depth >= JSON_DEPTH_MAX)
            return JSON_DEEP;
        v->type = is_obj ? JSON_OBJ : JSON_ARR;
        v->p = c->p;
        c->p++;
        json_skip_ws(c);
        if (json_at(c, close)) {
            c->p++;
            v->n = (size_t)(c->p - v->p);
            return JSON_OK;
        }
        for (;;) {
            struct json_val inner;

            if (is_obj) {
                rc = json_scan_string(c, &inner);
                if (rc)
                    return rc;
                json_skip_ws(c);
                if (!json_at(c, ':'))
                    return JSON_BAD;
                c->p++;
                json_skip_ws(c);
            }
            rc = json_scan_value(c, &inner, depth + 1);
            if (rc)
                return rc;
            json_skip_ws(c);
            if (json_at(c, close))
                break;
            if (!json_at(c, ','))
                return JSON_BAD;
            c->p++;
            json_skip_ws(c);
        }
        c->p++;
        v->n = (size_t)(c->p - v->p);
        return JSON_OK;
    }
    default:
        if (*c->p == '-' || is_digit(*c->p))
            return json_scan_number(c, v);
        return JSON_BAD;
    }
}

bool json_unescape(const struct json_val *v, char *dst, size_t dstsz, size_t *full_len, char *last)
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
            if (cp == 0) {
                if (dstsz > 0)
                    dst[w] = '\0';
                *full_len = total;
                return false;
            }
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

int json_number(const struct json_val *v, double *out)
{
    char text[JSON_NUM_TEXT_MAX + 1];

    if (v->n > JSON_NUM_TEXT_MAX)
        return -1;
    memcpy(text, v->p, v->n);
    text[v->n] = '\0';
    *out = strtod(text, NULL);
    return 0;
}
