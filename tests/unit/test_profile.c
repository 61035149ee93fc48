/*
 * Tests of device profiles (devices/profile.h): loading a profile file
 * written to a temporary directory, topic pattern matching ({site},
 * {device}, '+', '#'), unit conversion factors worked out by hand, value
 * conversion (scale, range, non-finite, text tables) including the shipped
 * air-station profile, and loading the shipped profile directory. Load
 * errors are in test_profile_errors.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "decode.h"
#include "diag.h"
#include "test_util.h"
#include "profile.h"
#include "xalloc.h"

#include "profile_fixture.h"

/* ---- a profile written by hand ---- */

static const char good_profile[] =
    "name: test-prof\n"                                                             /* 1 */
    "description: Test profile\n"                                                   /* 2 */
    "domain: air\n"                                                                 /* 3 */
    "decoder: json\n"                                                               /* 4 */
    "time_field: time\n"                                                            /* 5 */
    "topics:\n"                                                                     /* 6 */
    "  - \"xh/air/{site}/{device}\"\n"                                              /* 7 */
    "  - \"xh/legacy/+/#\"\n"                                                       /* 8 */
    "interval: 10m\n"                                                               /* 9 */
    "sample: average\n"                                                             /* 10 */
    "period: 1h\n"                                                                  /* 11 */
    "strict: true\n"                                                                /* 12 */
    "fields:\n"                                                                     /* 13 */
    "  pm25: {metric: pm25, unit: ug/m3, min: 0, max: 1000}\n"                      /* 14 */
    "  so2_ppb: {metric: so2, unit: ug/m3, from_unit: ppb, min: 0}\n"               /* 15 */
    "  tempf: {metric: temp, unit: degC, from_unit: degF}\n"                        /* 16 */
    "  raw: {metric: level, unit: m, scale: 0.01, offset: -1}\n"                    /* 17 */
    "  sort: {metric: sort_class, values: {recyclable: 1, kitchen: 2, other: 4}}\n" /* 18 */
    "  flag: {metric: door}\n";                                                     /* 19 */

static struct dec_field num_field(const char *name, double v)
{
    struct dec_field f;

    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "%s", name);
    f.kind = DEC_NUM;
    f.num = v;
    return f;
}

static struct dec_field str_field(const char *name, const char *s)
{
    struct dec_field f;

    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "%s", name);
    f.kind = DEC_STR;
    snprintf(f.str, sizeof(f.str), "%s", s);
    return f;
}

static void test_load_profile(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "test.yaml", good_profile);
    struct capture cap;
    struct diag d;
    struct profile *p;
    const struct profile_field *pf;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    if (!p)
        print_error("%s\n", cap.msg[0]);
    assert_non_null(p);
    assert_int_equal(d.n_errors, 0);
    assert_string_equal(p->name, "test-prof");
    assert_string_equal(p->file, path);
    assert_string_equal(p->description, "Test profile");
    assert_string_equal(p->domain, "air");
    assert_ptr_equal(p->decoder, &decoder_json);
    assert_string_equal(p->time_field, "time");
    assert_int_equal(p->n_topics, 2);
    assert_string_equal(p->topics[0], "xh/air/{site}/{device}");
    assert_string_equal(p->topics[1], "xh/legacy/+/#");
    assert_int_equal(p->interval_ms, 600000); /* 10 * 60 000 */
    assert_int_equal(p->sample, PROFILE_AVERAGE);
    assert_int_equal(p->period_ms, 3600000);
    assert_true(p->is_strict);
    assert_int_equal(p->n_fields, 6);

    pf = profile_field_find(p, "pm25");
    assert_non_null(pf);
    assert_string_equal(pf->field, "pm25");
    assert_string_equal(pf->metric, "pm25");
    assert_string_equal(pf->unit, "ug/m3");
    assert_true(pf->has_min && pf->min == 0);
    assert_true(pf->has_max && pf->max == 1000);
    assert_true(pf->scale == 1 && pf->offset == 0);
    assert_int_equal(pf->line, 14);

    /* ppb → ug/m3 for SO2: M / Vm = 64.064 / 24.4654 = 2.618555 (see test_unit_factors). */
    pf = profile_field_find(p, "so2_ppb");
    assert_string_equal(pf->metric, "so2");
    assert_true(fabs(pf->scale - 2.618555) < 1e-6);
    assert_false(pf->has_max);

    /* degF → degC: (F - 32) * 5/9, i.e. scale 5/9 = 0.5556, offset -160/9 = -17.78. */
    pf = profile_field_find(p, "tempf");
    assert_true(fabs(pf->scale - 0.5555556) < 1e-6);
    assert_true(fabs(pf->offset - -17.7777778) < 1e-6);

    pf = profile_field_find(p, "raw");
    assert_true(pf->scale == 0.01);
    assert_true(pf->offset == -1);

    pf = profile_field_find(p, "sort");
    assert_int_equal(pf->n_values, 3);
    assert_string_equal(pf->value_names[1], "kitchen");
    assert_true(pf->value_codes[1] == 2);

    /* No metric given: a unit-less field named as the metric... */
    pf = profile_field_find(p, "flag");
    assert_string_equal(pf->metric, "door");
    assert_string_equal(pf->unit, "");
    assert_null(profile_field_find(p, "nope"));
    assert_null(profile_field_find(p, "PM25"));
    profile_free(p);
}

static void test_profile_defaults(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "min.yaml",
                                 "name: minimal\n"
                                 "domain: noise\n"
                                 "topics: [\"n/{device}\"]\n"
                                 "interval: 30s\n"
                                 "fields:\n"
                                 "  leq: {}\n");
    struct capture cap;
    struct diag d;
    struct profile *p;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    assert_non_null(p);
    assert_int_equal(d.n_errors, 0);
    assert_ptr_equal(p->decoder, &decoder_json);
    assert_string_equal(p->time_field, "ts");
    assert_string_equal(p->description, "");
    assert_int_equal(p->sample, PROFILE_INSTANT);
    assert_int_equal(p->interval_ms, 30000);
    assert_int_equal(p->period_ms, 30000); /* the period defaults to the interval */
    assert_false(p->is_strict);
    assert_int_equal(p->n_fields, 1);
    assert_string_equal(p->fields[0].metric, "leq"); /* the field name */
    assert_false(p->fields[0].has_min);
    assert_false(p->fields[0].has_max);
    assert_int_equal(p->senml_device, DEC_SENML_BASE);
    assert_int_equal(p->hj212_crc, DEC_CRC_HJ212);
    profile_free(p);
}

/* senml_device and hj212_crc, and the decoder options a profile gives. */
static void test_device_keys(void **state)
{
    static const struct {
        const char *yaml;
        enum dec_senml_device senml;
        enum dec_crc crc;
    } cases[] = {
        {"senml_device: base\nhj212_crc: hj212\n", DEC_SENML_BASE, DEC_CRC_HJ212},
        {"senml_device: split\nhj212_crc: modbus\n", DEC_SENML_SPLIT, DEC_CRC_MODBUS},
        {"senml_device: name\nhj212_crc: modbus-swapped\n", DEC_SENML_NAME, DEC_CRC_MODBUS_SWAPPED},
        {"hj212_crc: any\n", DEC_SENML_BASE, DEC_CRC_ANY},
    };
    struct tmp *t = *state;
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct capture cap;
        struct diag d;
        struct profile *p;
        struct dec_opts o;

        snprintf(text, sizeof(text),
                 "name: k\ndomain: air\ntopics: [\"a/{device}\"]\ninterval: 1m\n%s"
                 "fields:\n  pm25: {}\n",
                 cases[i].yaml);
        cap_init(&cap, &d);
        p = profile_load(tmp_write(t, "k.yaml", text), &d);
        assert_non_null(p);
        assert_int_equal(p->senml_device, cases[i].senml);
        assert_int_equal(p->hj212_crc, cases[i].crc);
        profile_dec_opts(p, 1732600000000LL, &o);
        assert_int_equal(o.senml_device, cases[i].senml);
        assert_int_equal(o.crc, cases[i].crc);
        assert_int_equal(o.now_ms, 1732600000000LL);
        assert_int_equal(o.utc_offset_s, 8 * 3600);
        assert_string_equal(o.time_field, "ts");
        profile_free(p);
    }
}

static struct dec_field unit_field(const char *name, const char *unit, double v, bool is_sum)
{
    struct dec_field f;

    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "%s", name);
    snprintf(f.unit, sizeof(f.unit), "%s", unit);
    f.kind = DEC_NUM;
    f.num = v;
    f.is_sum = is_sum;
    return f;
}

/* "<name>@<unit>", "<name>@sum" and "@<unit>" keys (RFC 8428 §5.1.3 packs). */
static void test_field_for_qualified_keys(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "q.yaml",
                                 "name: q\ndomain: air\ntopics: [\"a/{device}\"]\n"
                                 "interval: 1m\nsenml_device: name\n"
                                 "fields:\n"
                                 "  \"@%RH\": {metric: humidity, unit: \"%\"}\n"
                                 "  \"@lat\": {metric: lat, unit: lat}\n"
                                 "  energy: {metric: power, unit: W}\n"
                                 "  \"energy@sum\": {metric: energy, unit: J}\n"
                                 "  temp: {metric: temp, unit: degC}\n"
                                 "  \"temp@K\": {metric: temp_k, unit: K}\n");
    struct capture cap;
    struct diag d;
    struct profile *p;
    struct dec_field f;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    assert_non_null(p);
    assert_true(p->has_qualified_keys);
    f = unit_field("", "%RH", 20, false);
    assert_string_equal(profile_field_for(p, &f)->metric, "humidity");
    f = unit_field("", "lat", 60.1, false);
    assert_string_equal(profile_field_for(p, &f)->metric, "lat");
    f = unit_field("", "lon", 24.3, false);
    assert_null(profile_field_for(p, &f));
    f = unit_field("energy", "W", 5, false);
    assert_string_equal(profile_field_for(p, &f)->metric, "power");
    f = unit_field("energy", "W", 50, true);
    assert_string_equal(profile_field_for(p, &f)->metric, "energy");
    f = unit_field("temp", "Cel", 20, true); /* no temp@sum: a sum maps only by @sum */
    assert_null(profile_field_for(p, &f));
    f = unit_field("temp", "K", 293, false);
    assert_string_equal(profile_field_for(p, &f)->metric, "temp_k");
    f = unit_field("temp", "Cel", 20, false);
    assert_string_equal(profile_field_for(p, &f)->metric, "temp");
    profile_free(p);
}

static void test_hj212_topic(void **state)
{
    struct profile p;
    char *topics[] = {"xh/water/{site}/{device}", "hj212/+/{device}", "hj212/21/{device}"};
    char out[64];

    memset(&p, 0, sizeof(p));
    p.topics = topics;
    p.n_topics = 3;
    assert_int_equal(profile_hj212_topic(&p, "WQ01", out, sizeof(out)), 0);
    assert_string_equal(out, "hj212/21/WQ01");
    assert_int_equal(profile_hj212_topic(&p, "WQ01", out, 10), COL_ERR_RANGE);
    p.n_topics = 2;
    assert_int_equal(profile_hj212_topic(&p, "WQ01", out, sizeof(out)), COL_ERR_NOTFOUND);
}

/* ---- topic matching ---- */

static void test_topic_match(void **state)
{
    char site[32], dev[32];

    assert_true(profile_topic_match("xh/air/{site}/{device}", "xh/air/xujiahui/aqm-01", site,
                                    sizeof(site), dev, sizeof(dev)));
    assert_string_equal(site, "xujiahui");
    assert_string_equal(dev, "aqm-01");

    /* Lengths differ. */
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/air/xujiahui", site,
                                     sizeof(site), dev, sizeof(dev)));
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/air/xujiahui/aqm-01/x", site,
                                     sizeof(site), dev, sizeof(dev)));
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/air/xujiahui/aqm-01/", site,
                                     sizeof(site), dev, sizeof(dev)));
    /* Empty {site} or {device} levels do not name anything. */
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/air//aqm-01", site, sizeof(site),
                                     dev, sizeof(dev)));
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/air/xujiahui/", site,
                                     sizeof(site), dev, sizeof(dev)));
    /* Literal levels compare whole. */
    assert_false(profile_topic_match("xh/air/{site}/{device}", "xh/water/s/d", site, sizeof(site),
                                     dev, sizeof(dev)));
    assert_false(profile_topic_match("xh/air/{device}", "xh/airx/d", NULL, 0, dev, sizeof(dev)));
    assert_false(profile_topic_match("xh/ai/{device}", "xh/air/d", NULL, 0, dev, sizeof(dev)));
    assert_false(profile_topic_match("XH/air/{device}", "xh/air/d", NULL, 0, dev, sizeof(dev)));

    /* Without {site}, site comes back empty; NULL buffers are allowed. */
    snprintf(site, sizeof(site), "%s", "junk");
    assert_true(profile_topic_match("n/{device}", "n/d7", site, sizeof(site), dev, sizeof(dev)));
    assert_string_equal(site, "");
    assert_string_equal(dev, "d7");
    assert_true(profile_topic_match("n/{device}", "n/d7", NULL, 0, NULL, 0));
    /* A long level is cut to the buffer. */
    assert_true(profile_topic_match("n/{device}", "n/abcdefgh", NULL, 0, dev, 4));
    assert_string_equal(dev, "abc");
}

static void test_topic_match_wildcards(void **state)
{
    /* '+' is exactly one level, which may be empty (MQTT 4.7.1.3). */
    assert_true(profile_topic_match("xh/+/status", "xh/gw1/status", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("xh/+/status", "xh//status", NULL, 0, NULL, 0));
    assert_false(profile_topic_match("xh/+/status", "xh/a/b/status", NULL, 0, NULL, 0));
    assert_false(profile_topic_match("xh/+/status", "xh/status", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("+", "x", NULL, 0, NULL, 0));
    assert_false(profile_topic_match("+", "x/y", NULL, 0, NULL, 0));
    /* '#' is any number of levels at the end. */
    assert_true(profile_topic_match("xh/#", "xh/a/b/c", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("xh/#", "xh/a", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("xh/#", "xh/", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("#", "anything/at/all", NULL, 0, NULL, 0));
    assert_false(profile_topic_match("xh/#", "other/a", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("xh/legacy/+/#", "xh/legacy/s1/d/x", NULL, 0, NULL, 0));
}

static void test_topic_match_hash_includes_parent(void **state)
{
    char site[32];

    /* MQTT 3.1.1 §4.7.1.2: "sport/tennis/#" also matches "sport/tennis" — '#' includes the
     * parent level. A profile for "xh/air/{site}/#" must therefore take "xh/air/s1". */
    assert_true(profile_topic_match("xh/#", "xh", NULL, 0, NULL, 0));
    assert_true(profile_topic_match("xh/air/{site}/#", "xh/air/s1", site, sizeof(site), NULL, 0));
    assert_string_equal(site, "s1");
}

static void test_set_match(void **state)
{
    struct tmp *t = *state;
    struct capture cap;
    struct diag d;
    struct profile_set *s;
    char site[32], dev[32];

    tmp_write(t, "a.yaml", good_profile);
    tmp_write(t, "b.yml",
              "name: second\ndomain: water\ntopics: [\"xh/#\"]\ninterval: 1m\n"
              "fields: {ph: {min: 0, max: 14}}\n");
    tmp_write(t, "notes.txt", "not a profile");
    tmp_write(t, ".hidden.yaml", "broken: [");
    cap_init(&cap, &d);
    s = profile_set_load_dir(t->dir, &d);
    assert_non_null(s);
    if (d.n_errors)
        print_error("%s\n", cap.msg[0]);
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(s->n, 2);
    /* Sorted by file name: a.yaml first, so its pattern wins. */
    assert_string_equal(s->v[0]->name, "test-prof");
    assert_string_equal(s->v[1]->name, "second");
    assert_ptr_equal(profile_set_find(s, "second"), s->v[1]);
    assert_null(profile_set_find(s, "third"));

    assert_ptr_equal(profile_set_match(s, "xh/air/s1/d1", site, sizeof(site), dev, sizeof(dev)),
                     s->v[0]);
    assert_string_equal(site, "s1");
    assert_string_equal(dev, "d1");
    assert_ptr_equal(profile_set_match(s, "xh/water/w", site, sizeof(site), dev, sizeof(dev)),
                     s->v[1]);
    assert_null(profile_set_match(s, "other/x", site, sizeof(site), dev, sizeof(dev)));
    profile_set_free(s);
}

static void test_set_load_dir_errors(void **state)
{
    struct tmp *t = *state;
    struct capture cap;
    struct diag d;
    struct profile_set *s;
    char path[300];

    tmp_write(t, "a.yaml", good_profile);
    tmp_write(t, "b.yaml", good_profile); /* same name */
    tmp_write(t, "c.yaml", "name: broken\n");
    cap_init(&cap, &d);
    s = profile_set_load_dir(t->dir, &d);
    assert_non_null(s);
    assert_int_equal(s->n, 1);
    assert_string_equal(s->v[0]->name, "test-prof");
    /* b.yaml repeats a name; c.yaml lacks domain and interval (and the rest). */
    assert_true(d.n_errors >= 2);
    snprintf(path, sizeof(path),
             "%s/b.yaml:1: profile name 'test-prof' is already used by %s/a.yaml", t->dir, t->dir);
    assert_string_equal(cap.msg[0], path);
    profile_set_free(s);

    cap_init(&cap, &d);
    snprintf(path, sizeof(path), "%s/does-not-exist", t->dir);
    assert_null(profile_set_load_dir(path, &d));
    assert_int_equal(d.n_errors, 1);
    assert_non_null(strstr(cap.msg[0], "cannot open profile directory"));
}

/* ---- unit factors ---- */

static void factor(const char *metric, const char *from, const char *to, double want_scale,
                   double want_offset)
{
    double scale = -1, offset = -1;

    assert_int_equal(profile_unit_factor(metric, from, to, &scale, &offset), 0);
    if (fabs(scale - want_scale) > 1e-6 * fabs(want_scale) || fabs(offset - want_offset) > 1e-6)
        print_error("%s %s → %s: %.9g, %.9g\n", metric, from, to, scale, offset);
    assert_true(fabs(scale - want_scale) <= 1e-6 * fabs(want_scale));
    assert_true(fabs(offset - want_offset) <= 1e-6);
}

static void test_unit_factors(void **state)
{
    double scale, offset;

    factor("pm25", "ug/m3", "mg/m3", 0.001, 0);
    factor("co", "mg/m3", "ug/m3", 1000, 0);
    factor("pm25", "ug/m3", "ug/m3", 1, 0);
    factor("pres", "kPa", "hPa", 10, 0);
    factor("wspm", "km/h", "m/s", 0.2777778, 0); /* 1000 m / 3600 s */
    /* Molar volume at 298.15 K and 101325 Pa: V = R T / p = 8.314462618 * 298.15 / 101325
     * = 0.0244654 m3/mol = 24.4654 L/mol. 1 ppb of a gas of molar mass M g/mol is then
     * M / 24.4654 ug/m3, and 1 ppm is M / 24.4654 mg/m3. */
    /* SO2, M = 64.064: 64.064 / 24.4654 = 2.618555 */
    factor("so2", "ppb", "ug/m3", 2.618555, 0);
    /* ... and per mg/m3 a thousandth of that. */
    factor("so2", "ppb", "mg/m3", 0.002618555, 0);
    /* A suffixed metric uses its gas: so2_1h is still SO2. */
    factor("so2_1h", "ppb", "ug/m3", 2.618555, 0);
    /* CO, M = 28.010: 28.010 / 24.4654 = 1.144882 */
    factor("co", "ppm", "mg/m3", 1.144882, 0);
    /* NO, M = 30.006: 1.226467; NO2, M = 46.0055: 1.880431 — "no2" must not read as "no". */
    factor("no", "ppb", "ug/m3", 1.226467, 0);
    factor("no2", "ppb", "ug/m3", 1.880431, 0);
    /* degF → degC: C = (F - 32) * 5/9 = F * 0.5555556 - 17.7777778 */
    factor("temp", "degF", "degC", 0.5555556, -17.7777778);
    assert_int_equal(profile_unit_factor("temp", "degF", "degC", &scale, &offset), 0);
    assert_true(fabs(212 * scale + offset - 100) < 1e-9); /* boiling point */
    assert_true(fabs(32 * scale + offset) < 1e-9);        /* freezing point */

    /* No conversion known. */
    assert_int_equal(profile_unit_factor("pm25", "ppb", "ug/m3", &scale, &offset),
                     COL_ERR_INVAL); /* particles have no molar mass */
    assert_int_equal(profile_unit_factor("co2", "ppm", "mg/m3", &scale, &offset), COL_ERR_INVAL);
    assert_int_equal(profile_unit_factor("x", "foo", "bar", &scale, &offset), COL_ERR_INVAL);
    assert_int_equal(profile_unit_factor("so2", "ppb", "degC", &scale, &offset), COL_ERR_INVAL);
    assert_int_equal(profile_unit_factor("t", "degC", "degF", &scale, &offset), COL_ERR_INVAL);
}

/* ---- conversion ---- */

static struct profile *load_shipped(void)
{
    struct capture cap;
    struct diag d;
    struct profile *p;

    cap_init(&cap, &d);
    p = profile_load(PROJECT_SRC_DIR "/devices/profiles/air-station.yaml", &d);
    if (!p)
        print_error("%s\n", cap.msg[0]);
    assert_non_null(p);
    assert_int_equal(d.n_errors, 0);
    return p;
}

static void test_convert_shipped_air_station(void **state)
{
    struct profile *p = load_shipped();
    const struct profile_field *pf;
    struct dec_field f;
    double v = -1;

    assert_string_equal(p->name, "air-station");
    assert_int_equal(p->interval_ms, 3600000);
    /* co_ugm3 is CO in ug/m3, stored as co in mg/m3: 300 ug/m3 = 0.3 mg/m3. */
    pf = profile_field_find(p, "co_ugm3");
    assert_non_null(pf);
    assert_string_equal(pf->metric, "co");
    assert_string_equal(pf->unit, "mg/m3");
    f = num_field("co_ugm3", 300);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 0.3) < 1e-12);

    /* pm25 range is [0, 2000]: the bounds themselves are valid. */
    pf = profile_field_find(p, "pm25");
    f = num_field("pm25", 23.4);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OK);
    assert_true(v == 23.4);
    f = num_field("pm25", 2000);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OK);
    f = num_field("pm25", 0);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OK);
    f = num_field("pm25", 2000.001);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OUT_OF_RANGE);
    f = num_field("pm25", -0.1);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OUT_OF_RANGE);
    /* co_ugm3: 150 mg/m3 max = 150000 ug/m3 raw; 150001 raw is 150.001 mg/m3. */
    pf = profile_field_find(p, "co_ugm3");
    f = num_field("co_ugm3", 150001);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_OUT_OF_RANGE);

    f = num_field("pm25", NAN);
    pf = profile_field_find(p, "pm25");
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_NON_FINITE);
    f = num_field("pm25", INFINITY);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_NON_FINITE);
    f = num_field("pm25", -INFINITY);
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_NON_FINITE);
    f = str_field("pm25", "12");
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_NON_NUMERIC);
    f.kind = DEC_NULL;
    assert_int_equal(profile_convert(pf, &f, &v), PROFILE_VALUE_NON_NUMERIC);
    profile_free(p);
}

static void test_convert_scale_bool_text(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "test.yaml", good_profile);
    struct capture cap;
    struct diag d;
    struct profile *p;
    struct dec_field f;
    double v = -1;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    assert_non_null(p);

    /* raw: stored = raw * 0.01 - 1, so 250 → 1.5. */
    f = num_field("raw", 250);
    assert_int_equal(profile_convert(profile_field_find(p, "raw"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 1.5) < 1e-12);
    /* 212 degF = 100 degC. */
    f = num_field("tempf", 212);
    assert_int_equal(profile_convert(profile_field_find(p, "tempf"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 100) < 1e-9);
    /* 10 ppb SO2 = 26.18555 ug/m3. */
    f = num_field("so2_ppb", 10);
    assert_int_equal(profile_convert(profile_field_find(p, "so2_ppb"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 26.18555) < 1e-5);
    /* A boolean is 0 or 1. */
    f = num_field("flag", 1);
    f.kind = DEC_BOOL;
    assert_int_equal(profile_convert(profile_field_find(p, "flag"), &f, &v), PROFILE_VALUE_OK);
    assert_true(v == 1);
    /* Text through the values table. */
    f = str_field("sort", "kitchen");
    assert_int_equal(profile_convert(profile_field_find(p, "sort"), &f, &v), PROFILE_VALUE_OK);
    assert_true(v == 2);
    f = str_field("sort", "other");
    assert_int_equal(profile_convert(profile_field_find(p, "sort"), &f, &v), PROFILE_VALUE_OK);
    assert_true(v == 4);
    f = str_field("sort", "Kitchen");
    assert_int_equal(profile_convert(profile_field_find(p, "sort"), &f, &v),
                     PROFILE_VALUE_NON_NUMERIC);
    /* A product that overflows is not finite: 1e308 * 2.618555 = inf. */
    f = num_field("so2_ppb", 1e308);
    assert_int_equal(profile_convert(profile_field_find(p, "so2_ppb"), &f, &v),
                     PROFILE_VALUE_NON_FINITE);
    profile_free(p);
}

static void test_convert_payload_unit(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "test.yaml", good_profile);
    struct capture cap;
    struct diag d;
    struct profile *p;
    struct dec_field f;
    double v = -1;

    cap_init(&cap, &d);
    p = profile_load(path, &d);
    assert_non_null(p);
    /* The device sends what it declares: the field's source unit. */
    assert_string_equal(profile_field_find(p, "pm25")->source_unit, "ug/m3");
    assert_string_equal(profile_field_find(p, "so2_ppb")->source_unit, "ppb");

    /* pm25 named in mg/m3 by the payload: 0.05 mg/m3 = 50 ug/m3. */
    f = num_field("pm25", 0.05);
    snprintf(f.unit, sizeof(f.unit), "mg/m3");
    assert_int_equal(profile_convert(profile_field_find(p, "pm25"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 50) < 1e-9);
    /* ... and the range applies after conversion: 2 mg/m3 = 2000 ug/m3 > 1000. */
    f.num = 2;
    assert_int_equal(profile_convert(profile_field_find(p, "pm25"), &f, &v),
                     PROFILE_VALUE_OUT_OF_RANGE);
    /* The same unit as declared, in another spelling: unchanged. */
    f = num_field("pm25", 12);
    snprintf(f.unit, sizeof(f.unit), "µg/m3");
    assert_int_equal(profile_convert(profile_field_find(p, "pm25"), &f, &v), PROFILE_VALUE_OK);
    assert_true(v == 12);
    /* The declared source unit keeps the profile's conversion: 10 ppb SO2 = 26.18555 ug/m3. */
    f = num_field("so2_ppb", 10);
    snprintf(f.unit, sizeof(f.unit), "ppb");
    assert_int_equal(profile_convert(profile_field_find(p, "so2_ppb"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 26.18555) < 1e-5);
    /* A field declared in degF sent in SenML "Cel" is already degC: 21.5 stays 21.5. */
    f = num_field("tempf", 21.5);
    snprintf(f.unit, sizeof(f.unit), "Cel");
    assert_int_equal(profile_convert(profile_field_find(p, "tempf"), &f, &v), PROFILE_VALUE_OK);
    assert_true(fabs(v - 21.5) < 1e-9);
    /* A unit nobody can convert. */
    f = num_field("pm25", 1);
    snprintf(f.unit, sizeof(f.unit), "furlong");
    assert_int_equal(profile_convert(profile_field_find(p, "pm25"), &f, &v),
                     PROFILE_VALUE_BAD_UNIT);

    assert_string_equal(profile_unit_canonical("Cel"), "degC");
    assert_string_equal(profile_unit_canonical("%RH"), "%");
    assert_string_equal(profile_unit_canonical("ug/m3"), "ug/m3");
    assert_string_equal(profile_unit_canonical("whatever"), "whatever");
    profile_free(p);
}

static void test_shipped_profiles(void **state)
{
    struct capture cap;
    struct diag d;
    struct profile_set *s;

    cap_init(&cap, &d);
    s = profile_set_load_dir(PROJECT_SRC_DIR "/devices/profiles", &d);
    assert_non_null(s);
    if (d.n_errors)
        print_error("%s\n", cap.msg[0]);
    assert_int_equal(d.n_errors, 0);
    assert_true(s->n >= 1);
    assert_non_null(profile_set_find(s, "air-station"));
    for (size_t i = 0; i < s->n; i++) {
        assert_non_null(s->v[i]->decoder);
        assert_true(s->v[i]->n_topics >= 1);
        assert_true(s->v[i]->n_fields >= 1);
        assert_true(s->v[i]->interval_ms > 0);
    }
    profile_set_free(s);
}

static void test_load_allocation_failures(void **state)
{
    struct tmp *t = *state;
    const char *path = tmp_write(t, "alloc.yaml", good_profile);
    struct capture cap;
    struct diag d;
    struct profile *p;
    long total;

    cap_init(&cap, &d);
    xalloc_fail_at(0);
    p = profile_load(path, &d);
    total = xalloc_count();
    assert_non_null(p);
    profile_free(p);

    for (long n = 1; n <= total + 1; n++) {
        cap_init(&cap, &d);
        xalloc_fail_at(n);
        p = profile_load(path, &d);
        xalloc_fail_at(0);
        if (n <= total) {
            if (p)
                print_error("allocation %ld failed but the profile loaded\n", n);
            assert_null(p);
        } else {
            assert_non_null(p);
            assert_int_equal(p->n_fields, 6);
        }
        profile_free(p);
    }
    xalloc_fail_at(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_profile, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_profile_defaults, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_device_keys, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_field_for_qualified_keys, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_hj212_topic),
        cmocka_unit_test(test_topic_match),
        cmocka_unit_test(test_topic_match_wildcards),
        cmocka_unit_test(test_topic_match_hash_includes_parent),
        cmocka_unit_test_setup_teardown(test_set_match, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_set_load_dir_errors, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_unit_factors),
        cmocka_unit_test(test_convert_shipped_air_station),
        cmocka_unit_test_setup_teardown(test_convert_scale_bool_text, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_convert_payload_unit, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_shipped_profiles),
        cmocka_unit_test_setup_teardown(test_load_allocation_failures, tmp_setup, tmp_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
