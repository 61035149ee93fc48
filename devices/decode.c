/*
 * The decoder table: maps the `decoder:` name of a device profile to its
 * implementation. Adding a wire format means one file and one line here.
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * "auto": pick the format from the payload's first significant byte — an
 * HJ 212 packet starts with "##", SenML is a JSON array, flat JSON an
 * object. One profile can then accept a sensor model's readings in every
 * format it speaks, with the field names of each mapped to the same metrics.
 */
static int auto_decode(const struct dec_opts *opt, const char *buf, size_t len, struct dec_msg *msg,
                       struct dec_field *out, size_t max, struct dec_error *err)
{
    size_t i = 0;

    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (len - i >= 2 && buf[i] == '#' && buf[i + 1] == '#')
        return decoder_hj212.decode(opt, buf, len, msg, out, max, err);
    if (i < len && buf[i] == '[')
        return decoder_senml.decode(opt, buf, len, msg, out, max, err);
    return decoder_json.decode(opt, buf, len, msg, out, max, err);
}

const struct decoder decoder_auto = {
    .name = "auto",
    .decode = auto_decode,
};

static const struct decoder *const decoders[] = {
    &decoder_json,
    &decoder_senml,
    &decoder_hj212,
    &decoder_auto,
};

const struct decoder *decoder_find(const char *name)
{
    for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
        if (strcmp(decoders[i]->name, name) == 0)
            return decoders[i];
    return NULL;
}

const char *decode_strerror(int code)
{
    switch (code) {
    case DEC_ERR_SYNTAX:
        return "syntax";
    case DEC_ERR_SHAPE:
        return "shape";
    case DEC_ERR_TIMESTAMP:
        return "timestamp";
    case DEC_ERR_TOO_MANY:
        return "too_many_fields";
    case DEC_ERR_CRC:
        return "crc";
    case DEC_ERR_FRAMING:
        return "framing";
    case DEC_ERR_NOMEM:
        return "nomem";
    default:
        return "unknown";
    }
}

const char *decode_note_name(unsigned note)
{
    static const char *const names[DEC_NOTE_COUNT] = {
        "hj212_no_qn",          "hj212_no_flag",       "hj212_datatime_ms",
        "hj212_pw_length",      "hj212_st_unlisted",   "hj212_split_flag_alone",
        "hj212_long_packet",    "hj212_crc_modbus",    "hj212_crc_modbus_swapped",
        "hj212_data_flag_2005", "senml_relative_time",
    };

    for (unsigned i = 0; i < DEC_NOTE_COUNT; i++)
        if (note == 1u << i)
            return names[i];
    return NULL;
}

int dec_fail(struct dec_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    va_start(ap, fmt);
    (void)vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return code;
}
