/*
 * The daemon's pages (see daemon_http.h). Everything shown is read from
 * the database at request time, so the numbers are the committed truth
 * and equal what `collector stats` prints; only the broker connection is
 * live state of the process. Metric names are a contract (alerting rules
 * in deploy/prometheus/ and dashboards use them); docs/operations.md lists
 * them.
 */
#include "daemon_http.h"
#include "alerts/notify.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
#include "http/http.h"
#include "ingest/mqtt.h"
#include "store/db.h"
#include "store/store.h"
#include "upload/upload.h"
#include "xalloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#ifndef COLLECTOR_VERSION
#define COLLECTOR_VERSION "0.8.0"
#endif
#define MAX_CHANNELS 64
/* A daemon whose database has not been readable for this long is not ready. */
#define READY_DB_MS 30000

struct daemon_http {
    const struct config *cfg;
    const struct mqtt_in *mq;
    struct http_server *srv;
    struct store *st; /* read-only, used on the server's thread only */
    int64_t started_ms;
    atomic_bool is_reload_ok;          /* the last SIGHUP reload (or the start) */
    _Atomic int64_t reload_success_ms; /* when the configuration in use was loaded */
};

/* The read-only connection, opened on first use (the daemon creates the file first). */
static struct store *db(struct daemon_http *dh)
{
    char err[512];

    if (!dh->st) {
        dh->st = store_open_readonly(&dh->cfg->storage, err, sizeof(err));
        if (!dh->st)
            log_warn("http: %s", err);
    }
    return dh->st;
}

/* ---- /metrics ---- */

static void metric_head(struct http_reply *r, const char *name, const char *type, const char *help)
{
    http_printf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric(struct http_reply *r, const char *name, const char *type, const char *help,
                   double v)
{
    metric_head(r, name, type, help);
    http_printf(r, "%s %.17g\n", name, v);
}

/* A label value in the text format: backslash, quote and newline escaped. */
static void label_value(struct http_reply *r, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            http_printf(r, "\\%c", *v);
        else if (*v == '\n')
            http_printf(r, "\\n");
        else
            http_printf(r, "%c", *v);
    }
}

static void labelled(struct http_reply *r, const char *name, const char *label, const char *value,
                     double v)
{
    http_printf(r, "%s{%s=\"", name, label);
    label_value(r, value);
    http_printf(r, "\"} %.17g\n", v);
}

static const char *const SQL_ALERTS_ACTIVE =
    "SELECT severity, count(*) FROM alerts WHERE state = 'firing' GROUP BY severity";
static const char *const SQL_OLDEST_DIRTY = "SELECT min(hour) FROM dirty_hours";
static const char *const SQL_OUTBOX_OLDEST =
    "SELECT channel, min(created_at) FROM outbox WHERE delivered_at IS NULL AND expired_at IS "
    "NULL GROUP BY channel";

static void metrics_alerts(struct store *st, struct http_reply *r)
{
    static const char *const sev[] = {"info", "warning", "major", "critical"};
    int64_t n[4] = {0};
    struct db_stmt *s = db_prepare(st, SQL_ALERTS_ACTIVE);

    while (s && db_step(s) == DB_ROW) {
        const char *v = db_col_text(s, 0);
        for (int i = 0; i < 4; i++)
            if (v && strcmp(v, sev[i]) == 0)
                n[i] = db_col_i64(s, 1);
    }
    db_reset(s);
    metric_head(r, "collector_alerts_active", "gauge", "Alerts firing now, by severity.");
    for (int i = 0; i < 4; i++)
        labelled(r, "collector_alerts_active", "severity", sev[i], (double)n[i]);
}

static void metrics_outbox(struct store *st, struct http_reply *r, int64_t now)
{
    struct notify_stat ns[MAX_CHANNELS];
    size_t n = 0;
    struct db_stmt *s;

    if (notify_stats_read(st, ns, MAX_CHANNELS, &n))
        n = 0;
    metric_head(r, "collector_outbox_depth", "gauge",
                "Alert notifications waiting for delivery, per channel.");
    for (size_t i = 0; i < n; i++)
        labelled(r, "collector_outbox_depth", "channel", ns[i].channel, (double)ns[i].pending);
    metric_head(r, "collector_delivery_failures_total", "counter",
                "Failed delivery attempts (each retry counts), per channel.");
    for (size_t i = 0; i < n; i++)
        labelled(r, "collector_delivery_failures_total", "channel", ns[i].channel,
                 (double)ns[i].failed_attempts);
    metric_head(r, "collector_notifications_delivered_total", "counter",
                "Alert notifications delivered, per channel.");
    for (size_t i = 0; i < n; i++)
        labelled(r, "collector_notifications_delivered_total", "channel", ns[i].channel,
                 (double)ns[i].delivered);
    metric_head(r, "collector_outbox_oldest_pending_age_seconds", "gauge",
                "Age of the oldest notification waiting for delivery, per channel.");
    s = db_prepare(st, SQL_OUTBOX_OLDEST);
    while (s && db_step(s) == DB_ROW)
        labelled(r, "collector_outbox_oldest_pending_age_seconds", "channel", db_col_text(s, 0),
                 (double)(now - db_col_i64(s, 1)) / 1000.0);
    db_reset(s);
}

static void metrics_upload(struct daemon_http *dh, struct store *st, struct http_reply *r)
{
    struct upload_stats u;

    if (upload_stats_read(dh->cfg, st, &u))
        return;
    metric_head(r, "collector_upload_ledger", "gauge", "Days in the upload ledger, by state.");
    labelled(r, "collector_upload_ledger", "state", "done", (double)u.done_days);
    labelled(r, "collector_upload_ledger", "state", "pending", (double)u.pending_days);
    labelled(r, "collector_upload_ledger", "state", "failed", (double)u.failed_days);
    labelled(r, "collector_upload_ledger", "state", "config_error", (double)u.config_error_days);
    metric(r, "collector_upload_failing", "gauge",
           "Days the upload has been failing (0 when the last run delivered).",
           (double)u.failing_days);
    metric(r, "collector_upload_last_success_timestamp_seconds", "gauge",
           "When a day was last delivered (Unix time; 0 = never).",
           (double)u.last_success_ms / 1000.0);
    metric(r, "collector_upload_bytes_total", "counter", "Bytes delivered to the data pool.",
           (double)u.bytes_sent);
}

static double disk_free(const char *db_path)
{
    char dir[512];
    char *slash;
    struct statvfs vs;

    snprintf(dir, sizeof(dir), "%s", db_path);
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        snprintf(dir, sizeof(dir), ".");
    if (statvfs(dir, &vs))
        return -1;
    return (double)vs.f_bavail * (double)vs.f_frsize;
}

static void page_metrics(void *ud, const char *path, struct http_reply *r)
{
    struct daemon_http *dh = ud;
    struct store *st = db(dh);
    struct store_stats s;
    struct db_stmt *q;
    int64_t now = wall_ms();

    (void)path;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metric_head(r, "collector_build_info", "gauge", "The collector's version.");
    http_printf(r, "collector_build_info{version=\"%s\",gateway=\"", COLLECTOR_VERSION);
    label_value(r, dh->cfg->gateway.id);
    http_printf(r, "\"} 1\n");
    metric(r, "collector_broker_connected", "gauge", "1 while the MQTT broker session is up.",
           mqtt_in_is_connected(dh->mq) ? 1 : 0);
    metric(r, "collector_subscription_degraded", "gauge",
           "1 while a subscription is granted below the QoS asked for.",
           mqtt_in_is_degraded(dh->mq) ? 1 : 0);
    metric(r, "collector_start_time_seconds", "gauge", "When the daemon started (Unix time).",
           (double)dh->started_ms / 1000.0);
    metric(r, "collector_config_last_reload_successful", "gauge",
           "1 when the last reload (SIGHUP) was taken up whole, 0 when any of it was refused.",
           atomic_load(&dh->is_reload_ok) ? 1.0 : 0.0);
    metric(r, "collector_config_last_reload_success_timestamp_seconds", "gauge",
           "When the profiles, registry, rules and channels in use were loaded (Unix time).",
           (double)atomic_load(&dh->reload_success_ms) / 1000.0);
    {
        struct store_lock_waits w;

        store_lock_waits(&w);
        metric(r, "collector_ingest_lock_wait_seconds_total", "counter",
               "Time ingest transactions waited for the database's write lock.",
               (double)w.total_us / 1e6);
        metric(r, "collector_ingest_lock_waits_total", "counter",
               "Ingest transactions begun (each waited for the write lock, if held).", (double)w.n);
        metric(r, "collector_ingest_lock_wait_max_seconds", "gauge",
               "The longest wait of one ingest transaction for the write lock since start.",
               (double)w.max_us / 1e6);
        metric(r, "collector_ingest_lock_waits_over_50ms_total", "counter",
               "Ingest transactions that waited more than 50 ms for the write lock.",
               (double)w.n_over_50ms);
    }
    metric(r, "collector_disk_free_bytes", "gauge",
           "Free space on the database's file system for the collector.",
           disk_free(dh->cfg->storage.path));
    if (!st || store_stats_read(st, &s)) {
        metric(r, "collector_database_up", "gauge", "1 when the database could be read.", 0);
        return;
    }
    metric(r, "collector_database_up", "gauge", "1 when the database could be read.", 1);
    metric(r, "collector_messages_received_total", "counter", "Messages received.",
           (double)s.received);
    metric(r, "collector_messages_stored_total", "counter",
           "Messages that stored at least one reading.", (double)s.stored_messages);
    metric(r, "collector_readings_stored_total", "counter", "Readings stored.",
           (double)s.stored_readings);
    metric(r, "collector_duplicates_total", "counter",
           "Messages whose every reading was already stored.", (double)s.duplicates);
    metric(r, "collector_duplicate_readings_total", "counter", "Readings already stored.",
           (double)s.duplicate_readings);
    metric(r, "collector_qos_downgrades_total", "counter",
           "Subscriptions the broker granted below the QoS asked for.", (double)s.qos_downgrades);
    metric(r, "collector_sessions_lost_total", "counter",
           "Reconnects that found no broker session (queued messages may be gone).",
           (double)s.sessions_lost);
    metric(r, "collector_unknown_fields_total", "counter",
           "Payload fields no profile maps (ignored).", (double)s.unknown_fields);
    metric_head(r, "collector_messages_rejected_total", "counter",
                "Messages and values rejected, by reason (docs/operations.md).");
    for (size_t i = 0; i < s.n_reasons; i++)
        labelled(r, "collector_messages_rejected_total", "reason", s.reasons[i].reason,
                 (double)s.reasons[i].n);
    metric_head(r, "collector_notes_total", "counter",
                "Payloads accepted by a documented leniency, and HJ 212 commands and values "
                "counted but not stored, by note (docs/devices.md).");
    for (size_t i = 0; i < s.n_notes; i++)
        labelled(r, "collector_notes_total", "note", s.notes[i].reason, (double)s.notes[i].n);
    metric(r, "collector_rejects_kept", "gauge", "Rejected messages kept in the rejects table.",
           (double)s.n_rejects_kept);
    metric(r, "collector_rejects_kept_bytes", "gauge", "Payload bytes kept in the rejects table.",
           (double)s.reject_bytes);
    metric(r, "collector_gateway_clock_suspect", "gauge",
           "1 while most devices' readings are far ahead of or behind the gateway clock.",
           s.clock.verdict == 1 ? 1.0 : 0.0);
    metric(r, "collector_devices", "gauge", "Devices known to the collector.", (double)s.n_devices);
    metric(r, "collector_rollup_pending", "gauge", "Device-hours waiting for the rollups.",
           (double)s.rollup_pending);
    q = db_prepare(st, SQL_OLDEST_DIRTY);
    metric(r, "collector_rollup_oldest_pending_age_seconds", "gauge",
           "Age of the oldest hour waiting for the rollups (0 = none).",
           q && db_step(q) == DB_ROW && !db_col_is_null(q, 0)
               ? (double)(now - db_col_i64(q, 0)) / 1000.0
               : 0);
    db_reset(q);
    metric(r, "collector_database_bytes", "gauge", "Size of the database file.",
           (double)s.db_bytes);
    metric(r, "collector_last_message_timestamp_seconds", "gauge",
           "When the last message was received (Unix time; 0 = never).",
           (double)s.last_received_ms / 1000.0);
    metrics_alerts(st, r);
    metrics_outbox(st, r, now);
    metrics_upload(dh, st, r);
}

/* ---- /healthz, /readyz ---- */

static void page_healthz(void *ud, const char *path, struct http_reply *r)
{
    struct daemon_http *dh = ud;

    (void)path;
    r->content_type = "application/json";
    /* Alive either way; "degraded" when the broker granted a subscription
     * below the QoS asked for: messages on it arrive unacknowledged, and
     * what the broker sent before a crash is not redelivered. */
    http_printf(r, "{\"status\":\"%s\",\"uptime_s\":%lld%s}\n",
                mqtt_in_is_degraded(dh->mq) ? "degraded" : "alive",
                (long long)((wall_ms() - dh->started_ms) / 1000),
                mqtt_in_is_degraded(dh->mq) ? ",\"reason\":\"qos_downgrade\"" : "");
}

static void page_readyz(void *ud, const char *path, struct http_reply *r)
{
    struct daemon_http *dh = ud;
    struct store *st = db(dh);
    struct store_stats s;
    int is_db = st && store_stats_read(st, &s) == 0;
    int is_broker = mqtt_in_is_connected(dh->mq);

    (void)path;
    r->content_type = "application/json";
    r->status = is_db && is_broker ? 200 : 503;
    http_printf(r, "{\"ready\":%s,\"database\":\"%s\",\"broker\":\"%s\"}\n",
                r->status == 200 ? "true" : "false", is_db ? "ok" : "unreadable",
                is_broker ? "connected" : "not connected");
}

/* ---- /status ---- */

static void html_head(struct http_reply *r, const char *title, int refresh_s)
{
    r->content_type = "text/html; charset=utf-8";
    http_printf(r, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
    if (refresh_s)
        http_printf(r, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh_s);
    http_printf(r, "<title>");
    http_put_html(r, title);
    http_printf(r, "</title><style>body{font-family:sans-serif;margin:1.5em;color:#222}"
                   "table{border-collapse:collapse;margin:.5em 0 1.5em}"
                   "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
                   ".bad{color:#b00020;font-weight:bold}.ok{color:#1b5e20}</style></head><body>");
}

static const char *const SQL_DEVICES =
    "SELECT name, site, profile, last_seen, n_messages FROM devices ORDER BY last_seen IS NOT NULL,"
    " last_seen LIMIT 200";
static const char *const SQL_ACTIVE =
    "SELECT id, rule, severity, site, device, value, unit, started_at FROM alerts WHERE state = "
    "'firing' ORDER BY started_at DESC LIMIT 100";

static void fmt_time(int64_t ms, char *out, size_t sz)
{
    if (ms > 0)
        cal_format_time(ms, out, sz);
    else
        snprintf(out, sz, "-");
}

static void status_devices(struct store *st, struct http_reply *r)
{
    struct db_stmt *s = db_prepare(st, SQL_DEVICES);
    char t[64];

    http_printf(r, "<h2>Devices 设备 (silent first)</h2><table><tr><th>device</th><th>site</th>"
                   "<th>profile</th><th>last seen</th><th>messages</th></tr>");
    while (s && db_step(s) == DB_ROW) {
        fmt_time(db_col_is_null(s, 3) ? 0 : db_col_i64(s, 3), t, sizeof(t));
        http_printf(r, "<tr><td>");
        http_put_html(r, db_col_text(s, 0));
        http_printf(r, "</td><td>");
        http_put_html(r, db_col_text(s, 1));
        http_printf(r, "</td><td>");
        http_put_html(r, db_col_text(s, 2));
        http_printf(r, "</td><td>%s</td><td>%lld</td></tr>", t, (long long)db_col_i64(s, 4));
    }
    db_reset(s);
    http_printf(r, "</table>");
}

static void status_alerts(struct store *st, struct http_reply *r)
{
    struct db_stmt *s = db_prepare(st, SQL_ACTIVE);
    char t[64];
    int n = 0;

    http_printf(r, "<h2>Active alerts 告警</h2><table><tr><th>id</th><th>rule</th><th>severity</th>"
                   "<th>site</th><th>device</th><th>value</th><th>since</th></tr>");
    while (s && db_step(s) == DB_ROW) {
        n++;
        fmt_time(db_col_i64(s, 7), t, sizeof(t));
        http_printf(r, "<tr><td><a href=\"/alerts/%lld\">%lld</a></td><td>",
                    (long long)db_col_i64(s, 0), (long long)db_col_i64(s, 0));
        http_put_html(r, db_col_text(s, 1));
        http_printf(r, "</td><td class=\"bad\">");
        http_put_html(r, db_col_text(s, 2));
        http_printf(r, "</td><td>");
        http_put_html(r, db_col_text(s, 3));
        http_printf(r, "</td><td>");
        http_put_html(r, db_col_text(s, 4));
        http_printf(r, "</td><td>%g ", db_col_f64(s, 5));
        http_put_html(r, db_col_text(s, 6));
        http_printf(r, "</td><td>%s</td></tr>", t);
    }
    db_reset(s);
    http_printf(r, "</table>%s", n ? "" : "<p class=\"ok\">No alert is firing.</p>");
}

static void page_status(void *ud, const char *path, struct http_reply *r)
{
    struct daemon_http *dh = ud;
    struct store *st = db(dh);
    struct store_stats s;
    struct upload_stats u;
    char t[64], title[192];
    int is_up = mqtt_in_is_connected(dh->mq);
    double up_s = (double)(wall_ms() - dh->started_ms) / 1000.0;

    (void)path;
    snprintf(title, sizeof(title), "collector %s", dh->cfg->gateway.id);
    html_head(r, title, 10);
    http_printf(r, "<h1>");
    http_put_html(r, title);
    http_printf(r, "</h1><p>Broker 消息服务器 %s:%lld: <span class=\"%s\">%s</span></p>",
                dh->cfg->mqtt.host, dh->cfg->mqtt.port, is_up ? "ok" : "bad",
                is_up ? "connected" : "NOT CONNECTED");
    if (!st || store_stats_read(st, &s)) {
        http_printf(r, "<p class=\"bad\">The database cannot be read.</p></body></html>");
        return;
    }
    fmt_time(s.last_received_ms, t, sizeof(t));
    http_printf(r,
                "<table><tr><th>received</th><td>%lld</td></tr>"
                "<tr><th>stored readings</th><td>%lld</td></tr>"
                "<tr><th>rejected</th><td>%lld</td></tr>"
                "<tr><th>rate since start</th><td>%.1f msg/s</td></tr>"
                "<tr><th>last message</th><td>%s</td></tr>"
                "<tr><th>rollup pending</th><td>%lld device-hours</td></tr>"
                "<tr><th>database</th><td>%.1f MiB</td></tr>"
                "<tr><th>disk free</th><td>%.1f MiB</td></tr></table>",
                (long long)s.received, (long long)s.stored_readings, (long long)s.rejected_total,
                up_s > 0 ? (double)s.received / up_s : 0.0, t, (long long)s.rollup_pending,
                (double)s.db_bytes / 1048576.0, disk_free(dh->cfg->storage.path) / 1048576.0);
    status_alerts(st, r);
    status_devices(st, r);
    if (upload_stats_read(dh->cfg, st, &u) == 0 && u.is_enabled) {
        fmt_time(u.last_success_ms, t, sizeof(t));
        http_printf(r,
                    "<h2>Upload 上传</h2><p>%lld days delivered, %lld pending, %lld failed; last "
                    "success %s%s</p>",
                    (long long)u.done_days, (long long)u.pending_days, (long long)u.failed_days, t,
                    u.failing_days ? " <span class=\"bad\">FAILING</span>" : "");
    }
    http_printf(r, "<p><a href=\"/metrics\">/metrics</a></p></body></html>");
}

/* ---- /alerts/<id> ---- */

static const char *const SQL_ALERT =
    "SELECT rule, scope, state, severity, domain, site, device, metric, value, threshold, unit,"
    " started_at, ended_at, message_zh, message_en, acked_by, ack_comment FROM alerts WHERE id ="
    " ?1";
static const char *const SQL_ALERT_EVENTS =
    "SELECT channel, event, created_at, attempts, delivered_at, expired_at, last_error FROM outbox"
    " WHERE alert_id = ?1 ORDER BY id";

static void row(struct http_reply *r, const char *k, const char *v)
{
    http_printf(r, "<tr><th>%s</th><td>", k);
    http_put_html(r, v ? v : "-");
    http_printf(r, "</td></tr>");
}

static void page_alert(void *ud, const char *path, struct http_reply *r)
{
    struct daemon_http *dh = ud;
    struct store *st = db(dh);
    struct db_stmt *s;
    char *end;
    long long id = strtoll(path + strlen("/alerts/"), &end, 10);
    char t[64], title[64];

    if (*end || id <= 0 || !st) {
        r->status = 404;
        http_printf(r, "no such alert\n");
        return;
    }
    s = db_prepare(st, SQL_ALERT);
    if (!s) {
        r->status = 500;
        return;
    }
    db_bind_i64(s, 1, id);
    if (db_step(s) != DB_ROW) {
        db_reset(s);
        r->status = 404;
        http_printf(r, "no such alert\n");
        return;
    }
    snprintf(title, sizeof(title), "alert %lld", id);
    html_head(r, title, 0);
    http_printf(r, "<h1>Alert 告警 %lld: ", id);
    http_put_html(r, db_col_text(s, 0));
    http_printf(r, "</h1><table>");
    row(r, "state", db_col_text(s, 2));
    row(r, "severity", db_col_text(s, 3));
    row(r, "scope", db_col_text(s, 1));
    row(r, "site", db_col_text(s, 5));
    row(r, "device", db_col_text(s, 6));
    row(r, "metric", db_col_text(s, 7));
    snprintf(t, sizeof(t), "%g (threshold %g)", db_col_f64(s, 8), db_col_f64(s, 9));
    row(r, "value", t);
    fmt_time(db_col_i64(s, 11), t, sizeof(t));
    row(r, "started", t);
    fmt_time(db_col_is_null(s, 12) ? 0 : db_col_i64(s, 12), t, sizeof(t));
    row(r, "ended", t);
    row(r, "message", db_col_text(s, 13));
    row(r, "message (en)", db_col_text(s, 14));
    row(r, "acknowledged by", db_col_text(s, 15));
    row(r, "comment", db_col_text(s, 16));
    http_printf(r, "</table>");
    db_reset(s);
    s = db_prepare(st, SQL_ALERT_EVENTS);
    http_printf(r, "<h2>Events and deliveries</h2><table><tr><th>event</th><th>channel</th>"
                   "<th>created</th><th>attempts</th><th>delivered</th><th>last error</th></tr>");
    if (s)
        db_bind_i64(s, 1, id);
    while (s && db_step(s) == DB_ROW) {
        char d[64];
        fmt_time(db_col_i64(s, 2), t, sizeof(t));
        fmt_time(db_col_is_null(s, 4) ? 0 : db_col_i64(s, 4), d, sizeof(d));
        http_printf(r, "<tr><td>");
        http_put_html(r, db_col_text(s, 1));
        http_printf(r, "</td><td>");
        http_put_html(r, db_col_text(s, 0));
        http_printf(r, "</td><td>%s</td><td>%lld</td><td>%s%s</td><td>", t,
                    (long long)db_col_i64(s, 3), d, db_col_is_null(s, 5) ? "" : " (expired)");
        http_put_html(r, db_col_text(s, 6));
        http_printf(r, "</td></tr>");
    }
    db_reset(s);
    http_printf(r, "</table><p><a href=\"/status\">status</a></p></body></html>");
}

static const struct http_route routes[] = {
    {"/metrics", 0, page_metrics}, {"/healthz", 0, page_healthz}, {"/readyz", 0, page_readyz},
    {"/status", 0, page_status},   {"/", 0, page_status},         {"/alerts/", 1, page_alert},
};

struct daemon_http *daemon_http_start(const struct config *cfg, const struct mqtt_in *mq,
                                      int *is_error)
{
    struct daemon_http *dh;
    char *token = NULL;
    char err[512];

    *is_error = 0;
    if (!cfg->http.listen || !*cfg->http.listen)
        return NULL;
    *is_error = 1;
    if (cfg->http.token_file && secret_read(cfg->http.token_file, &token, err, sizeof(err))) {
        log_err("http: %s", err);
        return NULL;
    }
    dh = xcalloc(1, sizeof(*dh));
    if (!dh) {
        secret_free(&token);
        return NULL;
    }
    dh->cfg = cfg;
    dh->mq = mq;
    dh->started_ms = wall_ms();
    atomic_init(&dh->is_reload_ok, true);
    atomic_init(&dh->reload_success_ms, dh->started_ms);
    dh->srv = http_start(cfg->http.listen, token, routes, sizeof(routes) / sizeof(routes[0]), dh,
                         err, sizeof(err));
    secret_free(&token);
    if (!dh->srv) {
        log_err("http: %s", err);
        xfree(dh);
        return NULL;
    }
    *is_error = 0;
    log_info("http: serving /metrics, /healthz, /readyz and /status on %s", cfg->http.listen);
    return dh;
}

void daemon_http_reloaded(struct daemon_http *dh, bool is_ok, int64_t when_ms)
{
    if (!dh)
        return;
    atomic_store(&dh->is_reload_ok, is_ok);
    if (is_ok)
        atomic_store(&dh->reload_success_ms, when_ms);
}

void daemon_http_stop(struct daemon_http *dh)
{
    if (!dh)
        return;
    http_stop(dh->srv);
    store_close(dh->st);
    xfree(dh);
}
