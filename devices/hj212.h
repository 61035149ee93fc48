/*
 * HJ 212-2017 packet helpers shared by the hj212 decoder, devsim and the
 * TCP listener: the Appendix A CRC, packet framing and unframing, the data
 * segment header (QN/ST/CN/PW/MN/Flag/PNUM/PNO) and the 9014 data response.
 * Pure functions over bounded buffers: no allocation, no clock, no global
 * state, so every caller (decoder thread, simulator, listener) can share them.
 * The CP area itself is read by decode_hj212.c; here it is only located.
 */
#ifndef HJ212_H
#define HJ212_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define HJ212_SEG_MAX 1024 /* data segment limit of §6.3; builders enforce it */
/* "##" + 4 length digits + segment + 4 CRC digits + CRLF */
#define HJ212_OVERHEAD 12
#define HJ212_PACKET_MAX (HJ212_SEG_MAX + HJ212_OVERHEAD)
#define HJ212_QN_MAX 20 /* QN is 17 digits (YYYYMMDDhhmmsszzz); a little slack */
#define HJ212_PW_MAX 16 /* PW is 6 characters in the standard */
#define HJ212_MN_MAX 32 /* MN is 24 hex characters (14 in HJ/T 212-2005) */

/* Flag bits (§6.3.2 Table 3): V5..V0 protocol version, D split packet, A ack wanted. */
#define HJ212_FLAG_ACK 0x01
#define HJ212_FLAG_SPLIT 0x02
#define HJ212_FLAG_VERSION_SHIFT 2
#define HJ212_VERSION_2017 1

/* Command numbers (Table 9) the collector uses. */
#define HJ212_CN_RTD 2011  /* real-time data */
#define HJ212_CN_DAY 2031  /* daily data */
#define HJ212_CN_MIN 2051  /* minute data */
#define HJ212_CN_HOUR 2061 /* hourly data */
#define HJ212_CN_DATA_ACK 9014
#define HJ212_ST_SYSTEM 91 /* system interaction */

/* The header fields of one data segment. Strings are NUL-terminated copies. */
struct hj212_header {
    char qn[HJ212_QN_MAX + 1]; /* "" when the packet has no QN */
    int st;                    /* system code, 0..99 */
    int cn;                    /* command number, 0..9999 */
    char pw[HJ212_PW_MAX + 1];
    char mn[HJ212_MN_MAX + 1];
    int flag;       /* 0..255, or -1 when the packet has no Flag */
    int pnum;       /* total packets of a split message; 0 when absent */
    int pno;        /* this packet's number, 1-based; 0 when absent */
    const char *cp; /* borrowed: the CP content between "CP=&&" and "&&" */
    size_t cp_len;
};

/*
 * CRC16 of @data[0..len) per HJ 212-2017 Appendix A (not Modbus CRC-16:
 * the register is shifted right by 8 before each byte is XORed in). The
 * standard's test vector gives 0x1C80. Sent as 4 hex digits, high byte first.
 */
uint16_t hj212_crc16(const char *data, size_t len);

/*
 * Build "##dddd<segment>XXXX\r\n" into @out and NUL-terminate it. @segment
 * must be 1..HJ212_SEG_MAX printable characters (CR and LF are refused).
 * Returns the packet length without the NUL, or COL_ERR_INVAL for a bad
 * segment, COL_ERR_RANGE when @outsz is smaller than seg_len + 13.
 */
int hj212_frame(const char *segment, size_t seg_len, char *out, size_t outsz);

/*
 * Check the framing of one packet @pkt[0..len) (a trailing CRLF is
 * optional): "##", a 4-digit length equal to the data segment's, and the
 * CRC over the segment. On success points *@seg into @pkt and returns 0;
 * otherwise returns DEC_ERR_FRAMING or DEC_ERR_CRC with the reason in @err.
 */
int hj212_unframe(const char *pkt, size_t len, const char **seg, size_t *seg_len,
                  struct dec_error *err);

/*
 * Parse the header of a data segment @seg[0..len) into @h: fields
 * "key=value;" in any order, then "CP=&&...&&" ending the segment. ST, CN,
 * PW, MN and CP are required; QN, Flag, PNUM and PNO are optional (a Flag
 * with the split bit requires PNUM and PNO). @h->cp points into @seg.
 * Returns 0, DEC_ERR_SYNTAX (malformed) or DEC_ERR_SHAPE (missing or
 * repeated field), with the reason in @err.
 */
int hj212_parse_header(const char *seg, size_t len, struct hj212_header *h, struct dec_error *err);

/* True when the request's Flag has the A bit (the sender waits for a reply). */
bool hj212_wants_ack(const struct hj212_header *h);

/*
 * Build the framed 9014 data response to @req into @out (NUL-terminated):
 * "QN=<req QN>;ST=91;CN=9014;PW=<req PW>;MN=<req MN>;Flag=4;CP=&&&&".
 * Flag=4 is the 2017 version with no ack wanted: a response is never acked.
 * Returns the packet length, COL_ERR_INVAL when @req has no QN (there is
 * nothing to answer), or COL_ERR_RANGE when @outsz is too small.
 */
int hj212_build_response(const struct hj212_header *req, char *out, size_t outsz);

/* True for the CNs that upload measurements: 2011, 2031, 2051 and 2061. */
bool hj212_cn_is_data(int cn);

#endif
