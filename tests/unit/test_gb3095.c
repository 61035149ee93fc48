/*
 * Unit tests for ruleset/standards/gb3095: the limit tables of GB 3095-2012, GB 3095-2026
 * transition and final limits, the date switch, and Table 4 data validity.
 *
 * Every limit row of standards README §3a and §3b is written out here as a literal, so a
 * typo in the module's table fails a test. Validity checks test each minimum on both sides.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gb3095.h"

#define NONE (-1.0) /* the edition sets no limit */

struct row {
    enum gb3095_pollutant p;
    enum gb3095_period period;
    double g1_2012, g2_2012;   /* README §3a Tables 1-2 */
    double g1_trans, g2_trans; /* README §3b transition */
    double g1_final, g2_final; /* README §3b final */
};

static const struct row rows[] = {
    {GB3095_SO2, GB3095_ANNUAL, 20, 60, 20, 60, 20, 20},
    {GB3095_SO2, GB3095_24H, 50, 150, 50, 150, 50, 50},
    {GB3095_SO2, GB3095_1H, 150, 500, 150, 500, 150, 150},
    {GB3095_NO2, GB3095_ANNUAL, 40, 40, 40, 40, 30, 30},
    {GB3095_NO2, GB3095_24H, 80, 80, 80, 80, 50, 50},
    {GB3095_NO2, GB3095_1H, 200, 200, 200, 200, 200, 200},
    {GB3095_CO, GB3095_24H, 4, 4, 4, 4, 4, 4},
    {GB3095_CO, GB3095_1H, 10, 10, 10, 10, 10, 10},
    {GB3095_O3, GB3095_8H, 100, 160, 100, 160, 100, 160},
    {GB3095_O3, GB3095_1H, 160, 200, 160, 200, 160, 200},
    {GB3095_PM10, GB3095_ANNUAL, 40, 70, 40, 60, 20, 50},
    {GB3095_PM10, GB3095_24H, 50, 150, 50, 120, 50, 100},
    {GB3095_PM25, GB3095_ANNUAL, 15, 35, 15, 30, 10, 25},
    {GB3095_PM25, GB3095_24H, 35, 75, 35, 60, 25, 50},
    {GB3095_TSP, GB3095_ANNUAL, 80, 200, 80, 200, 80, 200},
    {GB3095_TSP, GB3095_24H, 120, 300, 120, 300, 120, 300},
    {GB3095_NOX, GB3095_ANNUAL, 50, 50, 50, 50, 40, 40},
    {GB3095_NOX, GB3095_24H, 100, 100, 100, 100, 70, 70},
    {GB3095_NOX, GB3095_1H, 250, 250, 250, 250, 250, 250},
    {GB3095_PB, GB3095_ANNUAL, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
    {GB3095_PB, GB3095_QUARTER, 1, 1, 1, 1, 1, 1},
    {GB3095_BAP, GB3095_ANNUAL, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001},
    {GB3095_BAP, GB3095_24H, 0.0025, 0.0025, 0.0025, 0.0025, 0.0025, 0.0025},
    /* combinations with no limit in any edition */
    {GB3095_CO, GB3095_ANNUAL, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_O3, GB3095_24H, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_O3, GB3095_ANNUAL, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_PM25, GB3095_1H, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_SO2, GB3095_8H, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_PB, GB3095_24H, NONE, NONE, NONE, NONE, NONE, NONE},
    {GB3095_SO2, GB3095_QUARTER, NONE, NONE, NONE, NONE, NONE, NONE},
};

static void check_limit(enum gb3095_edition ed, const struct row *r, enum gb3095_grade g,
                        double want)
{
    double got = -99;
    int rc = gb3095_limit(ed, r->p, r->period, g, &got);

    if (want == NONE) {
        if (rc != COL_ERR_NOTFOUND)
            fail_msg("%s p=%d period=%d grade=%d: rc %d, want NOTFOUND", gb3095_edition_name(ed),
                     r->p, r->period, g, rc);
        return;
    }
    if (rc != 0 || got != want)
        fail_msg("%s p=%d period=%d grade=%d: rc %d value %g, want %g", gb3095_edition_name(ed),
                 r->p, r->period, g, rc, got, want);
}

static void test_limits_all_editions(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];

        check_limit(GB3095_2012, r, GB3095_GRADE_I, r->g1_2012);
        check_limit(GB3095_2012, r, GB3095_GRADE_II, r->g2_2012);
        check_limit(GB3095_2026_TRANSITION, r, GB3095_GRADE_I, r->g1_trans);
        check_limit(GB3095_2026_TRANSITION, r, GB3095_GRADE_II, r->g2_trans);
        check_limit(GB3095_2026_FINAL, r, GB3095_GRADE_I, r->g1_final);
        check_limit(GB3095_2026_FINAL, r, GB3095_GRADE_II, r->g2_final);
    }
}

/*
 * README §3a cross-check: the HJ 633-2012 IAQI-100 row equals the 2012 Grade II 24h/1h/8h
 * limits (PM2.5 75, PM10 150, SO2 150/500, NO2 80/200, CO 4/10, O3 8h 160, 1h 200).
 */
static void test_grade2_2012_matches_iaqi100(void **state)
{
    double v;

    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM25, GB3095_24H, GB3095_GRADE_II, &v), 0);
    assert_true(v == 75);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM10, GB3095_24H, GB3095_GRADE_II, &v), 0);
    assert_true(v == 150);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_O3, GB3095_8H, GB3095_GRADE_II, &v), 0);
    assert_true(v == 160);
    /* and the 2026 IAQI-100 row of PM (60, 120) equals the transition Grade II daily limits */
    assert_int_equal(
        gb3095_limit(GB3095_2026_TRANSITION, GB3095_PM25, GB3095_24H, GB3095_GRADE_II, &v), 0);
    assert_true(v == 60);
    assert_int_equal(
        gb3095_limit(GB3095_2026_TRANSITION, GB3095_PM10, GB3095_24H, GB3095_GRADE_II, &v), 0);
    assert_true(v == 120);
}

static void test_limit_errors(void **state)
{
    double v;

    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM25, GB3095_24H, 3, &v), COL_ERR_INVAL);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM25, GB3095_24H, 0, &v), COL_ERR_INVAL);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_N_POLLUTANTS, GB3095_24H, 2, &v),
                     COL_ERR_INVAL);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM25, GB3095_N_PERIODS, 2, &v),
                     COL_ERR_INVAL);
    assert_int_equal(gb3095_limit(3, GB3095_PM25, GB3095_24H, 2, &v), COL_ERR_INVAL);
    assert_int_equal(gb3095_limit(GB3095_2012, GB3095_PM25, GB3095_24H, 2, NULL), COL_ERR_INVAL);
}

/*
 * Switches at local midnight Asia/Shanghai: 2026-03-01 00:00 +08:00 = 2026-02-28T16:00Z =
 * 1772294400 s (20512 days * 86400 + 16 * 3600); 2031-01-01 00:00 +08:00 = 2030-12-31T16:00Z =
 * 1924963200 s (22279 days * 86400 + 16 * 3600).
 */
static void test_edition_for(void **state)
{
    enum gb3095_edition ed;

    assert_int_equal(gb3095_edition_for(1772294400000LL - 1), GB3095_2012);
    assert_int_equal(gb3095_edition_for(1772294400000LL), GB3095_2026_TRANSITION);
    assert_int_equal(gb3095_edition_for(1924963200000LL - 1), GB3095_2026_TRANSITION);
    assert_int_equal(gb3095_edition_for(1924963200000LL), GB3095_2026_FINAL);
    assert_int_equal(gb3095_edition_for(0), GB3095_2012);

    assert_int_equal(gb3095_edition_for_day(2025, 12, 31, &ed), 0);
    assert_int_equal(ed, GB3095_2012);
    assert_int_equal(gb3095_edition_for_day(2026, 2, 28, &ed), 0);
    assert_int_equal(ed, GB3095_2012);
    assert_int_equal(gb3095_edition_for_day(2026, 3, 1, &ed), 0);
    assert_int_equal(ed, GB3095_2026_TRANSITION);
    assert_int_equal(gb3095_edition_for_day(2030, 12, 31, &ed), 0);
    assert_int_equal(ed, GB3095_2026_TRANSITION);
    assert_int_equal(gb3095_edition_for_day(2031, 1, 1, &ed), 0);
    assert_int_equal(ed, GB3095_2026_FINAL);
    assert_int_equal(gb3095_edition_for_day(2028, 2, 29, &ed), 0); /* leap year */
    assert_int_equal(ed, GB3095_2026_TRANSITION);
    assert_int_equal(gb3095_edition_for_day(2100, 2, 29, &ed), COL_ERR_INVAL); /* not leap */
    assert_int_equal(gb3095_edition_for_day(2026, 0, 1, &ed), COL_ERR_INVAL);
    assert_int_equal(gb3095_edition_for_day(2026, 6, 31, &ed), COL_ERR_INVAL);
    assert_int_equal(gb3095_edition_for_day(2026, 6, 1, NULL), COL_ERR_INVAL);
    assert_string_equal(gb3095_edition_name(GB3095_2012), "GB 3095-2012");
}

/* Table 4: 1-h >= 45 min (gases), 8-h >= 6 h (O3), daily >= 20 h (gases and PM), 24 h (TSP...) */
static void test_validity_hourly_8h_daily(void **state)
{
    assert_int_equal(gb3095_check_hourly(GB3095_SO2, 45), 0);
    assert_int_equal(gb3095_check_hourly(GB3095_SO2, 44), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_hourly(GB3095_O3, 60), 0);
    assert_int_equal(gb3095_check_hourly(GB3095_NOX, 45), 0);
    assert_int_equal(gb3095_check_hourly(GB3095_PM25, 60), COL_ERR_NOTFOUND);
    assert_int_equal(gb3095_check_hourly(GB3095_CO, -1), COL_ERR_INVAL);

    assert_int_equal(gb3095_check_8h(GB3095_O3, 6), 0);
    assert_int_equal(gb3095_check_8h(GB3095_O3, 5), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_8h(GB3095_CO, 8), COL_ERR_NOTFOUND);

    assert_int_equal(gb3095_check_daily(GB3095_PM25, 20), 0);
    assert_int_equal(gb3095_check_daily(GB3095_PM25, 19), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_daily(GB3095_CO, 24), 0);
    assert_int_equal(gb3095_check_daily(GB3095_NO2, 20), 0);
    assert_int_equal(gb3095_check_daily(GB3095_TSP, 24), 0);
    assert_int_equal(gb3095_check_daily(GB3095_TSP, 23), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_daily(GB3095_PB, 20), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_daily(GB3095_O3, 24), COL_ERR_NOTFOUND);
    assert_int_equal(gb3095_check_daily(GB3095_N_POLLUTANTS, 24), COL_ERR_INVAL);
}

static void test_validity_annual(void **state)
{
    const int full[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    /* 324 exactly with Feb 25: 25 + 27*9 + 28*2 = 25 + 243 + 56 = 324 */
    const int edge[12] = {28, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 28};
    /* month minima alone: 25 + 11*27 = 322 < 324 */
    const int minima[12] = {27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27};
    const int feb24[12] = {31, 24, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int dec26[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 26};
    /* TSP/BaP/Pb: 5 a month, 60 a year: 12*5 = 60 */
    const int sparse[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    const int sparse_gap[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 6};

    assert_int_equal(gb3095_check_annual(GB3095_PM25, full), 0);
    assert_int_equal(gb3095_check_annual(GB3095_PM25, edge), 0);
    assert_int_equal(gb3095_check_annual(GB3095_PM25, minima), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_annual(GB3095_SO2, feb24), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_annual(GB3095_NO2, dec26), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_annual(GB3095_NOX, edge), 0);
    assert_int_equal(gb3095_check_annual(GB3095_PM10, sparse), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_annual(GB3095_TSP, sparse), 0);
    assert_int_equal(gb3095_check_annual(GB3095_BAP, sparse_gap), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_annual(GB3095_CO, full), COL_ERR_NOTFOUND);
    assert_int_equal(gb3095_check_annual(GB3095_O3, full), COL_ERR_NOTFOUND);
    assert_int_equal(gb3095_check_annual(GB3095_PM25, NULL), COL_ERR_INVAL);
}

static void test_validity_quarterly(void **state)
{
    const int ok[3] = {5, 5, 5};  /* 15 per quarter, 5 per month */
    const int low[3] = {4, 6, 6}; /* 16, but one month 4 */
    const int few[3] = {5, 5, 4}; /* 14 */

    assert_int_equal(gb3095_check_quarterly(GB3095_PB, ok), 0);
    assert_int_equal(gb3095_check_quarterly(GB3095_PB, low), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_quarterly(GB3095_PB, few), COL_ERR_RANGE);
    assert_int_equal(gb3095_check_quarterly(GB3095_PM25, ok), COL_ERR_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_all_editions),
        cmocka_unit_test(test_grade2_2012_matches_iaqi100),
        cmocka_unit_test(test_limit_errors),
        cmocka_unit_test(test_edition_for),
        cmocka_unit_test(test_validity_hourly_8h_daily),
        cmocka_unit_test(test_validity_annual),
        cmocka_unit_test(test_validity_quarterly),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
