/*
 * The AQI of HJ 633 (both editions, chosen by date) from site hours: the
 * real-time AQI of each hour (moving averages over the 24 hours up to it)
 * and the daily AQI, read from a window of site hours loaded once per
 * site and stretch of the pass (see rollup_int.h).
 */
#include "rollup_int.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"
#include "gb3095.h"
#include "hj633.h"
#include "hj663.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const aqi_metric[HJ633_N_POLLUTANTS] = {
    [HJ633_SO2] = "so2",   [HJ633_NO2] = "no2", [HJ633_PM10] = "pm10",
    [HJ633_PM25] = "pm25", [HJ633_CO] = "co",   [HJ633_O3] = "o3",
};

/*
 * The site's hourly means of the series the AQI and noise figures read,
 * for a stretch of hours: loaded with one query and read by every AQI hour
 * and day of the pass that falls inside it (they ask, site by site in time
 * order, for windows of 8 to 30 hours). Valid for one pass: the pass
 * writes the site hours before it reads any window.
 */
static const char *const win_metric[WIN_SERIES] = {"so2", "no2", "pm10", "pm25",
                                                   "co",  "o3",  "laeq", "lmax"};

static int win_series(const char *metric)
{
    for (int i = 0; i < WIN_SERIES; i++)
        if (strcmp(metric, win_metric[i]) == 0)
            return i;
    return -1;
}

void ru_windows_clear(struct rollup *r)
{
    for (size_t i = 0; i < WIN_SLOTS; i++)
        r->win[i].n = 0;
    r->win_next = 0;
    r->win_begin = r->win_end = 0;
    r->has_win_ids = false;
}

/* The metric ids of the window's series, once a pass (a metric may appear meanwhile). */
static int win_ids(struct rollup *r)
{
    struct db_stmt *s;
    int rc;

    if (r->has_win_ids)
        return 0;
    for (int k = 0; k < WIN_SERIES; k++)
        r->win_ids[k] = 0;
    s = ru_query(r, "SELECT id, name FROM metrics", "");
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *m = db_col_text(s, 1);
        int k = m ? win_series(m) : -1;
        if (k >= 0)
            r->win_ids[k] = db_col_i64(s, 0);
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    r->has_win_ids = true;
    return 0;
}

/*
 * Load into @w @site's window for [@t0, @t0 + @n hours): WIN_HOURS at
 * most, starting as early and reaching as far as the pass can ask for
 * (r->win_begin, r->win_end), so that one load serves the site's days and
 * AQI hours alike.
 */
static int win_load(struct rollup *r, struct window *w, const char *site, int64_t t0, int n)
{
    const int64_t want_end = t0 + (int64_t)n * HOUR_MS, span = (int64_t)WIN_HOURS * HOUR_MS;
    int64_t start = t0, end;
    struct db_stmt *s;
    int rc = win_ids(r), n_hours;

    if (rc)
        return rc;
    if (r->win_begin > 0 && r->win_begin < t0) /* earlier, as long as the request fits */
        start = r->win_begin > want_end - span ? r->win_begin : want_end - span;
    if (start > t0)
        start = t0;
    end = start + span;
    if (r->win_end > want_end && r->win_end < end)
        end = r->win_end;
    if (end < want_end)
        end = want_end;
    n_hours = (int)((end - start + HOUR_MS - 1) / HOUR_MS);
    snprintf(w->site, sizeof(w->site), "%s", site);
    w->t0 = start;
    w->n = 0;
    for (int k = 0; k < WIN_SERIES; k++)
        for (int i = 0; i < n_hours; i++)
            w->v[k][i] = NAN;
    s = ru_query(r,
                 "SELECT hour, metric_id, mean FROM site_hourly WHERE site = ?1 AND hour >= ?2 "
                 "AND hour < ?3",
                 "sii", site, start, start + (int64_t)n_hours * HOUR_MS);
    if (!s)
        return COL_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        int64_t i = (db_col_i64(s, 0) - start) / HOUR_MS, id = db_col_i64(s, 1);
        /* a station reports series (weather) that no window reads */
        for (int k = 0; k < WIN_SERIES; k++)
            if (r->win_ids[k] == id) {
                if (i >= 0 && i < n_hours)
                    w->v[k][i] = db_col_f64(s, 2);
                break;
            }
    }
    db_reset(s);
    if (rc < 0)
        return rc;
    w->n = n_hours;
    return 0;
}

/* The slot for @site's window of [@t0, @t0 + @n hours): loaded already, or loaded now. */
static int win_get(struct rollup *r, const char *site, int64_t t0, int n, struct window **out)
{
    struct window *own = NULL;

    for (size_t i = 0; i < WIN_SLOTS; i++) {
        struct window *w = &r->win[i];
        if (w->n == 0 || strcmp(w->site, site) != 0)
            continue;
        if (t0 >= w->t0 && t0 + (int64_t)n * HOUR_MS <= w->t0 + (int64_t)w->n * HOUR_MS) {
            *out = w;
            return 0;
        }
        own = w; /* the site's window moved on: reload it in place */
    }
    if (!own) {
        own = &r->win[r->win_next];
        r->win_next = (r->win_next + 1) % WIN_SLOTS;
    }
    *out = own;
    return win_load(r, own, site, t0, n);
}

/* Hourly site means of @metric over [t0, t0 + n hours): vals[i], valid[i]. */
int ru_load_hours(struct rollup *r, const char *site, const char *metric, int64_t t0, int n,
                  double *vals, bool *valid, int *n_valid)
{
    struct window *w;
    int k = win_series(metric), rc;
    int64_t off;

    *n_valid = 0;
    if (k < 0 || n > WIN_HOURS)
        return COL_ERR_INVAL;
    rc = win_get(r, site, t0, n, &w);
    if (rc)
        return rc;
    off = (t0 - w->t0) / HOUR_MS;
    for (int i = 0; i < n; i++) {
        vals[i] = w->v[k][off + i];
        valid[i] = isfinite(vals[i]);
        *n_valid += valid[i];
    }
    return 0;
}

/* "pm25+o3" from a pollutant bitmask, in the fixed order so2, no2, pm10, pm25, co, o3. */
static void primary_text(unsigned mask, char *out, size_t sz)
{
    static const enum hj633_pollutant order[] = {HJ633_SO2,  HJ633_NO2, HJ633_PM10,
                                                 HJ633_PM25, HJ633_CO,  HJ633_O3};
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (mask & HJ633_BIT(order[i]))
            n += (size_t)snprintf(out + n, sz - n, "%s%s", n ? "+" : "", aqi_metric[order[i]]);
}

static const char *const indicator_name[HJ633_N_INDICATORS] = {
    "so2_24h", "no2_24h", "pm10_24h", "pm25_24h", "co_24h", "so2_1h",
    "no2_1h",  "pm10_1h", "pm25_1h",  "co_1h",    "o3_1h",  "o3_8h",
};

static void iaqi_text(const struct hj633_aqi *a, unsigned missing, char *iaqi, size_t isz,
                      char *miss, size_t msz)
{
    size_t n = 0, k = 0;

    iaqi[0] = miss[0] = '\0';
    for (int i = 0; i < HJ633_N_INDICATORS; i++) {
        if (a && a->iaqi[i] >= 0)
            n += (size_t)snprintf(iaqi + n, isz - n, "%s%s=%d", n ? ";" : "", indicator_name[i],
                                  a->iaqi[i]);
        if (missing & HJ633_BIT(i))
            k += (size_t)snprintf(miss + k, msz - k, "%s%s", k ? "+" : "", indicator_name[i]);
        if (n >= isz || k >= msz)
            break;
    }
}

static double o3_8h_limit(int64_t t)
{
    double lim = 160;

    gb3095_limit(gb3095_edition_for(t), GB3095_O3, GB3095_8H, GB3095_GRADE_II, &lim);
    return lim;
}

int ru_aqi_day(struct rollup *r, const char *site, int64_t t0, int64_t t1, const char *day)
{
    static const enum hj633_indicator daily24[] = {HJ633_SO2_24H, HJ633_NO2_24H, HJ633_PM10_24H,
                                                   HJ633_PM25_24H, HJ633_CO_24H};
    static const enum hj633_pollutant daily24_p[] = {HJ633_SO2, HJ633_NO2, HJ633_PM10, HJ633_PM25,
                                                     HJ633_CO};
    double v[DAY_HOURS_MAX], conc[HJ633_N_INDICATORS];
    bool ok[DAY_HOURS_MAX];
    struct hj633_input in = {0};
    struct hj633_aqi a;
    enum hj633_edition ed;
    int n = (int)((t1 - t0) / HOUR_MS), nv, y, mo, d, any = 0, rc;
    char prim[64] = "", iaqi[256], miss[128];
    bool is_valid;
    unsigned need;

    if (n > DAY_HOURS_MAX)
        n = DAY_HOURS_MAX;
    for (int i = 0; i < HJ633_N_INDICATORS; i++)
        conc[i] = NAN;
    for (size_t i = 0; i < 5; i++) {
        double mean;
        if (ru_load_hours(r, site, aqi_metric[daily24_p[i]], t0, n, v, ok, &nv))
            return COL_ERR_DB;
        any += nv;
        if (hj663_mean(v, ok, (size_t)n, 20, &mean, NULL) == 0) {
            in.conc[daily24[i]] = conc[daily24[i]] = mean;
            in.present[daily24[i]] = true;
        }
    }
    if (ru_load_hours(r, site, "o3", t0, n, v, ok, &nv))
        return COL_ERR_DB;
    any += nv;
    if (nv >= 20) {
        double mx = -INFINITY;
        for (int i = 0; i < n; i++)
            if (ok[i] && v[i] > mx)
                mx = v[i];
        in.conc[HJ633_O3_1H] = conc[HJ633_O3_1H] = mx;
        in.present[HJ633_O3_1H] = true;
    }
    if (nv > 0 && n >= 24) {
        struct hj663_mda8 m8;
        if (hj663_o3_mda8(v, ok, (int)r->cfg->rollup.mda8_min_windows, o3_8h_limit(t0), &m8) == 0 &&
            m8.is_valid) {
            in.conc[HJ633_O3_8H] = conc[HJ633_O3_8H] = m8.value;
            in.present[HJ633_O3_8H] = true;
        }
    }
    rc = ru_run(r, "DELETE FROM aqi_daily WHERE site = ?1 AND day = ?2", "ss", site, day);
    if (rc || any == 0)
        return rc;
    if (sscanf(day, "%d-%d-%d", &y, &mo, &d) != 3 || hj633_edition_for_day(y, mo, d, &ed))
        return COL_ERR_INVAL;
    need = HJ633_BIT(HJ633_SO2_24H) | HJ633_BIT(HJ633_NO2_24H) | HJ633_BIT(HJ633_PM10_24H) |
           HJ633_BIT(HJ633_PM25_24H) | HJ633_BIT(HJ633_CO_24H) | HJ633_BIT(HJ633_O3_8H);
    if (ed == HJ633_2012)
        need |= HJ633_BIT(HJ633_O3_1H);
    rc = hj633_aqi_daily(ed, &in, &a);
    if (rc == COL_ERR_NOTFOUND) {
        unsigned missing = need;
        iaqi_text(NULL, missing, iaqi, sizeof(iaqi), miss, sizeof(miss));
        return ru_run(r,
                      "INSERT INTO aqi_daily(site, day, edition, missing) VALUES (?1, ?2, ?3, ?4)",
                      "ssss", site, day, hj633_edition_name(ed), miss);
    }
    if (rc)
        return 0; /* a value the standard cannot take (negative): no AQI for the day */
    /* A day's AQI counts (good-day ratio, levels) only with every indicator of
     * its edition's set; 2026 §5.3.1 also publishes an incomplete AQI above 100. */
    is_valid = (a.missing & need) == 0 || (ed == HJ633_2026 && a.aqi > 100);
    if (is_valid && a.aqi > 50)
        primary_text(a.primary, prim, sizeof(prim));
    iaqi_text(&a, a.missing & need, iaqi, sizeof(iaqi), miss, sizeof(miss));
    rc = ru_run(r,
                "INSERT INTO aqi_daily(site, day, edition, aqi, level, primary_pollutants, so2, "
                "no2, pm10, pm25, co, o3_1h, o3_8h, iaqi, missing, is_above_scale) VALUES (?1, ?2, "
                "?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END, CASE WHEN ?5 < 0 THEN NULL ELSE ?5 "
                "END, ?6, ?7, ?8, ?9, "
                "?10, ?11, ?12, "
                "?13, ?14, ?15, ?16)",
                "sssiisdddddddssi", site, day, hj633_edition_name(ed),
                (int64_t)(is_valid ? a.aqi : -1), (int64_t)(is_valid ? a.band->level : -1), prim,
                or_nan(conc[HJ633_SO2_24H]), or_nan(conc[HJ633_NO2_24H]),
                or_nan(conc[HJ633_PM10_24H]), or_nan(conc[HJ633_PM25_24H]),
                or_nan(conc[HJ633_CO_24H]), or_nan(conc[HJ633_O3_1H]), or_nan(conc[HJ633_O3_8H]),
                iaqi, miss, (int64_t)a.is_above_scale);
    if (rc)
        return rc;
    if (is_valid) {
        static const char *const names[] = {"so2", "no2", "pm10", "pm25", "co"};
        rc = ru_alert(r, RULE_AQI_DAILY, "air", site, NULL, "aqi", "", (double)a.aqi, t0);
        for (size_t i = 0; rc == 0 && i < 5; i++)
            rc = ru_alert(r, RULE_AQI_DAILY, "air", site, NULL, names[i],
                          i == 4 ? "mg/m3" : "ug/m3", conc[daily24[i]], t0);
        if (rc == 0)
            rc = ru_alert(r, RULE_AQI_DAILY, "air", site, NULL, "o3_8h", "ug/m3", conc[HJ633_O3_8H],
                          t0);
        if (rc == 0)
            rc = ru_alert(r, RULE_AQI_DAILY, "air", site, NULL, "o3_1h", "ug/m3", conc[HJ633_O3_1H],
                          t0);
    } else {
        /* concentrations of a day without a complete AQI still count on their own */
        rc = ru_alert(r, RULE_AQI_DAILY, "air", site, NULL, "pm25", "ug/m3", conc[HJ633_PM25_24H],
                      t0);
    }
    if (rc)
        return rc;
    return 0;
}

/* Real-time AQI of the hour starting @h (HJ 633 §1.6 / 2026 §4.2.3). */
static int aqi_hour(struct rollup *r, const char *site, int64_t h)
{
    double v[24], cur[HJ633_N_POLLUTANTS], m24[HJ633_N_POLLUTANTS], o3_8h = NAN;
    bool ok[24];
    struct hj633_input in = {0};
    struct hj633_aqi a;
    enum hj633_edition ed = hj633_edition_for(h);
    int nv, any = 0, rc;
    char prim[64] = "", iaqi[256], miss[128];

    for (int p = 0; p < HJ633_N_POLLUTANTS; p++) {
        if (ru_load_hours(r, site, aqi_metric[p], h - 23 * HOUR_MS, 24, v, ok, &nv))
            return COL_ERR_DB;
        cur[p] = ok[23] ? v[23] : NAN;
        any += ok[23];
        m24[p] = NAN;
        hj663_mean(v, ok, 24, 20, &m24[p], NULL);
        if (p == HJ633_O3)
            hj663_mean(v + 16, ok + 16, 8, 6, &o3_8h, NULL);
    }
    rc = ru_run(r, "DELETE FROM aqi_hourly WHERE site = ?1 AND hour = ?2", "si", site, h);
    if (rc || any == 0)
        return rc;
#define PUT(ind, val)                                                                              \
    do {                                                                                           \
        if (isfinite(val)) {                                                                       \
            in.conc[ind] = (val);                                                                  \
            in.present[ind] = true;                                                                \
        }                                                                                          \
    } while (0)
    PUT(HJ633_SO2_1H, cur[HJ633_SO2]);
    PUT(HJ633_NO2_1H, cur[HJ633_NO2]);
    PUT(HJ633_CO_1H, cur[HJ633_CO]);
    PUT(HJ633_O3_1H, cur[HJ633_O3]);
    if (ed == HJ633_2012) {
        PUT(HJ633_O3_8H, o3_8h);
        PUT(HJ633_PM10_24H, m24[HJ633_PM10]);
        PUT(HJ633_PM25_24H, m24[HJ633_PM25]);
        PUT(HJ633_SO2_24H, m24[HJ633_SO2]);
    } else {
        PUT(HJ633_PM10_1H, cur[HJ633_PM10]);
        PUT(HJ633_PM25_1H, cur[HJ633_PM25]);
    }
#undef PUT
    if (hj633_aqi_hourly(ed, &in, &a) != 0)
        return 0;
    if (a.is_publishable && a.aqi > 50)
        primary_text(a.primary, prim, sizeof(prim));
    iaqi_text(&a, a.missing, iaqi, sizeof(iaqi), miss, sizeof(miss));
    rc = ru_run(r,
                "INSERT INTO aqi_hourly(site, hour, edition, aqi, level, primary_pollutants, so2, "
                "no2, co, o3, o3_8h, pm10, pm25, pm10_24h, pm25_24h, iaqi, missing) VALUES (?1, "
                "?2, ?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END, CASE WHEN ?5 < 0 THEN NULL ELSE "
                "?5 END, ?6, ?7, ?8, ?9, "
                "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                "sisiisdddddddddss", site, h, hj633_edition_name(ed),
                (int64_t)(a.is_publishable ? a.aqi : -1),
                (int64_t)(a.is_publishable ? a.band->level : -1), prim, or_nan(cur[HJ633_SO2]),
                or_nan(cur[HJ633_NO2]), or_nan(cur[HJ633_CO]), or_nan(cur[HJ633_O3]), or_nan(o3_8h),
                or_nan(cur[HJ633_PM10]), or_nan(cur[HJ633_PM25]), or_nan(m24[HJ633_PM10]),
                or_nan(m24[HJ633_PM25]), iaqi, miss);
    if (rc)
        return rc;
    if (a.is_publishable)
        rc = ru_alert(r, RULE_AQI_HOURLY, "air", site, NULL, "aqi", "", (double)a.aqi, h);
    if (rc == 0)
        rc = ru_alert(r, RULE_AQI_HOURLY, "air", site, NULL, "o3_8h", "ug/m3", o3_8h, h);
    if (rc == 0)
        rc = ru_alert(r, RULE_AQI_HOURLY, "air", site, NULL, "pm25", "ug/m3", cur[HJ633_PM25], h);
    if (rc)
        return rc;
    return 0;
}

/*
 * The real-time AQI of every hour whose moving averages include a site
 * hour of the pass: each site hour h changes the AQI of h .. h + 23 h.
 * r->site_hours is sorted by (site, hour), so the union of those ranges
 * is walked site by site in time order, each hour once.
 */
int ru_aqi_hours(struct rollup *r)
{
    int64_t next = INT64_MIN;  /* the first hour not computed yet in this site's walk */
    int64_t until = INT64_MAX; /* the next pass's from here on */
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < r->site_hours.n; i++) {
        const struct item *it = &r->site_hours.v[i];
        int64_t from = it->t, to = it->t + 24 * HOUR_MS;
        if (i == 0 || strcmp(it->site, r->site_hours.v[i - 1].site) != 0) {
            next = INT64_MIN;
            until = ru_aqi_deferred_from(r, it->site);
        }
        if (to > until)
            to = until;
        if (from < next)
            from = next;
        for (int64_t h = from; rc == 0 && h < to; h += HOUR_MS)
            rc = aqi_hour(r, it->site, h);
        if (to > next)
            next = to;
    }
    return rc;
}
