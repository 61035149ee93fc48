/*
 * Unit tests for ruleset/standards/gb3096: zone limits, day/night split, energy averaging and
 * the night Lmax rule (standards README §5).
 *
 * Energy means are computed by hand in the comments: 10 log10(mean 10^(L/10)), factoring out
 * the smallest level so that only a log of a small number is left (log10 values to 6 places).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gb3096.h"

#define assert_near(got, want, eps)                                                                \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= (eps)))                                                             \
            fail_msg("%s = %.15g, want %.15g", #got, g_, w_);                                      \
    } while (0)

/* README §5 table. */
static void test_limits(void **state)
{
    static const struct {
        enum gb3096_zone z;
        double day, night;
    } t[] = {
        {GB3096_ZONE_0, 50, 40}, {GB3096_ZONE_1, 55, 45},  {GB3096_ZONE_2, 60, 50},
        {GB3096_ZONE_3, 65, 55}, {GB3096_ZONE_4A, 70, 55}, {GB3096_ZONE_4B, 70, 60},
    };
    size_t i;
    double v;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(gb3096_limit(t[i].z, GB3096_DAY, &v), 0);
        assert_near(v, t[i].day, 0);
        assert_int_equal(gb3096_limit(t[i].z, GB3096_NIGHT, &v), 0);
        assert_near(v, t[i].night, 0);
    }
    assert_int_equal(gb3096_limit(GB3096_N_ZONES, GB3096_DAY, &v), COL_ERR_INVAL);
    assert_int_equal(gb3096_limit(GB3096_ZONE_1, 2, &v), COL_ERR_INVAL);
    assert_int_equal(gb3096_limit(GB3096_ZONE_1, GB3096_DAY, NULL), COL_ERR_INVAL);
}

static void test_zone_names(void **state)
{
    enum gb3096_zone z;

    assert_int_equal(gb3096_zone_parse("0", &z), 0);
    assert_int_equal(z, GB3096_ZONE_0);
    assert_int_equal(gb3096_zone_parse("3", &z), 0);
    assert_int_equal(z, GB3096_ZONE_3);
    assert_int_equal(gb3096_zone_parse("4a", &z), 0);
    assert_int_equal(z, GB3096_ZONE_4A);
    assert_int_equal(gb3096_zone_parse("4B", &z), 0);
    assert_int_equal(z, GB3096_ZONE_4B);
    assert_int_equal(gb3096_zone_parse("4", &z), COL_ERR_NOTFOUND);
    assert_int_equal(gb3096_zone_parse("5", &z), COL_ERR_NOTFOUND);
    assert_int_equal(gb3096_zone_parse("", &z), COL_ERR_NOTFOUND);
    assert_int_equal(gb3096_zone_parse(NULL, &z), COL_ERR_INVAL);
    assert_string_equal(gb3096_zone_name(GB3096_ZONE_4A), "4a");
    assert_string_equal(gb3096_zone_name(GB3096_N_ZONES), "?");
}

static enum gb3096_period period(int minute, int day_start, int night_start)
{
    enum gb3096_period p = 99;

    assert_int_equal(gb3096_period_at(minute, day_start, night_start, &p), 0);
    return p;
}

/* Day 06:00-22:00, night 22:00-06:00 (README §5); boundaries belong to the period they open. */
static void test_day_night(void **state)
{
    const int d = GB3096_DAY_START_MIN, n = GB3096_NIGHT_START_MIN;
    enum gb3096_period p;

    assert_int_equal(d, 360);
    assert_int_equal(n, 1320);
    assert_int_equal(period(0, d, n), GB3096_NIGHT);            /* 00:00 */
    assert_int_equal(period(5 * 60 + 59, d, n), GB3096_NIGHT);  /* 05:59 */
    assert_int_equal(period(6 * 60, d, n), GB3096_DAY);         /* 06:00 */
    assert_int_equal(period(12 * 60, d, n), GB3096_DAY);        /* 12:00 */
    assert_int_equal(period(21 * 60 + 59, d, n), GB3096_DAY);   /* 21:59 */
    assert_int_equal(period(22 * 60, d, n), GB3096_NIGHT);      /* 22:00 */
    assert_int_equal(period(23 * 60 + 59, d, n), GB3096_NIGHT); /* 23:59 */
    /* a local government's 07:00-23:00 day: 06:40 is night, 22:30 is day */
    assert_int_equal(period(6 * 60 + 40, 7 * 60, 23 * 60), GB3096_NIGHT);
    assert_int_equal(period(22 * 60 + 30, 7 * 60, 23 * 60), GB3096_DAY);

    assert_int_equal(gb3096_period_at(1440, d, n, &p), COL_ERR_INVAL);
    assert_int_equal(gb3096_period_at(-1, d, n, &p), COL_ERR_INVAL);
    assert_int_equal(gb3096_period_at(0, n, d, &p), COL_ERR_INVAL);
    assert_int_equal(gb3096_period_at(0, d, d, &p), COL_ERR_INVAL);
    assert_int_equal(gb3096_period_at(0, d, n, NULL), COL_ERR_INVAL);
}

static double emean(const double *l, size_t n)
{
    double out = -1;

    assert_int_equal(gb3096_energy_mean(l, n, &out), 0);
    return out;
}

static void test_energy_mean(void **state)
{
    static const double a[] = {60, 70};
    static const double b[] = {50, 70};
    static const double c[] = {60, 60, 60, 70};
    static const double d[] = {45, 55, 65};
    static const double same[] = {55, 55, 55, 55};
    static const double loud[] = {150, 150};
    const double bad[] = {50, NAN};
    double day[16], out;
    size_t i;

    /* (10^6 + 10^7)/2 = 5.5e6 -> 60 + 10 log10 5.5 = 60 + 7.403627 = 67.403627 */
    assert_near(emean(a, 2), 67.403627, 1e-5);
    /* (10^5 + 10^7)/2 = 5.05e6 -> 60 + 10 log10 5.05 = 60 + 7.032914 = 67.032914 (not 60) */
    assert_near(emean(b, 2), 67.032914, 1e-5);
    /* (3*10^6 + 10^7)/4 = 3.25e6 -> 60 + 10 log10 3.25 = 60 + 5.118834 = 65.118834 */
    assert_near(emean(c, 4), 65.118834, 1e-5);
    /* 10^4.5 (1 + 10 + 100)/3 = 10^4.5 * 37 -> 45 + 10 log10 37 = 45 + 15.682017 = 60.682017 */
    assert_near(emean(d, 3), 60.682017, 1e-5);
    /* equal levels average to themselves */
    assert_near(emean(same, 4), 55, 1e-9);
    assert_near(emean(a, 1), 60, 1e-12);
    /* no overflow at absurd levels */
    assert_near(emean(loud, 2), 150, 1e-9);

    /*
     * A day (16 hourly LAeq, 06-22) of 15 h at 50 and 1 h at 80: (15*10^5 + 10^8)/16 =
     * 1.015e8/16 = 6.34375e6 -> 60 + 10 log10 6.34375 = 60 + 8.023461 = 68.023461:
     * one loud hour puts a 50 dB day over the zone 2 day limit of 60.
     */
    for (i = 0; i < 16; i++)
        day[i] = i == 9 ? 80 : 50;
    assert_near(emean(day, 16), 68.023461, 1e-5);

    assert_int_equal(gb3096_energy_mean(a, 0, &out), COL_ERR_INVAL);
    assert_int_equal(gb3096_energy_mean(NULL, 2, &out), COL_ERR_INVAL);
    assert_int_equal(gb3096_energy_mean(a, 2, NULL), COL_ERR_INVAL);
    assert_int_equal(gb3096_energy_mean(bad, 2, &out), COL_ERR_INVAL);
}

static void test_exceedance(void **state)
{
    double over;

    /* zone 2 night limit 50: 53.2 is 3.2 over; 50 complies (over = 0) */
    assert_int_equal(gb3096_exceedance(GB3096_ZONE_2, GB3096_NIGHT, 53.2, &over), 0);
    assert_near(over, 3.2, 1e-9);
    assert_int_equal(gb3096_exceedance(GB3096_ZONE_2, GB3096_NIGHT, 50, &over), 0);
    assert_near(over, 0, 0);
    /* zone 4a day 70: 64 is 6 under */
    assert_int_equal(gb3096_exceedance(GB3096_ZONE_4A, GB3096_DAY, 64, &over), 0);
    assert_near(over, -6, 1e-12);
    assert_int_equal(gb3096_exceedance(GB3096_ZONE_2, GB3096_DAY, NAN, &over), COL_ERR_INVAL);
    assert_int_equal(gb3096_exceedance(GB3096_N_ZONES, GB3096_DAY, 50, &over), COL_ERR_INVAL);
}

/* Night sudden noise: Lmax <= night limit + 15 dB(A). */
static void test_night_lmax(void **state)
{
    double over;

    /* zone 1: 45 + 15 = 60; 60 complies, 62.5 is 2.5 over */
    assert_int_equal(gb3096_night_lmax_exceedance(GB3096_ZONE_1, 60, &over), 0);
    assert_near(over, 0, 0);
    assert_int_equal(gb3096_night_lmax_exceedance(GB3096_ZONE_1, 62.5, &over), 0);
    assert_near(over, 2.5, 1e-12);
    /* zone 4b: 60 + 15 = 75; 74 is 1 under */
    assert_int_equal(gb3096_night_lmax_exceedance(GB3096_ZONE_4B, 74, &over), 0);
    assert_near(over, -1, 1e-12);
    /* zone 0: 40 + 15 = 55 */
    assert_int_equal(gb3096_night_lmax_exceedance(GB3096_ZONE_0, 56, &over), 0);
    assert_near(over, 1, 1e-12);
    assert_int_equal(gb3096_night_lmax_exceedance(GB3096_ZONE_0, 56, NULL), COL_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),     cmocka_unit_test(test_zone_names),
        cmocka_unit_test(test_day_night),  cmocka_unit_test(test_energy_mean),
        cmocka_unit_test(test_exceedance), cmocka_unit_test(test_night_lmax),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
