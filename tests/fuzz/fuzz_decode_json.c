/*
 * libFuzzer target for the flat JSON decoder (devices/decode_json.c),
 * reached through decoder_find("json") as ingest reaches it. The time field
 * is the default "ts" on even sizes and "time" on odd ones, so both option
 * paths are explored. Replayed as a ctest test under gcc (replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct dec_opts opt_ts = {.utc_offset_s = 8L * 3600};
    static const struct dec_opts opt_time = {.time_field = "time"};
    const struct decoder *d = decoder_find("json");

    if (!d)
        abort();
    (void)fuzz_decoder_run(d, size % 2 ? &opt_time : &opt_ts, data, size);
    return 0;
}
