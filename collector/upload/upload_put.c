/*
 * HTTP PUT of the upload's files with libcurl (see upload_int.h). One easy
 * handle per run keeps the connection (and TLS session) between the files
 * of a day. Authentication is libcurl's own: bearer, basic, or AWS
 * Signature V4, where the x-amz-content-sha256 header we send (the SHA-256
 * computed during the export) is the payload hash libcurl signs, so the
 * body is never read twice. CURLcode and HTTP status are classified here,
 * once, into retry / configuration error; secrets never reach a log line.
 */
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
#include "upload_int.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct upload_http {
    CURL *curl;
    const struct cfg_upload *cfg;
    const atomic_int *stop;
    char *secret; /* token, password or AWS secret key; wiped on free */
    char sigv4[256];
    char body[256]; /* the start of an error response, for the ledger */
    size_t n_body;
    char errbuf[CURL_ERROR_SIZE];
};

void upload_errorf(struct upload_put_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->error, sizeof(res->error), fmt, ap);
    va_end(ap);
}

/* First line of the secret file @path into a new string; NULL with the reason in @res. */
static char *read_secret(const char *key, const char *path, struct upload_put_result *res)
{
    char err[512];
    char *s = NULL;
    int rc = secret_read(path, &s, err, sizeof(err));

    if (rc == COL_ERR_NOMEM)
        res->outcome = UPLOAD_RETRY;
    if (rc)
        upload_errorf(res, "upload.%s %s", key, err);
    return s;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct upload_http *h = ud;
    size_t len = size * n, room = sizeof(h->body) - 1 - h->n_body;

    memcpy(h->body + h->n_body, p, len < room ? len : room);
    h->n_body += len < room ? len : room;
    h->body[h->n_body] = '\0';
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct upload_http *h = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return h->stop && atomic_load(h->stop) ? 1 : 0;
}

struct upload_http *upload_http_new(const struct cfg_upload *u, const atomic_int *stop,
                                    struct upload_put_result *res)
{
    struct upload_http *h = xcalloc(1, sizeof(*h));
    CURLcode cc = CURLE_OK;

    memset(res, 0, sizeof(*res));
    res->outcome = UPLOAD_CONFIG;
    if (!h) {
        upload_errorf(res, "out of memory");
        res->outcome = UPLOAD_RETRY;
        return NULL;
    }
    h->cfg = u;
    h->stop = stop;
    if (u->auth == UPLOAD_AUTH_BEARER)
        h->secret = read_secret("token_file", u->token_file, res);
    else if (u->auth == UPLOAD_AUTH_BASIC)
        h->secret = read_secret("password_file", u->password_file, res);
    else if (u->auth == UPLOAD_AUTH_SIGV4)
        h->secret = read_secret("aws_secret_file", u->aws_secret_file, res);
    if (u->auth != UPLOAD_AUTH_NONE && !h->secret)
        goto fail;
    if (u->client_key) { /* read by libcurl, so only its permissions are ours to check */
        char err[512];
        if (secret_check(u->client_key, err, sizeof(err))) {
            upload_errorf(res, "upload.client_key %s", err);
            goto fail;
        }
    }
    h->curl = curl_easy_init();
    if (!h->curl) {
        upload_errorf(res, "libcurl: cannot create a handle");
        res->outcome = UPLOAD_RETRY;
        goto fail;
    }
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(h->curl, opt, val);                                              \
    } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_USERAGENT, "xuhui-collector/1 (upload)");
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, h);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)u->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)u->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, (long)u->low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, (long)(u->low_speed_time_ms / 1000));
    SET(CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)u->max_rate);
    SET(CURLOPT_SSL_VERIFYPEER, u->is_insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, u->is_insecure ? 0L : 2L);
    if (u->ca_file)
        SET(CURLOPT_CAINFO, u->ca_file);
    if (u->client_cert) {
        SET(CURLOPT_SSLCERT, u->client_cert);
        SET(CURLOPT_SSLKEY, u->client_key);
    }
    switch (u->auth) {
    case UPLOAD_AUTH_BEARER:
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        SET(CURLOPT_XOAUTH2_BEARER, h->secret);
        break;
    case UPLOAD_AUTH_BASIC:
        /* basic only: libcurl then sends the credentials with the first request */
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, u->username);
        SET(CURLOPT_PASSWORD, h->secret);
        break;
    case UPLOAD_AUTH_SIGV4:
        snprintf(h->sigv4, sizeof(h->sigv4), "aws:amz:%s:%s", u->aws_region, u->aws_service);
        SET(CURLOPT_AWS_SIGV4, h->sigv4);
        SET(CURLOPT_USERNAME, u->aws_access_key_id);
        SET(CURLOPT_PASSWORD, h->secret);
        break;
    default:
        break;
    }
#undef SET
    if (cc != CURLE_OK) {
        upload_errorf(res, "libcurl: %s", curl_easy_strerror(cc));
        goto fail;
    }
    res->outcome = UPLOAD_OK;
    return h;
fail:
    upload_http_free(h);
    return NULL;
}

void upload_http_free(struct upload_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    secret_free(&h->secret);
    xfree(h);
}

/* Errors an operator must fix (wrong address, certificate, protocol) vs passing trouble. */
static enum upload_outcome classify_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_TOO_MANY_REDIRECTS:
        return UPLOAD_CONFIG;
    case CURLE_ABORTED_BY_CALLBACK:
        return UPLOAD_STOPPED;
    default:
        return UPLOAD_RETRY;
    }
}

/* 2xx is delivered; 408, 429 and 5xx are worth retrying; any other answer needs an operator. */
static enum upload_outcome classify_status(long status)
{
    if (status >= 200 && status < 300)
        return UPLOAD_OK;
    if (status == 408 || status == 429 || status >= 500)
        return UPLOAD_RETRY;
    return UPLOAD_CONFIG;
}

/* The response body as one printable line (an S3 error's <Code>, nginx's title). */
static void body_summary(const char *body, char *out, size_t sz)
{
    size_t n = 0;

    for (const char *p = body; *p && n + 1 < sz; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '<') {
            const char *close = strchr(p, '>');
            if (close) {
                p = close;
                if (n && out[n - 1] != ' ')
                    out[n++] = ' ';
                continue;
            }
        }
        if (c < 0x20 || c == 0x7f) {
            if (n && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        out[n++] = (char)c;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int upload_http_put(struct upload_http *h, const char *url, const char *path, int64_t size,
                    const char *sha256, const char *content_type, struct upload_put_result *res)
{
    struct curl_slist *hdrs = NULL, *tmp;
    char line[160], summary[160];
    FILE *f = NULL;
    CURLcode cc = CURLE_OK;
    curl_off_t sent = 0, retry_after = 0;
    int rc = COL_ERR_IO;

    memset(res, 0, sizeof(*res));
    h->n_body = 0;
    h->body[0] = '\0';
    h->errbuf[0] = '\0';
    f = fopen(path, "rb");
    if (!f) {
        upload_errorf(res, "cannot read %s: %s", path, strerror(errno));
        res->outcome = UPLOAD_RETRY;
        return 0;
    }
    snprintf(line, sizeof(line), "Content-Type: %s", content_type);
    tmp = curl_slist_append(hdrs, line);
    if (tmp) {
        hdrs = tmp;
        /* S3 wants it with SigV4 (and libcurl signs it as the payload hash); for
         * other servers it is the file's checksum, for whoever wants to check */
        snprintf(line, sizeof(line), "%s: %s",
                 h->cfg->auth == UPLOAD_AUTH_SIGV4 ? "x-amz-content-sha256" : "X-Content-SHA256",
                 sha256);
        tmp = curl_slist_append(hdrs, line);
    }
    if (!tmp) {
        rc = COL_ERR_NOMEM;
        goto out;
    }
    hdrs = tmp;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(h->curl, opt, val);                                              \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READDATA, f);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET
    if (cc == CURLE_OK)
        cc = curl_easy_perform(h->curl);
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(h->curl, CURLINFO_SIZE_UPLOAD_T, &sent);
    curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &retry_after);
    res->bytes_sent = (int64_t)sent;
    res->retry_after_ms = (int64_t)retry_after * 1000;
    if (cc != CURLE_OK && res->status >= 300 && cc != CURLE_ABORTED_BY_CALLBACK) {
        /* the server answered before taking the whole body (401 to a large PUT) */
        res->outcome = classify_status(res->status);
        upload_errorf(res, "HTTP %ld (%s)", res->status, curl_easy_strerror(cc));
    } else if (cc != CURLE_OK) {
        res->outcome = classify_curl(cc);
        upload_errorf(res, "%s%s%s", curl_easy_strerror(cc), h->errbuf[0] ? ": " : "", h->errbuf);
    } else {
        res->outcome = classify_status(res->status);
        /* a 2xx before the whole body went out would be a partial file */
        if (res->outcome == UPLOAD_OK && sent != (curl_off_t)size) {
            res->outcome = UPLOAD_RETRY;
            upload_errorf(res, "HTTP %ld after %lld of %lld bytes", res->status, (long long)sent,
                          (long long)size);
        } else if (res->outcome != UPLOAD_OK) {
            body_summary(h->body, summary, sizeof(summary));
            upload_errorf(res, "HTTP %ld%s%s", res->status, summary[0] ? ": " : "", summary);
        }
    }
    rc = 0;
out:
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h->curl, CURLOPT_READDATA, NULL);
    curl_slist_free_all(hdrs);
    fclose(f);
    return rc;
}
