/*
 * Tests of civil dates (base/civil.h) against values worked out by hand:
 * - 1970-01-01 is day 0 and 1969-12-31 day -1;
 * - 2000-01-01: 30 years of 365 days plus the leap days of 1972, 76, 80,
 *   84, 88, 92 and 96 = 10950 + 7 = 10957; 2000-03-01 adds January (31)
 *   and February of the leap year 2000 (29): 11017;
 * - 2026-03-01 (the day HJ 633-2026 applies): 2000-01-01 is 10957, plus
 *   26 years of which 2000, 04, 08, 12, 16, 20, 24 are leap: 26 * 365 + 7
 *   = 9497, so 2026-01-01 = 20454, then 31 + 28 = 59 days: 20513;
 * - leap years: 2000 yes (divisible by 400), 1900 no (by 100), 2024 yes;
 * and a round trip over 400 years of day numbers (one Gregorian cycle).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "civil.h"

static void test_civil_known_days(void **state)
{
    (void)state;
    assert_int_equal(civil_to_days(1970, 1, 1), 0);
    assert_int_equal(civil_to_days(1969, 12, 31), -1);
    assert_int_equal(civil_to_days(2000, 1, 1), 10957);
    assert_int_equal(civil_to_days(2000, 3, 1), 11017);
    assert_int_equal(civil_to_days(2026, 3, 1), 20513);
    assert_int_equal(civil_to_days(1970, 1, 2), 1);
    /* 43 * 365 + 11 leap days (72..2012) = 15706 to 2013-01-01; + 31 + 28 = 15765. */
    assert_int_equal(civil_to_days(2013, 3, 1), 15765);
    /* 54 * 365 + 13 leap days = 19723 to 2024-01-01; + 330 days Jan..Oct and 25 = 20053. */
    assert_int_equal(civil_to_days(2024, 11, 26), 20053);
    /* NTP era offset: 2208988800 s from 1900-01-01 to 1970-01-01 = 25567 days. */
    assert_int_equal(civil_to_days(1900, 1, 1), -25567);
}

static void test_civil_leap_and_validity(void **state)
{
    (void)state;
    assert_true(civil_is_leap(2000));
    assert_false(civil_is_leap(1900));
    assert_true(civil_is_leap(2024));
    assert_false(civil_is_leap(2023));
    assert_int_equal(civil_month_days(2024, 2), 29);
    assert_int_equal(civil_month_days(2023, 2), 28);
    assert_int_equal(civil_month_days(2023, 4), 30);
    assert_int_equal(civil_month_days(2023, 13), 0);
    assert_true(civil_date_valid(2000, 2, 29));
    assert_false(civil_date_valid(1900, 2, 29));
    assert_false(civil_date_valid(2023, 4, 31));
    assert_false(civil_date_valid(2023, 0, 1));
    assert_false(civil_date_valid(0, 1, 1));
}

static void test_civil_round_trip(void **state)
{
    int64_t y;
    int m, d;

    (void)state;
    for (int64_t z = -146097; z <= 146097; z++) {
        civil_from_days(z, &y, &m, &d);
        assert_true(civil_date_valid(y, m, d));
        assert_int_equal(civil_to_days(y, m, d), z);
    }
    civil_from_days(20513, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_known_days),
        cmocka_unit_test(test_civil_leap_and_validity),
        cmocka_unit_test(test_civil_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
