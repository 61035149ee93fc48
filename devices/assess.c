/*
 * The value rules ingest and `collector decode` share (see assess.h). The
 * reject details keep the wording operators already search the rejects
 * table for ("pm25: -3 ug/m3 outside the valid range [0, 2000]").
 */
#include "assess.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "profile.h"
#include "textparse.h"

void assess_label(const struct dec_field *f, char *out, size_t outsz)
{
    if (f->is_sum)
        (void)snprintf(out, outsz, "%s@sum", f->name);
    else if (!f->name[0])
        (void)snprintf(out, outsz, "@%s", f->unit);
    else
        (void)snprintf(out, outsz, "%s", f->name);
}

static void reject(struct assessment *out, const char *reason)
{
    out->verdict = ASSESS_REJECT;
    out->reason = reason;
}

int assess_time(const struct assess_limits *lim, const char *what, int64_t ts_ms,
                struct assessment *out)
{
    if (lim->max_future_ms && ts_ms > lim->now_ms + lim->max_future_ms) {
        reject(out, "timestamp_future");
        (void)snprintf(out->detail, sizeof(out->detail),
                       "%s: time %lld ms is %lld s ahead of the clock", what, (long long)ts_ms,
                       (long long)((ts_ms - lim->now_ms) / 1000));
        return 1;
    }
    if (lim->max_age_ms && ts_ms < lim->now_ms - lim->max_age_ms) {
        reject(out, "timestamp_too_old");
        (void)snprintf(out->detail, sizeof(out->detail), "%s: time %lld ms is %lld s old", what,
                       (long long)ts_ms, (long long)((lim->now_ms - ts_ms) / 1000));
        return 1;
    }
    return 0;
}

void assess_value(const struct profile *p, const struct dec_field *f, int64_t msg_ts_ms,
                  const struct assess_limits *lim, struct assessment *out)
{
    const struct profile_field *pf = profile_field_for(p, f);
    char label[DEC_NAME_MAX + DEC_UNIT_MAX + 2];
    double v = 0;

    memset(out, 0, sizeof(*out));
    out->pf = pf;
    out->ts_ms = f->ts_ms ? f->ts_ms : msg_ts_ms;
    assess_label(f, label, sizeof(label));
    if (!pf) {
        out->verdict = ASSESS_UNMAPPED;
        return;
    }
    if (f->kind == DEC_DATA) {
        out->verdict = ASSESS_UNSTORABLE;
        return;
    }
    switch (profile_convert(pf, f, &v)) {
    case PROFILE_VALUE_NON_NUMERIC:
        if (f->kind == DEC_NULL) {
            out->verdict = ASSESS_EMPTY; /* "no value this time" is not an error */
            return;
        }
        reject(out, "non_numeric");
        (void)snprintf(out->detail, sizeof(out->detail), "%s: '%s' is not a number", label,
                       f->kind == DEC_STR ? f->str : "?");
        return;
    case PROFILE_VALUE_NON_FINITE:
        reject(out, "non_finite");
        (void)snprintf(out->detail, sizeof(out->detail), "%s: value is not finite", label);
        return;
    case PROFILE_VALUE_BAD_UNIT:
        reject(out, "bad_unit");
        (void)snprintf(out->detail, sizeof(out->detail), "%s: unit '%s' cannot be converted to %s",
                       label, f->unit, pf->unit);
        return;
    case PROFILE_VALUE_OUT_OF_RANGE:
        out->value = v;
        reject(out, "out_of_range");
        (void)snprintf(out->detail, sizeof(out->detail),
                       "%s: %g %s outside the valid range [%g, %g]", label, v, pf->unit,
                       pf->has_min ? pf->min : -INFINITY, pf->has_max ? pf->max : INFINITY);
        return;
    default:
        break;
    }
    out->value = v;
    if (f->ts_ms && assess_time(lim, label, f->ts_ms, out))
        return;
    out->verdict = ASSESS_STORE;
}

const char *assess_decode_reason(int dec_err)
{
    switch (dec_err) {
    case DEC_ERR_TIMESTAMP:
        return "bad_timestamp";
    case DEC_ERR_TOO_MANY:
        return "too_many_fields";
    case DEC_ERR_CRC:
        return "bad_checksum";
    default:
        return "malformed";
    }
}

const char *assess_device(const char *topic_device, const struct dec_msg *msg,
                          const struct dec_field *f)
{
    if (topic_device && topic_device[0])
        return topic_device;
    if (f && f->device[0])
        return f->device;
    return msg->device;
}

int assess_pack_devices(const char *topic_device, const struct dec_msg *msg, char *detail,
                        size_t detail_sz)
{
    if (!topic_device || !topic_device[0] || msg->n_devices <= 1)
        return 0;
    (void)snprintf(detail, detail_sz,
                   "the pack names %d devices but topic names device '%s'; a pack of several "
                   "devices needs a topic without a {device} level",
                   msg->n_devices, topic_device);
    return 1;
}

int assess_message(const struct profile_set *ps, const char *topic, const void *payload, size_t len,
                   long long max_payload, int64_t now_ms, const struct decoder *dec,
                   struct dec_field *out, size_t max, struct assess_msg *a)
{
    struct dec_error err;
    struct dec_opts opts;
    int n;

    memset(a, 0, sizeof(*a));
    if ((long long)len > max_payload) {
        a->reason = "payload_too_large";
        (void)snprintf(a->detail, sizeof(a->detail), "%zu bytes, the limit is %lld", len,
                       max_payload);
        return -1;
    }
    if (!utf8_valid(payload, len) || !utf8_valid(topic, strlen(topic))) {
        a->reason = "invalid_utf8";
        (void)snprintf(a->detail, sizeof(a->detail), "payload or topic is not valid UTF-8");
        return -1;
    }
    a->profile =
        profile_set_match(ps, topic, a->site, sizeof(a->site), a->device, sizeof(a->device));
    if (!a->profile) {
        a->reason = "unmatched_topic";
        (void)snprintf(a->detail, sizeof(a->detail), "no device profile matches topic '%s'", topic);
        return -1;
    }
    a->decoder = dec ? dec : a->profile->decoder;
    profile_dec_opts(a->profile, now_ms, &opts);
    n = a->decoder->decode(&opts, payload, len, &a->msg, out, max, &err);
    if (n < 0) {
        a->reason = assess_decode_reason(n);
        (void)snprintf(a->detail, sizeof(a->detail), "%s decoder: %s", a->decoder->name,
                       err.detail);
        return -1;
    }
    a->is_decoded = true;
    if (assess_pack_devices(a->device, &a->msg, a->detail, sizeof(a->detail))) {
        char detail[ASSESS_DETAIL_MAX];

        a->reason = "malformed";
        (void)snprintf(detail, sizeof(detail), "%s", a->detail);
        (void)snprintf(a->detail, sizeof(a->detail), "%s decoder: %.*s", a->decoder->name,
                       (int)(sizeof(a->detail) - 32), detail);
        return -1;
    }
    return n;
}

int assess_strict(const struct profile *p, const struct dec_field *f, char *detail,
                  size_t detail_sz)
{
    if (!p->is_strict || strcmp(f->name, p->time_field) == 0 || profile_field_for(p, f))
        return 0;
    (void)snprintf(detail, detail_sz, "field '%s' is not in strict profile %s", f->name, p->name);
    return 1;
}

int assess_unknown_device(const char *name, const char *site, bool is_register, char *detail,
                          size_t detail_sz)
{
    if (!name[0]) {
        (void)snprintf(detail, detail_sz, "neither the topic nor the payload names a device");
        return 1;
    }
    if (!is_register) {
        (void)snprintf(detail, detail_sz, "device '%s' is not in the registry", name);
        return 1;
    }
    if (!site[0]) {
        (void)snprintf(detail, detail_sz, "device '%s' is unknown and the topic names no site",
                       name);
        return 1;
    }
    return 0;
}

void assess_no_readings(const struct profile *p, char *detail, size_t detail_sz)
{
    (void)snprintf(detail, detail_sz, "no field of the payload maps to a metric of profile %s",
                   p->name);
}
