/*
 * The shared body of the decoder fuzz targets: decode one input and check
 * the decoder's contract (bounded result, NUL-terminated strings, a reason
 * for every rejection, the same answer twice). A broken contract aborts so
 * libFuzzer and the gcc replay both report it. Header-only on purpose:
 * each target is one small .c file, as STYLE §9 asks.
 */
#ifndef FUZZ_DECODER_H
#define FUZZ_DECODER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define FUZZ_MAX_FIELDS 32

static void fuzz_require(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_check_cstr(const char *s, size_t size, int may_be_empty)
{
    size_t n = strnlen(s, size);

    fuzz_require(n < size);
    fuzz_require(may_be_empty || n > 0);
}

/* Decode @data with @max fields of room and check the result; returns rc. */
static int fuzz_decode_once(const struct decoder *d, const struct dec_opts *opt, const char *data,
                            size_t size, size_t max, struct dec_field *out, struct dec_msg *msg)
{
    struct dec_error err;
    int rc;

    memset(&err, 0x5A, sizeof(err)); /* garbage in: the decoder must set what it reports */
    memset(msg, 0x5A, sizeof(*msg));
    rc = d->decode(opt, data, size, msg, out, max, &err);
    if (rc < 0) {
        fuzz_require(rc >= DEC_ERR_NOMEM);
        fuzz_require(err.code == rc);
        fuzz_check_cstr(err.detail, sizeof(err.detail), 0);
        return rc;
    }
    fuzz_require((size_t)rc <= max);
    fuzz_require(msg->n_fields == (size_t)rc);
    fuzz_require(msg->notes < (1u << DEC_NOTE_COUNT));
    fuzz_require(msg->n_devices >= 0 && msg->n_devices <= rc);
    fuzz_check_cstr(msg->device, sizeof(msg->device), 1);
    for (int i = 0; i < rc; i++) {
        const struct dec_field *f = &out[i];

        /* A SenML value may be named by its base name alone: its name is then "". */
        fuzz_check_cstr(f->name, sizeof(f->name), d == &decoder_senml);
        fuzz_check_cstr(f->unit, sizeof(f->unit), 1);
        fuzz_check_cstr(f->device, sizeof(f->device), 1);
        fuzz_require(f->kind == DEC_NUM || f->kind == DEC_STR || f->kind == DEC_BOOL ||
                     f->kind == DEC_NULL || f->kind == DEC_DATA);
        fuzz_require(!f->is_sum || f->kind == DEC_NUM);
        if (f->kind == DEC_STR || f->kind == DEC_DATA)
            fuzz_check_cstr(f->str, sizeof(f->str), 1);
    }
    return rc;
}

/* Decode twice with full room (same answer both times), once with little room. */
static int fuzz_decoder_run(const struct decoder *d, const struct dec_opts *opt,
                            const uint8_t *data, size_t size)
{
    struct dec_field out[FUZZ_MAX_FIELDS], again[FUZZ_MAX_FIELDS];
    struct dec_msg msg, msg2;
    int rc, rc2;

    rc = fuzz_decode_once(d, opt, (const char *)data, size, FUZZ_MAX_FIELDS, out, &msg);
    rc2 = fuzz_decode_once(d, opt, (const char *)data, size, FUZZ_MAX_FIELDS, again, &msg2);
    fuzz_require(rc == rc2);
    for (int i = 0; i < rc; i++) {
        fuzz_require(strcmp(out[i].name, again[i].name) == 0);
        fuzz_require(strcmp(out[i].device, again[i].device) == 0);
        fuzz_require(out[i].kind == again[i].kind && out[i].ts_ms == again[i].ts_ms);
    }
    fuzz_require(rc < 0 || msg.notes == msg2.notes);
    rc2 = fuzz_decode_once(d, opt, (const char *)data, size, 2, again, &msg2);
    fuzz_require(rc < 0 || rc > 2 ? rc2 < 0 : rc2 == rc);
    return rc;
}

#endif
