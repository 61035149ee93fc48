/*
 * Tests of device profile load errors (devices/profile.h): each wrong key,
 * value, topic and field reported as file:line with its exact text, one
 * error per load, and every field error of a profile reported at once.
 */
#include "profile_fixture.h"

#include "col_err.h"
#include "diag.h"
#include "profile.h"

/* ---- load errors ---- */

/* A profile body: every key given, each replaceable by the test. */
static void expect_load_error(struct tmp *t, const char *text, const char *want_suffix)
{
    const char *path = tmp_write(t, "bad.yaml", text);
    char want[600];
    struct capture cap;
    struct diag d;
    struct profile *p;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    profile_free(p);
    snprintf(want, sizeof(want), "%s:%s", path, want_suffix);
    if (p || d.n_errors != 1 || strcmp(cap.msg[0], want) != 0)
        print_error("profile %s\n -> %d errors, first '%s'\n want '%s'\n", text, d.n_errors,
                    cap.msg[0], want);
    assert_null(p);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(cap.msg[0], want);
    unlink(path);
}

#define HEAD "name: p\ndomain: air\n"
#define TOPICS "topics: [\"a/{device}\"]\n"
#define FIELDS "fields:\n  pm25: {metric: pm25, unit: ug/m3}\n"

static void test_load_errors(void **state)
{
    struct tmp *t = *state;

    expect_load_error(t, HEAD TOPICS "interval: 1m\ncolour: red\n" FIELDS,
                      "5: unknown key 'colour' in a device profile");
    expect_load_error(t, HEAD "decoder: xml\n" TOPICS "interval: 1m\n" FIELDS,
                      "3: unknown decoder 'xml'");
    expect_load_error(t, HEAD TOPICS FIELDS, "1: missing required key 'interval'");
    expect_load_error(t, "domain: air\n" TOPICS "interval: 1m\n" FIELDS,
                      "1: missing required key 'name'");
    expect_load_error(t, HEAD TOPICS "interval: soon\n" FIELDS,
                      "4: 'interval' must be a duration such as 30s, 5m, 1h, not 'soon'");
    expect_load_error(t, HEAD TOPICS "interval: 0s\n" FIELDS, "4: interval must be positive");
    expect_load_error(t, "name: p\ndomain: soil\n" TOPICS "interval: 1m\n" FIELDS,
                      "2: domain must be one of air, water, noise, waste, sewage");
    expect_load_error(t, "name: P_1\ndomain: air\n" TOPICS "interval: 1m\n" FIELDS,
                      "1: profile name must be lowercase a-z, 0-9, _ or -");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nsample: median\n" FIELDS,
                      "5: sample must be 'instant' or 'average'");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nstrict: perhaps\n" FIELDS,
                      "5: 'strict' must be true or false, not 'perhaps'");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nsenml_device: topic\n" FIELDS,
                      "5: senml_device must be one of base, split, name");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nhj212_crc: crc32\n" FIELDS,
                      "5: hj212_crc must be one of hj212, modbus, modbus-swapped, any");
    expect_load_error(t, HEAD "interval: 1m\n" FIELDS,
                      "1: 'topics' must be a non-empty list of patterns");
    expect_load_error(t, HEAD TOPICS "interval: 1m\n",
                      "1: 'fields' must map payload field names to metrics");
}

static void test_load_errors_topics(void **state)
{
    static const char *const bad[] = {"xh/a#/b",    "xh/#/x", "xh//x",      "/xh",           "xh/",
                                      "xh/{sites}", "xh/a+",  "xh/{site}x", "{device}{site}"};
    struct tmp *t = *state;
    char text[300];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text),
                 HEAD "topics:\n  - ok/{device}\n  - \"%s\"\n"
                      "interval: 1m\n" FIELDS,
                 bad[i]);
        /* The bad pattern is the second item, on line 5. */
        expect_load_error(t, text,
                          "5: bad topic pattern (levels are text, '+', '{site}', '{device}', or "
                          "a final '#')");
    }
}

static void test_load_errors_fields(void **state)
{
    struct tmp *t = *state;

    expect_load_error(t,
                      HEAD TOPICS "interval: 1m\nfields:\n  pm25: {metric: pm25, min: 5, max: 1}\n",
                      "6: min is larger than max");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: {metric: pm25, colour: 1}\n",
                      "6: unknown key 'colour' in a profile field");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: {metric: PM25}\n",
                      "6: metric name 'PM25' must be lowercase a-z, 0-9, _ or -");
    expect_load_error(t,
                      HEAD TOPICS "interval: 1m\nfields:\n"
                                  "  pm25: {metric: pm25, unit: ug/m3, from_unit: ppb}\n",
                      "6: no conversion known from 'ppb' to 'ug/m3' for metric 'pm25'");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: {scale: x2}\n",
                      "6: 'scale' must be a number, not 'x2'");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: 7\n",
                      "6: a field must be a mapping (metric, unit, min, max, ...)");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  s: {values: {a: one}}\n",
                      "6: a 'values' entry must be a number");
    /* Block-style field: the error names the line of the offending key. */
    expect_load_error(t,
                      HEAD TOPICS "interval: 1m\nfields:\n  pm25:\n    metric: pm25\n"
                                  "    unit: ug/m3\n    bogus: 1\n",
                      "9: unknown key 'bogus' in a profile field");
}

static void test_load_error_bad_min_max(void **state)
{
    struct tmp *t = *state;

    /* A min or max that is not a number is reported, and a profile with a reported error
     * must not load (the set "holds the profiles that loaded cleanly"). */
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: {metric: pm25, min: abc}\n",
                      "6: 'min' must be a number, not 'abc'");
    expect_load_error(t, HEAD TOPICS "interval: 1m\nfields:\n  pm25: {metric: pm25, max: lots}\n",
                      "6: 'max' must be a number, not 'lots'");
}

static void test_every_field_error_reported(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "two.yaml",
                                 HEAD TOPICS "interval: 1m\nfields:\n"
                                             "  pm25: {metric: pm25, min: 5, max: 1}\n"
                                             "  pm10: {metric: PM10}\n");
    struct capture cap;
    struct diag d;
    struct profile *p;
    char want[400];

    /* Two bad fields are two errors, each at its own line (field 1 at line 6, field 2 at 7). */
    cap_init(&cap, &d);
    p = profile_load(path, &d);
    profile_free(p);
    assert_null(p);
    assert_int_equal(d.n_errors, 2);
    snprintf(want, sizeof(want), "%s:7: metric name 'PM10' must be lowercase a-z, 0-9, _ or -",
             path);
    assert_string_equal(cap.msg[1], want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_errors, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_errors_topics, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_errors_fields, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_error_bad_min_max, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_every_field_error_reported, tmp_setup, tmp_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
