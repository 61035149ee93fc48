/*
 * The report as one self-contained HTML page for the operations centre:
 * summary cards, target tables with met / not met badges, a daily-AQI
 * calendar in the official HJ 633 colours (Table A.1, via hj633_band_for),
 * monthly PM2.5 bars against the plan's line, a water-class timeline, and
 * the noise, waste and sewage figures. Everything is inline (CSS, SVG drawn
 * here), nothing is fetched, so the file can be mailed or opened offline.
 * Every string that comes from data or configuration goes through esc().
 */
#include "report_int.h"
#include "col_err.h"
#include "gb3838.h"
#include "hj633.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CAL_CELL 18
#define CAL_PITCH 20
#define CAL_MONTH_W 156
#define CAL_MONTH_H 158
#define CHART_W 936

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Our own colours for GB 3838 classes (the standard sets none: README §8.5). */
static const char *const water_colour[7] = {"#e0e0e0", "#1565c0", "#42a5f5", "#43a047",
                                            "#fdd835", "#fb8c00", "#b71c1c"};
/* Shanghai's bin colours: recyclable blue, hazardous red, wet brown, dry black. */
static const char *const waste_colour[REP_N_WASTE + 1] = {"#999", "#1565c0", "#c62828", "#6d4c41",
                                                          "#424242"};
#define NO_DATA_COLOUR "#e6e6e6"

/* Write @s with &, <, >, " and ' escaped: safe in text and in quoted attributes. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void fmt_num(char *buf, size_t n, double v, int decimals)
{
    if (isfinite(v))
        snprintf(buf, n, "%.*f", decimals, v);
    else
        snprintf(buf, n, "—");
}

/* "≤" and "≥" read better than "<=" and ">=". */
static const char *cmp_sym(const char *cmp)
{
    if (strcmp(cmp, "<=") == 0)
        return "≤";
    if (strcmp(cmp, ">=") == 0)
        return "≥";
    return cmp;
}

/*
 * Write @s escaped, cut to about @max_cols display columns (East Asian
 * characters count two) with "…" when longer: chart labels have a fixed box.
 */
static void esc_cut(FILE *f, const char *s, int max_cols)
{
    char buf[256];
    size_t n = 0;
    int cols = 0;

    while (s && s[n] && n < sizeof(buf) - 4) {
        unsigned char c = (unsigned char)s[n];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        int w = len >= 3 ? 2 : 1;
        if (cols + w > max_cols || n + len >= sizeof(buf) - 4)
            break;
        cols += w;
        n += len;
    }
    if (!s || !s[n]) {
        esc(f, s);
        return;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    esc(f, buf);
    fputs("…", f);
}

static const char *status_class(enum rep_status s)
{
    return s == REP_MET ? "met" : s == REP_NOT_MET ? "notmet" : "insuf";
}

static const char *status_label(enum rep_status s)
{
    return s == REP_MET ? "✓ met" : s == REP_NOT_MET ? "✗ not met" : "? insufficient data";
}

static void badge(FILE *f, enum rep_status s)
{
    fprintf(f, "<span class=\"badge %s\">%s</span>", status_class(s), status_label(s));
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f5f8;color:#1d2733;font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif}"
    ".wrap{max-width:1000px;margin:0 auto;padding:24px 28px 48px}"
    "header.top{background:#123c69;color:#fff;padding:22px 28px}"
    "header.top .in{max-width:1000px;margin:0 auto;padding:0 28px}"
    "h1{margin:0 0 4px;font-size:26px;font-weight:650}"
    "header.top p{margin:2px 0;color:#d6e2f0}"
    ".chip{display:inline-block;background:#e8eef6;color:#123c69;border-radius:10px;"
    "padding:1px 9px;margin:2px 4px 2px 0;font-size:12px;font-weight:600}"
    "header.top .chip{background:#2a5a8c;color:#fff}"
    ".note{background:#fff8e1;border-left:4px solid #f9a825;padding:10px 14px;margin:16px 0;"
    "border-radius:4px}"
    ".note.split{background:#e3f2fd;border-color:#1e88e5}"
    "section.scope{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
    "margin:22px 0;padding:4px 22px 18px}"
    "section.scope>details>summary{cursor:pointer;list-style:none;padding:14px 0 6px}"
    "h2{display:inline;font-size:20px;margin:0}"
    "h2 .sub{font-weight:400;color:#5b6b7c;font-size:15px;margin-left:8px}"
    "h3{font-size:15px;margin:22px 0 8px;color:#123c69;border-bottom:1px solid #e3e8ee;"
    "padding-bottom:4px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px;"
    "margin:14px 0}"
    ".card{background:#fff;border-radius:8px;padding:12px 14px;border-left:6px solid #9e9e9e;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".card.met{border-color:#2e7d32}.card.notmet{border-color:#c62828}"
    ".card .k{font-size:12px;color:#5b6b7c;text-transform:uppercase;letter-spacing:.04em}"
    ".card .v{font-size:28px;font-weight:700;margin:2px 0}"
    ".card .v small{font-size:14px;font-weight:500;color:#5b6b7c}"
    ".card .t{font-size:12px;color:#5b6b7c}"
    "table{border-collapse:collapse;width:100%;margin:6px 0}"
    "th{text-align:left;font-size:12px;color:#5b6b7c;font-weight:600;border-bottom:2px solid "
    "#dde3ea;padding:6px 8px}"
    "td{border-bottom:1px solid #eef1f4;padding:5px 8px;vertical-align:middle}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr.std td:first-child{padding-left:20px}"
    ".rule{color:#8a97a6;font-size:11px;font-family:ui-monospace,monospace}"
    ".badge{display:inline-block;border-radius:4px;padding:2px 8px;font-size:12px;"
    "font-weight:700;white-space:nowrap;color:#fff}"
    ".badge.met{background:#2e7d32}.badge.notmet{background:#c62828}"
    ".badge.insuf{background:#8d99a6}"
    ".draft{display:inline-block;border:1px solid #f9a825;color:#a86d00;border-radius:4px;"
    "font-size:11px;padding:0 5px;margin-left:6px;font-weight:600}"
    ".bar{display:inline-block;width:70px;height:8px;background:#e6e9ee;border-radius:4px;"
    "vertical-align:middle;margin-right:6px;overflow:hidden}"
    ".bar i{display:block;height:100%;background:#5c85b8}"
    ".muted{color:#6b7a8a;font-size:12px}.nw{white-space:nowrap}"
    ".okc{color:#2e7d32}.badc{color:#c62828}"
    ".stack{display:flex;height:22px;border-radius:4px;overflow:hidden;margin:6px 0}"
    ".stack div{height:100%}"
    ".legend span{display:inline-block;margin-right:12px;font-size:12px;white-space:nowrap}"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;"
    "vertical-align:-1px}"
    "svg{display:block;max-width:100%;height:auto}"
    "svg text{font-family:system-ui,'Noto Sans CJK SC',sans-serif}"
    "a{color:#1559a8}"
    "footer{color:#6b7a8a;font-size:12px;margin-top:30px}"
    "@media print{body{background:#fff}section.scope{box-shadow:none;break-inside:avoid}}";

/* ---- targets ---- */

static void target_rows(FILE *f, const struct rep_target *t, size_t n)
{
    if (n == 0) {
        fprintf(f, "<p class=\"muted\">No target applies: the plan sets no number for these "
                   "figures.</p>\n");
        return;
    }
    fprintf(f, "<table><tr><th>Target</th><th class=\"num\">Value</th><th class=\"num\">"
               "Target</th><th>Status</th><th class=\"num\">Data (days)</th><th>Standard</th>"
               "</tr>\n");
    for (size_t i = 0; i < n; i++) {
        const struct rep_target *x = &t[i];
        char v[32], tg[32];
        int dec = rep_unit_decimals(x->unit);
        fmt_num(v, sizeof(v), x->value, dec);
        fmt_num(tg, sizeof(tg), x->target, x->target == floor(x->target) ? 0 : 1);
        fprintf(f, "<tr class=\"%s\"><td>", strcmp(x->kind, "standard") == 0 ? "std" : "plan");
        esc(f, x->label);
        if (x->is_draft)
            fprintf(f, "<span class=\"draft\" title=\"the plan masks this number; configurable "
                       "draft default\">draft</span>");
        fprintf(f, "<br><span class=\"rule\">");
        esc(f, x->rule);
        fprintf(f, "</span></td><td class=\"num\"><b>%s</b> ", v);
        esc(f, x->unit);
        fprintf(f, "</td><td class=\"num\">%s %s</td><td>", cmp_sym(x->cmp), tg);
        badge(f, x->status);
        if (x->status == REP_INSUFFICIENT && (x->note || x->has_indicative)) {
            fprintf(f, "<div class=\"muted\">");
            esc(f, x->note ? x->note : "");
            if (x->has_indicative)
                fprintf(f, "%sindicative: <b class=\"%s\">%s</b>", x->note ? " · " : "",
                        x->indicative == REP_MET ? "okc" : "badc",
                        x->indicative == REP_MET ? "within target" : "misses target");
            fprintf(f, "</div>");
        }
        fprintf(f, "</td><td class=\"num\">");
        if (x->n_days_possible) {
            double share = 100.0 * x->n_days / x->n_days_possible;
            fprintf(f, "<span class=\"bar\"><i style=\"width:%.0f%%\"></i></span>%d/%d",
                    share > 100 ? 100 : share, x->n_days, x->n_days_possible);
        }
        fprintf(f, "</td><td class=\"muted nw\">");
        esc(f, x->edition ? x->edition : "district plan");
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

static const struct rep_target *find_target(const struct rep_target *t, size_t n, const char *rule)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].rule, rule) == 0)
            return &t[i];
    return NULL;
}

static void card(FILE *f, const char *key, const struct rep_target *t, const char *value_unit,
                 const char *extra)
{
    char v[32], tg[32];

    if (!t)
        return;
    fmt_num(v, sizeof(v), t->value, rep_unit_decimals(t->unit));
    fmt_num(tg, sizeof(tg), t->target, t->target == floor(t->target) ? 0 : 1);
    fprintf(f, "<div class=\"card %s\"><div class=\"k\">", status_class(t->status));
    esc(f, key);
    fprintf(f, "</div><div class=\"v\">%s <small>", v);
    esc(f, value_unit);
    fprintf(f, "</small></div><div class=\"t\">target %s %s ", cmp_sym(t->cmp), tg);
    esc(f, value_unit);
    if (t->is_draft)
        fprintf(f, " <span class=\"draft\">draft</span>");
    fprintf(f, "</div><div style=\"margin-top:6px\">");
    badge(f, t->status);
    if (extra && *extra) {
        fprintf(f, " <span class=\"muted\">");
        esc(f, extra);
        fprintf(f, "</span>");
    }
    fprintf(f, "</div></div>\n");
}

static void cards(FILE *f, const struct rep_scope *s)
{
    const struct rep_target *t = s->targets;
    size_t n = s->n_targets;
    char extra[64];

    fprintf(f, "<div class=\"cards\">\n");
    if (s->air.has_data) {
        snprintf(extra, sizeof(extra), "%d valid days", s->air.year.pm25_valid_days);
        card(f, "PM2.5 annual mean", find_target(t, n, "pm25_annual_mean"), "µg/m³", extra);
        snprintf(extra, sizeof(extra), "%d of %d days", s->air.year.good_days,
                 s->air.year.aqi_valid_days);
        card(f, "Good-day ratio 优良天数比例", find_target(t, n, "good_day_ratio"), "%", extra);
        card(f, "Conventional pollutants", find_target(t, n, "conventional_pollutants"), "of 6",
             "GB 3095 Grade II");
    }
    card(f, "Water worse than Class V", find_target(t, n, "water_no_worse_than_v"), "days", "劣Ⅴ");
    card(f, "Noise, daytime", find_target(t, n, "noise_day_compliance"), "%", "days within limit");
    card(f, "Noise, night", find_target(t, n, "noise_night_compliance"), "%",
         "nights within limit");
    card(f, "Sewage treatment rate", find_target(t, n, "sewage_treatment_rate"), "%", NULL);
    if (s->waste.has_data) {
        char v[32];
        fmt_num(v, sizeof(v), 100.0 * s->waste.wet_share, 1);
        fprintf(f,
                "<div class=\"card\"><div class=\"k\">Wet-waste share</div><div class=\"v\">"
                "%s <small>%%</small></div><div class=\"t\">of %.0f kg sorted waste</div>"
                "<div class=\"muted\" style=\"margin-top:6px\">figure only; the plan sets no "
                "number</div></div>\n",
                v, s->waste.total_kg);
    }
    fprintf(f, "</div>\n");
}

/* ---- the AQI calendar ---- */

static const char *level_names[7] = {
    "", "优 Excellent", "良 Good", "轻度 Light", "中度 Moderate", "重度 Heavy", "严重 Severe"};

static void calendar(FILE *f, const struct report *r, const struct rep_air *a)
{
    int w = 6 * CAL_MONTH_W, h = 2 * CAL_MONTH_H + 6;

    fprintf(f,
            "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"daily AQI calendar\">\n",
            w, h, w, h);
    for (int m = 0; m < 12; m++) {
        int x0 = (m % 6) * CAL_MONTH_W, y0 = (m / 6) * CAL_MONTH_H;
        int first = 0, nd = rep_month_days(r->year, m);
        for (int k = 0; k < m; k++)
            first += rep_month_days(r->year, k);
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"700\" "
                "fill=\"#123c69\">%s</text>\n",
                x0, y0 + 13, month_abbr[m]);
        for (int wd = 0; wd < 7; wd++)
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#8a97a6\" "
                    "text-anchor=\"middle\">%c</text>",
                    x0 + wd * CAL_PITCH + CAL_CELL / 2, y0 + 27, "MTWTFSS"[wd]);
        fprintf(f, "\n");
        for (int d = 0; d < nd; d++) {
            int doy = first + d;
            int wd = rep_weekday_of(r->year, doy);
            int row = (rep_weekday_of(r->year, first) + d) / 7;
            int x = x0 + wd * CAL_PITCH, y = y0 + 32 + row * CAL_PITCH;
            const struct hj633_band *b = hj633_band_for(a->aqi[doy]);
            char day[11];
            rep_day_name(r->year, doy, day);
            fprintf(f, "<g><title>%s · ", day);
            if (b) {
                fprintf(f, "AQI %d · %s %s", a->aqi[doy], b->category_cn, b->category_en);
                if (a->primary[doy][0]) {
                    fprintf(f, " · primary ");
                    esc(f, a->primary[doy]);
                }
            } else {
                fprintf(f, "no valid AQI");
            }
            if (isfinite(a->daily[REP_PM25][doy]))
                fprintf(f, " · PM2.5 %.0f µg/m³", a->daily[REP_PM25][doy]);
            fprintf(f,
                    "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
                    "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"8\" "
                    "text-anchor=\"middle\" fill=\"%s\">%d</text></g>\n",
                    x, y, CAL_CELL, CAL_CELL, b ? b->colour_hex : NO_DATA_COLOUR, x + CAL_CELL / 2,
                    y + 12, b && b->level >= 4 ? "#fff" : "#37474f", d + 1);
        }
    }
    fprintf(f, "</svg>\n<div class=\"legend\">");
    for (int l = 1; l <= 6; l++) {
        const struct hj633_band *b = hj633_band_for(l == 6 ? 301 : (l == 5 ? 201 : 50 * l));
        if (!b)
            continue;
        fprintf(f, "<span><i style=\"background:%s\"></i>%s %d–%d · %d d</span>", b->colour_hex,
                level_names[l], b->aqi_lo, l == 6 ? 500 : b->aqi_hi, a->year.level_days[l]);
    }
    fprintf(f, "<span><i style=\"background:%s\"></i>no valid AQI · %d d</span></div>\n",
            NO_DATA_COLOUR, r->n_days - a->year.aqi_valid_days);
}

/* ---- monthly PM2.5 ---- */

static void pm25_bars(FILE *f, const struct report *r, const struct rep_air *a)
{
    const int w = CHART_W, h = 230, left = 44, right = 96, top = 16, bottom = 34;
    const int ph = h - top - bottom, slot = (w - left - right) / 12;
    double mx = r->pm25_target, step;
    int n_ticks;

    for (int m = 0; m < 12; m++)
        if (isfinite(a->monthly_pm25[m]) && a->monthly_pm25[m] > mx)
            mx = a->monthly_pm25[m];
    step = mx > 200 ? 50 : mx > 80 ? 20 : 10;
    n_ticks = (int)ceil(mx * 1.1 / step);
    mx = n_ticks * step;
    fprintf(f,
            "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"monthly PM2.5 means\">\n",
            w, h, w, h);
    for (int i = 0; i <= n_ticks; i++) {
        double y = top + ph - ph * (i * step) / mx;
        fprintf(f,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e9ee\"/>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#8a97a6\" "
                "text-anchor=\"end\">%.0f</text>\n",
                left, w - right, y, y, left - 6, y + 3, i * step);
    }
    for (int m = 0; m < 12; m++) {
        double v = a->monthly_pm25[m];
        int x = left + m * slot + slot / 5, bw = slot * 3 / 5;
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#5b6b7c\" "
                "text-anchor=\"middle\">%s</text>\n",
                x + bw / 2, h - bottom + 16, month_abbr[m]);
        if (!isfinite(v)) {
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#8a97a6\" "
                    "text-anchor=\"middle\">no data</text>\n",
                    x + bw / 2, top + ph - 4);
            continue;
        }
        double bh = ph * v / mx;
        fprintf(f,
                "<g><title>%s %d: PM2.5 %.1f µg/m³ over %d valid days</title><rect x=\"%d\" "
                "y=\"%.1f\" width=\"%d\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/></g>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" font-weight=\"600\" "
                "fill=\"#1d2733\" text-anchor=\"middle\">%.0f</text>\n",
                month_abbr[m], r->year, v, a->monthly_pm25_days[m], x, top + ph - bh, bw, bh,
                v < r->pm25_target ? "#4f9a5a" : "#e07b24", x + bw / 2, top + ph - bh - 4, v);
    }
    {
        double y = top + ph - ph * r->pm25_target / mx;
        fprintf(f,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" "
                "stroke-width=\"2\" stroke-dasharray=\"7 5\"/>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" font-weight=\"700\" "
                "fill=\"#c62828\">plan target</text><text x=\"%d\" y=\"%.1f\" "
                "font-size=\"11\" font-weight=\"700\" fill=\"#c62828\">%g µg/m³</text>\n",
                left, w - right, y, y, w - right + 6, y - 2, w - right + 6, y + 11, r->pm25_target);
    }
    fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#9aa5b1\"/>\n</svg>\n", left,
            w - right, top + ph, top + ph);
}

/* ---- water ---- */

static void water_row(FILE *f, const struct report *r, const struct rep_water *w, int y,
                      const char *label)
{
    const int left = 150;
    double dw = (double)(CHART_W - left - 10) / r->n_days;

    fprintf(f, "<g><title>");
    esc(f, label);
    fprintf(f,
            "</title><text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1d2733\" "
            "text-anchor=\"end\">",
            left - 8, y + 15);
    esc_cut(f, label, 20);
    fprintf(f, "</text></g>\n");
    for (int d = 0; d < r->n_days;) {
        int e = d + 1, c = w->cls[d];
        char from[11], to[11];
        /* one rect per run of equal days keeps the page small; the title names the run */
        while (e < r->n_days && w->cls[e] == c && w->worst_sample[e] == w->worst_sample[d])
            e++;
        rep_day_name(r->year, d, from);
        rep_day_name(r->year, e - 1, to);
        fprintf(f, "<g><title>%s", from);
        if (e - 1 > d)
            fprintf(f, " – %s", to);
        if (c)
            fprintf(f, " · Class %s", gb3838_class_name(c));
        else
            fprintf(f, " · no classified sample");
        if (c && w->worst_sample[d])
            fprintf(f, " (worst sample %s)", gb3838_class_name(w->worst_sample[d]));
        fprintf(f,
                "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"22\" "
                "fill=\"%s\"/></g>\n",
                left + d * dw, y, (e - d) * dw + 0.3, water_colour[c]);
        d = e;
    }
    /* a marker over every 劣Ⅴ day: one day is a hair's width on a year's axis */
    for (int d = 0; d < r->n_days; d++)
        if (w->cls[d] == GB3838_WORSE_THAN_V)
            fprintf(f, "<path d=\"M%.1f %d l-4 -7 h8 z\" fill=\"%s\"/>\n", left + (d + 0.5) * dw,
                    y - 1, water_colour[6]);
}

static void water_timeline(FILE *f, const struct report *r, const struct rep_scope *const *sc,
                           size_t n)
{
    const int left = 150, row_h = 32, top = 9;
    int h = (int)n * row_h + top + 24;
    double dw = (double)(CHART_W - left - 10) / r->n_days;

    fprintf(f,
            "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"water class timeline\">\n",
            CHART_W, h, CHART_W, h);
    for (size_t i = 0; i < n; i++) {
        const struct rep_scope *s = sc[i];
        water_row(f, r, &s->water, top + (int)i * row_h,
                  s->display_name && !s->is_gateway ? s->display_name : s->name);
    }
    for (int m = 0, d = 0; m < 12; d += rep_month_days(r->year, m), m++) {
        double x = left + d * dw;
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#fff\" "
                "stroke-width=\"1\"/><text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                "fill=\"#5b6b7c\">%s</text>\n",
                x, x, top, top + (int)n * row_h - 10, x + 2, top + (int)n * row_h + 6,
                month_abbr[m]);
    }
    fprintf(f, "</svg>\n<div class=\"legend\">");
    for (int c = 1; c <= 6; c++)
        fprintf(f, "<span><i style=\"background:%s\"></i>Class %s</span>", water_colour[c],
                gb3838_class_name(c));
    fprintf(f,
            "<span><i style=\"background:%s\"></i>no data</span><span><b "
            "style=\"color:#b71c1c\">▼</b> a 劣Ⅴ day</span></div>\n",
            water_colour[0]);
}

static void water_figures(FILE *f, const struct report *r, const struct rep_scope *s)
{
    const struct rep_water *w = &s->water;
    int possible = r->n_days * (s->is_gateway ? s->n_sites[1] : 1);

    fprintf(f, "<table><tr>");
    for (int c = 1; c <= 6; c++)
        fprintf(f, "<th class=\"num\">Class %s</th>", gb3838_class_name(c));
    fprintf(f,
            "<th class=\"num\">classified %sdays</th><th class=\"num\">worst day</th>"
            "<th class=\"num\">worst sample</th></tr><tr>",
            s->is_gateway ? "site-" : "");
    for (int c = 1; c <= 6; c++)
        fprintf(f, "<td class=\"num\"%s>%d</td>",
                c == 6 && w->days_by_class[6] ? " style=\"color:#b71c1c;font-weight:700\"" : "",
                w->days_by_class[c]);
    fprintf(f,
            "<td class=\"num\">%d/%d</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
            "</tr></table>\n",
            w->classified_days, possible,
            w->worst_day_class ? gb3838_class_name(w->worst_day_class) : "—",
            w->worst_sample_class ? gb3838_class_name(w->worst_sample_class) : "—");
    fprintf(f,
            "<p class=\"muted\">Class of each day = GB 3838-2002 single-factor class of the "
            "day's mean values (%d day(s) classed from fewer than the 21 items: partial).</p>\n",
            w->partial_days);
}

/* ---- air figures ---- */

static void pollutant_table(FILE *f, const struct report *r, const struct rep_air *a)
{
    fprintf(f, "<table><tr><th>Pollutant</th><th class=\"num\">Valid days</th><th>Completeness"
               "</th><th class=\"num\">Annual mean</th><th class=\"num\">Percentile</th><th>"
               "Annual statistic</th></tr>\n");
    for (int p = 0; p < REP_N_POLS; p++) {
        const struct rep_pol_stats *s = &a->year.pol[p];
        char m[32], pv[32];
        double share = 100.0 * s->n_valid / r->n_days;
        int dec = p == REP_CO ? 2 : 1;
        fmt_num(m, sizeof(m), s->mean, dec);
        fmt_num(pv, sizeof(pv), s->pct_value, dec);
        fprintf(f,
                "<tr><td>%s%s <span class=\"muted\">%s</span></td><td class=\"num\">%d</td>"
                "<td><span class=\"bar\"><i style=\"width:%.0f%%\"></i></span>%.1f %%</td>"
                "<td class=\"num\">%s</td><td class=\"num\">P%d %s</td><td>%s</td></tr>\n",
                rep_pol_label((enum rep_pol)p), p == REP_O3 ? " MDA8" : "",
                rep_pol_unit((enum rep_pol)p), s->n_valid, share, share, m, s->pct, pv,
                s->is_valid ? "valid"
                            : "<span class=\"muted\">too few days (GB 3095 Table 4)"
                              "</span>");
    }
    fprintf(f, "</table>\n");
}

static void periods_block(FILE *f, const struct report *r, const struct rep_air *a)
{
    for (size_t i = 0; i < r->n_periods; i++) {
        const struct rep_period *per = &r->periods[i];
        fprintf(f, "<h3>Period %s to %s (exclusive) · %s · %s</h3>\n", per->from, per->to,
                per->hj633, per->gb3095);
        target_rows(f, a->periods[i].targets, a->periods[i].n_targets);
    }
}

/* ---- noise, waste, sewage ---- */

static void noise_table(FILE *f, const struct rep_scope *s)
{
    const struct rep_noise_zone *z = s->is_gateway ? s->noise.zones : &s->noise.all;
    size_t n = s->is_gateway ? s->noise.n_zones : 1;

    fprintf(f,
            "<table><tr><th>Zone (GB 3096)</th>%s<th class=\"num\">Limits day/night</th>"
            "<th class=\"num\">Days with Ld+Ln</th><th class=\"num\">Days Ld ≤ limit</th>"
            "<th class=\"num\">Nights Ln ≤ limit</th><th class=\"num\">Night Lmax over</th>"
            "</tr>\n",
            s->is_gateway ? "<th class=\"num\">Sites</th>" : "");
    for (size_t i = 0; i < n; i++) {
        char lim[32] = "—", d[24] = "—", nn[24] = "—";
        if (isfinite(z[i].ld_limit))
            snprintf(lim, sizeof(lim), "%.0f / %.0f dB(A)", z[i].ld_limit, z[i].ln_limit);
        if (z[i].judged) {
            snprintf(d, sizeof(d), "%.1f %%", 100.0 * z[i].day_ok / z[i].judged);
            snprintf(nn, sizeof(nn), "%.1f %%", 100.0 * z[i].night_ok / z[i].judged);
        }
        fprintf(f, "<tr><td>");
        esc(f, *z[i].zone ? z[i].zone : "unknown");
        fprintf(f, "</td>");
        if (s->is_gateway)
            fprintf(f, "<td class=\"num\">%d</td>", z[i].n_sites);
        fprintf(f,
                "<td class=\"num\">%s</td><td class=\"num\">%d</td><td class=\"num\">%s "
                "<span class=\"muted\">(%d)</span></td><td class=\"num\">%s <span "
                "class=\"muted\">(%d)</span></td><td class=\"num\">%d</td></tr>\n",
                lim, z[i].days, d, z[i].day_ok, nn, z[i].night_ok, z[i].lmax_over);
    }
    fprintf(f, "</table>\n");
}

static void waste_block(FILE *f, const struct rep_waste *w)
{
    fprintf(f, "<div class=\"stack\">");
    for (int c = 1; c <= REP_N_WASTE; c++)
        if (w->total_kg > 0 && w->kg[c] > 0)
            fprintf(f, "<div style=\"width:%.3f%%;background:%s\" title=\"%s %.1f kg\"></div>",
                    100.0 * w->kg[c] / w->total_kg, waste_colour[c], rep_waste_id(c), w->kg[c]);
    fprintf(f, "</div>\n<table><tr>");
    for (int c = 1; c <= REP_N_WASTE; c++)
        fprintf(f,
                "<th class=\"num\"><span class=\"legend\"><i style=\"background:%s\"></i>"
                "</span>%s</th>",
                waste_colour[c], rep_waste_id(c));
    fprintf(f, "<th class=\"num\">total</th><th class=\"num\">wet share</th><th class=\"num\">"
               "days</th><th class=\"num\">overflows</th><th class=\"num\">hazard events</th>"
               "</tr><tr>");
    for (int c = 1; c <= REP_N_WASTE; c++)
        fprintf(f, "<td class=\"num\">%.1f kg</td>", w->kg[c]);
    {
        char ws[24];
        fmt_num(ws, sizeof(ws), 100.0 * w->wet_share, 1);
        fprintf(f,
                "<td class=\"num\">%.1f kg</td><td class=\"num\">%s %%</td><td "
                "class=\"num\">%d</td><td class=\"num\">%ld</td><td class=\"num\">%ld</td>"
                "</tr></table>\n",
                w->total_kg, ws, w->days, w->overflow_events, w->hazard_events);
    }
}

static void sewage_block(FILE *f, const struct rep_sewage *s)
{
    char rate[24];

    fmt_num(rate, sizeof(rate), s->rate_pct, 2);
    fprintf(f,
            "<table><tr><th class=\"num\">Inflow</th><th class=\"num\">Treated</th><th "
            "class=\"num\">Treatment rate</th><th class=\"num\">Days with both</th></tr><tr>"
            "<td class=\"num\">%.0f m³</td><td class=\"num\">%.0f m³</td><td class=\"num\">"
            "%s %%</td><td class=\"num\">%d</td></tr></table>\n",
            s->inflow_m3, s->treated_m3, rate, s->days);
}

/* ---- scopes ---- */

static void scope_html(FILE *f, const struct report *r, const struct rep_scope *s, size_t idx)
{
    fprintf(f, "<section class=\"scope\" id=\"%s%zu\"><details open><summary><h2>",
            s->is_gateway ? "gateway" : "site-", s->is_gateway ? (size_t)0 : idx);
    if (s->is_gateway) {
        fprintf(f, "Whole gateway · ");
        esc(f, s->name);
        fprintf(f,
                "<span class=\"sub\">%d air · %d water · %d noise · %d waste · %d sewage "
                "site(s)</span>",
                s->n_sites[0], s->n_sites[1], s->n_sites[2], s->n_sites[3], s->n_sites[4]);
    } else {
        esc(f, s->display_name ? s->display_name : s->name);
        fprintf(f, "<span class=\"sub\">");
        esc(f, s->name);
        if (s->street && s->display_name && strcmp(s->street, s->display_name) != 0) {
            fprintf(f, " · ");
            esc(f, s->street);
        }
        if (s->kind) {
            fprintf(f, " · ");
            esc(f, s->kind);
        }
        fprintf(f, "</span>");
    }
    fprintf(f, "</h2></summary>\n<div>");
    for (size_t i = 0; i < s->n_editions; i++) {
        fprintf(f, "<span class=\"chip\">");
        esc(f, s->editions[i]);
        fprintf(f, "</span>");
    }
    fprintf(f, "</div>\n");
    cards(f, s);
    if (s->is_gateway && r->n_sites == 1) {
        fprintf(f, "<p class=\"muted\">The gateway has one site with data: its figures are the "
                   "site's, shown in full below.</p></details></section>\n");
        return;
    }
    if (s->is_gateway && s->air.has_data)
        fprintf(f, "<p class=\"muted\">District daily values are the means of the sites' valid "
                   "daily values; the district's daily AQI is recomputed from them (HJ 663 "
                   "city-value rule).</p>\n");
    fprintf(f, "<h3>Targets%s</h3>\n",
            r->n_periods > 1 && s->air.has_data
                ? " for the whole year (GB 3095 limits per period below)"
                : "");
    target_rows(f, s->targets, s->n_targets);
    if (s->air.has_data) {
        if (r->n_periods > 1)
            periods_block(f, r, &s->air);
        fprintf(f, "<h3>Daily AQI %d</h3>\n", r->year);
        calendar(f, r, &s->air);
        fprintf(f, "<h3>Monthly PM2.5 mean (µg/m³)</h3>\n");
        pm25_bars(f, r, &s->air);
        fprintf(f, "<h3>Pollutants and data completeness</h3>\n");
        pollutant_table(f, r, &s->air);
    }
    if (s->water.has_data) {
        fprintf(f, "<h3>Surface water class (GB 3838-2002)</h3>\n");
        if (s->is_gateway) {
            const struct rep_scope *rows[64];
            size_t n = 0;
            for (size_t i = 0; i < r->n_sites && n < 64; i++)
                if (r->sites[i].water.has_data)
                    rows[n++] = &r->sites[i];
            water_timeline(f, r, rows, n);
        } else {
            water_timeline(f, r, &s, 1);
        }
        water_figures(f, r, s);
    }
    if (s->noise.has_data) {
        fprintf(f, "<h3>Noise (GB 3096-2008; day 06–22 h, night 22–06 h)</h3>\n");
        noise_table(f, s);
    }
    if (s->waste.has_data) {
        fprintf(f, "<h3>Household waste sorting (deposited weight)</h3>\n");
        waste_block(f, &s->waste);
    }
    if (s->sewage.has_data) {
        fprintf(f, "<h3>Sewage treatment</h3>\n");
        sewage_block(f, &s->sewage);
    }
    fprintf(f, "</details></section>\n");
}

static void site_index(FILE *f, const struct report *r)
{
    fprintf(f, "<section class=\"scope\"><h3>Sites</h3><table><tr><th>Site</th><th>Data</th>"
               "<th class=\"num\">PM2.5 mean</th><th class=\"num\">Good days</th><th>Targets"
               "</th></tr>\n");
    for (size_t i = 0; i < r->n_sites; i++) {
        const struct rep_scope *s = &r->sites[i];
        int n[3] = {0, 0, 0};
        char pm[24] = "", gd[24] = "";
        for (size_t k = 0; k < s->n_targets; k++)
            n[s->targets[k].status]++;
        if (s->air.has_data) {
            fmt_num(pm, sizeof(pm), s->air.year.pm25_mean, 1);
            fmt_num(gd, sizeof(gd), s->air.year.good_day_ratio, 1);
        }
        fprintf(f, "<tr><td><a href=\"#site-%zu\">", i);
        esc(f, s->display_name ? s->display_name : s->name);
        fprintf(f, "</a> <span class=\"rule\">");
        esc(f, s->name);
        fprintf(f, "</span></td><td>");
        fprintf(f, "%s%s%s%s%s", s->air.has_data ? "air " : "", s->water.has_data ? "water " : "",
                s->noise.has_data ? "noise " : "", s->waste.has_data ? "waste " : "",
                s->sewage.has_data ? "sewage" : "");
        fprintf(f, "</td><td class=\"num\">%s%s</td><td class=\"num\">%s%s</td><td>", pm,
                *pm ? " µg/m³" : "", gd, *gd ? " %" : "");
        if (n[REP_MET])
            fprintf(f, "<span class=\"badge met\">✓ %d</span> ", n[REP_MET]);
        if (n[REP_NOT_MET])
            fprintf(f, "<span class=\"badge notmet\">✗ %d</span> ", n[REP_NOT_MET]);
        if (n[REP_INSUFFICIENT])
            fprintf(f, "<span class=\"badge insuf\">? %d</span>", n[REP_INSUFFICIENT]);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></section>\n");
}

int report_html_write(const struct report *r, FILE *f)
{
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Compliance report %d · ",
            r->year);
    esc(f, r->gateway);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
    fprintf(f,
            "<header class=\"top\"><div class=\"in\"><h1>Compliance report %d · 达标评估</h1>"
            "<p>Gateway <b>",
            r->year);
    esc(f, r->gateway);
    fprintf(f, "</b> · ");
    esc(f, r->timezone);
    fprintf(f,
            " · generated %s · %zu site(s) with data</p><p>Standards in force: ", r->generated_at,
            r->n_sites);
    for (size_t i = 0; i < r->n_editions; i++) {
        fprintf(f, "<span class=\"chip\">");
        esc(f, r->editions[i]);
        fprintf(f, "</span>");
    }
    fprintf(f, "</p></div></header>\n<div class=\"wrap\">\n");
    if (r->n_periods > 1) {
        fprintf(f,
                "<div class=\"note split\"><b>%d straddles a standards switch.</b> The year "
                "is split; PM2.5, the good-day ratio and pollutant attainment are computed "
                "for each period with the editions in force:<ul>",
                r->year);
        for (size_t i = 0; i < r->n_periods; i++)
            fprintf(f, "<li>%s to %s (exclusive): %s, %s</li>", r->periods[i].from,
                    r->periods[i].to, r->periods[i].hj633, r->periods[i].gb3095);
        fprintf(f, "</ul></div>\n");
    }
    fprintf(f,
            "<div class=\"note\"><b>Draft targets.</b> The district plan masks some numbers "
            "(“##”); these are configurable draft defaults, marked <span "
            "class=\"draft\">draft</span>: good-day ratio ≥ %g %%, sewage treatment ≥ %g %%, "
            "noise compliance ≥ %g %% (the plan sets no number). The PM2.5 target, annual "
            "mean &lt; %g µg/m³, is the plan's own.</div>\n",
            r->good_day_target, r->sewage_target, r->noise_target, r->pm25_target);
    if (r->n_sites == 0)
        fprintf(f, "<p>No site has data in %d.</p>\n", r->year);
    else
        scope_html(f, r, &r->gateway_scope, 0);
    if (r->n_sites > 1)
        site_index(f, r);
    for (size_t i = 0; i < r->n_sites; i++)
        scope_html(f, r, &r->sites[i], i);
    fprintf(f, "<footer>AQI colours: HJ 633 Table A.1 (official). Water class colours are this "
               "report's own (GB 3838 sets none). Status: met / not met, or insufficient data "
               "when the year has fewer valid days than GB 3095 Table 4 requires for an annual "
               "statistic. Days are local calendar days in ");
    esc(f, r->timezone);
    fprintf(f, ". Field definitions: docs/report.md.</footer>\n</div>\n</body>\n</html>\n");
    return ferror(f) ? COL_ERR_IO : 0;
}
