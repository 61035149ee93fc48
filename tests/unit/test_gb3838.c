/*
 * Unit tests for ruleset/standards/gb3838: single-parameter classes and the single-factor
 * class of a sample (standards README §4, gb3838.csv, decision 2).
 *
 * The edge cases are the ones a water report gets wrong: a value exactly on a limit shared by
 * two classes, DO where higher is better, pH outside 6-9, 劣Ⅴ, and TP's river vs lake limits.
 * Expected classes are read off the README §4.1 table by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "gb3838.h"

static int cls_of(enum gb3838_param p, enum gb3838_water w, double v)
{
    int cls = -1;
    int rc = gb3838_param_class(p, w, v, &cls);

    if (rc)
        fail_msg("%s %g: rc %d", gb3838_param_name(p), v, rc);
    return cls;
}

#define R GB3838_RIVER
#define L GB3838_LAKE
#define WORSE GB3838_WORSE_THAN_V

static void test_max_items_and_shared_limits(void **state)
{
    /* NH3-N 0.15 / 0.5 / 1.0 / 1.5 / 2.0: on a limit is that class; above Ⅴ is 劣Ⅴ */
    assert_int_equal(cls_of(GB3838_NH3N, R, 0.15), 1);
    assert_int_equal(cls_of(GB3838_NH3N, R, 0.16), 2);
    assert_int_equal(cls_of(GB3838_NH3N, R, 0.5), 2);
    assert_int_equal(cls_of(GB3838_NH3N, R, 0.51), 3);
    assert_int_equal(cls_of(GB3838_NH3N, R, 1.0), 3);
    assert_int_equal(cls_of(GB3838_NH3N, R, 1.5), 4);
    assert_int_equal(cls_of(GB3838_NH3N, R, 2.0), 5);
    assert_int_equal(cls_of(GB3838_NH3N, R, 2.01), WORSE);
    /* COD 15 / 15 / 20 / 30 / 40: the shared Ⅰ/Ⅱ limit goes to Ⅰ; just above it is Ⅲ */
    assert_int_equal(cls_of(GB3838_COD, R, 15), 1);
    assert_int_equal(cls_of(GB3838_COD, R, 15.01), 3);
    assert_int_equal(cls_of(GB3838_COD, R, 40), 5);
    assert_int_equal(cls_of(GB3838_COD, R, 40.5), WORSE);
    /* BOD5 3 / 3 / 4 / 6 / 10 */
    assert_int_equal(cls_of(GB3838_BOD5, R, 3), 1);
    assert_int_equal(cls_of(GB3838_BOD5, R, 3.5), 3);
    assert_int_equal(cls_of(GB3838_BOD5, R, 10.1), WORSE);
    /* CODMn 2 / 4 / 6 / 10 / 15 */
    assert_int_equal(cls_of(GB3838_CODMN, R, 0), 1);
    assert_int_equal(cls_of(GB3838_CODMN, R, 2), 1);
    assert_int_equal(cls_of(GB3838_CODMN, R, 15), 5);
    assert_int_equal(cls_of(GB3838_CODMN, R, 15.1), WORSE);
    /* Hg 0.00005 / 0.00005 / 0.0001 / 0.001 / 0.001: Ⅰ=Ⅱ and Ⅳ=Ⅴ shared */
    assert_int_equal(cls_of(GB3838_HG, R, 0.00005), 1);
    assert_int_equal(cls_of(GB3838_HG, R, 0.00006), 3);
    assert_int_equal(cls_of(GB3838_HG, R, 0.001), 4);
    assert_int_equal(cls_of(GB3838_HG, R, 0.0011), WORSE);
    /* Cu 0.01 / 1.0 x4; Zn 0.05 / 1.0 / 1.0 / 2.0 / 2.0 */
    assert_int_equal(cls_of(GB3838_CU, R, 0.01), 1);
    assert_int_equal(cls_of(GB3838_CU, R, 0.02), 2);
    assert_int_equal(cls_of(GB3838_CU, R, 1.5), WORSE);
    assert_int_equal(cls_of(GB3838_ZN, R, 1.5), 4);
    /* Fecal coliform 200 / 2000 / 10000 / 20000 / 40000 per L */
    assert_int_equal(cls_of(GB3838_FECAL_COLIFORM, R, 2000), 2);
    assert_int_equal(cls_of(GB3838_FECAL_COLIFORM, R, 50000), WORSE);
    /* Sulfide 0.05 / 0.1 / 0.2 / 0.5 / 1.0 */
    assert_int_equal(cls_of(GB3838_SULFIDE, R, 0.3), 4);
}

/* DO: higher is better, >= 7.5 / 6 / 5 / 3 / 2. */
static void test_do_min_sense(void **state)
{
    assert_int_equal(cls_of(GB3838_DO, R, 12), 1);
    assert_int_equal(cls_of(GB3838_DO, R, 7.5), 1);
    assert_int_equal(cls_of(GB3838_DO, R, 7.49), 2);
    assert_int_equal(cls_of(GB3838_DO, R, 6), 2);
    assert_int_equal(cls_of(GB3838_DO, R, 5.99), 3);
    assert_int_equal(cls_of(GB3838_DO, R, 5), 3);
    assert_int_equal(cls_of(GB3838_DO, R, 4), 4);
    assert_int_equal(cls_of(GB3838_DO, R, 3), 4);
    assert_int_equal(cls_of(GB3838_DO, L, 2.5), 5);
    assert_int_equal(cls_of(GB3838_DO, R, 2), 5);
    assert_int_equal(cls_of(GB3838_DO, R, 1.99), WORSE);
    assert_int_equal(cls_of(GB3838_DO, R, 0), WORSE);
}

/* pH: 6-9 in every class; outside it the sample is worse than Ⅴ. */
static void test_ph_range(void **state)
{
    int c;

    assert_int_equal(cls_of(GB3838_PH, R, 6), 1);
    assert_int_equal(cls_of(GB3838_PH, R, 7.3), 1);
    assert_int_equal(cls_of(GB3838_PH, R, 9), 1);
    assert_int_equal(cls_of(GB3838_PH, R, 5.99), WORSE);
    assert_int_equal(cls_of(GB3838_PH, L, 9.01), WORSE);
    assert_int_equal(gb3838_param_class(GB3838_PH, R, -0.5, &c), COL_ERR_RANGE);
    assert_int_equal(gb3838_param_class(GB3838_PH, R, 14.5, &c), COL_ERR_RANGE);
}

/* TP rivers 0.02 / 0.1 / 0.2 / 0.3 / 0.4; lakes 0.01 / 0.025 / 0.05 / 0.1 / 0.2. */
static void test_tp_river_vs_lake(void **state)
{
    assert_int_equal(cls_of(GB3838_TP, R, 0.01), 1);
    assert_int_equal(cls_of(GB3838_TP, L, 0.01), 1);
    assert_int_equal(cls_of(GB3838_TP, R, 0.02), 1);
    assert_int_equal(cls_of(GB3838_TP, L, 0.02), 2);
    assert_int_equal(cls_of(GB3838_TP, R, 0.1), 2);
    assert_int_equal(cls_of(GB3838_TP, L, 0.1), 4);
    assert_int_equal(cls_of(GB3838_TP, R, 0.15), 3);
    assert_int_equal(cls_of(GB3838_TP, L, 0.15), 5);
    assert_int_equal(cls_of(GB3838_TP, R, 0.25), 4);
    assert_int_equal(cls_of(GB3838_TP, L, 0.25), WORSE);
    assert_int_equal(cls_of(GB3838_TP, R, 0.4), 5);
    assert_int_equal(cls_of(GB3838_TP, R, 0.41), WORSE);
}

static void test_tn_temp_and_errors(void **state)
{
    int c;

    /* TN is classed for lakes only: 0.2 / 0.5 / 1.0 / 1.5 / 2.0 */
    assert_int_equal(cls_of(GB3838_TN, L, 1.2), 4);
    assert_int_equal(cls_of(GB3838_TN, L, 2.1), WORSE);
    assert_int_equal(gb3838_param_class(GB3838_TN, R, 1.2, &c), COL_ERR_NOTFOUND);
    assert_int_equal(gb3838_param_class(GB3838_WATER_TEMP, R, 20, &c), COL_ERR_NOTFOUND);
    assert_int_equal(gb3838_param_class(GB3838_NH3N, R, -0.1, &c), COL_ERR_RANGE);
    assert_int_equal(gb3838_param_class(GB3838_NH3N, R, NAN, &c), COL_ERR_INVAL);
    assert_int_equal(gb3838_param_class(GB3838_N_PARAMS, R, 1, &c), COL_ERR_INVAL);
    assert_int_equal(gb3838_param_class(GB3838_NH3N, 7, 1, &c), COL_ERR_INVAL);
    assert_int_equal(gb3838_param_class(GB3838_NH3N, R, 1, NULL), COL_ERR_INVAL);
}

static void test_sample_auto_station(void **state)
{
    /* pH Ⅰ; DO 5.5 Ⅲ (>= 5, < 6); CODMn 4.2 Ⅲ (<= 6); NH3-N 0.8 Ⅲ (<= 1.0); TP 0.12 Ⅲ river */
    const struct gb3838_value v[] = {
        {GB3838_PH, 7.2},   {GB3838_DO, 5.5},  {GB3838_CODMN, 4.2},
        {GB3838_NH3N, 0.8}, {GB3838_TP, 0.12},
    };
    struct gb3838_result r;

    assert_int_equal(gb3838_sample_class(R, v, 5, &r), 0);
    assert_int_equal(r.cls, 3);
    assert_int_equal(r.deciding, GB3838_DO);
    assert_int_equal(r.deciding_mask, (1u << GB3838_DO) | (1u << GB3838_CODMN) |
                                          (1u << GB3838_NH3N) | (1u << GB3838_TP));
    assert_int_equal(r.n_evaluated, 5);
    assert_true(r.is_partial); /* 5 of 21 items */
    assert_string_equal(gb3838_class_name(r.cls), "Ⅲ");

    /* the same water as a lake: TP 0.12 is Ⅴ (<= 0.2, > 0.1) and alone decides */
    assert_int_equal(gb3838_sample_class(L, v, 5, &r), 0);
    assert_int_equal(r.cls, 5);
    assert_int_equal(r.deciding, GB3838_TP);
    assert_int_equal(r.deciding_mask, 1u << GB3838_TP);
}

static void test_sample_worse_than_v(void **state)
{
    /* NH3-N 2.3 > 2.0: 劣Ⅴ whatever the rest */
    const struct gb3838_value v[] = {
        {GB3838_PH, 7.0}, {GB3838_DO, 8.0}, {GB3838_NH3N, 2.3}, {GB3838_TP, 0.05}};
    /* pH 9.5 alone makes 劣Ⅴ */
    const struct gb3838_value ph[] = {{GB3838_DO, 8.0}, {GB3838_PH, 9.5}};
    struct gb3838_result r;

    assert_int_equal(gb3838_sample_class(R, v, 4, &r), 0);
    assert_int_equal(r.cls, WORSE);
    assert_int_equal(r.deciding, GB3838_NH3N);
    assert_string_equal(gb3838_class_name(r.cls), "劣Ⅴ");
    assert_int_equal(gb3838_sample_class(R, ph, 2, &r), 0);
    assert_int_equal(r.cls, WORSE);
    assert_int_equal(r.deciding, GB3838_PH);
}

static void test_sample_reference_items_ignored(void **state)
{
    /* TN 5 (lake 劣Ⅴ), coliform 1e6 (劣Ⅴ), water temperature: reference/unclassed items */
    const struct gb3838_value v[] = {
        {GB3838_PH, 7.0},          {GB3838_TN, 5.0}, {GB3838_FECAL_COLIFORM, 1e6},
        {GB3838_WATER_TEMP, 18.5}, {GB3838_DO, 8.0},
    };
    const struct gb3838_value only_ref[] = {{GB3838_TN, 1.0}, {GB3838_WATER_TEMP, 20}};
    const struct gb3838_value bad_ref[] = {{GB3838_PH, 7.0}, {GB3838_TN, -1}};
    struct gb3838_result r;

    assert_int_equal(gb3838_sample_class(L, v, 5, &r), 0);
    assert_int_equal(r.cls, 1);
    assert_int_equal(r.n_evaluated, 2);
    assert_int_equal(gb3838_sample_class(R, v, 5, &r), 0); /* TN in a river: not applied */
    assert_int_equal(r.cls, 1);
    assert_int_equal(gb3838_sample_class(L, only_ref, 2, &r), COL_ERR_NOTFOUND);
    assert_int_equal(gb3838_sample_class(L, bad_ref, 2, &r), COL_ERR_RANGE);
}

static void test_sample_full_21_items(void **state)
{
    /* all 21 evaluated items at their Class Ⅰ limit (DO at 7.5, pH 7): Ⅰ, not partial */
    const struct gb3838_value v[] = {
        {GB3838_PH, 7},           {GB3838_DO, 7.5},        {GB3838_CODMN, 2},
        {GB3838_COD, 15},         {GB3838_BOD5, 3},        {GB3838_NH3N, 0.15},
        {GB3838_TP, 0.02},        {GB3838_CU, 0.01},       {GB3838_ZN, 0.05},
        {GB3838_FLUORIDE, 1.0},   {GB3838_SE, 0.01},       {GB3838_AS, 0.05},
        {GB3838_HG, 0.00005},     {GB3838_CD, 0.001},      {GB3838_CR6, 0.01},
        {GB3838_PB, 0.01},        {GB3838_CYANIDE, 0.005}, {GB3838_VOLATILE_PHENOL, 0.002},
        {GB3838_PETROLEUM, 0.05}, {GB3838_LAS, 0.2},       {GB3838_SULFIDE, 0.05},
    };
    struct gb3838_result r;

    assert_int_equal(sizeof(v) / sizeof(v[0]), 21);
    assert_int_equal(gb3838_sample_class(R, v, 21, &r), 0);
    assert_int_equal(r.cls, 1);
    assert_int_equal(r.n_evaluated, 21);
    assert_false(r.is_partial);
    /* 20 items: partial */
    assert_int_equal(gb3838_sample_class(R, v, 20, &r), 0);
    assert_true(r.is_partial);
}

static void test_sample_errors(void **state)
{
    const struct gb3838_value dup[] = {{GB3838_NH3N, 0.5}, {GB3838_NH3N, 0.6}};
    struct gb3838_result r;

    assert_int_equal(gb3838_sample_class(R, dup, 2, &r), COL_ERR_INVAL);
    assert_int_equal(gb3838_sample_class(R, NULL, 0, &r), COL_ERR_NOTFOUND);
    assert_int_equal(gb3838_sample_class(R, NULL, 1, &r), COL_ERR_INVAL);
    assert_int_equal(gb3838_sample_class(R, dup, 1, NULL), COL_ERR_INVAL);
}

/* README §4.2: Ⅰ-Ⅱ 优, Ⅲ 良好, Ⅳ 轻度污染, Ⅴ 中度污染, 劣Ⅴ 重度污染. */
static void test_status(void **state)
{
    static const char *const want[] = {"优", "优", "良好", "轻度污染", "中度污染", "重度污染"};
    enum gb3838_status s;
    int c;

    for (c = 1; c <= 6; c++) {
        assert_int_equal(gb3838_status_for_class(c, &s), 0);
        assert_string_equal(gb3838_status_name(s), want[c - 1]);
    }
    assert_int_equal(gb3838_status_for_class(0, &s), COL_ERR_INVAL);
    assert_int_equal(gb3838_status_for_class(7, &s), COL_ERR_INVAL);
}

/* README §4.2 river/basin level with >= 5 sections. */
static void test_status_for_sections(void **state)
{
    const size_t excellent[6] = {5, 3, 1, 1, 0, 0}; /* Ⅰ-Ⅲ 9/10 = 90 % */
    const size_t good[6] = {4, 3, 1, 1, 1, 0};      /* 8/10 = 80 % */
    const size_t good_edge[6] = {6, 0, 0, 1, 1, 0}; /* 6/8 = 75 % */
    const size_t light[6] = {3, 3, 1, 1, 1, 1};     /* 7/10 = 70 %, 劣Ⅴ 10 % */
    const size_t moderate[6] = {2, 2, 2, 1, 1, 2};  /* 60 %, 劣Ⅴ 2/10 = 20 % */
    const size_t heavy[6] = {1, 1, 1, 1, 2, 4};     /* 30 %, 劣Ⅴ 4/10 = 40 % */
    const size_t too_few[6] = {1, 1, 1, 0, 0, 1};   /* 4 sections */
    enum gb3838_status s;

    assert_int_equal(gb3838_status_for_sections(excellent, &s), 0);
    assert_int_equal(s, GB3838_EXCELLENT);
    assert_int_equal(gb3838_status_for_sections(good, &s), 0);
    assert_int_equal(s, GB3838_GOOD);
    assert_int_equal(gb3838_status_for_sections(good_edge, &s), 0);
    assert_int_equal(s, GB3838_GOOD);
    assert_int_equal(gb3838_status_for_sections(light, &s), 0);
    assert_int_equal(s, GB3838_LIGHT);
    assert_int_equal(gb3838_status_for_sections(moderate, &s), 0);
    assert_int_equal(s, GB3838_MODERATE);
    assert_int_equal(gb3838_status_for_sections(heavy, &s), 0);
    assert_int_equal(s, GB3838_HEAVY);
    assert_int_equal(gb3838_status_for_sections(too_few, &s), COL_ERR_RANGE);
}

static void test_names(void **state)
{
    enum gb3838_param p;

    assert_int_equal(gb3838_param_parse("nh3n", &p), 0);
    assert_int_equal(p, GB3838_NH3N);
    assert_int_equal(gb3838_param_parse("tp_lake", &p), 0);
    assert_int_equal(p, GB3838_TP);
    assert_int_equal(gb3838_param_parse("tp_river", &p), 0);
    assert_int_equal(p, GB3838_TP);
    assert_int_equal(gb3838_param_parse("volatile_phenol", &p), 0);
    assert_int_equal(p, GB3838_VOLATILE_PHENOL);
    assert_int_equal(gb3838_param_parse("chlorophyll", &p), COL_ERR_NOTFOUND);
    assert_string_equal(gb3838_param_name(GB3838_DO), "do");
    assert_string_equal(gb3838_class_name(1), "Ⅰ");
    assert_string_equal(gb3838_class_name(0), "?");
    assert_true(gb3838_is_evaluated(GB3838_SULFIDE));
    assert_false(gb3838_is_evaluated(GB3838_TN));
    assert_false(gb3838_is_evaluated(GB3838_FECAL_COLIFORM));
    assert_false(gb3838_is_evaluated(GB3838_WATER_TEMP));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_items_and_shared_limits),
        cmocka_unit_test(test_do_min_sense),
        cmocka_unit_test(test_ph_range),
        cmocka_unit_test(test_tp_river_vs_lake),
        cmocka_unit_test(test_tn_temp_and_errors),
        cmocka_unit_test(test_sample_auto_station),
        cmocka_unit_test(test_sample_worse_than_v),
        cmocka_unit_test(test_sample_reference_items_ignored),
        cmocka_unit_test(test_sample_full_21_items),
        cmocka_unit_test(test_sample_errors),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_status_for_sections),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
