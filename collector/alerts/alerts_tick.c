/*
 * The time-driven half of alerting (alerts_tick, see alerts.h): silence
 * of devices, reminders of firing alerts and the gateway's own health
 * (its clock, the upload, the disk), evaluated on the wall clock rather
 * than on data time. Ages are kept on the monotonic clock (seen_age), so
 * a wall clock stepped by NTP neither silences nor wakes a device.
 */
#include "alerts.h"
#include "alerts_int.h"
#include "col_err.h"
#include "core/clock.h"
#include "core/config.h"
#include "profile.h"
#include "store/db.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * The age in ms of the instant @wall (with @version) that @key names, on
 * the monotonic clock (clock_seen_age), remembered for the next tick.
 * Without memory (allocation failed) it falls back to the wall clock.
 */
static int64_t seen_age(struct alerts *a, const char *key, int64_t wall, int64_t version,
                        int64_t now_ms)
{
    const struct clock_seen *old = a->seen ? strmap_get(a->seen, key) : NULL;
    struct clock_seen *cs = a->seen_next ? strmap_get(a->seen_next, key) : NULL;
    int64_t mono = mono_ms();
    /* Since the previous look, at most this much time has passed. */
    int64_t max_fresh = a->prev_tick_mono ? mono - a->prev_tick_mono : -1;

    if (!cs) {
        cs = xcalloc(1, sizeof(*cs));
        if (!cs)
            return now_ms - wall;
        if (old)
            *cs = *old;
        if (!a->seen_next || strmap_put(a->seen_next, key, cs)) {
            xfree(cs);
            return now_ms - wall;
        }
    }
    return clock_seen_age(cs, wall, version, now_ms, mono, max_fresh);
}

static int silence(struct alerts *a, int64_t now_ms)
{
    struct db_stmt *s;
    int rc = 0, step = DB_DONE;
    bool any = false;

    for (size_t i = 0; i < a->rules->n; i++)
        any |= a->rules->v[i].series == RULE_SILENCE;
    if (!any)
        return 0;
    s = db_prepare(a->st, "SELECT name, site, profile, last_seen, n_messages FROM devices"
                          " WHERE last_seen IS NOT NULL");
    if (!s)
        return COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        const char *name = db_col_text(s, 0);
        const char *site = db_col_text(s, 1);
        const char *prof = db_col_text(s, 2);
        /* The message count tells a new message even when last_seen stays
         * (it only grows: after the clock went back, it holds the newer time). */
        double silent =
            (double)seen_age(a, name, db_col_i64(s, 3), db_col_i64(s, 4), now_ms) / 1000.0;
        const struct profile *p = a->profiles ? profile_set_find(a->profiles, prof) : NULL;
        rc = alerts_run_rules(a, RULE_SILENCE, p ? p->domain : NULL, site, name, "silence", "s",
                              silent, now_ms, now_ms, alerts_profile_interval_s(a, prof));
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Reminders: firing, not acknowledged, repeat interval elapsed since the last notice. */
static int reminders(struct alerts *a, int64_t now_ms)
{
    struct db_stmt *s = db_prepare(
        a->st, "SELECT id, rule, scope, domain, site, device, metric, unit, value, threshold,"
               " started_at, last_notified, message_zh, message_en FROM alerts"
               " WHERE state = 'firing' AND acked_by IS NULL");
    int rc = 0, step = DB_DONE;

    if (!s)
        return COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        const struct rule *r = ruleset_find(a->rules, db_col_text(s, 1));
        struct db_stmt *u;
        struct eval e;
        int64_t id = db_col_i64(s, 0);
        char key[32];

        snprintf(key, sizeof(key), "#%lld", (long long)id);
        if (!r || r->repeat_ms <= 0 ||
            seen_age(a, key, db_col_i64(s, 11), 0, now_ms) < r->repeat_ms)
            continue;
        e = (struct eval){r,
                          db_col_text(s, 2),
                          db_col_text(s, 3),
                          db_col_text(s, 4),
                          db_col_text(s, 5),
                          db_col_text(s, 6),
                          db_col_text(s, 7),
                          db_col_f64(s, 8),
                          db_col_f64(s, 9),
                          now_ms,
                          now_ms};
        rc = alerts_enqueue(a, &e, id, "reminder", db_col_i64(s, 10), 0, db_col_text(s, 12),
                            db_col_text(s, 13));
        if (rc)
            break;
        u = db_prepare(a->st, "UPDATE alerts SET last_notified = ?2 WHERE id = ?1");
        if (!u) {
            rc = COL_ERR_DB;
            break;
        }
        db_bind_i64(u, 1, id);
        db_bind_i64(u, 2, now_ms);
        rc = db_run(u);
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Built-in gateway rules: domain "gateway", fired by a value above the threshold. */
#define GATEWAY_RULE .domain = "gateway", .series = RULE_N_SERIES, .op = RULE_GT, .hits = 1

/* Evaluate the built-in rule @r for the gateway itself. */
static int gateway_eval(struct alerts *a, const struct rule *r, const char *scope,
                        const char *metric, const char *unit, double value, double threshold,
                        int64_t now_ms)
{
    struct eval e = {r,         scope,  "gateway", a->cfg->gateway.id, NULL, metric, unit, value,
                     threshold, now_ms, now_ms};

    return alerts_evaluate(a, &e);
}

/*
 * The gateway clock against its devices' (ingest_watch_clock writes the
 * verdict of every window to the store): fires when the last window that
 * could tell found most devices far ahead of or behind the gateway clock,
 * resolves when one finds them agreeing again (docs/alerts.md).
 */
static int gateway_clock(struct alerts *a, int64_t now_ms)
{
    static const struct rule clock_rule = {
        .name = "gateway_clock_suspect",
        .source = "docs/alerts.md: readings from the future are rejected; a gateway clock "
                  "behind its devices turns good data into rejects",
        GATEWAY_RULE,
        .severity = RULE_MAJOR,
        .repeat_ms = 6 * 3600 * 1000LL,
        .message_zh = "网关 {site} 的时钟与多数设备不一致（相差约 {value} 分钟）：请检查 NTP，"
                      "校准后运行 collector rejects retry 补存被拒绝的读数",
        .message_en = "gateway {site}: its clock disagrees with most devices (by about {value} "
                      "min); check NTP, then run `collector rejects retry` to store the "
                      "readings it rejected",
    };
    struct store_clock c;
    int rc = store_clock_read(a->st, &c);

    if (rc || c.verdict < 0)
        return rc;
    return gateway_eval(a, &clock_rule, "gateway=clock", "clock_suspect", "min",
                        c.verdict ? fmax(1.0, fabs((double)c.skew_ms) / 60000.0) : 0.0, 0.5,
                        now_ms);
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
        GATEWAY_RULE,
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
        GATEWAY_RULE,
        .severity = RULE_CRITICAL,
        .repeat_ms = 3600 * 1000LL,
        .message_zh = "网关 {site} 磁盘空间不足：为保存新数据，已删除最早的已上传原始数据",
        .message_en = "gateway {site}: the disk is nearly full; the oldest uploaded raw data "
                      "are being dropped to keep storing new readings",
    };
    int n = 0, rc;
    bool is_disk_low = false;

    rc = gateway_clock(a, now_ms);
    if (rc)
        return rc;
    if (!a->cfg->upload.url || !*a->cfg->upload.url || !a->facts.read)
        return 0;
    if (a->facts.read(a->facts.ud, a->st, &n, &is_disk_low) != 0)
        return 0;
    rc = gateway_eval(a, &upload_rule, "gateway=upload", "failing_days", "d", (double)n,
                      (double)a->cfg->upload.fail_alert_days, now_ms);
    if (rc)
        return rc;
    return gateway_eval(a, &disk_rule, "gateway=disk", "disk_low", "", is_disk_low ? 1.0 : 0.0, 0.5,
                        now_ms);
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

/* The tick read every device and firing alert it watches: what it saw is what to remember. */
static void end_seen(struct alerts *a, int rc)
{
    if (rc == 0 && a->seen_next) {
        alerts_free_map(&a->seen);
        a->seen = a->seen_next;
        a->seen_next = NULL;
        a->prev_tick_mono = mono_ms();
    } else {
        alerts_free_map(&a->seen_next); /* a partial look: keep the previous one */
    }
}

int alerts_tick(struct alerts *a, int64_t now_ms)
{
    int rc = store_begin(a->st);

    if (rc)
        return rc;
    alerts_free_map(&a->seen_next);
    a->seen_next = strmap_new();
    rc = gateway_health(a, now_ms);
    if (rc == 0)
        rc = silence(a, now_ms);
    if (rc == 0)
        rc = reminders(a, now_ms);
    end_seen(a, rc);
    if (rc) {
        store_rollback(a->st);
        alerts_committed(a, false);
        return rc;
    }
    rc = store_commit(a->st);
    alerts_committed(a, rc == 0);
    return rc;
}
