/*
 * What ingest makes of a decoded payload under a device profile, as pure
 * rules: which device a value belongs to, which profile field maps it, the
 * stored value after unit conversion, its time, and the verdict with the
 * reject reason code operators count (docs/operations.md). Ingest applies
 * the verdicts inside its transaction; `collector decode` prints them
 * without touching the database. One copy of the rules, so what decode
 * shows is what ingest does. No I/O, no clock: the receive time is passed in.
 */
#ifndef ASSESS_H
#define ASSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct profile;
struct profile_field;
struct profile_set;

#define ASSESS_DETAIL_MAX 256

/* The time limits of the ingest configuration, and the receive time. */
struct assess_limits {
    int64_t now_ms;        /* receive time, UTC ms */
    int64_t max_future_ms; /* ingest.max_future; 0 = no limit */
    int64_t max_age_ms;    /* ingest.max_age; 0 = no limit */
};

enum assess_verdict {
    ASSESS_STORE,      /* store .value at .ts_ms */
    ASSESS_UNMAPPED,   /* no profile field maps it: counted as unknown_fields */
    ASSESS_EMPTY,      /* no value this time (HJ 212 "x-Rtd=", JSON null): nothing to do */
    ASSESS_UNSTORABLE, /* a kind the store cannot hold (SenML vd): counted, not stored */
    ASSESS_REJECT,     /* rejected (value scope) with .reason and .detail */
};

struct assessment {
    enum assess_verdict verdict;
    const struct profile_field *pf; /* borrowed from the profile; NULL when unmapped */
    double value;                   /* the stored value (ASSESS_STORE, and out_of_range) */
    int64_t ts_ms;                  /* the value's time, UTC ms */
    const char *reason;             /* static reject reason code; NULL unless REJECT */
    char detail[ASSESS_DETAIL_MAX];
};

/*
 * Assess the decoded value @f of a payload for profile @p: mapping
 * (profile_field_for), conversion and range (profile_convert), then its own
 * time against @lim. A value without its own time takes @msg_ts_ms (the
 * message's time, else the receive time) and is not checked here: the
 * message time is checked once by assess_time(). Fills @out.
 */
void assess_value(const struct profile *p, const struct dec_field *f, int64_t msg_ts_ms,
                  const struct assess_limits *lim, struct assessment *out);

/*
 * Check time @ts_ms of @what (a field name, or "message") against @lim.
 * Returns 0 when acceptable, or 1 with @out's reason ("timestamp_future",
 * "timestamp_too_old") and detail set.
 */
int assess_time(const struct assess_limits *lim, const char *what, int64_t ts_ms,
                struct assessment *out);

/*
 * The reject reason code of a decoder error: DEC_ERR_TIMESTAMP is
 * "bad_timestamp", DEC_ERR_TOO_MANY "too_many_fields", DEC_ERR_CRC
 * "bad_checksum" (the decoder's "crc"), every other "malformed".
 */
const char *assess_decode_reason(int dec_err);

/*
 * The device value @f belongs to: the topic's {device} level when it names
 * one (the broker's access control vouches for the topic, not for the
 * payload), else the device the payload names for the value (a SenML
 * record), else the payload's device (HJ 212 MN). May be "".
 */
const char *assess_device(const char *topic_device, const struct dec_msg *msg,
                          const struct dec_field *f);

/*
 * A pack naming several devices can only arrive on a topic without a
 * {device} level. Returns 0, or 1 with the detail of the "malformed" reject
 * in @detail.
 */
int assess_pack_devices(const char *topic_device, const struct dec_msg *msg, char *detail,
                        size_t detail_sz);

/* The topic levels ingest keeps for a message, like ingest's own buffers. */
#define ASSESS_LEVEL_MAX 128

/* What the message-level rules made of a payload (assess_message). */
struct assess_msg {
    const struct profile *profile; /* matched by the topic; NULL when none */
    const struct decoder *decoder; /* the decoder that read the payload; NULL before */
    char site[ASSESS_LEVEL_MAX];   /* the topic's {site} level, "" when it has none */
    char device[ASSESS_LEVEL_MAX]; /* the topic's {device} level, "" when it has none */
    struct dec_msg msg;            /* valid when is_decoded */
    bool is_decoded;               /* the decoder accepted the payload (msg.notes count) */
    const char *reason;            /* static reject reason code; NULL when not rejected */
    char detail[ASSESS_DETAIL_MAX];
};

/*
 * The rules a message passes before its values are looked at, in ingest's
 * order: its size against @max_payload (ingest.max_payload), UTF-8 of
 * payload and topic, a profile of @ps whose pattern matches @topic, the
 * decoder (@dec, or the profile's when NULL) with the profile's options at
 * receive time @now_ms, and a pack's devices against the topic. Returns
 * the number of values written to @out (at most @max), or -1 with
 * @a->reason and @a->detail set (a->is_decoded says whether the decoder got
 * as far as accepting it). No I/O.
 */
int assess_message(const struct profile_set *ps, const char *topic, const void *payload, size_t len,
                   long long max_payload, int64_t now_ms, const struct decoder *dec,
                   struct dec_field *out, size_t max, struct assess_msg *a);

/*
 * A strict profile (@p->is_strict) refuses a value that no field maps,
 * other than its time field. Returns 0, or 1 with the detail of the
 * "unknown_field" reject in @detail.
 */
int assess_strict(const struct profile *p, const struct dec_field *f, char *detail,
                  size_t detail_sz);

/*
 * The rule for device @name (maybe "") that is neither in the registry nor
 * in the database: with @is_register (devices.unknown: register) and a
 * topic naming site @site it is registered there (returns 0); otherwise it
 * is rejected as "unknown_device" (returns 1, the detail in @detail).
 */
int assess_unknown_device(const char *name, const char *site, bool is_register, char *detail,
                          size_t detail_sz);

/* The detail of the "no_readings" reject of a message of profile @p. */
void assess_no_readings(const struct profile *p, char *detail, size_t detail_sz);

/* @f's name as details show it: "pm25", "energy@sum", "@%RH" for an unnamed value. */
void assess_label(const struct dec_field *f, char *out, size_t outsz);

#endif
