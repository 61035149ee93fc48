/*
 * libFuzzer target for the SenML decoder (devices/decode_senml.c): any
 * bytes in, a result that keeps the decoder contract out. Built as a real
 * fuzzer with -DCOLLECTOR_FUZZ=ON under clang, and as a corpus replay test
 * (replay_main.c) in every other build.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct dec_opts opt = {NULL, 8L * 3600};

    (void)fuzz_decoder_run(&decoder_senml, &opt, data, size);
    return 0;
}
