/*
 * The report as terminal text: a header with the editions and the draft
 * targets, then the gateway and each site with an aligned target table
 * (✓ met, ✗ NOT MET, ? insufficient) and the figures behind it. Values are
 * rounded for reading only; the JSON keeps full precision. Columns are
 * padded by display width, so Chinese names and µg/m³ keep the table
 * straight.
 */
#include "report_int.h"
#include "col_err.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Display width of UTF-8 @s: East Asian wide characters count 2. */
static int disp_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;

    while (*p) {
        unsigned cp;
        int len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1fu;
            len = 2;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0fu;
            len = 3;
        } else {
            cp = *p & 0x07u;
            len = 4;
        }
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                len = i;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        p += len;
        w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                     (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                     (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                     (cp >= 0xffe0 && cp <= 0xffe6)
                 ? 2
                 : 1;
    }
    return w;
}

/* Print @s padded with spaces to @width columns (left-aligned, or right with @is_right). */
static void cell(FILE *f, const char *s, int width, bool is_right)
{
    int pad = width - disp_width(s);

    if (is_right)
        for (int i = 0; i < pad; i++)
            fputc(' ', f);
    fputs(s, f);
    if (!is_right)
        for (int i = 0; i < pad; i++)
            fputc(' ', f);
}

static void fmt_num(char *buf, size_t n, double v, int decimals, const char *unit)
{
    if (!isfinite(v))
        snprintf(buf, n, "—");
    else if (*unit)
        snprintf(buf, n, "%.*f %s", decimals, v, unit);
    else
        snprintf(buf, n, "%.*f", decimals, v);
}

static const char *status_text(const struct rep_target *t)
{
    switch (t->status) {
    case REP_MET:
        return "✓ met";
    case REP_NOT_MET:
        return "✗ NOT MET";
    default:
        if (t->has_indicative)
            return t->indicative == REP_MET ? "? insufficient (✓)" : "? insufficient (✗)";
        return "? insufficient";
    }
}

/* Print a string from data without control characters (a site name must not drive the terminal). */
static void clean(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void targets_table(FILE *f, const struct rep_target *t, size_t n)
{
    char v[48], tg[48], days[24];

    if (n == 0) {
        fprintf(f, "  no target applies (the plan sets no number for these figures)\n");
        return;
    }
    fprintf(f, "  ");
    cell(f, "target", 44, false);
    cell(f, "value", 16, true);
    fprintf(f, "  ");
    cell(f, "target", 14, false);
    cell(f, "status", 20, false);
    cell(f, "days", 9, true);
    fprintf(f, "  edition\n");
    for (size_t i = 0; i < n; i++) {
        const struct rep_target *x = &t[i];
        char label[80], tnum[32];
        int dec = rep_unit_decimals(x->unit);
        snprintf(label, sizeof(label), "%s%s", x->label, x->is_draft ? " [draft]" : "");
        fmt_num(v, sizeof(v), x->value, dec, x->unit);
        if (isfinite(x->target))
            snprintf(tnum, sizeof(tnum), "%g", x->target);
        else
            snprintf(tnum, sizeof(tnum), "—");
        snprintf(tg, sizeof(tg), "%s %s", x->cmp, tnum);
        if (x->n_days_possible)
            snprintf(days, sizeof(days), "%d/%d", x->n_days, x->n_days_possible);
        else
            days[0] = '\0';
        fprintf(f, "  ");
        cell(f, label, 44, false);
        cell(f, v, 16, true);
        fprintf(f, "  ");
        cell(f, tg, 14, false);
        cell(f, status_text(x), 20, false);
        cell(f, days, 9, true);
        fprintf(f, "  %s\n", x->edition ? x->edition : "plan");
    }
}

static void pct(char *buf, size_t n, int part, int whole)
{
    if (whole > 0)
        snprintf(buf, n, "%.1f %%", 100.0 * part / whole);
    else
        snprintf(buf, n, "—");
}

static void air_section(FILE *f, const struct report *r, const struct rep_scope *s)
{
    static const char *const level_cn[7] = {"", "优", "良", "轻度", "中度", "重度", "严重"};
    const struct rep_air *a = &s->air;
    const struct rep_air_period *y = &a->year;
    char buf[48], b2[40];

    fprintf(f, "\n  Air quality (daily AQI per %s)\n",
            r->n_periods > 1 ? "day's edition" : "HJ 633");
    fprintf(f, "    AQI days by level:");
    for (int l = 1; l <= 6; l++)
        fprintf(f, "  %s %d", level_cn[l], y->level_days[l]);
    pct(buf, sizeof(buf), y->aqi_valid_days, r->n_days);
    fprintf(f, "   (valid AQI on %d of %d days, %s)\n", y->aqi_valid_days, r->n_days, buf);
    fprintf(f, "    ");
    cell(f, "pollutant", 10, false);
    cell(f, "valid days", 11, true);
    cell(f, "complete", 10, true);
    cell(f, "annual mean", 16, true);
    cell(f, "percentile", 22, true);
    fprintf(f, "  annual validity\n");
    for (int p = 0; p < REP_N_POLS; p++) {
        const struct rep_pol_stats *ps = &y->pol[p];
        char days[16], pname[24];
        snprintf(days, sizeof(days), "%d", ps->n_valid);
        snprintf(pname, sizeof(pname), "%s%s", rep_pol_label((enum rep_pol)p),
                 p == REP_O3 ? " MDA8" : "");
        fprintf(f, "    ");
        cell(f, pname, 10, false);
        cell(f, days, 11, true);
        pct(buf, sizeof(buf), ps->n_valid, r->n_days);
        cell(f, buf, 10, true);
        fmt_num(buf, sizeof(buf), ps->mean, p == REP_CO ? 2 : 1, rep_pol_unit((enum rep_pol)p));
        cell(f, buf, 16, true);
        fmt_num(b2, sizeof(b2), ps->pct_value, p == REP_CO ? 2 : 1, rep_pol_unit((enum rep_pol)p));
        snprintf(buf, sizeof(buf), "P%d %s", ps->pct % 100, b2);
        cell(f, buf, 22, true);
        fprintf(f, "  %s\n", ps->is_valid ? "valid" : "too few days");
    }
    fprintf(f, "    Monthly PM2.5 mean (µg/m³):");
    for (int m = 0; m < 12; m++) {
        if (isfinite(a->monthly_pm25[m]))
            fprintf(f, " %.0f", a->monthly_pm25[m]);
        else
            fprintf(f, " —");
    }
    fprintf(f, "\n");
    if (r->n_periods > 1) {
        for (size_t i = 0; i < r->n_periods; i++) {
            const struct rep_period *per = &r->periods[i];
            const struct rep_air_period *ap = &a->periods[i];
            fmt_num(buf, sizeof(buf), ap->pm25_mean, 1, "µg/m³");
            fmt_num(b2, sizeof(b2), ap->good_day_ratio, 1, "%");
            fprintf(f, "\n  Period %s .. %s (%s, %s): PM2.5 %s over %d days, good days %s of %d\n",
                    per->from, per->to, per->hj633, per->gb3095, buf, ap->pm25_valid_days, b2,
                    ap->aqi_valid_days);
            targets_table(f, ap->targets, ap->n_targets);
        }
    }
}

static void water_section(FILE *f, const struct report *r, const struct rep_scope *s)
{
    static const char *const cls[7] = {"", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"};
    const struct rep_water *w = &s->water;
    int possible = r->n_days * (s->is_gateway ? s->n_sites[1] : 1);
    char buf[32];

    pct(buf, sizeof(buf), w->classified_days, possible);
    fprintf(f, "\n  Surface water (GB 3838-2002, single-factor class of the daily means)\n");
    fprintf(f, "    days by class:");
    for (int c = 1; c <= 6; c++)
        fprintf(f, "  %s %d", cls[c], w->days_by_class[c]);
    fprintf(f, "\n    classified %sdays %d of %d (%s), %d partial (fewer than 21 items)\n",
            s->is_gateway ? "site-" : "", w->classified_days, possible, buf, w->partial_days);
    fprintf(f, "    worst day class %s, worst sample class %s (%ld samples)\n",
            cls[w->worst_day_class], w->worst_sample_class ? cls[w->worst_sample_class] : "—",
            w->n_samples);
}

static void noise_zone_line(FILE *f, const struct rep_noise_zone *z, bool with_sites)
{
    char d[24], n[24], zone[24], lim[32];

    pct(d, sizeof(d), z->day_ok, z->judged);
    pct(n, sizeof(n), z->night_ok, z->judged);
    snprintf(zone, sizeof(zone), "zone %s", *z->zone ? z->zone : "?");
    if (isfinite(z->ld_limit))
        snprintf(lim, sizeof(lim), "%.0f/%.0f dB(A)", z->ld_limit, z->ln_limit);
    else
        snprintf(lim, sizeof(lim), "no limit");
    fprintf(f, "    ");
    cell(f, zone, 10, false);
    if (with_sites)
        fprintf(f, "%2d site%s  ", z->n_sites, z->n_sites == 1 ? " " : "s");
    fprintf(f,
            "limits %-14s days with Ld+Ln %4d   day ok %9s   night ok %9s   night Lmax over %d\n",
            lim, z->days, d, n, z->lmax_over);
}

static void noise_section(FILE *f, const struct rep_scope *s)
{
    fprintf(f, "\n  Noise (GB 3096-2008, Ld 06-22 h, Ln 22-06 h)\n");
    if (s->is_gateway) {
        for (size_t i = 0; i < s->noise.n_zones; i++)
            noise_zone_line(f, &s->noise.zones[i], true);
    } else {
        noise_zone_line(f, &s->noise.all, false);
    }
}

static void waste_section(FILE *f, const struct rep_waste *w)
{
    char buf[32];

    fprintf(f, "\n  Household waste sorting (deposited kg per Shanghai category)\n    ");
    for (int c = 1; c <= REP_N_WASTE; c++)
        fprintf(f, "%s %.1f kg   ", rep_waste_id(c), w->kg[c]);
    fmt_num(buf, sizeof(buf), 100.0 * w->wet_share, 1, "%");
    fprintf(f,
            "\n    total %.1f kg, wet share %s; days with data %d; overflow events %ld; "
            "hazardous-waste events %ld\n",
            w->total_kg, buf, w->days, w->overflow_events, w->hazard_events);
}

static void sewage_section(FILE *f, const struct rep_sewage *s)
{
    char buf[32];

    fmt_num(buf, sizeof(buf), s->rate_pct, 2, "%");
    fprintf(f, "\n  Sewage: inflow %.0f m³, treated %.0f m³, rate %s (days with both: %d)\n",
            s->inflow_m3, s->treated_m3, buf, s->days);
}

static void scope_text(FILE *f, const struct report *r, const struct rep_scope *s)
{
    fprintf(f, "\n══ ");
    if (s->is_gateway) {
        fprintf(f, "Gateway ");
        clean(f, s->name);
        fprintf(f, ": %d air, %d water, %d noise, %d waste, %d sewage site(s)", s->n_sites[0],
                s->n_sites[1], s->n_sites[2], s->n_sites[3], s->n_sites[4]);
    } else {
        fprintf(f, "Site ");
        clean(f, s->name);
        if (s->display_name) {
            fprintf(f, " · ");
            clean(f, s->display_name);
        }
        if (s->street && (!s->display_name || strcmp(s->street, s->display_name) != 0)) {
            fprintf(f, " · ");
            clean(f, s->street);
        }
        if (s->kind) {
            fprintf(f, " (");
            clean(f, s->kind);
            fprintf(f, ")");
        }
    }
    fprintf(f, " ══\n  standards: ");
    for (size_t i = 0; i < s->n_editions; i++)
        fprintf(f, "%s%s", i ? ", " : "", s->editions[i]);
    fprintf(f, "%s\n", s->n_editions ? "" : "—");
    if (s->is_gateway && s->air.has_data)
        fprintf(f, "  district daily values are the means of the sites' valid daily values\n");
    if (r->n_periods > 1 && s->air.has_data)
        fprintf(f,
                "  %d straddles a standards switch: the air limits are judged per period "
                "below\n",
                r->year);
    fprintf(f, "\n");
    targets_table(f, s->targets, s->n_targets);
    if (s->air.has_data)
        air_section(f, r, s);
    if (s->water.has_data)
        water_section(f, r, s);
    if (s->noise.has_data)
        noise_section(f, s);
    if (s->waste.has_data)
        waste_section(f, &s->waste);
    if (s->sewage.has_data)
        sewage_section(f, &s->sewage);
}

int report_text_write(const struct report *r, FILE *f)
{
    fprintf(f, "Compliance report %d · gateway ", r->year);
    clean(f, r->gateway);
    fprintf(f, " · %s\n", r->timezone);
    fprintf(f, "generated %s; days are local calendar days; %zu site(s) with data\n",
            r->generated_at, r->n_sites);
    fprintf(f, "standards in force in %d: ", r->year);
    for (size_t i = 0; i < r->n_editions; i++)
        fprintf(f, "%s%s", i ? ", " : "", r->editions[i]);
    fprintf(f,
            "\nplan targets: PM2.5 annual mean < %g µg/m³; draft values (the plan masks "
            "them as ##): good-day ratio >= %g %%, sewage treatment >= %g %%, noise "
            "compliance >= %g %%\n",
            r->pm25_target, r->good_day_target, r->sewage_target, r->noise_target);
    if (r->n_periods > 1) {
        fprintf(f,
                "NOTE: %d straddles a standards switch and is split into periods; PM2.5, "
                "the good-day ratio and pollutant attainment are computed for each:\n",
                r->year);
        for (size_t i = 0; i < r->n_periods; i++)
            fprintf(f, "  %s .. %s (exclusive): %s, %s\n", r->periods[i].from, r->periods[i].to,
                    r->periods[i].hj633, r->periods[i].gb3095);
    }
    if (r->n_sites == 0)
        fprintf(f, "\nNo site has data in %d.\n", r->year);
    else
        scope_text(f, r, &r->gateway_scope);
    for (size_t i = 0; i < r->n_sites; i++)
        scope_text(f, r, &r->sites[i]);
    return ferror(f) ? COL_ERR_IO : 0;
}
