/*
 * Device profile loading, topic matching and value conversion.
 *
 * A profile file is validated key by key (unknown keys are errors, every
 * error carries file:line) and compiled into struct profile; the set is
 * small (tens of models), so matching a topic walks the list in order and
 * the first match wins, which keeps the precedence visible in file names.
 */
#include "profile.h"
#include "col_err.h"
#include "diag.h"
#include "hj212.h"
#include "textparse.h"
#include "xalloc.h"
#include "ydoc.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Molar volume at the reference state 298.15 K, 1013.25 hPa (GB 3095-2012
 * amendment and GB 3095-2026 §3.14): V = R*T/p = 8.314462618*298.15/101325
 * = 0.0244654 m3/mol, i.e. 24.4654 L/mol. */
#define MOLAR_VOLUME_L 24.4654

static const struct {
    const char *metric;
    double molar_mass; /* g/mol */
} molar_masses[] = {
    {"so2", 64.064}, {"no2", 46.0055}, {"no", 30.006},  {"nox", 46.0055},
    {"o3", 47.997},  {"co", 28.010},   {"nh3", 17.031}, {"h2s", 34.08},
};

static int molar_mass(const char *metric, double *m)
{
    for (size_t i = 0; i < sizeof(molar_masses) / sizeof(molar_masses[0]); i++) {
        if (strncmp(metric, molar_masses[i].metric, strlen(molar_masses[i].metric)) == 0 &&
            (metric[strlen(molar_masses[i].metric)] == '\0' ||
             metric[strlen(molar_masses[i].metric)] == '_')) {
            *m = molar_masses[i].molar_mass;
            return 0;
        }
    }
    return COL_ERR_NOTFOUND;
}

int profile_unit_factor(const char *metric, const char *from, const char *to, double *scale,
                        double *offset)
{
    /* Linear factors between units of the same quantity: value_to = value_from * f. */
    static const struct {
        const char *from, *to;
        double f;
    } linear[] = {
        {"ug/m3", "mg/m3", 1e-3}, {"mg/m3", "ug/m3", 1e3}, {"ppm", "ppb", 1e3},
        {"ppb", "ppm", 1e-3},     {"kPa", "hPa", 10},      {"Pa", "hPa", 0.01},
        {"mm", "m", 1e-3},        {"m3", "L", 1e3},        {"L", "m3", 1e-3},
        {"g", "kg", 1e-3},        {"kg", "g", 1e3},        {"t", "kg", 1e3},
        {"km/h", "m/s", 1 / 3.6}, {"mg/L", "ug/L", 1e3},   {"ug/L", "mg/L", 1e-3},
    };
    double mm;

    *offset = 0;
    if (strcmp(from, to) == 0) {
        *scale = 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(linear) / sizeof(linear[0]); i++) {
        if (strcmp(from, linear[i].from) == 0 && strcmp(to, linear[i].to) == 0) {
            *scale = linear[i].f;
            return 0;
        }
    }
    if (strcmp(from, "degF") == 0 && strcmp(to, "degC") == 0) {
        *scale = 5.0 / 9.0;
        *offset = -32.0 * 5.0 / 9.0;
        return 0;
    }
    /* Gas mixing ratio to mass concentration at the reference state:
     * 1 ppb = M / 24.4654 ug/m3 and 1 ppm = M / 24.4654 mg/m3. */
    if (molar_mass(metric, &mm) == 0) {
        double ppb_to_ugm3 = mm / MOLAR_VOLUME_L;
        if (strcmp(from, "ppb") == 0 && strcmp(to, "ug/m3") == 0)
            *scale = ppb_to_ugm3;
        else if (strcmp(from, "ppm") == 0 && strcmp(to, "mg/m3") == 0)
            *scale = ppb_to_ugm3;
        else if (strcmp(from, "ppb") == 0 && strcmp(to, "mg/m3") == 0)
            *scale = ppb_to_ugm3 * 1e-3;
        else if (strcmp(from, "ppm") == 0 && strcmp(to, "ug/m3") == 0)
            *scale = ppb_to_ugm3 * 1e3;
        else
            return COL_ERR_INVAL;
        return 0;
    }
    return COL_ERR_INVAL;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_fields; i++) {
        struct profile_field *f = &p->fields[i];
        xfree(f->field);
        xfree(f->metric);
        xfree(f->unit);
        xfree(f->source_unit);
        for (size_t k = 0; k < f->n_values; k++)
            xfree(f->value_names[k]);
    }
    for (size_t i = 0; i < p->n_topics; i++)
        xfree(p->topics[i]);
    xfree(p->topics);
    xfree(p->fields);
    xfree(p->name);
    xfree(p->file);
    xfree(p->description);
    xfree(p->domain);
    xfree(p->time_field);
    xfree(p);
}

void profile_set_free(struct profile_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        profile_free(s->v[i]);
    xfree(s->v);
    xfree(s);
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Check a topic pattern: '+', '#' (last level only) and {site}/{device} levels. */
static bool valid_pattern(const char *p)
{
    const char *level = p;

    for (;;) {
        const char *end = strchr(level, '/');
        size_t n = end ? (size_t)(end - level) : strlen(level);
        if (n == 0)
            return false;
        if (memchr(level, '#', n) && (n != 1 || end))
            return false;
        if (memchr(level, '+', n) && n != 1)
            return false;
        if (memchr(level, '{', n) && !(n == 6 && memcmp(level, "{site}", 6) == 0) &&
            !(n == 8 && memcmp(level, "{device}", 8) == 0))
            return false;
        if (!end)
            return true;
        level = end + 1;
    }
}

static int load_values(struct profile_field *pf, const struct ynode *vals, struct diag *d)
{
    if (vals->kind != YNODE_MAP) {
        ynode_error(vals, d, "'values' must map text values to numbers");
        return COL_ERR_CONFIG;
    }
    if (vals->n > PROFILE_MAX_VALUES) {
        ynode_error(vals, d, "too many 'values' (at most 16)");
        return COL_ERR_CONFIG;
    }
    for (size_t k = 0; k < vals->n; k++) {
        const struct ynode *v = vals->items[k];
        if (v->kind != YNODE_SCALAR || parse_double(v->scalar, &pf->value_codes[k])) {
            ynode_error(v, d, "a 'values' entry must be a number");
            return COL_ERR_CONFIG;
        }
        pf->value_names[k] = xstrdup(vals->keys[k]->scalar);
        if (!pf->value_names[k])
            return COL_ERR_NOMEM;
        pf->n_values++;
    }
    return 0;
}

static int load_field(struct profile *p, struct profile_field *pf, const char *field_name,
                      const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"metric", "unit", "from_unit", "scale", "offset",
                                       "min",    "max",  "values",    NULL};
    const char *metric = field_name, *unit = "", *from_unit = NULL;
    double scale = 1, offset = 0, cs = 1, co = 0;
    const struct ynode *vals;
    int bad = 0;

    pf->line = m->line;
    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "a field must be a mapping (metric, unit, min, max, ...)");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a profile field", d);
    bad |= ynode_scalar(m, "metric", false, &metric, d) < 0;
    bad |= ynode_scalar(m, "unit", false, &unit, d) < 0;
    bad |= ynode_scalar(m, "from_unit", false, &from_unit, d) < 0;
    bad |= ynode_double(m, "scale", false, &scale, d) < 0;
    bad |= ynode_double(m, "offset", false, &offset, d) < 0;
    {
        int has_min = ynode_double(m, "min", false, &pf->min, d);
        int has_max = ynode_double(m, "max", false, &pf->max, d);
        bad |= has_min < 0 || has_max < 0;
        pf->has_min = has_min > 0;
        pf->has_max = has_max > 0;
    }
    if (!valid_name(metric)) {
        diag_error(d, m->file, m->line, "metric name '%s' must be lowercase a-z, 0-9, _ or -",
                   metric);
        bad = -1;
    }
    if (from_unit && profile_unit_factor(metric, from_unit, unit, &cs, &co)) {
        diag_error(d, m->file, m->line, "no conversion known from '%s' to '%s' for metric '%s'",
                   from_unit, unit, metric);
        bad = -1;
    }
    if (pf->has_min && pf->has_max && pf->min > pf->max) {
        diag_error(d, m->file, m->line, "min is larger than max");
        bad = -1;
    }
    pf->scale = cs * scale;
    pf->offset = co * scale + offset;
    pf->field = xstrdup(field_name);
    pf->metric = xstrdup(metric);
    pf->unit = xstrdup(unit);
    pf->source_unit = xstrdup(from_unit ? from_unit : unit);
    if (!pf->field || !pf->metric || !pf->unit || !pf->source_unit)
        return COL_ERR_NOMEM;
    vals = ynode_get(m, "values");
    if (vals && load_values(pf, vals, d))
        bad = -1;
    (void)p;
    return bad ? COL_ERR_CONFIG : 0;
}

static int load_topics(struct profile *p, const struct ynode *t, struct diag *d)
{
    if (!t || t->kind != YNODE_SEQ || t->n == 0) {
        diag_error(d, p->file, t ? t->line : 1, "'topics' must be a non-empty list of patterns");
        return COL_ERR_CONFIG;
    }
    p->topics = xcalloc(t->n, sizeof(*p->topics));
    if (!p->topics)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < t->n; i++) {
        const struct ynode *it = t->items[i];
        if (it->kind != YNODE_SCALAR || !valid_pattern(it->scalar)) {
            ynode_error(it, d,
                        "bad topic pattern (levels are text, '+', '{site}', '{device}', or a "
                        "final '#')");
            return COL_ERR_CONFIG;
        }
        p->topics[i] = xstrdup(it->scalar);
        if (!p->topics[i])
            return COL_ERR_NOMEM;
        p->n_topics++;
    }
    return 0;
}

static int load_body(struct profile *p, const struct ynode *root, struct diag *d)
{
    static const char *const keys[] = {"name",         "description", "domain", "decoder", "topics",
                                       "time_field",   "interval",    "sample", "period",  "strict",
                                       "senml_device", "hj212_crc",   "fields", NULL};
    static const char *const senml_modes[] = {"base", "split", "name", NULL};
    const char *senml_device = "base", *crc = "hj212";
    static const char *const domains[] = {"air", "water", "noise", "waste", "sewage", NULL};
    const char *name = NULL, *desc = "", *domain = NULL, *dec = "json", *tf = "ts";
    const char *sample = "instant";
    long long interval = 0, period = 0;
    const struct ynode *fields;
    int bad = 0;

    bad |= ynode_check_keys(root, keys, "a device profile", d);
    bad |= ynode_scalar(root, "name", true, &name, d) < 0;
    bad |= ynode_scalar(root, "description", false, &desc, d) < 0;
    bad |= ynode_scalar(root, "domain", true, &domain, d) < 0;
    bad |= ynode_scalar(root, "decoder", false, &dec, d) < 0;
    bad |= ynode_scalar(root, "time_field", false, &tf, d) < 0;
    bad |= ynode_scalar(root, "sample", false, &sample, d) < 0;
    bad |= ynode_duration(root, "interval", true, &interval, d) < 0;
    bad |= ynode_duration(root, "period", false, &period, d) < 0;
    bad |= ynode_bool(root, "strict", &p->is_strict, d) < 0;
    bad |= ynode_scalar(root, "senml_device", false, &senml_device, d) < 0;
    bad |= ynode_scalar(root, "hj212_crc", false, &crc, d) < 0;
    if (bad)
        return COL_ERR_CONFIG;
    for (size_t i = 0; senml_modes[i]; i++)
        if (strcmp(senml_device, senml_modes[i]) == 0)
            p->senml_device = (enum dec_senml_device)i;
    if (strcmp(senml_device, senml_modes[p->senml_device]) != 0) {
        ynode_error(ynode_get(root, "senml_device"), d,
                    "senml_device must be one of base, split, name");
        bad = -1;
    }
    if (hj212_crc_parse(crc, &p->hj212_crc)) {
        ynode_error(ynode_get(root, "hj212_crc"), d,
                    "hj212_crc must be one of hj212, modbus, modbus-swapped, any");
        bad = -1;
    }
    if (!valid_name(name)) {
        ynode_error(ynode_get(root, "name"), d, "profile name must be lowercase a-z, 0-9, _ or -");
        bad = -1;
    }
    bool dom_ok = false;
    for (size_t i = 0; domains[i]; i++)
        dom_ok |= strcmp(domains[i], domain) == 0;
    if (!dom_ok) {
        ynode_error(ynode_get(root, "domain"), d,
                    "domain must be one of air, water, noise, waste, sewage");
        bad = -1;
    }
    p->decoder = decoder_find(dec);
    if (!p->decoder) {
        diag_error(d, p->file, ynode_get(root, "decoder")->line, "unknown decoder '%s'", dec);
        bad = -1;
    }
    if (strcmp(sample, "instant") == 0) {
        p->sample = PROFILE_INSTANT;
    } else if (strcmp(sample, "average") == 0) {
        p->sample = PROFILE_AVERAGE;
    } else {
        ynode_error(ynode_get(root, "sample"), d, "sample must be 'instant' or 'average'");
        bad = -1;
    }
    if (interval <= 0) {
        ynode_error(ynode_get(root, "interval"), d, "interval must be positive");
        bad = -1;
    }
    p->interval_ms = interval;
    p->period_ms = period ? period : interval;
    p->name = xstrdup(name);
    p->description = xstrdup(desc);
    p->domain = xstrdup(domain);
    p->time_field = xstrdup(tf);
    if (!p->name || !p->description || !p->domain || !p->time_field)
        return COL_ERR_NOMEM;
    if (load_topics(p, ynode_get(root, "topics"), d))
        bad = -1;
    fields = ynode_get(root, "fields");
    if (!fields || fields->kind != YNODE_MAP || fields->n == 0) {
        diag_error(d, p->file, fields ? fields->line : root->line,
                   "'fields' must map payload field names to metrics");
        return COL_ERR_CONFIG;
    }
    p->fields = xcalloc(fields->n, sizeof(*p->fields));
    if (!p->fields)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < fields->n; i++) {
        int rc = load_field(p, &p->fields[i], fields->keys[i]->scalar, fields->items[i], d);
        p->n_fields++;
        if (strchr(fields->keys[i]->scalar, '@'))
            p->has_qualified_keys = true;
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

struct profile *profile_load(const char *path, struct diag *d)
{
    char err[512];
    struct ydoc *doc = ydoc_load(path, err, sizeof(err));
    struct profile *p = NULL;

    if (!doc) {
        diag_message(d, err);
        return NULL;
    }
    if (!doc->root || doc->root->kind != YNODE_MAP) {
        diag_error(d, path, 1, "a device profile must be a YAML mapping");
        goto fail;
    }
    p = xcalloc(1, sizeof(*p));
    if (!p)
        goto fail;
    p->file = xstrdup(path);
    if (!p->file || load_body(p, doc->root, d))
        goto fail;
    ydoc_free(doc);
    return p;
fail:
    profile_free(p);
    ydoc_free(doc);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_yaml_ext(const char *n)
{
    size_t l = strlen(n);
    return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0);
}

struct profile_set *profile_set_load_dir(const char *dir, struct diag *d)
{
    struct profile_set *s = NULL;
    DIR *dh = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;

    dh = opendir(dir);
    if (!dh) {
        diag_error(d, dir, 0, "cannot open profile directory: %s", strerror(errno));
        return NULL;
    }
    s = xcalloc(1, sizeof(*s));
    if (!s)
        goto out;
    while ((de = readdir(dh)) != NULL) {
        char **nn;
        if (de->d_name[0] == '.' || !has_yaml_ext(de->d_name))
            continue;
        nn = xrealloc(names, (n + 1) * sizeof(*names));
        if (!nn)
            goto nomem;
        names = nn;
        names[n] = xstrdup(de->d_name);
        if (!names[n])
            goto nomem;
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    s->v = xcalloc(n ? n : 1, sizeof(*s->v));
    if (!s->v)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct profile *p;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        p = profile_load(path, d);
        if (!p)
            continue;
        if (profile_set_find(s, p->name)) {
            diag_error(d, path, 1, "profile name '%s' is already used by %s", p->name,
                       profile_set_find(s, p->name)->file);
            profile_free(p);
            continue;
        }
        s->v[s->n++] = p;
    }
    goto out;
nomem:
    diag_error(d, dir, 0, "out of memory");
    profile_set_free(s);
    s = NULL;
out:
    for (size_t i = 0; i < n; i++)
        xfree(names[i]);
    xfree(names);
    closedir(dh);
    return s;
}

struct profile *profile_set_find(const struct profile_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->name, name) == 0)
            return s->v[i];
    return NULL;
}

static void copy_level(char *dst, size_t sz, const char *src, size_t n)
{
    if (!dst || sz == 0)
        return;
    if (n >= sz)
        n = sz - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool profile_topic_match(const char *pattern, const char *topic, char *site, size_t site_sz,
                         char *device, size_t device_sz)
{
    const char *p = pattern, *t = topic;

    if (site && site_sz)
        site[0] = '\0';
    if (device && device_sz)
        device[0] = '\0';
    for (;;) {
        const char *pe = strchr(p, '/');
        const char *te = strchr(t, '/');
        size_t pn = pe ? (size_t)(pe - p) : strlen(p);
        size_t tn = te ? (size_t)(te - t) : strlen(t);

        if (pn == 1 && p[0] == '#')
            return true;
        if (pn == 6 && memcmp(p, "{site}", 6) == 0) {
            if (tn == 0)
                return false;
            copy_level(site, site_sz, t, tn);
        } else if (pn == 8 && memcmp(p, "{device}", 8) == 0) {
            if (tn == 0)
                return false;
            copy_level(device, device_sz, t, tn);
        } else if (!(pn == 1 && p[0] == '+') && (pn != tn || memcmp(p, t, pn) != 0)) {
            return false;
        }
        /* "a/#" also matches "a" itself (MQTT 3.1.1 §4.7.1.2) */
        if (!te && pe && strcmp(pe + 1, "#") == 0)
            return true;
        if (!pe || !te)
            return !pe && !te;
        p = pe + 1;
        t = te + 1;
    }
}

struct profile *profile_set_match(const struct profile_set *s, const char *topic, char *site,
                                  size_t site_sz, char *device, size_t device_sz)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < s->v[i]->n_topics; k++)
            if (profile_topic_match(s->v[i]->topics[k], topic, site, site_sz, device, device_sz))
                return s->v[i];
    return NULL;
}

const struct profile_field *profile_field_find(const struct profile *p, const char *name)
{
    for (size_t i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].field, name) == 0)
            return &p->fields[i];
    return NULL;
}

/* The mapping keyed "<name>@<qual>", or NULL. */
static const struct profile_field *find_qualified(const struct profile *p, const char *name,
                                                  const char *qual)
{
    size_t nn = strlen(name);

    for (size_t i = 0; i < p->n_fields; i++) {
        const char *k = p->fields[i].field;

        if (strncmp(k, name, nn) == 0 && k[nn] == '@' && strcmp(k + nn + 1, qual) == 0)
            return &p->fields[i];
    }
    return NULL;
}

const struct profile_field *profile_field_for(const struct profile *p, const struct dec_field *f)
{
    const struct profile_field *pf;

    if (f->is_sum)
        return p->has_qualified_keys ? find_qualified(p, f->name, "sum") : NULL;
    if (p->has_qualified_keys && f->unit[0]) {
        pf = find_qualified(p, f->name, f->unit);
        if (pf)
            return pf;
    }
    return profile_field_find(p, f->name);
}

void profile_dec_opts(const struct profile *p, int64_t now_ms, struct dec_opts *out)
{
    memset(out, 0, sizeof(*out));
    out->time_field = p->time_field;
    out->utc_offset_s = DEC_HJ212_UTC_OFFSET_S;
    out->now_ms = now_ms;
    out->crc = p->hj212_crc;
    out->senml_device = p->senml_device;
}

int profile_hj212_topic(const struct profile *p, const char *mn, char *out, size_t outsz)
{
    for (size_t i = 0; i < p->n_topics; i++) {
        const char *t = p->topics[i];

        if (strncmp(t, "hj212/", 6) == 0 && strlen(t) == 17 && strcmp(t + 8, "/{device}") == 0) {
            int n = snprintf(out, outsz, "hj212/%.2s/%s", t + 6, mn);

            if (n < 0 || (size_t)n >= outsz)
                return COL_ERR_RANGE;
            return 0;
        }
    }
    return COL_ERR_NOTFOUND;
}

const char *profile_unit_canonical(const char *u)
{
    /* SenML (RFC 8428 §12.1) and common device spellings → ours. */
    static const struct {
        const char *alias, *ours;
    } aliases[] = {
        {"Cel", "degC"},     {"%RH", "%"},       {"%EL", "%"},       {"m3", "m3"},
        {"ug/m^3", "ug/m3"}, {"µg/m3", "ug/m3"}, {"μg/m3", "ug/m3"}, {"mg/m^3", "mg/m3"},
        {"dBA", "dB(A)"},    {"dB", "dB(A)"},    {"hPa", "hPa"},     {"kg", "kg"},
        {"/", "%"},
    };

    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(u, aliases[i].alias) == 0)
            return aliases[i].ours;
    return u;
}

int profile_convert(const struct profile_field *pf, const struct dec_field *f, double *out)
{
    double raw, scale = pf->scale, offset = pf->offset;

    switch (f->kind) {
    case DEC_NUM:
    case DEC_BOOL:
        raw = f->num;
        break;
    case DEC_STR:
        for (size_t k = 0; k < pf->n_values; k++) {
            if (strcmp(pf->value_names[k], f->str) == 0) {
                *out = pf->value_codes[k];
                return PROFILE_VALUE_OK;
            }
        }
        return PROFILE_VALUE_NON_NUMERIC;
    default:
        return PROFILE_VALUE_NON_NUMERIC;
    }
    if (!isfinite(raw))
        return PROFILE_VALUE_NON_FINITE;
    /* A SenML sum is in its record's unit times seconds (RFC 8428 §4.2): the
     * profile field (unit, from_unit) says what it is, not the payload. */
    if (f->unit[0] && !f->is_sum) {
        const char *u = profile_unit_canonical(f->unit);
        if (strcmp(u, pf->source_unit) != 0 &&
            profile_unit_factor(pf->metric, u, pf->unit, &scale, &offset) != 0)
            return PROFILE_VALUE_BAD_UNIT;
    }
    *out = raw * scale + offset;
    if (!isfinite(*out))
        return PROFILE_VALUE_NON_FINITE;
    if ((pf->has_min && *out < pf->min) || (pf->has_max && *out > pf->max))
        return PROFILE_VALUE_OUT_OF_RANGE;
    return PROFILE_VALUE_OK;
}
