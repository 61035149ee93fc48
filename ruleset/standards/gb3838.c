/*
 * GB 3838-2002 classes (standards README §4, gb3838.csv [S]) and the single-factor method of
 * 环办〔2011〕22号 (README §4.2, decision 2).
 *
 * One constant row per parameter mirrors gb3838.csv: five limits, the sense of comparison and
 * whether it counts among the 21 evaluated items. TP keeps two limit rows (river, lake). The
 * limits are written as in the CSV so that a value typed as "0.5" compares equal to the limit
 * "0.5": exact double comparison is what makes a value on a shared limit land in the better
 * class.
 */
#include <math.h>
#include <string.h>

#include "col_err.h"
#include "gb3838.h"

#define N_CLASSES 5

enum sense {
    SENSE_NONE,  /* not classed (water temperature) */
    SENSE_MAX,   /* value <= limit */
    SENSE_MIN,   /* value >= limit (DO) */
    SENSE_RANGE, /* lo <= value <= hi for every class (pH) */
};

enum applies { ALL_WATERS, LAKE_ONLY };

struct param_row {
    const char *name; /* gb3838.csv item */
    enum sense sense;
    enum applies applies;
    bool is_evaluated; /* in_national_21_item_evaluation */
    double limit[N_CLASSES];
};

/* gb3838.csv, README §4.1; TP here holds the river row, TP_LAKE below the lake row. */
static const struct param_row rows[GB3838_N_PARAMS] = {
    [GB3838_PH] = {"ph", SENSE_RANGE, ALL_WATERS, true, {0}},
    [GB3838_DO] = {"do", SENSE_MIN, ALL_WATERS, true, {7.5, 6, 5, 3, 2}},
    [GB3838_CODMN] = {"codmn", SENSE_MAX, ALL_WATERS, true, {2, 4, 6, 10, 15}},
    [GB3838_COD] = {"cod", SENSE_MAX, ALL_WATERS, true, {15, 15, 20, 30, 40}},
    [GB3838_BOD5] = {"bod5", SENSE_MAX, ALL_WATERS, true, {3, 3, 4, 6, 10}},
    [GB3838_NH3N] = {"nh3n", SENSE_MAX, ALL_WATERS, true, {0.15, 0.5, 1.0, 1.5, 2.0}},
    [GB3838_TP] = {"tp", SENSE_MAX, ALL_WATERS, true, {0.02, 0.1, 0.2, 0.3, 0.4}},
    [GB3838_TN] = {"tn", SENSE_MAX, LAKE_ONLY, false, {0.2, 0.5, 1.0, 1.5, 2.0}},
    [GB3838_CU] = {"cu", SENSE_MAX, ALL_WATERS, true, {0.01, 1.0, 1.0, 1.0, 1.0}},
    [GB3838_ZN] = {"zn", SENSE_MAX, ALL_WATERS, true, {0.05, 1.0, 1.0, 2.0, 2.0}},
    [GB3838_FLUORIDE] = {"fluoride", SENSE_MAX, ALL_WATERS, true, {1.0, 1.0, 1.0, 1.5, 1.5}},
    [GB3838_SE] = {"se", SENSE_MAX, ALL_WATERS, true, {0.01, 0.01, 0.01, 0.02, 0.02}},
    [GB3838_AS] = {"as", SENSE_MAX, ALL_WATERS, true, {0.05, 0.05, 0.05, 0.1, 0.1}},
    [GB3838_HG] = {"hg", SENSE_MAX, ALL_WATERS, true, {0.00005, 0.00005, 0.0001, 0.001, 0.001}},
    [GB3838_CD] = {"cd", SENSE_MAX, ALL_WATERS, true, {0.001, 0.005, 0.005, 0.005, 0.01}},
    [GB3838_CR6] = {"cr6", SENSE_MAX, ALL_WATERS, true, {0.01, 0.05, 0.05, 0.05, 0.1}},
    [GB3838_PB] = {"pb", SENSE_MAX, ALL_WATERS, true, {0.01, 0.01, 0.05, 0.05, 0.1}},
    [GB3838_CYANIDE] = {"cyanide", SENSE_MAX, ALL_WATERS, true, {0.005, 0.05, 0.2, 0.2, 0.2}},
    [GB3838_VOLATILE_PHENOL] =
        {"volatile_phenol", SENSE_MAX, ALL_WATERS, true, {0.002, 0.002, 0.005, 0.01, 0.1}},
    [GB3838_PETROLEUM] = {"petroleum", SENSE_MAX, ALL_WATERS, true, {0.05, 0.05, 0.05, 0.5, 1.0}},
    [GB3838_LAS] = {"las", SENSE_MAX, ALL_WATERS, true, {0.2, 0.2, 0.2, 0.3, 0.3}},
    [GB3838_SULFIDE] = {"sulfide", SENSE_MAX, ALL_WATERS, true, {0.05, 0.1, 0.2, 0.5, 1.0}},
    [GB3838_FECAL_COLIFORM] =
        {"fecal_coliform", SENSE_MAX, ALL_WATERS, false, {200, 2000, 10000, 20000, 40000}},
    [GB3838_WATER_TEMP] = {"water_temp", SENSE_NONE, ALL_WATERS, false, {0}},
};

/* gb3838.csv row tp_lake: TP (as P) in lakes and reservoirs (湖、库). */
static const double tp_lake[N_CLASSES] = {0.01, 0.025, 0.05, 0.1, 0.2};

/* gb3838.csv row ph: the same 6~9 band for every class; outside it the sample is 劣Ⅴ. */
#define PH_LO 6.0
#define PH_HI 9.0
/* Physical bounds of the pH scale, to reject garbage rather than class it 劣Ⅴ. */
#define PH_SCALE_MAX 14.0

int gb3838_param_class(enum gb3838_param param, enum gb3838_water w, double value, int *cls)
{
    const struct param_row *row;
    const double *lim;
    int i;

    if (!cls || (unsigned)param >= GB3838_N_PARAMS || (w != GB3838_RIVER && w != GB3838_LAKE) ||
        !isfinite(value))
        return COL_ERR_INVAL;
    row = &rows[param];
    if (row->sense == SENSE_NONE || (row->applies == LAKE_ONLY && w != GB3838_LAKE))
        return COL_ERR_NOTFOUND;
    if (value < 0 || (param == GB3838_PH && value > PH_SCALE_MAX))
        return COL_ERR_RANGE;

    if (row->sense == SENSE_RANGE) {
        *cls = value >= PH_LO && value <= PH_HI ? 1 : GB3838_WORSE_THAN_V;
        return 0;
    }
    lim = param == GB3838_TP && w == GB3838_LAKE ? tp_lake : row->limit;
    /* The best class whose limit is met; shared limits go to the better class (§4.2). */
    for (i = 0; i < N_CLASSES; i++) {
        if (row->sense == SENSE_MAX ? value <= lim[i] : value >= lim[i]) {
            *cls = i + 1;
            return 0;
        }
    }
    *cls = GB3838_WORSE_THAN_V;
    return 0;
}

bool gb3838_is_evaluated(enum gb3838_param param)
{
    return (unsigned)param < GB3838_N_PARAMS && rows[param].is_evaluated;
}

int gb3838_sample_class(enum gb3838_water w, const struct gb3838_value *v, size_t n,
                        struct gb3838_result *out)
{
    uint32_t seen = 0;
    size_t i;
    int rc, cls;

    if (!out || (!v && n > 0))
        return COL_ERR_INVAL;
    out->cls = 0;
    out->deciding = GB3838_N_PARAMS;
    out->deciding_mask = 0;
    out->n_evaluated = 0;
    out->is_partial = true;

    for (i = 0; i < n; i++) {
        uint32_t bit;

        if ((unsigned)v[i].param >= GB3838_N_PARAMS)
            return COL_ERR_INVAL;
        bit = 1u << v[i].param;
        if (seen & bit)
            return COL_ERR_INVAL;
        seen |= bit;
        rc = gb3838_param_class(v[i].param, w, v[i].value, &cls);
        if (rc == COL_ERR_NOTFOUND && !rows[v[i].param].is_evaluated)
            continue; /* water temperature, TN in a river: not classed here */
        if (rc)
            return rc;
        if (!rows[v[i].param].is_evaluated)
            continue; /* reference item: evaluated separately (README §4.2) */
        out->n_evaluated++;
        if (cls > out->cls) {
            out->cls = cls;
            out->deciding = v[i].param;
            out->deciding_mask = bit;
        } else if (cls == out->cls) {
            out->deciding_mask |= bit;
        }
    }
    if (out->n_evaluated == 0)
        return COL_ERR_NOTFOUND;
    out->is_partial = out->n_evaluated < GB3838_N_EVALUATED;
    return 0;
}

int gb3838_status_for_class(int cls, enum gb3838_status *out)
{
    /* README §4.2 "Qualitative status": Ⅰ-Ⅱ 优, Ⅲ 良好, Ⅳ 轻度, Ⅴ 中度, 劣Ⅴ 重度. */
    static const enum gb3838_status by_class[GB3838_WORSE_THAN_V] = {
        GB3838_EXCELLENT, GB3838_EXCELLENT, GB3838_GOOD,
        GB3838_LIGHT,     GB3838_MODERATE,  GB3838_HEAVY,
    };

    if (!out || cls < 1 || cls > GB3838_WORSE_THAN_V)
        return COL_ERR_INVAL;
    *out = by_class[cls - 1];
    return 0;
}

/* README §4.2 "River or basin level" (Shenzhen EEB Q&A [S]). */
#define MIN_SECTIONS 5
#define GOOD_SHARE_EXCELLENT_PCT 90 /* Ⅰ-Ⅲ >= 90 %: 优 */
#define GOOD_SHARE_GOOD_PCT 75      /* Ⅰ-Ⅲ >= 75 %: 良好 */
#define BAD_SHARE_MODERATE_PCT 20   /* 劣Ⅴ >= 20 %: 中度污染 */
#define BAD_SHARE_HEAVY_PCT 40      /* 劣Ⅴ >= 40 %: 重度污染 */

int gb3838_status_for_sections(const size_t n_by_class[6], enum gb3838_status *out)
{
    size_t total = 0, good, bad;
    int i;

    if (!n_by_class || !out)
        return COL_ERR_INVAL;
    for (i = 0; i < GB3838_WORSE_THAN_V; i++)
        total += n_by_class[i];
    if (total < MIN_SECTIONS)
        return COL_ERR_RANGE;
    good = n_by_class[0] + n_by_class[1] + n_by_class[2];
    bad = n_by_class[GB3838_WORSE_THAN_V - 1];
    /* Shares compared as integers: good / total >= 90 % is good * 100 >= 90 * total. */
    if (good * 100 >= GOOD_SHARE_EXCELLENT_PCT * total)
        *out = GB3838_EXCELLENT;
    else if (good * 100 >= GOOD_SHARE_GOOD_PCT * total)
        *out = GB3838_GOOD;
    else if (bad * 100 >= BAD_SHARE_HEAVY_PCT * total)
        *out = GB3838_HEAVY;
    else if (bad * 100 >= BAD_SHARE_MODERATE_PCT * total)
        *out = GB3838_MODERATE;
    else
        *out = GB3838_LIGHT;
    return 0;
}

const char *gb3838_status_name(enum gb3838_status s)
{
    switch (s) {
    case GB3838_EXCELLENT:
        return "优";
    case GB3838_GOOD:
        return "良好";
    case GB3838_LIGHT:
        return "轻度污染";
    case GB3838_MODERATE:
        return "中度污染";
    case GB3838_HEAVY:
        return "重度污染";
    default:
        return "?";
    }
}

const char *gb3838_class_name(int cls)
{
    static const char *const names[GB3838_WORSE_THAN_V] = {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"};

    if (cls < 1 || cls > GB3838_WORSE_THAN_V)
        return "?";
    return names[cls - 1];
}

const char *gb3838_param_name(enum gb3838_param param)
{
    if ((unsigned)param >= GB3838_N_PARAMS)
        return "?";
    return rows[param].name;
}

int gb3838_param_parse(const char *name, enum gb3838_param *out)
{
    int i;

    if (!name || !out)
        return COL_ERR_INVAL;
    if (strcmp(name, "tp_river") == 0 || strcmp(name, "tp_lake") == 0) {
        *out = GB3838_TP;
        return 0;
    }
    for (i = 0; i < GB3838_N_PARAMS; i++) {
        if (strcmp(name, rows[i].name) == 0) {
            *out = (enum gb3838_param)i;
            return 0;
        }
    }
    return COL_ERR_NOTFOUND;
}
