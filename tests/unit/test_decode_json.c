/*
 * Tests of the flat JSON decoder (devices/decode_json.c): field kinds,
 * dotted names for nested objects, skipped arrays, the message time in its
 * accepted forms (seconds, milliseconds, ISO 8601, numeric string, null,
 * a custom time_field), NaN/Infinity, string escapes, every rejection kind,
 * and decoding from exact-size heap buffers (no NUL terminator) at every
 * prefix length so that ASan catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "textparse.h"
#include "xalloc.h"

#define MAX_FIELDS 16

/* 2024-11-26T00:00:00Z = 20053 days * 86400 s (20053 = days from 1970 to that date). */
#define NOV26_MS 1732579200000LL

struct result {
    struct dec_msg msg;
    struct dec_field f[MAX_FIELDS];
    struct dec_error err;
};

/* Decode from an exact-size heap copy so ASan catches any read past @len. */
static int decode_opts(const struct dec_opts *opt, const char *buf, size_t len, size_t max,
                       struct result *r)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    memset(r, 0, sizeof(*r));
    rc = decoder_json.decode(opt, copy, len, &r->msg, r->f, max, &r->err);
    free(copy);
    if (rc < 0) {
        assert_int_equal(r->err.code, rc);
        assert_true(r->err.detail[0] != '\0');
    } else {
        assert_int_equal(r->msg.n_fields, rc);
    }
    return rc;
}

static int decode_n(const char *buf, size_t len, size_t max, struct result *r)
{
    return decode_opts(NULL, buf, len, max, r);
}

static int decode(const char *json, struct result *r)
{
    return decode_n(json, strlen(json), MAX_FIELDS, r);
}

static int decode_max(const char *json, size_t max, struct result *r)
{
    return decode_n(json, strlen(json), max, r);
}

static void expect(const char *json, int code)
{
    struct result r;
    int rc = decode(json, &r);

    if (rc != code)
        print_error("input %s: got %d (%s), want %d\n", json, rc, r.err.detail, code);
    assert_int_equal(rc, code);
}

static int64_t time_of(const char *json)
{
    struct result r;
    int rc = decode(json, &r);

    if (rc < 0)
        print_error("input %s: %s\n", json, r.err.detail);
    assert_true(rc >= 0);
    return r.msg.ts_ms;
}

static void test_flat_kinds(void **state)
{
    struct result r;

    assert_int_equal(decode("{\"ts\":1732579200,\"pm25\":23.4,\"name\":\"abc\",\"ok\":true,"
                            "\"off\":false,\"nothing\":null,\"neg\":-7e-1}",
                            &r),
                     6);
    assert_int_equal(r.msg.ts_ms, NOV26_MS);
    assert_string_equal(r.msg.device, "");
    assert_int_equal(r.msg.n_skipped, 0);

    assert_string_equal(r.f[0].name, "pm25");
    assert_int_equal(r.f[0].kind, DEC_NUM);
    assert_true(r.f[0].num == 23.4);
    assert_int_equal(r.f[0].ts_ms, 0);
    assert_string_equal(r.f[0].unit, "");
    assert_int_equal(r.f[0].flag, 0);

    assert_string_equal(r.f[1].name, "name");
    assert_int_equal(r.f[1].kind, DEC_STR);
    assert_string_equal(r.f[1].str, "abc");

    assert_string_equal(r.f[2].name, "ok");
    assert_int_equal(r.f[2].kind, DEC_BOOL);
    assert_true(r.f[2].num == 1);

    assert_string_equal(r.f[3].name, "off");
    assert_int_equal(r.f[3].kind, DEC_BOOL);
    assert_true(r.f[3].num == 0);

    assert_string_equal(r.f[4].name, "nothing");
    assert_int_equal(r.f[4].kind, DEC_NULL);

    assert_string_equal(r.f[5].name, "neg");
    assert_int_equal(r.f[5].kind, DEC_NUM);
    assert_true(r.f[5].num == -0.7);
}

static void test_whitespace_and_empty(void **state)
{
    struct result r;

    assert_int_equal(decode(" \t\r\n{ \"a\" : 1 ,\n\"b\" :\t2 } \r\n", &r), 2);
    assert_string_equal(r.f[1].name, "b");
    assert_true(r.f[1].num == 2);
    assert_int_equal(decode("{}", &r), 0);
    assert_int_equal(decode("{ }", &r), 0);
    assert_int_equal(r.msg.ts_ms, 0);
}

static void test_nested_objects_dotted(void **state)
{
    struct result r;

    assert_int_equal(decode("{\"a\":1,\"meta\":{\"rssi\":-70,\"gw\":{\"id\":\"g1\"},\"e\":{}},"
                            "\"b\":2}",
                            &r),
                     4);
    assert_string_equal(r.f[0].name, "a");
    assert_string_equal(r.f[1].name, "meta.rssi");
    assert_true(r.f[1].num == -70);
    assert_string_equal(r.f[2].name, "meta.gw.id");
    assert_string_equal(r.f[2].str, "g1");
    /* After the nested object the path is back at the top. */
    assert_string_equal(r.f[3].name, "b");
    /* A "ts" below the top level is a field, not the message time. */
    assert_int_equal(decode("{\"meta\":{\"ts\":5}}", &r), 1);
    assert_string_equal(r.f[0].name, "meta.ts");
    assert_int_equal(r.msg.ts_ms, 0);
}

static void test_arrays_skipped(void **state)
{
    struct result r;

    assert_int_equal(decode("{\"a\":1,\"arr\":[1,2,3],\"e\":[],\"c\":2}", &r), 2);
    assert_string_equal(r.f[0].name, "a");
    assert_true(r.f[0].num == 1);
    assert_string_equal(r.f[1].name, "c");
    assert_true(r.f[1].num == 2);
    assert_int_equal(r.msg.n_skipped, 2);
    /* Objects inside arrays bring no fields either. */
    assert_int_equal(decode("{\"x\":[{\"y\":1},\"s\",null,true],\"z\":3}", &r), 1);
    assert_string_equal(r.f[0].name, "z");
    assert_true(r.f[0].num == 3);
    assert_int_equal(r.msg.n_skipped, 1);
    /* An array inside an object: the path resumes correctly after it. */
    assert_int_equal(decode("{\"m\":{\"l\":[1],\"k\":4}}", &r), 1);
    assert_string_equal(r.f[0].name, "m.k");
}

static void test_arrays_do_not_use_field_slots(void **state)
{
    struct result r;

    /* Values inside arrays are not fields, so they must not count against the caller's
     * buffer: with room for exactly one field, {"a":1,"arr":[2]} has one field. */
    assert_int_equal(decode_max("{\"a\":1,\"arr\":[2]}", 1, &r), 1);
    assert_string_equal(r.f[0].name, "a");
    assert_int_equal(r.msg.n_skipped, 1);
}

static void test_time_forms(void **state)
{
    struct result r;

    /* seconds, milliseconds, fractional seconds */
    assert_int_equal(time_of("{\"ts\":1732579200}"), NOV26_MS);
    assert_int_equal(time_of("{\"ts\":1732579200123}"), NOV26_MS + 123);
    assert_int_equal(time_of("{\"ts\":1732579200.25}"), NOV26_MS + 250);
    /* ISO 8601 with offset: 08:00 at +08:00 is midnight UTC. */
    assert_int_equal(time_of("{\"ts\":\"2024-11-26T08:00:00+08:00\"}"), NOV26_MS);
    assert_int_equal(time_of("{\"ts\":\"2024-11-26T00:00:00.5Z\"}"), NOV26_MS + 500);
    /* numeric strings */
    assert_int_equal(time_of("{\"ts\":\"1732579200\"}"), NOV26_MS);
    assert_int_equal(time_of("{\"ts\":\"1732579200123\"}"), NOV26_MS + 123);
    /* null: no device time */
    assert_int_equal(time_of("{\"ts\":null,\"a\":1}"), 0);
    /* The time is not a field. */
    assert_int_equal(decode("{\"a\":1,\"ts\":1732579200,\"b\":2}", &r), 2);
    assert_string_equal(r.f[0].name, "a");
    assert_string_equal(r.f[1].name, "b");
}

static void test_custom_time_field(void **state)
{
    static const char json[] = "{\"time\":\"2024-11-26T08:00:00+08:00\",\"ts\":5,\"v\":1}";
    const struct dec_opts opt = {.time_field = "time"};
    const struct dec_opts no_field = {.time_field = NULL};
    struct result r;

    assert_int_equal(decode_opts(&opt, json, strlen(json), MAX_FIELDS, &r), 2);
    assert_int_equal(r.msg.ts_ms, NOV26_MS);
    /* "ts" is an ordinary field now. */
    assert_string_equal(r.f[0].name, "ts");
    assert_true(r.f[0].num == 5);
    assert_string_equal(r.f[1].name, "v");

    /* A NULL time_field means "ts": 5 s after the epoch. */
    assert_int_equal(decode_opts(&no_field, json, strlen(json), MAX_FIELDS, &r), 2);
    assert_int_equal(r.msg.ts_ms, 5000);
    assert_string_equal(r.f[0].name, "time");
    assert_int_equal(r.f[0].kind, DEC_STR);
}

static void test_time_errors(void **state)
{
    expect("{\"ts\":{}}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":{\"s\":1}}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":true}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":false}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":[1]}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":-1}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":NaN}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":Infinity}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":\"yesterday\"}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":\"\"}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":\"2024-13-01T00:00:00Z\"}", DEC_ERR_TIMESTAMP);
    expect("{\"ts\":\"-5\"}", DEC_ERR_TIMESTAMP);
}

static void test_non_finite_numbers(void **state)
{
    struct result r;

    assert_int_equal(decode("{\"a\":NaN,\"b\":Infinity,\"c\":-Infinity,\"d\":1e400,"
                            "\"e\":-1e400,\"f\":1e-400}",
                            &r),
                     6);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.f[i].kind, DEC_NUM);
    assert_true(isnan(r.f[0].num));
    assert_true(isinf(r.f[1].num) && r.f[1].num > 0);
    assert_true(isinf(r.f[2].num) && r.f[2].num < 0);
    /* Overflow reads as infinity, so ingest refuses the one value. */
    assert_true(isinf(r.f[3].num) && r.f[3].num > 0);
    assert_true(isinf(r.f[4].num) && r.f[4].num < 0);
    /* Underflow is zero (a finite, if tiny, value). */
    assert_true(r.f[5].num == 0);
    /* "-NaN" is not a thing. */
    expect("{\"a\":-NaN}", DEC_ERR_SYNTAX);
    expect("{\"a\":nan}", DEC_ERR_SYNTAX);
    expect("{\"a\":Inf}", DEC_ERR_SYNTAX);
}

static void test_string_escapes(void **state)
{
    struct result r;

    assert_int_equal(
        decode("{\"s\":\"a\\nb\\\"c\\\\d\\/e\\u00e9\\ud83d\\ude00\",\"t\":\"\\b\\f\\r\\t\"}", &r),
        2);
    /* é is U+00E9 = C3 A9; U+1F600 (from the pair D83D DE00) = F0 9F 98 80. */
    assert_string_equal(r.f[0].str, "a\nb\"c\\d/e\xC3\xA9\xF0\x9F\x98\x80");
    assert_string_equal(r.f[1].str, "\b\f\r\t");
    /* Escapes in keys too: "\u0061" is "a". */
    assert_int_equal(decode("{\"\\u0061\\u4e2d\":1}", &r), 1);
    assert_string_equal(r.f[0].name, "a\xE4\xB8\xAD"); /* U+4E2D 中 = E4 B8 AD */
    /* Raw UTF-8 passes through. */
    assert_int_equal(decode("{\"site\":\"徐汇\"}", &r), 1);
    assert_string_equal(r.f[0].str, "徐汇");
    /* DEL (0x7F) is not a control character in JSON. */
    assert_int_equal(decode("{\"s\":\"\x7F\"}", &r), 1);
    assert_string_equal(r.f[0].str, "\x7F");
}

static void test_long_string_truncated(void **state)
{
    char json[256];
    char sixty[61];
    struct result r;

    memset(sixty, 'x', 60);
    sixty[60] = '\0';
    snprintf(json, sizeof(json), "{\"s\":\"%s\",\"n\":1}", sixty);
    assert_int_equal(decode(json, &r), 2);
    /* DEC_STR_MAX 48 holds 47 bytes and the NUL. */
    assert_int_equal(strlen(r.f[0].str), 47);
    assert_memory_equal(r.f[0].str, sixty, 47);
    assert_true(r.f[1].num == 1);
}

static void test_long_string_cut_at_character(void **state)
{
    char json[256];
    struct result r;

    /* 20 x U+6E29 (3 bytes each): 47 bytes of room hold 15 whole characters = 45 bytes.
     * Cutting inside the 16th would leave invalid UTF-8 in the field (the senml decoder
     * cuts at a character boundary for the same reason). */
    snprintf(json, sizeof(json), "{\"s\":\"%s\"}", "温温温温温温温温温温温温温温温温温温温温");
    assert_int_equal(decode(json, &r), 1);
    assert_true(utf8_valid(r.f[0].str, strlen(r.f[0].str)));
    assert_int_equal(strlen(r.f[0].str), 45);
    assert_memory_equal(r.f[0].str, "温温温温温温温温温温温温温温温", 45);
}

static void test_long_escaped_string_cut_without_a_hole(void **state)
{
    char json[256];
    char head[47];
    struct result r;

    /* 45 x 'a', then \u6e29 (3 bytes: 45 + 3 > 47 bytes of room), then "bc".
     * The cut is at the escaped character: nothing after it is kept, so the
     * field is the first 45 bytes, not "aaa...abc" with the character missing. */
    memset(head, 'a', 45);
    head[45] = '\0';
    snprintf(json, sizeof(json), "{\"s\":\"%s\\u6e29bc\"}", head);
    assert_int_equal(decode(json, &r), 1);
    assert_string_equal(r.f[0].str, head);
}

static void test_name_lengths(void **state)
{
    char json[400];
    char name[100];
    struct result r;

    /* A 63-byte name fits DEC_NAME_MAX (64 with the NUL). */
    memset(name, 'a', sizeof(name));
    name[63] = '\0';
    snprintf(json, sizeof(json), "{\"%s\":1,\"b\":2}", name);
    assert_int_equal(decode(json, &r), 2);
    assert_int_equal(strlen(r.f[0].name), 63);
    assert_int_equal(r.msg.n_skipped, 0);

    /* A nested path of 64 bytes or more is skipped and counted. */
    name[60] = '\0';
    snprintf(json, sizeof(json), "{\"meta\":{\"%s\":1},\"b\":2}", name); /* 4 + 1 + 60 = 65 */
    assert_int_equal(decode(json, &r), 1);
    assert_string_equal(r.f[0].name, "b");
    assert_int_equal(r.msg.n_skipped, 1);
}

static void test_long_top_level_name_skipped(void **state)
{
    char json[400];
    char name[101];
    struct result r;

    /* A top-level name of 64 or 100 bytes does not fit either: it must be skipped like the
     * long nested path above, not reported under its first 63 bytes (two names sharing
     * those 63 bytes would otherwise land on the same metric). */
    memset(name, 'a', sizeof(name));
    name[64] = '\0';
    snprintf(json, sizeof(json), "{\"%s\":1,\"b\":2}", name);
    assert_int_equal(decode(json, &r), 1);
    assert_string_equal(r.f[0].name, "b");
    assert_int_equal(r.msg.n_skipped, 1);

    name[64] = 'a';
    name[100] = '\0';
    snprintf(json, sizeof(json), "{\"%s\":1,\"b\":2}", name);
    assert_int_equal(decode(json, &r), 1);
    assert_string_equal(r.f[0].name, "b");
    assert_int_equal(r.msg.n_skipped, 1);
}

static void test_syntax_errors(void **state)
{
    static const char *const syntax[] = {
        "",
        "   \n",
        "{",
        "{\"a\":\"abc",               /* unterminated string */
        "{\"a\":\"abc\\",             /* escape at the end */
        "{\"a\":1",                   /* unterminated object */
        "{\"a\":1,",                  /* ... after a comma */
        "{\"a\":{\"b\":1}",           /* inner closed, outer not */
        "{\"a\":[1,2}",               /* unterminated array */
        "{} x",                       /* trailing data */
        "{}{}",                       /* a second object */
        "{\"a\":tru}",                /* bad literals */
        "{\"a\":True}",               /* */
        "{\"a\":nul}",                /* */
        "{\"a\":fals}",               /* */
        "{\"a\":01}",                 /* leading zero */
        "{\"a\":-01}",                /* */
        "{\"a\":-}",                  /* */
        "{\"a\":1.}",                 /* */
        "{\"a\":.5}",                 /* */
        "{\"a\":1e}",                 /* */
        "{\"a\":1e+}",                /* */
        "{\"a\":+1}",                 /* */
        "{\"a\":0x10}",               /* */
        "{\"a\":\"\\x\"}",            /* bad escape */
        "{\"a\":\"\\u12G4\"}",        /* */
        "{\"a\":\"\\u12\"}",          /* short \u */
        "{\"a\":\"\\udc00\"}",        /* lone low surrogate */
        "{\"a\":\"\\ud83d\"}",        /* high surrogate alone */
        "{\"a\":\"\\ud83dx\"}",       /* */
        "{\"a\":\"\\ud83d\\u0041\"}", /* high surrogate with a non-surrogate */
        "{\"a\":\"a\tb\"}",           /* raw control character */
        "{\"a\":\"a\nb\"}",           /* */
        "{\"a\":\"\x01\"}",           /* */
        "{\"a\":1,}",                 /* trailing comma */
        "{,\"a\":1}",                 /* */
        "{\"a\" 1}",                  /* missing colon */
        "{\"a\":}",                   /* missing value */
        "{a:1}",                      /* unquoted key */
        "{'a':1}",                    /* single quotes */
        "{\"a\":1 \"b\":2}",          /* missing comma */
        "{\"a\":[1 2]}",              /* */
        "{\"a\":[1,]}",               /* */
    };

    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
        expect(syntax[i], DEC_ERR_SYNTAX);
}

static void test_shape_errors(void **state)
{
    expect("[1]", DEC_ERR_SHAPE);
    expect("[{\"a\":1}]", DEC_ERR_SHAPE);
    expect("\"x\"", DEC_ERR_SHAPE);
    expect("5", DEC_ERR_SHAPE);
    expect("null", DEC_ERR_SHAPE);
    expect("  true", DEC_ERR_SHAPE);
}

/* An object nested @levels deep: {"a":{"a":...{"a":1}...}}. */
static void nested(char *buf, size_t cap, int levels, char open, char close)
{
    size_t n = 0;

    for (int i = 0; i < levels; i++) {
        if (i == levels - 1 && open == '[')
            n += (size_t)snprintf(buf + n, cap - n, "{\"a\":[");
        else
            n += (size_t)snprintf(buf + n, cap - n, "{\"a\":");
    }
    n += (size_t)snprintf(buf + n, cap - n, "1");
    if (open == '[')
        n += (size_t)snprintf(buf + n, cap - n, "]");
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%c", close);
    assert_true(n < cap);
}

static void test_nesting_depth(void **state)
{
    char json[512];
    struct result r;

    /* 16 nested objects (depths 0..15) are allowed; the one field is "a.a....a" (16 a's). */
    nested(json, sizeof(json), 16, '{', '}');
    assert_int_equal(decode(json, &r), 1);
    assert_int_equal(strlen(r.f[0].name), 31);
    /* 17 objects are too deep. */
    nested(json, sizeof(json), 17, '{', '}');
    expect(json, DEC_ERR_SHAPE);
    /* An array at depth 16 is too deep as well. */
    nested(json, sizeof(json), 16, '[', '}');
    expect(json, DEC_ERR_SHAPE);
    nested(json, sizeof(json), 15, '[', '}');
    assert_int_equal(decode(json, &r), 0);
    assert_int_equal(r.msg.n_skipped, 1);
}

static void test_too_many(void **state)
{
    static const char three[] = "{\"a\":1,\"b\":2,\"c\":3}";
    struct result r;

    assert_int_equal(decode_n(three, strlen(three), 3, &r), 3);
    assert_int_equal(decode_n(three, strlen(three), 2, &r), DEC_ERR_TOO_MANY);
    assert_int_equal(decode_n(three, strlen(three), 0, &r), DEC_ERR_TOO_MANY);
    /* The time field takes no slot. */
    assert_int_equal(decode_max("{\"ts\":1,\"a\":1,\"b\":2}", 2, &r), 2);
}

static const char full_payload[] =
    "{\"ts\":\"2024-11-26T08:00:00+08:00\",\"pm25\":23.4,\"co\":-0.6e-1,\"z\":0,"
    "\"ok\":true,\"off\":false,\"n\":null,\"s\":\"a\\u00e9\\ud83d\\ude00\\n\","
    "\"meta\":{\"rssi\":-70,\"arr\":[1,[2],{\"x\":3}]},\"inf\":-Infinity,\"nan\":NaN}";

static void test_full_payload(void **state)
{
    struct result r;

    /* pm25 co z ok off n s meta.rssi inf nan = 10 fields, one array skipped. */
    assert_int_equal(decode(full_payload, &r), 10);
    assert_int_equal(r.msg.ts_ms, NOV26_MS);
    assert_string_equal(r.f[7].name, "meta.rssi");
    assert_string_equal(r.f[8].name, "inf");
    assert_true(r.f[1].num == -0.06);
}

static void test_every_prefix_rejected(void **state)
{
    size_t len = strlen(full_payload);
    struct result r;

    for (size_t i = 0; i < len; i++) {
        int rc = decode_n(full_payload, i, MAX_FIELDS, &r);
        if (rc >= 0)
            print_error("prefix of %zu bytes accepted\n", i);
        assert_true(rc < 0);
    }
    assert_int_equal(decode_n(full_payload, len, MAX_FIELDS, &r), 10);
}

static void test_decoding_allocates_nothing(void **state)
{
    struct result r;

    xalloc_fail_at(1);
    assert_int_equal(decode(full_payload, &r), 10);
    assert_int_equal(xalloc_count(), 0);
    xalloc_fail_at(0);
}

static void test_registered(void **state)
{
    assert_string_equal(decoder_json.name, "json");
    assert_ptr_equal(decoder_find("json"), &decoder_json);
    assert_null(decoder_find("xml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_kinds),
        cmocka_unit_test(test_whitespace_and_empty),
        cmocka_unit_test(test_nested_objects_dotted),
        cmocka_unit_test(test_arrays_skipped),
        cmocka_unit_test(test_arrays_do_not_use_field_slots),
        cmocka_unit_test(test_time_forms),
        cmocka_unit_test(test_custom_time_field),
        cmocka_unit_test(test_time_errors),
        cmocka_unit_test(test_non_finite_numbers),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_long_string_truncated),
        cmocka_unit_test(test_long_string_cut_at_character),
        cmocka_unit_test(test_long_escaped_string_cut_without_a_hole),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_long_top_level_name_skipped),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_nesting_depth),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_full_payload),
        cmocka_unit_test(test_every_prefix_rejected),
        cmocka_unit_test(test_decoding_allocates_nothing),
        cmocka_unit_test(test_registered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
