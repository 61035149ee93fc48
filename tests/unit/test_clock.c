/*
 * Tests of the monotonic age of wall-clock instants (core/clock.h
 * clock_seen_age): what silence and reminders are measured with, so that a
 * wall-clock jump neither ages an instant nor makes it young.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"

#define W 1800000000000LL /* a wall time */
#define M 5000000LL       /* a monotonic time */

static void test_first_sight_takes_wall_age(void **state)
{
    struct clock_seen cs = {0};

    (void)state;
    assert_int_equal(clock_seen_age(&cs, W - 120000, 1, W, M, -1), 120000);
    /* Then only the monotonic clock counts, whatever the wall clock says. */
    assert_int_equal(clock_seen_age(&cs, W - 120000, 1, W + 86400000, M + 1000, 5000), 121000);
    assert_int_equal(clock_seen_age(&cs, W - 120000, 1, W - 86400000, M + 2000, 5000), 122000);
    /* An instant in the future of the wall clock is 0 old, not negative. */
    cs = (struct clock_seen){0};
    assert_int_equal(clock_seen_age(&cs, W + 60000, 1, W, M, -1), 0);
}

static void test_new_instant_is_at_most_as_old_as_the_last_look(void **state)
{
    struct clock_seen cs = {0};

    (void)state;
    assert_int_equal(clock_seen_age(&cs, W, 1, W, M, -1), 0);
    /* A new message while the wall clock jumped a day ahead: at most 2 s old (the look before). */
    assert_int_equal(clock_seen_age(&cs, W + 1000, 2, W + 86400000, M + 2000, 2000), 2000);
    /* A new message under a clock that went back keeps last_seen; the count changes. */
    assert_int_equal(clock_seen_age(&cs, W + 1000, 3, W - 86400000, M + 4000, 2000), 0);
    assert_int_equal(clock_seen_age(&cs, W + 1000, 3, W - 86400000, M + 9000, 2000), 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_sight_takes_wall_age),
        cmocka_unit_test(test_new_instant_is_at_most_as_old_as_the_last_look),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
