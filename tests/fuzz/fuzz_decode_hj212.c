/*
 * libFuzzer target for the HJ 212 decoder and helpers. Each input is tried
 * twice: as a whole packet, and as a data segment framed with a correct
 * length and CRC, so mutations reach the header and CP readers instead of
 * dying at the CRC. An accepted packet's 9014 response must itself unframe
 * and parse. Replayed as a ctest test under gcc (replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "fuzz_decoder.h"
#include "hj212.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A packet the decoder accepted: its header must give a well-formed response. */
static void check_response(const char *pkt, size_t len)
{
    struct hj212_header h, back;
    struct dec_error err;
    char resp[HJ212_PACKET_MAX + 1];
    const char *seg;
    size_t seg_len;
    int n;

    fuzz_require(hj212_unframe(pkt, len, &seg, &seg_len, &err) == 0);
    fuzz_require(hj212_parse_header(seg, seg_len, &h, &err) == 0);
    n = hj212_build_response(&h, resp, sizeof(resp));
    if (h.qn[0] == '\0') {
        fuzz_require(n < 0);
        return;
    }
    fuzz_require(n > 0 && (size_t)n == strlen(resp));
    fuzz_require(hj212_unframe(resp, (size_t)n, &seg, &seg_len, &err) == 0);
    fuzz_require(hj212_parse_header(seg, seg_len, &back, &err) == 0);
    fuzz_require(back.cn == HJ212_CN_DATA_ACK && back.st == HJ212_ST_SYSTEM);
    fuzz_require(strcmp(back.qn, h.qn) == 0 && strcmp(back.mn, h.mn) == 0);
    fuzz_require(!hj212_wants_ack(&back) && back.cp_len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct dec_opts opt = {NULL, 8L * 3600};
    char pkt[HJ212_PACKET_MAX + 1];
    int n;

    if (fuzz_decoder_run(&decoder_hj212, &opt, data, size) >= 0)
        check_response((const char *)data, size);
    n = hj212_frame((const char *)data, size, pkt, sizeof(pkt));
    if (n > 0 && fuzz_decoder_run(&decoder_hj212, &opt, (const uint8_t *)pkt, (size_t)n) >= 0)
        check_response(pkt, (size_t)n);
    return 0;
}
