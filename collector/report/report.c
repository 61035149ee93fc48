/*
 * Judging the compliance report (see report.h): from a year loaded into the
 * day-indexed arrays of report_int.h (report_load.c), every statistic and
 * status is computed here, once, into the model the writers print, with no
 * database (the clock is read once, for generated_at). The gateway is a
 * scope like a site whose daily values are the means of the sites' valid
 * daily values (the city-value rule of standards README §2), its AQI
 * recomputed from those means with the HJ 633 edition of each day.
 * A year that holds a standards switch (2026-03-01) is cut into periods with
 * one edition each; the standards' limits are only ever applied per period.
 */
#include "report.h"
#include "col_err.h"
#include "core/config.h"
#include "gb3095.h"
#include "hj633.h"
#include "hj663.h"
#include "core/log.h"
#include "report_int.h"
#include "civil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The plan sets no number for noise; every day within its limit is the draft default. */
#define NOISE_TARGET_PCT 100.0
/* GB 3095 Table 4: >= 324 daily values a year, >= 27 a month (February 25). */
#define YEAR_MIN_DAYS 324
#define MONTH_MIN_DAYS 27
#define FEB_MIN_DAYS 25

/* ---- calendar helpers ---- */

int rep_month_days(int year, int m)
{
    return civil_month_days(year, m + 1);
}

static int month_start(int year, int m)
{
    int d = 0;

    for (int i = 0; i < m; i++)
        d += rep_month_days(year, i);
    return d;
}

int rep_month_of(int year, int doy)
{
    int m = 0, end = rep_month_days(year, 0);

    while (m < 11 && doy >= end)
        end += rep_month_days(year, ++m);
    return m;
}

int rep_weekday_of(int year, int doy)
{
    long z = civil_to_days(year, 1, 1) + doy;

    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    return (int)(((z % 7) + 7 + 3) % 7);
}

void rep_day_name(int year, int doy, char out[11])
{
    int m = rep_month_of(year, doy);
    int d = doy - month_start(year, m) + 1;

    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)year % 10000u, (unsigned)(m + 1) % 100u,
             (unsigned)d % 100u);
}

/* The number of the @n decimal digits at @s, or -1 (one row per day per metric: no sscanf). */
static int digits(const unsigned char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int rep_doy_of(int year, const unsigned char *s)
{
    int y, m, d;

    if (!s || strlen((const char *)s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    y = digits(s, 4);
    m = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (y != year || m < 1 || m > 12 || d < 1 || d > rep_month_days(year, m - 1))
        return -1;
    return month_start(year, m - 1) + d - 1;
}

/* ---- names ---- */

const char *rep_status_id(enum rep_status s)
{
    switch (s) {
    case REP_MET:
        return "met";
    case REP_NOT_MET:
        return "not_met";
    default:
        return "insufficient_data";
    }
}

const char *rep_pol_id(enum rep_pol p)
{
    static const char *const id[REP_N_POLS] = {"so2", "no2", "pm10", "pm25", "co", "o3"};

    return (unsigned)p < REP_N_POLS ? id[p] : "?";
}

const char *rep_pol_label(enum rep_pol p)
{
    static const char *const id[REP_N_POLS] = {"SO2", "NO2", "PM10", "PM2.5", "CO", "O3"};

    return (unsigned)p < REP_N_POLS ? id[p] : "?";
}

const char *rep_pol_unit(enum rep_pol p)
{
    return p == REP_CO ? "mg/m³" : "µg/m³";
}

int rep_unit_decimals(const char *unit)
{
    if (strcmp(unit, "days") == 0 || strcmp(unit, "pollutants") == 0)
        return 0;
    if (strcmp(unit, "mg/m³") == 0)
        return 2;
    return 1;
}

const char *rep_waste_id(int category)
{
    static const char *const id[REP_N_WASTE + 1] = {"?", "recyclable", "hazardous", "wet", "dry"};

    return category >= 1 && category <= REP_N_WASTE ? id[category] : "?";
}

static const enum gb3095_pollutant gb_pol[REP_N_POLS] = {
    GB3095_SO2, GB3095_NO2, GB3095_PM10, GB3095_PM25, GB3095_CO, GB3095_O3,
};

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * Whether @by_month supports an annual statistic over days [d0, d1) of the
 * year. The whole year: GB 3095 Table 4 via hj663_check_annual (@item) or
 * gb3095_check_annual. Part of a year (a standards switch cut it): the same
 * minimum pro rata, documented in docs/report.md: each month needs its
 * minimum scaled by the share of its days inside the part, the part needs
 * ceil(324 x its days / days of the year).
 */
static bool annual_valid(const struct report *r, int d0, int d1, enum hj663_item item,
                         const int by_month[12])
{
    int total = 0;

    if (d0 == 0 && d1 == r->n_days)
        return hj663_check_annual(item, by_month) == 0;
    for (int m = 0; m < 12; m++) {
        int a = month_start(r->year, m), b = a + rep_month_days(r->year, m);
        int in = (b < d1 ? b : d1) - (a > d0 ? a : d0);
        int need;
        if (in <= 0)
            continue;
        need = m == 1 ? FEB_MIN_DAYS : MONTH_MIN_DAYS;
        need = (need * in + rep_month_days(r->year, m) - 1) / rep_month_days(r->year, m);
        if (by_month[m] < need)
            return false;
        total += by_month[m];
    }
    return total >= (YEAR_MIN_DAYS * (d1 - d0) + r->n_days - 1) / r->n_days;
}

static void pol_stats(const struct report *r, const double *daily, int d0, int d1, enum rep_pol p,
                      struct rep_pol_stats *out)
{
    double v[REP_MAX_DAYS];
    long double sum = 0;
    int n = 0;

    memset(out, 0, sizeof(*out));
    for (int d = d0; d < d1; d++) {
        if (!isfinite(daily[d]))
            continue;
        v[n++] = daily[d];
        sum += daily[d];
        out->by_month[rep_month_of(r->year, d)]++;
    }
    out->n_valid = n;
    out->pct = hj663_annual_percentile((enum hj663_item)p);
    out->mean = n ? (double)(sum / n) : NAN;
    out->pct_value = NAN;
    if (n) {
        qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
        if (hj663_percentile(v, (size_t)n, out->pct, &out->pct_value))
            out->pct_value = NAN;
    }
    if (p == REP_PM25)
        out->is_valid = d0 == 0 && d1 == r->n_days
                            ? gb3095_check_annual(GB3095_PM25, out->by_month) == 0
                            : annual_valid(r, d0, d1, HJ663_PM25, out->by_month);
    else
        out->is_valid = annual_valid(r, d0, d1, (enum hj663_item)p, out->by_month);
}

/* ---- targets ---- */

static struct rep_target *add_target(struct rep_target *v, size_t *n, const char *rule,
                                     const char *label, const char *unit, const char *cmp)
{
    struct rep_target *t;

    if (NEVER(*n >= REP_MAX_TARGETS))
        return NULL;
    t = &v[(*n)++];
    memset(t, 0, sizeof(*t));
    t->rule = rule;
    t->label = label;
    t->unit = unit;
    t->cmp = cmp;
    t->kind = "plan";
    t->value = NAN;
    t->status = REP_INSUFFICIENT;
    return t;
}

static bool meets(double value, const char *cmp, double target)
{
    if (strcmp(cmp, "<") == 0)
        return value < target;
    if (strcmp(cmp, "<=") == 0)
        return value <= target;
    return value >= target;
}

/* Judge @t: insufficient unless @enough and the value exists. */
static void judge(struct rep_target *t, bool enough, const char *why)
{
    bool is_met = isfinite(t->value) && isfinite(t->target) && meets(t->value, t->cmp, t->target);

    if (!enough || !isfinite(t->value)) {
        t->status = REP_INSUFFICIENT;
        t->note = why;
        t->has_indicative = isfinite(t->value) && isfinite(t->target);
        t->indicative = is_met ? REP_MET : REP_NOT_MET;
        return;
    }
    t->status = is_met ? REP_MET : REP_NOT_MET;
}

static const char *const annual_rule[REP_N_POLS] = {
    "so2_annual_mean", "no2_annual_mean", "pm10_annual_mean", "pm25_annual_mean_gb3095", NULL, NULL,
};
static const char *const annual_label[REP_N_POLS] = {
    "SO2 annual mean",
    "NO2 annual mean",
    "PM10 annual mean",
    "PM2.5 annual mean (GB 3095)",
    NULL,
    NULL,
};
static const char *const pct_rule[REP_N_POLS] = {
    "so2_p98", "no2_p98", "pm10_p95", "pm25_p95", "co_p95", "o3_mda8_p90",
};
static const char *const pct_label[REP_N_POLS] = {
    "SO2 24-h P98", "NO2 24-h P98", "PM10 24-h P95", "PM2.5 24-h P95", "CO 24-h P95", "O3 MDA8 P90",
};

/* The plan's air targets and, with @per (one GB 3095 edition), the standard's limits. */
static void air_targets(const struct report *r, struct rep_air_period *ap,
                        const struct rep_period *per, int d0, int d1)
{
    struct rep_target *t;
    bool aqi_enough = annual_valid(r, d0, d1, HJ663_PM25, ap->aqi_by_month);
    int n_met = 0, n_not = 0, n_ind_ok = 0, n_ind_bad = 0;

    ap->n_targets = 0;
    t = add_target(ap->targets, &ap->n_targets, "pm25_annual_mean", "PM2.5 annual mean", "µg/m³",
                   "<");
    if (t) {
        t->value = ap->pm25_mean;
        t->target = r->pm25_target;
        t->n_days = ap->pm25_valid_days;
        t->n_days_possible = d1 - d0;
        judge(t, ap->pm25_annual_valid, "too few valid days (GB 3095 Table 4)");
    }
    t = add_target(ap->targets, &ap->n_targets, "good_day_ratio", "Good-day ratio (AQI ≤ 100)", "%",
                   ">=");
    if (t) {
        t->value = ap->good_day_ratio;
        t->target = r->good_day_target;
        t->is_draft = true;
        t->n_days = ap->aqi_valid_days;
        t->n_days_possible = d1 - d0;
        judge(t, aqi_enough, "too few days with a valid AQI");
    }
    if (!per)
        return;
    for (int p = 0; p < REP_N_POLS; p++) {
        const struct rep_pol_stats *s = &ap->pol[p];
        enum gb3095_edition ed = (enum gb3095_edition)per->gb3095_ed;
        int n_rules = 0, rule_met = 0, rule_not = 0, ind_ok = 0, ind_bad = 0;
        double lim;
        for (int k = 0; k < 2; k++) {
            bool is_annual = k == 0;
            if (is_annual && !annual_rule[p])
                continue;
            t = add_target(ap->targets, &ap->n_targets, is_annual ? annual_rule[p] : pct_rule[p],
                           is_annual ? annual_label[p] : pct_label[p],
                           rep_pol_unit((enum rep_pol)p), "<=");
            if (!t)
                continue;
            n_rules++;
            t->kind = "standard";
            t->edition = per->gb3095;
            t->value = is_annual ? s->mean : s->pct_value;
            t->n_days = s->n_valid;
            t->n_days_possible = d1 - d0;
            if (gb3095_limit(ed, gb_pol[p],
                             is_annual     ? GB3095_ANNUAL
                             : p == REP_O3 ? GB3095_8H
                                           : GB3095_24H,
                             GB3095_GRADE_II, &lim) != 0) {
                t->target = NAN;
                t->note = "the edition sets no limit";
                continue;
            }
            t->target = lim;
            judge(t, s->is_valid, "too few valid days (GB 3095 Table 4)");
            rule_met += t->status == REP_MET;
            rule_not += t->status == REP_NOT_MET;
            ind_ok += t->status == REP_MET || (t->has_indicative && t->indicative == REP_MET);
            ind_bad += t->status == REP_NOT_MET || (t->has_indicative && t->indicative != REP_MET);
        }
        if (rule_not)
            n_not++;
        else if (rule_met == n_rules)
            n_met++;
        n_ind_bad += ind_bad > 0;
        n_ind_ok += ind_ok == n_rules;
    }
    t = add_target(ap->targets, &ap->n_targets, "conventional_pollutants",
                   "Conventional pollutants at Grade II", "pollutants", ">=");
    if (t) {
        t->kind = "standard";
        t->edition = per->gb3095;
        t->value = n_met;
        t->target = REP_N_POLS;
        t->n_days = ap->pol[REP_PM25].n_valid;
        t->n_days_possible = d1 - d0;
        if (n_not) {
            t->status = REP_NOT_MET;
        } else {
            judge(t, n_met == REP_N_POLS, "some pollutant lacks valid data");
            /* indicative: from the pollutants' own (indicative) statuses, not from the count */
            t->has_indicative = t->status == REP_INSUFFICIENT && (n_ind_bad || n_ind_ok == 6);
            t->indicative = n_ind_bad ? REP_NOT_MET : REP_MET;
        }
    }
}

static void air_period(const struct report *r, const struct rep_air *a, int d0, int d1,
                       const struct rep_period *per, struct rep_air_period *ap)
{
    memset(ap, 0, sizeof(*ap));
    for (int p = 0; p < REP_N_POLS; p++)
        pol_stats(r, a->daily[p], d0, d1, (enum rep_pol)p, &ap->pol[p]);
    ap->pm25_mean = ap->pol[REP_PM25].mean;
    ap->pm25_valid_days = ap->pol[REP_PM25].n_valid;
    ap->pm25_annual_valid = ap->pol[REP_PM25].is_valid;
    for (int d = d0; d < d1; d++) {
        const struct hj633_band *b = hj633_band_for(a->aqi[d]);
        if (!b)
            continue;
        ap->aqi_valid_days++;
        ap->good_days += hj663_is_good_day(a->aqi[d]);
        ap->level_days[b->level]++;
        ap->aqi_by_month[rep_month_of(r->year, d)]++;
    }
    ap->good_day_ratio = ap->aqi_valid_days ? 100.0 * ap->good_days / ap->aqi_valid_days : NAN;
    air_targets(r, ap, per, d0, d1);
}

static void air_finish(const struct report *r, struct rep_air *a)
{
    for (int m = 0; m < 12; m++) {
        long double sum = 0;
        int n = 0, a0 = month_start(r->year, m);
        for (int d = a0; d < a0 + rep_month_days(r->year, m); d++) {
            if (isfinite(a->daily[REP_PM25][d])) {
                sum += a->daily[REP_PM25][d];
                n++;
            }
        }
        a->monthly_pm25[m] = n ? (double)(sum / n) : NAN;
        a->monthly_pm25_days[m] = n;
    }
    air_period(r, a, 0, r->n_days, r->n_periods == 1 ? &r->periods[0] : NULL, &a->year);
    if (r->n_periods > 1)
        for (size_t i = 0; i < r->n_periods; i++)
            air_period(r, a, r->periods[i].d0, r->periods[i].d1, &r->periods[i], &a->periods[i]);
}

static void add_edition(const char **v, size_t *n, const char *ed)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i], ed) == 0)
            return;
    if (*n < 8)
        v[(*n)++] = ed;
}

void rep_scope_finish(const struct report *r, struct rep_scope *s)
{
    struct rep_target *t;

    s->n_targets = 0;
    s->n_editions = 0;
    if (s->air.has_data) {
        air_finish(r, &s->air);
        /* a split year keeps only the plan's air targets here (no single limit applies) */
        for (size_t i = 0; i < s->air.year.n_targets; i++)
            s->targets[s->n_targets++] = s->air.year.targets[i];
        for (size_t i = 0; i < r->n_periods; i++) {
            add_edition(s->editions, &s->n_editions, r->periods[i].hj633);
            add_edition(s->editions, &s->n_editions, r->periods[i].gb3095);
        }
    }
    if (s->water.has_data) {
        struct rep_water *w = &s->water;
        add_edition(s->editions, &s->n_editions, "GB 3838-2002");
        t = add_target(s->targets, &s->n_targets, "water_no_worse_than_v",
                       "Water: days worse than Class V (劣Ⅴ)", "days", "<=");
        if (t) {
            t->value = w->days_by_class[6];
            t->target = 0;
            t->edition = "GB 3838-2002";
            t->n_days = w->classified_days;
            t->n_days_possible = r->n_days * (s->is_gateway ? s->n_sites[1] : 1);
            judge(t, w->classified_days > 0, "no classified day");
        }
    }
    if (s->noise.has_data) {
        const struct rep_noise_zone *z = &s->noise.all;
        add_edition(s->editions, &s->n_editions, "GB 3096-2008");
        for (int k = 0; k < 2; k++) {
            t = add_target(
                s->targets, &s->n_targets, k ? "noise_night_compliance" : "noise_day_compliance",
                k ? "Noise: nights with Ln ≤ limit" : "Noise: days with Ld ≤ limit", "%", ">=");
            if (!t)
                continue;
            t->value = z->judged ? 100.0 * (k ? z->night_ok : z->day_ok) / z->judged : NAN;
            t->target = r->noise_target;
            t->is_draft = true;
            t->edition = "GB 3096-2008";
            t->n_days = z->judged;
            t->n_days_possible = r->n_days * (s->is_gateway ? s->n_sites[2] : 1);
            judge(t, z->judged > 0,
                  z->days ? "no functional zone, so no limit" : "no day with both Ld and Ln");
        }
    }
    if (s->sewage.has_data) {
        t = add_target(s->targets, &s->n_targets, "sewage_treatment_rate", "Sewage treatment rate",
                       "%", ">=");
        if (t) {
            t->value = s->sewage.rate_pct;
            t->target = r->sewage_target;
            t->is_draft = true;
            t->n_days = s->sewage.days;
            t->n_days_possible = r->n_days;
            judge(t, s->sewage.inflow_m3 > 0, "no inflow recorded");
        }
    }
}

/* ---- the gateway ---- */

struct rep_noise_zone *rep_noise_zone_of(struct rep_noise *n, const char *zone)
{
    for (size_t i = 0; i < n->n_zones; i++)
        if (strcmp(n->zones[i].zone, zone) == 0)
            return &n->zones[i];
    if (n->n_zones == REP_MAX_ZONES)
        return NULL;
    memset(&n->zones[n->n_zones], 0, sizeof(n->zones[0]));
    snprintf(n->zones[n->n_zones].zone, sizeof(n->zones[0].zone), "%s", zone);
    n->zones[n->n_zones].ld_limit = n->zones[n->n_zones].ln_limit = NAN;
    return &n->zones[n->n_zones++];
}

static void gateway_air(struct report *r, struct rep_gw_acc *acc, struct rep_scope *g)
{
    for (int d = 0; d < r->n_days; d++) {
        struct hj633_input in = {0};
        struct hj633_aqi a;
        enum hj633_edition ed;
        unsigned need;
        int m = rep_month_of(r->year, d), any = 0;
        static const int slot[REP_N_IND] = {HJ633_SO2_24H,  HJ633_NO2_24H, HJ633_PM10_24H,
                                            HJ633_PM25_24H, HJ633_CO_24H,  HJ633_O3_1H,
                                            HJ633_O3_8H};

        for (int p = 0; p < REP_N_POLS; p++)
            if (acc->n_pol[p][d])
                g->air.daily[p][d] = acc->pol[p][d] / acc->n_pol[p][d];
        if (acc->n_ind[REP_IND_O3_8H][d])
            g->air.daily[REP_O3][d] = acc->ind[REP_IND_O3_8H][d] / acc->n_ind[REP_IND_O3_8H][d];
        for (int i = 0; i < REP_N_IND; i++) {
            if (!acc->n_ind[i][d])
                continue;
            in.conc[slot[i]] = acc->ind[i][d] / acc->n_ind[i][d];
            in.present[slot[i]] = true;
            any++;
        }
        if (!any || hj633_edition_for_day(r->year, m + 1, d - month_start(r->year, m) + 1, &ed))
            continue;
        if (hj633_aqi_daily(ed, &in, &a) != 0)
            continue;
        /* the rollup's rule for a site day (rollup.c aqi_day): every indicator of the set */
        need = HJ633_BIT(HJ633_SO2_24H) | HJ633_BIT(HJ633_NO2_24H) | HJ633_BIT(HJ633_PM10_24H) |
               HJ633_BIT(HJ633_PM25_24H) | HJ633_BIT(HJ633_CO_24H) | HJ633_BIT(HJ633_O3_8H);
        if (ed == HJ633_2012)
            need |= HJ633_BIT(HJ633_O3_1H);
        if ((a.missing & need) && !(ed == HJ633_2026 && a.aqi > 100))
            continue;
        g->air.aqi[d] = a.aqi;
        if (a.aqi > 50) {
            size_t n = 0;
            for (int p = 0; p < HJ633_N_POLLUTANTS; p++) {
                static const enum hj633_pollutant order[] = {HJ633_SO2,  HJ633_NO2, HJ633_PM10,
                                                             HJ633_PM25, HJ633_CO,  HJ633_O3};
                if (!(a.primary & HJ633_BIT(order[p])))
                    continue;
                int k = snprintf(g->air.primary[d] + n, sizeof(g->air.primary[d]) - n, "%s%s",
                                 n ? "+" : "", hj633_pollutant_name(order[p]));
                if (k < 0 || (size_t)k >= sizeof(g->air.primary[d]) - n)
                    break;
                n += (size_t)k;
            }
        }
    }
}

void rep_gateway_add_site(struct report *r, struct rep_gw_acc *acc, struct rep_scope *g,
                          const struct rep_scope *s)
{
    if (s->air.has_data) {
        g->air.has_data = true;
        acc->n_air_sites++;
        for (int p = 0; p < REP_N_POLS - 1; p++)
            for (int d = 0; d < r->n_days; d++)
                if (isfinite(s->air.daily[p][d])) {
                    acc->pol[p][d] += s->air.daily[p][d];
                    acc->n_pol[p][d]++;
                }
    }
    if (s->water.has_data) {
        struct rep_water *w = &g->water;
        acc->n_water_sites++;
        w->has_data = true;
        for (int c = 1; c <= 6; c++)
            w->days_by_class[c] += s->water.days_by_class[c];
        w->classified_days += s->water.classified_days;
        w->partial_days += s->water.partial_days;
        w->n_samples += s->water.n_samples;
        if (s->water.worst_day_class > w->worst_day_class)
            w->worst_day_class = s->water.worst_day_class;
        if (s->water.worst_sample_class > w->worst_sample_class)
            w->worst_sample_class = s->water.worst_sample_class;
        /* the district's day: its worst site */
        for (int d = 0; d < r->n_days; d++) {
            if (s->water.cls[d] > w->cls[d])
                w->cls[d] = s->water.cls[d];
            if (s->water.worst_sample[d] > w->worst_sample[d])
                w->worst_sample[d] = s->water.worst_sample[d];
        }
    }
    if (s->noise.has_data) {
        struct rep_noise *n = &g->noise;
        acc->n_noise_sites++;
        n->has_data = true;
        for (size_t i = 0; i < s->noise.n_zones; i++) {
            const struct rep_noise_zone *a = &s->noise.zones[i];
            struct rep_noise_zone *z = rep_noise_zone_of(n, a->zone);
            struct rep_noise_zone *parts[2] = {z, &n->all};
            for (int k = 0; k < 2; k++) {
                struct rep_noise_zone *b = parts[k];
                if (!b)
                    continue;
                b->days += a->days;
                b->judged += a->judged;
                b->day_ok += a->day_ok;
                b->night_ok += a->night_ok;
                b->lmax_over += a->lmax_over;
                if (isfinite(a->ld_limit) && k == 0) {
                    b->ld_limit = a->ld_limit;
                    b->ln_limit = a->ln_limit;
                }
            }
            if (z)
                z->n_sites++;
        }
        n->all.n_sites++;
    }
    if (s->waste.has_data) {
        struct rep_waste *w = &g->waste;
        acc->n_waste_sites++;
        w->has_data = true;
        for (int c = 1; c <= REP_N_WASTE; c++)
            w->kg[c] += s->waste.kg[c];
        w->total_kg += s->waste.total_kg;
        if (s->waste.days > w->days)
            w->days = s->waste.days;
        w->overflow_events += s->waste.overflow_events;
        w->hazard_events += s->waste.hazard_events;
    }
    if (s->sewage.has_data) {
        acc->n_sewage_sites++;
        g->sewage.has_data = true;
        g->sewage.inflow_m3 += s->sewage.inflow_m3;
        g->sewage.treated_m3 += s->sewage.treated_m3;
        if (s->sewage.days > g->sewage.days)
            g->sewage.days = s->sewage.days;
    }
}

void rep_gateway_finish(struct report *r, struct rep_gw_acc *acc)
{
    struct rep_scope *g = &r->gateway_scope;

    g->n_sites[0] = acc->n_air_sites;
    g->n_sites[1] = acc->n_water_sites;
    g->n_sites[2] = acc->n_noise_sites;
    g->n_sites[3] = acc->n_waste_sites;
    g->n_sites[4] = acc->n_sewage_sites;
    if (g->air.has_data)
        gateway_air(r, acc, g);
    for (int d = 0; d < r->n_days; d++)
        if (g->water.cls[d] == 0)
            g->water.worst_sample[d] = 0;
    g->waste.wet_share = g->waste.total_kg > 0 ? g->waste.kg[3] / g->waste.total_kg : NAN;
    g->sewage.rate_pct =
        g->sewage.inflow_m3 > 0 ? 100.0 * g->sewage.treated_m3 / g->sewage.inflow_m3 : NAN;
    rep_scope_finish(r, g);
    if (g->water.has_data)
        add_edition(r->editions, &r->n_editions, "GB 3838-2002");
    if (g->noise.has_data)
        add_edition(r->editions, &r->n_editions, "GB 3096-2008");
}

/* ---- the year ---- */

static int year_periods(struct report *r)
{
    int prev_h = -1, prev_g = -1;

    r->n_periods = 0;
    for (int d = 0; d < r->n_days; d++) {
        int m = rep_month_of(r->year, d), day = d - month_start(r->year, m) + 1;
        enum hj633_edition h;
        enum gb3095_edition g;
        struct rep_period *p;
        if (hj633_edition_for_day(r->year, m + 1, day, &h) ||
            gb3095_edition_for_day(r->year, m + 1, day, &g))
            return COL_ERR_INVAL;
        if ((int)h == prev_h && (int)g == prev_g) {
            r->periods[r->n_periods - 1].d1 = d + 1;
            continue;
        }
        if (r->n_periods == REP_MAX_PERIODS)
            return COL_ERR_RANGE;
        p = &r->periods[r->n_periods++];
        p->d0 = d;
        p->d1 = d + 1;
        p->hj633 = hj633_edition_name(h);
        p->gb3095 = gb3095_edition_name(g);
        p->gb3095_ed = (int)g;
        prev_h = (int)h;
        prev_g = (int)g;
    }
    for (size_t i = 0; i < r->n_periods; i++) {
        struct rep_period *p = &r->periods[i];
        rep_day_name(r->year, p->d0, p->from);
        if (p->d1 == r->n_days)
            snprintf(p->to, sizeof(p->to), "%04u-01-01", (unsigned)(r->year + 1) % 10000u);
        else
            rep_day_name(r->year, p->d1, p->to);
        add_edition(r->editions, &r->n_editions, p->hj633);
        add_edition(r->editions, &r->n_editions, p->gb3095);
    }
    return 0;
}

int rep_model_init(struct report *r, const struct config *cfg, int year)
{
    time_t now = time(NULL);
    struct tm tm;
    char z[8];

    r->year = year;
    r->n_days = civil_is_leap(year) ? 366 : 365;
    snprintf(r->from, sizeof(r->from), "%04u-01-01", (unsigned)year % 10000u);
    snprintf(r->to, sizeof(r->to), "%04u-01-01", (unsigned)(year + 1) % 10000u);
    snprintf(r->gateway, sizeof(r->gateway), "%s", cfg->gateway.id ? cfg->gateway.id : "");
    snprintf(r->timezone, sizeof(r->timezone), "%s",
             cfg->gateway.timezone ? cfg->gateway.timezone : "");
    localtime_r(&now, &tm);
    strftime(r->generated_at, sizeof(r->generated_at), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof(z), "%z", &tm);
    {
        size_t n = strlen(r->generated_at);
        snprintf(r->generated_at + n, sizeof(r->generated_at) - n, "%.3s:%.2s", z, z + 3);
    }
    r->pm25_target = cfg->report.pm25_target;
    r->good_day_target = cfg->report.good_day_target;
    r->sewage_target = cfg->report.sewage_target;
    r->noise_target = NOISE_TARGET_PCT;
    return year_periods(r);
}

size_t report_n_sites(const struct report *r)
{
    return r ? r->n_sites : 0;
}

int report_write(const struct report *r, enum report_format fmt, FILE *out)
{
    switch (fmt) {
    case REPORT_JSON:
        return report_json_write(r, out);
    case REPORT_HTML:
        return report_html_write(r, out);
    default:
        return report_text_write(r, out);
    }
}
