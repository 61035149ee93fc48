/*
 * Tests of the compliance report's judgement (collector/report/report.c) on
 * years made by hand: the model of report_int.h is filled day by day as
 * report_load.c would fill it, then rep_scope_finish() and the gateway's
 * rep_gateway_add_site()/rep_gateway_finish() judge it, with no database.
 * The cases through report_build() on a small store are in
 * test_report_build.c; both share report_fixture.h.
 *
 * Every expected number is worked out in a comment from the rule it comes
 * from: the plan (PM2.5 annual mean < 35 µg/m³, good-day ratio ≥ the
 * configured target, draft default 80 %), GB 3095 Table 4 (an annual value
 * needs ≥ 324 valid days, ≥ 27 in each month and ≥ 25 in February),
 * GB 3095-2012 and -2026 Grade II limits, GB 3838 (class 6 = worse than V),
 * GB 3096 (zone 1: day 55, night 45 dB(A)) and docs/report.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_fixture.h"

/* ---- 1. PM2.5 annual mean against the plan's 35 µg/m³ ---- */

static void test_pm25_below_target_is_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 1);
    const struct rep_target *t;

    /* 366 valid days of 34: mean 34 < 35, and 366 >= 324 with every month full. */
    pol_days(&r->sites[0], days_2024, REP_PM25, days_2024, 34);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_near(t->value, 34);
    assert_near(t->target, 35);
    assert_string_equal(t->cmp, "<");
    assert_int_equal(t->status, REP_MET);
    assert_int_equal(t->n_days, 366);
    assert_int_equal(t->n_days_possible, 366);
    assert_true(r->sites[0].air.year.pm25_annual_valid);
}

static void test_pm25_at_target_is_not_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_target *t;

    /*
     * Half the days 30, half 40: (183 x 30 + 183 x 40) / 366 = 12810 / 366 = 35.
     * The plan asks for "35微克/立方米以下", strictly below: 35 is not met. The
     * standard's own rule (pm25_annual_mean_gb3095, not above the GB 3095-2012
     * Grade II annual limit 35) is met by the same value.
     */
    s->air.has_data = true;
    for (int d = 0; d < 366; d++)
        s->air.daily[REP_PM25][d] = d % 2 ? 40 : 30;
    finish(fx);
    t = target(s, "pm25_annual_mean");
    assert_near(t->value, 35);
    assert_int_equal(t->status, REP_NOT_MET);
    t = target(s, "pm25_annual_mean_gb3095");
    assert_near(t->value, 35);
    assert_near(t->target, 35);
    assert_string_equal(t->cmp, "<=");
    assert_string_equal(t->edition, "GB 3095-2012");
    assert_int_equal(t->status, REP_MET);
}

static void test_pm25_above_target_is_not_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    const struct rep_target *t;

    /* 365 days of 35.5: mean 35.5, not < 35; above the Grade II 35 as well. */
    pol_days(&r->sites[0], days_2025, REP_PM25, days_2025, 35.5);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_near(t->value, 35.5);
    assert_int_equal(t->status, REP_NOT_MET);
    assert_int_equal(target(&r->sites[0], "pm25_annual_mean_gb3095")->status, REP_NOT_MET);
}

/* ---- 2. data validity: GB 3095 Table 4 ---- */

static void test_pm25_minimum_coverage_is_enough(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    const struct rep_target *t;

    /* table4_min: 324 days, every month at its minimum: a valid annual mean of 20 < 35. */
    pol_days(&r->sites[0], days_2025, REP_PM25, table4_min, 20);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_int_equal(t->n_days, 324);
    assert_int_equal(t->status, REP_MET);
}

static void test_pm25_323_days_is_not_enough(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    const struct rep_target *t;
    int n[12];

    /* One day fewer in January (28): every month still meets its minimum, but
     * 323 < 324 a year. A mean of 20 would pass; the verdict is "not enough data". */
    memcpy(n, table4_min, sizeof(n));
    n[0] = 28;
    pol_days(&r->sites[0], days_2025, REP_PM25, n, 20);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_int_equal(t->n_days, 323);
    assert_near(t->value, 20);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_non_null(t->note);
    /* the value alone would meet the target: said as indicative, never as the status */
    assert_true(t->has_indicative);
    assert_int_equal(t->indicative, REP_MET);
    assert_false(r->sites[0].air.year.pm25_annual_valid);
    assert_int_equal(target(&r->sites[0], "pm25_annual_mean_gb3095")->status, REP_INSUFFICIENT);
}

static void test_pm25_short_february_is_not_enough(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    const struct rep_target *t;
    int n[12];

    /* 324 days in all (January 30, February 24): the year's count is met, but
     * February has 24 < 25. A mean of 40 is then insufficient, indicatively not met. */
    memcpy(n, table4_min, sizeof(n));
    n[0] = 30;
    n[1] = 24;
    pol_days(&r->sites[0], days_2025, REP_PM25, n, 40);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_int_equal(t->n_days, 324);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_true(t->has_indicative);
    assert_int_equal(t->indicative, REP_NOT_MET);
}

static void test_pm25_short_month_is_not_enough(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    int n[12];

    /* Every day of the year but the last five of November (30 - 5 = 25 < 27):
     * 360 days a year, one month short: insufficient. */
    memcpy(n, days_2025, sizeof(n));
    n[10] = 25;
    pol_days(&r->sites[0], days_2025, REP_PM25, n, 20);
    finish(fx);
    assert_int_equal(target(&r->sites[0], "pm25_annual_mean")->n_days, 360);
    assert_int_equal(target(&r->sites[0], "pm25_annual_mean")->status, REP_INSUFFICIENT);
}

static void test_air_without_pm25_days(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    const struct rep_target *t;

    /* Air data (SO2 only) but no PM2.5 day: no value, insufficient, nothing indicative. */
    pol_days(&r->sites[0], days_2025, REP_SO2, days_2025, 10);
    finish(fx);
    t = target(&r->sites[0], "pm25_annual_mean");
    assert_true(isnan(t->value));
    assert_int_equal(t->n_days, 0);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_false(t->has_indicative);
}

/* ---- 3. good-day ratio (AQI <= 100) against the configured target ---- */

static void test_good_days_at_target_is_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_target *t;

    /*
     * 2025: 80 % of 365 days is 292. AQI 100 is still good (HJ 633 class 良,
     * README decision 3: AQI <= 100), 101 is not. 292 days at 100 and 73 at
     * 101: 100 x 292 / 365 = 80 exactly, >= 80: met.
     */
    aqi_days(s, days_2025, days_2025, 101);
    for (int d = 0; d < 292; d++)
        s->air.aqi[d] = 100;
    finish(fx);
    t = target(s, "good_day_ratio");
    assert_near(t->value, 80);
    assert_near(t->target, 80);
    assert_true(t->is_draft);
    assert_int_equal(t->status, REP_MET);
    assert_int_equal(s->air.year.good_days, 292);
    assert_int_equal(s->air.year.aqi_valid_days, 365);
}

static void test_good_days_below_target_is_not_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_target *t;

    /* 291 good days: 100 x 291 / 365 = 79.726... < 80: not met. */
    aqi_days(s, days_2025, days_2025, 101);
    for (int d = 0; d < 291; d++)
        s->air.aqi[d] = 100;
    finish(fx);
    t = target(s, "good_day_ratio");
    assert_near(t->value, 100.0 * 291 / 365);
    assert_int_equal(t->status, REP_NOT_MET);
}

static void test_good_days_over_valid_days_only(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    struct rep_scope *s = &r->sites[0];
    const int n[12] = {31, 25, 31, 27, 27, 27, 27, 27, 27, 27, 27, 27};
    const struct rep_target *t;
    int k = 0;

    /*
     * 330 days with a valid AQI (table 4: 322 + 4 more in January + 4 more in
     * March; 35 days without). 264 of them good: 100 x 264 / 330 = 80 exactly,
     * met. Over all 365 days it would be 72.3 % and fail: the denominator is
     * the days with a valid AQI (README decision 3).
     */
    aqi_days(s, days_2025, n, 120);
    for (int d = 0; d < 365 && k < 264; d++)
        if (s->air.aqi[d] >= 0) {
            s->air.aqi[d] = 40;
            k++;
        }
    finish(fx);
    t = target(s, "good_day_ratio");
    assert_int_equal(t->n_days, 330);
    assert_near(t->value, 80);
    assert_int_equal(t->status, REP_MET);
}

static void test_good_days_configured_target(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_target *t;

    /* The same 80 % year against report.good_day_target = 90: not met. */
    aqi_days(s, days_2025, days_2025, 101);
    for (int d = 0; d < 292; d++)
        s->air.aqi[d] = 100;
    finish(fx);
    t = target(s, "good_day_ratio");
    assert_near(t->target, 90);
    assert_near(t->value, 80);
    assert_int_equal(t->status, REP_NOT_MET);
}

static void test_good_days_too_few_days(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2025, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_target *t;

    /* Only January and February valid, all good (59 days, 100 %): far below the 324
     * days Table 4 asks of an annual figure (docs/report.md applies it to the AQI days):
     * insufficient, indicatively met. */
    for (int d = 0; d < 59; d++)
        s->air.aqi[d] = 50;
    s->air.has_data = true;
    finish(fx);
    t = target(s, "good_day_ratio");
    assert_near(t->value, 100);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_true(t->has_indicative);
    assert_int_equal(t->indicative, REP_MET);
}

/* ---- 4. GB 3095 rules and the conventional pollutants ---- */

/* Every pollutant's daily value on every day of 2024. */
static void six_pollutants(struct rep_scope *s, const double v[REP_N_POLS])
{
    for (int p = 0; p < REP_N_POLS; p++)
        pol_days(s, days_2024, (enum rep_pol)p, days_2024, v[p]);
}

static void test_conventional_pollutants_all_met(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 1);
    struct rep_scope *s = &r->sites[0];
    /*
     * Constant days: each annual mean and each percentile is the constant.
     * GB 3095-2012 Grade II: SO2 10 <= 60 (annual), <= 150 (24 h); NO2 40 <= 40
     * and <= 80 (the boundary is met: "not above"); PM10 60 <= 70, <= 150;
     * PM2.5 30 <= 35, <= 75; CO 1.0 <= 4 (24 h); O3 MDA8 160 <= 160 (8 h).
     */
    const double v[REP_N_POLS] = {10, 40, 60, 30, 1.0, 160};
    const struct rep_target *t;

    six_pollutants(s, v);
    finish(fx);
    assert_near(target(s, "no2_annual_mean")->target, 40);
    assert_int_equal(target(s, "no2_annual_mean")->status, REP_MET);
    assert_near(target(s, "o3_mda8_p90")->value, 160);
    assert_near(target(s, "o3_mda8_p90")->target, 160);
    assert_int_equal(target(s, "o3_mda8_p90")->status, REP_MET);
    assert_near(target(s, "co_p95")->target, 4);
    t = target(s, "conventional_pollutants");
    assert_near(t->value, 6);
    assert_int_equal(t->status, REP_MET);
}

static void test_conventional_pollutants_one_fails(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 1);
    struct rep_scope *s = &r->sites[0];
    const double v[REP_N_POLS] = {10, 40, 60, 30, 1.0, 160};
    const struct rep_target *t;

    /*
     * PM2.5: 347 days at 30 and 19 at 100 (the last 19 of December). Mean
     * (347 x 30 + 19 x 100) / 366 = 12310 / 366 = 33.63 < 35: the plan's target
     * is met. The HJ 663 P95 of 366 sorted values: k = 1 + 365 x 0.95 = 347.75,
     * X(347) + 0.75 x (X(348) - X(347)) = 30 + 0.75 x 70 = 82.5 > 75: GB 3095's
     * 24-h rule fails, so the six pollutants are not all met (5 of 6).
     */
    six_pollutants(s, v);
    for (int d = 347; d < 366; d++)
        s->air.daily[REP_PM25][d] = 100;
    finish(fx);
    assert_near(target(s, "pm25_annual_mean")->value, 12310.0 / 366);
    assert_int_equal(target(s, "pm25_annual_mean")->status, REP_MET);
    t = target(s, "pm25_p95");
    assert_within(t->value, 82.5, 1e-9);
    assert_near(t->target, 75);
    assert_int_equal(t->status, REP_NOT_MET);
    t = target(s, "conventional_pollutants");
    assert_near(t->value, 5);
    assert_int_equal(t->status, REP_NOT_MET);
}

static void test_conventional_pollutants_missing_one(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 1);
    struct rep_scope *s = &r->sites[0];
    const double v[REP_N_POLS] = {10, 40, 60, 30, 1.0, 160};
    const struct rep_target *t;

    /* No CO day at all: no rule is not met, but one pollutant lacks data: insufficient,
     * with nothing to say about CO: no indicative status (docs/report.md). */
    six_pollutants(s, v);
    for (int d = 0; d < 366; d++)
        s->air.daily[REP_CO][d] = NAN;
    finish(fx);
    assert_int_equal(target(s, "co_p95")->status, REP_INSUFFICIENT);
    t = target(s, "conventional_pollutants");
    assert_near(t->value, 5);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_false(t->has_indicative);
}

/* ---- 5. a year cut by the 2026-03-01 switch of editions ---- */

static void test_split_year_periods(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2026, 1);
    struct rep_scope *s = &r->sites[0];
    const struct rep_air_period *p1, *p2;
    const struct rep_target *t;

    /*
     * 2026: 2026-01-01..03-01 (59 days, GB 3095-2012) and 03-01..2027-01-01
     * (306 days, GB 3095-2026 transition, PM2.5 annual Grade II 30).
     * Period 1 needs ceil(324 x 59 / 365) = ceil(52.37) = 53 days, January
     * 27 x 31/31 = 27 and February 25 x 28/28 = 25 (docs/report.md, pro rata).
     * January 27 + February 25 = 52: each month at its minimum, the period one
     * short: insufficient. Period 2: every day, PM2.5 32: 32 < 35 meets the
     * plan, 32 > 30 fails GB 3095-2026.
     */
    s->air.has_data = true;
    for (int d = 0; d < 27; d++)
        s->air.daily[REP_PM25][d] = 20;
    for (int d = 31; d < 31 + 25; d++)
        s->air.daily[REP_PM25][d] = 20;
    for (int d = 59; d < 365; d++)
        s->air.daily[REP_PM25][d] = 32;
    finish(fx);
    assert_int_equal(r->n_periods, 2);
    assert_int_equal(r->periods[0].d1, 59);
    p1 = &s->air.periods[0];
    p2 = &s->air.periods[1];
    t = find_in(p1->targets, p1->n_targets, "pm25_annual_mean");
    assert_non_null(t);
    assert_int_equal(t->n_days, 52);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    t = find_in(p2->targets, p2->n_targets, "pm25_annual_mean");
    assert_non_null(t);
    assert_near(t->value, 32);
    assert_int_equal(t->status, REP_MET);
    t = find_in(p2->targets, p2->n_targets, "pm25_annual_mean_gb3095");
    assert_non_null(t);
    assert_string_equal(t->edition, r->periods[1].gb3095);
    assert_near(t->target, 30);
    assert_int_equal(t->status, REP_NOT_MET);
    /* the whole year keeps the plan's targets and no GB 3095 rule */
    assert_non_null(find_in(s->targets, s->n_targets, "pm25_annual_mean"));
    assert_null(find_in(s->targets, s->n_targets, "pm25_annual_mean_gb3095"));
    /* one more January day (28 + 25 = 53) makes period 1 valid */
    s->air.daily[REP_PM25][27] = 20;
    rep_scope_finish(r, s);
    t = find_in(p1->targets, p1->n_targets, "pm25_annual_mean");
    assert_int_equal(t->n_days, 53);
    assert_int_equal(t->status, REP_MET);
}

/* ---- 6. water: a day worse than Class V ---- */

static void water_days(struct rep_scope *s, int from, int to, int cls)
{
    struct rep_water *w = &s->water;

    w->has_data = true;
    for (int d = from; d < to; d++) {
        w->cls[d] = (unsigned char)cls;
        w->worst_sample[d] = (unsigned char)cls;
        w->days_by_class[cls]++;
        w->classified_days++;
        w->n_samples += 24;
        if (cls > w->worst_day_class)
            w->worst_day_class = w->worst_sample_class = cls;
    }
}

static void test_water_worse_than_v(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 2);
    const struct rep_target *t;

    /*
     * site-1: 366 days of Class V (5), the worst class that is not 劣Ⅴ: met.
     * site-2: 365 days of Class III and one 劣Ⅴ day (6): 1 day > 0, not met.
     * The gateway pools site-days (docs/report.md): one 劣Ⅴ site-day fails the
     * district, out of 366 + 366 = 732 classified site-days.
     */
    water_days(&r->sites[0], 0, 366, 5);
    water_days(&r->sites[1], 0, 200, 3);
    water_days(&r->sites[1], 200, 201, 6);
    water_days(&r->sites[1], 201, 366, 3);
    finish(fx);
    t = target(&r->sites[0], "water_no_worse_than_v");
    assert_near(t->value, 0);
    assert_string_equal(t->edition, "GB 3838-2002");
    assert_int_equal(t->status, REP_MET);
    t = target(&r->sites[1], "water_no_worse_than_v");
    assert_near(t->value, 1);
    assert_int_equal(t->status, REP_NOT_MET);
    t = target(&r->gateway_scope, "water_no_worse_than_v");
    assert_near(t->value, 1);
    assert_int_equal(t->n_days, 732);
    assert_int_equal(t->n_days_possible, 732);
    assert_int_equal(t->status, REP_NOT_MET);
    assert_int_equal(r->gateway_scope.water.worst_day_class, 6);
    /* the district's day 200 is its worst site's: 劣Ⅴ */
    assert_int_equal(r->gateway_scope.water.cls[200], 6);
}

/* ---- 7. noise: the zone's day and night limits ---- */

static void test_noise_compliance(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 2);
    struct rep_noise_zone *z;
    const struct rep_target *t;

    /*
     * site-1, zone 1 (GB 3096: day 55, night 45): 30 days with both Ld and Ln
     * and limits, every day within its day limit, 29 nights within the night
     * limit: 100 x 30 / 30 = 100 >= 100 met; 100 x 29 / 30 = 96.67 not met.
     * site-2: 10 days with Ld and Ln but no functional zone, so no limit:
     * nothing judged, insufficient.
     */
    z = &r->sites[0].noise.all;
    r->sites[0].noise.has_data = true;
    snprintf(z->zone, sizeof(z->zone), "1");
    z->days = z->judged = z->day_ok = 30;
    z->night_ok = 29;
    z->ld_limit = 55;
    z->ln_limit = 45;
    r->sites[0].noise.zones[0] = *z;
    r->sites[0].noise.n_zones = 1;
    r->sites[1].noise.has_data = true;
    r->sites[1].noise.all.days = 10;
    r->sites[1].noise.zones[0] = r->sites[1].noise.all;
    r->sites[1].noise.n_zones = 1;
    finish(fx);
    t = target(&r->sites[0], "noise_day_compliance");
    assert_near(t->value, 100);
    assert_near(t->target, 100);
    assert_int_equal(t->status, REP_MET);
    t = target(&r->sites[0], "noise_night_compliance");
    assert_near(t->value, 100.0 * 29 / 30);
    assert_int_equal(t->status, REP_NOT_MET);
    t = target(&r->sites[1], "noise_day_compliance");
    assert_int_equal(t->n_days, 0);
    assert_int_equal(t->status, REP_INSUFFICIENT);
    assert_false(t->has_indicative);
    /* the gateway: 30 judged site-days (site-2's 10 have no limit), as site-1 */
    t = target(&r->gateway_scope, "noise_night_compliance");
    assert_int_equal(t->n_days, 30);
    assert_near(t->value, 100.0 * 29 / 30);
    assert_int_equal(t->status, REP_NOT_MET);
    assert_int_equal(r->gateway_scope.noise.n_zones, 2);
}

/* ---- 8. waste sorting: figures, no target; sewage against its draft 95 % ---- */

static void test_waste_and_sewage(void **state)
{
    struct fixture *fx = *state;
    struct report *r = year_of(fx, 2024, 2);
    struct rep_scope *g;

    /*
     * Waste: site-1 deposits recyclable 10, hazardous 0.5, wet 60, dry 29.5
     * (100 kg); site-2 wet 20, dry 80 (100 kg). District: wet 80 of 200 kg,
     * wet share 0.4. The plan sets no number for sorting: no waste target.
     * Sewage: site-1 treated 95 of 100 m³, site-2 treated 190 of 200 m³:
     * district 285 / 300 = 95 % >= 95: met (the boundary).
     */
    for (int i = 0; i < 2; i++) {
        struct rep_waste *w = &r->sites[i].waste;
        static const double kg[2][5] = {{0, 10, 0.5, 60, 29.5}, {0, 0, 0, 20, 80}};
        w->has_data = true;
        for (int c = 1; c <= REP_N_WASTE; c++) {
            w->kg[c] = kg[i][c];
            w->total_kg += kg[i][c];
        }
        w->wet_share = w->kg[3] / w->total_kg;
        w->days = 10 * (i + 1);
        r->sites[i].sewage.has_data = true;
        r->sites[i].sewage.treated_m3 = 95.0 * (i + 1);
        r->sites[i].sewage.inflow_m3 = 100.0 * (i + 1);
        r->sites[i].sewage.rate_pct = 95;
        r->sites[i].sewage.days = 5;
    }
    finish(fx);
    g = &r->gateway_scope;
    assert_near(g->waste.total_kg, 200);
    assert_near(g->waste.kg[3], 80);
    assert_near(g->waste.wet_share, 0.4);
    assert_int_equal(g->waste.days, 20);
    for (size_t i = 0; i < g->n_targets; i++)
        assert_null(strstr(g->targets[i].rule, "waste"));
    assert_near(target(g, "sewage_treatment_rate")->value, 95);
    assert_int_equal(target(g, "sewage_treatment_rate")->status, REP_MET);
    assert_int_equal(target(&r->sites[0], "sewage_treatment_rate")->status, REP_MET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pm25_below_target_is_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_at_target_is_not_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_above_target_is_not_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_minimum_coverage_is_enough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_323_days_is_not_enough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_short_february_is_not_enough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm25_short_month_is_not_enough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_air_without_pm25_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_days_at_target_is_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_days_below_target_is_not_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_days_over_valid_days_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_days_configured_target, setup_good_90, teardown),
        cmocka_unit_test_setup_teardown(test_good_days_too_few_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conventional_pollutants_all_met, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conventional_pollutants_one_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conventional_pollutants_missing_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_year_periods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_water_worse_than_v, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noise_compliance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waste_and_sewage, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
