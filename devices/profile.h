/*
 * Device profiles: one YAML file per sensor model saying which topics the
 * model publishes on, which decoder reads its payloads, and how each payload
 * field becomes a stored metric (unit conversion, valid range). Ingest asks
 * a profile set which profile matches a topic and lets the profile turn
 * decoded fields into readings.
 */
#ifndef PROFILE_H
#define PROFILE_H

#include "decode.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

#define PROFILE_METRIC_MAX 32
#define PROFILE_MAX_VALUES 16

enum profile_sample { PROFILE_INSTANT, PROFILE_AVERAGE };

/* How one payload field becomes a metric: stored = raw * scale + offset. */
struct profile_field {
    char *field;       /* name as the decoder reports it */
    char *metric;      /* stored metric name */
    char *unit;        /* unit of the stored value */
    char *source_unit; /* unit the device sends (from_unit, else unit) */
    double scale, offset;
    double min, max; /* valid range of the stored value */
    bool has_min, has_max;
    /* For text values (e.g. a sorting category): text → stored number. */
    size_t n_values;
    char *value_names[PROFILE_MAX_VALUES];
    double value_codes[PROFILE_MAX_VALUES];
    int line;
};

struct profile {
    char *name;
    char *file;
    char *description;
    char *domain; /* air, water, noise, waste, sewage */
    const struct decoder *decoder;
    char *time_field;
    size_t n_topics;
    char **topics;       /* patterns: "xh/air/{site}/{device}", '+' and '#' allowed */
    int64_t interval_ms; /* expected report interval */
    enum profile_sample sample;
    int64_t period_ms;                  /* averaging period when sample == PROFILE_AVERAGE */
    bool is_strict;                     /* unknown fields are rejected instead of ignored */
    enum dec_crc hj212_crc;             /* hj212_crc: the checksum its HJ 212 packets carry */
    enum dec_senml_device senml_device; /* senml_device: how a SenML name splits */
    bool has_qualified_keys;            /* some field key has '@' (see profile_field_for) */
    size_t n_fields;
    struct profile_field *fields;
};

struct profile_set {
    size_t n;
    struct profile **v;
};

/*
 * Load every *.yaml / *.yml file in @dir (sorted by name). Problems go to
 * @d as file:line; the set holds the profiles that loaded cleanly. Returns
 * NULL only when the directory cannot be read or memory runs out.
 */
struct profile_set *profile_set_load_dir(const char *dir, struct diag *d);
/* Load a single profile file; NULL on error (reported to @d). */
struct profile *profile_load(const char *path, struct diag *d);
void profile_free(struct profile *p);
void profile_set_free(struct profile_set *s);

struct profile *profile_set_find(const struct profile_set *s, const char *name);

/*
 * The first profile whose topic pattern matches @topic; when it names
 * {site} and {device} levels, copies them into @site / @device (else "").
 */
struct profile *profile_set_match(const struct profile_set *s, const char *topic, char *site,
                                  size_t site_sz, char *device, size_t device_sz);

/* True when @pattern matches @topic; fills site/device as above. */
bool profile_topic_match(const char *pattern, const char *topic, char *site, size_t site_sz,
                         char *device, size_t device_sz);

/* The field mapping for payload field @name, or NULL when the profile has none. */
const struct profile_field *profile_field_find(const struct profile *p, const char *name);

/*
 * The field mapping for the decoded value @f. A SenML sum is looked up as
 * "<name>@sum"; any other value first as "<name>@<unit>" when it names a
 * unit (so records told apart only by unit, RFC 8428 §5.1.3, can map to
 * different metrics: "@%RH", "@lat"), then as "<name>". '@' is not a
 * character of SenML names, HJ 212 codes or JSON keys ingest reads, so
 * these keys meet no payload name. NULL when nothing maps.
 */
const struct profile_field *profile_field_for(const struct profile *p, const struct dec_field *f);

/*
 * Decoder options for a payload of @p received at @now_ms (UTC): time
 * field, HJ 212 local time (China Standard Time), checksum mode and SenML
 * name split.
 */
void profile_dec_opts(const struct profile *p, int64_t now_ms, struct dec_opts *out);

/*
 * The topic an HJ 212 packet of device @mn is ingested under when its own
 * "hj212/<ST>/<MN>" matches no profile: the first pattern of @p of the form
 * "hj212/<ST>/{device}" with {device} replaced by @mn, into @out. Returns 0,
 * or COL_ERR_NOTFOUND when @p has no such pattern.
 */
int profile_hj212_topic(const struct profile *p, const char *mn, char *out, size_t outsz);

/* Why profile_convert() refused a value. */
enum profile_value_err {
    PROFILE_VALUE_OK = 0,
    PROFILE_VALUE_NON_NUMERIC = -1,
    PROFILE_VALUE_NON_FINITE = -2,
    PROFILE_VALUE_OUT_OF_RANGE = -3,
    PROFILE_VALUE_BAD_UNIT = -4, /* the payload names a unit we cannot convert */
};

/*
 * Convert a decoded field to the stored value of @pf: numbers and booleans
 * are scaled, text is looked up in the field's value table. When the
 * payload names the value's unit (SenML "u") and it differs from the
 * profile's, the value is converted from that unit instead (not for a
 * SenML sum, whose unit is the record's times seconds). Returns
 * PROFILE_VALUE_OK with *out set, or the reason it was refused.
 */
int profile_convert(const struct profile_field *pf, const struct dec_field *f, double *out);

/*
 * Conversion factor and offset from unit @from to unit @to for @metric
 * (the metric gives the molar mass for ppb → µg/m³ at the reference state
 * 298.15 K, 1013.25 hPa). Returns 0, or COL_ERR_INVAL when no conversion is
 * known.
 */
int profile_unit_factor(const char *metric, const char *from, const char *to, double *scale,
                        double *offset);

/* Our name for a unit written another way (SenML "Cel" → "degC"); else @u. */
const char *profile_unit_canonical(const char *u);

#endif
