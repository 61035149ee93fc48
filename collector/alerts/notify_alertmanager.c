/*
 * The Prometheus Alertmanager channel (API v2). An outbox entry becomes a
 * one-alert POST to <url>/api/v2/alerts: labels identify the alert
 * (alertname = rule, severity, domain, site, device, metric, gateway and the
 * rule's labels), annotations carry the text; a resolution carries endsAt.
 * Alertmanager forgets a firing alert after resolve_timeout (5m) unless it
 * is posted again, so every `repost` all firing rows of the alerts table
 * are posted again, built from the table with the same mapping.
 */
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "notify_int.h"
#include "store/db.h"
#include "textparse.h"
#include "xalloc.h"
#include "core/clock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const am_keys[] = {
    "url", "repost", "generator_url", "username", "password_file", "ca_file", NULL};

struct am_state {
    char post_url[1024];
    char generator_base[512];
    int64_t next_repost_ms; /* monotonic */
    struct complaint repost_failing;
};

/* Loopback and wildcard listen hosts are of no use in a link: use the host name. */
static bool is_local_host(const char *h)
{
    static const char *const local[] = {"",          "0.0.0.0", "::",    "[::]",
                                        "127.0.0.1", "::1",     "[::1]", "localhost"};

    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strcmp(h, local[i]) == 0)
            return true;
    return false;
}

static void derive_generator_base(const struct notify_worker *w, char *out, size_t sz)
{
    const char *listen = w->cfg->http.listen ? w->cfg->http.listen : "";
    const char *colon = strrchr(listen, ':');
    char host[256], name[256] = "localhost";

    if (w->ch->generator_url) {
        size_t n = strlen(w->ch->generator_url);
        while (n > 0 && w->ch->generator_url[n - 1] == '/')
            n--;
        snprintf(out, sz, "%.*s", (int)n, w->ch->generator_url);
        return;
    }
    if (gethostname(name, sizeof(name)) != 0)
        snprintf(name, sizeof(name), "localhost");
    name[sizeof(name) - 1] = '\0';
    if (!*listen) {
        snprintf(out, sz, "http://%s", name);
        return;
    }
    if (!colon) {
        snprintf(out, sz, "http://%s", is_local_host(listen) ? name : listen);
        return;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    snprintf(out, sz, "http://%s:%s", is_local_host(host) ? name : host, colon + 1);
}

static int am_open(struct notify_worker *w)
{
    struct am_state *s = xcalloc(1, sizeof(*s));
    size_t n;

    if (!s)
        return COL_ERR_NOMEM;
    n = strlen(w->ch->url);
    while (n > 0 && w->ch->url[n - 1] == '/')
        n--;
    snprintf(s->post_url, sizeof(s->post_url), "%.*s/api/v2/alerts", (int)n, w->ch->url);
    derive_generator_base(w, s->generator_base, sizeof(s->generator_base));
    s->next_repost_ms = mono_ms(); /* at start: Alertmanager may have restarted meanwhile */
    w->state = s;
    return 0;
}

static void am_close(struct notify_worker *w)
{
    xfree(w->state);
    w->state = NULL;
}

static bool is_label_name(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Set @key to a string form of @v (string, number or bool) unless already set or empty. */
static void put(cJSON *o, const char *key, const cJSON *v)
{
    char num[64];
    const char *text = NULL;

    if (!v || cJSON_GetObjectItemCaseSensitive(o, key))
        return;
    if (cJSON_IsString(v)) {
        text = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.10g", v->valuedouble);
        text = num;
    } else if (cJSON_IsBool(v)) {
        text = cJSON_IsTrue(v) ? "true" : "false";
    }
    if (text && *text)
        cJSON_AddStringToObject(o, key, text);
}

/* Copy the members of the object @from whose names are valid label names. */
static void put_all(cJSON *o, const cJSON *from)
{
    const cJSON *it;

    if (!cJSON_IsObject(from))
        return;
    cJSON_ArrayForEach(it, from)
    {
        if (it->string && is_label_name(it->string))
            put(o, it->string, it);
    }
}

static void put_time(cJSON *o, const char *key, const char *iso)
{
    int64_t ms;
    char t[40];

    if (!iso || parse_iso8601_ms(iso, strlen(iso), 0, &ms))
        return;
    notify_format_utc(ms, t, sizeof(t));
    cJSON_AddStringToObject(o, key, t);
}

/*
 * The Alertmanager alert for event @ev (the event JSON). @is_resolved adds
 * endsAt (the event's ended_at, else @now_ms). NULL when @ev lacks a rule or
 * on no memory.
 */
static cJSON *am_alert(const struct notify_worker *w, const cJSON *ev, bool is_resolved,
                       int64_t now_ms)
{
    const struct am_state *s = w->state;
    const char *rule = notify_json_str(ev, "rule");
    cJSON *a = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(a, "labels");
    cJSON *ann = cJSON_AddObjectToObject(a, "annotations");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "id");
    char url[768], t[40];

    if (!a || !labels || !ann || !rule) {
        cJSON_Delete(a);
        return NULL;
    }
    cJSON_AddStringToObject(labels, "alertname", rule);
    put(labels, "severity", cJSON_GetObjectItemCaseSensitive(ev, "severity"));
    put(labels, "domain", cJSON_GetObjectItemCaseSensitive(ev, "domain"));
    put(labels, "site", cJSON_GetObjectItemCaseSensitive(ev, "site"));
    put(labels, "device", cJSON_GetObjectItemCaseSensitive(ev, "device"));
    put(labels, "metric", cJSON_GetObjectItemCaseSensitive(ev, "metric"));
    if (!cJSON_GetObjectItemCaseSensitive(ev, "gateway"))
        cJSON_AddStringToObject(labels, "gateway", w->cfg->gateway.id);
    put(labels, "gateway", cJSON_GetObjectItemCaseSensitive(ev, "gateway"));
    put_all(labels, cJSON_GetObjectItemCaseSensitive(ev, "labels"));

    put(ann, "summary", cJSON_GetObjectItemCaseSensitive(ev, "message_en"));
    put(ann, "summary_zh", cJSON_GetObjectItemCaseSensitive(ev, "message_zh"));
    put(ann, "value", cJSON_GetObjectItemCaseSensitive(ev, "value"));
    put(ann, "threshold", cJSON_GetObjectItemCaseSensitive(ev, "threshold"));
    put(ann, "unit", cJSON_GetObjectItemCaseSensitive(ev, "unit"));
    put(ann, "source", cJSON_GetObjectItemCaseSensitive(ev, "source"));
    put(ann, "alert_id", id);
    put_all(ann, cJSON_GetObjectItemCaseSensitive(ev, "annotations"));

    put_time(a, "startsAt", notify_json_str(ev, "started_at"));
    if (is_resolved) {
        const char *ended = notify_json_str(ev, "ended_at");
        put_time(a, "endsAt", ended);
        if (!cJSON_GetObjectItemCaseSensitive(a, "endsAt")) {
            notify_format_utc(now_ms, t, sizeof(t));
            cJSON_AddStringToObject(a, "endsAt", t);
        }
    }
    if (cJSON_IsNumber(id)) {
        snprintf(url, sizeof(url), "%s/alerts/%lld", s->generator_base, (long long)id->valuedouble);
        cJSON_AddStringToObject(a, "generatorURL", url);
    }
    return a;
}

static int post(struct notify_worker *w, cJSON *alerts, char *err, size_t errlen)
{
    const struct am_state *s = w->state;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char *body = cJSON_PrintUnformatted(alerts);
    long status;
    int rc;

    if (!h || !body) {
        snprintf(err, errlen, "out of memory");
        rc = COL_ERR_NET;
        goto out;
    }
    rc = notify_http_post(w, s->post_url, h, body, strlen(body), &status, err, errlen);
out:
    curl_slist_free_all(h);
    cJSON_free(body);
    return rc;
}

static int am_send(struct notify_worker *w, const struct notify_msg *m, char *err, size_t errlen)
{
    bool is_resolved = strcmp(m->event, "resolved") == 0;
    cJSON *arr, *a;
    int rc;

    if (!m->json) {
        snprintf(err, errlen, "the payload is not a JSON object");
        return COL_ERR_INVAL;
    }
    a = am_alert(w, m->json, is_resolved, wall_ms());
    if (!a) {
        snprintf(err, errlen, "the payload has no rule");
        return COL_ERR_INVAL;
    }
    arr = cJSON_CreateArray();
    if (!arr || !cJSON_AddItemToArray(arr, a)) {
        cJSON_Delete(a);
        cJSON_Delete(arr);
        snprintf(err, errlen, "out of memory");
        return COL_ERR_NET;
    }
    rc = post(w, arr, err, errlen);
    cJSON_Delete(arr);
    return rc;
}

static void add_col_str(cJSON *o, const char *key, struct db_stmt *q, int col)
{
    const char *v = db_col_text(q, col);

    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_col_json(cJSON *o, const char *key, struct db_stmt *q, int col)
{
    const char *v = db_col_text(q, col);
    cJSON *j = v ? cJSON_Parse(v) : NULL;

    if (j && !cJSON_AddItemToObject(o, key, j))
        cJSON_Delete(j);
}

/* The event JSON of one row of the firing query, as alerts.c would have written it. */
static cJSON *event_from_row(const struct notify_worker *w, struct db_stmt *q)
{
    cJSON *ev = cJSON_CreateObject();
    char t[40];

    if (!ev)
        return NULL;
    cJSON_AddNumberToObject(ev, "id", (double)db_col_i64(q, 0));
    add_col_str(ev, "rule", q, 1);
    cJSON_AddStringToObject(ev, "state", "firing");
    add_col_str(ev, "severity", q, 2);
    add_col_str(ev, "domain", q, 3);
    add_col_str(ev, "site", q, 4);
    add_col_str(ev, "device", q, 5);
    add_col_str(ev, "metric", q, 6);
    if (!db_col_is_null(q, 7))
        cJSON_AddNumberToObject(ev, "value", db_col_f64(q, 7));
    if (!db_col_is_null(q, 8))
        cJSON_AddNumberToObject(ev, "threshold", db_col_f64(q, 8));
    add_col_str(ev, "unit", q, 9);
    if (!db_col_is_null(q, 10)) {
        notify_format_utc(db_col_i64(q, 10), t, sizeof(t));
        cJSON_AddStringToObject(ev, "started_at", t);
    }
    add_col_str(ev, "message_zh", q, 11);
    add_col_str(ev, "message_en", q, 12);
    add_col_json(ev, "labels", q, 13);
    add_col_json(ev, "annotations", q, 14);
    add_col_str(ev, "source", q, 15);
    cJSON_AddStringToObject(ev, "gateway", w->cfg->gateway.id);
    return ev;
}

/* Post every firing alert this channel routes again; 0 or a COL_ERR_* (reason in @err). */
static int repost(struct notify_worker *w, char *err, size_t errlen, int *n_out)
{
    static const char sql[] =
        "SELECT id, rule, severity, domain, site, device, metric, value, threshold, unit, "
        "started_at, message_zh, message_en, labels, annotations, "
        "(SELECT CASE WHEN json_valid(o.payload) THEN json_extract(o.payload, '$.source') END "
        " FROM outbox o WHERE o.alert_id = a.id ORDER BY o.id DESC LIMIT 1) "
        "FROM alerts a WHERE state = 'firing' ORDER BY id";
    struct db_stmt *q = NULL;
    cJSON *arr = cJSON_CreateArray();
    int rc = 0, step, n = 0;
    int64_t now = wall_ms();

    *n_out = 0;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return COL_ERR_NOMEM;
    }
    q = db_prepare(w->st, sql);
    if (!q) {
        snprintf(err, errlen, "reading firing alerts: %s", col_strerror(COL_ERR_DB));
        rc = COL_ERR_DB;
        goto out;
    }
    while ((step = db_step(q)) == DB_ROW) {
        cJSON *ev, *a;
        if (!notify_channel_accepts(w->ch, db_col_text(q, 2), db_col_text(q, 3), "firing"))
            continue;
        ev = event_from_row(w, q);
        a = ev ? am_alert(w, ev, false, now) : NULL;
        cJSON_Delete(ev);
        if (a && cJSON_AddItemToArray(arr, a))
            n++;
        else
            cJSON_Delete(a);
    }
    if (step < 0) {
        snprintf(err, errlen, "reading firing alerts: %s", col_strerror(step));
        rc = step;
        goto out;
    }
    db_reset(q);
    q = NULL; /* no read transaction stays open during the POST */
    if (n > 0)
        rc = post(w, arr, err, errlen);
    *n_out = n;
out:
    db_reset(q);
    cJSON_Delete(arr);
    return rc;
}

static void am_tick(struct notify_worker *w, int64_t now_ms)
{
    struct am_state *s = w->state;
    char err[512] = "";
    int n = 0, rc;

    (void)now_ms;
    if (mono_ms() < s->next_repost_ms)
        return;
    s->next_repost_ms = mono_ms() + w->ch->repost_ms;
    rc = repost(w, err, sizeof(err), &n);
    if (rc == COL_ERR_BUSY)
        return;
    if (rc) {
        complain(&s->repost_failing, mono_ms(),
                 "notify: channel '%s': re-posting firing alerts failed (%s)", w->ch->name, err);
        return;
    }
    complain_release(&s->repost_failing, "notify: channel '%s': re-posts succeed again",
                     w->ch->name);
    if (n > 0)
        log_dbg("notify: channel '%s': re-posted %d firing alert%s", w->ch->name, n,
                n == 1 ? "" : "s");
}

const struct notify_type notify_alertmanager_type = {
    .name = "alertmanager",
    .keys = am_keys,
    .target_key = "url",
    .open = am_open,
    .send = am_send,
    .tick = am_tick,
    .close = am_close,
};
