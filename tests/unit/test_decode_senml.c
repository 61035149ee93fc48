/*
 * Tests of the "senml" decoder (devices/decode_senml.c): RFC 8428 packs with
 * base fields, the naming rule (device from bn, field from n), units, times,
 * every rejection kind, JSON edge cases of the hand-written scanner and
 * truncation at every length. Expected values are written out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "xalloc.h"

#define MAX_FIELDS 16

struct result {
    struct dec_msg msg;
    struct dec_field f[MAX_FIELDS];
    struct dec_error err;
};

static const char station_pack[] =
    "[{\"bn\":\"aqm-01/\",\"bt\":1732600000,\"bu\":\"ug/m3\",\"n\":\"pm25\",\"v\":23.4},"
    "{\"n\":\"pm10\",\"v\":41,\"t\":-60},"
    "{\"n\":\"co\",\"u\":\"mg/m3\",\"v\":0.6,\"t\":0.5},"
    "{\"n\":\"door\",\"vb\":true},"
    "{\"n\":\"status\",\"vs\":\"ok\"}]";

/* Decode from an exact-size heap copy so ASan catches any read past @len. */
static int decode_n(const char *buf, size_t len, size_t max, struct result *r)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    memset(r, 0, sizeof(*r));
    rc = decoder_senml.decode(NULL, copy, len, &r->msg, r->f, max, &r->err);
    free(copy);
    if (rc < 0) {
        assert_int_equal(r->err.code, rc);
        assert_true(r->err.detail[0] != '\0');
    } else {
        assert_int_equal(r->msg.n_fields, rc);
    }
    return rc;
}

static int decode(const char *json, struct result *r)
{
    return decode_n(json, strlen(json), MAX_FIELDS, r);
}

static void expect(const char *json, int code)
{
    struct result r;
    int rc = decode(json, &r);

    if (rc != code)
        print_error("input %s: got %d (%s)\n", json, rc, r.err.detail);
    assert_int_equal(rc, code);
}

static void test_station_pack(void **state)
{
    struct result r;

    assert_int_equal(decode(station_pack, &r), 5);
    assert_string_equal(r.msg.device, "aqm-01");
    assert_int_equal(r.msg.ts_ms, 0);

    assert_string_equal(r.f[0].name, "pm25");
    assert_int_equal(r.f[0].kind, DEC_NUM);
    assert_true(r.f[0].num == 23.4);
    assert_string_equal(r.f[0].unit, "ug/m3");
    assert_int_equal(r.f[0].ts_ms, 1732600000000LL);
    assert_int_equal(r.f[0].flag, 0);

    assert_string_equal(r.f[1].name, "pm10");
    assert_true(r.f[1].num == 41);
    assert_string_equal(r.f[1].unit, "ug/m3");
    assert_int_equal(r.f[1].ts_ms, 1732599940000LL);

    assert_string_equal(r.f[2].name, "co");
    assert_true(r.f[2].num == 0.6);
    assert_string_equal(r.f[2].unit, "mg/m3");
    assert_int_equal(r.f[2].ts_ms, 1732600000500LL);

    assert_string_equal(r.f[3].name, "door");
    assert_int_equal(r.f[3].kind, DEC_BOOL);
    assert_true(r.f[3].num == 1);

    assert_string_equal(r.f[4].name, "status");
    assert_int_equal(r.f[4].kind, DEC_STR);
    assert_string_equal(r.f[4].str, "ok");
}

static void test_no_time_no_base(void **state)
{
    struct result r;

    assert_int_equal(decode(" [ { \"n\" : \"temp\" , \"v\" : -21.5e0 } ] \n", &r), 1);
    assert_string_equal(r.msg.device, "");
    assert_string_equal(r.f[0].name, "temp");
    assert_true(r.f[0].num == -21.5);
    assert_string_equal(r.f[0].unit, "");
    assert_int_equal(r.f[0].ts_ms, 0);
}

static void test_rfc_style_urn(void **state)
{
    struct result r;

    assert_int_equal(decode("[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"temp\","
                            "\"u\":\"Cel\",\"v\":23.1,\"bver\":10}]",
                            &r),
                     1);
    assert_string_equal(r.msg.device, "urn:dev:ow:10e2073a01080063");
    assert_string_equal(r.f[0].name, "temp");
    assert_string_equal(r.f[0].unit, "Cel");
    /* A bn without a trailing separator is the device as it stands. */
    assert_int_equal(decode("[{\"bn\":\"dev1\",\"n\":\"x\",\"v\":1}]", &r), 1);
    assert_string_equal(r.msg.device, "dev1");
    /* Only one separator is removed. */
    assert_int_equal(decode("[{\"bn\":\"dev1//\",\"n\":\"x\",\"v\":1}]", &r), 1);
    assert_string_equal(r.msg.device, "dev1/");
    /* The same bn again is the same device. */
    assert_int_equal(decode("[{\"bn\":\"d:\",\"n\":\"x\",\"v\":1},{\"bn\":\"d:\",\"n\":\"y\","
                            "\"v\":2}]",
                            &r),
                     2);
}

static void test_base_value_and_sum(void **state)
{
    struct result r;

    assert_int_equal(decode("[{\"bn\":\"m1:\",\"bv\":100,\"n\":\"a\",\"v\":1.5},"
                            "{\"n\":\"b\",\"v\":-2},"
                            "{\"n\":\"c\",\"s\":10,\"bs\":5},"
                            "{\"n\":\"d\",\"v\":3,\"s\":7}]",
                            &r),
                     4);
    assert_true(r.f[0].num == 101.5);
    assert_true(r.f[1].num == 98);
    assert_int_equal(r.f[2].kind, DEC_NUM);
    assert_true(r.f[2].num == 15);
    assert_true(r.f[3].num == 103); /* v wins over s */
}

static void test_times(void **state)
{
    struct result r;

    /* t = 0 and bt + t = 0 both mean "now": the receive time is used. */
    assert_int_equal(decode("[{\"n\":\"a\",\"v\":1,\"t\":0}]", &r), 1);
    assert_int_equal(r.f[0].ts_ms, 0);
    assert_int_equal(decode("[{\"bt\":-5,\"n\":\"a\",\"v\":1,\"t\":5}]", &r), 1);
    assert_int_equal(r.f[0].ts_ms, 0);
    /* Absolute t alone; fractional seconds. */
    assert_int_equal(decode("[{\"n\":\"a\",\"v\":1,\"t\":1700000000.25}]", &r), 1);
    assert_int_equal(r.f[0].ts_ms, 1700000000250LL);
    /* 2^28 exactly is absolute. */
    assert_int_equal(decode("[{\"n\":\"a\",\"v\":1,\"t\":268435456}]", &r), 1);
    assert_int_equal(r.f[0].ts_ms, 268435456000LL);
    /* bt carries to later records. */
    assert_int_equal(decode("[{\"bt\":1.7e9,\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2,"
                            "\"t\":10}]",
                            &r),
                     2);
    assert_int_equal(r.f[1].ts_ms, 1700000010000LL);
    expect("[{\"n\":\"a\",\"v\":1,\"t\":-5}]", DEC_ERR_TIMESTAMP);
    expect("[{\"n\":\"a\",\"v\":1,\"t\":268435455}]", DEC_ERR_TIMESTAMP);
    expect("[{\"bt\":100,\"n\":\"a\",\"v\":1}]", DEC_ERR_TIMESTAMP);
    expect("[{\"n\":\"a\",\"v\":1,\"t\":253402300800}]", DEC_ERR_TIMESTAMP);
    expect("[{\"n\":\"a\",\"v\":1,\"t\":1e300}]", DEC_ERR_TIMESTAMP);
}

static void test_string_values(void **state)
{
    struct result r;

    assert_int_equal(decode("[{\"n\":\"a\",\"vs\":\"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\"}]", &r),
                     1);
    assert_string_equal(r.f[0].str, "x\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
    assert_int_equal(decode("[{\"n\":\"blob\",\"vd\":\"aGVsbG8\"}]", &r), 1);
    assert_int_equal(r.f[0].kind, DEC_STR);
    assert_string_equal(r.f[0].str, "aGVsbG8");
    assert_int_equal(decode("[{\"n\":\"off\",\"vb\":false}]", &r), 1);
    assert_int_equal(r.f[0].kind, DEC_BOOL);
    assert_true(r.f[0].num == 0);
}

static void test_long_string_cut_at_character(void **state)
{
    char json[256];
    struct result r;

    /* 20 x U+6E29 (3 bytes each): 47 bytes of room hold 15 whole characters. */
    snprintf(json, sizeof(json), "[{\"n\":\"a\",\"vs\":\"%s\"}]",
             "温温温温温温温温温温温温温温温温温温温温");
    assert_int_equal(decode(json, &r), 1);
    assert_int_equal(strlen(r.f[0].str), 45);
    assert_memory_equal(r.f[0].str, "温温温温温温温温温温温温温温温", 45);
}

static void test_empty_pack(void **state)
{
    struct result r;

    assert_int_equal(decode("[]", &r), 0);
    assert_int_equal(decode("[ ]", &r), 0);
}

static void test_unknown_labels(void **state)
{
    struct result r;

    assert_int_equal(decode("[{\"n\":\"a\",\"v\":1,\"ut\":30,\"foo\":{\"x\":[1,2,null]},"
                            "\"bar\":null}]",
                            &r),
                     1);
    expect("[{\"n\":\"a\",\"v\":1,\"foo_\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1,\"longer_label_\":1}]", DEC_ERR_SHAPE);
}

static void test_syntax_errors(void **state)
{
    expect("", DEC_ERR_SYNTAX);
    expect("   ", DEC_ERR_SYNTAX);
    expect("[", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1}", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1},]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1,}]", DEC_ERR_SYNTAX);
    expect("[{'n':\"a\",\"v\":1}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":01}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1.}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":+1}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":NaN}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":tru}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1}] x", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"v\":1}][]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"\xff\"}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"\\x\"}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"\\ud800\"}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"\\udc00\"}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"\\u12G4\"}]", DEC_ERR_SYNTAX);
    expect("[{\"n\":\"a\",\"vs\":\"tab\there\"}]", DEC_ERR_SYNTAX);
    expect("\xEF\xBB\xBF[]", DEC_ERR_SYNTAX); /* a BOM is not JSON */
}

static void test_shape_errors(void **state)
{
    char deep[128];

    expect("{\"n\":\"a\",\"v\":1}", DEC_ERR_SHAPE);
    expect("42", DEC_ERR_SHAPE);
    expect("[1]", DEC_ERR_SHAPE);
    expect("[[]]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1},\"x\"]", DEC_ERR_SHAPE);
    /* No value, two values. */
    expect("[{\"n\":\"a\"}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"bv\":1}]", DEC_ERR_SHAPE);
    expect("[{}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1,\"vs\":\"x\"}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"vb\":true,\"vd\":\"x\"}]", DEC_ERR_SHAPE);
    /* Names. */
    expect("[{\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bn\":\"d:\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a b\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"-a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\\u0000b\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"温度\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bn\":\"_d\",\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bn\":\"d e\",\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1},{\"n\":\"x\",\"v\":1},{\"n\":\"b\",\"vs\":\"\\u0000\"}]",
           DEC_ERR_SHAPE);
    /* Wrong JSON types. */
    expect("[{\"n\":\"a\",\"v\":\"1\"}]", DEC_ERR_SHAPE);
    expect("[{\"n\":1,\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"vb\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"vs\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1,\"t\":\"now\"}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1,\"u\":null}]", DEC_ERR_SHAPE);
    expect("[{\"bn\":[],\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    /* Duplicates, versions, devices, sizes. */
    expect("[{\"n\":\"a\",\"v\":1,\"v\":2}]", DEC_ERR_SHAPE);
    expect("[{\"bver\":11,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bver\":1.5,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bver\":0,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"bn\":\"a:\",\"n\":\"x\",\"v\":1},{\"bn\":\"b:\",\"n\":\"y\",\"v\":2}]",
           DEC_ERR_SHAPE);
    expect("[{\"n\":\"x\",\"v\":1},{\"bn\":\"b:\",\"n\":\"y\",\"v\":2}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"u\":\"0123456789abcdef\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"u\":\"a\\nb\",\"v\":1}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1e999}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1e308,\"bv\":1e308}]", DEC_ERR_SHAPE);
    expect("[{\"n\":\"a\",\"v\":1."
           "0000000000000000000000000000000000000000000000000000000000000000001}]",
           DEC_ERR_SHAPE); /* 69 characters: longer than the number buffer */
    /* Nesting beyond the scanner's limit, inside an ignored label. */
    snprintf(deep, sizeof(deep), "[{\"n\":\"a\",\"v\":1,\"x\":%.40s%.40s}]",
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    expect(deep, DEC_ERR_SHAPE);
}

static void test_name_lengths(void **state)
{
    char json[256];
    char name[80];
    struct result r;

    memset(name, 'a', sizeof(name));
    name[63] = '\0';
    snprintf(json, sizeof(json), "[{\"n\":\"%s\",\"v\":1}]", name);
    assert_int_equal(decode(json, &r), 1);
    assert_int_equal(strlen(r.f[0].name), 63);
    name[63] = 'a';
    name[64] = '\0';
    snprintf(json, sizeof(json), "[{\"n\":\"%s\",\"v\":1}]", name);
    expect(json, DEC_ERR_SHAPE);
    /* bn up to 63 bytes after the separator is removed. */
    name[63] = ':';
    snprintf(json, sizeof(json), "[{\"bn\":\"%s\",\"n\":\"x\",\"v\":1}]", name);
    assert_int_equal(decode(json, &r), 1);
    assert_int_equal(strlen(r.msg.device), 63);
    name[63] = 'a';
    snprintf(json, sizeof(json), "[{\"bn\":\"%s\",\"n\":\"x\",\"v\":1}]", name);
    expect(json, DEC_ERR_SHAPE);
}

static void test_too_many(void **state)
{
    static const char three[] =
        "[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2},{\"n\":\"c\",\"v\":3}]";
    struct result r;

    assert_int_equal(decode_n(three, strlen(three), 3, &r), 3);
    assert_int_equal(decode_n(three, strlen(three), 2, &r), DEC_ERR_TOO_MANY);
    assert_int_equal(decode_n(three, strlen(three), 0, &r), DEC_ERR_TOO_MANY);
}

static void test_every_truncation_rejected(void **state)
{
    size_t len = strlen(station_pack);
    struct result r;

    for (size_t i = 0; i < len; i++)
        assert_true(decode_n(station_pack, i, MAX_FIELDS, &r) < 0);
}

static void test_null_arguments(void **state)
{
    struct result r;

    assert_int_equal(decoder_senml.decode(NULL, NULL, 0, &r.msg, r.f, MAX_FIELDS, &r.err),
                     DEC_ERR_SYNTAX);
    assert_int_equal(decoder_senml.decode(NULL, "[]", 2, NULL, NULL, 0, NULL), 0);
}

static void test_decoding_allocates_nothing(void **state)
{
    struct result r;

    xalloc_fail_at(1);
    assert_int_equal(decode(station_pack, &r), 5);
    assert_int_equal(xalloc_count(), 0);
    xalloc_fail_at(0);
}

static void test_registered_name(void **state)
{
    assert_string_equal(decoder_senml.name, "senml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_station_pack),
        cmocka_unit_test(test_no_time_no_base),
        cmocka_unit_test(test_rfc_style_urn),
        cmocka_unit_test(test_base_value_and_sum),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_string_values),
        cmocka_unit_test(test_long_string_cut_at_character),
        cmocka_unit_test(test_empty_pack),
        cmocka_unit_test(test_unknown_labels),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_decoding_allocates_nothing),
        cmocka_unit_test(test_registered_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
