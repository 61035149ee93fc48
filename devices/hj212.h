/*
 * HJ 212-2017 packet helpers shared by the hj212 decoder, devsim and the
 * TCP listener: the Appendix A CRC (and the Modbus CRC-16 some devices send
 * instead), packet framing and unframing, the data segment header
 * (QN/ST/CN/PW/MN/Flag/PNUM/PNO), what a command asks of the receiver, the
 * 9011/9013/9014 replies, and the reassembly of split messages. Pure
 * functions over bounded buffers: no clock (time is passed in), no global
 * state, so every caller (decoder thread, simulator, listener) can share
 * them; only a reassembly buffer is allocated, once. The CP area itself is
 * read by decode_hj212.c; here it is only located.
 */
#ifndef HJ212_H
#define HJ212_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define HJ212_SEG_MAX 1024 /* data segment limit of §6.3; builders enforce it */
/* The most the 4-digit length field can say: longer segments are read, with a note. */
#define HJ212_SEG_LONG_MAX 9999
/* "##" + 4 length digits + segment + 4 CRC digits + CRLF */
#define HJ212_OVERHEAD 12
#define HJ212_PACKET_MAX (HJ212_SEG_MAX + HJ212_OVERHEAD)
#define HJ212_PACKET_LONG_MAX (HJ212_SEG_LONG_MAX + HJ212_OVERHEAD)
#define HJ212_QN_MAX 20 /* QN is 17 digits (YYYYMMDDhhmmsszzz); a little slack */
#define HJ212_PW_MAX 64 /* PW is 6 characters in the standard; devices send others */
#define HJ212_MN_MAX 32 /* MN is 24 hex characters (14 in HJ/T 212-2005) */

/* Flag bits (§6.3.2 Table 3): V5..V0 protocol version, D split packet, A ack wanted. */
#define HJ212_FLAG_ACK 0x01
#define HJ212_FLAG_SPLIT 0x02
#define HJ212_FLAG_VERSION_SHIFT 2
#define HJ212_VERSION_2017 1

/* Command numbers (Table 9) the collector uses. */
#define HJ212_CN_TIME_CAL_REQ 1013 /* the datalogger asks for its clock to be set */
#define HJ212_CN_RTD 2011          /* real-time data */
#define HJ212_CN_STATUS 2021       /* device running state */
#define HJ212_CN_DAY 2031          /* daily data */
#define HJ212_CN_RUNTIME 2041      /* device running time, daily */
#define HJ212_CN_MIN 2051          /* minute data */
#define HJ212_CN_HOUR 2061         /* hourly data */
#define HJ212_CN_RESTART 2081      /* the datalogger's power-on time */
#define HJ212_CN_REQ_ACK 9011      /* request response (QnRtn) */
#define HJ212_CN_EXEC_RESULT 9012  /* execution result (ExeRtn) */
#define HJ212_CN_NOTICE_ACK 9013   /* notification response */
#define HJ212_CN_DATA_ACK 9014     /* data response */
#define HJ212_ST_SYSTEM 91         /* system interaction */
#define HJ212_QNRTN_REFUSED 2      /* QnRtn of a request the receiver will not carry out */

/*
 * Whether @pw[0..len) can be a device's configured password: what a PW
 * field can carry, 1..HJ212_PW_MAX printable ASCII characters other than
 * space and ';'. HJ212_PASSWORD_RULE says so in words, for messages.
 */
bool hj212_password_ok(const char *pw, size_t len);
#define HJ212_PASSWORD_RULE                                                                        \
    "an HJ 212 password is 1 to 64 printable ASCII characters, without spaces or ';'"

/*
 * Whether the PW @sent[0..sent_len) a device sent equals its password
 * @pw[0..pw_len) (pw_len > 0). Constant time for a given @sent_len: the
 * time says nothing about the password, not even its length.
 */
bool hj212_password_equal(const char *sent, size_t sent_len, const char *pw, size_t pw_len);

/* The header fields of one data segment. Strings are NUL-terminated copies. */
struct hj212_header {
    char qn[HJ212_QN_MAX + 1]; /* "" when the packet has no QN */
    int st;                    /* system code, 0..99; -1 when it has letters */
    char st_text[3];           /* the two characters of ST as sent (0-9, A-Z) */
    int cn;                    /* command number, 0..9999 */
    char pw[HJ212_PW_MAX + 1];
    char mn[HJ212_MN_MAX + 1];
    int flag;       /* 0..255, or -1 when the packet has no Flag */
    int pnum;       /* total packets of a split message; 0 when absent */
    int pno;        /* this packet's number, 1-based; 0 when absent */
    const char *cp; /* borrowed: the CP content between "CP=&&" and "&&" */
    size_t cp_len;
    unsigned notes; /* DEC_NOTE_HJ212_* leniencies the header needed */
};

/*
 * CRC16 of @data[0..len) per HJ 212-2017 Appendix A (not Modbus CRC-16:
 * the register is shifted right by 8 before each byte is XORed in). The
 * standard's test vector gives 0x1C80. Sent as 4 hex digits, high byte first.
 */
uint16_t hj212_crc16(const char *data, size_t len);

/*
 * Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF, each byte
 * XORed into the low byte), which some dataloggers send instead. Of the
 * Appendix A segment it is 0x0759.
 */
uint16_t hj212_crc16_modbus(const char *data, size_t len);

/*
 * The 16-bit value a device of checksum @mode (not DEC_CRC_ANY) writes as
 * the 4 hex digits: the Appendix A CRC, the Modbus CRC, or the Modbus CRC
 * with its bytes swapped.
 */
uint16_t hj212_crc_for(enum dec_crc mode, const char *data, size_t len);

/* "hj212", "modbus", "modbus-swapped", "any"; NULL for an unknown mode. */
const char *hj212_crc_name(enum dec_crc mode);
/* The mode named @name (as above); COL_ERR_INVAL when unknown. */
int hj212_crc_parse(const char *name, enum dec_crc *out);

/*
 * Build "##dddd<segment>XXXX\r\n" into @out and NUL-terminate it. @segment
 * must be 1..HJ212_SEG_MAX printable characters (CR and LF are refused).
 * Returns the packet length without the NUL, or COL_ERR_INVAL for a bad
 * segment, COL_ERR_RANGE when @outsz is smaller than seg_len + 13.
 */
int hj212_frame(const char *segment, size_t seg_len, char *out, size_t outsz);

/*
 * Like hj212_frame() with the checksum of @mode (not DEC_CRC_ANY) and
 * segments up to HJ212_SEG_LONG_MAX bytes: used to rebuild a reassembled
 * message in the checksum its device speaks.
 */
int hj212_frame_mode(const char *segment, size_t seg_len, enum dec_crc mode, char *out,
                     size_t outsz);

/*
 * Check the framing of one packet @pkt[0..len) (a trailing CRLF is
 * optional): "##", a 4-digit length equal to the data segment's, and the
 * Appendix A CRC over the segment. On success points *@seg into @pkt and
 * returns 0; otherwise returns DEC_ERR_FRAMING or DEC_ERR_CRC with the
 * reason in @err.
 */
int hj212_unframe(const char *pkt, size_t len, const char **seg, size_t *seg_len,
                  struct dec_error *err);

/*
 * hj212_unframe() accepting the checksum @mode: under DEC_CRC_ANY the
 * Appendix A CRC is tried first, then Modbus, then Modbus swapped. *@used
 * (may be NULL) gets the mode that matched. A mismatch is DEC_ERR_CRC.
 */
int hj212_unframe_mode(const char *pkt, size_t len, enum dec_crc mode, const char **seg,
                       size_t *seg_len, enum dec_crc *used, struct dec_error *err);

/*
 * Parse the header of a data segment @seg[0..len) into @h: fields
 * "key=value;" in any order, then "CP=&&...&&" ending the segment. ST, CN,
 * PW, MN and CP are required; QN, Flag, PNUM and PNO are optional. The
 * field dialects are accepted and noted in @h->notes: no QN or no Flag
 * (HJ/T 212-2005), a PW of any length up to HJ212_PW_MAX (empty too), an ST
 * outside Table 5, and a Flag with the split bit but no PNUM/PNO (read as
 * one packet, the bit cleared). @h->cp points into @seg. Returns 0,
 * DEC_ERR_SYNTAX (malformed) or DEC_ERR_SHAPE (missing or repeated field),
 * with the reason in @err.
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

/* True when @st is one of the system codes of HJ 212-2017 Table 5. */
bool hj212_st_is_listed(int st);

/*
 * What a packet that is not a measurement upload asks of the collector,
 * which is the upper computer (上位机) of the link and sends no requests:
 *   HJ212_CMD_DATA     a measurement upload: decode and store;
 *   HJ212_CMD_UPLOAD   another upload (2081 power-on time, 2021 running
 *                      state, 2041 running time): nothing to store; a 9014
 *                      data response when the sender wants one;
 *   HJ212_CMD_NOTICE   1013, the datalogger asks for a clock setting: a 9013
 *                      notification response when wanted (the clock itself
 *                      is not set: the collector sends no commands);
 *   HJ212_CMD_REPLY    9011-9014 (and other 9xxx) replies: never answered;
 *   HJ212_CMD_REQUEST  parameter and control commands (1xxx, 3xxx and the
 *                      rest): not carried out; a 9011 request response with
 *                      QnRtn=2 ("refused") when wanted.
 */
enum hj212_cmd_class {
    HJ212_CMD_DATA,
    HJ212_CMD_UPLOAD,
    HJ212_CMD_NOTICE,
    HJ212_CMD_REPLY,
    HJ212_CMD_REQUEST,
};
enum hj212_cmd_class hj212_cmd_classify(int cn);

/* Counter name of a class other than DATA: "hj212_upload_cmd", ... */
const char *hj212_cmd_class_name(enum hj212_cmd_class c);

/*
 * The reply the collector owes to @req, framed into @out: the 9014 data
 * response for DATA and UPLOAD, 9013 for NOTICE, 9011 with QnRtn=2 for
 * REQUEST. Returns the packet length; 0 when nothing is owed (a REPLY, no
 * QN, or the Flag does not ask for an answer); COL_ERR_RANGE when @outsz is
 * too small.
 */
int hj212_build_reply(const struct hj212_header *req, char *out, size_t outsz);

/*
 * Reassembly of split messages (PNUM/PNO): parts are held until all have
 * come, then rebuilt into one packet, so that a message is stored whole or
 * not at all. A message is keyed by MN, QN (or CN when there is no QN) and
 * PNUM; at most HJ212_REASM_MESSAGES are open at once, with up to
 * HJ212_REASM_PARTS parts and HJ212_REASM_BYTES bytes of packets each.
 * Not thread-safe: one per listener thread. Time is passed in.
 */
#define HJ212_REASM_MESSAGES 16
#define HJ212_REASM_PARTS 32
#define HJ212_REASM_BYTES 16384

struct hj212_reasm;

enum {
    HJ212_REASM_PENDING = 0,   /* held; more parts to come */
    HJ212_REASM_COMPLETE = 1,  /* every part is here: build and drop the message */
    HJ212_REASM_DUPLICATE = 2, /* this PNO is already held (a resend); ignored */
};

/* A reassembly buffer whose messages expire @timeout_ms after their first part. */
struct hj212_reasm *hj212_reasm_new(int64_t timeout_ms);
void hj212_reasm_free(struct hj212_reasm *r);

/*
 * Hold the part @pkt[0..len) whose parsed header is @h (h->pnum > 0) and
 * whose checksum is of mode @crc, received at @now_ms; the part is copied.
 * *@msg gets the message's slot. Returns HJ212_REASM_PENDING, _COMPLETE or
 * _DUPLICATE, or COL_ERR_RANGE when the part cannot be held (PNUM above
 * HJ212_REASM_PARTS, no room left, every slot busy): the caller rejects it.
 */
int hj212_reasm_add(struct hj212_reasm *r, const struct hj212_header *h, enum dec_crc crc,
                    const char *pkt, size_t len, int64_t now_ms, int *msg);

/*
 * Rebuild message @msg as one packet in @out: the first part's header
 * without PNUM/PNO and with the split bit cleared, and a CP of every part's
 * CP in PNO order joined by ';', a DataTime repeated by later parts taken
 * once. Framed with the parts' checksum mode (the build's scratch space is
 * in @r). Returns the packet length,
 * DEC_ERR_SHAPE (parts disagree on DataTime; details in @err) or
 * COL_ERR_RANGE (longer than HJ212_SEG_LONG_MAX or than @outsz).
 */
int hj212_reasm_build(struct hj212_reasm *r, int msg, char *out, size_t outsz,
                      struct dec_error *err);

/* Number of parts held for @msg, and part @i (in PNO order) with its length. */
size_t hj212_reasm_n_parts(const struct hj212_reasm *r, int msg);
const char *hj212_reasm_part(const struct hj212_reasm *r, int msg, size_t i, size_t *len);

/* Forget message @msg (after it was stored or rejected). */
void hj212_reasm_drop(struct hj212_reasm *r, int msg);

/* A message whose time ran out at @now_ms (list and drop its parts), or -1. */
int hj212_reasm_expired(const struct hj212_reasm *r, int64_t now_ms);

/* PNUM of message @msg (how many parts it should have). */
int hj212_reasm_pnum(const struct hj212_reasm *r, int msg);

#endif
