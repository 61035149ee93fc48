/*
 * Alert evaluation and persistence (see alerts.h). The state of an active
 * alert lives in its `alerts` row; evaluating a rule loads the row for
 * (rule, scope), steps the state machine of ruleset/rule.h, writes the row
 * back and, for firing/reminder/resolved events, enqueues the event JSON
 * into `outbox` for each channel whose routing accepts it. Rows are only
 * written when something changed, so a quiet rule costs one indexed read.
 */
#include "alerts.h"
#include "alerts_int.h"
#include "col_err.h"
#include "core/config.h"
#include "diag.h"
#include "gb3095.h"
#include "gb3096.h"
#include "core/log.h"
#include "core/snapshot.h"
#include "notify.h"
#include "profile.h"
#include "store/db.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void free_value(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    xfree(val);
}

void alerts_free_map(struct strmap **m)
{
    if (*m)
        strmap_each(*m, free_value, NULL);
    strmap_free(*m);
    *m = NULL;
}

struct alerts *alerts_new(const struct config *cfg, struct store *st, const struct snapshot *snap,
                          const struct notify_channels *channels)
{
    struct alerts *a = xcalloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->cfg = cfg;
    a->st = st;
    alerts_use_snapshot(a, snap);
    a->channels = notify_channels_hold(channels);
    a->last = strmap_new();
    if (!a->last) {
        alerts_free(a);
        return NULL;
    }
    return a;
}

void alerts_free(struct alerts *a)
{
    if (!a)
        return;
    alerts_free_map(&a->last);
    alerts_free_map(&a->seen);
    alerts_free_map(&a->seen_next);
    snapshot_release(a->snap);
    strmap_free(a->active);
    strmap_free(a->staged);
    xfree(a->undo);
    notify_channels_release(a->channels);
    xfree(a);
}

void alerts_set_channels(struct alerts *a, const struct notify_channels *channels)
{
    const struct notify_channels *old;

    if (!a || a->channels == channels)
        return;
    old = a->channels;
    a->channels = notify_channels_hold(channels);
    notify_channels_release(old);
}

void alerts_use_snapshot(struct alerts *a, const struct snapshot *snap)
{
    if (!a || a->snap == snap)
        return;
    snapshot_release(a->snap);
    a->snap = snapshot_hold(snap);
    a->rules = snapshot_rules(snap);
    a->profiles = snapshot_profiles(snap);
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
    struct db_stmt *s =
        site ? db_prepare(a->st, "SELECT noise_zone FROM sites WHERE name = ?1") : NULL;
    int rc = COL_ERR_NOTFOUND;

    if (!s)
        return COL_ERR_NOTFOUND;
    db_bind_text(s, 1, site);
    if (db_step(s) == DB_ROW && db_col_text(s, 0))
        rc = gb3096_zone_parse(db_col_text(s, 0), z);
    db_reset(s);
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
    /* evaluated for every watched reading: cached by the helper */
    struct db_stmt *s = db_prepare(
        a->st, "SELECT id, state = 'firing', pending_since, started_at, last_notified, hits,"
               " value, acked_by IS NOT NULL, message_zh, message_en FROM alerts"
               " WHERE rule = ?1 AND scope = ?2 AND state IN ('pending', 'firing')");
    int rc;

    memset(out, 0, sizeof(*out));
    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, rule);
    db_bind_text(s, 2, scope);
    rc = db_step(s);
    if (rc == DB_ROW) {
        double v = db_col_f64(s, 6);
        out->id = db_col_i64(s, 0);
        out->st.state = db_col_i64(s, 1) ? ALERT_FIRING : ALERT_PENDING;
        /* absent times are 0 in the state machine (NULL reads as 0) */
        out->st.pending_since_ms = db_col_i64(s, 2);
        out->st.started_at_ms = db_col_i64(s, 3);
        out->st.last_notified_ms = db_col_i64(s, 4);
        out->st.hits = (int)db_col_i64(s, 5);
        out->st.value = isnan(v) ? 0 : v;
        out->is_acked = db_col_i64(s, 7) != 0;
        db_col_copy(s, 8, out->msg_zh, sizeof(out->msg_zh));
        db_col_copy(s, 9, out->msg_en, sizeof(out->msg_en));
    }
    db_reset(s);
    return rc < 0 ? rc : 0;
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

/* Render the event JSON and enqueue it for every channel that wants it. */
int alerts_enqueue(struct alerts *a, const struct eval *e, int64_t id, const char *event,
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
        struct db_stmt *s;
        if (!notify_channel_wants(a->channels, i, rule_severity_name(e->r->severity), e->domain,
                                  event))
            continue;
        s = db_prepare(a->st, "INSERT INTO outbox(alert_id, channel, event, payload, created_at,"
                              " next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
        if (!s) {
            rc = COL_ERR_DB;
            break;
        }
        db_bind_i64(s, 1, id);
        db_bind_text(s, 2, notify_channel_name(a->channels, i));
        db_bind_text(s, 3, event);
        db_bind_text(s, 4, text);
        db_bind_i64(s, 5, e->now_ms);
        rc = db_run(s);
    }
    cJSON_free(text);
    if (rc == 0)
        a->has_enqueued = true;
    return rc;
}

static void apply_staged(const char *key, void *val, void *ud)
{
    struct alerts *a = ud;

    /* Without room for the key, forget the set: it is loaded again from the table. */
    if (a->active && strmap_put(a->active, key, val == a ? a : NULL)) {
        strmap_free(a->active);
        a->active = NULL;
    }
}

void alerts_committed(struct alerts *a, bool is_committed)
{
    if (!a)
        return;
    if (a->has_enqueued && is_committed)
        notify_channels_kick(a->channels);
    a->has_enqueued = false;
    if (is_committed) {
        if (a->staged)
            strmap_each(a->staged, apply_staged, a);
    } else {
        /* back to what the last commit left, in reverse order of the changes */
        for (size_t i = a->n_undo; i-- > 0;)
            *a->undo[i].lv = a->undo[i].before;
        /* and the active set as the table has it: right even if a commit went unreported */
        strmap_free(a->active);
        a->active = NULL;
    }
    a->n_undo = 0;
    if (a->staged && strmap_count(a->staged)) {
        strmap_free(a->staged);
        a->staged = NULL;
    }
}

/* Whether (rule, scope) @key is pending or firing as the open transaction sees it. */
static bool is_active(const struct alerts *a, const char *key)
{
    void *v = a->staged ? strmap_get(a->staged, key) : NULL;

    if (v)
        return v == a;
    return strmap_get(a->active, key) != NULL;
}

/* (rule, scope) @key becomes active or not when the open transaction commits. */
static int stage(struct alerts *a, const char *key, bool is_on)
{
    if (!a->staged)
        a->staged = strmap_new();
    if (!a->staged)
        return COL_ERR_NOMEM;
    return strmap_put(a->staged, key, is_on ? (void *)a : (void *)&a->staged);
}

/* A time of the state machine: 0 means none, stored as NULL. */
static void bind_time(struct db_stmt *s, int i, int64_t ms)
{
    if (ms)
        db_bind_i64(s, i, ms);
    else
        db_bind_null(s, i);
}

static int insert_row(struct alerts *a, const struct eval *e, struct row *row)
{
    struct db_stmt *s = db_prepare(a->st, "INSERT INTO alerts(rule, scope, state, severity, domain,"
                                          " site, device, metric, unit, labels, annotations)"
                                          " VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                                          " ?10)");
    cJSON *l, *an;
    char *lt, *at;
    int rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, e->r->name);
    db_bind_text(s, 2, e->scope);
    db_bind_text(s, 3, rule_severity_name(e->r->severity));
    db_bind_text(s, 4, e->domain);
    db_bind_text(s, 5, e->site);
    db_bind_text(s, 6, e->device);
    db_bind_text(s, 7, e->metric);
    db_bind_text(s, 8, e->unit);
    /* Stored so that re-posts (Alertmanager) carry the same labels as the events. */
    l = kv_object(e->r->labels, e->r->n_labels);
    an = kv_object(e->r->annotations, e->r->n_annotations);
    lt = l ? cJSON_PrintUnformatted(l) : NULL;
    at = an ? cJSON_PrintUnformatted(an) : NULL;
    cJSON_Delete(l);
    cJSON_Delete(an);
    db_bind_text(s, 9, lt);
    db_bind_text(s, 10, at);
    cJSON_free(lt);
    cJSON_free(at);
    rc = db_run(s);
    if (rc == 0)
        row->id = db_last_insert_id(a->st);
    return rc;
}

static int write_row(struct alerts *a, const struct eval *e, struct row *row, enum alert_event ev,
                     const char *msg_zh, const char *msg_en)
{
    const char *state = ev == ALERT_EV_RESOLVED         ? "resolved"
                        : row->st.state == ALERT_FIRING ? "firing"
                                                        : "pending";
    struct db_stmt *s;

    if (row->id == 0) {
        int rc = insert_row(a, e, row);
        if (rc)
            return rc;
    }
    s = db_prepare(a->st, "UPDATE alerts SET state = ?2, value = ?3, threshold = ?4,"
                          " pending_since = ?5, started_at = ?6,"
                          " ended_at = CASE WHEN ?2 = 'resolved' THEN ?7 ELSE NULL END,"
                          " last_eval = ?8, last_notified = ?9, hits = ?10,"
                          " message_zh = coalesce(?11, message_zh),"
                          " message_en = coalesce(?12, message_en) WHERE id = ?1");
    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, row->id);
    db_bind_text(s, 2, state);
    db_bind_f64(s, 3, isfinite(e->value) ? e->value : NAN);
    db_bind_f64(s, 4, isfinite(e->threshold) ? e->threshold : NAN);
    bind_time(s, 5, row->st.pending_since_ms);
    bind_time(s, 6, row->st.started_at_ms);
    db_bind_i64(s, 7, e->t_ms);
    db_bind_i64(s, 8, e->t_ms);
    bind_time(s, 9, row->st.last_notified_ms);
    db_bind_i64(s, 10, row->st.hits);
    db_bind_text(s, 11, msg_zh);
    db_bind_text(s, 12, msg_en);
    return db_run(s);
}

static int delete_row(struct alerts *a, int64_t id)
{
    struct db_stmt *s = db_prepare(a->st, "DELETE FROM alerts WHERE id = ?1");

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, id);
    return db_run(s);
}

static void active_key(const char *rule, const char *scope, char *out, size_t sz)
{
    snprintf(out, sz, "%s\x1f%s", rule, scope);
}

/*
 * The committed set, read from the table on first use (and again after a
 * commit could not be applied for want of memory). alerts_evaluate() loads it
 * before it stages anything, so the rows read hold no change of the open
 * transaction: every change of a row's activeness is staged.
 */
static int load_active(struct alerts *a)
{
    struct db_stmt *s;
    int rc = 0, step = DB_DONE;

    if (a->active)
        return 0;
    s = db_prepare(a->st, "SELECT rule, scope FROM alerts WHERE state IN ('pending', 'firing')");
    a->active = strmap_new();
    if (!s || !a->active) {
        strmap_free(a->active);
        a->active = NULL;
        return s ? COL_ERR_NOMEM : COL_ERR_DB;
    }
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        char key[SCOPE_MAX + 80];
        active_key(db_col_text(s, 0), db_col_text(s, 1), key, sizeof(key));
        rc = strmap_put(a->active, key, a);
    }
    db_reset(s);
    if (rc == 0 && step < 0)
        rc = step;
    if (rc) {
        strmap_free(a->active);
        a->active = NULL;
    }
    return rc;
}

/*
 * One evaluation. Reminders are not produced here (data time can be far in
 * the past during a replay): the rule is stepped without its repeat
 * interval, and alerts_tick() sends reminders on the wall clock.
 */
int alerts_evaluate(struct alerts *a, struct eval *e)
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
    if (!is_active(a, key) && !rule_breaches(e->r->op, e->value, e->threshold))
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
        if (stage(a, key, false))
            return COL_ERR_NOMEM;
        return row.id ? delete_row(a, row.id) : 0;
    case ALERT_EV_PENDING:
        if (stage(a, key, true))
            return COL_ERR_NOMEM;
        return write_row(a, e, &row, ev, NULL, NULL);
    default:
        break;
    }
    if (stage(a, key, ev != ALERT_EV_RESOLVED))
        return COL_ERR_NOMEM;
    ctx = (struct rule_ctx){.site = e->site,
                            .device = e->device,
                            .metric = e->metric,
                            .unit = e->unit,
                            .value = e->value,
                            .threshold = e->threshold,
                            .started_at_ms = started ? started : row.st.started_at_ms};
    /* {started_at} in the gateway's zone, with the offset in force at that instant */
    ctx.utc_offset_s = cal_utc_offset_s(ctx.started_at_ms);
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
        rc = alerts_enqueue(a, e, row.id, ev == ALERT_EV_FIRING ? "firing" : "resolved", started,
                            ev == ALERT_EV_RESOLVED ? e->t_ms : 0, zh, en);
    if (rc == 0)
        log_info("alert %s: %s %s = %g (threshold %g)",
                 ev == ALERT_EV_FIRING ? "firing" : "resolved", e->r->name, e->scope, e->value,
                 e->threshold);
    return rc;
}

double alerts_profile_interval_s(struct alerts *a, const char *profile)
{
    const struct profile *p =
        a->profiles && profile ? profile_set_find(a->profiles, profile) : NULL;

    return p ? (double)p->interval_ms / 1000.0 : NAN;
}

/* ---- entry points ---- */

int alerts_run_rules(struct alerts *a, enum rule_series series, const char *domain,
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
        rc = alerts_evaluate(a, &e);
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
        rc = alerts_evaluate(a, &e);
        if (rc)
            return rc;
    }
    return 0;
}

/* Remember @lv as it is now, to restore it if the open transaction rolls back. */
static int keep_undo(struct alerts *a, struct last_value *lv)
{
    struct last_undo *nv = xgrow(a->undo, &a->cap_undo, a->n_undo + 1, sizeof(*nv), 64);

    if (!nv)
        return COL_ERR_NOMEM;
    a->undo = nv;
    a->undo[a->n_undo].lv = lv;
    a->undo[a->n_undo].before = *lv;
    a->n_undo++;
    return 0;
}

int alerts_on_reading(struct alerts *a, const char *domain, const char *site, const char *device,
                      const char *metric, const char *unit, double value, int64_t ts_ms,
                      int64_t now_ms)
{
    char key[192];
    struct last_value *lv;
    int rc;

    rc = alerts_run_rules(a, RULE_READING, domain, site, device, metric, unit, value, ts_ms, now_ms,
                          NAN);
    if (rc)
        return rc;
    snprintf(key, sizeof(key), "%s\x1f%s", device, metric);
    lv = strmap_get(a->last, key);
    if (!lv) {
        lv = xcalloc(1, sizeof(*lv));
        if (!lv || strmap_put(a->last, key, lv)) {
            xfree(lv);
            return 0; /* only jump/stuck detection suffers */
        }
    }
    if (keep_undo(a, lv))
        return 0; /* unchanged, so a rollback cannot leave it ahead of the table */
    if (lv->is_set && ts_ms > lv->ts_ms) {
        rc = alerts_run_rules(a, RULE_JUMP, domain, site, device, metric, unit,
                              fabs(value - lv->value), ts_ms, now_ms, NAN);
        if (rc)
            return rc;
        if (value != lv->value)
            lv->same_since_ms = lv->ts_ms; /* the run of identical values starts after it */
        rc = stuck_rules(a, domain, site, device, metric, unit, value, lv, ts_ms, now_ms);
        if (rc)
            return rc;
    }
    if (!lv->is_set) {
        lv->is_set = true;
        lv->ts_ms = ts_ms;
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
    return alerts_run_rules(a, series, domain, site, device, metric, unit, value, t_ms, wall_ms(),
                            NAN);
}
