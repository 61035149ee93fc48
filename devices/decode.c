/*
 * The decoder table: maps the `decoder:` name of a device profile to its
 * implementation. Adding a wire format means one file and one line here.
 */
#include "decode.h"

#include <string.h>

static const struct decoder *const decoders[] = {
    &decoder_json,
    &decoder_senml,
    &decoder_hj212,
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
