/*
 * Loading the compliance report's inputs (see report.h): five range queries
 * per site over the rollup tables, each on its primary key (site, day), fill
 * the day-indexed arrays of report_int.h and the sums behind the gateway's
 * daily means; report.c then judges what was loaded. This file owns the
 * report's statements and its memory (report_build, report_free); it
 * computes no statistic and no status.
 */
#include "report.h"
#include "col_err.h"
#include "core/config.h"
#include "report_int.h"
#include "store/db.h"
#include "store/store.h"
#include "xalloc.h"

#include <math.h>
#include <string.h>

/* The range queries, each run once per site with (site, from, to). */
enum { Q_DAILY, Q_AQI, Q_WATER, Q_NOISE, Q_WASTE, N_QUERIES };

static const char *const query_sql[N_QUERIES] = {
    [Q_DAILY] = "SELECT sd.day, m.name, sd.mean, sd.sum, sd.is_valid FROM site_daily sd"
                " JOIN metrics m ON m.id = sd.metric_id WHERE sd.site = ?1 AND sd.day >= ?2"
                " AND sd.day < ?3 AND m.name IN ('so2', 'no2', 'pm10', 'pm25', 'co', 'treated',"
                " 'inflow')",
    [Q_AQI] = "SELECT day, aqi, primary_pollutants, so2, no2, pm10, pm25, co, o3_1h, o3_8h"
              " FROM aqi_daily WHERE site = ?1 AND day >= ?2 AND day < ?3",
    [Q_WATER] = "SELECT day, class, worst_sample_class, is_partial, n_samples FROM water_daily"
                " WHERE site = ?1 AND day >= ?2 AND day < ?3",
    [Q_NOISE] = "SELECT day, zone, ld, ln, ld_limit, ln_limit, ld_over, ln_over, lmax_over"
                " FROM noise_daily WHERE site = ?1 AND day >= ?2 AND day < ?3",
    [Q_WASTE] = "SELECT day, category, deposited_kg, overflow_events, hazard_events"
                " FROM waste_daily WHERE site = ?1 AND day >= ?2 AND day < ?3",
};

struct loader {
    struct report *r;
    struct store *st;
    struct db_stmt *q[N_QUERIES];
    struct rep_gw_acc *acc;
};

/* ---- one site ---- */

static void bind_range(struct loader *L, struct db_stmt *s, const char *site)
{
    db_reset(s);
    db_bind_text(s, 1, site);
    db_bind_text(s, 2, L->r->from);
    db_bind_text(s, 3, L->r->to);
}

/* The end of a query's rows: 0 when they all were read, else the step's error. */
static int step_end(struct db_stmt *s, int rc)
{
    db_reset(s);
    return rc < 0 ? rc : 0;
}

static int load_daily(struct loader *L, struct rep_scope *s)
{
    static const char *const name[] = {"so2", "no2", "pm10", "pm25", "co", "treated", "inflow"};
    struct report *r = L->r;
    bool has_t[REP_MAX_DAYS] = {0}, has_i[REP_MAX_DAYS] = {0};
    int rc;

    bind_range(L, L->q[Q_DAILY], s->name);
    while ((rc = db_step(L->q[Q_DAILY])) == DB_ROW) {
        int d = rep_doy_of(r->year, (const unsigned char *)db_col_text(L->q[Q_DAILY], 0));
        const char *m = db_col_text(L->q[Q_DAILY], 1);
        double mean = db_col_f64(L->q[Q_DAILY], 2), sum = db_col_f64(L->q[Q_DAILY], 3);
        bool is_valid = (int)db_col_i64(L->q[Q_DAILY], 4) != 0;
        size_t k;
        if (d < 0 || !m)
            continue;
        for (k = 0; k < sizeof(name) / sizeof(name[0]); k++)
            if (strcmp(m, name[k]) == 0)
                break;
        if (k < REP_N_POLS - 1) {
            s->air.has_data = true;
            if (is_valid && isfinite(mean))
                s->air.daily[k][d] = mean;
        } else if (k == 5 || k == 6) {
            s->sewage.has_data = true;
            if (isfinite(sum)) {
                if (k == 5)
                    s->sewage.treated_m3 += sum;
                else
                    s->sewage.inflow_m3 += sum;
            }
            (k == 5 ? has_t : has_i)[d] = true;
        }
    }
    for (int d = 0; d < r->n_days; d++)
        s->sewage.days += has_t[d] && has_i[d];
    s->sewage.rate_pct =
        s->sewage.inflow_m3 > 0 ? 100.0 * s->sewage.treated_m3 / s->sewage.inflow_m3 : NAN;
    return step_end(L->q[Q_DAILY], rc);
}

static int load_aqi(struct loader *L, struct rep_scope *s)
{
    struct report *r = L->r;
    struct rep_gw_acc *acc = L->acc;
    int rc;

    bind_range(L, L->q[Q_AQI], s->name);
    while ((rc = db_step(L->q[Q_AQI])) == DB_ROW) {
        struct db_stmt *q = L->q[Q_AQI];
        int d = rep_doy_of(r->year, (const unsigned char *)db_col_text(q, 0));
        const unsigned char *prim = (const unsigned char *)db_col_text(q, 2);
        if (d < 0)
            continue;
        s->air.has_data = true;
        if (!db_col_is_null(q, 1))
            s->air.aqi[d] = (int)db_col_i64(q, 1);
        snprintf(s->air.primary[d], sizeof(s->air.primary[d]), "%s",
                 prim ? (const char *)prim : "");
        s->air.daily[REP_O3][d] = db_col_f64(q, 9);
        s->air.o3_1h[d] = db_col_f64(q, 8);
        for (int i = 0; i < REP_N_IND; i++) {
            double v = db_col_f64(q, 3 + i);
            if (isfinite(v)) {
                acc->ind[i][d] += v;
                acc->n_ind[i][d]++;
            }
        }
    }
    return step_end(L->q[Q_AQI], rc);
}

static int load_water(struct loader *L, struct rep_scope *s)
{
    struct rep_water *w = &s->water;
    int rc;

    bind_range(L, L->q[Q_WATER], s->name);
    while ((rc = db_step(L->q[Q_WATER])) == DB_ROW) {
        int d = rep_doy_of(L->r->year, (const unsigned char *)db_col_text(L->q[Q_WATER], 0));
        int cls = (int)db_col_i64(L->q[Q_WATER], 1);
        int worst = (int)db_col_i64(L->q[Q_WATER], 2);
        if (d < 0 || cls < 1 || cls > 6)
            continue;
        w->has_data = true;
        w->cls[d] = (unsigned char)cls;
        w->worst_sample[d] = (unsigned char)(worst >= 1 && worst <= 6 ? worst : 0);
        w->days_by_class[cls]++;
        w->classified_days++;
        w->partial_days += (int)db_col_i64(L->q[Q_WATER], 3) != 0;
        w->n_samples += (int)db_col_i64(L->q[Q_WATER], 4);
        if (cls > w->worst_day_class)
            w->worst_day_class = cls;
        if (w->worst_sample[d] > w->worst_sample_class)
            w->worst_sample_class = w->worst_sample[d];
    }
    return step_end(L->q[Q_WATER], rc);
}

static void noise_count(struct rep_noise_zone *z, double ld, double ln, double ldl, double lnl,
                        double ldo, double lno, double lmo)
{
    if (isfinite(lmo) && lmo > 0)
        z->lmax_over++;
    if (!isfinite(ld) || !isfinite(ln))
        return;
    z->days++;
    if (!isfinite(ldl) || !isfinite(lnl) || !isfinite(ldo) || !isfinite(lno))
        return;
    z->judged++;
    z->day_ok += ldo <= 0;
    z->night_ok += lno <= 0;
    z->ld_limit = ldl;
    z->ln_limit = lnl;
}

static int load_noise(struct loader *L, struct rep_scope *s)
{
    struct rep_noise *n = &s->noise;
    int rc;

    n->all.ld_limit = n->all.ln_limit = NAN;
    bind_range(L, L->q[Q_NOISE], s->name);
    while ((rc = db_step(L->q[Q_NOISE])) == DB_ROW) {
        struct db_stmt *q = L->q[Q_NOISE];
        int d = rep_doy_of(L->r->year, (const unsigned char *)db_col_text(q, 0));
        const unsigned char *zt = (const unsigned char *)db_col_text(q, 1);
        const char *zone = zt ? (const char *)zt : "";
        double v[7];
        struct rep_noise_zone *z;
        if (d < 0)
            continue;
        n->has_data = true;
        for (int i = 0; i < 7; i++)
            v[i] = db_col_f64(q, 2 + i);
        if (*zone)
            snprintf(n->all.zone, sizeof(n->all.zone), "%s", zone);
        noise_count(&n->all, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        z = rep_noise_zone_of(n, zone);
        if (z)
            noise_count(z, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }
    n->all.n_sites = 1;
    for (size_t i = 0; i < n->n_zones; i++)
        n->zones[i].n_sites = 1;
    return step_end(L->q[Q_NOISE], rc);
}

static int load_waste(struct loader *L, struct rep_scope *s)
{
    struct rep_waste *w = &s->waste;
    bool seen[REP_MAX_DAYS] = {0};
    int rc;

    bind_range(L, L->q[Q_WASTE], s->name);
    while ((rc = db_step(L->q[Q_WASTE])) == DB_ROW) {
        struct db_stmt *q = L->q[Q_WASTE];
        int d = rep_doy_of(L->r->year, (const unsigned char *)db_col_text(q, 0));
        int cat = (int)db_col_i64(q, 1);
        double kg = db_col_f64(q, 2);
        if (d < 0 || cat < 1 || cat > REP_N_WASTE)
            continue;
        w->has_data = true;
        if (isfinite(kg)) {
            w->kg[cat] += kg;
            w->total_kg += kg;
        }
        w->overflow_events += db_col_i64(q, 3);
        w->hazard_events += db_col_i64(q, 4);
        if (!seen[d])
            w->days++;
        seen[d] = true;
    }
    w->wet_share = w->total_kg > 0 ? w->kg[3] / w->total_kg : NAN;
    return step_end(L->q[Q_WASTE], rc);
}

static void scope_init(struct rep_scope *s)
{
    for (int p = 0; p < REP_N_POLS; p++)
        for (int d = 0; d < REP_MAX_DAYS; d++)
            s->air.daily[p][d] = NAN;
    for (int d = 0; d < REP_MAX_DAYS; d++) {
        s->air.aqi[d] = -1;
        s->air.o3_1h[d] = NAN;
    }
    s->air.year.pm25_mean = s->air.year.good_day_ratio = NAN; /* until air_finish */
    s->waste.wet_share = NAN;
    s->sewage.rate_pct = NAN;
    s->noise.all.ld_limit = s->noise.all.ln_limit = NAN;
}

static int load_site(struct loader *L, struct rep_scope *s)
{
    int rc;

    scope_init(s);
    rc = load_daily(L, s);
    if (rc == 0)
        rc = load_aqi(L, s);
    if (rc == 0)
        rc = load_water(L, s);
    if (rc == 0)
        rc = load_noise(L, s);
    if (rc == 0)
        rc = load_waste(L, s);
    return rc;
}

/* ---- the sites ---- */

/* A copy of text column @i in *out (NULL for SQL NULL); COL_ERR_NOMEM when the copy failed. */
static int dup_col(struct db_stmt *s, int i, char **out)
{
    const unsigned char *t = (const unsigned char *)db_col_text(s, i);

    *out = t ? xstrdup((const char *)t) : NULL;
    return t && !*out ? COL_ERR_NOMEM : 0;
}

static void scope_free_strings(struct rep_scope *s)
{
    xfree(s->display_name);
    xfree(s->street);
    xfree(s->kind);
    xfree(s->noise_zone);
    xfree(s->water_body);
    s->display_name = s->street = s->kind = s->noise_zone = s->water_body = NULL;
}

/* The candidate sites: the registry's and every site a device reported for. */
static int list_sites(struct loader *L, const char *only)
{
    static const char sql[] =
        "WITH names AS (SELECT name AS s FROM sites UNION SELECT site FROM devices)"
        " SELECT n.s, st.display_name, st.street, st.kind, st.noise_zone, st.water_body"
        " FROM names n LEFT JOIN sites st ON st.name = n.s"
        " WHERE ?1 IS NULL OR n.s = ?1 ORDER BY n.s";
    struct report *r = L->r;
    struct db_stmt *s = db_prepare(L->st, sql);
    size_t cap = 0;
    int rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, only);
    while ((rc = db_step(s)) == DB_ROW) {
        struct rep_scope *sc;
        const unsigned char *name = (const unsigned char *)db_col_text(s, 0);
        if (!name)
            continue;
        struct rep_scope *nv = xgrow(r->sites, &cap, r->n_sites + 1, sizeof(*nv), 16);
        if (!nv) {
            rc = COL_ERR_NOMEM;
            goto out;
        }
        r->sites = nv;
        sc = &r->sites[r->n_sites++];
        memset(sc, 0, sizeof(*sc));
        snprintf(sc->name, sizeof(sc->name), "%s", (const char *)name);
        /* a name lost to a failed allocation would read as "unknown": fail the build */
        if (dup_col(s, 1, &sc->display_name) || dup_col(s, 2, &sc->street) ||
            dup_col(s, 3, &sc->kind) || dup_col(s, 4, &sc->noise_zone) ||
            dup_col(s, 5, &sc->water_body)) {
            rc = COL_ERR_NOMEM;
            goto out;
        }
    }
    rc = rc < 0 ? rc : 0;
out:
    db_reset(s);
    return rc;
}

static bool scope_has_data(const struct rep_scope *s)
{
    return s->air.has_data || s->water.has_data || s->noise.has_data || s->waste.has_data ||
           s->sewage.has_data;
}

static int load_all(struct loader *L, const char *only)
{
    struct report *r = L->r;
    size_t k = 0;
    int rc = 0;

    for (int i = 0; i < N_QUERIES; i++)
        if (!(L->q[i] = db_prepare(L->st, query_sql[i])))
            return COL_ERR_DB;
    rc = list_sites(L, only);
    if (rc)
        return rc;
    if (only && r->n_sites == 0)
        return COL_ERR_NOTFOUND;
    scope_init(&r->gateway_scope);
    r->gateway_scope.is_gateway = true;
    snprintf(r->gateway_scope.name, sizeof(r->gateway_scope.name), "%s", r->gateway);
    for (size_t i = 0; i < r->n_sites; i++) {
        struct rep_scope *s = &r->sites[i];
        rc = load_site(L, s);
        if (rc)
            return rc;
        if (!scope_has_data(s)) {
            scope_free_strings(s);
            continue;
        }
        rep_scope_finish(r, s);
        rep_gateway_add_site(r, L->acc, &r->gateway_scope, s);
        if (k != i) {
            r->sites[k] = *s; /* the strings move with it */
            s->display_name = s->street = s->kind = s->noise_zone = s->water_body = NULL;
        }
        k++;
    }
    r->n_sites = k;
    rep_gateway_finish(r, L->acc);
    return 0;
}

/* ---- the report ---- */

int report_build(struct store *st, const struct config *cfg, int year, const char *site,
                 struct report **out)
{
    struct loader L = {0};
    struct report *r = NULL;
    int rc;

    *out = NULL;
    if (year < REPORT_YEAR_MIN || year > REPORT_YEAR_MAX)
        return COL_ERR_INVAL;
    r = xcalloc(1, sizeof(*r));
    L.acc = xcalloc(1, sizeof(*L.acc));
    if (!r || !L.acc) {
        rc = COL_ERR_NOMEM;
        goto out;
    }
    rc = rep_model_init(r, cfg, year);
    if (rc)
        goto out;
    L.r = r;
    L.st = st;
    rc = load_all(&L, site);
out:
    for (int i = 0; i < N_QUERIES; i++)
        db_reset(L.q[i]);
    xfree(L.acc);
    if (rc) {
        report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void report_free(struct report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_sites; i++)
        scope_free_strings(&r->sites[i]);
    scope_free_strings(&r->gateway_scope);
    xfree(r->sites);
    xfree(r);
}
