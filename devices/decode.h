/*
 * Payload decoders: turn one message payload into named fields.
 *
 * A decoder knows a wire format (flat JSON, SenML, HJ 212) and nothing about
 * sensors: it reports each value under the name the payload uses, and the
 * device profile (profile.h) maps names to metrics, converts units and checks
 * ranges. Decoders are pure functions over a bounded buffer: they never read
 * past @len, never allocate per field, and explain every rejection in @err.
 */
#ifndef DECODE_H
#define DECODE_H

#include <stddef.h>
#include <stdint.h>

#define DEC_NAME_MAX 64
#define DEC_STR_MAX 48
#define DEC_UNIT_MAX 16
#define DEC_DEVICE_MAX 64
#define DEC_DETAIL_MAX 160

/* Rejection reasons a decoder can give; ingest turns them into reject codes. */
enum dec_err_code {
    DEC_ERR_SYNTAX = -1,    /* not valid JSON / not a valid packet */
    DEC_ERR_SHAPE = -2,     /* valid syntax, wrong structure (e.g. JSON array, no CP) */
    DEC_ERR_TIMESTAMP = -3, /* a time value that cannot be parsed */
    DEC_ERR_TOO_MANY = -4,  /* more fields than the caller's buffer holds */
    DEC_ERR_CRC = -5,       /* checksum mismatch */
    DEC_ERR_FRAMING = -6,   /* length prefix or terminator wrong */
    DEC_ERR_NOMEM = -7,     /* the parser library ran out of memory */
};

enum dec_kind { DEC_NUM, DEC_STR, DEC_BOOL, DEC_NULL };

/* One value found in a payload. Fixed-size so decoding allocates nothing. */
struct dec_field {
    char name[DEC_NAME_MAX]; /* as in the payload; nested JSON as "a.b.c" */
    enum dec_kind kind;
    double num;              /* DEC_NUM, and DEC_BOOL as 0/1 */
    char str[DEC_STR_MAX];   /* DEC_STR, truncated */
    int64_t ts_ms;           /* this value's own time (SenML t, HJ 212 DataTime); 0 = none */
    char unit[DEC_UNIT_MAX]; /* unit named by the payload (SenML u), "" when none */
    char flag;               /* data flag (HJ 212 N/F/M/S/D/C/T/B), 0 when none */
};

/* What a decoder found besides the fields. */
struct dec_msg {
    int64_t ts_ms;               /* message-level time in UTC ms; 0 when absent */
    char device[DEC_DEVICE_MAX]; /* device id carried by the payload (HJ 212 MN, SenML bn) */
    size_t n_fields;
    int n_skipped; /* values the decoder skipped (arrays, objects too deep) */
};

struct dec_error {
    int code; /* enum dec_err_code */
    char detail[DEC_DETAIL_MAX];
};

/* Options from the device profile that change how a payload is read. */
struct dec_opts {
    const char *time_field; /* JSON key holding the message time; NULL = "ts" */
    long utc_offset_s;      /* offset of local times in the payload (HJ 212), east positive */
};

struct decoder {
    const char *name; /* "json", "senml", "hj212" */
    /*
     * Decode @buf[0..len) into at most @max fields in @out. Returns the number
     * of fields written (>= 0) and fills @msg, or a negative DEC_ERR_* with
     * the reason in @err. Thread-safe; no allocation per field.
     */
    int (*decode)(const struct dec_opts *opt, const char *buf, size_t len, struct dec_msg *msg,
                  struct dec_field *out, size_t max, struct dec_error *err);
};

/* The decoder registered under @name, or NULL. */
const struct decoder *decoder_find(const char *name);

/* Short reason name for a DEC_ERR_* code ("syntax", "crc", ...). */
const char *decode_strerror(int code);

extern const struct decoder decoder_json;
extern const struct decoder decoder_senml;
extern const struct decoder decoder_hj212;
extern const struct decoder decoder_auto; /* chooses one of the above per payload */

#endif
