/*
 * The e-mail channel: one plain-text message per outbox entry, sent with
 * libcurl over smtp:// (STARTTLS required unless `starttls: false`) or
 * smtps://. The body gives both languages and the facts (rule, site,
 * device, value against threshold, times) so that the mail alone is enough
 * to act on. UTF-8 throughout: the subject as RFC 2047 encoded words, the
 * body in base64, so no relay can mangle the Chinese text.
 */
#include "col_err.h"
#include "core/config.h"
#include "notify_int.h"
#include "xalloc.h"
#include "core/clock.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const smtp_keys[] = {"url",           "from",    "to",       "username",
                                        "password_file", "ca_file", "starttls", NULL};

/* A growing text buffer; on no memory it stays failed and the caller checks once. */
struct buf {
    char *p;
    size_t len, cap;
    bool is_failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->is_failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = xrealloc(b->p, cap);
        if (!p) {
            b->is_failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_line(struct buf *b, const char *label, const char *value)
{
    if (!value || !*value)
        return;
    buf_str(b, label);
    buf_str(b, value);
    buf_str(b, "\n");
}

/* Base64 of @s[0..n) in lines of 76 characters ending in CRLF. */
static void buf_base64_lines(struct buf *b, const char *s, size_t n)
{
    unsigned char out[80];

    for (size_t i = 0; i < n; i += 57) {
        size_t take = n - i < 57 ? n - i : 57;
        int k = EVP_EncodeBlock(out, (const unsigned char *)s + i, (int)take);
        buf_add(b, (const char *)out, (size_t)k);
        buf_str(b, "\r\n");
    }
}

/* A header value: as is when ASCII, else RFC 2047 "B" words cut at character boundaries. */
static void buf_header_text(struct buf *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    bool is_ascii = true;
    unsigned char out[80];

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] >= 0x80 || s[k] == '\r' || s[k] == '\n')
            is_ascii = false;
    if (is_ascii) {
        buf_add(b, s, n);
        return;
    }
    while (i < n) {
        size_t take = n - i < 45 ? n - i : 45;
        int k;
        while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xc0) == 0x80)
            take--; /* never split a UTF-8 sequence */
        if (take == 0)
            take = n - i < 45 ? n - i : 45;
        k = EVP_EncodeBlock(out, (const unsigned char *)s + i, (int)take);
        if (i > 0)
            buf_str(b, "\r\n ");
        buf_str(b, "=?UTF-8?B?");
        buf_add(b, (const char *)out, (size_t)k);
        buf_str(b, "?=");
        i += take;
    }
}

static void fmt_number(const cJSON *ev, const char *key, char *out, size_t sz)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);

    out[0] = '\0';
    if (cJSON_IsNumber(v))
        snprintf(out, sz, "%.10g", v->valuedouble);
}

static void upper(const char *in, char *out, size_t sz)
{
    size_t i = 0;

    for (; in && in[i] && i + 1 < sz; i++)
        out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
    out[i] = '\0';
}

/* The plain-text body for the event @ev (both languages, then the facts). */
static void body_text(struct buf *b, const struct notify_msg *m, const char *gateway)
{
    const cJSON *ev = m->json;
    const char *unit = notify_json_str(ev, "unit");
    char value[64], threshold[64], line[256], sev[32], id[32];
    const char *head = strcmp(m->event, "resolved") == 0   ? "RESOLVED 已恢复"
                       : strcmp(m->event, "reminder") == 0 ? "STILL FIRING 仍在告警"
                                                           : "FIRING 告警";

    if (!ev) {
        buf_str(b, "An alert event arrived that is not JSON; it follows as it was queued.\n\n");
        buf_add(b, m->payload, m->len);
        buf_str(b, "\n");
        return;
    }
    upper(notify_json_str(ev, "severity"), sev, sizeof(sev));
    snprintf(line, sizeof(line), "%s | %s\n\n", head, sev);
    buf_str(b, line);
    buf_line(b, "", notify_json_str(ev, "message_en"));
    buf_line(b, "", notify_json_str(ev, "message_zh"));
    buf_str(b, "\n");
    buf_line(b, "Rule      规则    ", notify_json_str(ev, "rule"));
    buf_line(b, "Severity  级别    ", notify_json_str(ev, "severity"));
    buf_line(b, "Domain    领域    ", notify_json_str(ev, "domain"));
    buf_line(b, "Site      站点    ", notify_json_str(ev, "site"));
    buf_line(b, "Device    设备    ", notify_json_str(ev, "device"));
    buf_line(b, "Metric    指标    ", notify_json_str(ev, "metric"));
    fmt_number(ev, "value", value, sizeof(value));
    fmt_number(ev, "threshold", threshold, sizeof(threshold));
    if (value[0]) {
        snprintf(line, sizeof(line), "%s%s%s", value, unit ? " " : "", unit ? unit : "");
        buf_line(b, "Value     数值    ", line);
    }
    if (threshold[0]) {
        snprintf(line, sizeof(line), "%s%s%s", threshold, unit ? " " : "", unit ? unit : "");
        buf_line(b, "Threshold 阈值    ", line);
    }
    buf_line(b, "Started   开始    ", notify_json_str(ev, "started_at"));
    buf_line(b, "Ended     结束    ", notify_json_str(ev, "ended_at"));
    buf_line(b, "Source    依据    ", notify_json_str(ev, "source"));
    buf_line(b, "Gateway   网关    ",
             notify_json_str(ev, "gateway") ? notify_json_str(ev, "gateway") : gateway);
    fmt_number(ev, "id", id, sizeof(id));
    buf_line(b, "Alert id  告警编号 ", id);
}

/* The whole message: headers, blank line, base64 body. */
static void message(struct buf *b, struct notify_worker *w, const struct notify_msg *m)
{
    const struct notify_channel *ch = w->ch;
    const char *gw = w->cfg->gateway.id;
    struct buf body = {0};
    char line[512], date[64], sev[32];
    const char *what = m->json ? notify_json_str(m->json, "message_en") : NULL;
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    snprintf(line, sizeof(line), "Date: %s\r\nFrom: %s\r\nTo: ", date, ch->from);
    buf_str(b, line);
    for (size_t i = 0; i < ch->n_to; i++) {
        buf_str(b, i ? ", " : "");
        buf_str(b, ch->to[i]);
    }
    buf_str(b, "\r\nSubject: ");
    upper(m->json ? notify_json_str(m->json, "severity") : NULL, sev, sizeof(sev));
    if (!what && m->json)
        what = notify_json_str(m->json, "rule");
    snprintf(line, sizeof(line), "[%s] %s%s%s: %s", gw, sev, sev[0] ? " " : "",
             strcmp(m->event, "resolved") == 0   ? "RESOLVED"
             : strcmp(m->event, "reminder") == 0 ? "STILL FIRING"
                                                 : "FIRING",
             what ? what : "alert");
    buf_header_text(b, line);
    snprintf(line, sizeof(line),
             "\r\nMessage-ID: <collector.%lld.%lld.%lld@%s>\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
             "X-Collector-Event: %s\r\nX-Collector-Delivery: %lld\r\n\r\n",
             (long long)m->id, (long long)m->alert_id, (long long)wall_ms(), gw, m->event,
             (long long)m->id);
    buf_str(b, line);
    body_text(&body, m, gw);
    if (body.is_failed)
        b->is_failed = true;
    else
        buf_base64_lines(b, body.p, body.len);
    xfree(body.p);
}

struct reader {
    const char *p;
    size_t len, pos;
};

static size_t on_read(char *dst, size_t size, size_t n, void *ud)
{
    struct reader *r = ud;
    size_t room = size * n, left = r->len - r->pos;
    size_t take = left < room ? left : room;

    memcpy(dst, r->p + r->pos, take);
    r->pos += take;
    return take;
}

static int smtp_open(struct notify_worker *w)
{
    (void)w;
    return 0;
}

static void smtp_close(struct notify_worker *w)
{
    (void)w;
}

static int smtp_send(struct notify_worker *w, const struct notify_msg *m, char *err, size_t errlen)
{
    const struct notify_channel *ch = w->ch;
    CURL *c = notify_curl(w);
    struct curl_slist *rcpt = NULL;
    struct buf msg = {0};
    struct reader r;
    char cerr[CURL_ERROR_SIZE] = "", addr[320];
    CURLcode cc;
    int rc = COL_ERR_NET;

    if (!c) {
        snprintf(err, errlen, "cannot create a curl handle");
        goto out;
    }
    message(&msg, w, m);
    for (size_t i = 0; i < ch->n_to && !msg.is_failed; i++) {
        struct curl_slist *l;
        snprintf(addr, sizeof(addr), "<%s>", ch->to[i]);
        l = curl_slist_append(rcpt, addr);
        if (!l)
            msg.is_failed = true;
        else
            rcpt = l;
    }
    if (msg.is_failed) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    r = (struct reader){msg.p, msg.len, 0};
    snprintf(addr, sizeof(addr), "<%s>", ch->from);
    curl_easy_setopt(c, CURLOPT_URL, ch->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     ch->use_starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    cc = curl_easy_perform(c);
    if (cc == CURLE_ABORTED_BY_CALLBACK && notify_stopping(w)) {
        snprintf(err, errlen, "stopped");
        rc = COL_ERR_BUSY;
    } else if (cc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        snprintf(err, errlen, "%s (SMTP %ld)", cerr[0] ? cerr : curl_easy_strerror(cc), code);
    } else {
        rc = 0;
    }
out:
    curl_slist_free_all(rcpt);
    xfree(msg.p);
    return rc;
}

const struct notify_type notify_smtp_type = {
    .name = "smtp",
    .keys = smtp_keys,
    .target_key = "url",
    .open = smtp_open,
    .send = smtp_send,
    .tick = NULL,
    .close = smtp_close,
};
