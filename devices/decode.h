/*
 * Payload decoders: turn one message payload into named fields.
 *
 * A decoder knows a wire format (flat JSON, SenML, HJ 212) and nothing about
 * sensors: it reports each value under the name the payload uses, and the
 * device profile (profile.h) maps names to metrics, converts units and checks
 * ranges. Decoders are pure functions over a bounded buffer: they never read
 * past @len, never allocate per field, and explain every rejection in @err.
 * What they accept only by a documented leniency (an HJ 212 dialect, a
 * relative SenML time) they report as DEC_NOTE_* bits, so ingest can count it.
 */
#ifndef DECODE_H
#define DECODE_H

#include <stdbool.h>
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

/*
 * DEC_DATA is opaque data (SenML vd, base64url text kept in str): the store
 * holds numbers, so such a value is counted, never stored.
 */
enum dec_kind { DEC_NUM, DEC_STR, DEC_BOOL, DEC_NULL, DEC_DATA };

/* One value found in a payload. Fixed-size so decoding allocates nothing. */
struct dec_field {
    char name[DEC_NAME_MAX]; /* as in the payload; nested JSON as "a.b.c" */
    enum dec_kind kind;
    double num;                  /* DEC_NUM, and DEC_BOOL as 0/1 */
    char str[DEC_STR_MAX];       /* DEC_STR, truncated */
    int64_t ts_ms;               /* this value's own time (SenML t, HJ 212 DataTime); 0 = none */
    char unit[DEC_UNIT_MAX];     /* unit named by the payload (SenML u), "" when none */
    char flag;                   /* data flag (HJ 212 N/F/M/S/D/C/T/B), 0 when none */
    char device[DEC_DEVICE_MAX]; /* device this value belongs to, "" = the message's */
    bool is_sum;                 /* a SenML sum (s + bs), reported beside the record's value */
};

/*
 * Leniencies and remarks (dec_msg.notes): a payload accepted although it
 * bends its format's rules. Each has a stable counter name
 * (decode_note_name) that `collector stats` shows; docs/devices.md says
 * what each rule is.
 */
enum dec_note {
    DEC_NOTE_HJ212_NO_QN = 1u << 0,       /* header without QN (HJ/T 212-2005 style) */
    DEC_NOTE_HJ212_NO_FLAG = 1u << 1,     /* header without Flag (HJ/T 212-2005 style) */
    DEC_NOTE_HJ212_DATATIME_MS = 1u << 2, /* DataTime with milliseconds (17 digits) */
    DEC_NOTE_HJ212_PW_LENGTH = 1u << 3,   /* PW empty or not 6 characters */
    DEC_NOTE_HJ212_ST_UNLISTED = 1u << 4, /* ST outside HJ 212-2017 Table 5 */
    DEC_NOTE_HJ212_SPLIT_ALONE = 1u << 5, /* Flag says split, no PNUM/PNO: one packet */
    DEC_NOTE_HJ212_LONG = 1u << 6,        /* data segment longer than 1024 bytes */
    DEC_NOTE_HJ212_CRC_MODBUS = 1u << 7,  /* CRC is Modbus CRC-16 */
    DEC_NOTE_HJ212_CRC_SWAPPED = 1u << 8, /* CRC is Modbus CRC-16, bytes swapped */
    DEC_NOTE_HJ212_FLAG_2005 = 1u << 9,   /* a data flag of HJ/T 212-2005, not of 2017 */
    DEC_NOTE_SENML_RELATIVE = 1u << 10,   /* a SenML time relative to the receive time */
    DEC_NOTE_COUNT = 11
};

/* What a decoder found besides the fields. */
struct dec_msg {
    int64_t ts_ms;               /* message-level time in UTC ms; 0 when absent */
    char device[DEC_DEVICE_MAX]; /* device id carried by the payload (HJ 212 MN, SenML bn) */
    size_t n_fields;
    int n_skipped;  /* values the decoder skipped (arrays, objects too deep) */
    int n_devices;  /* distinct non-empty dec_field.device values (SenML packs) */
    unsigned notes; /* DEC_NOTE_* bits */
};

struct dec_error {
    int code; /* enum dec_err_code */
    char detail[DEC_DETAIL_MAX];
};

/* Which checksum an HJ 212 device computes (profile key hj212_crc). */
enum dec_crc {
    DEC_CRC_HJ212 = 0,      /* HJ 212-2017 Appendix A (the default) */
    DEC_CRC_MODBUS,         /* Modbus CRC-16, high byte first */
    DEC_CRC_MODBUS_SWAPPED, /* Modbus CRC-16, low byte first */
    DEC_CRC_ANY,            /* any of the three */
};

/* How a SenML resolved name (bn + n) splits into device and field (senml_device). */
enum dec_senml_device {
    DEC_SENML_BASE = 0, /* the base name is the device, n the field (the default) */
    DEC_SENML_SPLIT,    /* up to the last ':' or '/' is the device, the rest the field */
    DEC_SENML_NAME,     /* the whole resolved name is the device; the field name is "" */
};

/* HJ 212 times are Beijing time (China Standard Time, UTC+8): the default utc_offset_s. */
#define DEC_HJ212_UTC_OFFSET_S (8L * 3600)

/*
 * Options from the device profile that change how a payload is read. Zero
 * is the default of every member, so {NULL, offset} initialisers still work.
 */
struct dec_opts {
    const char *time_field; /* JSON key holding the message time; NULL = "ts" */
    long utc_offset_s;      /* offset of local times in the payload (HJ 212), east positive */
    int64_t now_ms;         /* receive time (UTC ms) for relative times; 0 = unknown */
    enum dec_crc crc;
    enum dec_senml_device senml_device;
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

/* Fill @err with @code and the printf-style detail; returns @code (for `return dec_fail(...)`). */
int dec_fail(struct dec_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The decoder registered under @name, or NULL. */
const struct decoder *decoder_find(const char *name);

/* Short reason name for a DEC_ERR_* code ("syntax", "crc", ...). */
const char *decode_strerror(int code);

/* Counter name of one DEC_NOTE_* bit ("hj212_no_qn", ...); NULL for others. */
const char *decode_note_name(unsigned note);

extern const struct decoder decoder_json;
extern const struct decoder decoder_senml;
extern const struct decoder decoder_hj212;
extern const struct decoder decoder_auto; /* chooses one of the above per payload */

#endif
