/*
 * The report as JSON: the contract with the district data team, every
 * field documented in docs/report.md. Numbers keep full double precision
 * (nothing is rounded for display here); a figure that does not exist is
 * null, never 0. Built as a cJSON tree so that escaping is never ours to
 * get wrong; an allocation failure anywhere is remembered and reported once.
 */
#include "report_int.h"
#include "col_err.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define REPORT_FORMAT_VERSION 1

struct jb {
    bool is_oom;
};

static void put(struct jb *b, cJSON *o, const char *k, cJSON *x)
{
    if (!x || !o || !cJSON_AddItemToObject(o, k, x)) {
        cJSON_Delete(x);
        b->is_oom = true;
    }
}

static void push(struct jb *b, cJSON *a, cJSON *x)
{
    if (!x || !a || !cJSON_AddItemToArray(a, x)) {
        cJSON_Delete(x);
        b->is_oom = true;
    }
}

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void put_num(struct jb *b, cJSON *o, const char *k, double v)
{
    put(b, o, k, num(v));
}

static void put_str(struct jb *b, cJSON *o, const char *k, const char *s)
{
    put(b, o, k, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static void put_bool(struct jb *b, cJSON *o, const char *k, bool v)
{
    put(b, o, k, cJSON_CreateBool(v));
}

static double pct_of(int part, int whole)
{
    return whole > 0 ? 100.0 * part / whole : NAN;
}

/* The database's unit spelling (device profiles), plain ASCII for the data team. */
static const char *json_unit(const char *u)
{
    if (strcmp(u, "µg/m³") == 0)
        return "ug/m3";
    if (strcmp(u, "mg/m³") == 0)
        return "mg/m3";
    return u;
}

static cJSON *targets_json(struct jb *b, const struct rep_target *t, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++) {
        const struct rep_target *x = &t[i];
        cJSON *o = cJSON_CreateObject();
        put_str(b, o, "rule", x->rule);
        put_num(b, o, "value", x->value);
        put_num(b, o, "target", x->target);
        put_str(b, o, "status", rep_status_id(x->status));
        if (x->is_draft)
            put_bool(b, o, "draft", true);
        put_str(b, o, "comparison", x->cmp);
        put_str(b, o, "unit", json_unit(x->unit));
        put_str(b, o, "kind", x->kind);
        put_str(b, o, "edition", x->edition);
        put_str(b, o, "label", x->label);
        put_num(b, o, "days", x->n_days);
        put_num(b, o, "days_possible", x->n_days_possible);
        if (x->note && x->status == REP_INSUFFICIENT)
            put_str(b, o, "note", x->note);
        if (x->has_indicative && x->status == REP_INSUFFICIENT)
            put_str(b, o, "indicative_status", rep_status_id(x->indicative));
        push(b, a, o);
    }
    if (!a)
        b->is_oom = true;
    return a;
}

static cJSON *int_array(struct jb *b, const int *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++)
        push(b, a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *strings(struct jb *b, const char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++)
        push(b, a, cJSON_CreateString(v[i]));
    return a;
}

/* An object keyed "1" .. "6" from @v[1..6]: days by AQI level or by water class. */
static cJSON *by_grade(struct jb *b, const int v[7])
{
    cJSON *o = cJSON_CreateObject();

    for (int k = 1; k <= 6; k++) {
        char key[4];
        snprintf(key, sizeof(key), "%d", k);
        put_num(b, o, key, v[k]);
    }
    return o;
}

/* A water class, null for 0 (none). */
static void put_class(struct jb *b, cJSON *o, const char *k, int cls)
{
    if (cls)
        put_num(b, o, k, cls);
    else
        put(b, o, k, cJSON_CreateNull());
}

/* The air headline fields, shared by a scope, its periods and the gateway. */
static void air_fields(struct jb *b, cJSON *o, const struct rep_air_period *ap)
{
    put_num(b, o, "pm25_annual_mean", ap->pm25_mean);
    put_num(b, o, "pm25_valid_days", ap->pm25_valid_days);
    put_bool(b, o, "pm25_annual_valid", ap->pm25_annual_valid);
    put_num(b, o, "good_day_ratio", ap->good_day_ratio);
    put_num(b, o, "aqi_valid_days", ap->aqi_valid_days);
    put_num(b, o, "good_days", ap->good_days);
}

static cJSON *air_json(struct jb *b, const struct report *r, const struct rep_air *a)
{
    const struct rep_air_period *y = &a->year;
    cJSON *o = cJSON_CreateObject(), *pols = cJSON_CreateObject();
    cJSON *mon = cJSON_CreateArray();

    put(b, o, "aqi_days_by_level", by_grade(b, y->level_days));
    put_num(b, o, "aqi_completeness_pct", pct_of(y->aqi_valid_days, r->n_days));
    for (int p = 0; p < REP_N_POLS; p++) {
        const struct rep_pol_stats *s = &y->pol[p];
        cJSON *x = cJSON_CreateObject();
        put_str(b, x, "unit", json_unit(rep_pol_unit((enum rep_pol)p)));
        put_str(b, x, "daily_statistic", p == REP_O3 ? "mda8" : "24h_mean");
        put_num(b, x, "valid_days", s->n_valid);
        put_num(b, x, "completeness_pct", pct_of(s->n_valid, r->n_days));
        put(b, x, "valid_days_by_month", int_array(b, s->by_month, 12));
        put_num(b, x, "annual_mean", s->mean);
        put_num(b, x, "percentile", s->pct);
        put_num(b, x, "percentile_value", s->pct_value);
        put_bool(b, x, "annual_valid", s->is_valid);
        put(b, pols, rep_pol_id((enum rep_pol)p), x);
    }
    put(b, o, "pollutants", pols);
    for (int m = 0; mon && m < 12; m++)
        push(b, mon, num(a->monthly_pm25[m]));
    put(b, o, "monthly_pm25_mean", mon);
    put(b, o, "monthly_pm25_days", int_array(b, a->monthly_pm25_days, 12));
    return o;
}

static cJSON *periods_json(struct jb *b, const struct report *r, const struct rep_air *a)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr && i < r->n_periods; i++) {
        const struct rep_period *per = &r->periods[i];
        const struct rep_air_period *ap = &a->periods[i];
        const char *eds[2] = {per->hj633, per->gb3095};
        cJSON *o = cJSON_CreateObject();
        put_str(b, o, "from", per->from);
        put_str(b, o, "to", per->to);
        put_num(b, o, "days", per->d1 - per->d0);
        put(b, o, "standard_editions", strings(b, eds, 2));
        air_fields(b, o, ap);
        put(b, o, "targets", targets_json(b, ap->targets, ap->n_targets));
        push(b, arr, o);
    }
    return arr;
}

static cJSON *water_json(struct jb *b, const struct report *r, const struct rep_water *w)
{
    cJSON *o = cJSON_CreateObject();

    put(b, o, "days_by_class", by_grade(b, w->days_by_class));
    put_num(b, o, "classified_days", w->classified_days);
    put_num(b, o, "completeness_pct", pct_of(w->classified_days, r->n_days));
    put_num(b, o, "worse_than_v_days", w->days_by_class[6]);
    put_num(b, o, "partial_days", w->partial_days);
    put_class(b, o, "worst_day_class", w->worst_day_class);
    put_class(b, o, "worst_sample_class", w->worst_sample_class);
    put_num(b, o, "samples", (double)w->n_samples);
    return o;
}

static void zone_fields(struct jb *b, cJSON *o, const struct rep_noise_zone *z)
{
    put_num(b, o, "days_with_ld_ln", z->days);
    put_num(b, o, "judged_days", z->judged);
    put_num(b, o, "day_compliant_days", z->day_ok);
    put_num(b, o, "night_compliant_days", z->night_ok);
    put_num(b, o, "day_compliance_pct", pct_of(z->day_ok, z->judged));
    put_num(b, o, "night_compliance_pct", pct_of(z->night_ok, z->judged));
    put_num(b, o, "night_lmax_exceedance_days", z->lmax_over);
    put_num(b, o, "ld_limit", z->ld_limit);
    put_num(b, o, "ln_limit", z->ln_limit);
}

static cJSON *noise_json(struct jb *b, const struct rep_scope *s)
{
    const struct rep_noise *n = &s->noise;
    cJSON *o = cJSON_CreateObject();

    if (!s->is_gateway)
        put_str(b, o, "zone", *n->all.zone ? n->all.zone : NULL);
    zone_fields(b, o, &n->all);
    if (s->is_gateway) {
        cJSON *zs = cJSON_CreateArray();
        for (size_t i = 0; zs && i < n->n_zones; i++) {
            cJSON *z = cJSON_CreateObject();
            put_str(b, z, "zone", *n->zones[i].zone ? n->zones[i].zone : NULL);
            put_num(b, z, "sites", n->zones[i].n_sites);
            zone_fields(b, z, &n->zones[i]);
            push(b, zs, z);
        }
        put(b, o, "zones", zs);
    }
    return o;
}

static cJSON *waste_json(struct jb *b, const struct rep_waste *w)
{
    cJSON *o = cJSON_CreateObject(), *kg = cJSON_CreateObject();

    for (int c = 1; c <= REP_N_WASTE; c++)
        put_num(b, kg, rep_waste_id(c), w->kg[c]);
    put(b, o, "deposited_kg", kg);
    put_num(b, o, "total_kg", w->total_kg);
    put_num(b, o, "wet_share", w->wet_share);
    put_num(b, o, "days", w->days);
    put_num(b, o, "overflow_events", (double)w->overflow_events);
    put_num(b, o, "hazard_events", (double)w->hazard_events);
    return o;
}

static cJSON *sewage_json(struct jb *b, const struct rep_sewage *s)
{
    cJSON *o = cJSON_CreateObject();

    put_num(b, o, "inflow_m3", s->inflow_m3);
    put_num(b, o, "treated_m3", s->treated_m3);
    put_num(b, o, "treatment_rate_pct", s->rate_pct);
    put_num(b, o, "days", s->days);
    return o;
}

static cJSON *scope_json(struct jb *b, const struct report *r, const struct rep_scope *s)
{
    cJSON *o = cJSON_CreateObject();

    if (s->is_gateway) {
        cJSON *n = cJSON_CreateObject();
        static const char *const kinds[5] = {"air", "water", "noise", "waste", "sewage"};
        put_str(b, o, "gateway", s->name);
        for (int i = 0; i < 5; i++)
            put_num(b, n, kinds[i], s->n_sites[i]);
        put(b, o, "sites", n);
        put_str(b, o, "method",
                "district daily value = mean of the sites' valid daily values; district daily "
                "AQI recomputed from those means; water and noise pooled over site-days");
    } else {
        put_str(b, o, "site", s->name);
        put_str(b, o, "display_name", s->display_name);
        put_str(b, o, "street", s->street);
        put_str(b, o, "kind", s->kind);
        put_str(b, o, "noise_zone", s->noise_zone);
        put_str(b, o, "water_body", s->water_body);
    }
    put_num(b, o, "year", r->year);
    air_fields(b, o, &s->air.year);
    put(b, o, "standard_editions", strings(b, s->editions, s->n_editions));
    put(b, o, "targets", targets_json(b, s->targets, s->n_targets));
    if (s->air.has_data) {
        put(b, o, "air", air_json(b, r, &s->air));
        if (r->n_periods > 1)
            put(b, o, "periods", periods_json(b, r, &s->air));
    }
    if (s->water.has_data)
        put(b, o, "water", water_json(b, r, &s->water));
    if (s->noise.has_data)
        put(b, o, "noise", noise_json(b, s));
    if (s->waste.has_data)
        put(b, o, "waste", waste_json(b, &s->waste));
    if (s->sewage.has_data)
        put(b, o, "sewage", sewage_json(b, &s->sewage));
    return o;
}

int report_json_write(const struct report *r, FILE *f)
{
    struct jb b = {0};
    cJSON *top = cJSON_CreateObject(), *per = cJSON_CreateArray(), *sites = cJSON_CreateArray();
    cJSON *tg = cJSON_CreateObject();
    char *text = NULL;
    int rc = COL_ERR_NOMEM;

    put_num(&b, top, "report_format", REPORT_FORMAT_VERSION);
    put_str(&b, top, "gateway", r->gateway);
    put_num(&b, top, "year", r->year);
    put_str(&b, top, "generated_at", r->generated_at);
    put_str(&b, top, "timezone", r->timezone);
    put_str(&b, top, "from", r->from);
    put_str(&b, top, "to", r->to);
    put_num(&b, top, "days_in_year", r->n_days);
    put(&b, top, "standard_editions", strings(&b, r->editions, r->n_editions));
    put_bool(&b, top, "split", r->n_periods > 1);
    for (size_t i = 0; per && i < r->n_periods; i++) {
        cJSON *o = cJSON_CreateObject();
        put_str(&b, o, "from", r->periods[i].from);
        put_str(&b, o, "to", r->periods[i].to);
        put_num(&b, o, "days", r->periods[i].d1 - r->periods[i].d0);
        put_str(&b, o, "hj633", r->periods[i].hj633);
        put_str(&b, o, "gb3095", r->periods[i].gb3095);
        push(&b, per, o);
    }
    put(&b, top, "periods", per);
    put_num(&b, tg, "pm25_target", r->pm25_target);
    put_num(&b, tg, "good_day_target", r->good_day_target);
    put_bool(&b, tg, "good_day_target_draft", true);
    put_num(&b, tg, "sewage_target", r->sewage_target);
    put_bool(&b, tg, "sewage_target_draft", true);
    put_num(&b, tg, "noise_compliance_target", r->noise_target);
    put_bool(&b, tg, "noise_compliance_target_draft", true);
    put(&b, top, "plan_targets", tg);
    for (size_t i = 0; sites && i < r->n_sites; i++)
        push(&b, sites, scope_json(&b, r, &r->sites[i]));
    put(&b, top, "sites", sites);
    put(&b, top, "gateway_summary", scope_json(&b, r, &r->gateway_scope));
    if (b.is_oom)
        goto out;
    text = cJSON_Print(top);
    if (!text)
        goto out;
    rc = fputs(text, f) < 0 || fputc('\n', f) == EOF || ferror(f) ? COL_ERR_IO : 0;
out:
    cJSON_free(text);
    cJSON_Delete(top);
    return rc;
}
