/*
 * Tests of the HJ 212-2017 helpers (devices/hj212.h): the Appendix A CRC
 * against the standard's own test vector, framing and unframing, the
 * header parser and the 9014 data response. Every expected packet below
 * was written out by hand (its CRC checked with an independent script),
 * never produced by the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "col_err.h"
#include "hj212.h"

/* The data segment of the HJ 212-2017 Appendix A example. */
static const char vector_seg[] = "QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                                 "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
static const char vector_pkt[] = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                                 "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
                                 "1C80\r\n";

static void test_crc_appendix_a_vector(void **state)
{
    assert_int_equal(strlen(vector_seg), 101);
    assert_int_equal(hj212_crc16(vector_seg, strlen(vector_seg)), 0x1C80);
}

static void test_crc_is_not_modbus(void **state)
{
    /* Modbus CRC-16 of the same bytes is 0x0759 (README §6.3). */
    assert_int_not_equal(hj212_crc16(vector_seg, strlen(vector_seg)), 0x0759);
    /* No bytes: the register's initial value is sent unchanged. */
    assert_int_equal(hj212_crc16("", 0), 0xFFFF);
}

static void test_frame_appendix_a(void **state)
{
    char out[HJ212_PACKET_MAX + 1];
    int n = hj212_frame(vector_seg, strlen(vector_seg), out, sizeof(out));

    assert_int_equal(n, strlen(vector_pkt));
    assert_string_equal(out, vector_pkt);
}

static void test_frame_limits(void **state)
{
    char seg[HJ212_SEG_MAX + 2];
    char out[HJ212_PACKET_MAX + 2];

    memset(seg, 'A', sizeof(seg));
    assert_int_equal(hj212_frame(seg, HJ212_SEG_MAX, out, sizeof(out)), HJ212_PACKET_MAX);
    assert_memory_equal(out, "##1024AAA", 9);
    assert_int_equal(hj212_frame(seg, HJ212_SEG_MAX + 1, out, sizeof(out)), COL_ERR_INVAL);
    assert_int_equal(hj212_frame(seg, 0, out, sizeof(out)), COL_ERR_INVAL);
    /* Room for the packet but not its NUL. */
    assert_int_equal(hj212_frame(seg, 10, out, 22), COL_ERR_RANGE);
    assert_int_equal(hj212_frame(seg, 10, out, 23), 22);
    assert_int_equal(hj212_frame("a\r\nb", 4, out, sizeof(out)), COL_ERR_INVAL);
}

static void test_unframe_ok_with_and_without_crlf(void **state)
{
    struct dec_error err = {0};
    const char *seg = NULL;
    size_t seg_len = 0;
    size_t len = strlen(vector_pkt);

    assert_int_equal(hj212_unframe(vector_pkt, len, &seg, &seg_len, &err), 0);
    assert_ptr_equal(seg, vector_pkt + 6);
    assert_int_equal(seg_len, 101);
    assert_int_equal(hj212_unframe(vector_pkt, len - 2, &seg, &seg_len, &err), 0);
    assert_int_equal(seg_len, 101);
}

static void test_unframe_lowercase_crc(void **state)
{
    static const char pkt[] = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                              "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1c80";
    struct dec_error err = {0};
    const char *seg;
    size_t seg_len;

    assert_int_equal(hj212_unframe(pkt, strlen(pkt), &seg, &seg_len, &err), 0);
}

static void expect_unframe(const char *pkt, size_t len, int code)
{
    struct dec_error err = {0};
    const char *seg;
    size_t seg_len;
    char *copy = malloc(len ? len : 1); /* exact size, so ASan sees any over-read */

    assert_non_null(copy);
    memcpy(copy, pkt, len);
    assert_int_equal(hj212_unframe(copy, len, &seg, &seg_len, &err), code);
    assert_int_equal(err.code, code);
    assert_true(err.detail[0] != '\0');
    free(copy);
}

static void test_unframe_rejects(void **state)
{
    char pkt[sizeof(vector_pkt)];
    size_t len = strlen(vector_pkt);

    /* Wrong length prefix, both ways. */
    memcpy(pkt, vector_pkt, sizeof(pkt));
    memcpy(pkt + 2, "0100", 4);
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    memcpy(pkt + 2, "0102", 4);
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    memcpy(pkt + 2, "01x1", 4);
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    /* Wrong CRC, not hex CRC. */
    memcpy(pkt, vector_pkt, sizeof(pkt));
    memcpy(pkt + len - 6, "1C08", 4); /* the standard's prose typo */
    expect_unframe(pkt, len, DEC_ERR_CRC);
    memcpy(pkt + len - 6, "1CG0", 4);
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    /* One payload byte changed. */
    memcpy(pkt, vector_pkt, sizeof(pkt));
    pkt[40] = '9';
    expect_unframe(pkt, len, DEC_ERR_CRC);
    /* Bad start, damaged terminator. */
    memcpy(pkt, vector_pkt, sizeof(pkt));
    pkt[1] = '$';
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    memcpy(pkt, vector_pkt, sizeof(pkt));
    pkt[len - 1] = '\r';
    expect_unframe(pkt, len, DEC_ERR_FRAMING);
    expect_unframe("", 0, DEC_ERR_FRAMING);
    expect_unframe("##0001FFFF", 10, DEC_ERR_FRAMING);
}

static void test_unframe_empty_segment(void **state)
{
    struct dec_error err = {0};
    const char *seg = NULL;
    size_t seg_len = 99;

    /* Framing allows an empty segment (CRC of nothing is FFFF); the header parser does not. */
    assert_int_equal(hj212_unframe("##0000FFFF", 10, &seg, &seg_len, &err), 0);
    assert_int_equal(seg_len, 0);
}

static void test_unframe_every_truncation(void **state)
{
    size_t len = strlen(vector_pkt);

    /* Dropping only the CRLF leaves a valid packet; every shorter prefix is bad. */
    for (size_t i = 0; i < len - 2; i++) {
        struct dec_error err = {0};
        const char *seg;
        size_t seg_len;
        char *copy = malloc(i ? i : 1);

        assert_non_null(copy);
        memcpy(copy, vector_pkt, i);
        assert_true(hj212_unframe(copy, i, &seg, &seg_len, &err) < 0);
        free(copy);
    }
}

static void test_header_appendix_a(void **state)
{
    struct hj212_header h;
    struct dec_error err = {0};

    assert_int_equal(hj212_parse_header(vector_seg, strlen(vector_seg), &h, &err), 0);
    assert_string_equal(h.qn, "20160801085857223");
    assert_int_equal(h.st, 32);
    assert_int_equal(h.cn, 1062);
    assert_string_equal(h.pw, "100000");
    assert_string_equal(h.mn, "010000A8900016F000169DC0");
    assert_int_equal(h.flag, 5);
    assert_int_equal(h.pnum, 0);
    assert_int_equal(h.pno, 0);
    assert_int_equal(h.cp_len, strlen("RtdInterval=30"));
    assert_memory_equal(h.cp, "RtdInterval=30", h.cp_len);
    assert_true(hj212_wants_ack(&h));
    assert_false(hj212_cn_is_data(h.cn));
}

static void test_header_optional_fields(void **state)
{
    static const char seg[] = "ST=22;CN=2011;PW=123456;MN=AQM01;PNUM=2;PNO=1;Flag=7;CP=&&&&";
    static const char no_flag[] = "ST=22;CN=2011;PW=123456;MN=AQM01;CP=&&&&";
    struct hj212_header h;
    struct dec_error err = {0};

    assert_int_equal(hj212_parse_header(seg, strlen(seg), &h, &err), 0);
    assert_string_equal(h.qn, "");
    assert_int_equal(h.flag, 7);
    assert_int_equal(h.pnum, 2);
    assert_int_equal(h.pno, 1);
    assert_int_equal(h.cp_len, 0);
    assert_true(hj212_wants_ack(&h));

    assert_int_equal(hj212_parse_header(no_flag, strlen(no_flag), &h, &err), 0);
    assert_int_equal(h.flag, -1);
    assert_false(hj212_wants_ack(&h));
}

static void expect_header(const char *seg, int code)
{
    struct hj212_header h;
    struct dec_error err = {0};

    assert_int_equal(hj212_parse_header(seg, strlen(seg), &h, &err), code);
    assert_int_equal(err.code, code);
    assert_true(err.detail[0] != '\0');
}

static void test_header_rejects(void **state)
{
    /* Missing required fields. */
    expect_header("CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;MN=A1;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;", DEC_ERR_SYNTAX);
    /* Repeated, unknown, malformed. */
    expect_header("ST=22;ST=22;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;XX=1;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=2;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=201;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=20x1;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A 1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("QN=2016x;ST=22;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;Flag=256;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;Flag=;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;CP=&&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;CP=&&a=1&", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;CP=a=1", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1", DEC_ERR_SYNTAX);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;CP=&&\t&&", DEC_ERR_SYNTAX);
    expect_header("", DEC_ERR_SYNTAX);
    /* Split packets. */
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;Flag=7;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;PNO=3;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;PNO=0;CP=&&&&", DEC_ERR_SYNTAX);
}

static void test_response_to_appendix_a_request(void **state)
{
    static const char want[] = "##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;"
                               "MN=010000A8900016F000169DC0;Flag=4;CP=&&&&71C0\r\n";
    struct hj212_header h;
    struct dec_error err = {0};
    char out[HJ212_PACKET_MAX + 1];

    assert_int_equal(hj212_parse_header(vector_seg, strlen(vector_seg), &h, &err), 0);
    assert_int_equal(hj212_build_response(&h, out, sizeof(out)), strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(hj212_build_response(&h, out, strlen(want)), COL_ERR_RANGE);
}

static void test_response_needs_qn(void **state)
{
    static const char seg[] = "ST=22;CN=2011;PW=123456;MN=AQM01;Flag=5;CP=&&&&";
    struct hj212_header h;
    struct dec_error err = {0};
    char out[HJ212_PACKET_MAX + 1];

    assert_int_equal(hj212_parse_header(seg, strlen(seg), &h, &err), 0);
    assert_int_equal(hj212_build_response(&h, out, sizeof(out)), COL_ERR_INVAL);
    assert_int_equal(hj212_build_response(NULL, out, sizeof(out)), COL_ERR_INVAL);
}

static void test_wants_ack_bits(void **state)
{
    struct hj212_header h = {0};

    h.flag = 4; /* 2017, no ack */
    assert_false(hj212_wants_ack(&h));
    h.flag = 5;
    assert_true(hj212_wants_ack(&h));
    h.flag = 7;
    assert_true(hj212_wants_ack(&h));
    h.flag = 6;
    assert_false(hj212_wants_ack(&h));
    h.flag = -1;
    assert_false(hj212_wants_ack(&h));
    assert_false(hj212_wants_ack(NULL));
}

static void test_cn_is_data(void **state)
{
    assert_true(hj212_cn_is_data(2011));
    assert_true(hj212_cn_is_data(2031));
    assert_true(hj212_cn_is_data(2051));
    assert_true(hj212_cn_is_data(2061));
    assert_false(hj212_cn_is_data(2041));
    assert_false(hj212_cn_is_data(9014));
    assert_false(hj212_cn_is_data(1062));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_appendix_a_vector),
        cmocka_unit_test(test_crc_is_not_modbus),
        cmocka_unit_test(test_frame_appendix_a),
        cmocka_unit_test(test_frame_limits),
        cmocka_unit_test(test_unframe_ok_with_and_without_crlf),
        cmocka_unit_test(test_unframe_lowercase_crc),
        cmocka_unit_test(test_unframe_rejects),
        cmocka_unit_test(test_unframe_empty_segment),
        cmocka_unit_test(test_unframe_every_truncation),
        cmocka_unit_test(test_header_appendix_a),
        cmocka_unit_test(test_header_optional_fields),
        cmocka_unit_test(test_header_rejects),
        cmocka_unit_test(test_response_to_appendix_a_request),
        cmocka_unit_test(test_response_needs_qn),
        cmocka_unit_test(test_wants_ack_bits),
        cmocka_unit_test(test_cn_is_data),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
