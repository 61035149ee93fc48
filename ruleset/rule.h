/*
 * The rule language: YAML rules that say which series to watch, when a
 * value is a problem and when the problem is over, and the alert state
 * machine that turns a stream of evaluations into firing, reminder and
 * resolved events. Pure C: no clock (time is passed in), no database, no
 * network — the collector feeds values and persists the state.
 *
 * Rules are documented in docs/rules.md; the plan's ruleset is in
 * ruleset/rules/<topic>.yaml, each rule citing its source.
 */
#ifndef RULE_H
#define RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

/* What a rule watches. The collector evaluates each kind where it is computed. */
enum rule_series {
    RULE_READING,      /* each stored reading of the metric (instant) */
    RULE_ROLLING,      /* rolling mean/min/max/count of readings over `window` (e.g. 1h, 8h) */
    RULE_HOURLY,       /* site hourly mean of the metric */
    RULE_DAILY,        /* site daily mean (or min/max with `aggregate`) of the metric, valid days */
    RULE_AQI_HOURLY,   /* site real-time AQI (metric "aqi") or a pollutant of it (o3_8h ...) */
    RULE_AQI_DAILY,    /* site daily AQI (metric "aqi") or its concentrations (pm25, o3_8h ...) */
    RULE_WATER_SAMPLE, /* GB 3838 class of each water sample (metric "class", 6 = 劣Ⅴ) */
    RULE_WATER_DAILY,  /* GB 3838 class of the day */
    RULE_NOISE_DAY,    /* GB 3096 Ld of the day */
    RULE_NOISE_NIGHT,  /* GB 3096 Ln of the night */
    RULE_NOISE_LMAX,   /* night-time Lmax of the night */
    RULE_YTD_MEAN,     /* year-to-date mean of valid daily means of the metric */
    RULE_YTD_SHARE,    /* year-to-date share (%) of valid days whose daily AQI <= `day_max` */
    RULE_SILENCE,      /* seconds since a device last reported, vs its profile's interval */
    RULE_STUCK,        /* a sensor repeating the same value for `window` */
    RULE_JUMP,         /* absolute change between consecutive readings of the metric */
    RULE_N_SERIES
};

enum rule_op { RULE_GT, RULE_GE, RULE_LT, RULE_LE, RULE_EQ, RULE_NE };

enum rule_severity { RULE_INFO, RULE_WARNING, RULE_MAJOR, RULE_CRITICAL };

/*
 * Where the threshold comes from when it is not a number in the rule: a
 * value the collector knows per scope (the site's GB 3096 zone limit, the
 * device profile's interval, the GB 3095 Grade II limit of the edition in
 * force for the evaluated time).
 */
enum rule_threshold_ref {
    RULE_REF_NONE,             /* threshold is the rule's number */
    RULE_REF_ZONE_DAY,         /* GB 3096 day limit of the site's zone */
    RULE_REF_ZONE_NIGHT,       /* GB 3096 night limit */
    RULE_REF_ZONE_NIGHT_LMAX,  /* night limit + 15 dB */
    RULE_REF_GRADE2_24H,       /* GB 3095 Grade II 24-h limit of the metric, edition by date */
    RULE_REF_GRADE2_8H,        /* GB 3095 Grade II O3 8-h limit, edition by date */
    RULE_REF_INTERVAL_X,       /* `factor` x the device profile's report interval, seconds */
    RULE_REF_TARGET_PM25,      /* report.pm25_target */
    RULE_REF_TARGET_GOOD_DAYS, /* report.good_day_target */
};

struct rule_kv {
    char *key, *value;
};

struct rule {
    char *name; /* unique id, [a-z0-9_-]+ */
    char *file; /* where it was defined, for errors */
    int line;
    char *source; /* citation: standard / plan clause the rule implements */
    /* selectors; NULL matches anything */
    char *domain; /* air, water, noise, waste, sewage, device */
    char *site;
    char *device;
    char *metric;
    enum rule_series series;
    int64_t window_ms; /* RULE_ROLLING, RULE_STUCK */
    char *aggregate;   /* RULE_ROLLING / RULE_DAILY: mean (default), min, max, count */
    double day_max;    /* RULE_YTD_SHARE: AQI at or below which a day counts (100) */
    enum rule_op op;
    double threshold;
    enum rule_threshold_ref threshold_ref;
    double factor;  /* RULE_REF_INTERVAL_X */
    bool has_clear; /* hysteresis: resolve only when the value passes `clear` */
    double clear;   /* same units as threshold; for refs, an offset is not supported */
    int64_t for_ms; /* condition must hold this long before firing (pending until then) */
    int hits;       /* ... and for this many consecutive evaluations (>= 1) */
    enum rule_severity severity;
    int64_t repeat_ms;          /* reminder interval while firing; 0 = none */
    int64_t effective_from_ms;  /* UTC ms; 0 = always */
    int64_t effective_until_ms; /* UTC ms, exclusive; 0 = forever */
    char *message_zh;           /* templates: {site} {device} {metric} {value} {unit} {threshold} */
    char *message_en;           /*   {window} {rule} {source} {severity} {started_at} */
    size_t n_labels, n_annotations;
    struct rule_kv *labels;
    struct rule_kv *annotations;
};

struct ruleset {
    size_t n;
    struct rule *v;
};

/*
 * Load rule files: each path is a YAML file or a directory of *.yaml (sorted).
 * A file holds `rules:` — a list of rules. Every problem is reported to @d as
 * file:line; returns NULL when there was any error (or no memory).
 */
struct ruleset *ruleset_load(const char *const *paths, size_t n_paths, struct diag *d);
/* Parse one YAML text (for tests and fuzzing); @file names it in errors. */
struct ruleset *ruleset_parse(const char *file, const char *buf, size_t len, struct diag *d);
void ruleset_free(struct ruleset *rs);

/* The rule named @name, or NULL. */
const struct rule *ruleset_find(const struct ruleset *rs, const char *name);

/* True when the rule's selectors match (NULL arguments match only NULL-free selectors). */
bool rule_selects(const struct rule *r, const char *domain, const char *site, const char *device,
                  const char *metric);
/* True when the rule is in force at @t_ms (effective dates). */
bool rule_in_force(const struct rule *r, int64_t t_ms);

/* --- the alert state machine --- */

enum alert_state { ALERT_INACTIVE, ALERT_PENDING, ALERT_FIRING };

/* The persisted state of one (rule, scope); the collector stores it in SQLite. */
struct alert_status {
    enum alert_state state;
    int64_t pending_since_ms; /* first breaching evaluation of this episode */
    int64_t started_at_ms;    /* when it began firing */
    int64_t last_notified_ms; /* firing or last reminder */
    int hits;                 /* consecutive breaching evaluations */
    double value;             /* last evaluated value */
};

enum alert_event {
    ALERT_EV_NONE,
    ALERT_EV_PENDING,   /* condition seen, for/hits not yet satisfied (not notified) */
    ALERT_EV_CANCELLED, /* pending condition went away before firing (not notified) */
    ALERT_EV_FIRING,    /* notify: the alert starts */
    ALERT_EV_REMINDER,  /* notify: still firing after repeat interval */
    ALERT_EV_RESOLVED,  /* notify: the alert is over */
};

/* Is @v on the breaching side of threshold @t for @op (v > t for RULE_GT, ...)? False
 * when either is not a finite number. */
bool rule_breaches(enum rule_op op, double v, double t);

/*
 * Advance @st by one evaluation of @value against @threshold at @now_ms:
 * breach per op; while firing, resolve only when the value is on the safe
 * side of `clear` (hysteresis) or of the threshold. A rule out of force
 * (effective dates) resolves a firing alert and cancels a pending one.
 * Returns the event to act on. Pure; never fails.
 */
enum alert_event rule_step(const struct rule *r, struct alert_status *st, double value,
                           double threshold, int64_t now_ms);

/* A reminder due at @now_ms (repeat interval elapsed) for a firing alert, without a new value. */
enum alert_event rule_tick(const struct rule *r, struct alert_status *st, int64_t now_ms);

/* Values a message template can use. NULL strings print as "-". */
struct rule_ctx {
    const char *site, *device, *metric, *unit;
    double value, threshold;
    int64_t started_at_ms;
    /* Offset of the gateway's local time from UTC at started_at_ms, in seconds
     * ({started_at} is written in it): the caller knows the zone, the rules do not. */
    long utc_offset_s;
};

/*
 * Fill @tmpl with @ctx into @out (always NUL-terminated, truncated safely at a
 * UTF-8 boundary). Unknown {names} are left as they are. Returns the length
 * written.
 */
size_t rule_format(const struct rule *r, const char *tmpl, const struct rule_ctx *ctx, char *out,
                   size_t outsz);

const char *rule_severity_name(enum rule_severity s);
const char *rule_series_name(enum rule_series s);
const char *rule_op_name(enum rule_op op);

#endif
