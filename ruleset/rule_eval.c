/*
 * The pure questions about a loaded rule (rule.h): does it select this
 * series, is it in force at this time, and what does its message say. Pure
 * functions over a borrowed rule: no allocation, no clock, no global state,
 * safe from any thread. rule_format() writes into the caller's buffer and
 * cuts only between UTF-8 characters, so a truncated Chinese message is still
 * valid text for the alert channels (SMS gateways reject broken UTF-8).
 */
#include "rule.h"
#include "rule_int.h"
#include "civil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum placeholder {
    PH_SITE,
    PH_DEVICE,
    PH_METRIC,
    PH_VALUE,
    PH_UNIT,
    PH_THRESHOLD,
    PH_WINDOW,
    PH_RULE,
    PH_SOURCE,
    PH_SEVERITY,
    PH_STARTED_AT,
    PH_VALUE_DURATION,
    PH_N
};

static const char *const placeholder_names[PH_N] = {
    "site",   "device", "metric", "value",    "unit",       "threshold",
    "window", "rule",   "source", "severity", "started_at", "value_duration",
};

const char *rule_severity_name(enum rule_severity s)
{
    static const char *const names[] = {"info", "warning", "major", "critical"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *rule_series_name(enum rule_series s)
{
    static const char *const names[RULE_N_SERIES] = {
        "reading",      "rolling",     "hourly",    "daily",       "aqi_hourly", "aqi_daily",
        "water_sample", "water_daily", "noise_day", "noise_night", "noise_lmax", "ytd_mean",
        "ytd_share",    "silence",     "stuck",     "jump",
    };

    return (unsigned)s < RULE_N_SERIES ? names[s] : "?";
}

const char *rule_op_name(enum rule_op op)
{
    static const char *const names[] = {">", ">=", "<", "<=", "==", "!="};

    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

/* A NULL selector matches anything; a set selector needs an equal argument. */
static bool selector_matches(const char *sel, const char *arg)
{
    if (!sel)
        return true;
    return arg && strcmp(sel, arg) == 0;
}

bool rule_selects(const struct rule *r, const char *domain, const char *site, const char *device,
                  const char *metric)
{
    if (!r)
        return false;
    return selector_matches(r->domain, domain) && selector_matches(r->site, site) &&
           selector_matches(r->device, device) && selector_matches(r->metric, metric);
}

bool rule_in_force(const struct rule *r, int64_t t_ms)
{
    if (!r)
        return false;
    if (r->effective_from_ms != 0 && t_ms < r->effective_from_ms)
        return false;
    if (r->effective_until_ms != 0 && t_ms >= r->effective_until_ms)
        return false;
    return true;
}

/* Length of a placeholder name at @s (after '{'), 0 when it is not one. */
static size_t placeholder_len(const char *s)
{
    size_t n = 0;

    while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
        n++;
    return n > 0 && s[n] == '}' ? n : 0;
}

static int placeholder_find(const char *s, size_t n)
{
    for (int i = 0; i < PH_N; i++)
        if (strlen(placeholder_names[i]) == n && memcmp(placeholder_names[i], s, n) == 0)
            return i;
    return -1;
}

bool rule_template_unknown(const char *tmpl, const char **name, size_t *len)
{
    for (const char *p = tmpl; p && *p; p++) {
        size_t n;

        if (*p != '{')
            continue;
        n = placeholder_len(p + 1);
        if (n && placeholder_find(p + 1, n) < 0) {
            *name = p + 1;
            *len = n;
            return true;
        }
    }
    return false;
}

/* The output buffer; once something did not fit, nothing more is written. */
struct outbuf {
    char *p;
    size_t sz, len;
    bool is_full;
};

static void put(struct outbuf *o, const char *s, size_t n)
{
    size_t room;

    if (o->is_full)
        return;
    room = o->sz - 1 - o->len;
    if (n > room) {
        /* s[n] is the first byte left out: back off while it continues a character */
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        o->is_full = true;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void put_str(struct outbuf *o, const char *s)
{
    if (!s)
        s = "-";
    put(o, s, strlen(s));
}

/*
 * A value for people: at most two decimals without trailing zeros (82.3, 6,
 * 1.85), small values with three significant digits (0.004), "-" for NaN.
 */
static void fmt_number(double v, char *buf, size_t sz)
{
    char *dot;
    size_t n;

    if (!isfinite(v)) {
        snprintf(buf, sz, "%s", isnan(v) ? "-" : (v > 0 ? "inf" : "-inf"));
        return;
    }
    if (v != 0 && fabs(v) < 0.01) {
        snprintf(buf, sz, "%.3g", v);
        return;
    }
    snprintf(buf, sz, "%.2f", v);
    dot = strchr(buf, '.');
    if (!dot)
        return;
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, sz, "0");
}

/* A duration as people write it: 6h, 1d12h, 1m30s, 500ms; "-" for none. */
static void fmt_duration(int64_t ms, char *buf, size_t sz)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        {"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
    };
    size_t len = 0;

    buf[0] = '\0';
    if (ms <= 0) {
        snprintf(buf, sz, "-");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && ms > 0; i++) {
        int64_t q = ms / units[i].ms;
        int w;

        if (q == 0)
            continue;
        ms -= q * units[i].ms;
        w = snprintf(buf + len, sz - len, "%lld%s", (long long)q, units[i].unit);
        if (w < 0 || (size_t)w >= sz - len)
            return;
        len += (size_t)w;
    }
}

/* UTC ms as local time "2026-03-01 08:00" at @offset_s from UTC; "-" for 0. */
static void fmt_local_time(int64_t ms, long offset_s, char *buf, size_t sz)
{
    int64_t s, days, secs, y;
    int m, d;

    if (ms == 0) {
        snprintf(buf, sz, "-");
        return;
    }
    s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0) + offset_s;
    days = s / 86400 - (s % 86400 < 0 ? 1 : 0);
    secs = s - days * 86400;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, sz, "%04lld-%02d-%02d %02lld:%02lld", (long long)y, m, d,
             (long long)(secs / 3600), (long long)(secs % 3600 / 60));
}

static void put_placeholder(struct outbuf *o, int ph, const struct rule *r,
                            const struct rule_ctx *ctx)
{
    char buf[64];

    switch (ph) {
    case PH_SITE:
        put_str(o, ctx ? ctx->site : NULL);
        break;
    case PH_DEVICE:
        put_str(o, ctx ? ctx->device : NULL);
        break;
    case PH_METRIC:
        put_str(o, ctx ? ctx->metric : NULL);
        break;
    case PH_UNIT:
        put_str(o, ctx ? ctx->unit : NULL);
        break;
    case PH_VALUE:
        fmt_number(ctx ? ctx->value : NAN, buf, sizeof(buf));
        put_str(o, buf);
        break;
    case PH_THRESHOLD:
        fmt_number(ctx ? ctx->threshold : NAN, buf, sizeof(buf));
        put_str(o, buf);
        break;
    case PH_WINDOW:
        fmt_duration(r ? r->window_ms : 0, buf, sizeof(buf));
        put_str(o, buf);
        break;
    case PH_RULE:
        put_str(o, r ? r->name : NULL);
        break;
    case PH_SOURCE:
        put_str(o, r ? r->source : NULL);
        break;
    case PH_SEVERITY:
        put_str(o, r ? rule_severity_name(r->severity) : NULL);
        break;
    case PH_VALUE_DURATION: /* the value read as seconds (silence), as 12h or 1d6h */
        fmt_duration(ctx && isfinite(ctx->value) && ctx->value > 0 && ctx->value < 9.2e12
                         ? (int64_t)llround(ctx->value * 1000.0)
                         : 0,
                     buf, sizeof(buf));
        put_str(o, buf);
        break;
    case PH_STARTED_AT:
        fmt_local_time(ctx ? ctx->started_at_ms : 0, ctx ? ctx->utc_offset_s : 0, buf, sizeof(buf));
        put_str(o, buf);
        break;
    default:
        break;
    }
}

size_t rule_format(const struct rule *r, const char *tmpl, const struct rule_ctx *ctx, char *out,
                   size_t outsz)
{
    struct outbuf o = {out, outsz, 0, false};
    const char *lit, *p;

    if (!out || outsz == 0)
        return 0;
    out[0] = '\0';
    if (!tmpl)
        return 0;
    lit = tmpl;
    for (p = tmpl; *p && !o.is_full; p++) {
        size_t n;
        int ph;

        if (*p != '{')
            continue;
        n = placeholder_len(p + 1);
        ph = n ? placeholder_find(p + 1, n) : -1;
        if (ph < 0)
            continue; /* not a known placeholder: stays in the literal text */
        put(&o, lit, (size_t)(p - lit));
        put_placeholder(&o, ph, r, ctx);
        p += n + 1;
        lit = p + 1;
    }
    if (!o.is_full)
        put(&o, lit, strlen(lit));
    return o.len;
}
