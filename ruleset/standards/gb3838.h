/*
 * GB 3838-2002 surface water quality classes: the class of one parameter's value and the
 * single-factor class of a sample (standards README §4, gb3838.csv, decision 2).
 *
 * Classes are 1..5 (Ⅰ..Ⅴ) and 6 for 劣Ⅴ (worse than Class V). A sample's class is its worst
 * evaluated parameter's class over the 21 national evaluation items it actually measured; a
 * class from fewer than 21 items is flagged partial. Pure functions over constant tables: no
 * allocation, no clock, safe from any thread.
 */
#ifndef GB3838_H
#define GB3838_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "col_err.h"

/* The rows of gb3838.csv (TP's river and lake rows are one parameter with a water type). */
enum gb3838_param {
    GB3838_PH,              /* dimensionless, 6..9 */
    GB3838_DO,              /* dissolved oxygen, mg/L, higher is better */
    GB3838_CODMN,           /* permanganate index, mg/L */
    GB3838_COD,             /* CODCr, mg/L */
    GB3838_BOD5,            /* mg/L */
    GB3838_NH3N,            /* ammonia nitrogen, mg/L */
    GB3838_TP,              /* total phosphorus as P, mg/L; river and lake limits differ */
    GB3838_TN,              /* total nitrogen as N, mg/L; lakes and reservoirs only */
    GB3838_CU,              /* copper, mg/L */
    GB3838_ZN,              /* zinc, mg/L */
    GB3838_FLUORIDE,        /* as F-, mg/L */
    GB3838_SE,              /* selenium, mg/L */
    GB3838_AS,              /* arsenic, mg/L */
    GB3838_HG,              /* mercury, mg/L */
    GB3838_CD,              /* cadmium, mg/L */
    GB3838_CR6,             /* hexavalent chromium, mg/L */
    GB3838_PB,              /* lead, mg/L */
    GB3838_CYANIDE,         /* mg/L */
    GB3838_VOLATILE_PHENOL, /* mg/L */
    GB3838_PETROLEUM,       /* mg/L */
    GB3838_LAS,             /* anionic surfactants, mg/L */
    GB3838_SULFIDE,         /* mg/L */
    GB3838_FECAL_COLIFORM,  /* count/L; reference item */
    GB3838_WATER_TEMP,      /* °C; not classed */
    GB3838_N_PARAMS
};

enum gb3838_water {
    GB3838_RIVER,
    GB3838_LAKE, /* lakes and reservoirs (湖、库) */
};

#define GB3838_WORSE_THAN_V 6 /* 劣Ⅴ */
#define GB3838_N_EVALUATED 21 /* README §4.2: Table 1 items minus water temp, TN, coliform */

/*
 * Class (1..6) of @value of @param in water body @w (README §4.1, gb3838.csv): the best
 * class whose limit the value meets (<= for most items, >= for DO, 6 <= pH <= 9 for pH);
 * shared limits go to the better class (COD 15 and BOD5 3 are Class I); failing Class V is 6.
 * DO Class I is judged on mg/L (>= 7.5) only; the 90 % saturation alternative is not taken.
 * Returns 0 and sets *cls; COL_ERR_NOTFOUND for items GB 3838 does not class here (water
 * temperature; TN in a river); COL_ERR_RANGE for a negative value or pH outside 0..14;
 * COL_ERR_INVAL for a NaN/infinite value, unknown enums or NULL @cls.
 */
int gb3838_param_class(enum gb3838_param param, enum gb3838_water w, double value, int *cls);

/* True for the 21 items of the national single-factor evaluation (README §4.2). */
bool gb3838_is_evaluated(enum gb3838_param param);

struct gb3838_value {
    enum gb3838_param param;
    double value;
};

struct gb3838_result {
    int cls;                    /* worst class of the evaluated items, 1..6 */
    enum gb3838_param deciding; /* the first (in input order) item at that class */
    uint32_t deciding_mask;     /* 1u << param of every item at that class */
    int n_evaluated;            /* evaluated items in the sample, 1..21 */
    bool is_partial;            /* n_evaluated < GB3838_N_EVALUATED (decision 2) */
};

/*
 * Single-factor class of a sample (README §4.2, decision 2) from @n (param, value) pairs:
 * the worst class of the evaluated items present; reference and unclassed items (TN, fecal
 * coliform, water temperature) are checked for valid values but do not count.
 * Returns 0 and fills *out; COL_ERR_NOTFOUND when no evaluated item is present; COL_ERR_INVAL
 * for a duplicate parameter, NULL pointers or any error of gb3838_param_class() (which is
 * returned as is).
 */
int gb3838_sample_class(enum gb3838_water w, const struct gb3838_value *v, size_t n,
                        struct gb3838_result *out);

/* Qualitative status (README §4.2 [S]). */
enum gb3838_status {
    GB3838_EXCELLENT = 1, /* 优 */
    GB3838_GOOD,          /* 良好 */
    GB3838_LIGHT,         /* 轻度污染 */
    GB3838_MODERATE,      /* 中度污染 */
    GB3838_HEAVY,         /* 重度污染 */
};

/*
 * Status of one section from its class: Ⅰ-Ⅱ 优, Ⅲ 良好, Ⅳ 轻度污染, Ⅴ 中度污染, 劣Ⅴ 重度污染.
 * Returns 0 and sets *out, or COL_ERR_INVAL for a class outside 1..6 or NULL @out.
 */
int gb3838_status_for_class(int cls, enum gb3838_status *out);

/*
 * Status of a river or basin with >= 5 sections from the count of sections per class,
 * @n_by_class[0..5] = Ⅰ..Ⅴ, 劣Ⅴ (README §4.2, Shenzhen EEB [S]): Ⅰ-Ⅲ >= 90 % 优;
 * 75 % <= Ⅰ-Ⅲ < 90 % 良好; below 75 %: 劣Ⅴ < 20 % 轻度, 20-40 % 中度, >= 40 % 重度.
 * Returns 0 and sets *out; COL_ERR_RANGE for fewer than 5 sections (average each parameter
 * over the sections and class the averages instead); COL_ERR_INVAL for NULL pointers.
 */
int gb3838_status_for_sections(const size_t n_by_class[6], enum gb3838_status *out);

/* "优", "良好", "轻度污染", "中度污染", "重度污染"; "?" if unknown. */
const char *gb3838_status_name(enum gb3838_status s);

/* "Ⅰ" .. "Ⅴ", "劣Ⅴ" for 1..6; "?" otherwise. */
const char *gb3838_class_name(int cls);

/* The gb3838.csv item name ("ph", "nh3n", "tp", ...); "?" if unknown. */
const char *gb3838_param_name(enum gb3838_param param);

/*
 * The parameter named @name as in gb3838.csv ("tp_river" and "tp_lake" both give GB3838_TP).
 * Returns 0 and sets *out, COL_ERR_NOTFOUND for an unknown name, COL_ERR_INVAL for NULL.
 */
int gb3838_param_parse(const char *name, enum gb3838_param *out);

#endif
