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
