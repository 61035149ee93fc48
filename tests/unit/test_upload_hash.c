/*
 * The upload's SHA-256 (collector/upload/upload_hash.c, OpenSSL EVP behind
 * upload_int.h) against the example vectors of FIPS 180-4 (the NIST
 * "Examples with intermediate values" for SHA-256: "abc", the 448-bit
 * two-block message) and the long message of a million 'a' from the
 * NESSIE/FIPS 180-2 test set, plus the empty string. Feeding the same input
 * in pieces of every size from 1 to 130 bytes must give the same digest as
 * one call, as the export feeds it: one deflate buffer at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "upload/upload_int.h"

static void digest_of(const char *msg, size_t len, size_t piece, char hex[UPLOAD_SHA256_HEX_LEN])
{
    struct upload_sha256 c;

    assert_int_equal(upload_sha256_begin(&c), 0);
    for (size_t off = 0; off < len; off += piece)
        upload_sha256_add(&c, msg + off, len - off < piece ? len - off : piece);
    assert_int_equal(upload_sha256_end(&c, hex), 0);
}

static void expect(const char *msg, const char *want)
{
    char hex[UPLOAD_SHA256_HEX_LEN];
    size_t len = strlen(msg);

    digest_of(msg, len, len ? len : 1, hex);
    assert_string_equal(hex, want);
    for (size_t piece = 1; piece <= 130; piece++) {
        digest_of(msg, len, piece, hex);
        assert_string_equal(hex, want);
    }
}

static void test_fips_abc(void **state)
{
    expect("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_fips_two_blocks(void **state)
{
    expect("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_empty(void **state)
{
    expect("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void **state)
{
    static char buf[1000];
    struct upload_sha256 c;
    char hex[UPLOAD_SHA256_HEX_LEN];

    memset(buf, 'a', sizeof(buf));
    assert_int_equal(upload_sha256_begin(&c), 0);
    for (int i = 0; i < 1000; i++)
        upload_sha256_add(&c, buf, sizeof(buf));
    assert_int_equal(upload_sha256_end(&c, hex), 0);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* 55, 56 and 64 bytes: the padding fits, just misses, and needs a block of its own
 * (digests from an independent implementation, Python's hashlib). */
static void test_padding_edges(void **state)
{
    char m[65];

    memset(m, 'a', 64);
    m[55] = '\0';
    expect(m, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    m[55] = 'a';
    m[56] = '\0';
    expect(m, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    m[56] = 'a';
    m[64] = '\0';
    expect(m, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* A context ended or never begun can be dropped; ending frees it. */
static void test_drop_is_safe(void **state)
{
    struct upload_sha256 c = {0};
    char hex[UPLOAD_SHA256_HEX_LEN];

    upload_sha256_drop(&c);
    assert_int_equal(upload_sha256_begin(&c), 0);
    upload_sha256_add(&c, "abc", 3);
    upload_sha256_drop(&c);
    assert_null(c.md);
    assert_int_not_equal(upload_sha256_end(&c, hex), 0);
    assert_string_equal(hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_abc),      cmocka_unit_test(test_fips_two_blocks),
        cmocka_unit_test(test_empty),         cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_edges), cmocka_unit_test(test_drop_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
