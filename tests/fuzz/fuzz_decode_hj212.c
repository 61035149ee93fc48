/*
 * libFuzzer target for the HJ 212 decoder and helpers. Each input is tried
 * twice: as a whole packet, and as a data segment framed with a correct
 * length and CRC, so mutations reach the header and CP readers instead of
 * dying at the CRC. The input's size picks the checksum mode. A packet
 * accepted under a mode carries that mode's note; its reply must itself
 * unframe and parse; a packet with PNUM/PNO goes through reassembly, whose
 * rebuilt message must unframe and parse too.
 * Replayed as a ctest test under gcc (replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "fuzz_decoder.h"
#include "hj212.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A reply the collector would send must be a packet it would itself accept. */
static void check_reply(const struct hj212_header *h)
{
    struct hj212_header back;
    struct dec_error err;
    char resp[HJ212_PACKET_MAX + 1];
    const char *seg;
    size_t seg_len;
    int n = hj212_build_reply(h, resp, sizeof(resp));

    fuzz_require(n >= 0);
    if (h->qn[0] == '\0' || !hj212_wants_ack(h))
        fuzz_require(n == 0);
    if (n == 0)
        return;
    fuzz_require((size_t)n == strlen(resp));
    fuzz_require(hj212_unframe(resp, (size_t)n, &seg, &seg_len, &err) == 0);
    fuzz_require(hj212_parse_header(seg, seg_len, &back, &err) == 0);
    fuzz_require(back.cn >= 9011 && back.cn <= 9014 && back.st == HJ212_ST_SYSTEM);
    fuzz_require(strcmp(back.qn, h->qn) == 0 && strcmp(back.mn, h->mn) == 0);
    fuzz_require(!hj212_wants_ack(&back));
    fuzz_require(hj212_cmd_classify(back.cn) == HJ212_CMD_REPLY);
}

/*
 * A data packet the decoder accepts under the mode that matched carries the
 * note of that mode, and only that one (what `collector stats` counts).
 */
static void check_crc_note(const char *pkt, size_t len, enum dec_crc used)
{
    struct dec_opts opt = {.utc_offset_s = DEC_HJ212_UTC_OFFSET_S, .crc = used};
    struct dec_field out[FUZZ_MAX_FIELDS];
    struct dec_error err;
    struct dec_msg msg;
    unsigned crc_notes;

    if (decoder_hj212.decode(&opt, pkt, len, &msg, out, FUZZ_MAX_FIELDS, &err) < 0)
        return;
    crc_notes = msg.notes & (DEC_NOTE_HJ212_CRC_MODBUS | DEC_NOTE_HJ212_CRC_SWAPPED);
    if (used == DEC_CRC_MODBUS)
        fuzz_require(crc_notes == DEC_NOTE_HJ212_CRC_MODBUS);
    else if (used == DEC_CRC_MODBUS_SWAPPED)
        fuzz_require(crc_notes == DEC_NOTE_HJ212_CRC_SWAPPED);
    else
        fuzz_require(crc_notes == 0);
}

/* Any packet whose framing and header parse: its reply, and its reassembly. */
static void check_packet(const char *pkt, size_t len, enum dec_crc mode)
{
    char whole[HJ212_PACKET_LONG_MAX + 1];
    struct hj212_header h, back;
    struct dec_error err;
    struct hj212_reasm *r;
    const char *seg;
    size_t seg_len;
    enum dec_crc used;
    int msg = -1, rc, n;

    if (hj212_unframe_mode(pkt, len, mode, &seg, &seg_len, &used, &err) != 0 ||
        hj212_parse_header(seg, seg_len, &h, &err) != 0)
        return;
    fuzz_require(mode == DEC_CRC_ANY || used == mode);
    check_crc_note(pkt, len, used);
    check_reply(&h);
    if (h.pnum == 0)
        return;
    r = hj212_reasm_new(1000);
    fuzz_require(r != NULL);
    rc = hj212_reasm_add(r, &h, used, pkt, len, 1, &msg);
    fuzz_require(rc < 0 || rc == HJ212_REASM_PENDING || rc == HJ212_REASM_COMPLETE);
    if (rc == HJ212_REASM_COMPLETE) {
        n = hj212_reasm_build(r, msg, whole, sizeof(whole), &err);
        if (n > 0) {
            fuzz_require(hj212_unframe_mode(whole, (size_t)n, used, &seg, &seg_len, NULL, &err) ==
                         0);
            fuzz_require(hj212_parse_header(seg, seg_len, &back, &err) == 0);
            fuzz_require(back.pnum == 0 && strcmp(back.mn, h.mn) == 0 && back.cn == h.cn);
        }
    }
    if (rc >= 0) {
        fuzz_require(hj212_reasm_expired(r, 0) < 0);
        fuzz_require(hj212_reasm_expired(r, 1001) == msg);
    }
    hj212_reasm_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dec_opts opt = {.utc_offset_s = 8L * 3600};
    char pkt[HJ212_PACKET_MAX + 1];
    int n;

    opt.crc = (enum dec_crc)(size % 4);
    (void)fuzz_decoder_run(&decoder_hj212, &opt, data, size);
    check_packet((const char *)data, size, opt.crc);
    n = hj212_frame((const char *)data, size, pkt, sizeof(pkt));
    if (n > 0) {
        opt.crc = DEC_CRC_HJ212;
        (void)fuzz_decoder_run(&decoder_hj212, &opt, (const uint8_t *)pkt, (size_t)n);
        check_packet(pkt, (size_t)n, DEC_CRC_ANY);
    }
    return 0;
}
