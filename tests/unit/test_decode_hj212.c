/*
 * Tests of the "hj212" decoder (devices/decode_hj212.c): whole packets with
 * hand-computed CRCs and epoch times, the field dialects (HJ/T 212-2005
 * headers and flags, DataTime with milliseconds, long segments, Modbus
 * CRCs under each checksum mode), every rejection kind, truncation at every
 * length and single-bit damage anywhere in a packet. Malformed CP areas are
 * framed with hj212_frame (tested in test_hj212.c) so each case reaches the
 * CP reader instead of failing on its CRC.
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
#include "hj212.h"
#include "xalloc.h"

#define MAX_FIELDS 16

/* Hourly air data; CRC A9C1 and length 0215 computed by hand (script). */
static const char hourly_pkt[] =
    "##0215QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20240601100000;a34004-Avg=23.4,a34004-Min=18,a34004-Max=31.5,"
    "a34004-Flag=N;a21026-Avg=5.2,a21026-Flag=M;a05024-Avg=80.1&&A9C1\r\n";
/* 2024-06-01 10:00:00 +08:00 = 2024-06-01T02:00:00Z */
#define HOURLY_TS_MS 1717207200000LL

/* Noise real-time data, after the standard's Table C.25 example. */
static const char noise_pkt[] =
    "##0122QN=20160801085857223;ST=23;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20160801085857;LA-Rtd=50.1&&1980\r\n";
#define NOISE_TS_MS 1470013137000LL

/* The Appendix A example: valid framing and CRC, but CN 1062 sets an interval. */
static const char appendix_a_pkt[] = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                                     "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
                                     "1C80\r\n";

static const struct dec_opts shanghai = {.utc_offset_s = 8L * 3600};

struct result {
    struct dec_msg msg;
    struct dec_field f[MAX_FIELDS];
    struct dec_error err;
};

/* Decode from an exact-size heap copy so ASan catches any read past @len. */
static int decode_n(const char *buf, size_t len, const struct dec_opts *opt, size_t max,
                    struct result *r)
{
    char *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    memset(r, 0, sizeof(*r));
    rc = decoder_hj212.decode(opt, copy, len, &r->msg, r->f, max, &r->err);
    free(copy);
    if (rc < 0) {
        assert_int_equal(r->err.code, rc);
        assert_true(r->err.detail[0] != '\0');
    }
    return rc;
}

static int decode(const char *pkt, struct result *r)
{
    return decode_n(pkt, strlen(pkt), &shanghai, MAX_FIELDS, r);
}

/* Frame @seg (any CP, even malformed) and decode it. */
static int decode_seg(const char *seg, size_t max, struct result *r)
{
    char pkt[HJ212_PACKET_MAX + 1];
    int n = hj212_frame(seg, strlen(seg), pkt, sizeof(pkt));

    assert_true(n > 0);
    return decode_n(pkt, (size_t)n, &shanghai, max, r);
}

static void assert_num_field(const struct dec_field *f, const char *name, double v, char flag,
                             int64_t ts_ms)
{
    assert_string_equal(f->name, name);
    assert_int_equal(f->kind, DEC_NUM);
    assert_true(f->num == v);
    assert_int_equal(f->flag, flag);
    assert_int_equal(f->ts_ms, ts_ms);
    assert_string_equal(f->unit, "");
}

static void test_hourly_packet(void **state)
{
    struct result r;

    assert_int_equal(decode(hourly_pkt, &r), 5);
    assert_int_equal(r.msg.n_fields, 5);
    assert_string_equal(r.msg.device, "010000A8900016F000169DC0");
    assert_int_equal(r.msg.ts_ms, HOURLY_TS_MS);
    assert_int_equal(r.msg.n_skipped, 0);
    assert_num_field(&r.f[0], "a34004-Avg", 23.4, 'N', HOURLY_TS_MS);
    assert_num_field(&r.f[1], "a34004-Min", 18, 'N', HOURLY_TS_MS);
    assert_num_field(&r.f[2], "a34004-Max", 31.5, 'N', HOURLY_TS_MS);
    assert_num_field(&r.f[3], "a21026-Avg", 5.2, 'M', HOURLY_TS_MS);
    assert_num_field(&r.f[4], "a05024-Avg", 80.1, 0, HOURLY_TS_MS);
}

static void test_without_crlf(void **state)
{
    struct result r;

    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt) - 2, &shanghai, MAX_FIELDS, &r), 5);
}

static void test_noise_realtime(void **state)
{
    struct result r;

    assert_int_equal(decode(noise_pkt, &r), 1);
    assert_num_field(&r.f[0], "LA-Rtd", 50.1, 0, NOISE_TS_MS);
}

static void test_utc_offset(void **state)
{
    static const struct dec_opts utc = {.utc_offset_s = 0};
    struct result r;

    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), &utc, MAX_FIELDS, &r), 5);
    assert_int_equal(r.f[0].ts_ms, HOURLY_TS_MS + 8LL * 3600 * 1000);
    /* No options: HJ 212 times are China Standard Time. */
    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), NULL, MAX_FIELDS, &r), 5);
    assert_int_equal(r.f[0].ts_ms, HOURLY_TS_MS);
}

static void test_not_a_data_upload(void **state)
{
    struct result r;

    assert_int_equal(decode(appendix_a_pkt, &r), DEC_ERR_SHAPE);
    assert_non_null(strstr(r.err.detail, "1062"));
}

static void test_round_trip_through_frame(void **state)
{
    static const char seg[] = "QN=20250101000000000;ST=21;CN=2051;PW=654321;MN=WQ0001;Flag=4;"
                              "CP=&&DataTime=20250101000000;w01001-Avg=7.25,w01001-Flag=N;"
                              "w01009-Avg=-0.5e1,w01009-Flag=D&&";
    struct result r;

    assert_int_equal(decode_seg(seg, MAX_FIELDS, &r), 2);
    assert_string_equal(r.msg.device, "WQ0001");
    /* 2025-01-01 00:00 +08:00 = 2024-12-31T16:00:00Z = 1735660800 */
    assert_num_field(&r.f[0], "w01001-Avg", 7.25, 'N', 1735660800000LL);
    assert_num_field(&r.f[1], "w01009-Avg", -5, 'D', 1735660800000LL);
}

static void test_value_kinds(void **state)
{
    static const char seg[] =
        "ST=22;CN=2011;PW=1;MN=A1;CP=&&DataTime=20240229235959;a34004-Rtd=,a34004-Flag=D;"
        "a34004-EFlag=A01;a34004-SampleTime=20240229235900;;&&";
    struct result r;

    assert_int_equal(decode_seg(seg, MAX_FIELDS, &r), 3);
    assert_string_equal(r.f[0].name, "a34004-Rtd");
    assert_int_equal(r.f[0].kind, DEC_NULL);
    assert_int_equal(r.f[0].flag, 'D');
    assert_string_equal(r.f[1].name, "a34004-EFlag");
    assert_int_equal(r.f[1].kind, DEC_STR);
    assert_string_equal(r.f[1].str, "A01");
    assert_int_equal(r.f[1].flag, 0); /* the Flag is in another group */
    assert_int_equal(r.f[2].kind, DEC_NUM);
    assert_true(r.f[2].num == 20240229235900.0);
    /* 2024-02-29 23:59:59 +08:00 = 2024-02-29T15:59:59Z = 1709222399 */
    assert_int_equal(r.msg.ts_ms, 1709222399000LL);
}

static void test_field_limit(void **state)
{
    struct result r;

    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), &shanghai, 5, &r), 5);
    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), &shanghai, 4, &r), DEC_ERR_TOO_MANY);
    assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), &shanghai, 0, &r), DEC_ERR_TOO_MANY);
}

static void expect_cp(const char *cp, int code)
{
    char seg[HJ212_SEG_MAX + 1];
    struct result r;

    snprintf(seg, sizeof(seg),
             "QN=20240601103000123;ST=22;CN=2011;PW=123456;MN=A1;Flag=4;"
             "CP=&&%s&&",
             cp);
    assert_int_equal(decode_seg(seg, MAX_FIELDS, &r), code);
}

static void test_cp_rejects(void **state)
{
    expect_cp("", DEC_ERR_SHAPE);             /* no DataTime */
    expect_cp("a34004-Rtd=1", DEC_ERR_SHAPE); /* no DataTime */
    expect_cp("DataTime=20240601100000;DataTime=20240601100000", DEC_ERR_SHAPE);
    expect_cp("DataTime=2024060110000", DEC_ERR_TIMESTAMP);  /* 13 digits */
    expect_cp("DataTime=20230229100000", DEC_ERR_TIMESTAMP); /* not a leap year */
    expect_cp("DataTime=20240631100000", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=20241301100000", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=20240601240000", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=20240601106000", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=19691231235959", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=2024-06-01 10", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1,a34004-Flag=X", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1,a34004-Flag=NN", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1,a34004-Flag=", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1,a34004-Flag=N,a34004-Flag=N", DEC_ERR_SHAPE);
    expect_cp("DataTime=20240601100000;a34004-Rtd=abc", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=0x10", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=inf", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=1e999", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=1.", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=.5", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=1e", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Avg=- 1", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd", DEC_ERR_SYNTAX); /* no '=' */
    expect_cp("DataTime=20240601100000;=1", DEC_ERR_SYNTAX);         /* empty key */
    expect_cp("DataTime=20240601100000;a3 4-Rtd=1", DEC_ERR_SYNTAX); /* bad key */
    expect_cp("DataTime=20240601100000;a34004-Rtd=1=2", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1&2", DEC_ERR_SYNTAX);
    expect_cp("DataTime=20240601100000;a34004-Rtd=1;a34004-Rtd=2", DEC_ERR_SHAPE);
    expect_cp("DataTime=20240601100000;"
              "a34004a34004a34004a34004a34004a34004a34004a34004a34004a34004-Rtd=1",
              DEC_ERR_SYNTAX); /* key longer than a field name */
}

static void test_framing_rejects(void **state)
{
    char pkt[sizeof(hourly_pkt)];
    size_t len = strlen(hourly_pkt);
    struct result r;

    memcpy(pkt, hourly_pkt, sizeof(pkt));
    memcpy(pkt + 2, "0214", 4);
    assert_int_equal(decode_n(pkt, len, &shanghai, MAX_FIELDS, &r), DEC_ERR_FRAMING);
    memcpy(pkt, hourly_pkt, sizeof(pkt));
    memcpy(pkt + len - 6, "A9C2", 4);
    assert_int_equal(decode_n(pkt, len, &shanghai, MAX_FIELDS, &r), DEC_ERR_CRC);
    memcpy(pkt, hourly_pkt, sizeof(pkt));
    pkt[len - 1] = ' ';
    assert_int_equal(decode_n(pkt, len, &shanghai, MAX_FIELDS, &r), DEC_ERR_FRAMING);
    assert_int_equal(decode_n("", 0, &shanghai, MAX_FIELDS, &r), DEC_ERR_FRAMING);
    assert_int_equal(decoder_hj212.decode(&shanghai, NULL, 0, &r.msg, r.f, MAX_FIELDS, &r.err),
                     DEC_ERR_FRAMING);
}

static void test_every_truncation_rejected(void **state)
{
    size_t len = strlen(hourly_pkt);
    struct result r;

    for (size_t i = 0; i < len - 2; i++)
        assert_true(decode_n(hourly_pkt, i, &shanghai, MAX_FIELDS, &r) < 0);
    assert_int_equal(decode_n(hourly_pkt, len - 1, &shanghai, MAX_FIELDS, &r), DEC_ERR_FRAMING);
}

static void test_every_bit_flip_rejected(void **state)
{
    size_t len = strlen(hourly_pkt);
    char pkt[sizeof(hourly_pkt)];
    struct result r;

    for (size_t i = 0; i < len; i++) {
        memcpy(pkt, hourly_pkt, sizeof(pkt));
        pkt[i] ^= 0x01;
        assert_true(decode_n(pkt, len, &shanghai, MAX_FIELDS, &r) < 0);
    }
}

/*
 * An HJ/T 212-2005 style upload: no QN, no Flag, 2005 factor codes and the
 * 2005 data flags P (power failure) and H (above range). CRC 1F40 by script;
 * 2004-05-16 02:01:11 +08:00 = 1084644071 s.
 */
static void test_dialect_2005(void **state)
{
    static const char pkt[] =
        "##0134ST=32;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20040516020111;"
        "B01-Rtd=36.91;011-Rtd=231.0,011-Flag=P;060-Rtd=1.5,060-Flag=H&&1F40\r\n";
    struct result r;

    assert_int_equal(decode(pkt, &r), 3);
    assert_string_equal(r.msg.device, "88888880000001");
    assert_num_field(&r.f[0], "B01-Rtd", 36.91, 0, 1084644071000LL);
    assert_num_field(&r.f[1], "011-Rtd", 231.0, 'P', 1084644071000LL);
    assert_num_field(&r.f[2], "060-Rtd", 1.5, 'H', 1084644071000LL);
    assert_int_equal(r.msg.notes,
                     DEC_NOTE_HJ212_NO_QN | DEC_NOTE_HJ212_NO_FLAG | DEC_NOTE_HJ212_FLAG_2005);
}

static void test_datatime_milliseconds(void **state)
{
    static const char seg[] = "QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=4;"
                              "CP=&&DataTime=20240601100000250;a34004-Avg=23.4&&";
    struct result r;

    assert_int_equal(decode_seg(seg, MAX_FIELDS, &r), 1);
    assert_int_equal(r.msg.ts_ms, HOURLY_TS_MS + 250);
    assert_num_field(&r.f[0], "a34004-Avg", 23.4, 0, HOURLY_TS_MS + 250);
    assert_int_equal(r.msg.notes, DEC_NOTE_HJ212_DATATIME_MS);
    /* 15 or 16 digits are neither form. */
    expect_cp("DataTime=202406011000001", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=2024060110000012", DEC_ERR_TIMESTAMP);
    expect_cp("DataTime=2024060110000012x", DEC_ERR_TIMESTAMP);
}

static void test_header_dialects_decode(void **state)
{
    static const char empty_pw[] = "QN=1;ST=22;CN=2011;PW=;MN=A1;Flag=4;"
                                   "CP=&&DataTime=20240601100000;a34004-Rtd=1&&";
    static const char unlisted[] = "QN=1;ST=99;CN=2011;PW=123456;MN=A1;Flag=4;"
                                   "CP=&&DataTime=20240601100000;a34004-Rtd=1&&";
    static const char split_alone[] = "QN=1;ST=22;CN=2011;PW=123456;MN=A1;Flag=7;"
                                      "CP=&&DataTime=20240601100000;a34004-Rtd=1&&";
    struct result r;

    assert_int_equal(decode_seg(empty_pw, MAX_FIELDS, &r), 1);
    assert_int_equal(r.msg.notes, DEC_NOTE_HJ212_PW_LENGTH);
    assert_int_equal(decode_seg(unlisted, MAX_FIELDS, &r), 1);
    assert_int_equal(r.msg.notes, DEC_NOTE_HJ212_ST_UNLISTED);
    assert_int_equal(decode_seg(split_alone, MAX_FIELDS, &r), 1);
    assert_int_equal(r.msg.notes, DEC_NOTE_HJ212_SPLIT_ALONE);
    assert_num_field(&r.f[0], "a34004-Rtd", 1, 0, HOURLY_TS_MS);
}

/* Over 1024 bytes: read, and noted. */
static void test_long_packet(void **state)
{
    char seg[1400], pkt[1500], last[16];
    struct dec_field *many = calloc(128, sizeof(*many));
    struct dec_msg msg;
    struct dec_error err;
    size_t n;
    int len, k = 0;

    n = (size_t)snprintf(seg, sizeof(seg),
                         "QN=1;ST=22;CN=2011;PW=123456;MN=A1;Flag=4;CP=&&DataTime=20240601100000");
    while (n < 1100)
        n += (size_t)snprintf(seg + n, sizeof(seg) - n, ";x%04d-Rtd=%d", k, k), k++;
    n += (size_t)snprintf(seg + n, sizeof(seg) - n, "&&");
    len = hj212_frame_mode(seg, n, DEC_CRC_HJ212, pkt, sizeof(pkt));
    assert_true(len > HJ212_PACKET_MAX);
    assert_non_null(many);
    assert_int_equal(decoder_hj212.decode(&shanghai, pkt, (size_t)len, &msg, many, 128, &err), k);
    assert_int_equal(msg.notes, DEC_NOTE_HJ212_LONG);
    snprintf(last, sizeof(last), "x%04d-Rtd", k - 1);
    assert_num_field(&many[k - 1], last, k - 1, 0, HOURLY_TS_MS);
    free(many);
}

/*
 * The hourly example with Modbus CRCs (5AF5, and F55A swapped; by script):
 * accepted under its own mode and "any", a reject with reason crc under the
 * others.
 */
static void test_crc_modes(void **state)
{
    static const char body[] = "##0121QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;"
                               "Flag=5;CP=&&DataTime=20240601100000;a34004-Avg=23.4,"
                               "a34004-Flag=N&&";
    static const struct {
        const char *crc;
        enum dec_crc sent;
        unsigned note;
    } cases[] = {
        {"5AF5", DEC_CRC_MODBUS, DEC_NOTE_HJ212_CRC_MODBUS},
        {"F55A", DEC_CRC_MODBUS_SWAPPED, DEC_NOTE_HJ212_CRC_SWAPPED},
    };
    static const enum dec_crc modes[] = {DEC_CRC_HJ212, DEC_CRC_MODBUS, DEC_CRC_MODBUS_SWAPPED,
                                         DEC_CRC_ANY};
    char pkt[256];
    struct result r;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(pkt, sizeof(pkt), "%s%s\r\n", body, cases[i].crc);
        for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
            struct dec_opts o = shanghai;
            int rc;

            o.crc = modes[m];
            rc = decode_n(pkt, strlen(pkt), &o, MAX_FIELDS, &r);
            if (modes[m] == cases[i].sent || modes[m] == DEC_CRC_ANY) {
                assert_int_equal(rc, 1);
                assert_num_field(&r.f[0], "a34004-Avg", 23.4, 'N', HOURLY_TS_MS);
                assert_int_equal(r.msg.notes, cases[i].note);
            } else {
                assert_int_equal(rc, DEC_ERR_CRC);
                assert_string_equal(decode_strerror(rc), "crc");
            }
        }
    }
    /* The standard's CRC under "any" is no leniency. */
    {
        struct dec_opts o = shanghai;

        o.crc = DEC_CRC_ANY;
        assert_int_equal(decode_n(hourly_pkt, strlen(hourly_pkt), &o, MAX_FIELDS, &r), 5);
        assert_int_equal(r.msg.notes, 0);
    }
}

static void test_non_data_commands_refused(void **state)
{
    static const char restart[] = "QN=20240601080000001;ST=22;CN=2081;PW=123456;MN=AQM01;Flag=5;"
                                  "CP=&&DataTime=20240601080000;RestartTime=20240601075900&&";
    struct result r;

    /* Over MQTT there is no link to answer on: such a packet is a reject. */
    assert_int_equal(decode_seg(restart, MAX_FIELDS, &r), DEC_ERR_SHAPE);
    assert_non_null(strstr(r.err.detail, "2081"));
}

static void test_decoding_allocates_nothing(void **state)
{
    struct result r;

    xalloc_fail_at(1);
    assert_int_equal(decode(hourly_pkt, &r), 5);
    assert_int_equal(xalloc_count(), 0);
    xalloc_fail_at(0);
}

static void test_registered_name(void **state)
{
    assert_string_equal(decoder_hj212.name, "hj212");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hourly_packet),
        cmocka_unit_test(test_without_crlf),
        cmocka_unit_test(test_noise_realtime),
        cmocka_unit_test(test_utc_offset),
        cmocka_unit_test(test_not_a_data_upload),
        cmocka_unit_test(test_round_trip_through_frame),
        cmocka_unit_test(test_value_kinds),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_cp_rejects),
        cmocka_unit_test(test_framing_rejects),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_every_bit_flip_rejected),
        cmocka_unit_test(test_dialect_2005),
        cmocka_unit_test(test_datatime_milliseconds),
        cmocka_unit_test(test_header_dialects_decode),
        cmocka_unit_test(test_long_packet),
        cmocka_unit_test(test_crc_modes),
        cmocka_unit_test(test_non_data_commands_refused),
        cmocka_unit_test(test_decoding_allocates_nothing),
        cmocka_unit_test(test_registered_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
