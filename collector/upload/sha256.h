/*
 * SHA-256 (FIPS 180-4) for the upload: the checksums of the files a day is
 * sent as, computed while they are written. Written here rather than taken
 * from OpenSSL's libcrypto: it is about 150 lines checked against the FIPS
 * 180-4 example vectors (tests/unit/test_sha256.c), adds no link dependency,
 * and at a few hundred MB/s it is far faster than the gzip stream it hashes
 * or the cellular link the result goes over.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65 /* 64 hex digits and the terminating NUL */

struct sha256 {
    uint32_t h[8];
    uint64_t n_bytes;
    uint8_t block[64];
    size_t n_block;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Finish and write the digest; @c must be initialised again before reuse. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* Finish and write the digest as lowercase hex. */
void sha256_final_hex(struct sha256 *c, char out[SHA256_HEX_LEN]);

#endif
