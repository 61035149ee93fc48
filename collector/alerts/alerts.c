/*
 * Alert evaluation and persistence (see alerts.h). The state of an active
 * alert lives in its `alerts` row; evaluating a rule loads the row for
 * (rule, scope), steps the state machine of ruleset/rule.h, writes the row
 * back and, for firing/reminder/resolved events, enqueues the event JSON
 * into `outbox` for each channel whose routing accepts it. Rows are only
 * written when something changed, so a quiet rule costs one indexed read.
 */
#include "alerts.h"
#include "col_err.h"
#include "core/config.h"
#include "diag.h"
#include "gb3095.h"
#include "gb3096.h"
#include "core/log.h"
#include "notify.h"
#include "profile.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define SCOPE_MAX 160

/* Last value of a device's metric, for jump and stuck rules. */
struct last_value {
    int64_t ts_ms;
    double value;
    int64_t same_since_ms; /* start of the current run of identical values */
};

struct alerts {
    const struct config *cfg;
    struct store *st;
    sqlite3 *db;
    const struct profile_set *profiles;
    const struct notify_channels *channels;
    struct ruleset *rules;
    struct strmap *last;  /* "device\x1fmetric" → struct last_value* */
    bool has_enqueued;    /* outbox rows written in the open transaction */
    sqlite3_stmt *q_load; /* prepared once: evaluated for every watched reading */
    sqlite3_stmt *q_update;
    /*
     * "rule\x1fscope" of the pending and firing alerts this thread evaluates
     * (each series is evaluated by one thread), so that a quiet evaluation —
     * no active alert, value on the safe side — costs no database access.
     */
    struct strmap *active;
    bool is_active_loaded;
    struct alerts_gateway_facts facts; /* upload and disk state; all NULL = unknown */
};

static void free_last(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    xfree(val);
}

static void log_line(void *ud, const char *msg)
{
    (void)ud;
    log_err("%s", msg);
}

static struct ruleset *load_rules(const struct config *cfg)
{
    struct diag d = {log_line, NULL, 0};
    struct ruleset *rs;

    if (cfg->rules.paths.n == 0) {
        rs = xcalloc(1, sizeof(*rs));
        return rs;
    }
    rs = ruleset_load((const char *const *)cfg->rules.paths.v, cfg->rules.paths.n, &d);
    if (!rs)
        log_err("alerts: %d error%s in the rules", d.n_errors, d.n_errors == 1 ? "" : "s");
    return rs;
}

struct alerts *alerts_new(const struct config *cfg, struct store *st,
                          const struct profile_set *profiles,
                          const struct notify_channels *channels)
{
    struct alerts *a = xcalloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->cfg = cfg;
    a->st = st;
    a->db = store_handle(st);
    a->profiles = profiles;
    a->channels = channels;
    a->last = strmap_new();
    a->active = strmap_new();
    a->rules = load_rules(cfg);
    if (!a->last || !a->active || !a->rules) {
        alerts_free(a);
        return NULL;
    }
    return a;
}

void alerts_free(struct alerts *a)
{
    if (!a)
        return;
    if (a->last)
        strmap_each(a->last, free_last, NULL);
    strmap_free(a->last);
    ruleset_free(a->rules);
    sqlite3_finalize(a->q_load);
    sqlite3_finalize(a->q_update);
    strmap_free(a->active);
    xfree(a);
}

int alerts_reload(struct alerts *a, const struct profile_set *profiles)
{
    struct ruleset *rs = load_rules(a->cfg);

    if (!rs)
        return COL_ERR_CONFIG;
    ruleset_free(a->rules);
    a->rules = rs;
    a->profiles = profiles;
    return 0;
}

bool alerts_has_series(const struct alerts *a, enum rule_series series)
{
    for (size_t i = 0; a && i < a->rules->n; i++)
        if (a->rules->v[i].series == series)
            return true;
    return false;
}

bool alerts_wants_metric(const struct alerts *a, const char *metric)
{
    for (size_t i = 0; i < a->rules->n; i++) {
        const struct rule *r = &a->rules->v[i];
        if ((r->series == RULE_READING || r->series == RULE_JUMP || r->series == RULE_STUCK ||
             r->series == RULE_ROLLING) &&
            (!r->metric || strcmp(r->metric, metric) == 0))
            return true;
    }
    return false;
}

/* ---- thresholds ---- */

static int metric_pollutant(const char *metric, enum gb3095_pollutant *p)
{
    static const struct {
        const char *m;
        enum gb3095_pollutant p;
    } map[] = {{"so2", GB3095_SO2},   {"no2", GB3095_NO2},  {"co", GB3095_CO},
               {"o3", GB3095_O3},     {"o3_8h", GB3095_O3}, {"pm10", GB3095_PM10},
               {"pm25", GB3095_PM25}, {"o3_1h", GB3095_O3}};

    for (size_t i = 0; metric && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].m, metric) == 0) {
            *p = map[i].p;
            return 0;
        }
    }
    return COL_ERR_NOTFOUND;
}

static int site_zone(struct alerts *a, const char *site, enum gb3096_zone *z)
{
    sqlite3_stmt *s = NULL;
    int rc = COL_ERR_NOTFOUND;

    if (!site || sqlite3_prepare_v2(a->db, "SELECT noise_zone FROM sites WHERE name = ?1", -1, &s,
                                    NULL) != SQLITE_OK)
        return COL_ERR_NOTFOUND;
    sqlite3_bind_text(s, 1, site, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        rc = gb3096_zone_parse((const char *)sqlite3_column_text(s, 0), z);
    sqlite3_finalize(s);
    return rc;
}

/* The threshold of @r for this scope and time; COL_ERR_NOTFOUND when it does not apply. */
static int threshold_of(struct alerts *a, const struct rule *r, const char *site,
                        const char *metric, int64_t t_ms, double interval_s, double *out)
{
    enum gb3095_pollutant p;
    enum gb3096_zone z;
    double lim;

    switch (r->threshold_ref) {
    case RULE_REF_NONE:
        *out = r->threshold;
        return 0;
    case RULE_REF_ZONE_DAY:
    case RULE_REF_ZONE_NIGHT:
    case RULE_REF_ZONE_NIGHT_LMAX:
        if (site_zone(a, site, &z))
            return COL_ERR_NOTFOUND;
        if (gb3096_limit(z, r->threshold_ref == RULE_REF_ZONE_DAY ? GB3096_DAY : GB3096_NIGHT,
                         &lim))
            return COL_ERR_NOTFOUND;
        *out = lim + (r->threshold_ref == RULE_REF_ZONE_NIGHT_LMAX ? 15.0 : 0.0);
        return 0;
    case RULE_REF_GRADE2_24H:
    case RULE_REF_GRADE2_8H:
        if (metric_pollutant(metric, &p))
            return COL_ERR_NOTFOUND;
        if (gb3095_limit(gb3095_edition_for(t_ms), p,
                         r->threshold_ref == RULE_REF_GRADE2_8H ? GB3095_8H : GB3095_24H,
                         GB3095_GRADE_II, &lim))
            return COL_ERR_NOTFOUND;
        *out = lim;
        return 0;
    case RULE_REF_INTERVAL_X:
        if (!(interval_s > 0))
            return COL_ERR_NOTFOUND;
        *out = r->factor * interval_s;
        return 0;
    case RULE_REF_TARGET_PM25:
        *out = a->cfg->report.pm25_target;
        return 0;
    case RULE_REF_TARGET_GOOD_DAYS:
        *out = a->cfg->report.good_day_target;
        return 0;
    }
    return COL_ERR_NOTFOUND;
}

/* ---- the alerts row ---- */

struct row {
    int64_t id; /* 0 when there is no active row */
    bool is_acked;
    struct alert_status st;
    char msg_zh[512], msg_en[512]; /* the firing message, for the resolution */
};

static int load_row(struct alerts *a, const char *rule, const char *scope, struct row *out)
{
    sqlite3_stmt *s = a->q_load;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!s &&
        sqlite3_prepare_v3(a->db,
                           "SELECT id, state, coalesce(pending_since, 0), coalesce(started_at, 0),"
                           " coalesce(last_notified, 0), hits, coalesce(value, 0), acked_by IS NOT"
                           " NULL, coalesce(message_zh, ''), coalesce(message_en, '') FROM alerts"
                           " WHERE rule = ?1 AND scope = ?2 AND state IN ('pending', 'firing')",
                           -1, SQLITE_PREPARE_PERSISTENT, &a->q_load, NULL) != SQLITE_OK)
        return store_error(a->st, "alert lookup");
    s = a->q_load;
    sqlite3_bind_text(s, 1, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, scope, -1, SQLITE_STATIC);
    switch (sqlite3_step(s)) {
    case SQLITE_ROW:
        out->id = sqlite3_column_int64(s, 0);
        out->st.state = strcmp((const char *)sqlite3_column_text(s, 1), "firing") == 0
                            ? ALERT_FIRING
                            : ALERT_PENDING;
        out->st.pending_since_ms = sqlite3_column_int64(s, 2);
        out->st.started_at_ms = sqlite3_column_int64(s, 3);
        out->st.last_notified_ms = sqlite3_column_int64(s, 4);
        out->st.hits = sqlite3_column_int(s, 5);
        out->st.value = sqlite3_column_double(s, 6);
        out->is_acked = sqlite3_column_int(s, 7) != 0;
        snprintf(out->msg_zh, sizeof(out->msg_zh), "%s", (const char *)sqlite3_column_text(s, 8));
        snprintf(out->msg_en, sizeof(out->msg_en), "%s", (const char *)sqlite3_column_text(s, 9));
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = store_error(a->st, "alert lookup");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static cJSON *kv_object(const struct rule_kv *kv, size_t n)
{
    cJSON *o = cJSON_CreateObject();

    for (size_t i = 0; o && i < n; i++)
        cJSON_AddStringToObject(o, kv[i].key, kv[i].value);
    return o;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

struct eval {
    const struct rule *r;
    const char *scope, *domain, *site, *device, *metric, *unit;
    double value, threshold;
    int64_t t_ms;   /* data time of the value */
    int64_t now_ms; /* wall time of the evaluation */
};

/* Render the event JSON and enqueue it for every channel that wants it. */
static int enqueue(struct alerts *a, const struct eval *e, int64_t id, const char *event,
                   int64_t started_ms, int64_t ended_ms, const char *msg_zh, const char *msg_en)
{
    cJSON *o = cJSON_CreateObject();
    char t[64];
    char *text = NULL;
    int rc = 0;

    if (!o)
        return COL_ERR_NOMEM;
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "rule", e->r->name);
    cJSON_AddStringToObject(o, "state", event);
    cJSON_AddStringToObject(o, "severity", rule_severity_name(e->r->severity));
    add_str_or_null(o, "domain", e->domain);
    add_str_or_null(o, "site", e->site);
    add_str_or_null(o, "device", e->device);
    add_str_or_null(o, "metric", e->metric);
    add_num_or_null(o, "value", e->value);
    add_num_or_null(o, "threshold", e->threshold);
    add_str_or_null(o, "unit", e->unit);
    cal_format_time(started_ms, t, sizeof(t));
    cJSON_AddStringToObject(o, "started_at", t);
    if (ended_ms) {
        cal_format_time(ended_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "ended_at", t);
    } else {
        cJSON_AddNullToObject(o, "ended_at");
    }
    cJSON_AddStringToObject(o, "message_zh", msg_zh);
    cJSON_AddStringToObject(o, "message_en", msg_en);
    cJSON_AddItemToObject(o, "labels", kv_object(e->r->labels, e->r->n_labels));
    cJSON_AddItemToObject(o, "annotations", kv_object(e->r->annotations, e->r->n_annotations));
    add_str_or_null(o, "source", e->r->source);
    cJSON_AddStringToObject(o, "gateway", a->cfg->gateway.id);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return COL_ERR_NOMEM;
    for (size_t i = 0; rc == 0 && a->channels && i < notify_channels_count(a->channels); i++) {
        sqlite3_stmt *s = NULL;
        if (!notify_channel_wants(a->channels, i, rule_severity_name(e->r->severity), e->domain,
                                  event))
            continue;
        if (sqlite3_prepare_v3(a->db,
                               "INSERT INTO outbox(alert_id, channel, event, payload, created_at,"
                               " next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                               -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
            rc = store_error(a->st, "outbox insert");
            break;
        }
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, notify_channel_name(a->channels, i), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, event, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, e->now_ms);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_error(a->st, "outbox insert");
        sqlite3_finalize(s);
    }
    cJSON_free(text);
    if (rc == 0)
        a->has_enqueued = true;
    return rc;
}

void alerts_committed(struct alerts *a, bool is_committed)
{
    if (!a)
        return;
    if (a->has_enqueued && is_committed)
        notify_channels_kick(a->channels);
    a->has_enqueued = false;
    if (is_committed)
        return;
    /* Rolled back: what the transaction's evaluations put in memory never
     * happened. The set of active alerts is read again from the database;
     * the last values behind jump and stuck rules start over (at worst one
     * jump goes unseen right after a failed commit, never a false one). */
    if (a->last)
        strmap_each(a->last, free_last, NULL);
    strmap_free(a->last);
    a->last = strmap_new(); /* NULL is retried by the next reading */
    strmap_free(a->active);
    a->active = strmap_new();
    a->is_active_loaded = false;
}

static int write_row(struct alerts *a, const struct eval *e, struct row *row, enum alert_event ev,
                     const char *msg_zh, const char *msg_en)
{
    sqlite3_stmt *s = NULL;
    const char *state = ev == ALERT_EV_RESOLVED         ? "resolved"
                        : row->st.state == ALERT_FIRING ? "firing"
                                                        : "pending";
    int rc = 0;

    if (row->id == 0) {
        if (sqlite3_prepare_v2(a->db,
                               "INSERT INTO alerts(rule, scope, state, severity, domain, site,"
                               " device, metric, unit, labels, annotations) VALUES (?1, ?2,"
                               " 'pending', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                               -1, &s, NULL) != SQLITE_OK)
            return store_error(a->st, "alert insert");
        sqlite3_bind_text(s, 1, e->r->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, e->scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, rule_severity_name(e->r->severity), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, e->domain, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, e->site, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, e->device, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, e->metric, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, e->unit, -1, SQLITE_STATIC);
        /* Stored so that re-posts (Alertmanager) carry the same labels as the events. */
        {
            cJSON *l = kv_object(e->r->labels, e->r->n_labels);
            cJSON *an = kv_object(e->r->annotations, e->r->n_annotations);
            char *lt = l ? cJSON_PrintUnformatted(l) : NULL;
            char *at = an ? cJSON_PrintUnformatted(an) : NULL;
            cJSON_Delete(l);
            cJSON_Delete(an);
            if (lt)
                sqlite3_bind_text(s, 9, lt, -1, SQLITE_TRANSIENT);
            if (at)
                sqlite3_bind_text(s, 10, at, -1, SQLITE_TRANSIENT);
            cJSON_free(lt);
            cJSON_free(at);
        }
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_error(a->st, "alert insert");
        row->id = sqlite3_last_insert_rowid(a->db);
        sqlite3_finalize(s);
        s = NULL;
        if (rc)
            return rc;
    }
    if (!a->q_update &&
        sqlite3_prepare_v3(a->db,
                           "UPDATE alerts SET state = ?2, value = ?3, threshold = ?4,"
                           " pending_since = nullif(?5, 0), started_at = nullif(?6, 0),"
                           " ended_at = CASE WHEN ?2 = 'resolved' THEN ?7 ELSE NULL END,"
                           " last_eval = ?8, last_notified = nullif(?9, 0), hits = ?10,"
                           " message_zh = coalesce(?11, message_zh),"
                           " message_en = coalesce(?12, message_en) WHERE id = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &a->q_update, NULL) != SQLITE_OK)
        return store_error(a->st, "alert update");
    s = a->q_update;
    sqlite3_bind_int64(s, 1, row->id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    if (isfinite(e->value))
        sqlite3_bind_double(s, 3, e->value);
    if (isfinite(e->threshold))
        sqlite3_bind_double(s, 4, e->threshold);
    sqlite3_bind_int64(s, 5, row->st.pending_since_ms);
    sqlite3_bind_int64(s, 6, row->st.started_at_ms);
    sqlite3_bind_int64(s, 7, e->t_ms);
    sqlite3_bind_int64(s, 8, e->t_ms);
    sqlite3_bind_int64(s, 9, row->st.last_notified_ms);
    sqlite3_bind_int(s, 10, row->st.hits);
    if (msg_zh)
        sqlite3_bind_text(s, 11, msg_zh, -1, SQLITE_STATIC);
    if (msg_en)
        sqlite3_bind_text(s, 12, msg_en, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_error(a->st, "alert update");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static int delete_row(struct alerts *a, int64_t id)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(a->db, "DELETE FROM alerts WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
        return store_error(a->st, "alert delete");
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store_error(a->st, "alert delete");
    sqlite3_finalize(s);
    return rc;
}

static void active_key(const char *rule, const char *scope, char *out, size_t sz)
{
    snprintf(out, sz, "%s\x1f%s", rule, scope);
}

static int load_active(struct alerts *a)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (a->is_active_loaded)
        return 0;
    if (!a->active)
        a->active = strmap_new();
    if (!a->active)
        return COL_ERR_NOMEM;
    if (sqlite3_prepare_v2(a->db,
                           "SELECT rule, scope FROM alerts WHERE state IN ('pending', 'firing')",
                           -1, &s, NULL) != SQLITE_OK)
        return store_error(a->st, "active alerts");
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        char key[SCOPE_MAX + 80];
        active_key((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                   key, sizeof(key));
        rc = strmap_put(a->active, key, a);
    }
    sqlite3_finalize(s);
    a->is_active_loaded = rc == 0;
    return rc;
}

static bool breaches(const struct rule *r, double v, double t)
{
    if (!isfinite(v) || !isfinite(t))
        return false;
    switch (r->op) {
    case RULE_GT:
        return v > t;
    case RULE_GE:
        return v >= t;
    case RULE_LT:
        return v < t;
    case RULE_LE:
        return v <= t;
    case RULE_EQ:
        return v == t;
    case RULE_NE:
        return v != t;
    }
    return false;
}

/*
 * One evaluation. Reminders are not produced here (data time can be far in
 * the past during a replay): the rule is stepped without its repeat
 * interval, and alerts_tick() sends reminders on the wall clock.
 */
static int evaluate(struct alerts *a, struct eval *e)
{
    struct rule quiet = *e->r;
    struct row row;
    enum alert_event ev;
    char zh[1200], en[1200];
    struct rule_ctx ctx;
    int rc;

    int64_t started;
    char key[SCOPE_MAX + 80];

    /* Quiet and nothing active: nothing can change. */
    rc = load_active(a);
    if (rc)
        return rc;
    active_key(e->r->name, e->scope, key, sizeof(key));
    if (!strmap_get(a->active, key) && !breaches(e->r, e->value, e->threshold))
        return 0;
    rc = load_row(a, e->r->name, e->scope, &row);
    if (rc)
        return rc;
    started = row.st.started_at_ms;
    quiet.repeat_ms = 0;
    ev = rule_step(&quiet, &row.st, e->value, e->threshold, e->t_ms);
    switch (ev) {
    case ALERT_EV_NONE:
        if (row.id == 0)
            return 0;
        return write_row(a, e, &row, ev, NULL, NULL);
    case ALERT_EV_CANCELLED:
        strmap_put(a->active, key, NULL);
        return row.id ? delete_row(a, row.id) : 0;
    case ALERT_EV_PENDING:
        if (strmap_put(a->active, key, a))
            return COL_ERR_NOMEM;
        return write_row(a, e, &row, ev, NULL, NULL);
    default:
        break;
    }
    if (strmap_put(a->active, key, ev == ALERT_EV_RESOLVED ? NULL : a))
        return COL_ERR_NOMEM;
    ctx = (struct rule_ctx){e->site,
                            e->device,
                            e->metric,
                            e->unit,
                            e->value,
                            e->threshold,
                            started ? started : row.st.started_at_ms};
    if (ev == ALERT_EV_RESOLVED && row.msg_en[0]) {
        /* The resolution repeats what fired, with the value that ended it. */
        char now_zh[96], now_en[96];
        struct rule_ctx now_ctx = ctx;
        rule_format(e->r, "{value} {unit}", &now_ctx, now_zh, sizeof(now_zh));
        memcpy(now_en, now_zh, sizeof(now_en));
        snprintf(zh, sizeof(zh), "已恢复（现为 %s）：%s", now_zh, row.msg_zh);
        snprintf(en, sizeof(en), "RESOLVED (now %s): %s", now_en, row.msg_en);
    } else {
        rule_format(e->r, e->r->message_zh ? e->r->message_zh : "{rule}: {site} {value} {unit}",
                    &ctx, zh, sizeof(zh));
        rule_format(e->r, e->r->message_en ? e->r->message_en : "{rule}: {site} {value} {unit}",
                    &ctx, en, sizeof(en));
    }
    if (ev == ALERT_EV_FIRING) {
        row.st.last_notified_ms = e->now_ms; /* reminders count from notification time */
        started = row.st.started_at_ms ? row.st.started_at_ms : e->t_ms;
    }
    row.st.started_at_ms = started; /* a resolved row keeps when it started */
    rc = write_row(a, e, &row, ev, zh, en);
    if (rc == 0)
        rc = enqueue(a, e, row.id, ev == ALERT_EV_FIRING ? "firing" : "resolved", started,
                     ev == ALERT_EV_RESOLVED ? e->t_ms : 0, zh, en);
    if (rc == 0)
        log_info("alert %s: %s %s = %g (threshold %g)",
                 ev == ALERT_EV_FIRING ? "firing" : "resolved", e->r->name, e->scope, e->value,
                 e->threshold);
    return rc;
}

static double profile_interval_s(struct alerts *a, const char *profile)
{
    const struct profile *p =
        a->profiles && profile ? profile_set_find(a->profiles, profile) : NULL;

    return p ? (double)p->interval_ms / 1000.0 : NAN;
}

/* ---- entry points ---- */

static int run_rules(struct alerts *a, enum rule_series series, const char *domain,
                     const char *site, const char *device, const char *metric, const char *unit,
                     double value, int64_t t_ms, int64_t now_ms, double interval_s)
{
    char scope[SCOPE_MAX];

    for (size_t i = 0; i < a->rules->n; i++) {
        const struct rule *r = &a->rules->v[i];
        struct eval e = {r, scope, domain, site, device, metric, unit, value, NAN, t_ms, now_ms};
        int rc;
        if (r->series != series || !rule_selects(r, domain, site, device, metric))
            continue;
        if (threshold_of(a, r, site, metric, t_ms, interval_s, &e.threshold))
            continue;
        if (device && *device)
            snprintf(scope, sizeof(scope), "device=%s/%s", device, metric ? metric : "");
        else
            snprintf(scope, sizeof(scope), "site=%s/%s", site ? site : "", metric ? metric : "");
        rc = evaluate(a, &e);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Stuck sensors: the value of a stuck rule is the spread (max - min) of the
 * readings over its window, which is 0 once the value has not changed for a
 * whole window. A shorter run, or a change, gives the last change's size.
 */
static int stuck_rules(struct alerts *a, const char *domain, const char *site, const char *device,
                       const char *metric, const char *unit, double value,
                       const struct last_value *lv, int64_t ts_ms, int64_t now_ms)
{
    char scope[SCOPE_MAX];

    snprintf(scope, sizeof(scope), "device=%s/%s", device, metric);
    for (size_t i = 0; i < a->rules->n; i++) {
        const struct rule *r = &a->rules->v[i];
        struct eval e = {r, scope, domain, site, device, metric, unit, 0, NAN, ts_ms, now_ms};
        int rc;
        if (r->series != RULE_STUCK || !rule_selects(r, domain, site, device, metric))
            continue;
        if (threshold_of(a, r, site, metric, ts_ms, NAN, &e.threshold))
            continue;
        if (value != lv->value)
            e.value = fabs(value - lv->value);
        else if (ts_ms - lv->same_since_ms >= r->window_ms)
            e.value = 0;
        else
            continue; /* identical but not yet for a whole window: no verdict */
        rc = evaluate(a, &e);
        if (rc)
            return rc;
    }
    return 0;
}

int alerts_on_reading(struct alerts *a, const char *domain, const char *site, const char *device,
                      const char *metric, const char *unit, double value, int64_t ts_ms,
                      int64_t now_ms)
{
    char key[192];
    struct last_value *lv;
    int rc;

    rc = run_rules(a, RULE_READING, domain, site, device, metric, unit, value, ts_ms, now_ms, NAN);
    if (rc)
        return rc;
    if (!a->last)
        a->last = strmap_new();
    if (!a->last)
        return 0; /* only jump/stuck detection suffers */
    snprintf(key, sizeof(key), "%s\x1f%s", device, metric);
    lv = strmap_get(a->last, key);
    if (lv && ts_ms > lv->ts_ms) {
        rc = run_rules(a, RULE_JUMP, domain, site, device, metric, unit, fabs(value - lv->value),
                       ts_ms, now_ms, NAN);
        if (rc)
            return rc;
        if (value != lv->value)
            lv->same_since_ms = lv->ts_ms; /* the run of identical values starts after it */
        rc = stuck_rules(a, domain, site, device, metric, unit, value, lv, ts_ms, now_ms);
        if (rc)
            return rc;
    }
    if (!lv) {
        lv = xcalloc(1, sizeof(*lv));
        if (!lv || strmap_put(a->last, key, lv)) {
            xfree(lv);
            return 0; /* only jump/stuck detection suffers */
        }
        lv->same_since_ms = ts_ms;
    }
    if (ts_ms >= lv->ts_ms) {
        lv->ts_ms = ts_ms;
        lv->value = value;
    }
    return 0;
}

int alerts_on_value(struct alerts *a, enum rule_series series, const char *domain, const char *site,
                    const char *device, const char *metric, const char *unit, double value,
                    int64_t t_ms)
{
    return run_rules(a, series, domain, site, device, metric, unit, value, t_ms, wall_ms(), NAN);
}

static int silence(struct alerts *a, int64_t now_ms)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;
    bool any = false;

    for (size_t i = 0; i < a->rules->n; i++)
        any |= a->rules->v[i].series == RULE_SILENCE;
    if (!any)
        return 0;
    if (sqlite3_prepare_v2(a->db,
                           "SELECT name, site, profile, last_seen FROM devices WHERE last_seen IS"
                           " NOT NULL",
                           -1, &s, NULL) != SQLITE_OK)
        return store_error(a->st, "devices");
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *site = (const char *)sqlite3_column_text(s, 1);
        const char *prof = (const char *)sqlite3_column_text(s, 2);
        double silent = (double)(now_ms - sqlite3_column_int64(s, 3)) / 1000.0;
        const struct profile *p = a->profiles ? profile_set_find(a->profiles, prof) : NULL;
        rc = run_rules(a, RULE_SILENCE, p ? p->domain : NULL, site, name, "silence", "s", silent,
                       now_ms, now_ms, profile_interval_s(a, prof));
    }
    sqlite3_finalize(s);
    return rc;
}

/* Reminders: firing, not acknowledged, repeat interval elapsed since the last notice. */
static int reminders(struct alerts *a, int64_t now_ms)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(a->db,
                           "SELECT id, rule, scope, domain, site, device, metric, unit, value,"
                           " threshold, started_at, coalesce(last_notified, 0), message_zh,"
                           " message_en FROM alerts WHERE state = 'firing' AND acked_by IS NULL",
                           -1, &s, NULL) != SQLITE_OK)
        return store_error(a->st, "alerts");
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        const struct rule *r = ruleset_find(a->rules, (const char *)sqlite3_column_text(s, 1));
        struct eval e;
        int64_t id = sqlite3_column_int64(s, 0);
        if (!r || r->repeat_ms <= 0 || now_ms - sqlite3_column_int64(s, 11) < r->repeat_ms)
            continue;
        e = (struct eval){
            r,
            (const char *)sqlite3_column_text(s, 2),
            (const char *)sqlite3_column_text(s, 3),
            (const char *)sqlite3_column_text(s, 4),
            (const char *)sqlite3_column_text(s, 5),
            (const char *)sqlite3_column_text(s, 6),
            (const char *)sqlite3_column_text(s, 7),
            sqlite3_column_type(s, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 8),
            sqlite3_column_type(s, 9) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 9),
            now_ms,
            now_ms};
        rc = enqueue(a, &e, id, "reminder", sqlite3_column_int64(s, 10), 0,
                     (const char *)sqlite3_column_text(s, 12),
                     (const char *)sqlite3_column_text(s, 13));
        if (rc == 0) {
            char sql[128];
            snprintf(sql, sizeof(sql), "UPDATE alerts SET last_notified = %lld WHERE id = %lld",
                     (long long)now_ms, (long long)id);
            rc = store_exec(a->st, sql);
        }
    }
    sqlite3_finalize(s);
    return rc;
}

/*
 * The gateway's own health, as built-in rules: the upload failing for more
 * than upload.fail_alert_days days, and the disk running out of room
 * (docs/upload.md). They route like any rule (domain "gateway").
 */
static int gateway_health(struct alerts *a, int64_t now_ms)
{
    static const struct rule upload_rule = {
        .name = "upload_failing",
        .source = "docs/upload.md: the district data pool must receive every day "
                  "(plan ch. 15, 区级数据池)",
        .domain = "gateway",
        .series = RULE_N_SERIES,
        .op = RULE_GT,
        .hits = 1,
        .severity = RULE_MAJOR,
        .repeat_ms = 6 * 3600 * 1000LL,
        .message_zh =
            "网关 {site} 上传失败已 {value} 天（阈值 {threshold} 天），数据池未收到这些日的数据",
        .message_en = "gateway {site}: the nightly upload has failed for {value} days "
                      "(limit {threshold}); the data pool is missing those days",
    };
    static const struct rule disk_rule = {
        .name = "disk_low",
        .source = "docs/upload.md: raw data are kept until uploaded; a full disk drops the "
                  "oldest uploaded data first",
        .domain = "gateway",
        .series = RULE_N_SERIES,
        .op = RULE_GT,
        .hits = 1,
        .severity = RULE_CRITICAL,
        .repeat_ms = 3600 * 1000LL,
        .message_zh = "网关 {site} 磁盘空间不足：为保存新数据，已删除最早的已上传原始数据",
        .message_en = "gateway {site}: the disk is nearly full; the oldest uploaded raw data "
                      "are being dropped to keep storing new readings",
    };
    struct eval e;
    const char *gw = a->cfg->gateway.id;
    int n = 0, rc;
    bool is_disk_low = false;

    if (!a->cfg->upload.url || !*a->cfg->upload.url || !a->facts.read)
        return 0;
    if (a->facts.read(a->facts.ud, a->st, &n, &is_disk_low) != 0)
        return 0;
    e = (struct eval){&upload_rule,
                      "gateway=upload",
                      "gateway",
                      gw,
                      NULL,
                      "failing_days",
                      "d",
                      (double)n,
                      (double)a->cfg->upload.fail_alert_days,
                      now_ms,
                      now_ms};
    rc = evaluate(a, &e);
    if (rc)
        return rc;
    e = (struct eval){&disk_rule, "gateway=disk",          "gateway", gw,     NULL,  "disk_low",
                      "",         is_disk_low ? 1.0 : 0.0, 0.5,       now_ms, now_ms};
    return evaluate(a, &e);
}

void alerts_set_gateway_facts(struct alerts *a, const struct alerts_gateway_facts *f)
{
    if (!a)
        return;
    if (f)
        a->facts = *f;
    else
        memset(&a->facts, 0, sizeof(a->facts));
}

int alerts_tick(struct alerts *a, int64_t now_ms)
{
    int rc = store_begin(a->st);

    if (rc)
        return rc;
    rc = gateway_health(a, now_ms);
    if (rc == 0)
        rc = silence(a, now_ms);
    if (rc == 0)
        rc = reminders(a, now_ms);
    if (rc) {
        store_rollback(a->st);
        alerts_committed(a, false);
        return rc;
    }
    rc = store_commit(a->st);
    alerts_committed(a, rc == 0);
    return rc;
}
