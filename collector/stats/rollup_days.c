/*
 * A site's day (see rollup_int.h): its daily statistics, AQI, water class
 * (GB 3838), noise day and night levels (GB 3096), waste per sorting
 * category, and the daily and year-to-date rules on them.
 */
#include "rollup_int.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "gb3096.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int water_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    struct db_stmt *s;
    struct gb3838_value vals[16];
    struct gb3838_result res;
    size_t n = 0;
    int64_t worst = 0, n_samples = 0;
    int rc;

    rc = ru_run(r, "DELETE FROM water_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc)
        return rc;
    s = ru_query(r,
                 "SELECT m.name, sd.mean FROM site_daily sd JOIN metrics m ON m.id = "
                 "sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2",
                 "ss", site, day);
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW && n < sizeof(vals) / sizeof(vals[0]))
        if (ru_water_param(db_col_text(s, 0), &vals[n].param) == 0)
            vals[n++].value = db_col_f64(s, 1);
    db_reset(s);
    if (rc < 0)
        return rc;
    if (n == 0 || gb3838_sample_class(ru_site_info(r, site)->water, vals, n, &res) != 0)
        return 0;
    s = ru_query(r,
                 "SELECT max(class), count(*) FROM water_samples WHERE site = ?1 AND ts >= ?2 AND "
                 "ts < ?3",
                 "sii", site, t0, t1);
    if (!s)
        return COL_ERR_DB;
    if ((rc = db_step(s)) == DB_ROW) {
        worst = db_col_is_null(s, 0) ? 0 : db_col_i64(s, 0);
        n_samples = db_col_i64(s, 1);
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    rc = ru_run(r,
                "INSERT INTO water_daily(site, day, class, deciding, is_partial, n_evaluated, "
                "worst_sample_class, n_samples) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8)",
                "ssisiiii", site, day, (int64_t)res.cls, gb3838_param_name(res.deciding),
                (int64_t)res.is_partial, (int64_t)res.n_evaluated, worst, n_samples);
    if (rc)
        return rc;
    return ru_alert(r, RULE_WATER_DAILY, "water", site, NULL, "class", "", (double)res.cls, t0);
}

static int noise_day(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    double v[48], lx[48], dayv[24], nightv[24], ld = NAN, ln = NAN, lmax = -INFINITY;
    bool ok[48], okx[48];
    int nv, nx, nd = 0, nn = 0, rc;
    enum gb3096_zone zone;
    double ldl = NAN, lnl = NAN, ldo = NAN, lno = NAN, lmo = NAN;
    char zname[8];

    rc = ru_run(r, "DELETE FROM noise_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc || ru_load_hours(r, site, "laeq", t0, 30, v, ok, &nv))
        return rc ? rc : COL_ERR_DB;
    if (nv == 0)
        return 0;
    if (ru_load_hours(r, site, "lmax", t0, 30, lx, okx, &nx))
        return COL_ERR_DB;
    /* Day: 06-22 of this day; night: 22-24 of this day and 00-06 of the next. */
    for (int i = 0; i < 30; i++) {
        int hour = cal_local_hour(t0 + i * HOUR_MS) + (i >= 24 ? 24 : 0);
        bool is_day = hour >= 6 && hour < 22;
        if (!ok[i] || hour < 6)
            continue;
        if (is_day)
            dayv[nd++] = v[i];
        else
            nightv[nn++] = v[i];
        if (!is_day && okx[i] && lx[i] > lmax)
            lmax = lx[i];
    }
    if (nd)
        gb3096_energy_mean(dayv, (size_t)nd, &ld);
    if (nn)
        gb3096_energy_mean(nightv, (size_t)nn, &ln);
    snprintf(zname, sizeof(zname), "%s", ru_site_info(r, site)->zone);
    if (*zname && gb3096_zone_parse(zname, &zone) == 0) {
        gb3096_limit(zone, GB3096_DAY, &ldl);
        gb3096_limit(zone, GB3096_NIGHT, &lnl);
        if (nd)
            gb3096_exceedance(zone, GB3096_DAY, ld, &ldo);
        if (nn)
            gb3096_exceedance(zone, GB3096_NIGHT, ln, &lno);
        if (isfinite(lmax))
            gb3096_night_lmax_exceedance(zone, lmax, &lmo);
    }
#define NUL(x) or_nan(x)
    rc = ru_run(r,
                "INSERT INTO noise_daily(site, day, zone, ld, ln, n_day_hours, n_night_hours, "
                "ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over) VALUES (?1, ?2, "
                "nullif(?3, ''), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                "sssddiidddddd", site, day, zname, NUL(ld), NUL(ln), (int64_t)nd, (int64_t)nn,
                NUL(ldl), NUL(lnl), NUL(ldo), NUL(lno), NUL(lmax), NUL(lmo));
#undef NUL
    if (rc)
        return rc;
    rc = ru_alert(r, RULE_NOISE_DAY, "noise", site, NULL, "ld", "dB(A)", ld, t0);
    if (rc == 0)
        rc = ru_alert(r, RULE_NOISE_NIGHT, "noise", site, NULL, "ln", "dB(A)", ln, t0);
    if (rc == 0)
        rc = ru_alert(r, RULE_NOISE_LMAX, "noise", site, NULL, "lmax", "dB(A)", lmax, t0);
    if (rc)
        return rc;
    return 0;
}

static int waste_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    /* Per bin: the category it reports, waste deposited (the sum of weight
     * increases, so emptying by a collection round is not counted), fill,
     * and events (overflow starting, hazard reports). */
    static const char sql[] =
        "WITH bins AS (SELECT d.id FROM devices d WHERE d.site = ?1),"
        " r AS (SELECT r.device_id AS dev, m.name AS metric, r.ts, r.value,"
        "   lag(r.value) OVER (PARTITION BY r.device_id, r.metric_id ORDER BY r.ts) AS prev"
        "   FROM readings r JOIN metrics m ON m.id = r.metric_id"
        "   WHERE r.device_id IN (SELECT id FROM bins) AND r.ts >= ?2 AND r.ts < ?3"
        "   AND m.name IN ('category', 'weight', 'fill', 'overflow', 'hazard')),"
        " per_bin AS (SELECT dev,"
        "   (SELECT value FROM r r2 WHERE r2.dev = r.dev AND r2.metric = 'category'"
        "    ORDER BY ts DESC LIMIT 1) AS category,"
        "   sum(CASE WHEN metric = 'weight' AND prev IS NOT NULL AND value > prev"
        "       THEN value - prev ELSE 0 END) AS deposited,"
        "   max(CASE WHEN metric = 'fill' THEN value END) AS max_fill,"
        "   (SELECT value FROM r r3 WHERE r3.dev = r.dev AND r3.metric = 'fill'"
        "    ORDER BY ts DESC LIMIT 1) AS last_fill,"
        "   sum(CASE WHEN metric = 'overflow' AND value >= 1 AND coalesce(prev, 0) < 1"
        "       THEN 1 ELSE 0 END) AS overflows,"
        "   sum(CASE WHEN metric = 'hazard' AND value >= 1 THEN 1 ELSE 0 END) AS hazards"
        "   FROM r GROUP BY dev)"
        " INSERT INTO waste_daily(site, day, category, n_bins, deposited_kg, max_fill, last_fill,"
        "   overflow_events, hazard_events)"
        " SELECT ?1, ?4, CAST(category AS INTEGER), count(*), sum(deposited), max(max_fill),"
        "   max(last_fill), sum(overflows), sum(hazards) FROM per_bin"
        "   WHERE category IS NOT NULL GROUP BY CAST(category AS INTEGER)";
    int rc = ru_run(r, "DELETE FROM waste_daily WHERE site = ?1 AND day = ?2", "ss", site, day);

    if (rc == 0 && r->has_waste < 0) {
        /* once per pass: a gateway without waste bins skips the day's scan */
        struct db_stmt *s = ru_query(r,
                                     "SELECT count(*) FROM metrics WHERE name IN ('category', "
                                     "'weight', 'fill', 'overflow', 'hazard')",
                                     "");
        rc = s ? db_step(s) : COL_ERR_DB;
        r->has_waste = rc == DB_ROW && db_col_i64(s, 0) > 0;
        db_reset(s);
        rc = rc < 0 ? rc : 0;
    }
    if (rc == 0 && r->has_waste)
        rc = ru_run(r, sql, "siis", site, t0, t1, day);
    return rc;
}

/* Evaluate @series on each row (metric, unit, value) of the bound statement @s, reset here. */
static int alert_rows(struct rollup *r, struct db_stmt *s, enum rule_series series,
                      const char *site, int64_t t0)
{
    int rc = 0, step;

    if (!s)
        return COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        const char *m = db_col_text(s, 0);
        rc = ru_alert(r, series, m ? ru_domain_of_metric(m) : NULL, site, NULL, m,
                      db_col_text(s, 1), db_col_f64(s, 2), t0);
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Valid daily means of the day (RULE_DAILY). */
static int daily_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    if (!ru_has_series(r, RULE_DAILY))
        return 0;
    return alert_rows(
        r,
        ru_query(r,
                 "SELECT m.name, m.unit, sd.mean FROM site_daily sd JOIN metrics m ON "
                 "m.id = sd.metric_id WHERE sd.site = ?1 AND sd.day = ?2 AND "
                 "sd.is_valid",
                 "ss", site, day),
        RULE_DAILY, site, t0);
}

/* Year-to-date figures as of @day: mean of valid daily means, good-day share. */
static int ytd_alerts(struct rollup *r, const char *site, int64_t t0, const char *day)
{
    struct db_stmt *s;
    char jan1[11];
    int rc = 0;

    if (!r->rules.on_value)
        return 0;
    snprintf(jan1, sizeof(jan1), "%.4s-01-01", day);
    if (ru_has_series(r, RULE_YTD_MEAN))
        rc = alert_rows(r,
                        ru_query(r,
                                 "SELECT m.name, m.unit, avg(sd.mean), count(*) FROM site_daily sd "
                                 "JOIN metrics m ON m.id = sd.metric_id WHERE sd.site = ?1 AND "
                                 "sd.day >= ?2 AND sd.day <= ?3 AND sd.is_valid GROUP BY m.name",
                                 "sss", site, jan1, day),
                        RULE_YTD_MEAN, site, t0);
    if (rc == 0 && ru_has_series(r, RULE_YTD_SHARE)) {
        s = ru_query(r,
                     "SELECT 100.0 * sum(aqi <= 100) / count(*) FROM aqi_daily WHERE site = ?1 AND "
                     "day >= ?2 AND day <= ?3 AND aqi IS NOT NULL",
                     "sss", site, jan1, day);
        if (!s)
            return COL_ERR_DB;
        rc = db_step(s);
        if (rc == DB_ROW && !db_col_is_null(s, 0))
            rc = ru_alert(r, RULE_YTD_SHARE, "air", site, NULL, "aqi", "%", db_col_f64(s, 0), t0);
        else if (rc > 0)
            rc = 0;
        db_reset(s);
    }
    return rc;
}

int ru_site_day(struct rollup *r, const char *site, int64_t t0)
{
    int64_t a, b;
    char day[11];
    int rc;

    cal_day_bounds(t0, &a, &b, day);
    rc = ru_run(r, "INSERT OR IGNORE INTO days(day) VALUES (?1)", "s", day);
    /* a day already sent to the data pool changed: the upload sends a new revision */
    if (rc == 0)
        rc = store_day_changed(r->st, day);
    if (rc == 0)
        rc = ru_site_daily(r, site, day, a, b);
    if (rc == 0)
        rc = daily_alerts(r, site, a, day);
    if (rc == 0)
        rc = ru_aqi_day(r, site, a, b, day);
    if (rc == 0)
        rc = water_day(r, site, a, b, day);
    if (rc == 0)
        rc = noise_day(r, site, a, day);
    /* waste figures come from raw readings: once retention removed them, the
     * day's stored figures are final (a late reading must not empty them) */
    if (rc == 0 && !(ru_day_pruned(r, a) & 1))
        rc = waste_day(r, site, a, b, day);
    if (rc == 0)
        rc = ytd_alerts(r, site, a, day);
    return rc;
}
