/*
 * base/xalloc: the growable-array helper xgrow() and the failure hook the
 * other tests rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "xalloc.h"

/* An empty array gets @first; then the capacity doubles until @need fits. */
static void test_grow_doubles_from_first(void **state)
{
    size_t cap = 0;
    int *v = xgrow(NULL, &cap, 1, sizeof(*v), 16);

    (void)state;
    assert_non_null(v);
    assert_int_equal(cap, 16);
    v[15] = 7;
    v = xgrow(v, &cap, 17, sizeof(*v), 16);
    assert_non_null(v);
    assert_int_equal(cap, 32);
    assert_int_equal(v[15], 7); /* kept */
    v = xgrow(v, &cap, 100, sizeof(*v), 16);
    assert_non_null(v);
    assert_int_equal(cap, 128); /* 32 → 64 → 128 */
    xfree(v);
}

/* With room already, the same array comes back and nothing is allocated. */
static void test_grow_with_room_is_a_no_op(void **state)
{
    size_t cap = 0;
    char *v = xgrow(NULL, &cap, 10, 1, 1024);
    long before;

    (void)state;
    assert_non_null(v);
    before = xalloc_count();
    assert_ptr_equal(xgrow(v, &cap, 1024, 1, 1024), v);
    assert_int_equal(xalloc_count(), before);
    assert_int_equal(cap, 1024);
    xfree(v);
}

/* Out of memory: NULL, and the old array and capacity are untouched. */
static void test_grow_failure_keeps_the_array(void **state)
{
    size_t cap = 0;
    int *v = xgrow(NULL, &cap, 4, sizeof(*v), 4), *nv;

    (void)state;
    assert_non_null(v);
    v[3] = 42;
    xalloc_fail_at(1);
    nv = xgrow(v, &cap, 5, sizeof(*v), 4);
    xalloc_fail_at(0);
    assert_null(nv);
    assert_int_equal(cap, 4);
    assert_int_equal(v[3], 42);
    xfree(v);
}

/* A size that cannot be represented is refused instead of wrapping around. */
static void test_grow_refuses_overflow(void **state)
{
    size_t cap = 0;

    (void)state;
    assert_null(xgrow(NULL, &cap, SIZE_MAX / 2 + 2, 1, 16));
    assert_int_equal(cap, 0);
    assert_null(xgrow(NULL, &cap, SIZE_MAX / 8, 16, 16));
    assert_int_equal(cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_doubles_from_first),
        cmocka_unit_test(test_grow_with_room_is_a_no_op),
        cmocka_unit_test(test_grow_failure_keeps_the_array),
        cmocka_unit_test(test_grow_refuses_overflow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
