/*
 * What the HTTP-speaking channels share: the worker's libcurl handle (kept
 * for connection reuse, reset before each request), a POST that maps the
 * result to the delivery outcomes of notify_int.h, and small JSON and time
 * helpers. A transfer checks the stop flag as it goes, so notify_stop()
 * never waits for a slow endpoint's timeout.
 */
#include "col_err.h"
#include "notify_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Response text kept for last_error: enough to tell a proxy page from an API error. */
#define NOTIFY_RESPONSE_KEEP 160

struct response {
    char text[NOTIFY_RESPONSE_KEEP + 1];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct response *r = ud;
    size_t len = size * n, room = NOTIFY_RESPONSE_KEEP - r->len;
    size_t take = len < room ? len : room;

    memcpy(r->text + r->len, data, take);
    r->len += take;
    r->text[r->len] = '\0';
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return notify_stopping(ud) ? 1 : 0;
}

void *notify_curl(struct notify_worker *w)
{
    CURL *c = w->curl;
    const struct notify_channel *ch = w->ch;

    if (!c) {
        c = curl_easy_init();
        if (!c)
            return NULL;
        w->curl = c;
    } else {
        curl_easy_reset(c);
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    if (ch->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
    if (ch->username) {
        curl_easy_setopt(c, CURLOPT_USERNAME, ch->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password ? ch->password : "");
    }
    return c;
}

/* Keep printable ASCII of a response for last_error; the rest becomes '.'. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = ' ';
}

int notify_http_post(struct notify_worker *w, const char *url, void *headers, const char *body,
                     size_t len, long *status, char *err, size_t errlen)
{
    CURL *c = notify_curl(w);
    struct response resp = {.len = 0};
    char cerr[CURL_ERROR_SIZE] = "";
    CURLcode cc;

    *status = 0;
    if (!c) {
        snprintf(err, errlen, "cannot create an HTTP handle");
        return COL_ERR_NET;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    cc = curl_easy_perform(c);
    if (cc == CURLE_ABORTED_BY_CALLBACK && notify_stopping(w)) {
        snprintf(err, errlen, "stopped");
        return COL_ERR_BUSY;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
        return COL_ERR_NET;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 200 && *status < 300)
        return 0;
    printable(resp.text);
    snprintf(err, errlen, "HTTP %ld%s%s", *status, resp.len ? ": " : "", resp.text);
    /* The content itself was refused: sending it again cannot help. */
    if (*status == 400 || *status == 422)
        return COL_ERR_INVAL;
    return COL_ERR_NET;
}

void notify_format_utc(int64_t ms, char *out, size_t sz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32];

    if (ms < 0)
        t = 0;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, sz, "%s.%03dZ", buf, (int)(ms % 1000 >= 0 ? ms % 1000 : 0));
}

const char *notify_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}
