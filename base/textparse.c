/*
 * Small, strict text parsers shared by config, payload decoders and the
 * command line. Each accepts exactly one well-formed value and rejects
 * anything else, so that a typo in a config file is an error, not a zero.
 */
#include "textparse.h"
#include "civil.h"
#include "col_err.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_int64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return COL_ERR_INVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return COL_ERR_RANGE;
    if (*end != '\0')
        return COL_ERR_INVAL;
    *out = v;
    return 0;
}

int parse_double(const char *s, double *out)
{
    char *end = NULL;
    double v;

    if (!s || !*s || isspace((unsigned char)*s))
        return COL_ERR_INVAL;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || errno == ERANGE)
        return COL_ERR_INVAL;
    *out = v;
    return 0;
}

int parse_duration_ms(const char *s, int64_t *out_ms)
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000},
    };
    char *end = NULL;
    double v;

    if (!s || !*s || isspace((unsigned char)*s) || *s == '-')
        return COL_ERR_INVAL;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
        return COL_ERR_INVAL;
    if (*end == '\0') {
        if (v > 9.2e15)
            return COL_ERR_RANGE;
        *out_ms = (int64_t)llround(v * 1000.0);
        return 0;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > 9.2e18 / (double)units[i].ms)
                return COL_ERR_RANGE;
            *out_ms = (int64_t)llround(v * (double)units[i].ms);
            return 0;
        }
    }
    return COL_ERR_INVAL;
}

int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {
        {"", 1},
        {"B", 1},
        {"KB", 1000},
        {"MB", 1000000},
        {"GB", 1000000000},
        {"KiB", 1024},
        {"MiB", 1024 * 1024},
        {"GiB", 1024ull * 1024 * 1024},
        {"k", 1024},
        {"K", 1024},
        {"M", 1024 * 1024},
        {"G", 1024ull * 1024 * 1024},
    };
    char *end = NULL;
    unsigned long long v;

    if (!s || !isdigit((unsigned char)*s))
        return COL_ERR_INVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return COL_ERR_RANGE;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > UINT64_MAX / units[i].mult)
                return COL_ERR_RANGE;
            *out = v * units[i].mult;
            return 0;
        }
    }
    return COL_ERR_INVAL;
}

static int take_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (*pos >= len || !isdigit((unsigned char)s[*pos]))
            return COL_ERR_INVAL;
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    *out = v;
    return 0;
}

static int expect_char(const char *s, size_t len, size_t *pos, char c)
{
    if (*pos >= len || s[*pos] != c)
        return COL_ERR_INVAL;
    (*pos)++;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Parses the "+hh:mm", "+hhmm", "+hh" or "Z" suffix; leaves *off unchanged at end. */
static int parse_offset(const char *s, size_t len, size_t *pos, long *off)
{
    int hh = 0, mm = 0, sign;

    if (*pos >= len)
        return 0;
    if (s[*pos] == 'Z' || s[*pos] == 'z') {
        (*pos)++;
        *off = 0;
        return 0;
    }
    if (s[*pos] != '+' && s[*pos] != '-')
        return COL_ERR_INVAL;
    sign = s[*pos] == '-' ? -1 : 1;
    (*pos)++;
    if (take_digits(s, len, pos, 2, &hh))
        return COL_ERR_INVAL;
    if (*pos < len && s[*pos] == ':') {
        (*pos)++;
        if (take_digits(s, len, pos, 2, &mm)) /* "+08:" without minutes */
            return COL_ERR_INVAL;
    } else if (*pos < len && take_digits(s, len, pos, 2, &mm)) {
        return COL_ERR_INVAL;
    }
    if (hh > 14 || mm > 59)
        return COL_ERR_INVAL;
    *off = sign * (hh * 3600L + mm * 60L);
    return 0;
}

int parse_iso8601_ms(const char *s, size_t len, long default_offset_s, int64_t *out_ms)
{
    size_t pos = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac_ms = 0;
    long off = default_offset_s;

    if (take_digits(s, len, &pos, 4, &y) || expect_char(s, len, &pos, '-') ||
        take_digits(s, len, &pos, 2, &mo) || expect_char(s, len, &pos, '-') ||
        take_digits(s, len, &pos, 2, &d))
        return COL_ERR_INVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return COL_ERR_INVAL;
    if (pos < len) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
            return COL_ERR_INVAL;
        pos++;
        if (take_digits(s, len, &pos, 2, &h) || expect_char(s, len, &pos, ':') ||
            take_digits(s, len, &pos, 2, &mi))
            return COL_ERR_INVAL;
        if (pos < len && s[pos] == ':') {
            pos++;
            if (take_digits(s, len, &pos, 2, &sec))
                return COL_ERR_INVAL;
            if (pos < len && (s[pos] == '.' || s[pos] == ',')) {
                int scale = 100;
                pos++;
                if (pos >= len || !isdigit((unsigned char)s[pos]))
                    return COL_ERR_INVAL;
                while (pos < len && isdigit((unsigned char)s[pos])) {
                    frac_ms += (s[pos] - '0') * scale;
                    scale /= 10;
                    pos++;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return COL_ERR_INVAL;
        if (parse_offset(s, len, &pos, &off))
            return COL_ERR_INVAL;
    }
    if (pos != len)
        return COL_ERR_INVAL;
    *out_ms = ((civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000 + frac_ms;
    return 0;
}

int epoch_to_ms(double v, int64_t *out_ms)
{
    if (!isfinite(v) || v < 0)
        return COL_ERR_INVAL;
    if (v < 1e11) {
        *out_ms = (int64_t)llround(v * 1000.0);
        return 0;
    }
    if (v > 9.2e15)
        return COL_ERR_INVAL;
    *out_ms = (int64_t)llround(v);
    return 0;
}

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}
