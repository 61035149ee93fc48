/*
 * Tests of the "senml" decoder (devices/decode_senml.c): every JSON example
 * of RFC 8428 with the resolved records its rules (§4.5, §4.6) give,
 * worked out by hand in the comments; base fields, the name splits (device
 * from bn, or from the resolved name), sums, versions, relative times
 * against the receive time, every rejection kind, JSON edge cases of the
 * hand-written scanner and truncation at every length. Expected values are
 * written out by hand, never taken from the decoder.
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
static int decode_opt(const char *buf, size_t len, const struct dec_opts *opt, size_t max,
                      struct result *r)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    memset(r, 0, sizeof(*r));
    rc = decoder_senml.decode(opt, copy, len, &r->msg, r->f, max, &r->err);
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
    return decode_opt(buf, len, NULL, max, r);
}

static int decode(const char *json, struct result *r)
{
    return decode_n(json, strlen(json), MAX_FIELDS, r);
}

static void expect_code_at(const char *json, int code)
{
    struct result r;
    int rc = decode_opt(json, strlen(json), &(struct dec_opts){.now_ms = 1732600800000LL},
                        MAX_FIELDS, &r);

    if (rc != code)
        print_error("input %s: got %d (%s)\n", json, rc, r.err.detail);
    assert_int_equal(rc, code);
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
                     5);
    /*
     * §4.5.4: value = bv + v; sum = bs + s when either is present, so from
     * record 2 on every record has a sum (bs applies onwards, §4). Record 2
     * has only a sum, record 3 both a value and a sum: two fields.
     */
    assert_true(r.f[0].num == 101.5);
    assert_false(r.f[0].is_sum);
    assert_true(r.f[1].num == 98);
    assert_string_equal(r.f[2].name, "c");
    assert_int_equal(r.f[2].kind, DEC_NUM);
    assert_true(r.f[2].is_sum);
    assert_true(r.f[2].num == 15);
    assert_string_equal(r.f[3].name, "d");
    assert_false(r.f[3].is_sum);
    assert_true(r.f[3].num == 103);
    assert_string_equal(r.f[4].name, "d");
    assert_true(r.f[4].is_sum);
    assert_true(r.f[4].num == 12);
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

/* The receive time the RFC examples are decoded at: 2024-11-26T06:00:00Z. */
#define RECV_MS 1732600800000LL

static const struct dec_opts at_recv = {.now_ms = RECV_MS};
static const struct dec_opts split_at_recv = {.now_ms = RECV_MS, .senml_device = DEC_SENML_SPLIT};
static const struct dec_opts name_at_recv = {.now_ms = RECV_MS, .senml_device = DEC_SENML_NAME};

static int decode_at(const char *json, const struct dec_opts *opt, struct result *r)
{
    int rc = decode_opt(json, strlen(json), opt, MAX_FIELDS, r);

    if (rc < 0)
        print_error("input %s: %s\n", json, r->err.detail);
    return rc;
}

/* One resolved record as the test expects it. */
static void expect_rec(const struct dec_field *f, const char *device, const char *name,
                       const char *unit, enum dec_kind kind, double v, int64_t ts_ms)
{
    assert_string_equal(f->device, device);
    assert_string_equal(f->name, name);
    assert_string_equal(f->unit, unit);
    assert_int_equal(f->kind, kind);
    if (kind == DEC_NUM || kind == DEC_BOOL)
        assert_true(fabs(f->num - v) < 1e-9);
    assert_int_equal(f->ts_ms, ts_ms);
    assert_false(f->is_sum);
}

/*
 * RFC 8428 §1 and §5.1.1, single data point. No bn: the resolved name is n
 * alone; no t, no bt: time 0, "now" (§4.5.3), i.e. the receive time.
 * Split "base": no base name, so no device; the field is the whole name.
 * Split "split": device up to the last ':', field after it.
 */
static void test_rfc_5_1_1_single_data_point(void **state)
{
    static const char pack[] =
        "[\n  {\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"v\":23.1}\n]";
    struct result r;

    assert_int_equal(decode_at(pack, &at_recv, &r), 1);
    expect_rec(&r.f[0], "", "urn:dev:ow:10e2073a01080063", "Cel", DEC_NUM, 23.1, RECV_MS);
    assert_string_equal(r.msg.device, "");
    assert_int_equal(r.msg.n_devices, 0);
    assert_int_equal(r.msg.notes, 0); /* time 0 is "now", no offset applied */

    assert_int_equal(decode_at(pack, &split_at_recv, &r), 1);
    expect_rec(&r.f[0], "urn:dev:ow", "10e2073a01080063", "Cel", DEC_NUM, 23.1, RECV_MS);
    assert_int_equal(decode_at(pack, &name_at_recv, &r), 1);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "", "Cel", DEC_NUM, 23.1, RECV_MS);

    /* Without a receive time "now" stays 0, for ingest to fill in. */
    assert_int_equal(decode(pack, &r), 1);
    assert_int_equal(r.f[0].ts_ms, 0);
}

/*
 * RFC 8428 §2, two measurements at absolute times 1.276020076e+09 and
 * 1.276020091e+09 s (>= 2^28: absolute), then the compact form with bn and
 * no n: "the n fields ... are empty strings". Both resolve to the same two
 * records: name urn:dev:ow:10e2073a01080063, Cel, 23.5 at 1276020076000 ms
 * and 23.6 at 1276020091000 ms. With split "base" the bn is the device and
 * the field name is empty.
 */
static void test_rfc_2_absolute_times_and_no_name(void **state)
{
    static const char full[] =
        "[{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"t\":1.276020076e+09,\"v\":23.5},"
        "{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"t\":1.276020091e+09,\"v\":23.6}]";
    static const char compact[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"t\":1.276020076e+09,"
        "\"v\":23.5},{\"u\":\"Cel\",\"t\":1.276020091e+09,\"v\":23.6}]";
    struct result r;

    assert_int_equal(decode_at(full, &at_recv, &r), 2);
    expect_rec(&r.f[0], "", "urn:dev:ow:10e2073a01080063", "Cel", DEC_NUM, 23.5, 1276020076000LL);
    expect_rec(&r.f[1], "", "urn:dev:ow:10e2073a01080063", "Cel", DEC_NUM, 23.6, 1276020091000LL);
    assert_int_equal(decode_at(full, &name_at_recv, &r), 2);
    expect_rec(&r.f[1], "urn:dev:ow:10e2073a01080063", "", "Cel", DEC_NUM, 23.6, 1276020091000LL);

    assert_int_equal(decode_at(compact, &at_recv, &r), 2);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "", "Cel", DEC_NUM, 23.5, 1276020076000LL);
    expect_rec(&r.f[1], "urn:dev:ow:10e2073a01080063", "", "Cel", DEC_NUM, 23.6, 1276020091000LL);
    assert_string_equal(r.msg.device, "urn:dev:ow:10e2073a01080063");
    assert_int_equal(r.msg.n_devices, 1);
    /* The same records whichever way the name splits when it is the device alone. */
    assert_int_equal(decode_at(compact, &name_at_recv, &r), 2);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "", "Cel", DEC_NUM, 23.5, 1276020076000LL);
}

/*
 * RFC 8428 §5.1.2, multiple data points "now": bn ends in ':', so the
 * resolved names are urn:dev:ow:10e2073a01080063:voltage (V, 120.1) and
 * ...:current (A, 1.2), both at the receive time. Device: the bn less its
 * ':' ("base"), or the resolved name up to its last ':' ("split") - the
 * same here.
 */
static void test_rfc_5_1_2_multiple_data_points_now(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},"
        "{\"n\":\"current\",\"u\":\"A\",\"v\":1.2}]";
    const struct dec_opts *modes[] = {&at_recv, &split_at_recv};
    struct result r;

    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(decode_at(pack, modes[i], &r), 2);
        expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "voltage", "V", DEC_NUM, 120.1, RECV_MS);
        expect_rec(&r.f[1], "urn:dev:ow:10e2073a01080063", "current", "A", DEC_NUM, 1.2, RECV_MS);
    }
    assert_int_equal(decode_at(pack, &name_at_recv, &r), 2);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063:voltage", "", "V", DEC_NUM, 120.1, RECV_MS);
}

/*
 * RFC 8428 §5.1.2, current over 5 seconds: bt = 1.276020076001e+09 s
 * (Tue Jun 8 18:01:16.001 UTC 2010 = 1276020076001 ms), bu "A", bver 5
 * (below 10: accepted, and every record has it, §4.4). voltage keeps u "V"
 * at bt; current t = -5..-1 and none are bt + t (absolute: the sum is above
 * 2^28), so 1276020071001 .. 1276020075001 ms and 1276020076001 ms, unit A.
 */
static void test_rfc_5_1_2_current_over_five_seconds(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a0108006:\",\"bt\":1.276020076001e+09,\n"
        "  \"bu\":\"A\",\"bver\":5,\n"
        "  \"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},\n"
        " {\"n\":\"current\",\"t\":-5,\"v\":1.2},\n"
        " {\"n\":\"current\",\"t\":-4,\"v\":1.3},\n"
        " {\"n\":\"current\",\"t\":-3,\"v\":1.4},\n"
        " {\"n\":\"current\",\"t\":-2,\"v\":1.5},\n"
        " {\"n\":\"current\",\"t\":-1,\"v\":1.6},\n"
        " {\"n\":\"current\",\"v\":1.7}]";
    static const double current[] = {1.2, 1.3, 1.4, 1.5, 1.6, 1.7};
    struct result r;

    assert_int_equal(decode_at(pack, &at_recv, &r), 7);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a0108006", "voltage", "V", DEC_NUM, 120.1,
               1276020076001LL);
    for (int i = 0; i < 6; i++)
        expect_rec(&r.f[1 + i], "urn:dev:ow:10e2073a0108006", "current", "A", DEC_NUM, current[i],
                   1276020071001LL + i * 1000LL);
    assert_int_equal(r.msg.notes, 0); /* all absolute */
}

/*
 * RFC 8428 §4.8 / §5.1.2, the SensML stream, transcribed up to t = 80 and
 * closed (the RFC's stream goes on, "..."). No n: every record is the base
 * name alone; bu %RH; bt 1.320067464e+09 (Mon Oct 31 13:24:24 UTC 2011);
 * t = 0, 10, ... 80 s after it.
 */
static void test_rfc_sensml_stream(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063\",\"bt\":1.320067464e+09,\"bu\":\"%RH\",\"v\":21.2}"
        ","
        "{\"t\":10,\"v\":21.3},{\"t\":20,\"v\":21.4},{\"t\":30,\"v\":21.4},{\"t\":40,\"v\":21.5},"
        "{\"t\":50,\"v\":21.5},{\"t\":60,\"v\":21.5},{\"t\":70,\"v\":21.6},{\"t\":80,\"v\":21.7}]";
    static const double v[] = {21.2, 21.3, 21.4, 21.4, 21.5, 21.5, 21.5, 21.6, 21.7};
    struct result r;

    assert_int_equal(decode_at(pack, &at_recv, &r), 9);
    for (int i = 0; i < 9; i++)
        expect_rec(&r.f[i], "urn:dev:ow:10e2073a01080063", "", "%RH", DEC_NUM, v[i],
                   1320067464000LL + i * 10000LL);
}

/*
 * RFC 8428 §5.1.3 (multiple measurements) and §5.1.4, which prints its
 * resolved form: both must give the same 13 records, all named
 * urn:dev:ow:10e2073a01080063 (no n), told apart by unit and time.
 * bt 1320067464; t 60, 120, 150, 180 give 1320067524, 1320067584,
 * 1320067614, 1320067644. Units: bu %RH unless u says lon, lat or %EL.
 */
static void test_rfc_5_1_3_and_5_1_4_resolved(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063\",\"bt\":1.320067464e+09,\"bu\":\"%RH\",\"v\":20},"
        "{\"u\":\"lon\",\"v\":24.30621},{\"u\":\"lat\",\"v\":60.07965},"
        "{\"t\":60,\"v\":20.3},{\"u\":\"lon\",\"t\":60,\"v\":24.30622},"
        "{\"u\":\"lat\",\"t\":60,\"v\":60.07965},{\"t\":120,\"v\":20.7},"
        "{\"u\":\"lon\",\"t\":120,\"v\":24.30623},{\"u\":\"lat\",\"t\":120,\"v\":60.07966},"
        "{\"u\":\"%EL\",\"t\":150,\"v\":98},{\"t\":180,\"v\":21.2},"
        "{\"u\":\"lon\",\"t\":180,\"v\":24.30628},{\"u\":\"lat\",\"t\":180,\"v\":60.07967}]";
#define N1 "{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":"
    static const char resolved[] = "[" N1 "\"%RH\",\"t\":1.320067464e+09,\"v\":20}," N1
                                   "\"lon\",\"t\":1.320067464e+09,\"v\":24.30621}," N1
                                   "\"lat\",\"t\":1.320067464e+09,\"v\":60.07965}," N1
                                   "\"%RH\",\"t\":1.320067524e+09,\"v\":20.3}," N1
                                   "\"lon\",\"t\":1.320067524e+09,\"v\":24.30622}," N1
                                   "\"lat\",\"t\":1.320067524e+09,\"v\":60.07965}," N1
                                   "\"%RH\",\"t\":1.320067584e+09,\"v\":20.7}," N1
                                   "\"lon\",\"t\":1.320067584e+09,\"v\":24.30623}," N1
                                   "\"lat\",\"t\":1.320067584e+09,\"v\":60.07966}," N1
                                   "\"%EL\",\"t\":1.320067614e+09,\"v\":98}," N1
                                   "\"%RH\",\"t\":1.320067644e+09,\"v\":21.2}," N1
                                   "\"lon\",\"t\":1.320067644e+09,\"v\":24.30628}," N1
                                   "\"lat\",\"t\":1.320067644e+09,\"v\":60.07967}]";
#undef N1
    static const struct {
        const char *unit;
        double v;
        int64_t t;
    } want[13] = {
        {"%RH", 20, 1320067464},       {"lon", 24.30621, 1320067464}, {"lat", 60.07965, 1320067464},
        {"%RH", 20.3, 1320067524},     {"lon", 24.30622, 1320067524}, {"lat", 60.07965, 1320067524},
        {"%RH", 20.7, 1320067584},     {"lon", 24.30623, 1320067584}, {"lat", 60.07966, 1320067584},
        {"%EL", 98, 1320067614},       {"%RH", 21.2, 1320067644},     {"lon", 24.30628, 1320067644},
        {"lat", 60.07967, 1320067644},
    };
    struct result r;

    assert_int_equal(decode_at(pack, &name_at_recv, &r), 13);
    for (int i = 0; i < 13; i++)
        expect_rec(&r.f[i], "urn:dev:ow:10e2073a01080063", "", want[i].unit, DEC_NUM, want[i].v,
                   want[i].t * 1000);
    assert_int_equal(decode_at(resolved, &name_at_recv, &r), 13);
    for (int i = 0; i < 13; i++)
        expect_rec(&r.f[i], "urn:dev:ow:10e2073a01080063", "", want[i].unit, DEC_NUM, want[i].v,
                   want[i].t * 1000);
    /* "base": the packed form names the device by bn; the resolved form has none. */
    assert_int_equal(decode_at(pack, &at_recv, &r), 13);
    assert_string_equal(r.f[12].device, "urn:dev:ow:10e2073a01080063");
    assert_int_equal(decode_at(resolved, &at_recv, &r), 13);
    assert_string_equal(r.f[12].device, "");
    assert_string_equal(r.f[12].name, "urn:dev:ow:10e2073a01080063");
}

/*
 * RFC 8428 §5.1.5, multiple data types: temp (Cel, 23.1), label (vs
 * "Machine Room"), open (vb false, 0), nfv-reader (vd "aGkgCg": data, kept
 * as text, which the store cannot hold).
 */
static void test_rfc_5_1_5_multiple_data_types(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"temp\",\"u\":\"Cel\",\"v\":23.1},"
        "{\"n\":\"label\",\"vs\":\"Machine Room\"},{\"n\":\"open\",\"vb\":false},"
        "{\"n\":\"nfv-reader\",\"vd\":\"aGkgCg\"}]";
    struct result r;

    assert_int_equal(decode_at(pack, &at_recv, &r), 4);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "temp", "Cel", DEC_NUM, 23.1, RECV_MS);
    expect_rec(&r.f[1], "urn:dev:ow:10e2073a01080063", "label", "", DEC_STR, 0, RECV_MS);
    assert_string_equal(r.f[1].str, "Machine Room");
    expect_rec(&r.f[2], "urn:dev:ow:10e2073a01080063", "open", "", DEC_BOOL, 0, RECV_MS);
    expect_rec(&r.f[3], "urn:dev:ow:10e2073a01080063", "nfv-reader", "", DEC_DATA, 0, RECV_MS);
    assert_string_equal(r.f[3].str, "aGkgCg");
}

/*
 * RFC 8428 §5.1.6, collection of resources: two devices in one pack. The
 * third record's bn replaces the first's; bt of the first record stays
 * (1.320078429e+09: "the last record would use the Base Name from the 3rd
 * record but the Base Time from the first record"). Resolved:
 * 2001:db8::2/temperature Cel 25.2, 2001:db8::2/humidity %RH 30,
 * 2001:db8::1/temperature Cel 12.3, 2001:db8::1/humidity %RH 67, all at
 * 1320078429000 ms. Device: bn less its '/' ("base"), or the resolved name
 * up to its last '/' ("split") - the same here.
 */
static void test_rfc_5_1_6_collection_of_resources(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"2001:db8::2/\",\"bt\":1.320078429e+09,\"n\":\"temperature\",\"u\":\"Cel\","
        "\"v\":25.2},{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":30},"
        "{\"bn\":\"2001:db8::1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":12.3},"
        "{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":67}]";
    const struct dec_opts *modes[] = {&at_recv, &split_at_recv};
    struct result r;

    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(decode_at(pack, modes[i], &r), 4);
        expect_rec(&r.f[0], "2001:db8::2", "temperature", "Cel", DEC_NUM, 25.2, 1320078429000LL);
        expect_rec(&r.f[1], "2001:db8::2", "humidity", "%RH", DEC_NUM, 30, 1320078429000LL);
        expect_rec(&r.f[2], "2001:db8::1", "temperature", "Cel", DEC_NUM, 12.3, 1320078429000LL);
        expect_rec(&r.f[3], "2001:db8::1", "humidity", "%RH", DEC_NUM, 67, 1320078429000LL);
        assert_int_equal(r.msg.n_devices, 2);
        assert_string_equal(r.msg.device, "2001:db8::2");
    }
}

/*
 * RFC 8428 §5.1.7, setting an actuator: the first record carries only a
 * base field (bn) and yields no record; temp Cel 23.1, heat "/" 1, fan "/"
 * 0 follow, "now". Then two lights named by n alone (bt 1.320078429e+09,
 * bu "/"): 2001:db8::3 and 2001:db8::4 at 1320078429000 ms; then the
 * dimming example, whose last two records are 0.1 s later (t 0.1 + bt:
 * 1320078429100 ms).
 */
static void test_rfc_5_1_7_actuators(void **state)
{
    static const char thermostat[] = "[{\"bn\":\"urn:dev:ow:10e2073a01080063:\"},"
                                     "{\"n\":\"temp\",\"u\":\"Cel\",\"v\":23.1},"
                                     "{\"n\":\"heat\",\"u\":\"/\",\"v\":1},"
                                     "{\"n\":\"fan\",\"u\":\"/\",\"v\":0}]";
    static const char lights_on[] =
        "[{\"bt\":1.320078429e+09,\"bu\":\"/\",\"n\":\"2001:db8::3\",\"v\":1},"
        "{\"n\":\"2001:db8::4\",\"v\":1}]";
    static const char lights_dim[] =
        "[{\"bt\":1.320078429e+09,\"bu\":\"/\",\"n\":\"2001:db8::3\",\"v\":0.5},"
        "{\"n\":\"2001:db8::4\",\"v\":0.5},{\"n\":\"2001:db8::3\",\"t\":0.1,\"v\":0},"
        "{\"n\":\"2001:db8::4\",\"t\":0.1,\"v\":0}]";
    struct result r;

    assert_int_equal(decode_at(thermostat, &at_recv, &r), 3);
    expect_rec(&r.f[0], "urn:dev:ow:10e2073a01080063", "temp", "Cel", DEC_NUM, 23.1, RECV_MS);
    expect_rec(&r.f[1], "urn:dev:ow:10e2073a01080063", "heat", "/", DEC_NUM, 1, RECV_MS);
    expect_rec(&r.f[2], "urn:dev:ow:10e2073a01080063", "fan", "/", DEC_NUM, 0, RECV_MS);

    assert_int_equal(decode_at(lights_on, &at_recv, &r), 2);
    expect_rec(&r.f[0], "", "2001:db8::3", "/", DEC_NUM, 1, 1320078429000LL);
    expect_rec(&r.f[1], "", "2001:db8::4", "/", DEC_NUM, 1, 1320078429000LL);
    /* Each light its own device: the whole resolved name ("name"). */
    assert_int_equal(decode_at(lights_on, &name_at_recv, &r), 2);
    expect_rec(&r.f[0], "2001:db8::3", "", "/", DEC_NUM, 1, 1320078429000LL);
    expect_rec(&r.f[1], "2001:db8::4", "", "/", DEC_NUM, 1, 1320078429000LL);
    assert_int_equal(r.msg.n_devices, 2);

    assert_int_equal(decode_at(lights_dim, &name_at_recv, &r), 4);
    expect_rec(&r.f[0], "2001:db8::3", "", "/", DEC_NUM, 0.5, 1320078429000LL);
    expect_rec(&r.f[1], "2001:db8::4", "", "/", DEC_NUM, 0.5, 1320078429000LL);
    expect_rec(&r.f[2], "2001:db8::3", "", "/", DEC_NUM, 0, 1320078429100LL);
    expect_rec(&r.f[3], "2001:db8::4", "", "/", DEC_NUM, 0, 1320078429100LL);
}

/* Packs the RFC's rules refuse, each with the section that says so. */
static void test_rfc_invalid_packs(void **state)
{
    static const struct {
        const char *pack;
        int code;
        const char *why;
    } bad[] = {
        /* §4.4: a version above the one understood (10) MUST NOT be used. */
        {"[{\"bver\":11,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE, "bver"},
        /* §4.4: all records of a pack MUST have the same version. */
        {"[{\"bver\":5,\"n\":\"a\",\"v\":1},{\"bver\":10,\"n\":\"b\",\"v\":2}]", DEC_ERR_SHAPE,
         "version"},
        {"[{\"n\":\"a\",\"v\":1},{\"bver\":5,\"n\":\"b\",\"v\":2}]", DEC_ERR_SHAPE, "version"},
        /* §4.1: the version is a positive integer. */
        {"[{\"bver\":5.5,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE, "bver"},
        /* §4.4: an unknown label ending in '_' MUST be an error. */
        {"[{\"n\":\"a\",\"v\":1,\"x_\":1}]", DEC_ERR_SHAPE, "must-understand"},
        /* §4.2: exactly one value field unless there is a sum. */
        {"[{\"n\":\"a\",\"v\":1,\"vb\":true}]", DEC_ERR_SHAPE, "more than one"},
        {"[{\"n\":\"a\",\"u\":\"Cel\"}]", DEC_ERR_SHAPE, "no value"},
        /* §4.2: the name is optional only if there is a base name. */
        {"[{\"u\":\"Cel\",\"v\":1}]", DEC_ERR_SHAPE, "no name"},
        /* §4.5.1: allowed characters, and the first is a letter or digit. */
        {"[{\"n\":\"-temp\",\"v\":1}]", DEC_ERR_SHAPE, "invalid characters"},
        {"[{\"bn\":\"dev 1/\",\"n\":\"temp\",\"v\":1}]", DEC_ERR_SHAPE, "not a valid name"},
        {"[{\"bn\":\"dev1/\",\"n\":\"te#mp\",\"v\":1}]", DEC_ERR_SHAPE, "invalid characters"},
        /* Table 2: JSON types. */
        {"[{\"n\":\"a\",\"v\":\"23.1\"}]", DEC_ERR_SHAPE, "number"},
        {"[{\"n\":\"a\",\"vb\":\"true\"}]", DEC_ERR_SHAPE, "boolean"},
        {"[{\"bn\":7,\"n\":\"a\",\"v\":1}]", DEC_ERR_SHAPE, "string"},
        /* §5: the root is an array of objects. */
        {"{\"n\":\"a\",\"v\":1}", DEC_ERR_SHAPE, "array"},
        {"[[{\"n\":\"a\",\"v\":1}]]", DEC_ERR_SHAPE, "not an object"},
        /* §5: only the UTF-8 form of JSON. */
        {"[{\"n\":\"a\",\"vs\":\"\xC3\x28\"}]", DEC_ERR_SYNTAX, "UTF-8"},
    };
    struct result r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = decode_opt(bad[i].pack, strlen(bad[i].pack), &at_recv, MAX_FIELDS, &r);

        if (rc != bad[i].code || !strstr(r.err.detail, bad[i].why))
            print_error("pack %s: got %d (%s)\n", bad[i].pack, rc, r.err.detail);
        assert_int_equal(rc, bad[i].code);
        assert_non_null(strstr(r.err.detail, bad[i].why));
    }
}

/* Relative times (§4.5.3) against the receive time; negative base times. */
static void test_relative_times(void **state)
{
    struct result r;

    assert_int_equal(decode_at("[{\"n\":\"a\",\"v\":1,\"t\":-60}]", &at_recv, &r), 1);
    assert_int_equal(r.f[0].ts_ms, RECV_MS - 60000);
    assert_int_equal(r.msg.notes, DEC_NOTE_SENML_RELATIVE);
    /* A negative bt, and t added to it: -10 s, then -10 + 5 = -5 s. */
    assert_int_equal(
        decode_at("[{\"bt\":-10,\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"t\":5,\"v\":2}]", &at_recv, &r),
        2);
    assert_int_equal(r.f[0].ts_ms, RECV_MS - 10000);
    assert_int_equal(r.f[1].ts_ms, RECV_MS - 5000);
    /* Positive values below 2^28 are in the future of "now". */
    assert_int_equal(decode_at("[{\"n\":\"a\",\"v\":1,\"t\":0.02}]", &at_recv, &r), 1);
    assert_int_equal(r.f[0].ts_ms, RECV_MS + 20);
    /* A negative bt that a large t makes absolute. */
    assert_int_equal(
        decode_at("[{\"bt\":-100,\"n\":\"a\",\"v\":1,\"t\":1700000100}]", &at_recv, &r), 1);
    assert_int_equal(r.f[0].ts_ms, 1700000000000LL);
    /* The oldest relative time, 2^28 - 1 s (8.5 years) before now. */
    assert_int_equal(decode_at("[{\"n\":\"a\",\"v\":1,\"t\":-268435455}]", &at_recv, &r), 1);
    assert_int_equal(r.f[0].ts_ms, RECV_MS - 268435455000LL);
    /* A time that overflows is refused. */
    expect_code_at("[{\"bt\":1e308,\"n\":\"a\",\"v\":1,\"t\":1e308}]", DEC_ERR_TIMESTAMP);
}

/* Library test suites: bv and bs with sums, a record of only a sum. */
static void test_base_value_and_base_sum_records(void **state)
{
    struct result r;

    /* bv 10 and bs 100 from record 0 on; record 1 sets bs 200 (§4: until the next bs). */
    assert_int_equal(decode_at("[{\"bn\":\"m:\",\"bv\":10,\"bs\":100,\"n\":\"e\",\"v\":1,\"s\":5},"
                               "{\"bs\":200,\"n\":\"e\",\"s\":7},{\"n\":\"p\",\"v\":-3}]",
                               &at_recv, &r),
                     5);
    assert_string_equal(r.f[0].name, "e");
    assert_true(r.f[0].num == 11 && !r.f[0].is_sum);
    assert_true(r.f[1].num == 105 && r.f[1].is_sum);
    assert_true(r.f[2].num == 207 && r.f[2].is_sum);
    assert_string_equal(r.f[3].name, "p");
    assert_true(r.f[3].num == 7 && !r.f[3].is_sum);
    assert_true(r.f[4].num == 200 && r.f[4].is_sum); /* s absent, bs present: s counts as 0 */
    assert_string_equal(r.f[4].device, "m");
}

static void test_string_values(void **state)
{
    struct result r;

    assert_int_equal(decode("[{\"n\":\"a\",\"vs\":\"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\"}]", &r),
                     1);
    assert_string_equal(r.f[0].str, "x\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
    assert_int_equal(decode("[{\"n\":\"blob\",\"vd\":\"aGVsbG8\"}]", &r), 1);
    assert_int_equal(r.f[0].kind, DEC_DATA);
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

/* A full out[] is never written past its end: a slot after it stays as it was. */
static void test_too_many_writes_within_bounds(void **state)
{
    static const char three[] =
        "[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2},{\"n\":\"c\",\"v\":3}]";
    static const char value_and_sum[] = "[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2,\"s\":5}]";
    struct dec_field f[4], guard;
    struct dec_msg msg;
    struct dec_error err;

    memset(f, 0x5A, sizeof(f));
    memset(&guard, 0x5A, sizeof(guard));
    assert_int_equal(decoder_senml.decode(NULL, three, strlen(three), &msg, f, 3, &err), 3);
    assert_memory_equal(&f[3], &guard, sizeof(guard));
    /* The second record needs two slots and only one is left. */
    memset(f, 0x5A, sizeof(f));
    assert_int_equal(
        decoder_senml.decode(NULL, value_and_sum, strlen(value_and_sum), &msg, f, 2, &err),
        DEC_ERR_TOO_MANY);
    assert_memory_equal(&f[2], &guard, sizeof(guard));
    assert_int_equal(
        decoder_senml.decode(NULL, value_and_sum, strlen(value_and_sum), &msg, f, 3, &err), 3);
    assert_true(f[2].is_sum);
    assert_true(f[2].num == 5.0);
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
        cmocka_unit_test(test_rfc_5_1_1_single_data_point),
        cmocka_unit_test(test_rfc_2_absolute_times_and_no_name),
        cmocka_unit_test(test_rfc_5_1_2_multiple_data_points_now),
        cmocka_unit_test(test_rfc_5_1_2_current_over_five_seconds),
        cmocka_unit_test(test_rfc_sensml_stream),
        cmocka_unit_test(test_rfc_5_1_3_and_5_1_4_resolved),
        cmocka_unit_test(test_rfc_5_1_5_multiple_data_types),
        cmocka_unit_test(test_rfc_5_1_6_collection_of_resources),
        cmocka_unit_test(test_rfc_5_1_7_actuators),
        cmocka_unit_test(test_rfc_invalid_packs),
        cmocka_unit_test(test_relative_times),
        cmocka_unit_test(test_base_value_and_base_sum_records),
        cmocka_unit_test(test_string_values),
        cmocka_unit_test(test_long_string_cut_at_character),
        cmocka_unit_test(test_empty_pack),
        cmocka_unit_test(test_unknown_labels),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_too_many_writes_within_bounds),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_decoding_allocates_nothing),
        cmocka_unit_test(test_registered_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
