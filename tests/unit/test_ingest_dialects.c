/*
 * Ingest of the field's dialects (issue 14), end to end below MQTT, with
 * profiles of their own (ingest_fixture.h): SenML packs of several devices
 * and relative sum data, HJ 212 CRC modes per profile, HJ 212 dialects
 * stored with their values and times, and the notes they leave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest_fixture.h"

/* ---- SenML packs and HJ 212 dialects (issue 14) ---- */

/* HJ 212-2017 Appendix A CRC, written here apart from devices/hj212.c. */
static unsigned ref_crc(const char *s)
{
    unsigned r = 0xFFFF;

    for (; *s; s++) {
        r = (r >> 8) ^ (unsigned char)*s;
        for (int k = 0; k < 8; k++)
            r = (r & 1) ? (r >> 1) ^ 0xA001 : r >> 1;
    }
    return r;
}

static void frame(const char *seg, char *out, size_t outsz)
{
    snprintf(out, outsz, "##%04zu%s%04X\r\n", strlen(seg), seg, ref_crc(seg));
}

/*
 * RFC 8428 §5.1.6 on a gateway topic without a {device} level: two devices
 * in one pack, each registered under the topic's site; base time
 * 1.320078429e+09 s for all four records.
 */
static void test_issue14_senml_pack_of_two_devices(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"2001:db8::2/\",\"bt\":1.320078429e+09,\"n\":\"temperature\",\"u\":\"Cel\","
        "\"v\":25.2},{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":30},"
        "{\"bn\":\"2001:db8::1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":12.3},"
        "{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":67}]";
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, "xh/gw/xujiahui/gw-01", pack, NOW_MS);
    s = stats(fx);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 4);
    assert_int_equal(s.n_devices, 2);
    assert_int_equal(rows_of(fx, "2001:db8::2", NULL, &r), 2);
    assert_string_equal(r.metric[0], "humidity");
    assert_true(r.value[0] == 30);
    assert_string_equal(r.metric[1], "temp");
    assert_true(r.value[1] == 25.2);
    assert_int_equal(r.ts[1], 1320078429000LL);
    assert_string_equal(r.site[1], "xujiahui");
    assert_int_equal(rows_of(fx, "2001:db8::1", NULL, &r), 2);
    assert_true(r.value[0] == 67);
    assert_true(r.value[1] == 12.3);
    assert_int_equal(r.ts[0], 1320078429000LL);

    /* The same pack on a device's own topic cannot say whose values are whose. */
    deliver(fx, "xh/mb/xujiahui/aqm-09", pack, NOW_MS);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "malformed"), 1);
    assert_int_equal(s.stored_readings, 4);
}

/* A sum maps through "energy@sum"; a data value is counted, not stored; relative times. */
static void test_issue14_senml_sum_data_relative(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, "xh/gw/xujiahui/gw-01",
            "[{\"bn\":\"m1:\",\"n\":\"energy\",\"u\":\"W\",\"v\":5,\"s\":3600,\"t\":-60},"
            "{\"n\":\"pic\",\"vd\":\"aGkgCg\"}]",
            NOW_MS);
    s = stats(fx);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(s.stored_readings, 2);
    assert_int_equal(note_count(&s, "unstorable_values"), 1);
    assert_int_equal(note_count(&s, "senml_relative_time"), 1);
    assert_int_equal(rows_of(fx, "m1", "energy", &r), 1);
    assert_true(r.value[0] == 3600);
    assert_int_equal(r.ts[0], NOW_MS - 60000); /* 60 s before the receive time */
    assert_int_equal(rows_of(fx, "m1", "power", &r), 1);
    assert_true(r.value[0] == 5);
    assert_int_equal(rows_of(fx, "m1", "pic", &r), 0);
    /* Only a data value: nothing stored, nothing rejected, counted. */
    deliver(fx, "xh/gw/xujiahui/gw-01", "[{\"bn\":\"m1:\",\"n\":\"pic\",\"vd\":\"AA\"}]",
            NOW_MS + 1000);
    s = stats(fx);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(note_count(&s, "unstorable_values"), 2);
}

/*
 * The hourly packet with a Modbus CRC (5AF5, by script): stored under the
 * profile that says hj212_crc: modbus, a bad_checksum reject under the
 * standard's. 2024-06-01 10:00 +08:00 = 1717207200 s.
 */
static void test_issue14_hj212_crc_mode_per_profile(void **state)
{
    static const char pkt[] =
        "##0121QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=5;"
        "CP=&&DataTime=20240601100000;a34004-Avg=23.4,a34004-Flag=N&&5AF5\r\n";
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, "xh/mb/xujiahui/AQM01", pkt, NOW_MS);
    s = stats(fx);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(rows_of(fx, "AQM01", "pm25", &r), 1);
    assert_true(r.value[0] == 23.4);
    assert_int_equal(r.ts[0], 1717207200000LL);
    assert_int_equal(note_count(&s, "hj212_crc_modbus"), 1);

    deliver(fx, "xh/std/xujiahui/AQM02", pkt, NOW_MS);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "bad_checksum"), 1);
    assert_int_equal(s.stored_readings, 1);
}

/* 2005-style header, DataTime with milliseconds, empty PW: stored at the right time, noted. */
static void test_issue14_hj212_dialects_stored(void **state)
{
    char pkt[512];
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    frame("ST=22;CN=2011;PW=;MN=AQM03;CP=&&DataTime=20240601100000250;a34004-Rtd=7,"
          "a34004-Flag=P&&",
          pkt, sizeof(pkt));
    deliver(fx, "xh/std/xujiahui/AQM03", pkt, NOW_MS);
    s = stats(fx);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(rows_of(fx, "AQM03", "pm25", &r), 1);
    assert_true(r.value[0] == 7);
    assert_int_equal(r.ts[0], 1717207200250LL);
    assert_int_equal(note_count(&s, "hj212_no_qn"), 1);
    assert_int_equal(note_count(&s, "hj212_no_flag"), 1);
    assert_int_equal(note_count(&s, "hj212_pw_length"), 1);
    assert_int_equal(note_count(&s, "hj212_datatime_ms"), 1);
    assert_int_equal(note_count(&s, "hj212_data_flag_2005"), 1);
    /* A broken packet is still a reject with its reason: 13-digit DataTime. */
    frame("ST=22;CN=2011;PW=1;MN=AQM03;CP=&&DataTime=2024060110000;a34004-Rtd=7&&", pkt,
          sizeof(pkt));
    deliver(fx, "xh/std/xujiahui/AQM03", pkt, NOW_MS);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "bad_timestamp"), 1);
}

/* Notes from the TCP listener wait for the next commit. */
static void test_issue14_notes_written_with_next_commit(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    ingest_note(fx->ig, "hj212_reply_cmd", 2);
    ingest_note(fx->ig, "hj212_reply_cmd", 1);
    s = stats(fx);
    assert_int_equal(note_count(&s, "hj212_reply_cmd"), 0);
    assert_int_equal(ingest_flush(fx->ig), 0);
    s = stats(fx);
    assert_int_equal(note_count(&s, "hj212_reply_cmd"), 3);
    assert_int_equal(ingest_flush(fx->ig), 0);
    s = stats(fx);
    assert_int_equal(note_count(&s, "hj212_reply_cmd"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {

        cmocka_unit_test_setup_teardown(test_issue14_senml_pack_of_two_devices, setup_custom,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue14_senml_sum_data_relative, setup_custom,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue14_hj212_crc_mode_per_profile, setup_custom,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue14_hj212_dialects_stored, setup_custom, teardown),
        cmocka_unit_test_setup_teardown(test_issue14_notes_written_with_next_commit, setup_custom,
                                        teardown),
    };

    log_set_level(LOG_LVL_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
