/*
 * Unit tests for ruleset/standards/hj663: GB/T 8170 rounding, the HJ 663 percentile formula,
 * annual validity, valid-count means, O3 MDA8, good-day ratio, exceedance and attainment.
 *
 * Expected values are computed by hand from standards README §2 (percentile: k = 1 + (n-1)p%,
 * m = X(s) + (X(s+1) - X(s))(k - s)) and decisions 3 and 5; the arithmetic is in comments.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hj663.h"

/* Doubles compared to @eps (cmocka 1.1.5's assert_float_equal works in float). */
#define assert_near(got, want, eps)                                                                \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= (eps)))                                                             \
            fail_msg("%s = %.15g, want %.15g", #got, g_, w_);                                      \
    } while (0)

static double rounded(double v, int decimals)
{
    double out = -12345;

    assert_int_equal(hj663_round(v, decimals, &out), 0);
    return out;
}

/* GB/T 8170: more than half up, less than half down, exactly half to the even neighbour. */
static void test_round_gbt8170(void **state)
{
    double out;

    assert_near(rounded(35.4, 0), 35, 0);
    assert_near(rounded(35.5, 0), 36, 0);     /* 5 odd: up */
    assert_near(rounded(36.5, 0), 36, 0);     /* 6 even: down */
    assert_near(rounded(36.50001, 0), 37, 0); /* more than half */
    assert_near(rounded(0.5, 0), 0, 0);
    assert_near(rounded(1.5, 0), 2, 0);
    assert_near(rounded(-2.5, 0), -2, 0);
    assert_near(rounded(-3.5, 0), -4, 0);
    assert_near(rounded(0.45, 1), 0.4, 1e-15); /* CO: 4 even */
    assert_near(rounded(0.55, 1), 0.6, 1e-15); /* 5 odd */
    assert_near(rounded(0.449, 1), 0.4, 1e-15);
    assert_near(rounded(2.25, 1), 2.2, 1e-15);
    assert_near(rounded(2.35, 1), 2.4, 1e-15);
    assert_near(rounded(12.3456, 2), 12.35, 1e-15);
    assert_near(rounded(12.345, 2), 12.34, 1e-15); /* 4 even */
    assert_near(rounded(7, 0), 7, 0);
    assert_int_equal(hj663_round(1, 7, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_round(1, -1, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_round(NAN, 0, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_round(2e9, 0, &out), COL_ERR_RANGE);
    assert_int_equal(hj663_round(1, 0, NULL), COL_ERR_INVAL);
}

static double pct(const double *x, size_t n, double p)
{
    double out = -12345;

    assert_int_equal(hj663_percentile(x, n, p, &out), 0);
    return out;
}

static void test_percentile_readme_example(void **state)
{
    /* README §2: P90 of {3,4,8,2,5,4}; sorted {2,3,4,4,5,8}; k = 1 + 5*0.9 = 5.5; s = 5;
     * X5 = 5, X6 = 8: 5 + 3*0.5 = 6.5 */
    static const double x[] = {2, 3, 4, 4, 5, 8};

    assert_near(pct(x, 6, 90), 6.5, 1e-12);
    /* P50: k = 1 + 5*0.5 = 3.5: X3 + (X4 - X3)*0.5 = 4 + 0 = 4 */
    assert_near(pct(x, 6, 50), 4, 1e-12);
    /* P0 = X1 = 2; P100 = X6 = 8 */
    assert_near(pct(x, 6, 0), 2, 0);
    assert_near(pct(x, 6, 100), 8, 0);
}

static void test_percentile_hand_cases(void **state)
{
    static const double g[] = {10, 20, 40, 80, 160};
    static const double twenty[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                    11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    static double sq[365];
    const double one = 42;
    size_t i;

    /* {10,20,40,80,160}: P90 k = 1+4*0.9 = 4.6: 80 + 0.6*80 = 128 */
    assert_near(pct(g, 5, 90), 128, 1e-9);
    /* P95 k = 1+4*0.95 = 4.8: 80 + 0.8*80 = 144 */
    assert_near(pct(g, 5, 95), 144, 1e-9);
    /* P98 k = 1+4*0.98 = 4.92: 80 + 0.92*80 = 153.6 */
    assert_near(pct(g, 5, 98), 153.6, 1e-9);
    /* P25 k = 1+4*0.25 = 2 exactly: X2 = 20 */
    assert_near(pct(g, 5, 25), 20, 0);
    /* 1..20, P95: k = 1+19*0.95 = 19.05: 19 + 0.05*1 = 19.05 */
    assert_near(pct(twenty, 20, 95), 19.05, 1e-9);
    /* a single value is every percentile */
    assert_near(pct(&one, 1, 90), 42, 0);

    /* A year of 365 daily values X(i) = i^2 (i = 1..365). */
    for (i = 0; i < 365; i++)
        sq[i] = (double)((i + 1) * (i + 1));
    /* P98: k = 1+364*0.98 = 357.72; X357 = 127449, X358 = 128164: 127449 + 0.72*715 = 127963.8 */
    assert_near(pct(sq, 365, 98), 127963.8, 1e-6);
    /* P95: k = 1+364*0.95 = 346.8; X346 = 119716, X347 = 120409: 119716 + 0.8*693 = 120270.4 */
    assert_near(pct(sq, 365, 95), 120270.4, 1e-6);
    /* P90: k = 1+364*0.9 = 328.6; X328 = 107584, X329 = 108241: 107584 + 0.6*657 = 107978.2 */
    assert_near(pct(sq, 365, 90), 107978.2, 1e-6);
}

static void test_percentile_errors(void **state)
{
    static const double unsorted[] = {3, 4, 8, 2};
    static const double ok[] = {1, 2};
    const double bad[] = {1, NAN};
    double out;

    assert_int_equal(hj663_percentile(unsorted, 4, 50, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_percentile(ok, 0, 50, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_percentile(NULL, 2, 50, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_percentile(ok, 2, 50, NULL), COL_ERR_INVAL);
    assert_int_equal(hj663_percentile(bad, 2, 50, &out), COL_ERR_INVAL);
    assert_int_equal(hj663_percentile(ok, 2, -0.1, &out), COL_ERR_RANGE);
    assert_int_equal(hj663_percentile(ok, 2, 100.1, &out), COL_ERR_RANGE);
    assert_int_equal(hj663_percentile(ok, 2, NAN, &out), COL_ERR_INVAL);
}

/* README §2 "Annual evaluation": P98 SO2/NO2, P95 PM10/PM2.5/CO, P90 O3 MDA8. */
static void test_annual_percentile(void **state)
{
    assert_int_equal(hj663_annual_percentile(HJ663_SO2), 98);
    assert_int_equal(hj663_annual_percentile(HJ663_NO2), 98);
    assert_int_equal(hj663_annual_percentile(HJ663_PM10), 95);
    assert_int_equal(hj663_annual_percentile(HJ663_PM25), 95);
    assert_int_equal(hj663_annual_percentile(HJ663_CO), 95);
    assert_int_equal(hj663_annual_percentile(HJ663_O3), 90);
    assert_int_equal(hj663_annual_percentile(HJ663_N_ITEMS), COL_ERR_INVAL);
}

/* GB 3095 Table 4: >= 324 days a year, >= 27 a month, February >= 25. */
static void test_check_annual(void **state)
{
    const int full[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    /* every month at its minimum: 25 + 11*27 = 322 < 324 */
    const int minima[12] = {27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27};
    /* two months at 28: 322 + 2 = 324 */
    const int just[12] = {28, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 28};
    /* February 24 even though the year has 24 + 11*30 = 354 */
    const int short_feb[12] = {30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30};
    /* one month at 26: 26 + 28 + 10*30 = 354 */
    const int short_month[12] = {30, 28, 30, 30, 30, 30, 26, 30, 30, 30, 30, 30};
    const int negative[12] = {-1, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int item;

    for (item = 0; item < HJ663_N_ITEMS; item++) {
        assert_int_equal(hj663_check_annual(item, full), 0);
        assert_int_equal(hj663_check_annual(item, minima), COL_ERR_RANGE);
        assert_int_equal(hj663_check_annual(item, just), 0);
        assert_int_equal(hj663_check_annual(item, short_feb), COL_ERR_RANGE);
        assert_int_equal(hj663_check_annual(item, short_month), COL_ERR_RANGE);
        assert_int_equal(hj663_check_annual(item, negative), COL_ERR_INVAL);
    }
    assert_int_equal(hj663_check_annual(HJ663_N_ITEMS, full), COL_ERR_INVAL);
    assert_int_equal(hj663_check_annual(HJ663_PM25, NULL), COL_ERR_INVAL);
}

static void test_mean_min_valid(void **state)
{
    double v[24], out = 0;
    bool valid[24];
    size_t i, k = 0;

    for (i = 0; i < 24; i++) {
        v[i] = (double)(i + 1); /* 1..24 */
        valid[i] = i >= 4;      /* hours 0..3 invalid: 20 valid values 5..24 */
    }
    /* mean of 5..24 = (5 + 24) / 2 = 14.5 */
    assert_int_equal(hj663_mean(v, valid, 24, 20, &out, &k), 0);
    assert_near(out, 14.5, 1e-12);
    assert_int_equal(k, 20);
    /* one more gap: 19 valid < 20 */
    valid[4] = false;
    out = -1;
    assert_int_equal(hj663_mean(v, valid, 24, 20, &out, &k), COL_ERR_RANGE);
    assert_int_equal(k, 19);
    assert_near(out, -1, 0);
    /* NULL valid: all count, but NaN never does: mean of 1..23 = 276 / 23 = 12 */
    v[23] = NAN;
    assert_int_equal(hj663_mean(v, NULL, 24, 1, &out, NULL), 0);
    assert_near(out, 12, 1e-12);
    assert_int_equal(hj663_mean(v, NULL, 24, 0, &out, NULL), COL_ERR_INVAL);
}

static void day_of_o3(double *h)
{
    int i;

    /* 50 µg/m³ all day, 200 from 12:00 to 20:00 (hours 12..19) */
    for (i = 0; i < 24; i++)
        h[i] = i >= 12 && i <= 19 ? 200 : 50;
}

static void test_mda8(void **state)
{
    double h[24];
    struct hj663_mda8 m;
    int i;

    day_of_o3(h);
    /* window ending 20:00 = hours 12..19 = 200; ending 19:00 = (50 + 7*200)/8 = 181.25 */
    assert_int_equal(hj663_o3_mda8(h, NULL, HJ663_MDA8_MIN_WINDOWS, 160, &m), 0);
    assert_near(m.value, 200, 1e-12);
    assert_int_equal(m.end_hour, 20);
    assert_int_equal(m.n_windows, 17);
    assert_true(m.is_valid);
    assert_false(m.is_by_limit);

    /* Peak in the first window only: hours 0..7 = 90, rest 10 -> window ending 08:00 = 90 */
    for (i = 0; i < 24; i++)
        h[i] = i < 8 ? 90 : 10;
    assert_int_equal(hj663_o3_mda8(h, NULL, HJ663_MDA8_MIN_WINDOWS, 160, &m), 0);
    assert_near(m.value, 90, 1e-12);
    assert_int_equal(m.end_hour, 8);
}

static void test_mda8_validity(void **state)
{
    double h[24];
    bool valid[24];
    struct hj663_mda8 m;
    int i;

    day_of_o3(h);
    for (i = 0; i < 24; i++)
        valid[i] = i >= 10; /* hours 0..9 missing */
    /*
     * A window ending e covers e-8..e-1; it has >= 6 valid hours from e = 16 (10..15) on:
     * windows 16..24 = 9 < 14. Window 16 = (50+50+4*200)/6 = 150; window 20 = 200.
     */
    assert_int_equal(hj663_o3_mda8(h, valid, HJ663_MDA8_MIN_WINDOWS, 160, &m), 0);
    assert_int_equal(m.n_windows, 9);
    assert_near(m.value, 200, 1e-12);
    assert_true(m.is_valid); /* 200 > 160: counts despite too few windows */
    assert_true(m.is_by_limit);
    /* the same day without the exceedance exception */
    assert_int_equal(hj663_o3_mda8(h, valid, HJ663_MDA8_MIN_WINDOWS, -1, &m), 0);
    assert_false(m.is_valid);
    /* exactly at the limit is not over it */
    assert_int_equal(hj663_o3_mda8(h, valid, HJ663_MDA8_MIN_WINDOWS, 200, &m), 0);
    assert_false(m.is_valid);
    /* the 14-window rule switched off */
    assert_int_equal(hj663_o3_mda8(h, valid, 0, -1, &m), 0);
    assert_true(m.is_valid);
    assert_false(m.is_by_limit);

    /*
     * Only hours 10..15 valid: the windows ending 16 (8..15), 17 (9..16) and 18 (10..17) each
     * hold those same 6 hours, mean (50 + 50 + 4*200) / 6 = 150; the first one is reported.
     */
    for (i = 0; i < 24; i++)
        valid[i] = i >= 10 && i <= 15;
    assert_int_equal(hj663_o3_mda8(h, valid, 0, -1, &m), 0);
    assert_int_equal(m.n_windows, 3);
    assert_int_equal(m.end_hour, 16);
    assert_near(m.value, 150, 1e-12);

    /* five valid hours make no window */
    valid[15] = false;
    assert_int_equal(hj663_o3_mda8(h, valid, 0, -1, &m), COL_ERR_NOTFOUND);
    assert_int_equal(hj663_o3_mda8(h, valid, 18, -1, &m), COL_ERR_INVAL);
    assert_int_equal(hj663_o3_mda8(NULL, valid, 0, -1, &m), COL_ERR_INVAL);
}

/* Decision 3: good days (AQI <= 100) over days with a valid AQI. */
static void test_good_day_ratio(void **state)
{
    static const int aqi[] = {30, 100, 101, -1, 50, 300};
    static const int none[] = {-1, -1};
    struct hj663_days d;

    /* valid: 30, 100, 101, 50, 300 = 5; good: 30, 100, 50 = 3; 3/5 = 60 % */
    assert_int_equal(hj663_good_day_ratio(aqi, 6, &d), 0);
    assert_int_equal(d.n_valid, 5);
    assert_int_equal(d.n_good, 3);
    assert_near(d.ratio_pct, 60, 1e-12);
    assert_int_equal(hj663_good_day_ratio(none, 2, &d), COL_ERR_NOTFOUND);
    assert_int_equal(d.n_valid, 0);
    assert_int_equal(hj663_good_day_ratio(NULL, 0, &d), COL_ERR_NOTFOUND);
    assert_int_equal(hj663_good_day_ratio(NULL, 1, &d), COL_ERR_INVAL);

    assert_true(hj663_is_good_day(0));
    assert_true(hj663_is_good_day(100));
    assert_false(hj663_is_good_day(101));
    assert_false(hj663_is_good_day(-1));
}

static void test_exceedance_and_attainment(void **state)
{
    double x;

    /* (105 - 75) / 75 = 0.4; (60 - 75) / 75 = -0.2 */
    assert_int_equal(hj663_exceedance_multiple(105, 75, &x), 0);
    assert_near(x, 0.4, 1e-12);
    assert_int_equal(hj663_exceedance_multiple(60, 75, &x), 0);
    assert_near(x, -0.2, 1e-12);
    assert_int_equal(hj663_exceedance_multiple(60, 0, &x), COL_ERR_INVAL);

    /* 292 / 365 * 100 = 80 */
    assert_int_equal(hj663_attainment_rate(292, 365, &x), 0);
    assert_near(x, 80, 1e-12);
    assert_int_equal(hj663_attainment_rate(0, 0, &x), COL_ERR_NOTFOUND);
    assert_int_equal(hj663_attainment_rate(5, 3, &x), COL_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_gbt8170),
        cmocka_unit_test(test_percentile_readme_example),
        cmocka_unit_test(test_percentile_hand_cases),
        cmocka_unit_test(test_percentile_errors),
        cmocka_unit_test(test_annual_percentile),
        cmocka_unit_test(test_check_annual),
        cmocka_unit_test(test_mean_min_valid),
        cmocka_unit_test(test_mda8),
        cmocka_unit_test(test_mda8_validity),
        cmocka_unit_test(test_good_day_ratio),
        cmocka_unit_test(test_exceedance_and_attainment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
