/*
 * Tests of the alert state machine and the pure rule helpers (ruleset/rule.h,
 * rule_state.c and rule_eval.c) with a fake clock: firing at once, pending
 * for `hits` and `for`, cancelling, reminders (on a value and on a tick),
 * resolving with and without `clear` hysteresis, effective dates, non-finite
 * values, continuing with an identical rule after a reload; then selectors,
 * names and rule_format (numbers, units, unknown placeholders, UTF-8-safe
 * truncation of a Chinese template). Every expectation is worked out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "textparse.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
/* 2026-03-01 00:00 +08:00 in UTC ms */
#define T0 1772294400000LL

/* ---- a fake clock and a plain rule ---- */

static int64_t now;

static void clock_at(int64_t t)
{
    now = t;
}

static void advance(int64_t ms)
{
    now += ms;
}

/* "value > 75", fires at once, no reminders, always in force. */
static struct rule base_rule(void)
{
    struct rule r;

    memset(&r, 0, sizeof(r));
    r.name = "test_rule";
    r.source = "GB 3095-2012 Table 1";
    r.series = RULE_AQI_DAILY;
    r.op = RULE_GT;
    r.threshold = 75;
    r.hits = 1;
    r.severity = RULE_MAJOR;
    r.factor = 1;
    r.day_max = 100;
    return r;
}

static enum alert_event step(const struct rule *r, struct alert_status *st, double v)
{
    return rule_step(r, st, v, r->threshold, now);
}

/* ---- firing, pending, cancelling ---- */

static void test_fires_immediately(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    clock_at(T0);
    assert_int_equal(step(&r, &st, 70), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_INACTIVE);
    assert_true(st.value == 70);
    assert_int_equal(step(&r, &st, 75), ALERT_EV_NONE); /* > 75, not >= */
    advance(HOUR);
    /* for = 0 and hits = 1: the first breach fires, it is not merely pending */
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    assert_int_equal(st.state, ALERT_FIRING);
    assert_true(st.pending_since_ms == T0 + HOUR);
    assert_true(st.started_at_ms == T0 + HOUR);
    assert_true(st.last_notified_ms == T0 + HOUR);
    assert_int_equal(st.hits, 1);
    assert_true(st.value == 80);
    /* still breaching, repeat = 0: nothing more to say */
    for (int i = 0; i < 5; i++) {
        advance(24 * HOUR);
        assert_int_equal(step(&r, &st, 90), ALERT_EV_NONE);
    }
    assert_int_equal(st.hits, 6);
    assert_true(st.last_notified_ms == T0 + HOUR);
    assert_true(st.started_at_ms == T0 + HOUR);
}

static void test_pending_until_hits(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.hits = 3;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    assert_int_equal(st.state, ALERT_PENDING);
    assert_int_equal(st.hits, 1);
    assert_true(st.pending_since_ms == T0);
    advance(MIN);
    assert_int_equal(step(&r, &st, 81), ALERT_EV_PENDING);
    assert_int_equal(st.hits, 2);
    advance(MIN);
    assert_int_equal(step(&r, &st, 82), ALERT_EV_FIRING);
    assert_int_equal(st.hits, 3);
    assert_true(st.pending_since_ms == T0);
    assert_true(st.started_at_ms == T0 + 2 * MIN);
}

static void test_pending_until_for(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.for_ms = 10 * MIN;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(5 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(5 * MIN - 1);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING); /* 9:59.999 */
    advance(1);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING); /* exactly 10 min */
    assert_true(st.started_at_ms == T0 + 10 * MIN);
    assert_true(st.pending_since_ms == T0);
}

static void test_pending_needs_for_and_hits(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.for_ms = 10 * MIN;
    r.hits = 4;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(20 * MIN); /* for is met, hits (2) is not */
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    assert_int_equal(st.hits, 4);

    /* hits met quickly, for not yet */
    memset(&st, 0, sizeof(st));
    r.hits = 2;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    assert_int_equal(st.hits, 3);
    advance(8 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
}

static void test_pending_cancelled(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.hits = 3;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 60), ALERT_EV_CANCELLED);
    assert_int_equal(st.state, ALERT_INACTIVE);
    assert_int_equal(st.hits, 0);
    /* a new episode starts from scratch: hits count again from 1 */
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    assert_int_equal(st.hits, 1);
    assert_true(st.pending_since_ms == T0 + 3 * MIN);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
}

/* ---- reminders ---- */

static void test_reminders_on_values(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.repeat_ms = HOUR;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    advance(30 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_NONE);
    advance(30 * MIN - 1);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_NONE);
    advance(1);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_REMINDER); /* exactly 1 h */
    assert_true(st.last_notified_ms == T0 + HOUR);
    advance(30 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_NONE);
    advance(30 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_REMINDER);
    assert_true(st.last_notified_ms == T0 + 2 * HOUR);
    /* a late evaluation: one reminder, counted from when it was sent */
    advance(5 * HOUR + 10 * MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_REMINDER);
    assert_true(st.last_notified_ms == T0 + 7 * HOUR + 10 * MIN);
    assert_true(st.started_at_ms == T0);
}

static void test_tick(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.repeat_ms = 2 * HOUR;
    clock_at(T0);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE); /* inactive */
    r.hits = 2;
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    advance(3 * HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE); /* pending: not notified */
    assert_int_equal(st.state, ALERT_PENDING);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    assert_true(st.last_notified_ms == T0 + 3 * HOUR);
    advance(HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE);
    advance(HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_REMINDER);
    assert_true(st.last_notified_ms == T0 + 5 * HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE); /* just reminded */
    assert_true(st.value == 80); /* a tick has no value and changes none */
    /* repeat = 0: a tick never reminds */
    r.repeat_ms = 0;
    advance(100 * HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_FIRING);
}

/* ---- resolving ---- */

static void test_resolve_without_clear(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    advance(HOUR);
    assert_int_equal(step(&r, &st, 75), ALERT_EV_RESOLVED); /* 75 > 75 is false */
    assert_int_equal(st.state, ALERT_INACTIVE);
    assert_int_equal(st.hits, 0);
    assert_true(st.started_at_ms == T0); /* kept for the resolved message */
    assert_true(st.value == 75);
    advance(HOUR);
    assert_int_equal(step(&r, &st, 70), ALERT_EV_NONE);
    /* a new episode, a new start */
    advance(HOUR);
    assert_int_equal(step(&r, &st, 76), ALERT_EV_FIRING);
    assert_true(st.started_at_ms == T0 + 3 * HOUR);
}

static void test_clear_above(void **state)
{
    /* waste bin: fill >= 90 fires, resolves only at or below 50 */
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.op = RULE_GE;
    r.threshold = 90;
    r.has_clear = true;
    r.clear = 50;
    r.repeat_ms = 2 * HOUR;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 89.9), ALERT_EV_NONE);
    assert_int_equal(step(&r, &st, 90), ALERT_EV_FIRING); /* >= */
    advance(MIN);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_NONE); /* below 90, above 50: firing */
    assert_int_equal(st.state, ALERT_FIRING);
    assert_int_equal(st.hits, 0);
    advance(MIN);
    assert_int_equal(step(&r, &st, 50.1), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_FIRING);
    /* still firing in the band, so a reminder falls due there too */
    advance(2 * HOUR);
    assert_int_equal(step(&r, &st, 60), ALERT_EV_REMINDER);
    advance(MIN);
    assert_int_equal(step(&r, &st, 95), ALERT_EV_NONE); /* back above: no second FIRING */
    assert_int_equal(st.hits, 1);
    advance(MIN);
    assert_int_equal(step(&r, &st, 50), ALERT_EV_RESOLVED); /* <= clear */
    assert_int_equal(st.state, ALERT_INACTIVE);
}

static void test_clear_below(void **state)
{
    /* dissolved oxygen: < 2 fires, resolves only at or above 2.5 */
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.op = RULE_LT;
    r.threshold = 2;
    r.has_clear = true;
    r.clear = 2.5;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 2), ALERT_EV_NONE); /* 2 < 2 is false */
    assert_int_equal(step(&r, &st, 1.5), ALERT_EV_FIRING);
    advance(4 * HOUR);
    assert_int_equal(step(&r, &st, 2.2), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_FIRING);
    advance(4 * HOUR);
    assert_int_equal(step(&r, &st, 2.49), ALERT_EV_NONE);
    advance(4 * HOUR);
    assert_int_equal(step(&r, &st, 2.5), ALERT_EV_RESOLVED);

    /* LE with clear: resolves at >= clear */
    memset(&st, 0, sizeof(st));
    r.op = RULE_LE;
    assert_int_equal(step(&r, &st, 2), ALERT_EV_FIRING);
    assert_int_equal(step(&r, &st, 2.4), ALERT_EV_NONE);
    assert_int_equal(step(&r, &st, 3), ALERT_EV_RESOLVED);
}

static void test_clear_pending_cancels(void **state)
{
    /* hysteresis applies to firing alerts only: a pending one cancels at once */
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.op = RULE_GE;
    r.threshold = 90;
    r.has_clear = true;
    r.clear = 50;
    r.hits = 2;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 95), ALERT_EV_PENDING);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_CANCELLED);
}

static void test_ops(void **state)
{
    struct rule r = base_rule();
    struct alert_status st;
    static const struct {
        enum rule_op op;
        double v;
        bool is_breach;
    } cases[] = {
        {RULE_GT, 75.0001, true}, {RULE_GT, 75, false},   {RULE_GE, 75, true},
        {RULE_GE, 74.999, false}, {RULE_LT, 74.9, true},  {RULE_LT, 75, false},
        {RULE_LE, 75, true},      {RULE_LE, 75.1, false}, {RULE_EQ, 75, true},
        {RULE_EQ, 76, false},     {RULE_NE, 76, true},    {RULE_NE, 75, false},
    };

    clock_at(T0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&st, 0, sizeof(st));
        r.op = cases[i].op;
        assert_int_equal(step(&r, &st, cases[i].v),
                         cases[i].is_breach ? ALERT_EV_FIRING : ALERT_EV_NONE);
    }
}

static void test_threshold_from_caller(void **state)
{
    /* a ref rule: the collector resolves the threshold (zone limit 55 at night) */
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.threshold = NAN;
    r.threshold_ref = RULE_REF_ZONE_NIGHT;
    clock_at(T0);
    assert_int_equal(rule_step(&r, &st, 56, 55, now), ALERT_EV_FIRING);
    assert_int_equal(rule_step(&r, &st, 54, 55, now), ALERT_EV_RESOLVED);
    /* the same value under a zone 4a night limit of 55 vs zone 1's 45 */
    assert_int_equal(rule_step(&r, &st, 50, 55, now), ALERT_EV_NONE);
    assert_int_equal(rule_step(&r, &st, 50, 45, now), ALERT_EV_FIRING);
}

static void test_non_finite(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};
    struct alert_status before;

    r.op = RULE_NE; /* NaN != 75 would be "true": must not count */
    clock_at(T0);
    assert_int_equal(step(&r, &st, NAN), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_INACTIVE);
    r.op = RULE_GT;
    assert_int_equal(step(&r, &st, 80), ALERT_EV_FIRING);
    before = st;
    advance(HOUR);
    /* no number is no evidence: the alert neither resolves nor advances */
    assert_int_equal(step(&r, &st, NAN), ALERT_EV_NONE);
    assert_int_equal(step(&r, &st, INFINITY), ALERT_EV_NONE);
    assert_int_equal(rule_step(&r, &st, 80, NAN, now), ALERT_EV_NONE);
    assert_memory_equal(&st, &before, sizeof(st));
    assert_int_equal(rule_step(NULL, &st, 80, 75, now), ALERT_EV_NONE);
    assert_int_equal(rule_step(&r, NULL, 80, 75, now), ALERT_EV_NONE);
    assert_int_equal(rule_tick(NULL, &st, now), ALERT_EV_NONE);
}

/* ---- effective dates ---- */

static void test_effective_dates(void **state)
{
    struct rule r = base_rule();
    struct alert_status st = {0};

    r.effective_from_ms = T0;
    r.effective_until_ms = T0 + 24 * HOUR;
    r.repeat_ms = HOUR;
    /* before it is in force: nothing starts */
    clock_at(T0 - 1);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_INACTIVE);
    clock_at(T0);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_FIRING);
    /* the edition ends: a firing alert resolves on the next evaluation */
    clock_at(T0 + 24 * HOUR);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_RESOLVED);
    assert_int_equal(st.state, ALERT_INACTIVE);
    advance(HOUR);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_NONE);
    assert_int_equal(st.state, ALERT_INACTIVE);

    /* ... or on a tick */
    memset(&st, 0, sizeof(st));
    clock_at(T0 + HOUR);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_FIRING);
    clock_at(T0 + 24 * HOUR);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_RESOLVED);
    assert_int_equal(rule_tick(&r, &st, now), ALERT_EV_NONE);

    /* a pending alert is cancelled */
    memset(&st, 0, sizeof(st));
    r.hits = 3;
    clock_at(T0 + 23 * HOUR);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_PENDING);
    clock_at(T0 + 24 * HOUR);
    assert_int_equal(step(&r, &st, 200), ALERT_EV_CANCELLED);
    assert_int_equal(st.state, ALERT_INACTIVE);
}

static void test_edition_switch(void **state)
{
    /* PM2.5 daily 70: above the 2026 limit (60), not the 2012 one (75) */
    struct rule r2012 = base_rule(), r2026 = base_rule();
    struct alert_status s2012 = {0}, s2026 = {0};

    r2012.effective_until_ms = T0;
    r2026.threshold = 60;
    r2026.effective_from_ms = T0;
    clock_at(T0 - 24 * HOUR); /* 2026-02-28 */
    assert_int_equal(step(&r2012, &s2012, 70), ALERT_EV_NONE);
    assert_int_equal(step(&r2026, &s2026, 70), ALERT_EV_NONE);
    clock_at(T0); /* 2026-03-01 */
    assert_int_equal(step(&r2012, &s2012, 70), ALERT_EV_NONE);
    assert_int_equal(step(&r2026, &s2026, 70), ALERT_EV_FIRING);
}

/* ---- a reload continues an episode ---- */

static void test_identical_rule_continues(void **state)
{
    struct rule r = base_rule(), copy;
    char name[] = "test_rule", source[] = "GB 3095-2012 Table 1";
    struct alert_status st = {0};

    r.repeat_ms = HOUR;
    r.hits = 2;
    clock_at(T0);
    assert_int_equal(step(&r, &st, 80), ALERT_EV_PENDING);
    /* reloaded between two evaluations: a new struct with its own strings */
    copy = r;
    copy.name = name;
    copy.source = source;
    advance(10 * MIN);
    assert_int_equal(step(&copy, &st, 80), ALERT_EV_FIRING); /* pending went on: hits 2 */
    advance(10 * MIN);
    /* reloaded again while firing: no second FIRING, reminders keep their rhythm */
    r = copy;
    assert_int_equal(step(&r, &st, 80), ALERT_EV_NONE);
    advance(40 * MIN);
    assert_int_equal(step(&copy, &st, 80), ALERT_EV_NONE);
    advance(10 * MIN);
    assert_int_equal(step(&copy, &st, 80), ALERT_EV_REMINDER);
    assert_true(st.started_at_ms == T0 + 10 * MIN);
}

/* ---- selectors and names ---- */

static void test_selects(void **state)
{
    struct rule r = base_rule();

    assert_true(rule_selects(&r, "air", "xjh", "aq-01", "pm25"));
    assert_true(rule_selects(&r, NULL, NULL, NULL, NULL));
    r.domain = "air";
    r.metric = "pm25";
    assert_true(rule_selects(&r, "air", "xjh", "aq-01", "pm25"));
    assert_true(rule_selects(&r, "air", NULL, NULL, "pm25")); /* site-level series */
    assert_false(rule_selects(&r, "air", "xjh", NULL, "pm10"));
    assert_false(rule_selects(&r, "water", "xjh", NULL, "pm25"));
    assert_false(rule_selects(&r, NULL, "xjh", NULL, "pm25")); /* a set selector needs a value */
    r.device = "aq-01";
    assert_false(rule_selects(&r, "air", "xjh", NULL, "pm25"));
    assert_false(rule_selects(&r, "air", "xjh", "aq-02", "pm25"));
    assert_false(rule_selects(&r, "air", "xjh", "aq-011", "pm25"));
    assert_true(rule_selects(&r, "air", "anywhere", "aq-01", "pm25"));
    assert_false(rule_selects(NULL, "air", "xjh", "aq-01", "pm25"));
}

static void test_names(void **state)
{
    assert_string_equal(rule_severity_name(RULE_INFO), "info");
    assert_string_equal(rule_severity_name(RULE_WARNING), "warning");
    assert_string_equal(rule_severity_name(RULE_MAJOR), "major");
    assert_string_equal(rule_severity_name(RULE_CRITICAL), "critical");
    assert_string_equal(rule_severity_name((enum rule_severity)9), "?");
    assert_string_equal(rule_series_name(RULE_READING), "reading");
    assert_string_equal(rule_series_name(RULE_AQI_DAILY), "aqi_daily");
    assert_string_equal(rule_series_name(RULE_WATER_SAMPLE), "water_sample");
    assert_string_equal(rule_series_name(RULE_NOISE_LMAX), "noise_lmax");
    assert_string_equal(rule_series_name(RULE_YTD_SHARE), "ytd_share");
    assert_string_equal(rule_series_name(RULE_JUMP), "jump");
    assert_string_equal(rule_series_name(RULE_N_SERIES), "?");
    assert_string_equal(rule_op_name(RULE_GT), ">");
    assert_string_equal(rule_op_name(RULE_GE), ">=");
    assert_string_equal(rule_op_name(RULE_LT), "<");
    assert_string_equal(rule_op_name(RULE_LE), "<=");
    assert_string_equal(rule_op_name(RULE_EQ), "==");
    assert_string_equal(rule_op_name(RULE_NE), "!=");
    assert_string_equal(rule_op_name((enum rule_op)6), "?");
}

/* ---- rule_format ---- */

static const char *fmt(const struct rule *r, const char *tmpl, const struct rule_ctx *c)
{
    static char out[512];
    size_t n = rule_format(r, tmpl, c, out, sizeof(out));

    assert_int_equal(n, strlen(out));
    return out;
}

static void test_format_values(void **state)
{
    struct rule r = base_rule();
    struct rule_ctx c = {"徐家汇", "aq-01", "pm25", "µg/m³", 82.34, 75, T0 + 90 * MIN, 8 * 3600};

    assert_string_equal(
        fmt(&r, "{site} PM2.5 日均 {value} {unit}，超过二级标准 {threshold} {unit}", &c),
        "徐家汇 PM2.5 日均 82.34 µg/m³，超过二级标准 75 µg/m³");
    assert_string_equal(fmt(&r, "{device}/{metric}", &c), "aq-01/pm25");
    assert_string_equal(fmt(&r, "{rule} [{severity}] ({source})", &c),
                        "test_rule [major] (GB 3095-2012 Table 1)");
    /* started_at is local Asia/Shanghai time: T0 is 2026-03-01 00:00 +08:00 */
    assert_string_equal(fmt(&r, "since {started_at}", &c), "since 2026-03-01 01:30");
    c.started_at_ms = T0 - 1; /* 2026-02-28 23:59:59.999 local */
    assert_string_equal(fmt(&r, "{started_at}", &c), "2026-02-28 23:59");
    c.started_at_ms = 0;
    assert_string_equal(fmt(&r, "{started_at}", &c), "-");

    /* numbers: at most two decimals, no trailing zeros; small ones keep 3 digits */
    c.value = 75;
    assert_string_equal(fmt(&r, "{value}", &c), "75");
    c.value = 6;
    assert_string_equal(fmt(&r, "{value}", &c), "6");
    c.value = 2.5;
    assert_string_equal(fmt(&r, "{value}", &c), "2.5");
    c.value = 82.346;
    assert_string_equal(fmt(&r, "{value}", &c), "82.35");
    c.value = 0.004;
    assert_string_equal(fmt(&r, "{value}", &c), "0.004");
    c.value = -1.5;
    assert_string_equal(fmt(&r, "{value}", &c), "-1.5");
    c.value = -0.0001;
    assert_string_equal(fmt(&r, "{value}", &c), "-0.0001");
    c.value = 0;
    assert_string_equal(fmt(&r, "{value}", &c), "0");
    c.value = 1234567;
    assert_string_equal(fmt(&r, "{value}", &c), "1234567");
    c.value = NAN;
    assert_string_equal(fmt(&r, "{value}", &c), "-");
    /* silence: seconds as a duration */
    c.value = 43200;
    assert_string_equal(fmt(&r, "{value_duration} ({value} s)", &c), "12h (43200 s)");
    c.value = 93784;
    assert_string_equal(fmt(&r, "{value_duration}", &c), "1d2h3m4s");

    /* window */
    assert_string_equal(fmt(&r, "for {window}", &c), "for -");
    r.window_ms = 6 * HOUR;
    assert_string_equal(fmt(&r, "for {window}", &c), "for 6h");
    r.window_ms = 90 * MIN;
    assert_string_equal(fmt(&r, "for {window}", &c), "for 1h30m");
    r.window_ms = 24 * HOUR;
    assert_string_equal(fmt(&r, "for {window}", &c), "for 1d");
}

/* {started_at} is written in the zone the caller passes, not in a fixed one. */
static void test_format_started_at_in_callers_zone(void **state)
{
    struct rule r = base_rule();
    struct rule_ctx c = {"徐家汇", "aq-01", "pm25", "µg/m³", 82.34, 75, T0 + 90 * MIN, 0};

    /* T0 + 90 min is 2026-02-28 17:30 UTC */
    assert_string_equal(fmt(&r, "{started_at}", &c), "2026-02-28 17:30");
    c.utc_offset_s = -5 * 3600; /* New York in winter */
    assert_string_equal(fmt(&r, "{started_at}", &c), "2026-02-28 12:30");
    c.utc_offset_s = 5 * 3600 + 45 * 60; /* Kathmandu */
    assert_string_equal(fmt(&r, "{started_at}", &c), "2026-02-28 23:15");
    c.utc_offset_s = 9 * 3600; /* past local midnight */
    assert_string_equal(fmt(&r, "{started_at}", &c), "2026-03-01 02:30");
}

static void test_format_nulls_and_unknowns(void **state)
{
    struct rule r = base_rule();
    struct rule_ctx c = {NULL, NULL, NULL, NULL, 1, 2, 0, 0};
    char out[16] = "xxxx";

    /* NULL strings print as "-" */
    assert_string_equal(fmt(&r, "{site}|{device}|{metric}|{unit}", &c), "-|-|-|-");
    assert_string_equal(fmt(NULL, "{rule} {source} {severity} {window}", &c), "- - - -");
    assert_string_equal(fmt(&r, "{value} {threshold} {site}", NULL), "- - -");
    /* unknown or malformed placeholders are left as they are */
    assert_string_equal(fmt(&r, "{foo} {value} {VALUE} { value} {value {} {", &c),
                        "{foo} 1 {VALUE} { value} {value {} {");
    assert_string_equal(fmt(&r, "{{value}}", &c), "{1}");
    assert_string_equal(fmt(&r, "", &c), "");
    assert_string_equal(fmt(&r, NULL, &c), "");
    /* no room at all */
    assert_int_equal(rule_format(&r, "{value}", &c, out, 0), 0);
    assert_string_equal(out, "xxxx");
    assert_int_equal(rule_format(&r, "{value}", &c, NULL, 10), 0);
    assert_int_equal(rule_format(&r, "{value}", &c, out, 1), 0);
    assert_string_equal(out, "");
}

static void test_format_truncation(void **state)
{
    static const char tmpl[] = "{site} PM2.5 日均 {value} {unit}，超过二级标准";
    struct rule r = base_rule();
    struct rule_ctx c = {"徐家汇", "aq-01", "pm25", "µg/m³", 82.3, 75, 0, 0};
    char full[256], out[256];
    size_t n_full = rule_format(&r, tmpl, &c, full, sizeof(full));

    assert_string_equal(full, "徐家汇 PM2.5 日均 82.3 µg/m³，超过二级标准");
    assert_int_equal(n_full, strlen(full));

    /* by hand: "徐家汇" is 9 bytes (3 each); 8 bytes of room hold "徐家" only */
    assert_int_equal(rule_format(&r, tmpl, &c, out, 9), 6);
    assert_string_equal(out, "徐家");
    assert_int_equal(rule_format(&r, tmpl, &c, out, 10), 9);
    assert_string_equal(out, "徐家汇");
    assert_int_equal(rule_format(&r, tmpl, &c, out, 2), 0);
    assert_string_equal(out, "");
    /* "徐家汇 PM2.5 日" is 9 + 7 + 3 = 19 bytes; the next character 均 needs 3 more */
    assert_int_equal(rule_format(&r, tmpl, &c, out, 21), 19);
    assert_string_equal(out, "徐家汇 PM2.5 日");
    /* "徐家汇 PM2.5 日均 82.3 " is 9 + 7 + 6 + 6 = 28 bytes; "µ" is 2 more (C2 B5) */
    assert_int_equal(rule_format(&r, tmpl, &c, out, 29), 28);
    assert_string_equal(out, "徐家汇 PM2.5 日均 82.3 ");
    assert_int_equal(rule_format(&r, tmpl, &c, out, 30), 28); /* half a µ is no µ */
    assert_string_equal(out, "徐家汇 PM2.5 日均 82.3 ");
    assert_int_equal(rule_format(&r, tmpl, &c, out, 31), 30);
    assert_string_equal(out, "徐家汇 PM2.5 日均 82.3 µ");

    /* every size: valid UTF-8, a prefix of the full text, at most 3 bytes short */
    for (size_t sz = 1; sz <= n_full + 1; sz++) {
        size_t n = rule_format(&r, tmpl, &c, out, sz);
        size_t room = sz - 1 < n_full ? sz - 1 : n_full;

        assert_int_equal(n, strlen(out));
        assert_true(n <= room && room - n <= 3);
        assert_true(utf8_valid(out, n));
        assert_memory_equal(out, full, n);
    }
    assert_int_equal(rule_format(&r, tmpl, &c, out, n_full + 1), n_full);
    assert_string_equal(out, full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_immediately),
        cmocka_unit_test(test_pending_until_hits),
        cmocka_unit_test(test_pending_until_for),
        cmocka_unit_test(test_pending_needs_for_and_hits),
        cmocka_unit_test(test_pending_cancelled),
        cmocka_unit_test(test_reminders_on_values),
        cmocka_unit_test(test_tick),
        cmocka_unit_test(test_resolve_without_clear),
        cmocka_unit_test(test_clear_above),
        cmocka_unit_test(test_clear_below),
        cmocka_unit_test(test_clear_pending_cancels),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_threshold_from_caller),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_effective_dates),
        cmocka_unit_test(test_edition_switch),
        cmocka_unit_test(test_identical_rule_continues),
        cmocka_unit_test(test_selects),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_format_values),
        cmocka_unit_test(test_format_started_at_in_callers_zone),
        cmocka_unit_test(test_format_nulls_and_unknowns),
        cmocka_unit_test(test_format_truncation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
