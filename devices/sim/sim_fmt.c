/*
 * The payload formats devsim speaks, all driven by a profile's field table
 * (struct sim_field) so each device kind is written once: flat JSON (the
 * device contracts' examples), SenML (RFC 8428: the JSON names as n, the
 * profile's units as u) and HJ 212-2017 packets (the profile's factor
 * codes, framed and checksummed by libdevices' hj212_frame). The malformed
 * fault is applied here too, because only the encoder knows how to break
 * its own format convincingly. Pure functions over caller buffers.
 */
#include "sim_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hj212.h"

/* The access password (PW) of the packets. A collector that checks device
 * passwords must give simulated devices this one, or none (docs/devices.md). */
#define FMT_HJ212_PW "123456"

static const char *const format_names[] = {
    [SIM_FMT_JSON] = "json",
    [SIM_FMT_SENML] = "senml",
    [SIM_FMT_HJ212] = "hj212",
    [SIM_FMT_MIXED] = "mixed",
};

int sim_format_parse(const char *opt, const char *s, bool allow_mixed, enum sim_format *out)
{
    int i;

    for (i = SIM_FMT_JSON; i <= SIM_FMT_MIXED; i++) {
        if (strcmp(s, format_names[i]) == 0 && (allow_mixed || i != SIM_FMT_MIXED)) {
            *out = (enum sim_format)i;
            return 0;
        }
    }
    fprintf(stderr, "devsim: %s: '%s' is not one of json, senml, hj212%s\n", opt, s,
            allow_mixed ? ", mixed" : "");
    return COL_ERR_INVAL;
}

const char *sim_format_name(enum sim_format f)
{
    return f <= SIM_FMT_MIXED ? format_names[f] : "?";
}

/* Appends to a fixed buffer; remembers overflow instead of failing each call. */
struct fmt_buf {
    char *p;
    size_t size, len;
    bool is_full;
};

static void put(struct fmt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct fmt_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->is_full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->size - b->len) {
        b->is_full = true;
        return;
    }
    b->len += (size_t)n;
}

/* Print field @i's value as JSON ("23.4", "true", "\"wet\"", or the damaged "\"n/a\""). */
static void put_json_value(struct fmt_buf *b, const struct sim_msg *m, int i)
{
    const struct sim_field *f = &m->profile->fields[i];
    double v = m->v[i];

    if (m->damage == SIM_DAMAGE_NONNUMERIC && m->damage_field == i) {
        put(b, "\"n/a\"");
        return;
    }
    switch (f->kind) {
    case SIM_V_BOOL:
        put(b, "%s", v != 0 ? "true" : "false");
        break;
    case SIM_V_STR:
        put(b, "\"%s\"", f->labels[(int)v]);
        break;
    default:
        if (isfinite(v))
            put(b, "%.*f", f->prec, v);
        else
            put(b, "null");
        break;
    }
}

static void render_json(const struct sim_msg *m, struct fmt_buf *b)
{
    int i;

    put(b, "{\"ts\":%lld", (long long)m->ts);
    for (i = 0; i < m->profile->n_fields; i++) {
        put(b, ",\"%s\":", m->profile->fields[i].name);
        put_json_value(b, m, i);
    }
    put(b, "}");
}

static void render_senml(const struct sim_msg *m, struct fmt_buf *b)
{
    const struct sim_field *f;
    int i;

    put(b, "[");
    for (i = 0; i < m->profile->n_fields; i++) {
        f = &m->profile->fields[i];
        if (i == 0)
            put(b, "{\"bn\":\"%s:\",\"bt\":%lld,", m->device, (long long)m->ts);
        else
            put(b, ",{");
        put(b, "\"n\":\"%s\",\"u\":\"%s\",", f->name, f->unit);
        if (m->damage == SIM_DAMAGE_NONNUMERIC && m->damage_field == i)
            put(b, "\"vs\":");
        else if (f->kind == SIM_V_BOOL)
            put(b, "\"vb\":");
        else if (f->kind == SIM_V_STR)
            put(b, "\"vs\":");
        else
            put(b, "\"v\":");
        put_json_value(b, m, i);
        put(b, "}");
    }
    put(b, "]");
}

/* Civil date of days since 1970-01-01 (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, long *y, long *m, long *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (long)(doy - (153 * mp + 2) / 5 + 1);
    *m = (long)(mp < 10 ? mp + 3 : mp - 9);
    *y = (long)(yoe + era * 400 + (*m <= 2));
}

void sim_local_stamp(int64_t ts, char *out)
{
    int64_t local = ts + SIM_UTC_OFFSET_S;
    int64_t day = local / 86400, sec = local % 86400;
    long y, mo, d;
    char tmp[64];

    if (sec < 0) {
        sec += 86400;
        day--;
    }
    civil_from_days(day, &y, &mo, &d);
    snprintf(tmp, sizeof(tmp), "%04ld%02ld%02ld%02d%02d%02d", y % 10000, mo, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    memcpy(out, tmp, 14);
    out[14] = '\0';
}

void sim_mn(const char *id, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(id), i;
    uint64_t h1 = 0xcbf29ce484222325ULL, h2;

    if (len <= 12) {
        memset(out, '0', 24);
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)id[i];

            out[24 - 2 * (len - i)] = hex[c >> 4];
            out[24 - 2 * (len - i) + 1] = hex[c & 15];
        }
    } else {
        for (i = 0; i < len; i++)
            h1 = (h1 ^ (unsigned char)id[i]) * 0x100000001b3ULL; /* FNV-1a */
        h2 = sim_mix64(h1);
        out[0] = 'F';
        out[1] = 'F';
        for (i = 0; i < 16; i++)
            out[2 + i] = hex[(h2 >> (60 - 4 * i)) & 15];
        for (i = 0; i < 6; i++)
            out[18 + i] = hex[(sim_mix64(h2) >> (60 - 4 * i)) & 15];
    }
    out[24] = '\0';
}

static void render_hj212_segment(const struct sim_msg *m, struct fmt_buf *b)
{
    const struct sim_profile *p = m->profile;
    bool is_hourly = p->hj212_cn == HJ212_CN_HOUR;
    const char *suffix = is_hourly ? "Avg" : "Rtd";
    /* Hourly data is stamped with the start of its hour (HJ 212-2017 §6.1). */
    int64_t data_ts = is_hourly ? m->ts - (((m->ts % 3600) + 3600) % 3600) : m->ts;
    char qn[16], data_time[16], mn[25];
    const struct sim_field *f;
    bool is_first = true;
    double v;
    int i;

    sim_local_stamp(m->ts, qn);
    sim_local_stamp(data_ts, data_time);
    sim_mn(m->device, mn);
    put(b, "QN=%s%03ld;ST=%d;CN=%d;PW=%s;MN=%s;Flag=%d;CP=&&DataTime=%s;", qn, m->seq % 1000,
        p->hj212_st, p->hj212_cn, FMT_HJ212_PW, mn,
        (HJ212_VERSION_2017 << HJ212_FLAG_VERSION_SHIFT) | (m->want_ack ? HJ212_FLAG_ACK : 0),
        data_time);
    for (i = 0; i < p->n_fields; i++) {
        f = &p->fields[i];
        if (!f->code || f->kind != SIM_V_NUM)
            continue;
        v = m->v[i] * (f->code_scale != 0 ? f->code_scale : 1.0);
        if (!is_first)
            put(b, ";");
        is_first = false;
        if (m->damage == SIM_DAMAGE_NONNUMERIC && m->damage_field == i)
            put(b, "%s-%s=N/A,%s-Flag=N", f->code, suffix, f->code);
        else
            put(b, "%s-%s=%.*f,%s-Flag=N", f->code, suffix, f->code_prec, v, f->code);
    }
    put(b, "&&");
}

static int render_hj212(const struct sim_msg *m, char *buf, size_t size)
{
    char seg[HJ212_SEG_MAX + 64];
    struct fmt_buf sb = {seg, sizeof(seg), 0, false};
    int n;

    if (m->profile->hj212_st == 0)
        return COL_ERR_INVAL;
    render_hj212_segment(m, &sb);
    if (sb.is_full)
        return COL_ERR_RANGE;
    n = hj212_frame(seg, sb.len, buf, size);
    if (n < 0)
        return n;
    if (m->damage == SIM_DAMAGE_CRC) {
        /* The first CRC digit, just before CRLF and the other three. */
        buf[n - 6] = buf[n - 6] == '0' ? '1' : '0';
    } else if (m->damage == SIM_DAMAGE_TRUNCATE) {
        n /= 2;
        buf[n] = '\0';
    }
    return n;
}

int sim_fmt_render(const struct sim_msg *m, enum sim_format f, char *buf, size_t size)
{
    struct fmt_buf b = {buf, size, 0, false};

    switch (f) {
    case SIM_FMT_JSON:
        render_json(m, &b);
        break;
    case SIM_FMT_SENML:
        render_senml(m, &b);
        break;
    case SIM_FMT_HJ212:
        return render_hj212(m, buf, size);
    default:
        return COL_ERR_INVAL;
    }
    if (b.is_full)
        return COL_ERR_RANGE;
    if (m->damage == SIM_DAMAGE_TRUNCATE) {
        /* Half an object or array is never valid JSON. */
        b.len /= 2;
        buf[b.len] = '\0';
    }
    return (int)b.len;
}
