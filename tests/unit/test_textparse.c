/*
 * Tests of the small text parsers (ruleset/base/textparse.h): durations and
 * sizes with their suffixes, ISO 8601 date-times with offsets and fractions,
 * numeric epoch timestamps (seconds vs milliseconds), the civil-date day
 * count, UTF-8 validation (overlongs, surrogates, truncation) and the strict
 * integer and double parsers. Every expected value is worked out by hand in
 * the comments, never produced by the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "col_err.h"
#include "textparse.h"

/* 2024-11-26T00:00:00Z in epoch seconds: 20053 days (see test_civil.c) * 86400. */
#define NOV26_2024_S 1732579200LL

static void expect_duration(const char *s, int64_t want)
{
    int64_t v = -12345;
    int rc = parse_duration_ms(s, &v);

    if (rc != 0 || v != want)
        print_error("duration '%s': rc %d, value %lld, want %lld\n", s, rc, (long long)v,
                    (long long)want);
    assert_int_equal(rc, 0);
    assert_int_equal(v, want);
}

static void expect_duration_bad(const char *s)
{
    int64_t v = -12345;
    int rc = parse_duration_ms(s, &v);

    if (rc == 0)
        print_error("duration '%s' accepted as %lld\n", s ? s : "(null)", (long long)v);
    assert_int_not_equal(rc, 0);
}

static void test_duration_units(void **state)
{
    expect_duration("500ms", 500);
    expect_duration("30s", 30000);
    expect_duration("5m", 300000);        /* 5 * 60 000 */
    expect_duration("2h", 7200000);       /* 2 * 3 600 000 */
    expect_duration("30d", 2592000000LL); /* 30 * 86 400 000 */
    expect_duration("1w", 604800000);     /* 7 * 86 400 000 */
    expect_duration("0", 0);
    expect_duration("0s", 0);
    expect_duration("1.5h", 5400000); /* 1.5 * 3 600 000 */
    expect_duration("0.5s", 500);
    /* A bare number is seconds. */
    expect_duration("90", 90000);
    expect_duration("2.5", 2500);
}

static void test_duration_errors(void **state)
{
    expect_duration_bad("");
    expect_duration_bad("5 m");
    expect_duration_bad("-1s");
    expect_duration_bad("5x");
    expect_duration_bad("m");
    expect_duration_bad(" 5s");
    expect_duration_bad("5s ");
    expect_duration_bad("5M"); /* units are lower case: M is not minutes */
    expect_duration_bad("5mss");
    expect_duration_bad("nan");
    expect_duration_bad("inf");
    expect_duration_bad("infs");
    expect_duration_bad(NULL);
}

static void test_duration_overflow(void **state)
{
    int64_t v = 0;

    /* 1e19 ms does not fit in int64 (max about 9.22e18). */
    assert_int_equal(parse_duration_ms("1e19ms", &v), COL_ERR_RANGE);
    /* 2e10 weeks = 2e10 * 6.048e8 ms = 1.2096e19 ms: too large. */
    assert_int_equal(parse_duration_ms("2e10w", &v), COL_ERR_RANGE);
}

static void test_duration_bare_seconds_overflow(void **state)
{
    /* A bare number is seconds: 1e17 s = 1e20 ms and 1e16 s = 1e19 ms do not fit in int64
     * either, so they must be refused like "1e19ms" rather than wrap to a negative value. */
    expect_duration_bad("1e17");
    expect_duration_bad("10000000000000000");
}

static void expect_size(const char *s, uint64_t want)
{
    uint64_t v = 0;
    int rc = parse_size(s, &v);

    if (rc != 0 || v != want)
        print_error("size '%s': rc %d, value %llu\n", s, rc, (unsigned long long)v);
    assert_int_equal(rc, 0);
    assert_true(v == want);
}

static void test_sizes(void **state)
{
    expect_size("64KiB", 65536); /* 64 * 1024 */
    expect_size("10MB", 10000000);
    expect_size("512", 512);
    expect_size("512B", 512);
    expect_size("0", 0);
    expect_size("2KB", 2000);
    expect_size("3MiB", 3145728);       /* 3 * 1048576 */
    expect_size("1GiB", 1073741824);    /* 1024^3 */
    expect_size("2GB", 2000000000);     /* SI */
    expect_size("4k", 4096);            /* k, K, M, G are binary */
    expect_size("16M", 16777216);       /* 16 * 1048576 */
    expect_size("18446744073709551615", /* UINT64_MAX */
                UINT64_MAX);
}

static void test_size_errors(void **state)
{
    static const char *const bad[] = {"",   "-1",   " 1",   "1 ",    "1 KB", "1.5MB",
                                      "KB", "10XB", "10kb", "10KIB", "0x10", "+5"};
    uint64_t v;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_size(bad[i], &v) == 0)
            print_error("size '%s' accepted\n", bad[i]);
        assert_int_not_equal(parse_size(bad[i], &v), 0);
    }
    assert_int_not_equal(parse_size(NULL, &v), 0);
    /* 2^64 itself does not fit. */
    assert_int_equal(parse_size("18446744073709551616", &v), COL_ERR_RANGE);
    /* 2^34 GiB = 2^64 bytes. */
    assert_int_equal(parse_size("17179869184GiB", &v), COL_ERR_RANGE);
}

static int64_t iso(const char *s, long default_off)
{
    int64_t v = -1;
    int rc = parse_iso8601_ms(s, strlen(s), default_off, &v);

    if (rc != 0)
        print_error("'%s' refused (%d)\n", s, rc);
    assert_int_equal(rc, 0);
    return v;
}

static void test_iso8601_offsets(void **state)
{
    const int64_t t = NOV26_2024_S * 1000; /* 2024-11-26T00:00:00Z */

    /* 08:00 at +08:00 is midnight UTC. */
    assert_int_equal(iso("2024-11-26T08:00:00+08:00", 0), 1732579200000LL);
    assert_int_equal(iso("2024-11-26T00:00:00Z", 0), t);
    assert_int_equal(iso("2024-11-26T00:00:00z", 0), t);
    assert_int_equal(iso("2024-11-26T08:00:00+0800", 0), t);
    assert_int_equal(iso("2024-11-26T08:00:00+08", 0), t);
    /* 19:00 at -05:00 is 24:00 UTC, i.e. midnight of the next day. */
    assert_int_equal(iso("2024-11-25T19:00:00-05:00", 0), t);
    /* +05:30 (India): 05:30 local is midnight UTC. */
    assert_int_equal(iso("2024-11-26T05:30:00+05:30", 0), t);
    /* An explicit Z wins over the default offset. */
    assert_int_equal(iso("2024-11-26T00:00:00Z", 8 * 3600), t);
    /* Without an offset the default applies: 08:00 at +8 h is midnight UTC. */
    assert_int_equal(iso("2024-11-26T08:00:00", 8 * 3600), t);
    assert_int_equal(iso("2024-11-26T00:00:00", 0), t);
    assert_int_equal(iso("1970-01-01T00:00:00Z", 0), 0);
}

static void test_iso8601_forms(void **state)
{
    const int64_t t = NOV26_2024_S * 1000;

    /* ".5" is half a second; digits past milliseconds are dropped. */
    assert_int_equal(iso("2024-11-26T00:00:00.5Z", 0), t + 500);
    assert_int_equal(iso("2024-11-26T00:00:00,25Z", 0), t + 250);
    assert_int_equal(iso("2024-11-26T00:00:00.123456Z", 0), t + 123);
    assert_int_equal(iso("2024-11-26T08:00:00.007+08:00", 0), t + 7);
    /* Space instead of T; seconds optional. */
    assert_int_equal(iso("2024-11-26 00:00:00Z", 0), t);
    assert_int_equal(iso("2024-11-26T00:00Z", 0), t);
    /* 12:34:56 = 45296 s after midnight. */
    assert_int_equal(iso("2024-11-26T12:34:56Z", 0), t + 45296000);
    /* Date only: midnight at the default offset (midnight at +8 h is 16:00 UTC before). */
    assert_int_equal(iso("2024-11-26", 0), t);
    assert_int_equal(iso("2024-11-26", 8 * 3600), t - 28800000);
    /* Leap days: 2024-02-29 is day 19723 + 31 + 28 = 19782 → 19782 * 86400 s. */
    assert_int_equal(iso("2024-02-29", 0), 1709164800000LL);
    /* 2000 is a leap year (divisible by 400): day 10957 + 31 + 28 = 11016. */
    assert_int_equal(iso("2000-02-29T00:00:00Z", 0), 11016LL * 86400 * 1000);
}

static void test_iso8601_errors(void **state)
{
    static const char *const bad[] = {
        "",
        "2024",
        "24-11-26",
        "2024/11/26",
        "2024-11-26Z",
        "2024-13-01",
        "2024-00-10",
        "2024-11-00",
        "2024-11-31",
        "2024-04-31",
        "2023-02-29", /* not a leap year */
        "1900-02-29", /* divisible by 100, not by 400 */
        "2024-11-26T",
        "2024-11-26T8:00:00Z",
        "2024-11-26T24:00:00Z",
        "2024-11-26T08:60:00Z",
        "2024-11-26T08:00:61Z",
        "2024-11-26T08:00:00.Z",
        "2024-11-26T08:00:00 Z",
        "2024-11-26T08:00:00+08:00x",
        "2024-11-26T08:00:00+08:00 ",
        "2024-11-26T08:00:00+15:00",
        "2024-11-26T08:00:00+08:60",
        "2024-11-26T08:00:00+8",
        "2024-11-26T08:00:00+080",
        "2024-11-26T08:00:00Zjunk",
        "2024-11-26x",
    };
    int64_t v;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse_iso8601_ms(bad[i], strlen(bad[i]), 0, &v);
        if (rc == 0)
            print_error("'%s' accepted as %lld\n", bad[i], (long long)v);
        assert_int_equal(rc, COL_ERR_INVAL);
    }
}

static void test_iso8601_offset_trailing_colon(void **state)
{
    static const char s[] = "2024-11-26T08:00:00+08:";
    int64_t v;

    /* "+08:" is neither "+08" nor "+08:00": the colon promises minutes that never come. */
    assert_int_equal(parse_iso8601_ms(s, strlen(s), 0, &v), COL_ERR_INVAL);
}

static void test_iso8601_respects_len(void **state)
{
    static const char s[] = "2024-11-26T08:00:00+08:00garbage";
    int64_t v = 0;

    /* Only the first 25 bytes are the time; the rest is not read. */
    assert_int_equal(parse_iso8601_ms(s, 25, 0, &v), 0);
    assert_int_equal(v, NOV26_2024_S * 1000);
    /* Cut inside the offset: "+0" is incomplete. */
    assert_int_equal(parse_iso8601_ms(s, 21, 0, &v), COL_ERR_INVAL);
    /* Cut after the date: a date on its own is fine. */
    assert_int_equal(parse_iso8601_ms(s, 10, 0, &v), 0);
    assert_int_equal(v, NOV26_2024_S * 1000);
    assert_int_equal(parse_iso8601_ms(s, 0, 0, &v), COL_ERR_INVAL);
}

static void test_epoch_to_ms(void **state)
{
    int64_t v = 0;

    assert_int_equal(epoch_to_ms(1732579200.0, &v), 0);
    assert_int_equal(v, 1732579200000LL);
    assert_int_equal(epoch_to_ms(1732579200.5, &v), 0);
    assert_int_equal(v, 1732579200500LL);
    assert_int_equal(epoch_to_ms(1732579200123.0, &v), 0);
    assert_int_equal(v, 1732579200123LL);
    assert_int_equal(epoch_to_ms(0, &v), 0);
    assert_int_equal(v, 0);
    /* Just below the 1e11 threshold: seconds (year 5138). */
    assert_int_equal(epoch_to_ms(99999999999.0, &v), 0);
    assert_int_equal(v, 99999999999000LL);
    /* At the threshold: milliseconds (1973-03-03). */
    assert_int_equal(epoch_to_ms(1e11, &v), 0);
    assert_int_equal(v, 100000000000LL);

    assert_int_equal(epoch_to_ms(-1.0, &v), COL_ERR_INVAL);
    assert_int_equal(epoch_to_ms(-0.5, &v), COL_ERR_INVAL);
    assert_int_equal(epoch_to_ms(NAN, &v), COL_ERR_INVAL);
    assert_int_equal(epoch_to_ms(INFINITY, &v), COL_ERR_INVAL);
    assert_int_equal(epoch_to_ms(-INFINITY, &v), COL_ERR_INVAL);
    /* 1e19 ms would overflow int64. */
    assert_int_equal(epoch_to_ms(1e19, &v), COL_ERR_INVAL);
}

static void test_utf8_valid(void **state)
{
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("hello, world", 12));
    assert_true(utf8_valid("a\0b", 3));              /* NUL is ASCII */
    assert_true(utf8_valid("\xC3\xA9", 2));          /* U+00E9 é */
    assert_true(utf8_valid("\xC2\x80", 2));          /* U+0080, smallest 2-byte */
    assert_true(utf8_valid("徐汇", strlen("徐汇"))); /* two 3-byte characters */
    assert_int_equal(strlen("徐汇"), 6);
    assert_true(utf8_valid("\xE0\xA0\x80", 3));     /* U+0800, smallest 3-byte */
    assert_true(utf8_valid("\xED\x9F\xBF", 3));     /* U+D7FF, just below the surrogates */
    assert_true(utf8_valid("\xEE\x80\x80", 3));     /* U+E000, just above them */
    assert_true(utf8_valid("\xEF\xBF\xBF", 3));     /* U+FFFF */
    assert_true(utf8_valid("\xF0\x9F\x98\x80", 4)); /* U+1F600 */
    assert_true(utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF, the last code point */
    assert_true(utf8_valid("pm2.5 \xE2\x89\xA4 35\xC2\xB5g", 15)); /* 6 + 3 + 3 + 2 + 1 */
}

static void test_utf8_invalid(void **state)
{
    static const struct {
        const char *s;
        size_t len;
        const char *why;
    } bad[] = {
        {"\xC0\x80", 2, "overlong NUL"},
        {"\xC1\xBF", 2, "overlong U+007F"},
        {"\xE0\x80\x80", 3, "overlong 3-byte"},
        {"\xE0\x9F\xBF", 3, "overlong U+07FF"},
        {"\xF0\x80\x80\x80", 4, "overlong 4-byte"},
        {"\xF0\x8F\xBF\xBF", 4, "overlong U+FFFF"},
        {"\xED\xA0\x80", 3, "surrogate U+D800"},
        {"\xED\xBF\xBF", 3, "surrogate U+DFFF"},
        {"\xF4\x90\x80\x80", 4, "U+110000"},
        {"\xF5\x80\x80\x80", 4, "F5 lead byte"},
        {"\xFF", 1, "FF byte"},
        {"\x80", 1, "lone continuation"},
        {"ab\xBF", 3, "continuation after ASCII"},
        {"\xC3", 1, "truncated 2-byte"},
        {"x\xE5\xBE", 3, "truncated 3-byte at end"},
        {"\xF0\x9F\x98", 3, "truncated 4-byte"},
        {"\xC3\x41", 2, "ASCII where a continuation belongs"},
        {"\xE5\xBE\x90\xE6\xB1", 5, "second character cut"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (utf8_valid(bad[i].s, bad[i].len))
            print_error("accepted: %s\n", bad[i].why);
        assert_false(utf8_valid(bad[i].s, bad[i].len));
    }
    /* The length bounds the check: "徐" whole, then cut inside "汇". */
    assert_true(utf8_valid("徐汇", 3));
    assert_false(utf8_valid("徐汇", 4));
}

static void test_parse_int64(void **state)
{
    int64_t v = 0;

    assert_int_equal(parse_int64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_int64("-42", &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(parse_int64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(parse_int64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);

    assert_int_equal(parse_int64("9223372036854775808", &v), COL_ERR_RANGE);
    assert_int_equal(parse_int64("-9223372036854775809", &v), COL_ERR_RANGE);
    assert_int_equal(parse_int64("", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64(NULL, &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64(" 1", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("1 ", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("1.0", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("1e3", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("0x10", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("12a", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("abc", &v), COL_ERR_INVAL);
    assert_int_equal(parse_int64("-", &v), COL_ERR_INVAL);
}

static void test_parse_double(void **state)
{
    double v = 0;

    assert_int_equal(parse_double("1.5", &v), 0);
    assert_true(v == 1.5);
    assert_int_equal(parse_double("-2.5e3", &v), 0);
    assert_true(v == -2500.0);
    assert_int_equal(parse_double("0", &v), 0);
    assert_true(v == 0.0);
    assert_int_equal(parse_double("42", &v), 0);
    assert_true(v == 42.0);
    assert_int_equal(parse_double("1e308", &v), 0);
    assert_true(v == 1e308);

    static const char *const bad[] = {"",     " 1",    "1 ",     "1.5x", "nan", "NaN", "inf",
                                      "-inf", "1e400", "-1e400", ".",    "e5",  "1,5", "abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_double(bad[i], &v) == 0)
            print_error("'%s' accepted as %g\n", bad[i], v);
        assert_int_equal(parse_double(bad[i], &v), COL_ERR_INVAL);
    }
    assert_int_equal(parse_double(NULL, &v), COL_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_units),
        cmocka_unit_test(test_duration_errors),
        cmocka_unit_test(test_duration_overflow),
        cmocka_unit_test(test_duration_bare_seconds_overflow),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_size_errors),
        cmocka_unit_test(test_iso8601_offsets),
        cmocka_unit_test(test_iso8601_forms),
        cmocka_unit_test(test_iso8601_errors),
        cmocka_unit_test(test_iso8601_offset_trailing_colon),
        cmocka_unit_test(test_iso8601_respects_len),
        cmocka_unit_test(test_epoch_to_ms),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_parse_double),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
