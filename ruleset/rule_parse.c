/*
 * Loading rule files (rule.h): YAML → struct ruleset, validated key by key.
 *
 * Every rule is checked completely and every problem is reported as
 * file:line through the diag, so `collector check` lists all mistakes of all
 * files at once; any error makes the whole load fail, because a half-loaded
 * ruleset would silently stop watching something. The ruleset owns every
 * string it holds (copies out of the YAML tree, which is freed here).
 */
#include "rule.h"
#include "col_err.h"
#include "diag.h"
#include "rule_int.h"
#include "textparse.h"
#include "xalloc.h"
#include "ydoc.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULE_NAME_MAX 64
#define RULE_HITS_MAX 1000000
#define RULE_PATH_MAX 4096

static const char *const domains[] = {"air", "water", "noise", "waste", "sewage", "device", NULL};

static const char *const aggregates[] = {"mean", "min", "max", "count", NULL};

/* Pollutants GB 3095 gives a 24-hour (daily) limit for, by our metric names. */
static const char *const grade2_24h_metrics[] = {"so2",  "no2", "co",  "pm10",
                                                 "pm25", "tsp", "nox", NULL};
static const char *const grade2_8h_metrics[] = {"o3_8h", NULL};
static const char *const pm25_metrics[] = {"pm25", NULL};

#define S(x) (1u << (x))

/* Which series a threshold ref makes sense for, and which metric it needs. */
static const struct {
    const char *name;
    enum rule_threshold_ref ref;
    unsigned series_mask;
    const char *series_text;    /* for the error message */
    const char *const *metrics; /* NULL: any metric (or none) */
} refs[] = {
    {"zone_day_limit", RULE_REF_ZONE_DAY, S(RULE_NOISE_DAY), "noise_day", NULL},
    {"zone_night_limit", RULE_REF_ZONE_NIGHT, S(RULE_NOISE_NIGHT), "noise_night", NULL},
    {"zone_night_lmax_limit", RULE_REF_ZONE_NIGHT_LMAX, S(RULE_NOISE_LMAX), "noise_lmax", NULL},
    {"grade2_24h_limit", RULE_REF_GRADE2_24H, S(RULE_DAILY) | S(RULE_AQI_DAILY),
     "daily and aqi_daily", grade2_24h_metrics},
    {"grade2_8h_limit", RULE_REF_GRADE2_8H, S(RULE_AQI_HOURLY) | S(RULE_AQI_DAILY),
     "aqi_hourly and aqi_daily", grade2_8h_metrics},
    {"interval_x", RULE_REF_INTERVAL_X, S(RULE_SILENCE), "silence", NULL},
    {"pm25_target", RULE_REF_TARGET_PM25, S(RULE_YTD_MEAN), "ytd_mean", pm25_metrics},
    {"good_day_target", RULE_REF_TARGET_GOOD_DAYS, S(RULE_YTD_SHARE), "ytd_share", NULL},
};

/* Shown when a rule has no message of its own; every placeholder here is known. */
static const char default_zh[] = "{rule}（{severity}）：{site} {device} {metric} = {value} {unit}，"
                                 "阈值 {threshold} {unit}（{source}）";
static const char default_en[] = "{rule} ({severity}): {metric} = {value} {unit} at {site} "
                                 "{device}, threshold {threshold} {unit} ({source})";

/* State of one load: the set being built and where errors go. */
struct loader {
    struct ruleset *rs;
    struct diag *d;
    size_t cap;
    int n_errors_before; /* d->n_errors when the load began */
};

static void discard(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

static void kv_free(struct rule_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xfree(kv[i].key);
        xfree(kv[i].value);
    }
    xfree(kv);
}

static void rule_clear(struct rule *r)
{
    xfree(r->name);
    xfree(r->file);
    xfree(r->source);
    xfree(r->domain);
    xfree(r->site);
    xfree(r->device);
    xfree(r->metric);
    xfree(r->aggregate);
    xfree(r->message_zh);
    xfree(r->message_en);
    kv_free(r->labels, r->n_labels);
    kv_free(r->annotations, r->n_annotations);
    memset(r, 0, sizeof(*r));
}

void ruleset_free(struct ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_clear(&rs->v[i]);
    xfree(rs->v);
    xfree(rs);
}

const struct rule *ruleset_find(const struct ruleset *rs, const char *name)
{
    if (!rs || !name)
        return NULL;
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].name, name) == 0)
            return &rs->v[i];
    return NULL;
}

static bool valid_name(const char *s)
{
    size_t n = 0;

    for (; *s; s++, n++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return n > 0 && n <= RULE_NAME_MAX;
}

/* The enum value whose name(@i) is @s, for i in [0, n), or -1. */
static int name_to_enum(const char *(*name)(int), int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name(i), s) == 0)
            return i;
    return -1;
}

/* Adapters so one lookup serves the three name functions of rule_eval.c. */
static const char *series_name(int i)
{
    return rule_series_name((enum rule_series)i);
}

static const char *op_name(int i)
{
    return rule_op_name((enum rule_op)i);
}

static const char *severity_name(int i)
{
    return rule_severity_name((enum rule_severity)i);
}

/* Index of @s in the NULL-terminated @list (at most @n entries), or -1. */
static int index_of(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return (int)i;
    return -1;
}

/* "a, b, c" of a NULL-terminated list (at most @n entries), for error messages. */
static void join(const char *const *list, size_t n, char *out, size_t outsz)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && list[i] && len < outsz; i++) {
        int w = snprintf(out + len, outsz - len, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* A present, non-null value for @key, or NULL. */
static const struct ynode *present(const struct ynode *m, const char *key)
{
    const struct ynode *n = ynode_get(m, key);

    return n && !ynode_is_null(n) ? n : NULL;
}

/* Copy @s, or NULL for "*" (any). 0 or COL_ERR_NOMEM. */
static int dup_selector(const char *s, char **out)
{
    if (strcmp(s, "*") == 0)
        return 0;
    *out = xstrdup(s);
    return *out ? 0 : COL_ERR_NOMEM;
}

static int load_select(struct rule *r, const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"domain", "site", "device", "metric", NULL};
    const char *v[4] = {NULL, NULL, NULL, NULL};
    char **dst[4] = {&r->domain, &r->site, &r->device, &r->metric};
    int bad = 0;

    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "'select' must be a mapping of domain, site, device, metric");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a rule's select", d);
    for (int i = 0; i < 4; i++)
        bad |= ynode_scalar(m, keys[i], false, &v[i], d) < 0;
    if (v[0] && strcmp(v[0], "*") != 0 && index_of(domains, 99, v[0]) < 0) {
        ynode_error(ynode_get(m, "domain"), d,
                    "select.domain must be air, water, noise, waste, sewage, device or *");
        bad = -1;
    }
    for (int i = 0; i < 4; i++) {
        if (v[i] && dup_selector(v[i], dst[i]))
            return COL_ERR_NOMEM;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

/* Parse one effective time: a local date (Asia/Shanghai midnight) or ISO 8601. */
static int load_time(const struct ynode *m, const char *key, int64_t *out, struct diag *d)
{
    const char *s = NULL;
    int rc = ynode_scalar(m, key, false, &s, d);
    const struct ynode *n;

    if (rc <= 0)
        return rc;
    n = ynode_get(m, key);
    if (parse_iso8601_ms(s, strlen(s), RULE_EFFECTIVE_TZ_OFFSET_S, out) || *out <= 0) {
        diag_error(d, n->file, n->line,
                   "'effective.%s' must be a date (2026-03-01, local time Asia/Shanghai) or an "
                   "ISO 8601 time after 1970, not '%s'",
                   key, s);
        return -1;
    }
    return 1;
}

static int load_effective(struct rule *r, const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"from", "until", NULL};
    int bad = 0, has_from, has_until;

    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "'effective' must be a mapping with 'from' and/or 'until'");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a rule's effective", d);
    has_from = load_time(m, "from", &r->effective_from_ms, d);
    has_until = load_time(m, "until", &r->effective_until_ms, d);
    bad |= has_from < 0 || has_until < 0;
    if (has_from > 0 && has_until > 0 && r->effective_until_ms <= r->effective_from_ms) {
        ynode_error(ynode_get(m, "until"), d, "'effective.until' must be later than 'from'");
        bad = -1;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

static int load_template(const struct ynode *m, const char *key, char **out, struct diag *d)
{
    const char *s = NULL, *bad_name;
    size_t bad_len;
    int rc = ynode_scalar(m, key, false, &s, d);
    const struct ynode *n;

    if (rc <= 0)
        return rc < 0 ? COL_ERR_CONFIG : 0;
    n = ynode_get(m, key);
    if (!utf8_valid(s, strlen(s))) {
        ynode_error(n, d, "message is not valid UTF-8");
        return COL_ERR_CONFIG;
    }
    if (rule_template_unknown(s, &bad_name, &bad_len)) {
        diag_error(d, n->file, n->line,
                   "unknown placeholder '{%.*s}' in message.%s (docs/rules.md lists them)",
                   (int)(bad_len > 40 ? 40 : bad_len), bad_name, key);
        return COL_ERR_CONFIG;
    }
    *out = xstrdup(s);
    return *out ? 0 : COL_ERR_NOMEM;
}

static int load_message(struct rule *r, const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"zh", "en", NULL};
    int bad = 0, rc;

    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "'message' must be a mapping with 'zh' and 'en' templates");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a rule's message", d);
    rc = load_template(m, "zh", &r->message_zh, d);
    if (rc == COL_ERR_NOMEM)
        return rc;
    bad |= rc;
    rc = load_template(m, "en", &r->message_en, d);
    if (rc == COL_ERR_NOMEM)
        return rc;
    bad |= rc;
    return bad ? COL_ERR_CONFIG : 0;
}

/* labels / annotations: a mapping of text to text. */
static int load_kv(const struct ynode *m, const char *key, const char *what, struct rule_kv **out,
                   size_t *n_out, struct diag *d)
{
    int bad = 0;

    if (m->kind != YNODE_MAP) {
        diag_error(d, m->file, m->line, "'%s' must be a mapping of names to text", key);
        return COL_ERR_CONFIG;
    }
    if (m->n == 0)
        return 0;
    *out = xcalloc(m->n, sizeof(**out));
    if (!*out)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < m->n; i++) {
        const struct ynode *k = m->keys[i], *v = m->items[i];
        if (!valid_name(k->scalar)) {
            diag_error(d, k->file, k->line, "%s name '%.64s' must be lowercase a-z, 0-9, _ or -",
                       what, k->scalar);
            bad = -1;
            continue;
        }
        if (v->kind != YNODE_SCALAR) {
            diag_error(d, v->file, v->line, "%s '%s' must be a single value", what, k->scalar);
            bad = -1;
            continue;
        }
        (*out)[*n_out].key = xstrdup(k->scalar);
        (*out)[*n_out].value = xstrdup(v->scalar);
        (*n_out)++;
        if (!(*out)[*n_out - 1].key || !(*out)[*n_out - 1].value)
            return COL_ERR_NOMEM;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

/* when: {op, value | ref [, factor]} */
static int load_when(struct rule *r, const struct ynode *m, bool is_series_known, struct diag *d)
{
    static const char *const keys[] = {"op", "value", "ref", "factor", NULL};
    const char *op = NULL, *ref = NULL;
    int bad = 0, has_value, has_ref, has_factor, i;
    char list[256];

    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "'when' must be a mapping: {op: \">\", value: N} or {op: \">\", ref: R}");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a rule's when", d);
    if (ynode_scalar(m, "op", true, &op, d) < 0) {
        bad = -1;
    } else {
        i = name_to_enum(op_name, RULE_NE + 1, op);
        if (i < 0) {
            ynode_error(ynode_get(m, "op"), d, "'op' must be one of >, >=, <, <=, ==, !=");
            bad = -1;
        } else {
            r->op = (enum rule_op)i;
        }
    }
    has_value = ynode_double(m, "value", false, &r->threshold, d);
    has_ref = ynode_scalar(m, "ref", false, &ref, d);
    has_factor = ynode_double(m, "factor", false, &r->factor, d);
    bad |= has_value < 0 || has_ref < 0 || has_factor < 0;
    if (has_value > 0 && has_ref > 0) {
        ynode_error(ynode_get(m, "ref"), d, "'when' takes either 'value' or 'ref', not both");
        return COL_ERR_CONFIG;
    }
    if (has_value == 0 && has_ref == 0) {
        ynode_error(m, d, "'when' needs a 'value' (a number) or a 'ref'");
        return COL_ERR_CONFIG;
    }
    if (has_ref > 0) {
        const struct ynode *rn = ynode_get(m, "ref");
        size_t k, n_refs = sizeof(refs) / sizeof(refs[0]);

        r->threshold = NAN;
        for (k = 0; k < n_refs; k++)
            if (strcmp(refs[k].name, ref) == 0)
                break;
        if (k == n_refs) {
            diag_error(d, rn->file, rn->line,
                       "unknown ref '%.64s' (zone_day_limit, zone_night_limit, "
                       "zone_night_lmax_limit, grade2_24h_limit, grade2_8h_limit, interval_x, "
                       "pm25_target, good_day_target)",
                       ref);
            return COL_ERR_CONFIG;
        }
        r->threshold_ref = refs[k].ref;
        if (!is_series_known) {
            bad = -1; /* the series error is reported already */
        } else if (!(refs[k].series_mask & S(r->series))) {
            diag_error(d, rn->file, rn->line,
                       "ref '%s' does not apply to series '%s' (it applies to %s)", ref,
                       rule_series_name(r->series), refs[k].series_text);
            bad = -1;
        } else if (refs[k].metrics &&
                   (!r->metric || index_of(refs[k].metrics, 99, r->metric) < 0)) {
            join(refs[k].metrics, 99, list, sizeof(list));
            diag_error(d, rn->file, rn->line, "ref '%s' needs select.metric to be one of: %s", ref,
                       list);
            bad = -1;
        }
    }
    if (r->threshold_ref == RULE_REF_INTERVAL_X) {
        if (has_factor == 0) {
            ynode_error(ynode_get(m, "ref"), d, "ref 'interval_x' needs a 'factor' (e.g. 3)");
            bad = -1;
        } else if (has_factor > 0 && !(r->factor > 0)) {
            ynode_error(ynode_get(m, "factor"), d, "'factor' must be positive");
            bad = -1;
        }
    } else if (has_factor > 0) {
        ynode_error(ynode_get(m, "factor"), d, "'factor' applies only to ref 'interval_x'");
        bad = -1;
    }
    if (has_factor <= 0)
        r->factor = 1;
    return bad ? COL_ERR_CONFIG : 0;
}

/* Checks that need several keys: which keys apply to which series, clear vs op. */
static int check_rule(struct rule *r, const struct ynode *m, bool has_window, bool has_agg,
                      bool has_day_max, bool is_when_ok, struct diag *d)
{
    bool windowed = r->series == RULE_ROLLING || r->series == RULE_STUCK;
    bool aggregated = r->series == RULE_ROLLING || r->series == RULE_DAILY;
    int bad = 0;

    if (windowed && !has_window) {
        diag_error(d, m->file, m->line, "series '%s' needs a 'window' (e.g. 1h)",
                   rule_series_name(r->series));
        bad = -1;
    }
    if (has_window && !windowed) {
        ynode_error(ynode_get(m, "window"), d, "'window' applies only to rolling and stuck series");
        bad = -1;
    }
    if (has_window && windowed && r->window_ms <= 0) {
        ynode_error(ynode_get(m, "window"), d, "'window' must be longer than 0");
        bad = -1;
    }
    if (has_agg && !aggregated) {
        ynode_error(ynode_get(m, "aggregate"), d,
                    "'aggregate' applies only to rolling and daily series");
        bad = -1;
    }
    if (has_day_max && r->series != RULE_YTD_SHARE) {
        ynode_error(ynode_get(m, "day_max"), d, "'day_max' applies only to ytd_share series");
        bad = -1;
    }
    if ((r->series == RULE_SILENCE || r->series == RULE_YTD_SHARE) && r->metric) {
        diag_error(d, m->file, m->line, "series '%s' watches no metric; remove select.metric",
                   rule_series_name(r->series));
        bad = -1;
    }
    if (r->has_clear && is_when_ok) {
        const struct ynode *cn = ynode_get(m, "clear");
        bool above = r->op == RULE_GT || r->op == RULE_GE;
        bool below = r->op == RULE_LT || r->op == RULE_LE;

        if (!above && !below) {
            ynode_error(cn, d, "'clear' needs op >, >=, < or <=");
            bad = -1;
        } else if (r->threshold_ref == RULE_REF_NONE && isfinite(r->threshold) &&
                   ((above && r->clear > r->threshold) || (below && r->clear < r->threshold))) {
            diag_error(d, cn->file, cn->line,
                       "'clear' (%g) must be %s the threshold (%g) for op '%s'", r->clear,
                       above ? "at or below" : "at or above", r->threshold, rule_op_name(r->op));
            bad = -1;
        }
    }
    return bad ? COL_ERR_CONFIG : 0;
}

/* Fill @r from the rule mapping @m. 0, COL_ERR_CONFIG (reported) or COL_ERR_NOMEM. */
static int load_rule(struct rule *r, const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"name",      "source",      "series", "select",    "window",
                                       "aggregate", "day_max",     "when",   "clear",     "for",
                                       "hits",      "severity",    "repeat", "effective", "message",
                                       "labels",    "annotations", NULL};
    const char *name = NULL, *source = NULL, *series = NULL, *agg = "mean", *sev = "warning";
    const char *hits = NULL;
    const struct ynode *n;
    long long window = 0, for_ms = 0, repeat = 0;
    int bad = 0, rc, has_window, has_agg, has_day_max, has_clear, i;
    bool is_when_ok = false;
    int64_t h;

    r->file = xstrdup(m->file);
    if (!r->file)
        return COL_ERR_NOMEM;
    r->line = m->line;
    r->hits = 1;
    r->day_max = 100;
    r->factor = 1;
    r->severity = RULE_WARNING;
    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "a rule must be a mapping (name, source, series, when, ...)");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a rule", d);
    bad |= ynode_scalar(m, "name", true, &name, d) < 0;
    bad |= ynode_scalar(m, "source", true, &source, d) < 0;
    bad |= ynode_scalar(m, "series", true, &series, d) < 0;
    has_window = ynode_duration(m, "window", false, &window, d);
    has_agg = ynode_scalar(m, "aggregate", false, &agg, d);
    has_day_max = ynode_double(m, "day_max", false, &r->day_max, d);
    has_clear = ynode_double(m, "clear", false, &r->clear, d);
    bad |= has_window < 0 || has_agg < 0 || has_day_max < 0 || has_clear < 0;
    bad |= ynode_duration(m, "for", false, &for_ms, d) < 0;
    bad |= ynode_duration(m, "repeat", false, &repeat, d) < 0;
    bad |= ynode_scalar(m, "hits", false, &hits, d) < 0;
    bad |= ynode_scalar(m, "severity", false, &sev, d) < 0;
    r->window_ms = window;
    r->for_ms = for_ms;
    r->repeat_ms = repeat;
    r->has_clear = has_clear > 0;

    if (name && !valid_name(name)) {
        ynode_error(ynode_get(m, "name"), d,
                    "rule name must be 1-64 characters of lowercase a-z, 0-9, _ or -");
        bad = -1;
    }
    if (source && strspn(source, " \t\r\n") == strlen(source)) {
        ynode_error(ynode_get(m, "source"), d,
                    "'source' must cite the standard or plan clause the rule implements");
        bad = -1;
    }
    if (series) {
        i = name_to_enum(series_name, RULE_N_SERIES, series);
        if (i < 0) {
            char list[256];
            size_t len = 0;

            list[0] = '\0';
            for (int k = 0; k < RULE_N_SERIES && len < sizeof(list); k++) {
                int w = snprintf(list + len, sizeof(list) - len, "%s%s", k ? ", " : "",
                                 rule_series_name((enum rule_series)k));
                len += w > 0 ? (size_t)w : 0;
            }
            n = ynode_get(m, "series");
            diag_error(d, n->file, n->line, "unknown series '%.64s' (one of: %s)", series, list);
            bad = -1;
            series = NULL;
        } else {
            r->series = (enum rule_series)i;
        }
    }
    if (has_agg > 0 && index_of(aggregates, 99, agg) < 0) {
        ynode_error(ynode_get(m, "aggregate"), d, "'aggregate' must be mean, min, max or count");
        bad = -1;
    }
    if (has_day_max > 0 && (r->day_max < 0 || r->day_max > 500)) {
        ynode_error(ynode_get(m, "day_max"), d, "'day_max' must be an AQI from 0 to 500");
        bad = -1;
    }
    i = name_to_enum(severity_name, RULE_CRITICAL + 1, sev);
    if (i < 0) {
        ynode_error(ynode_get(m, "severity"), d,
                    "'severity' must be info, warning, major or critical");
        bad = -1;
    } else {
        r->severity = (enum rule_severity)i;
    }
    if (hits) {
        if (parse_int64(hits, &h) || h < 1 || h > RULE_HITS_MAX) {
            ynode_error(ynode_get(m, "hits"), d, "'hits' must be a whole number from 1 to 1000000");
            bad = -1;
        } else {
            r->hits = (int)h;
        }
    }
    r->name = xstrdup(name ? name : "");
    r->source = xstrdup(source ? source : "");
    r->aggregate = xstrdup(agg);
    if (!r->name || !r->source || !r->aggregate)
        return COL_ERR_NOMEM;

    n = present(m, "select");
    if (n) {
        rc = load_select(r, n, d);
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    /* when/ref checks depend on the series and metric, so they come after both */
    n = ynode_get(m, "when");
    if (!n || ynode_is_null(n)) {
        diag_error(d, m->file, m->line, "missing required key 'when'");
        bad = -1;
    } else {
        rc = load_when(r, n, series != NULL, d);
        is_when_ok = rc == 0;
        bad |= rc;
    }
    n = present(m, "effective");
    if (n)
        bad |= load_effective(r, n, d);
    n = present(m, "message");
    if (n) {
        rc = load_message(r, n, d);
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    if (!r->message_zh)
        r->message_zh = xstrdup(default_zh);
    if (!r->message_en)
        r->message_en = xstrdup(default_en);
    if (!r->message_zh || !r->message_en)
        return COL_ERR_NOMEM;
    n = present(m, "labels");
    if (n) {
        rc = load_kv(n, "labels", "label", &r->labels, &r->n_labels, d);
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    n = present(m, "annotations");
    if (n) {
        rc = load_kv(n, "annotations", "annotation", &r->annotations, &r->n_annotations, d);
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    if (series)
        bad |= check_rule(r, m, has_window > 0, has_agg > 0, has_day_max > 0, is_when_ok, d);
    return bad ? COL_ERR_CONFIG : 0;
}

/* Make room for one more rule in the set being built. */
static int grow(struct loader *ld)
{
    struct rule *v;
    size_t cap;

    if (ld->rs->n < ld->cap)
        return 0;
    cap = ld->cap;
    v = xgrow(ld->rs->v, &cap, ld->rs->n + 1, sizeof(*v), 16);
    if (!v)
        return COL_ERR_NOMEM;
    memset(v + ld->cap, 0, (cap - ld->cap) * sizeof(*v));
    ld->rs->v = v;
    ld->cap = cap;
    return 0;
}

/* Add the rules of one parsed document. 0, COL_ERR_CONFIG (reported) or COL_ERR_NOMEM. */
static int add_doc(struct loader *ld, const struct ydoc *doc)
{
    static const char *const keys[] = {"rules", NULL};
    const struct ynode *root = doc->root, *list;
    int bad = 0;

    if (!root || root->kind != YNODE_MAP) {
        diag_error(ld->d, doc->file, root ? root->line : 0,
                   "a rule file must be a mapping with a 'rules:' list");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(root, keys, "a rule file", ld->d);
    list = ynode_get(root, "rules");
    if (!list) {
        diag_error(ld->d, doc->file, root->line, "missing required key 'rules'");
        return COL_ERR_CONFIG;
    }
    if (ynode_is_null(list))
        return bad ? COL_ERR_CONFIG : 0;
    if (list->kind != YNODE_SEQ) {
        ynode_error(list, ld->d, "'rules' must be a list of rules");
        return COL_ERR_CONFIG;
    }
    for (size_t i = 0; i < list->n; i++) {
        struct rule *r;
        const struct rule *prev;
        int rc = grow(ld);

        if (rc)
            return rc;
        r = &ld->rs->v[ld->rs->n++]; /* counted now so that ruleset_free() sees it */
        rc = load_rule(r, list->items[i], ld->d);
        if (rc == COL_ERR_NOMEM)
            return rc;
        if (rc)
            bad = -1;
        if (!r->name || !r->name[0])
            continue;
        prev = NULL;
        for (size_t k = 0; k + 1 < ld->rs->n && !prev; k++)
            if (ld->rs->v[k].name && strcmp(ld->rs->v[k].name, r->name) == 0)
                prev = &ld->rs->v[k];
        if (prev) {
            const struct ynode *nn = ynode_get(list->items[i], "name");
            diag_error(ld->d, nn->file, nn->line, "rule name '%s' is already defined at %s:%d",
                       r->name, prev->file, prev->line);
            bad = -1;
        }
    }
    return bad ? COL_ERR_CONFIG : 0;
}

static struct ruleset *loader_start(struct loader *ld, struct diag *d)
{
    memset(ld, 0, sizeof(*ld));
    ld->d = d;
    ld->n_errors_before = d->n_errors;
    ld->rs = xcalloc(1, sizeof(*ld->rs));
    return ld->rs;
}

/* Finish a load: the set, or NULL (freed) when anything went wrong. */
static struct ruleset *loader_finish(struct loader *ld, int rc, const char *file)
{
    if (rc == COL_ERR_NOMEM)
        diag_error(ld->d, file, 0, "out of memory");
    if (!rc && ld->d->n_errors != ld->n_errors_before)
        rc = COL_ERR_CONFIG; /* whatever reported an error also fails the load */
    if (rc) {
        ruleset_free(ld->rs);
        ld->rs = NULL;
    }
    return ld->rs;
}

struct ruleset *ruleset_parse(const char *file, const char *buf, size_t len, struct diag *d)
{
    struct diag quiet = {discard, NULL, 0};
    struct loader ld;
    struct ydoc *doc = NULL;
    char err[512];
    int rc;

    if (!d)
        d = &quiet;
    if (!file)
        file = "-";
    if (!loader_start(&ld, d)) {
        diag_error(d, file, 0, "out of memory");
        return NULL;
    }
    doc = ydoc_parse(file, buf ? buf : "", buf ? len : 0, err, sizeof(err));
    if (!doc) {
        diag_message(d, err);
        rc = COL_ERR_CONFIG;
    } else {
        rc = add_doc(&ld, doc);
    }
    ydoc_free(doc);
    return loader_finish(&ld, rc, file);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_yaml_ext(const char *n)
{
    size_t l = strlen(n);

    return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0);
}

static int add_file(struct loader *ld, const char *path)
{
    char err[512];
    struct ydoc *doc = ydoc_load(path, err, sizeof(err));
    int rc;

    if (!doc) {
        diag_message(ld->d, err);
        return COL_ERR_CONFIG;
    }
    rc = add_doc(ld, doc);
    ydoc_free(doc);
    return rc;
}

/* Every *.yaml / *.yml of @dir in name order, so precedence of errors is stable. */
static int add_dir(struct loader *ld, const char *dir)
{
    DIR *dh = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    int rc = 0, bad = 0;

    dh = opendir(dir);
    if (!dh) {
        diag_error(ld->d, dir, 0, "cannot open rule directory: %s", strerror(errno));
        return COL_ERR_CONFIG;
    }
    while ((de = readdir(dh)) != NULL) {
        char **nn;
        if (de->d_name[0] == '.' || !has_yaml_ext(de->d_name))
            continue;
        nn = xrealloc(names, (n + 1) * sizeof(*names));
        if (!nn) {
            rc = COL_ERR_NOMEM;
            goto out;
        }
        names = nn;
        names[n] = xstrdup(de->d_name);
        if (!names[n]) {
            rc = COL_ERR_NOMEM;
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[RULE_PATH_MAX];
        int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

        if (w < 0 || (size_t)w >= sizeof(path)) {
            diag_error(ld->d, dir, 0, "path too long: %s", names[i]);
            bad = -1;
            continue;
        }
        rc = add_file(ld, path);
        if (rc == COL_ERR_NOMEM)
            goto out;
        bad |= rc;
        rc = 0;
    }
out:
    for (size_t i = 0; i < n; i++)
        xfree(names[i]);
    xfree(names);
    closedir(dh);
    if (rc)
        return rc;
    return bad ? COL_ERR_CONFIG : 0;
}

struct ruleset *ruleset_load(const char *const *paths, size_t n_paths, struct diag *d)
{
    struct diag quiet = {discard, NULL, 0};
    struct loader ld;
    int rc = 0, bad = 0;
    const char *where = n_paths && paths && paths[0] ? paths[0] : "rules";

    if (!d)
        d = &quiet;
    if (!loader_start(&ld, d)) {
        diag_error(d, where, 0, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n_paths && paths; i++) {
        struct stat st;

        where = paths[i];
        if (stat(paths[i], &st) != 0) {
            diag_error(d, paths[i], 0, "cannot open: %s", strerror(errno));
            bad = -1;
            continue;
        }
        rc = S_ISDIR(st.st_mode) ? add_dir(&ld, paths[i]) : add_file(&ld, paths[i]);
        if (rc == COL_ERR_NOMEM)
            break;
        bad |= rc;
        rc = 0;
    }
    if (!rc && bad)
        rc = COL_ERR_CONFIG;
    return loader_finish(&ld, rc, where);
}
