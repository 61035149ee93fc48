/*
 * The "waste-bin" fleet profile: smart bins at a street's collection point,
 * one of each Shanghai sorting category per four bins (recyclable,
 * hazardous, wet, dry, by device index). A bin fills with use, which peaks
 * at breakfast, lunch and (most) dinner and stops at night, integrated in
 * 15-minute slices so any --step gives the same fill curve. Collection
 * rounds empty it to a residue: wet and dry bins at 06:00 and 18:00 local,
 * recyclables at 06:00, hazardous waste on Monday mornings. Weight follows
 * fill with the category's density; a busy day (a slow walk) can push a
 * bin past 100 % before the round (overflow), up to the 120 % a heaped bin
 * reaches. Lids are seen open now and then, more at busy hours; a hazardous
 * bin rarely reports a hazard event (a broken seal). Battery drains slowly
 * and is swapped at 15 %.
 */
#include "sim_int.h"

#include <math.h>

enum { B_FILL, B_WEIGHT, B_CATEGORY, B_LID, B_OVERFLOW, B_HAZARD, B_BATTERY, N_WASTE_FIELDS };

enum { CAT_RECYCLABLE, CAT_HAZARDOUS, CAT_WET, CAT_DRY, N_CATEGORIES };

static const char *const category_labels[N_CATEGORIES] = {
    [CAT_RECYCLABLE] = "recyclable",
    [CAT_HAZARDOUS] = "hazardous",
    [CAT_WET] = "wet",
    [CAT_DRY] = "dry",
};

static const struct sim_field waste_fields[N_WASTE_FIELDS] = {
    [B_FILL] = {"fill", "%", SIM_V_NUM, 0, NULL, 0, 0, NULL},
    [B_WEIGHT] = {"weight", "kg", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [B_CATEGORY] = {"category", "code", SIM_V_STR, 0, NULL, 0, 0, category_labels},
    [B_LID] = {"lid_open", "bool", SIM_V_BOOL, 0, NULL, 0, 0, NULL},
    [B_OVERFLOW] = {"overflow", "bool", SIM_V_BOOL, 0, NULL, 0, 0, NULL},
    [B_HAZARD] = {"hazard", "bool", SIM_V_BOOL, 0, NULL, 0, 0, NULL},
    [B_BATTERY] = {"battery", "%", SIM_V_NUM, 0, NULL, 0, 0, NULL},
};

/* base[] */
enum { WB_CAT, WB_RATE, WB_FULL_KG, WB_USE_MEAN };
/* state[] */
enum { WS_FILL, WS_BATTERY };

#define WASTE_SLICE_S 900
#define WASTE_TAU_S (2.0 * 86400.0)

static const double waste_sigma[SIM_GEN_VARS] = {[0] = 0.25};

/* Use of the bin over the day before normalising: meals, some daytime, none at night. */
static double raw_use(double h)
{
    double day = sim_clamp((h - 6.0) / 1.0, 0.0, 1.0) * sim_clamp((22.5 - h) / 1.5, 0.0, 1.0);

    return 0.03 + 0.35 * day + 1.0 * sim_bump(h, 7.5, 0.8) + 1.4 * sim_bump(h, 12.0, 0.9) +
           2.0 * sim_bump(h, 18.8, 1.2);
}

static void waste_init(struct sim_device *dev)
{
    /* % of the bin filled per day of average use, and kg when full. */
    static const double rate_lo[N_CATEGORIES] = {25, 2, 60, 50};
    static const double rate_span[N_CATEGORIES] = {30, 3, 80, 60};
    static const double kg_lo[N_CATEGORIES] = {20, 10, 90, 40};
    static const double kg_span[N_CATEGORIES] = {10, 5, 30, 20};
    struct sim_rng *r = &dev->rng;
    int cat = (int)(dev->index % N_CATEGORIES), i;
    double sum = 0;

    dev->base[WB_CAT] = cat;
    dev->base[WB_RATE] = rate_lo[cat] + rate_span[cat] * sim_rng_uniform(r);
    dev->base[WB_FULL_KG] = kg_lo[cat] + kg_span[cat] * sim_rng_uniform(r);
    for (i = 0; i < 96; i++)
        sum += raw_use(i / 4.0 + 0.125);
    dev->base[WB_USE_MEAN] = sum / 96.0;
    dev->state[WS_FILL] = 5.0 + 40.0 * sim_rng_uniform(r);
    dev->state[WS_BATTERY] = 60.0 + 40.0 * sim_rng_uniform(r);
    dev->walk[0] = waste_sigma[0] * sim_rng_normal(r);
}

/* Normalised use: 1 on average over a day. */
static double use_at(const struct sim_device *dev, double h)
{
    return raw_use(h) / dev->base[WB_USE_MEAN];
}

/* True when a collection round of this bin's category falls in (t0, t1]. */
static bool collected(const struct sim_device *dev, int64_t t0, int64_t t1)
{
    int cat = (int)dev->base[WB_CAT];
    int64_t day, round_ts;
    int k;

    for (day = (t0 + SIM_UTC_OFFSET_S) / 86400 - 1; day <= (t1 + SIM_UTC_OFFSET_S) / 86400; day++) {
        for (k = 0; k < 2; k++) {
            if (k == 1 && (cat == CAT_RECYCLABLE || cat == CAT_HAZARDOUS))
                continue;
            round_ts = day * 86400 + (k == 0 ? 6 : 18) * 3600 - SIM_UTC_OFFSET_S;
            if (cat == CAT_HAZARDOUS && sim_local_weekday(round_ts) != 0)
                continue;
            if (round_ts > t0 && round_ts <= t1)
                return true;
        }
    }
    return false;
}

/* Fill the bin from @t0 to @t1 in slices, emptying it at collection rounds. */
static void waste_fill(struct sim_device *dev, int64_t t0, int64_t t1)
{
    double *fill = &dev->state[WS_FILL];
    double busy = exp(dev->walk[0]);
    int64_t t, next;

    for (t = t0; t < t1; t = next) {
        next = t + WASTE_SLICE_S < t1 ? t + WASTE_SLICE_S : t1;
        if (collected(dev, t, next))
            *fill = 1.0 + 3.0 * sim_rng_uniform(&dev->rng);
        *fill += dev->base[WB_RATE] * busy * use_at(dev, sim_local_hour(t)) * (double)(next - t) /
                 86400.0;
        *fill = fmin(*fill, 120.0);
    }
    dev->state[WS_BATTERY] -= 0.4 * (double)(t1 - t0) / 86400.0;
    if (dev->state[WS_BATTERY] < 15.0)
        dev->state[WS_BATTERY] = 100.0;
}

static void waste_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    struct sim_rng *r = &dev->rng;
    int64_t prev = dev->last_ts;
    double fill, use = use_at(dev, sim_local_hour(ts));

    (void)env;
    (void)sim_walk(dev, ts, waste_sigma, 1, WASTE_TAU_S);
    if (prev && ts > prev)
        waste_fill(dev, prev, ts);
    fill = dev->state[WS_FILL];
    v[B_FILL] = fill;
    v[B_WEIGHT] =
        fmax(0.0, fill / 100.0 * dev->base[WB_FULL_KG] * (1.0 + 0.03 * sim_rng_normal(r)));
    v[B_CATEGORY] = dev->base[WB_CAT];
    v[B_LID] = sim_rng_chance(r, sim_clamp(0.025 * use, 0.0, 0.3));
    v[B_OVERFLOW] = fill >= 100.0;
    v[B_HAZARD] = dev->base[WB_CAT] == CAT_HAZARDOUS && sim_rng_chance(r, 0.002);
    v[B_BATTERY] = dev->state[WS_BATTERY];
}

const struct sim_profile sim_profile_waste = {
    .name = "waste-bin",
    .domain = "waste",
    .id_prefix = "sim-bin-",
    .sites = SIM_STREETS,
    .n_devices = 52,
    .interval = 900,
    .hj212_st = 0,
    .hj212_cn = 0,
    .salt = 0x7761737465ULL,
    .fields = waste_fields,
    .n_fields = N_WASTE_FIELDS,
    .init = waste_init,
    .sample = waste_sample,
};
