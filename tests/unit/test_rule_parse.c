/*
 * Tests of rule loading (ruleset/rule.h, rule_parse.c): the shipped ruleset
 * loads cleanly and holds the plan's rules; defaults; effective dates worked
 * out by hand (local Asia/Shanghai midnight = 16:00 UTC the day before);
 * every kind of error with its exact "file:line: message", all of a file's
 * errors at once; loading files and directories; and an allocation-failure
 * loop (no crash, no leak under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "diag.h"
#include "test_util.h"
#include "rule.h"
#include "textparse.h"
#include "xalloc.h"

#define RULES_DIR PROJECT_SRC_DIR "/ruleset/rules"

/* 2026-03-01 00:00 +08:00 and 2031-01-01 00:00 +08:00, in UTC ms (by hand:
 * days_from_civil(2026,3,1) = 20513; 20513 * 86400000 - 8 * 3600000). */
#define T_2026_03_01 1772294400000LL
#define T_2031_01_01 1924963200000LL

/* ---- capturing diag ---- */

static struct ruleset *parse(const char *yaml, struct capture *c, struct diag *d)
{
    cap_init(c, d);
    return ruleset_parse("t.yaml", yaml, strlen(yaml), d);
}

/* Parse @yaml and expect exactly the NULL-terminated @want messages, in order. */
static void expect_errors(const char *yaml, const char *const *want)
{
    struct capture c;
    struct diag d;
    struct ruleset *rs = parse(yaml, &c, &d);
    int n = 0;

    while (want[n])
        n++;
    if (c.n != n) {
        for (int i = 0; i < c.n && i < CAP_MAX; i++)
            print_error("got: %s\n", c.msg[i]);
    }
    assert_null(rs);
    assert_int_equal(c.n, n);
    assert_int_equal(d.n_errors, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(c.msg[i], want[i]);
}

#define ERRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- the shipped ruleset ---- */

static void test_shipped_ruleset(void **state)
{
    static const char *const names[] = {
        "pm25_daily_grade2_2012",
        "pm25_daily_grade2_2026",
        "pm25_daily_grade2_2031",
        "pm10_daily_grade2",
        "so2_daily_grade2",
        "no2_daily_grade2",
        "co_daily_grade2",
        "aqi_hourly_over_100",
        "aqi_hourly_over_200",
        "o3_8h_grade2",
        "pm25_ytd_mean_target",
        "good_day_ratio_ytd",
        "water_sample_worse_than_v",
        "water_daily_worse_than_v",
        "water_do_low",
        "noise_day_over_zone",
        "noise_night_over_zone",
        "noise_night_lmax",
        "waste_bin_full",
        "waste_hazard_event",
        "device_silent",
        "stuck_pm25",
        "stuck_pm10",
        "stuck_no2",
        "stuck_o3",
        "stuck_so2",
        "stuck_co",
        "stuck_do",
        "stuck_ph",
        "stuck_nh3n",
        "stuck_codmn",
        "jump_pm25",
        "jump_do",
    };
    const char *paths[] = {RULES_DIR};
    struct capture c;
    struct diag d;
    struct ruleset *rs;
    const struct rule *r;

    cap_init(&c, &d);
    rs = ruleset_load(paths, 1, &d);
    for (int i = 0; i < c.n && i < CAP_MAX; i++)
        print_error("%s\n", c.msg[i]);
    assert_int_equal(c.n, 0);
    assert_non_null(rs);
    assert_int_equal(rs->n, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        r = ruleset_find(rs, names[i]);
        if (!r)
            print_error("missing rule %s\n", names[i]);
        assert_non_null(r);
        /* every rule cites its source and speaks both languages */
        assert_true(strlen(r->source) > 20);
        assert_non_null(r->message_zh);
        assert_non_null(r->message_en);
        assert_non_null(strstr(r->file, "/ruleset/rules/"));
        assert_true(r->line > 0);
    }

    /* PM2.5 daily: one rule per GB 3095 edition, switching at local midnight */
    r = ruleset_find(rs, "pm25_daily_grade2_2012");
    assert_int_equal(r->series, RULE_AQI_DAILY);
    assert_string_equal(r->metric, "pm25");
    assert_int_equal(r->op, RULE_GT);
    assert_true(r->threshold == 75);
    assert_int_equal(r->severity, RULE_MAJOR);
    assert_true(r->effective_from_ms == 0);
    assert_true(r->effective_until_ms == T_2026_03_01);
    r = ruleset_find(rs, "pm25_daily_grade2_2026");
    assert_true(r->threshold == 60);
    assert_true(r->effective_from_ms == T_2026_03_01);
    assert_true(r->effective_until_ms == T_2031_01_01);
    r = ruleset_find(rs, "pm25_daily_grade2_2031");
    assert_true(r->threshold == 50);
    assert_true(r->effective_from_ms == T_2031_01_01);
    assert_true(r->effective_until_ms == 0);
    /* at any instant exactly one of the three is in force */
    for (int64_t t = T_2026_03_01 - 1; t <= T_2026_03_01 + 1; t++) {
        int n = rule_in_force(ruleset_find(rs, "pm25_daily_grade2_2012"), t) +
                rule_in_force(ruleset_find(rs, "pm25_daily_grade2_2026"), t) +
                rule_in_force(ruleset_find(rs, "pm25_daily_grade2_2031"), t);
        assert_int_equal(n, 1);
    }

    r = ruleset_find(rs, "pm10_daily_grade2");
    assert_int_equal(r->threshold_ref, RULE_REF_GRADE2_24H);
    assert_true(isnan(r->threshold));
    r = ruleset_find(rs, "aqi_hourly_over_100");
    assert_int_equal(r->series, RULE_AQI_HOURLY);
    assert_string_equal(r->metric, "aqi");
    assert_true(r->threshold == 100);
    assert_int_equal(r->severity, RULE_WARNING);
    r = ruleset_find(rs, "aqi_hourly_over_200");
    assert_true(r->threshold == 200);
    assert_int_equal(r->severity, RULE_MAJOR);
    r = ruleset_find(rs, "o3_8h_grade2");
    assert_string_equal(r->metric, "o3_8h");
    assert_int_equal(r->threshold_ref, RULE_REF_GRADE2_8H);
    r = ruleset_find(rs, "pm25_ytd_mean_target");
    assert_int_equal(r->series, RULE_YTD_MEAN);
    assert_int_equal(r->threshold_ref, RULE_REF_TARGET_PM25);
    r = ruleset_find(rs, "good_day_ratio_ytd");
    assert_int_equal(r->series, RULE_YTD_SHARE);
    assert_int_equal(r->op, RULE_LT);
    assert_int_equal(r->threshold_ref, RULE_REF_TARGET_GOOD_DAYS);
    assert_true(r->day_max == 100);
    assert_true(r->n_annotations >= 1);
    assert_string_equal(r->annotations[0].key, "draft");

    r = ruleset_find(rs, "water_sample_worse_than_v");
    assert_int_equal(r->series, RULE_WATER_SAMPLE);
    assert_int_equal(r->op, RULE_GE);
    assert_true(r->threshold == 6);
    assert_int_equal(r->severity, RULE_CRITICAL);
    r = ruleset_find(rs, "water_do_low");
    assert_int_equal(r->op, RULE_LT);
    assert_true(r->threshold == 2);
    assert_true(r->has_clear);
    assert_true(r->clear == 2.5);

    assert_int_equal(ruleset_find(rs, "noise_day_over_zone")->threshold_ref, RULE_REF_ZONE_DAY);
    assert_int_equal(ruleset_find(rs, "noise_night_over_zone")->threshold_ref, RULE_REF_ZONE_NIGHT);
    assert_int_equal(ruleset_find(rs, "noise_night_lmax")->threshold_ref, RULE_REF_ZONE_NIGHT_LMAX);

    r = ruleset_find(rs, "waste_bin_full");
    assert_int_equal(r->op, RULE_GE);
    assert_true(r->threshold == 90);
    assert_true(r->has_clear && r->clear == 50);
    assert_non_null(strstr(r->message_en, "dispatch a collection"));
    r = ruleset_find(rs, "waste_hazard_event");
    assert_int_equal(r->severity, RULE_MAJOR);

    r = ruleset_find(rs, "device_silent");
    assert_int_equal(r->series, RULE_SILENCE);
    assert_int_equal(r->threshold_ref, RULE_REF_INTERVAL_X);
    assert_true(r->factor == 3);
    assert_null(r->metric);
    r = ruleset_find(rs, "stuck_pm25");
    assert_int_equal(r->series, RULE_STUCK);
    assert_true(r->window_ms == 24 * 3600000LL);
    r = ruleset_find(rs, "jump_pm25");
    assert_true(r->threshold == 500);
    r = ruleset_find(rs, "jump_do");
    assert_true(r->threshold == 5);

    assert_null(ruleset_find(rs, "no_such_rule"));
    ruleset_free(rs);
}

/* ---- what a minimal rule gets by default ---- */

static void test_defaults(void **state)
{
    static const char yaml[] = "rules:\n"
                               "  - name: r1\n"
                               "    source: test\n"
                               "    series: reading\n"
                               "    select: {domain: air, site: \"*\", metric: pm25}\n"
                               "    when: {op: \">=\", value: 1.5}\n";
    struct capture c;
    struct diag d;
    struct ruleset *rs = parse(yaml, &c, &d);
    const struct rule *r;

    assert_non_null(rs);
    assert_int_equal(c.n, 0);
    assert_int_equal(rs->n, 1);
    r = &rs->v[0];
    assert_string_equal(r->name, "r1");
    assert_string_equal(r->file, "t.yaml");
    assert_int_equal(r->line, 2);
    assert_string_equal(r->source, "test");
    assert_string_equal(r->domain, "air");
    assert_null(r->site); /* "*" = any */
    assert_null(r->device);
    assert_string_equal(r->metric, "pm25");
    assert_int_equal(r->series, RULE_READING);
    assert_int_equal(r->op, RULE_GE);
    assert_true(r->threshold == 1.5);
    assert_int_equal(r->threshold_ref, RULE_REF_NONE);
    assert_false(r->has_clear);
    assert_true(r->window_ms == 0);
    assert_string_equal(r->aggregate, "mean");
    assert_true(r->day_max == 100);
    assert_true(r->factor == 1);
    assert_true(r->for_ms == 0);
    assert_int_equal(r->hits, 1);
    assert_int_equal(r->severity, RULE_WARNING);
    assert_true(r->repeat_ms == 0);
    assert_true(r->effective_from_ms == 0 && r->effective_until_ms == 0);
    /* default messages exist in both languages */
    assert_non_null(strstr(r->message_zh, "{value}"));
    assert_non_null(strstr(r->message_en, "{value}"));
    assert_int_equal(r->n_labels, 0);
    assert_int_equal(r->n_annotations, 0);
    ruleset_free(rs);
}

static void test_all_keys(void **state)
{
    static const char yaml[] =
        "rules:\n"
        "  - name: all-keys_2\n"
        "    source: \"GB 3095-2012 表1\"\n"
        "    series: rolling\n"
        "    select: {domain: air, site: xjh, device: aq-01, metric: pm25}\n"
        "    window: 8h\n"
        "    aggregate: max\n"
        "    when: {op: \"<\", value: -3}\n"
        "    clear: 2\n"
        "    for: 15m\n"
        "    hits: 3\n"
        "    severity: critical\n"
        "    repeat: 2h\n"
        "    effective: {from: 2026-03-01, until: \"2026-03-01T12:00:00Z\"}\n"
        "    message: {zh: \"中 {value}\", en: \"en {value}\"}\n"
        "    labels: {team: air, shift: night}\n"
        "    annotations: {runbook: call}\n"
        "  - name: silent\n"
        "    source: s\n"
        "    series: silence\n"
        "    when: {op: \">\", ref: interval_x, factor: 2.5}\n"
        "  - name: share\n"
        "    source: s\n"
        "    series: ytd_share\n"
        "    day_max: 50\n"
        "    when: {op: \"!=\", ref: good_day_target}\n";
    struct capture c;
    struct diag d;
    struct ruleset *rs = parse(yaml, &c, &d);
    const struct rule *r;

    for (int i = 0; i < c.n && i < CAP_MAX; i++)
        print_error("%s\n", c.msg[i]);
    assert_non_null(rs);
    assert_int_equal(rs->n, 3);
    r = ruleset_find(rs, "all-keys_2");
    assert_non_null(r);
    assert_string_equal(r->source, "GB 3095-2012 表1");
    assert_int_equal(r->series, RULE_ROLLING);
    assert_string_equal(r->site, "xjh");
    assert_string_equal(r->device, "aq-01");
    assert_true(r->window_ms == 8 * 3600000LL);
    assert_string_equal(r->aggregate, "max");
    assert_int_equal(r->op, RULE_LT);
    assert_true(r->threshold == -3);
    assert_true(r->has_clear && r->clear == 2);
    assert_true(r->for_ms == 15 * 60000LL);
    assert_int_equal(r->hits, 3);
    assert_int_equal(r->severity, RULE_CRITICAL);
    assert_true(r->repeat_ms == 2 * 3600000LL);
    assert_true(r->effective_from_ms == T_2026_03_01);
    /* 2026-03-01T12:00Z = local midnight + 8 h + 12 h */
    assert_true(r->effective_until_ms == T_2026_03_01 + 20 * 3600000LL);
    assert_string_equal(r->message_zh, "中 {value}");
    assert_string_equal(r->message_en, "en {value}");
    assert_int_equal(r->n_labels, 2);
    assert_string_equal(r->labels[0].key, "team");
    assert_string_equal(r->labels[0].value, "air");
    assert_string_equal(r->labels[1].key, "shift");
    assert_string_equal(r->labels[1].value, "night");
    assert_int_equal(r->n_annotations, 1);
    assert_string_equal(r->annotations[0].key, "runbook");
    assert_string_equal(r->annotations[0].value, "call");

    r = ruleset_find(rs, "silent");
    assert_int_equal(r->threshold_ref, RULE_REF_INTERVAL_X);
    assert_true(r->factor == 2.5);
    r = ruleset_find(rs, "share");
    assert_int_equal(r->op, RULE_NE);
    assert_true(r->day_max == 50);
    ruleset_free(rs);
}

/* ---- effective dates by hand ---- */

static int64_t parse_from(const char *when)
{
    char yaml[512];
    struct capture c;
    struct diag d;
    struct ruleset *rs;
    int64_t v;

    snprintf(yaml, sizeof(yaml),
             "rules:\n  - name: e\n    source: s\n    series: daily\n"
             "    when: {op: \">\", value: 1}\n    effective: {from: %s}\n",
             when);
    rs = parse(yaml, &c, &d);
    assert_non_null(rs);
    v = rs->v[0].effective_from_ms;
    ruleset_free(rs);
    return v;
}

static void test_effective_dates(void **state)
{
    /* a date is local midnight in Asia/Shanghai: 16:00 UTC the day before */
    assert_true(parse_from("2026-03-01") == 1772294400000LL);
    assert_true(parse_from("2026-03-01") == T_2026_03_01);
    /* 1772294400 s = 2026-02-28T16:00:00Z */
    assert_true(parse_from("\"2026-02-28T16:00:00Z\"") == 1772294400000LL);
    assert_true(parse_from("\"2026-03-01T00:00:00+08:00\"") == 1772294400000LL);
    /* a time without offset is local too */
    assert_true(parse_from("\"2026-03-01 08:30\"") ==
                1772294400000LL + 8 * 3600000LL + 30 * 60000LL);
    assert_true(parse_from("2031-01-01") == 1924963200000LL);
    /* 2021-01-01 +08:00: 18628 days * 86400 s - 8 h = 1609430400 s */
    assert_true(parse_from("2021-01-01") == 1609430400000LL);
    assert_true(parse_from("2024-02-29") == 1709136000000LL);
}

static void test_in_force(void **state)
{
    struct rule r;

    memset(&r, 0, sizeof(r));
    assert_true(rule_in_force(&r, INT64_MIN));
    assert_true(rule_in_force(&r, 0));
    assert_true(rule_in_force(&r, INT64_MAX));
    r.effective_from_ms = T_2026_03_01;
    assert_false(rule_in_force(&r, T_2026_03_01 - 1));
    assert_true(rule_in_force(&r, T_2026_03_01));
    r.effective_until_ms = T_2031_01_01; /* exclusive */
    assert_true(rule_in_force(&r, T_2031_01_01 - 1));
    assert_false(rule_in_force(&r, T_2031_01_01));
    r.effective_from_ms = 0;
    assert_true(rule_in_force(&r, 1));
    assert_false(rule_in_force(NULL, 1));
}

/* ---- every error, exactly ---- */

#define HEAD "rules:\n  - name: a\n    source: s\n"

static void test_error_unknown_keys(void **state)
{
    expect_errors(HEAD "    series: reading\n"
                       "    when: {op: \">\", value: 1}\n"
                       "    sevrity: major\n",
                  ERRS("t.yaml:6: unknown key 'sevrity' in a rule"));
    expect_errors(HEAD "    series: reading\n"
                       "    select: {domain: air, sensor: x}\n"
                       "    when: {op: \">\", value: 1, valeu: 2}\n"
                       "    effective: {from: 2026-03-01, till: 2027-01-01}\n"
                       "    message: {zh: a, fr: b}\n",
                  ERRS("t.yaml:5: unknown key 'sensor' in a rule's select",
                       "t.yaml:6: unknown key 'valeu' in a rule's when",
                       "t.yaml:7: unknown key 'till' in a rule's effective",
                       "t.yaml:8: unknown key 'fr' in a rule's message"));
    expect_errors("rule:\n  - name: a\n", ERRS("t.yaml:1: unknown key 'rule' in a rule file",
                                               "t.yaml:1: missing required key 'rules'"));
}

static void test_error_missing(void **state)
{
    expect_errors(
        "rules:\n  - series: reading\n    when: {op: \">\", value: 1}\n",
        ERRS("t.yaml:2: missing required key 'name'", "t.yaml:2: missing required key 'source'"));
    expect_errors(HEAD "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:2: missing required key 'series'"));
    expect_errors(HEAD "    series: reading\n", ERRS("t.yaml:2: missing required key 'when'"));
    expect_errors(HEAD "    series: reading\n    when: {value: 1}\n",
                  ERRS("t.yaml:5: missing required key 'op'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\"}\n",
                  ERRS("t.yaml:5: 'when' needs a 'value' (a number) or a 'ref'"));
    /* an empty source is no citation */
    expect_errors("rules:\n  - name: a\n    source: \"\"\n    series: reading\n"
                  "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:3: 'source' must cite the standard or plan clause the rule "
                       "implements"));
}

static void test_error_values(void **state)
{
    expect_errors("rules:\n  - name: Bad Name\n    source: s\n    series: reading\n"
                  "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:2: rule name must be 1-64 characters of lowercase a-z, 0-9, _ or "
                       "-"));
    expect_errors(HEAD "    series: hourlyy\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:4: unknown series 'hourlyy' (one of: reading, rolling, hourly, "
                       "daily, aqi_hourly, aqi_daily, water_sample, water_daily, noise_day, "
                       "noise_night, noise_lmax, ytd_mean, ytd_share, silence, stuck, jump)"));
    /* a bad series does not hide the mistakes in 'when' */
    expect_errors(HEAD "    series: noise\n    when: {op: \"=>\", ref: zone_day_limit}\n",
                  ERRS("t.yaml:4: unknown series 'noise' (one of: reading, rolling, hourly, "
                       "daily, aqi_hourly, aqi_daily, water_sample, water_daily, noise_day, "
                       "noise_night, noise_lmax, ytd_mean, ytd_share, silence, stuck, jump)",
                       "t.yaml:5: 'op' must be one of >, >=, <, <=, ==, !="));
    expect_errors(HEAD "    series: reading\n    when: {op: \"=>\", value: 1}\n",
                  ERRS("t.yaml:5: 'op' must be one of >, >=, <, <=, ==, !="));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: high}\n",
                  ERRS("t.yaml:5: 'value' must be a number, not 'high'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    for: soon\n",
                  ERRS("t.yaml:6: 'for' must be a duration such as 30s, 5m, 1h, not 'soon'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    repeat: -1h\n",
                  ERRS("t.yaml:6: 'repeat' must be a duration such as 30s, 5m, 1h, not '-1h'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    hits: 0\n",
                  ERRS("t.yaml:6: 'hits' must be a whole number from 1 to 1000000"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    hits: 2.5\n",
                  ERRS("t.yaml:6: 'hits' must be a whole number from 1 to 1000000"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    severity: high\n",
                  ERRS("t.yaml:6: 'severity' must be info, warning, major or critical"));
    expect_errors(HEAD "    series: reading\n    select: {domain: soil}\n"
                       "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: select.domain must be air, water, noise, waste, sewage, device "
                       "or *"));
    expect_errors(HEAD "    series: reading\n    select: air\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'select' must be a mapping of domain, site, device, metric"));
    expect_errors(HEAD "    series: reading\n    select: {metric: [a, b]}\n"
                       "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'metric' must be a single value"));
    expect_errors(HEAD "    series: reading\n    when: [\">\", 1]\n",
                  ERRS("t.yaml:5: 'when' must be a mapping: {op: \">\", value: N} or {op: \">\", "
                       "ref: R}"));
}

static void test_error_refs(void **state)
{
    expect_errors(HEAD
                  "    series: reading\n    when: {op: \">\", value: 1, ref: zone_day_limit}\n",
                  ERRS("t.yaml:5: 'when' takes either 'value' or 'ref', not both"));
    expect_errors(HEAD "    series: noise_day\n    when: {op: \">\", ref: zone_limit}\n",
                  ERRS("t.yaml:5: unknown ref 'zone_limit' (zone_day_limit, zone_night_limit, "
                       "zone_night_lmax_limit, grade2_24h_limit, grade2_8h_limit, interval_x, "
                       "pm25_target, good_day_target)"));
    expect_errors(HEAD "    series: aqi_daily\n    when: {op: \">\", ref: zone_day_limit}\n",
                  ERRS("t.yaml:5: ref 'zone_day_limit' does not apply to series 'aqi_daily' (it "
                       "applies to noise_day)"));
    expect_errors(HEAD "    series: noise_night\n    when: {op: \">\", ref: zone_day_limit}\n",
                  ERRS("t.yaml:5: ref 'zone_day_limit' does not apply to series 'noise_night' "
                       "(it applies to noise_day)"));
    expect_errors(HEAD "    series: hourly\n    select: {metric: pm25}\n"
                       "    when: {op: \">\", ref: grade2_24h_limit}\n",
                  ERRS("t.yaml:6: ref 'grade2_24h_limit' does not apply to series 'hourly' (it "
                       "applies to daily and aqi_daily)"));
    expect_errors(HEAD "    series: aqi_daily\n    select: {metric: aqi}\n"
                       "    when: {op: \">\", ref: grade2_24h_limit}\n",
                  ERRS("t.yaml:6: ref 'grade2_24h_limit' needs select.metric to be one of: so2, "
                       "no2, co, pm10, pm25, tsp, nox"));
    expect_errors(HEAD "    series: aqi_daily\n    when: {op: \">\", ref: grade2_8h_limit}\n",
                  ERRS("t.yaml:5: ref 'grade2_8h_limit' needs select.metric to be one of: o3_8h"));
    expect_errors(HEAD "    series: ytd_mean\n    select: {metric: pm10}\n"
                       "    when: {op: \">\", ref: pm25_target}\n",
                  ERRS("t.yaml:6: ref 'pm25_target' needs select.metric to be one of: pm25"));
    expect_errors(HEAD "    series: ytd_mean\n    select: {metric: pm25}\n"
                       "    when: {op: \"<\", ref: good_day_target}\n",
                  ERRS("t.yaml:6: ref 'good_day_target' does not apply to series 'ytd_mean' (it "
                       "applies to ytd_share)"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", ref: interval_x, factor: 3}\n",
                  ERRS("t.yaml:5: ref 'interval_x' does not apply to series 'reading' (it "
                       "applies to silence)"));
    expect_errors(HEAD "    series: silence\n    when: {op: \">\", ref: interval_x}\n",
                  ERRS("t.yaml:5: ref 'interval_x' needs a 'factor' (e.g. 3)"));
    expect_errors(HEAD "    series: silence\n    when: {op: \">\", ref: interval_x, factor: 0}\n",
                  ERRS("t.yaml:5: 'factor' must be positive"));
    expect_errors(HEAD "    series: silence\n    when: {op: \">\", value: 600, factor: 2}\n",
                  ERRS("t.yaml:5: 'factor' applies only to ref 'interval_x'"));
}

static void test_error_series_keys(void **state)
{
    expect_errors(HEAD "    series: rolling\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:2: series 'rolling' needs a 'window' (e.g. 1h)"));
    expect_errors(HEAD "    series: stuck\n    window: 0\n    when: {op: \"<=\", value: 0}\n",
                  ERRS("t.yaml:5: 'window' must be longer than 0"));
    expect_errors(HEAD "    series: reading\n    window: 1h\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'window' applies only to rolling and stuck series"));
    expect_errors(HEAD "    series: hourly\n    aggregate: max\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'aggregate' applies only to rolling and daily series"));
    expect_errors(HEAD "    series: daily\n    aggregate: median\n"
                       "    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'aggregate' must be mean, min, max or count"));
    expect_errors(HEAD "    series: daily\n    day_max: 100\n    when: {op: \">\", value: 1}\n",
                  ERRS("t.yaml:5: 'day_max' applies only to ytd_share series"));
    expect_errors(HEAD "    series: ytd_share\n    day_max: 600\n"
                       "    when: {op: \"<\", value: 80}\n",
                  ERRS("t.yaml:5: 'day_max' must be an AQI from 0 to 500"));
    expect_errors(HEAD "    series: silence\n    select: {metric: pm25}\n"
                       "    when: {op: \">\", value: 600}\n",
                  ERRS("t.yaml:2: series 'silence' watches no metric; remove select.metric"));
}

static void test_error_clear(void **state)
{
    expect_errors(HEAD "    series: reading\n    when: {op: \"==\", value: 1}\n    clear: 0\n",
                  ERRS("t.yaml:6: 'clear' needs op >, >=, < or <="));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 75}\n    clear: 80\n",
                  ERRS("t.yaml:6: 'clear' (80) must be at or below the threshold (75) for op "
                       "'>'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \"<\", value: 2}\n    clear: 1.5\n",
                  ERRS("t.yaml:6: 'clear' (1.5) must be at or above the threshold (2) for op "
                       "'<'"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n    clear: none\n",
                  ERRS("t.yaml:6: 'clear' must be a number, not 'none'"));
}

static void test_error_effective(void **state)
{
    expect_errors(HEAD "    series: daily\n    when: {op: \">\", value: 1}\n"
                       "    effective: {from: 2026-02-30}\n",
                  ERRS("t.yaml:6: 'effective.from' must be a date (2026-03-01, local time "
                       "Asia/Shanghai) or an ISO 8601 time after 1970, not '2026-02-30'"));
    expect_errors(HEAD "    series: daily\n    when: {op: \">\", value: 1}\n"
                       "    effective: {from: 2026-03-01, until: 2026-03-01}\n",
                  ERRS("t.yaml:6: 'effective.until' must be later than 'from'"));
    expect_errors(HEAD "    series: daily\n    when: {op: \">\", value: 1}\n"
                       "    effective: 2026-03-01\n",
                  ERRS("t.yaml:6: 'effective' must be a mapping with 'from' and/or 'until'"));
}

static void test_error_messages_labels(void **state)
{
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n"
                       "    message: {zh: \"{site} {vlaue}\", en: \"{value} {unit}\"}\n",
                  ERRS("t.yaml:6: unknown placeholder '{vlaue}' in message.zh (docs/rules.md "
                       "lists them)"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n"
                       "    message: hello\n",
                  ERRS("t.yaml:6: 'message' must be a mapping with 'zh' and 'en' templates"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n"
                       "    labels: {Team: air, shift: [a]}\n",
                  ERRS("t.yaml:6: label name 'Team' must be lowercase a-z, 0-9, _ or -",
                       "t.yaml:6: label 'shift' must be a single value"));
    expect_errors(HEAD "    series: reading\n    when: {op: \">\", value: 1}\n"
                       "    annotations: [a]\n",
                  ERRS("t.yaml:6: 'annotations' must be a mapping of names to text"));
}

static void test_error_file_shape(void **state)
{
    expect_errors("", ERRS("t.yaml: a rule file must be a mapping with a 'rules:' list"));
    expect_errors("- a\n", ERRS("t.yaml:1: a rule file must be a mapping with a 'rules:' list"));
    expect_errors("rules: {a: 1}\n", ERRS("t.yaml:1: 'rules' must be a list of rules"));
    expect_errors("rules:\n  - just text\n",
                  ERRS("t.yaml:2: a rule must be a mapping (name, source, series, when, ...)"));
    /* YAML-level errors come from ydoc: the first one stops the file */
    expect_errors(HEAD "    series: reading\n    series: daily\n",
                  ERRS("t.yaml:5: duplicate key 'series' (first at line 4)"));
    expect_errors("rules:\n  - name: [a\n",
                  ERRS("t.yaml:3: did not find expected ',' or ']' while parsing a flow "
                       "sequence"));
}

static void test_error_duplicate_name(void **state)
{
    expect_errors("rules:\n"
                  "  - name: a\n    source: s\n    series: reading\n"
                  "    when: {op: \">\", value: 1}\n"
                  "  - name: b\n    source: s\n    series: reading\n"
                  "    when: {op: \">\", value: 1}\n"
                  "  - name: a\n    source: s\n    series: daily\n"
                  "    when: {op: \">\", value: 2}\n",
                  ERRS("t.yaml:10: rule name 'a' is already defined at t.yaml:2"));
}

/* One file with many mistakes: every one is reported, in file order. */
static void test_all_errors_reported(void **state)
{
    expect_errors("rules:\n"
                  "  - name: ok\n    source: s\n    series: reading\n"
                  "    when: {op: \">\", value: 1}\n"
                  "  - name: two\n"                   /* 6 */
                  "    series: jump\n"                /* 7 */
                  "    when: {op: \"~\", value: 1}\n" /* 8 */
                  "    severity: urgent\n"            /* 9 */
                  "    colour: red\n"                 /* 10 */
                  "  - name: three\n"                 /* 11 */
                  "    source: s\n"
                  "    series: rolling\n"
                  "    when: {op: \">\", value: x}\n" /* 14 */
                  "    hits: many\n",                 /* 15 */
                  ERRS("t.yaml:10: unknown key 'colour' in a rule",
                       "t.yaml:6: missing required key 'source'",
                       "t.yaml:9: 'severity' must be info, warning, major or critical",
                       "t.yaml:8: 'op' must be one of >, >=, <, <=, ==, !=",
                       "t.yaml:15: 'hits' must be a whole number from 1 to 1000000",
                       "t.yaml:14: 'value' must be a number, not 'x'",
                       "t.yaml:11: series 'rolling' needs a 'window' (e.g. 1h)"));
}

/* ---- files and directories ---- */

struct tmp {
    char dir[64];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/test_rule_parse.XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    test_rmdir(t->dir);
    free(t);
    return 0;
}

static void write_file(const struct tmp *t, const char *name, const char *text, char *path,
                       size_t pathsz)
{
    FILE *f;

    snprintf(path, pathsz, "%s/%s", t->dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_files(void **state)
{
    struct tmp *t = *state;
    char p1[160], p2[160], p3[160], want[512];
    const char *paths[2];
    struct capture c;
    struct diag d;
    struct ruleset *rs;

    write_file(t, "b.yaml",
               "rules:\n  - name: rb\n    source: s\n    series: reading\n"
               "    when: {op: \">\", value: 1}\n",
               p2, sizeof(p2));
    write_file(t, "a.yaml",
               "rules:\n  - name: ra\n    source: s\n    series: reading\n"
               "    when: {op: \">\", value: 1}\n",
               p1, sizeof(p1));
    write_file(t, "notes.txt", "not a rule file", p3, sizeof(p3));

    /* a directory: *.yaml in name order, other files ignored */
    paths[0] = t->dir;
    cap_init(&c, &d);
    rs = ruleset_load(paths, 1, &d);
    assert_non_null(rs);
    assert_int_equal(c.n, 0);
    assert_int_equal(rs->n, 2);
    assert_string_equal(rs->v[0].name, "ra");
    assert_string_equal(rs->v[0].file, p1);
    assert_string_equal(rs->v[1].name, "rb");
    ruleset_free(rs);

    /* the same file twice: names must be unique across files */
    paths[0] = p1;
    paths[1] = p1;
    cap_init(&c, &d);
    rs = ruleset_load(paths, 2, &d);
    assert_null(rs);
    assert_int_equal(c.n, 1);
    snprintf(want, sizeof(want), "%s:2: rule name 'ra' is already defined at %s:2", p1, p1);
    assert_string_equal(c.msg[0], want);

    /* a missing path is an error, and the other files are still checked */
    write_file(t, "c.yaml", "rules:\n  - name: rc\n", p3, sizeof(p3));
    paths[0] = "/nonexistent/rules";
    paths[1] = p3;
    cap_init(&c, &d);
    rs = ruleset_load(paths, 2, &d);
    assert_null(rs);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.msg[0], "/nonexistent/rules: cannot open: No such file or directory");
    snprintf(want, sizeof(want), "%s:2: missing required key 'source'", p3);
    assert_string_equal(c.msg[1], want);

    /* no paths, or an empty list: an empty ruleset */
    cap_init(&c, &d);
    rs = ruleset_load(NULL, 0, &d);
    assert_non_null(rs);
    assert_int_equal(rs->n, 0);
    ruleset_free(rs);
    rs = ruleset_parse("e.yaml", "rules: []\n", 10, &d);
    assert_non_null(rs);
    assert_int_equal(rs->n, 0);
    ruleset_free(rs);
    assert_int_equal(c.n, 0);
}

static void test_null_diag_and_free(void **state)
{
    /* without a diag, errors still fail the load (and go nowhere) */
    assert_null(ruleset_parse("t.yaml", "rules: 5\n", 9, NULL));
    assert_null(ruleset_parse(NULL, NULL, 0, NULL));
    ruleset_free(NULL);
    assert_null(ruleset_find(NULL, "x"));
}

/* ---- allocation failures ---- */

static const char alloc_yaml[] =
    "rules:\n"
    "  - name: full\n"
    "    source: \"规划 / plan\"\n"
    "    series: rolling\n"
    "    select: {domain: air, site: xjh, device: aq-01, metric: pm25}\n"
    "    window: 1h\n"
    "    aggregate: max\n"
    "    when: {op: \">\", value: 75}\n"
    "    clear: 70\n"
    "    effective: {from: 2026-03-01}\n"
    "    message: {zh: \"{site} {value}\", en: \"{site} {value}\"}\n"
    "    labels: {team: air, x: y}\n"
    "    annotations: {runbook: r}\n"
    "  - name: minimal\n"
    "    source: s\n"
    "    series: silence\n"
    "    when: {op: \">\", ref: interval_x, factor: 3}\n";

static void test_parse_allocation_failures(void **state)
{
    struct capture c;
    struct diag d;
    struct ruleset *rs;
    long total;

    cap_init(&c, &d);
    xalloc_fail_at(0);
    rs = ruleset_parse("t.yaml", alloc_yaml, strlen(alloc_yaml), &d);
    total = xalloc_count();
    assert_non_null(rs);
    assert_int_equal(rs->n, 2);
    ruleset_free(rs);
    assert_true(total > 10);

    for (long n = 1; n <= total + 1; n++) {
        cap_init(&c, &d);
        xalloc_fail_at(n);
        rs = ruleset_parse("t.yaml", alloc_yaml, strlen(alloc_yaml), &d);
        xalloc_fail_at(0);
        if (n <= total) {
            if (rs)
                print_error("allocation %ld failed but the rules loaded\n", n);
            assert_null(rs);
            assert_true(c.n >= 1);
        } else {
            assert_non_null(rs);
            assert_int_equal(rs->n, 2);
            assert_int_equal(c.n, 0);
        }
        ruleset_free(rs);
    }
    xalloc_fail_at(0);
}

/* The shipped directory too: directory listing, file reading, all five files. */
static void test_load_allocation_failures(void **state)
{
    const char *paths[] = {RULES_DIR};
    struct capture c;
    struct diag d;
    struct ruleset *rs;
    long total;

    cap_init(&c, &d);
    xalloc_fail_at(0);
    rs = ruleset_load(paths, 1, &d);
    total = xalloc_count();
    assert_non_null(rs);
    ruleset_free(rs);
    for (long n = 1; n <= total; n++) {
        cap_init(&c, &d);
        xalloc_fail_at(n);
        rs = ruleset_load(paths, 1, &d);
        xalloc_fail_at(0);
        if (n <= total)
            assert_null(rs);
        ruleset_free(rs);
    }
    xalloc_fail_at(total + 1);
    rs = ruleset_load(paths, 1, &d);
    xalloc_fail_at(0);
    assert_non_null(rs);
    ruleset_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_ruleset),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_effective_dates),
        cmocka_unit_test(test_in_force),
        cmocka_unit_test(test_error_unknown_keys),
        cmocka_unit_test(test_error_missing),
        cmocka_unit_test(test_error_values),
        cmocka_unit_test(test_error_refs),
        cmocka_unit_test(test_error_series_keys),
        cmocka_unit_test(test_error_clear),
        cmocka_unit_test(test_error_effective),
        cmocka_unit_test(test_error_messages_labels),
        cmocka_unit_test(test_error_file_shape),
        cmocka_unit_test(test_error_duplicate_name),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test_setup_teardown(test_load_files, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_null_diag_and_free),
        cmocka_unit_test(test_parse_allocation_failures),
        cmocka_unit_test(test_load_allocation_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
