/*
 * Tests of the gateway's calendar (core/calendar.h): the local day an
 * instant falls in, its bounds in UTC, in the configured zone, and that a
 * day remembered under one zone is not handed out under another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/calendar.h"

#define HOUR_MS 3600000LL
/* 2024-11-26 00:00 Asia/Shanghai (UTC+8) = 2024-11-25T16:00:00Z = 1732550400 s. */
#define SH_DAY0 1732550400000LL

static void expect_day(int64_t utc_ms, int64_t t0, int64_t t1, const char *day)
{
    int64_t a = 0, b = 0;
    char d[11] = "";

    cal_day_bounds(utc_ms, &a, &b, d);
    assert_int_equal(a, t0);
    assert_int_equal(b, t1);
    assert_string_equal(d, day);
    cal_day_bounds(utc_ms, &a, &b, NULL); /* the day is optional */
    assert_int_equal(a, t0);
    assert_int_equal(b, t1);
}

static void test_day_bounds_in_the_zone(void **state)
{
    assert_int_equal(cal_set_timezone("Asia/Shanghai"), 0);
    /* 05:00 local: the day from local midnight, 24 hours. */
    expect_day(SH_DAY0 + 5 * HOUR_MS, SH_DAY0, SH_DAY0 + 24 * HOUR_MS, "2024-11-26");
    /* 23:59:59.999 local is still the 26th; one millisecond later the 27th. */
    expect_day(SH_DAY0 + 24 * HOUR_MS - 1, SH_DAY0, SH_DAY0 + 24 * HOUR_MS, "2024-11-26");
    expect_day(SH_DAY0 + 24 * HOUR_MS, SH_DAY0 + 24 * HOUR_MS, SH_DAY0 + 48 * HOUR_MS,
               "2024-11-27");
    /* The hour before local midnight: the 25th; then the 26th again. */
    expect_day(SH_DAY0 - HOUR_MS, SH_DAY0 - 24 * HOUR_MS, SH_DAY0, "2024-11-25");
    expect_day(SH_DAY0 + 12 * HOUR_MS, SH_DAY0, SH_DAY0 + 24 * HOUR_MS, "2024-11-26");
}

static void test_day_bounds_follow_a_new_zone(void **state)
{
    int64_t t = SH_DAY0 + 5 * HOUR_MS; /* 2024-11-26 05:00 +08 = 2024-11-25T21:00Z */

    assert_int_equal(cal_set_timezone("Asia/Shanghai"), 0);
    expect_day(t, SH_DAY0, SH_DAY0 + 24 * HOUR_MS, "2024-11-26");
    /* The same instant in UTC: the 25th, from 2024-11-25T00:00Z = 1732492800 s. */
    assert_int_equal(cal_set_timezone("UTC"), 0);
    expect_day(t, 1732492800000LL, 1732492800000LL + 24 * HOUR_MS, "2024-11-25");
    assert_int_equal(cal_set_timezone("Asia/Shanghai"), 0);
    expect_day(t, SH_DAY0, SH_DAY0 + 24 * HOUR_MS, "2024-11-26");
}

static void test_day_of_a_clock_change(void **state)
{
    /* Europe/Berlin, 2024-03-31: 02:00 CET becomes 03:00 CEST, a day of 23 hours, from
     * 00:00 CET = 2024-03-30T23:00Z (1711839600 s) to 00:00 CEST = 2024-03-31T22:00Z
     * (1711922400 s); 14:00 CEST = 12:00Z (1711886400 s) is in it. */
    assert_int_equal(cal_set_timezone("Europe/Berlin"), 0);
    expect_day(1711886400000LL, 1711839600000LL, 1711922400000LL, "2024-03-31");
    assert_int_equal(1711922400000LL - 1711839600000LL, 23 * HOUR_MS);
    assert_int_equal(cal_set_timezone("Asia/Shanghai"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_bounds_in_the_zone),
        cmocka_unit_test(test_day_bounds_follow_a_new_zone),
        cmocka_unit_test(test_day_of_a_clock_change),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
