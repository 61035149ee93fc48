/*
 * libFuzzer target for the SenML decoder (devices/decode_senml.c): any
 * bytes in, a result that keeps the decoder contract out. The input's size
 * picks the name split (base, split, name) and whether a receive time is
 * known, so every resolution path is explored. Built as a real fuzzer with
 * -DCOLLECTOR_FUZZ=ON under clang, and as a corpus replay test
 * (replay_main.c) in every other build.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dec_opts opt = {.utc_offset_s = 8L * 3600};

    opt.senml_device = (enum dec_senml_device)(size % 3);
    opt.now_ms = size % 2 ? 1732600000000LL : 0;
    (void)fuzz_decoder_run(&decoder_senml, &opt, data, size);
    return 0;
}
