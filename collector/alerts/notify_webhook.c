/*
 * The webhook channel: the event JSON, exactly as enqueued, POSTed to `url`.
 * With a secret_file the body is signed like GitHub's webhooks:
 * X-Collector-Signature: sha256=<hex HMAC-SHA256(secret, body)>, so a
 * receiver can check the body came from a collector that holds the secret.
 * X-Collector-Delivery (the outbox id) lets a receiver drop the duplicates
 * that at-least-once delivery can produce.
 */
#include "col_err.h"
#include "core/config.h"
#include "notify_int.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const webhook_keys[] = {"url", "secret_file", "ca_file", NULL};

static int webhook_open(struct notify_worker *w)
{
    (void)w;
    return 0;
}

static void webhook_close(struct notify_worker *w)
{
    (void)w;
}

/* "sha256=" and the lowercase hex HMAC of @body into @out (>= 72 bytes). */
static int sign(const char *secret, const char *body, size_t len, char *out, size_t sz)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    size_t pos;

    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md,
              &md_len))
        return COL_ERR_INVAL;
    pos = (size_t)snprintf(out, sz, "sha256=");
    for (unsigned int i = 0; i < md_len && pos + 3 <= sz; i++)
        pos += (size_t)snprintf(out + pos, sz - pos, "%02x", md[i]);
    return 0;
}

static struct curl_slist *add_header(struct curl_slist *l, bool *ok, const char *line)
{
    struct curl_slist *n = curl_slist_append(l, line);

    if (!n) {
        *ok = false;
        return l;
    }
    return n;
}

static int webhook_send(struct notify_worker *w, const struct notify_msg *m, char *err,
                        size_t errlen)
{
    struct curl_slist *h = NULL;
    char line[256], sig[96];
    bool ok = true;
    long status;
    int rc;

    h = add_header(h, &ok, "Content-Type: application/json");
    snprintf(line, sizeof(line), "X-Collector-Event: %s", m->event);
    h = add_header(h, &ok, line);
    snprintf(line, sizeof(line), "X-Collector-Delivery: %lld", (long long)m->id);
    h = add_header(h, &ok, line);
    snprintf(line, sizeof(line), "X-Collector-Timestamp: %lld", (long long)time(NULL));
    h = add_header(h, &ok, line);
    snprintf(line, sizeof(line), "X-Collector-Gateway: %s", w->cfg->gateway.id);
    h = add_header(h, &ok, line);
    if (w->ch->secret) {
        if (sign(w->ch->secret, m->payload, m->len, sig, sizeof(sig))) {
            snprintf(err, errlen, "cannot compute the signature");
            curl_slist_free_all(h);
            return COL_ERR_NET;
        }
        snprintf(line, sizeof(line), "X-Collector-Signature: %s", sig);
        h = add_header(h, &ok, line);
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        curl_slist_free_all(h);
        return COL_ERR_NET;
    }
    rc = notify_http_post(w, w->ch->url, h, m->payload, m->len, &status, err, errlen);
    curl_slist_free_all(h);
    return rc;
}

const struct notify_type notify_webhook_type = {
    .name = "webhook",
    .keys = webhook_keys,
    .target_key = "url",
    .open = webhook_open,
    .send = webhook_send,
    .tick = NULL,
    .close = webhook_close,
};
