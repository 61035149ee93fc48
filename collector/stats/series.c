/*
 * Derived series (see series.h). Each series is a SQL text with the same
 * named parameters (:site, :device, :metric, :from, :to, :from_day,
 * :to_day, :limit); NULL filters match anything. Day series are generated
 * over every calendar day of the range, so a day without a valid value is
 * present with empty cells rather than silently missing.
 */
#include "series.h"
#include "col_err.h"
#include "hj633.h"
#include "gb3838.h"
#include "store/db.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const series_names[] = {"raw",       "hourly",      "daily",           "aqi_hourly",
                                    "aqi_daily", "water_class", "noise_day_night", "waste_daily",
                                    NULL};

#define DAYS_CTE                                                                                   \
    "WITH RECURSIVE bounds(a, b) AS (SELECT coalesce(:from_day, (SELECT min(day) FROM @T)),"       \
    " coalesce(:to_day, date((SELECT max(day) FROM @T), '+1 day'))),"                              \
    " days(d) AS (SELECT a FROM bounds WHERE a < (SELECT b FROM bounds) UNION ALL"                 \
    " SELECT date(d, '+1 day') FROM days WHERE date(d, '+1 day') < (SELECT b FROM bounds)),"       \
    " sites_(site) AS (SELECT :site WHERE :site IS NOT NULL UNION"                                 \
    " SELECT DISTINCT site FROM @T WHERE :site IS NULL) "

static const struct {
    const char *name;
    const char *sql;
    const char *day_table; /* table whose days/sites frame a day series, or NULL */
} defs[] = {
    {"raw",
     "SELECT r.ts AS time, d.site AS site, d.name AS device, m.name AS metric, r.value AS value,"
     " m.unit AS unit FROM readings r JOIN devices d ON d.id = r.device_id JOIN metrics m ON"
     " m.id = r.metric_id WHERE r.ts >= :from AND r.ts < :to AND (:device IS NULL OR d.name ="
     " :device) AND (:site IS NULL OR d.site = :site) AND (:metric IS NULL OR m.name = :metric)"
     " ORDER BY r.ts, d.name, m.name LIMIT :limit",
     NULL},
    {"hourly",
     "SELECT h.hour AS time, d.site AS site, d.name AS device, m.name AS metric, h.n AS n,"
     " h.mean AS mean, h.min AS min, h.max AS max, m.unit AS unit FROM hourly h JOIN devices d"
     " ON d.id = h.device_id JOIN metrics m ON m.id = h.metric_id WHERE :device IS NOT NULL AND"
     " d.name = :device AND h.hour >= :from AND h.hour < :to AND (:metric IS NULL OR m.name ="
     " :metric) UNION ALL SELECT sh.hour, sh.site, NULL, m.name, sh.n_devices, sh.mean, sh.min,"
     " sh.max, m.unit FROM site_hourly sh JOIN metrics m ON m.id = sh.metric_id WHERE :device IS"
     " NULL AND (:site IS NULL OR sh.site = :site) AND sh.hour >= :from AND sh.hour < :to AND"
     " (:metric IS NULL OR m.name = :metric) ORDER BY 1, 2, 4 LIMIT :limit",
     NULL},
    {"daily",
     "SELECT dd.day AS date, d.site AS site, d.name AS device, m.name AS metric, dd.n_hours AS"
     " hours, NULL AS valid, dd.mean AS mean, dd.min AS min, dd.max AS max, dd.sum AS sum,"
     " m.unit AS unit FROM daily dd JOIN devices d ON d.id = dd.device_id JOIN metrics m ON m.id"
     " = dd.metric_id WHERE :device IS NOT NULL AND d.name = :device AND (:from_day IS NULL OR"
     " dd.day >= :from_day) AND (:to_day IS NULL OR dd.day < :to_day) AND (:metric IS NULL OR"
     " m.name = :metric) UNION ALL SELECT sd.day, sd.site, NULL, m.name, sd.n_hours,"
     " sd.is_valid, sd.mean, sd.min, sd.max, sd.sum, m.unit FROM site_daily sd JOIN metrics m ON"
     " m.id = sd.metric_id WHERE :device IS NULL AND (:site IS NULL OR sd.site = :site) AND"
     " (:from_day IS NULL OR sd.day >= :from_day) AND (:to_day IS NULL OR sd.day < :to_day) AND"
     " (:metric IS NULL OR m.name = :metric) ORDER BY 1, 2, 4 LIMIT :limit",
     NULL},
    {"aqi_hourly",
     "SELECT a.hour AS time, a.site AS site, a.aqi AS aqi, a.level AS level,"
     " xh_category(a.aqi) AS category, coalesce(a.primary_pollutants, '') AS \"primary\","
     " a.edition AS edition, a.pm25 AS pm25, a.pm25_24h AS pm25_24h, a.pm10 AS pm10,"
     " a.pm10_24h AS pm10_24h, a.so2 AS so2, a.no2 AS no2, a.co AS co, a.o3 AS o3,"
     " a.o3_8h AS o3_8h, a.missing AS missing FROM aqi_hourly a WHERE (:site IS NULL OR a.site ="
     " :site) AND a.hour >= :from AND a.hour < :to ORDER BY a.site, a.hour LIMIT :limit",
     NULL},
    {"aqi_daily",
     DAYS_CTE "SELECT days.d AS date, s.site AS site, a.aqi AS aqi, a.level AS level,"
              " xh_category(a.aqi) AS category, coalesce(a.primary_pollutants, '') AS"
              " \"primary\", a.edition AS edition, a.pm25 AS pm25, a.pm10 AS pm10, a.so2 AS so2,"
              " a.no2 AS no2, a.co AS co, a.o3_1h AS o3_1h, a.o3_8h AS o3_8h, a.missing AS"
              " missing FROM sites_ s CROSS JOIN days LEFT JOIN aqi_daily a ON a.site = s.site"
              " AND a.day = days.d ORDER BY s.site, days.d LIMIT :limit",
     "aqi_daily"},
    {"water_class",
     DAYS_CTE "SELECT days.d AS date, s.site AS site, w.class AS class, xh_water_class(w.class)"
              " AS class_name, w.deciding AS deciding, w.is_partial AS partial, w.n_evaluated AS"
              " evaluated, w.worst_sample_class AS worst_sample_class, w.n_samples AS samples"
              " FROM sites_ s CROSS JOIN days LEFT JOIN water_daily w ON w.site = s.site AND"
              " w.day = days.d ORDER BY s.site, days.d LIMIT :limit",
     "water_daily"},
    {"noise_day_night",
     DAYS_CTE "SELECT days.d AS date, s.site AS site, n.zone AS zone, n.ld AS ld, n.ln AS ln,"
              " n.ld_limit AS ld_limit, n.ln_limit AS ln_limit, n.ld_over AS ld_over,"
              " n.ln_over AS ln_over, n.night_lmax AS night_lmax, n.lmax_over AS lmax_over,"
              " n.n_day_hours AS day_hours, n.n_night_hours AS night_hours FROM sites_ s CROSS"
              " JOIN days LEFT JOIN noise_daily n ON n.site = s.site AND n.day = days.d ORDER BY"
              " s.site, days.d LIMIT :limit",
     "noise_daily"},
    {"waste_daily",
     "SELECT w.day AS date, w.site AS site, w.category AS category, xh_waste(w.category) AS"
     " category_name, w.n_bins AS bins, w.deposited_kg AS deposited_kg, w.max_fill AS max_fill,"
     " w.last_fill AS last_fill, w.overflow_events AS overflows, w.hazard_events AS hazards"
     " FROM waste_daily w WHERE (:site IS NULL OR w.site = :site) AND (:from_day IS NULL OR"
     " w.day >= :from_day) AND (:to_day IS NULL OR w.day < :to_day) ORDER BY w.site, w.day,"
     " w.category LIMIT :limit",
     NULL},
};

/* SQL functions of the series: names our pure code knows. NaN is SQL NULL. */
static const char *fn_category(double aqi)
{
    const struct hj633_band *b = isnan(aqi) ? NULL : hj633_band_for((int)aqi);

    return b ? b->category_en : NULL;
}

static const char *fn_water(double cls)
{
    return isnan(cls) ? NULL : gb3838_class_name((int)cls);
}

static const char *fn_waste(double category)
{
    static const char *const names[] = {"?", "recyclable", "hazardous", "wet", "dry"};
    int c = isnan(category) ? 0 : (int)category;

    return c >= 1 && c <= 4 ? names[c] : names[0];
}

/* Bind @v to the parameter @name where the statement has it; an empty string is NULL. */
static void bind_opt(struct db_stmt *s, const char *name, const char *v)
{
    db_bind_text(s, db_param(s, name), v && *v ? v : NULL);
}

/* Copy @text to @out with every "@T" replaced by @table. */
static int expand(const char *text, const char *table, char *out, size_t sz)
{
    size_t n = 0, tl = table ? strlen(table) : 0;

    for (const char *p = text; *p; p++) {
        if (p[0] == '@' && p[1] == 'T' && table) {
            if (n + tl >= sz)
                return COL_ERR_INVAL;
            memcpy(out + n, table, tl);
            n += tl;
            p++;
            continue;
        }
        if (n + 1 >= sz)
            return COL_ERR_INVAL;
        out[n++] = *p;
    }
    out[n] = '\0';
    return 0;
}

int series_run(struct store *st, const struct series_query *q, series_row_fn fn, void *ud)
{
    struct db_stmt *s;
    char sql[4096];
    const char *text = NULL, *table = NULL;
    int rc, step;

    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
        if (strcmp(defs[i].name, q->series) == 0) {
            text = defs[i].sql;
            table = defs[i].day_table;
        }
    }
    if (!text)
        return COL_ERR_NOTFOUND;
    if (expand(text, table, sql, sizeof(sql)))
        return COL_ERR_INVAL;
    rc = db_define_text_fn(st, "xh_category", fn_category);
    if (rc == 0)
        rc = db_define_text_fn(st, "xh_water_class", fn_water);
    if (rc == 0)
        rc = db_define_text_fn(st, "xh_waste", fn_waste);
    if (rc)
        return rc;
    s = db_prepare_once(st, sql);
    if (!s)
        return COL_ERR_DB;
    bind_opt(s, ":site", q->site);
    bind_opt(s, ":device", q->device);
    bind_opt(s, ":metric", q->metric);
    bind_opt(s, ":from_day", q->from_day);
    bind_opt(s, ":to_day", q->to_day);
    db_bind_i64(s, db_param(s, ":from"), q->from_ms);
    db_bind_i64(s, db_param(s, ":to"), q->to_ms);
    db_bind_i64(s, db_param(s, ":limit"), q->limit > 0 ? q->limit : -1);
    while ((step = db_step(s)) == DB_ROW) {
        const char *names[32], *vals[32];
        bool is_num[32];
        int n = db_col_count(s);
        if (n > 32)
            n = 32;
        for (int i = 0; i < n; i++) {
            enum db_type t = db_col_type(s, i);
            names[i] = db_col_name(s, i);
            vals[i] = t == DB_NULL ? NULL : db_col_text(s, i);
            is_num[i] = t == DB_INTEGER || t == DB_FLOAT;
        }
        if (fn(ud, n, names, vals, is_num))
            break;
    }
    db_finalize(s);
    if (step < 0)
        rc = step;
    return rc;
}
