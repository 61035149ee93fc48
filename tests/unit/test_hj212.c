/*
 * Tests of the HJ 212-2017 helpers (devices/hj212.h): the Appendix A CRC
 * against the standard's own test vector, the Modbus CRC-16 and the
 * checksum modes, framing and unframing, the header parser and its field
 * dialects, command classes and the replies owed to them, and split-message
 * reassembly. Every expected packet below was written out by hand (its CRC
 * checked with an independent script), never produced by the code under
 * test; packets framed inside the tests use the table-driven CRCs below,
 * written independently of devices/hj212.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "col_err.h"
#include "hj212.h"

/*
 * Independent CRCs: table-driven, where devices/hj212.c works bit by bit.
 * The table is the reflected polynomial 0xA001 over one byte; Modbus feeds
 * each byte into the low byte of the register, the HJ 212 algorithm
 * (Appendix A) shifts the register right by 8 and XORs the byte in first.
 */
static uint16_t crc_table(unsigned idx)
{
    uint16_t c = (uint16_t)idx;

    for (int k = 0; k < 8; k++)
        c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xA001) : (uint16_t)(c >> 1);
    return c;
}

static uint16_t ref_modbus(const char *s, size_t n)
{
    uint16_t r = 0xFFFF;

    for (size_t i = 0; i < n; i++)
        r = (uint16_t)((r >> 8) ^ crc_table((r ^ (unsigned char)s[i]) & 0xFF));
    return r;
}

static uint16_t ref_hj212(const char *s, size_t n)
{
    uint16_t r = 0xFFFF;

    for (size_t i = 0; i < n; i++) {
        r = (uint16_t)((r >> 8) ^ (unsigned char)s[i]);
        r = (uint16_t)((r >> 8) ^ crc_table(r & 0xFF));
    }
    return r;
}

/* "##dddd" + @seg + 4 hex digits of @crc + CRLF into @out. */
static size_t ref_frame(const char *seg, uint16_t crc, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "##%04zu%s%04X\r\n", strlen(seg), seg, crc);

    assert_true(n > 0 && (size_t)n < outsz);
    return (size_t)n;
}

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
    expect_header("ST=2a;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    expect_header("ST=221;CN=2011;PW=123456;MN=A1;CP=&&&&", DEC_ERR_SYNTAX);
    /* PW up to 64 characters: 65 is too long. */
    expect_header(
        "ST=22;CN=2011;PW=01234567890123456789012345678901234567890123456789012345678901234;"
        "MN=A1;CP=&&&&",
        DEC_ERR_SYNTAX);
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
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;PNO=3;CP=&&&&", DEC_ERR_SHAPE);
    expect_header("ST=22;CN=2011;PW=123456;MN=A1;PNUM=2;PNO=0;CP=&&&&", DEC_ERR_SYNTAX);
}

/* Field dialects: each accepted, and noted (see docs/devices.md). */
static void test_header_dialects(void **state)
{
    /* HJ/T 212-2005 style: no QN, no Flag; an empty PW. */
    static const char old[] = "ST=32;CN=2011;PW=;MN=88888880000001;CP=&&&&";
    static const char long_pw[] = "ST=22;CN=2011;PW=abc-DEF_0123.xyz!&%#;MN=A1;CP=&&&&";
    static const char unlisted[] = "QN=1;ST=99;CN=2011;PW=123456;MN=A1;Flag=4;CP=&&&&";
    static const char letters[] = "QN=1;ST=3A;CN=2011;PW=123456;MN=A1;Flag=4;CP=&&&&";
    static const char split_alone[] = "QN=1;ST=22;CN=2011;PW=123456;MN=A1;Flag=7;CP=&&&&";
    struct hj212_header h;
    struct dec_error err = {0};

    assert_int_equal(hj212_parse_header(old, strlen(old), &h, &err), 0);
    assert_string_equal(h.qn, "");
    assert_int_equal(h.flag, -1);
    assert_string_equal(h.pw, "");
    assert_int_equal(h.st, 32);
    assert_string_equal(h.st_text, "32");
    assert_int_equal(h.notes,
                     DEC_NOTE_HJ212_NO_QN | DEC_NOTE_HJ212_NO_FLAG | DEC_NOTE_HJ212_PW_LENGTH);

    assert_int_equal(hj212_parse_header(long_pw, strlen(long_pw), &h, &err), 0);
    assert_string_equal(h.pw, "abc-DEF_0123.xyz!&%#"); /* compared as sent */
    assert_true(h.notes & DEC_NOTE_HJ212_PW_LENGTH);

    assert_int_equal(hj212_parse_header(unlisted, strlen(unlisted), &h, &err), 0);
    assert_int_equal(h.st, 99);
    assert_int_equal(h.notes, DEC_NOTE_HJ212_ST_UNLISTED);

    assert_int_equal(hj212_parse_header(letters, strlen(letters), &h, &err), 0);
    assert_int_equal(h.st, -1);
    assert_string_equal(h.st_text, "3A");
    assert_int_equal(h.notes, DEC_NOTE_HJ212_ST_UNLISTED);

    /* The split bit without PNUM/PNO: one packet, the bit cleared, A kept. */
    assert_int_equal(hj212_parse_header(split_alone, strlen(split_alone), &h, &err), 0);
    assert_int_equal(h.flag, 5);
    assert_int_equal(h.pnum, 0);
    assert_true(hj212_wants_ack(&h));
    assert_int_equal(h.notes, DEC_NOTE_HJ212_SPLIT_ALONE);
}

static void test_st_table(void **state)
{
    /* HJ 212-2017 Table 5. */
    static const int listed[] = {21, 22, 23, 24, 25, 26, 27, 31, 32, 33,
                                 34, 35, 36, 37, 38, 39, 41, 51, 52, 91};
    int n_listed = 0;

    for (int st = -1; st <= 99; st++)
        n_listed += hj212_st_is_listed(st);
    assert_int_equal(n_listed, (int)(sizeof(listed) / sizeof(listed[0])));
    for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
        assert_true(hj212_st_is_listed(listed[i]));
}

static void test_crc_modbus(void **state)
{
    /* The CRC-16/MODBUS check value of "123456789" is 0x4B37. */
    assert_int_equal(ref_modbus("123456789", 9), 0x4B37);
    assert_int_equal(hj212_crc16_modbus("123456789", 9), 0x4B37);
    assert_int_equal(hj212_crc16_modbus(vector_seg, strlen(vector_seg)), 0x0759);
    assert_int_equal(ref_modbus(vector_seg, strlen(vector_seg)), 0x0759);
    assert_int_equal(ref_hj212(vector_seg, strlen(vector_seg)), 0x1C80);
    assert_int_equal(hj212_crc_for(DEC_CRC_HJ212, vector_seg, strlen(vector_seg)), 0x1C80);
    assert_int_equal(hj212_crc_for(DEC_CRC_MODBUS, vector_seg, strlen(vector_seg)), 0x0759);
    assert_int_equal(hj212_crc_for(DEC_CRC_MODBUS_SWAPPED, vector_seg, strlen(vector_seg)), 0x5907);
}

static void test_crc_names(void **state)
{
    enum dec_crc m;

    assert_int_equal(hj212_crc_parse("hj212", &m), 0);
    assert_int_equal(m, DEC_CRC_HJ212);
    assert_int_equal(hj212_crc_parse("modbus", &m), 0);
    assert_int_equal(m, DEC_CRC_MODBUS);
    assert_int_equal(hj212_crc_parse("modbus-swapped", &m), 0);
    assert_int_equal(m, DEC_CRC_MODBUS_SWAPPED);
    assert_int_equal(hj212_crc_parse("any", &m), 0);
    assert_int_equal(m, DEC_CRC_ANY);
    assert_int_equal(hj212_crc_parse("crc32", &m), COL_ERR_INVAL);
    assert_string_equal(hj212_crc_name(DEC_CRC_MODBUS_SWAPPED), "modbus-swapped");
}

/* Each checksum is accepted under its own mode and under any, refused under the others. */
static void test_unframe_crc_modes(void **state)
{
    static const enum dec_crc modes[] = {DEC_CRC_HJ212, DEC_CRC_MODBUS, DEC_CRC_MODBUS_SWAPPED};
    uint16_t mb = ref_modbus(vector_seg, strlen(vector_seg));
    uint16_t crcs[3];
    char pkt[HJ212_PACKET_MAX + 1];

    crcs[0] = ref_hj212(vector_seg, strlen(vector_seg));
    crcs[1] = mb;
    crcs[2] = (uint16_t)((mb >> 8) | (mb << 8));
    for (int sent = 0; sent < 3; sent++) {
        size_t len = ref_frame(vector_seg, crcs[sent], pkt, sizeof(pkt));

        for (int conf = 0; conf < 3; conf++) {
            struct dec_error err = {0};
            const char *seg;
            size_t seg_len;
            enum dec_crc used = DEC_CRC_ANY;
            int rc = hj212_unframe_mode(pkt, len, modes[conf], &seg, &seg_len, &used, &err);

            if (conf == sent) {
                assert_int_equal(rc, 0);
                assert_int_equal(used, modes[sent]);
                assert_int_equal(seg_len, 101);
            } else {
                assert_int_equal(rc, DEC_ERR_CRC);
                assert_int_equal(err.code, DEC_ERR_CRC);
            }
        }
        {
            struct dec_error err = {0};
            const char *seg;
            size_t seg_len;
            enum dec_crc used = DEC_CRC_ANY;

            assert_int_equal(hj212_unframe_mode(pkt, len, DEC_CRC_ANY, &seg, &seg_len, &used, &err),
                             0);
            assert_int_equal(used, modes[sent]);
        }
    }
    /* None of the three: refused under any, with every candidate named. */
    {
        struct dec_error err = {0};
        const char *seg;
        size_t seg_len;
        size_t len = ref_frame(vector_seg, 0x1234, pkt, sizeof(pkt));

        assert_int_equal(hj212_unframe_mode(pkt, len, DEC_CRC_ANY, &seg, &seg_len, NULL, &err),
                         DEC_ERR_CRC);
        assert_non_null(strstr(err.detail, "1C80"));
        assert_non_null(strstr(err.detail, "0759"));
    }
}

static void test_frame_mode(void **state)
{
    char out[HJ212_PACKET_LONG_MAX + 1];
    char want[HJ212_PACKET_MAX + 1];
    char *seg = malloc(HJ212_SEG_LONG_MAX + 1);
    const char *got_seg;
    size_t got_len;
    struct dec_error err = {0};
    int n;

    assert_non_null(seg);
    ref_frame(vector_seg, 0x0759, want, sizeof(want));
    n = hj212_frame_mode(vector_seg, strlen(vector_seg), DEC_CRC_MODBUS, out, sizeof(out));
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(hj212_frame_mode(vector_seg, 10, DEC_CRC_ANY, out, sizeof(out)),
                     COL_ERR_INVAL);
    /* Long segments: up to what 4 digits can say. */
    memset(seg, 'A', HJ212_SEG_LONG_MAX + 1);
    assert_int_equal(hj212_frame_mode(seg, HJ212_SEG_LONG_MAX, DEC_CRC_HJ212, out, sizeof(out)),
                     HJ212_PACKET_LONG_MAX);
    assert_memory_equal(out, "##9999AAA", 9);
    assert_int_equal(hj212_unframe(out, HJ212_PACKET_LONG_MAX, &got_seg, &got_len, &err), 0);
    assert_int_equal(got_len, HJ212_SEG_LONG_MAX);
    assert_int_equal(hj212_frame_mode(seg, HJ212_SEG_LONG_MAX + 1, DEC_CRC_HJ212, out, sizeof(out)),
                     COL_ERR_INVAL);
    free(seg);
}

static void test_long_segment_noted(void **state)
{
    char seg[1200];
    struct hj212_header h;
    struct dec_error err = {0};
    size_t n;

    n = (size_t)snprintf(seg, sizeof(seg), "QN=1;ST=22;CN=2011;PW=123456;MN=A1;Flag=4;CP=&&%s",
                         "DataTime=20240601100000;");
    while (n < 1100)
        n += (size_t)snprintf(seg + n, sizeof(seg) - n, "a%05zu-Rtd=1;", n);
    memcpy(seg + n, "a-Rtd=1&&", 10);
    n += 9;
    assert_true(n > HJ212_SEG_MAX);
    assert_int_equal(hj212_parse_header(seg, n, &h, &err), 0);
    assert_true(h.notes & DEC_NOTE_HJ212_LONG);
}

static void test_cmd_classes(void **state)
{
    assert_int_equal(hj212_cmd_classify(2011), HJ212_CMD_DATA);
    assert_int_equal(hj212_cmd_classify(2061), HJ212_CMD_DATA);
    assert_int_equal(hj212_cmd_classify(2081), HJ212_CMD_UPLOAD);
    assert_int_equal(hj212_cmd_classify(2021), HJ212_CMD_UPLOAD);
    assert_int_equal(hj212_cmd_classify(2041), HJ212_CMD_UPLOAD);
    assert_int_equal(hj212_cmd_classify(1013), HJ212_CMD_NOTICE);
    for (int cn = 9011; cn <= 9014; cn++)
        assert_int_equal(hj212_cmd_classify(cn), HJ212_CMD_REPLY);
    assert_int_equal(hj212_cmd_classify(1062), HJ212_CMD_REQUEST);
    assert_int_equal(hj212_cmd_classify(1072), HJ212_CMD_REQUEST);
    assert_int_equal(hj212_cmd_classify(3011), HJ212_CMD_REQUEST);
    assert_string_equal(hj212_cmd_class_name(HJ212_CMD_UPLOAD), "hj212_upload_cmd");
    assert_string_equal(hj212_cmd_class_name(HJ212_CMD_REPLY), "hj212_reply_cmd");
}

static void expect_reply(const char *seg, const char *want)
{
    struct hj212_header h;
    struct dec_error err = {0};
    char out[HJ212_PACKET_MAX + 1];

    assert_int_equal(hj212_parse_header(seg, strlen(seg), &h, &err), 0);
    if (!want) {
        assert_int_equal(hj212_build_reply(&h, out, sizeof(out)), 0);
        return;
    }
    assert_int_equal(hj212_build_reply(&h, out, sizeof(out)), strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(hj212_build_reply(&h, out, strlen(want)), COL_ERR_RANGE);
}

static void test_replies(void **state)
{
    /* 2081 power-on time: the 9014 data response. */
    expect_reply("QN=20240601080000001;ST=22;CN=2081;PW=123456;MN=AQM01;Flag=5;"
                 "CP=&&DataTime=20240601080000;RestartTime=20240601075900&&",
                 "##0068QN=20240601080000001;ST=91;CN=9014;PW=123456;MN=AQM01;Flag=4;CP=&&&&"
                 "8201\r\n");
    /* 1013 time calibration request: the 9013 notification response. */
    expect_reply("QN=20240601080000002;ST=22;CN=1013;PW=123456;MN=AQM01;Flag=5;CP=&&&&",
                 "##0068QN=20240601080000002;ST=91;CN=9013;PW=123456;MN=AQM01;Flag=4;CP=&&&&"
                 "2F80\r\n");
    /* The Appendix A request (1062 set interval): refused with 9011 QnRtn=2. */
    expect_reply(vector_seg, "##0094QN=20160801085857223;ST=91;CN=9011;PW=100000;"
                             "MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=2&&B101\r\n");
    /* Replies are never answered; no A bit or no QN: nothing. */
    expect_reply("QN=20240601080000003;ST=91;CN=9014;PW=123456;MN=AQM01;Flag=5;CP=&&&&", NULL);
    expect_reply("QN=20240601080000003;ST=91;CN=9011;PW=123456;MN=AQM01;Flag=5;"
                 "CP=&&QnRtn=1&&",
                 NULL);
    expect_reply("QN=20240601080000004;ST=22;CN=2081;PW=123456;MN=AQM01;Flag=4;CP=&&&&", NULL);
    expect_reply("ST=22;CN=2081;PW=123456;MN=AQM01;Flag=5;CP=&&&&", NULL);
}

/* The two parts of a split hourly packet and the whole they make (CRCs by script). */
static const char part1[] =
    "##0134QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=7;PNUM=2;PNO=1;"
    "CP=&&DataTime=20240601100000;a34004-Avg=23.4,a34004-Flag=N&&8801\r\n";
static const char part2[] =
    "##0133QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=7;PNUM=2;PNO=2;"
    "CP=&&DataTime=20240601100000;a21026-Avg=5.2,a21026-Flag=N&&E101\r\n";
static const char whole[] =
    "##0150QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=5;"
    "CP=&&DataTime=20240601100000;a34004-Avg=23.4,a34004-Flag=N;a21026-Avg=5.2,"
    "a21026-Flag=N&&9841\r\n";

static int add_part(struct hj212_reasm *r, const char *pkt, enum dec_crc crc, int64_t now, int *msg)
{
    struct hj212_header h;
    struct dec_error err = {0};
    const char *seg;
    size_t seg_len;

    assert_int_equal(hj212_unframe_mode(pkt, strlen(pkt), crc, &seg, &seg_len, NULL, &err), 0);
    assert_int_equal(hj212_parse_header(seg, seg_len, &h, &err), 0);
    return hj212_reasm_add(r, &h, crc, pkt, strlen(pkt), now, msg);
}

static void test_reasm_two_parts_out_of_order(void **state)
{
    struct hj212_reasm *r = hj212_reasm_new(60000);
    char out[HJ212_PACKET_LONG_MAX + 1];
    struct dec_error err = {0};
    size_t len;
    int msg = -1, msg2 = -1;

    assert_non_null(r);
    assert_int_equal(add_part(r, part2, DEC_CRC_HJ212, 1000, &msg), HJ212_REASM_PENDING);
    assert_int_equal(add_part(r, part2, DEC_CRC_HJ212, 1500, &msg2), HJ212_REASM_DUPLICATE);
    assert_int_equal(msg2, msg);
    assert_int_equal(hj212_reasm_n_parts(r, msg), 1);
    assert_int_equal(hj212_reasm_pnum(r, msg), 2);
    assert_int_equal(add_part(r, part1, DEC_CRC_HJ212, 2000, &msg2), HJ212_REASM_COMPLETE);
    assert_int_equal(msg2, msg);
    assert_int_equal(hj212_reasm_build(r, msg, out, sizeof(out), &err), strlen(whole));
    assert_string_equal(out, whole);
    /* The parts, in PNO order, exactly as they came. */
    assert_int_equal(hj212_reasm_n_parts(r, msg), 2);
    assert_memory_equal(hj212_reasm_part(r, msg, 0, &len), part1, strlen(part1));
    assert_int_equal(len, strlen(part1));
    assert_memory_equal(hj212_reasm_part(r, msg, 1, &len), part2, strlen(part2));
    assert_null(hj212_reasm_part(r, msg, 2, &len));
    hj212_reasm_drop(r, msg);
    assert_int_equal(hj212_reasm_n_parts(r, msg), 0);
    hj212_reasm_free(r);
}

static void test_reasm_modbus(void **state)
{
    struct hj212_reasm *r = hj212_reasm_new(60000);
    char p1[256], p2[256], want[256], out[HJ212_PACKET_LONG_MAX + 1];
    struct dec_error err = {0};
    int msg;

    assert_non_null(r);
    /* The same parts with Modbus CRCs: the whole is framed in Modbus too. */
    memcpy(p1, part1, sizeof(part1));
    memcpy(p1 + strlen(p1) - 6, "4532", 4);
    memcpy(p2, part2, sizeof(part2));
    memcpy(p2 + strlen(p2) - 6, "F64C", 4);
    memcpy(want, whole, sizeof(whole));
    memcpy(want + strlen(want) - 6, "8E72", 4);
    assert_int_equal(add_part(r, p1, DEC_CRC_MODBUS, 0, &msg), HJ212_REASM_PENDING);
    assert_int_equal(add_part(r, p2, DEC_CRC_MODBUS, 0, &msg), HJ212_REASM_COMPLETE);
    assert_int_equal(hj212_reasm_build(r, msg, out, sizeof(out), &err), strlen(want));
    assert_string_equal(out, want);
    hj212_reasm_free(r);
}

static void test_reasm_expiry_and_limits(void **state)
{
    struct hj212_reasm *r = hj212_reasm_new(60000);
    struct hj212_header h;
    int msg = -1, first;

    assert_non_null(r);
    assert_int_equal(add_part(r, part1, DEC_CRC_HJ212, 1000, &msg), HJ212_REASM_PENDING);
    first = msg;
    assert_int_equal(hj212_reasm_expired(r, 60999), -1);
    assert_int_equal(hj212_reasm_expired(r, 61000), first);
    assert_int_equal(hj212_reasm_n_parts(r, first), 1);
    hj212_reasm_drop(r, first);
    assert_int_equal(hj212_reasm_expired(r, 99999), -1);

    /* Every slot busy: the next message is refused, not dropped silently. */
    memset(&h, 0, sizeof(h));
    h.pnum = 2;
    h.pno = 1;
    for (int i = 0; i < HJ212_REASM_MESSAGES; i++) {
        snprintf(h.mn, sizeof(h.mn), "M%d", i);
        assert_int_equal(hj212_reasm_add(r, &h, DEC_CRC_HJ212, "x", 1, 0, &msg),
                         HJ212_REASM_PENDING);
    }
    snprintf(h.mn, sizeof(h.mn), "late");
    assert_int_equal(hj212_reasm_add(r, &h, DEC_CRC_HJ212, "x", 1, 0, &msg), COL_ERR_RANGE);
    /* Too many parts, or more bytes than a slot holds. */
    snprintf(h.mn, sizeof(h.mn), "M0");
    h.pnum = HJ212_REASM_PARTS + 1;
    assert_int_equal(hj212_reasm_add(r, &h, DEC_CRC_HJ212, "x", 1, 0, &msg), COL_ERR_RANGE);
    hj212_reasm_free(r);

    r = hj212_reasm_new(1);
    assert_non_null(r);
    {
        char *big = calloc(1, HJ212_REASM_BYTES);

        assert_non_null(big);
        h.pnum = 2;
        h.pno = 1;
        assert_int_equal(
            hj212_reasm_add(r, &h, DEC_CRC_HJ212, big, HJ212_REASM_BYTES - 10, 0, &msg),
            HJ212_REASM_PENDING);
        h.pno = 2;
        assert_int_equal(hj212_reasm_add(r, &h, DEC_CRC_HJ212, big, 11, 0, &msg), COL_ERR_RANGE);
        free(big);
    }
    hj212_reasm_free(r);
    hj212_reasm_free(NULL);
}

static void test_reasm_datatime_disagrees(void **state)
{
    static const char seg2[] = "QN=20240601103000123;ST=22;CN=2061;PW=123456;MN=AQM01;Flag=7;"
                               "PNUM=2;PNO=2;CP=&&DataTime=20240601110000;a21026-Avg=5.2&&";
    struct hj212_reasm *r = hj212_reasm_new(60000);
    char p2[256], out[HJ212_PACKET_LONG_MAX + 1];
    struct dec_error err = {0};
    int msg;

    assert_non_null(r);
    ref_frame(seg2, ref_hj212(seg2, strlen(seg2)), p2, sizeof(p2));
    assert_int_equal(add_part(r, part1, DEC_CRC_HJ212, 0, &msg), HJ212_REASM_PENDING);
    assert_int_equal(add_part(r, p2, DEC_CRC_HJ212, 0, &msg), HJ212_REASM_COMPLETE);
    assert_int_equal(hj212_reasm_build(r, msg, out, sizeof(out), &err), DEC_ERR_SHAPE);
    assert_non_null(strstr(err.detail, "DataTime=20240601110000"));
    hj212_reasm_free(r);
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

/* A configured password is what a PW field can carry. */
static void test_password_ok(void **state)
{
    char long_pw[HJ212_PW_MAX + 2];

    assert_true(hj212_password_ok("123456", 6));
    assert_true(hj212_password_ok("x", 1));
    assert_true(hj212_password_ok("A-b_c.d!@#$%^&*()=+[]{}~", 24));
    assert_false(hj212_password_ok("", 0));
    assert_false(hj212_password_ok("a;b", 3)); /* ';' ends the field */
    assert_false(hj212_password_ok("a b", 3));
    assert_false(hj212_password_ok("a\tb", 3));
    assert_false(hj212_password_ok("\xe5\xaf\x86", 3)); /* not ASCII */
    memset(long_pw, 'p', sizeof(long_pw));
    assert_true(hj212_password_ok(long_pw, HJ212_PW_MAX));
    assert_false(hj212_password_ok(long_pw, HJ212_PW_MAX + 1));
}

/* Equal only when every byte and the length agree, whatever the lengths. */
static void test_password_equal(void **state)
{
    assert_true(hj212_password_equal("123456", 6, "123456", 6));
    assert_false(hj212_password_equal("123457", 6, "123456", 6));
    assert_false(hj212_password_equal("12345", 5, "123456", 6));         /* a prefix */
    assert_false(hj212_password_equal("1234561", 7, "123456", 6));       /* longer */
    assert_false(hj212_password_equal("123456123456", 12, "123456", 6)); /* the password twice */
    assert_false(hj212_password_equal("", 0, "123456", 6));
    assert_true(hj212_password_equal("a", 1, "a", 1));
    assert_false(hj212_password_equal("A", 1, "a", 1));
    assert_true(hj212_password_equal("a-much-longer-password-than-six", 31,
                                     "a-much-longer-password-than-six", 31));
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
        cmocka_unit_test(test_header_dialects),
        cmocka_unit_test(test_st_table),
        cmocka_unit_test(test_crc_modbus),
        cmocka_unit_test(test_crc_names),
        cmocka_unit_test(test_unframe_crc_modes),
        cmocka_unit_test(test_frame_mode),
        cmocka_unit_test(test_long_segment_noted),
        cmocka_unit_test(test_cmd_classes),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_reasm_two_parts_out_of_order),
        cmocka_unit_test(test_reasm_modbus),
        cmocka_unit_test(test_reasm_expiry_and_limits),
        cmocka_unit_test(test_reasm_datatime_disagrees),
        cmocka_unit_test(test_response_to_appendix_a_request),
        cmocka_unit_test(test_response_needs_qn),
        cmocka_unit_test(test_wants_ack_bits),
        cmocka_unit_test(test_cn_is_data),
        cmocka_unit_test(test_password_ok),
        cmocka_unit_test(test_password_equal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
