/*
 * SHA-256 for the upload, from OpenSSL's libcrypto (EVP): the checksums of
 * the files a day is sent as, computed while they are written, and the
 * fingerprint of the upload's configuration. libcrypto is linked already
 * (the webhook's HMAC) and its implementation is the one every peer checks
 * against; a context is one allocation per file.
 */
#include "col_err.h"
#include "upload_int.h"

#include <openssl/evp.h>
#include <stdio.h>

int upload_sha256_begin(struct upload_sha256 *h)
{
    h->is_failed = false;
    h->md = EVP_MD_CTX_new();
    if (!h->md)
        return COL_ERR_NOMEM;
    if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
        upload_sha256_drop(h);
        return COL_ERR_NOMEM;
    }
    return 0;
}

void upload_sha256_add(struct upload_sha256 *h, const void *p, size_t n)
{
    if (!h->md || n == 0)
        return;
    if (EVP_DigestUpdate(h->md, p, n) != 1)
        h->is_failed = true;
}

int upload_sha256_end(struct upload_sha256 *h, char hex[UPLOAD_SHA256_HEX_LEN])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = 0;

    hex[0] = '\0';
    if (!h->md || h->is_failed || EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != 32)
        rc = COL_ERR_NOMEM;
    for (unsigned int i = 0; rc == 0 && i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
        hex[2 * i + 2] = '\0';
    }
    upload_sha256_drop(h);
    return rc;
}

void upload_sha256_drop(struct upload_sha256 *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}
