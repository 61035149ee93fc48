/*
 * The "water-buoy" fleet profile: an automatic buoy in one of Xuhui's urban
 * rivers, sampled every 4 hours. Water temperature follows the air's season
 * about a month late (8 °C in February, 30 °C in August) with a small
 * afternoon maximum. Dissolved oxygen is a fraction of saturation at that
 * temperature that rises with photosynthesis in the afternoon and dips
 * before dawn, so summer nights touch Class IV; pH rises and falls with it
 * (7-8). CODMn, NH3-N and TP sit around GB 3838 Class III-IV for urban
 * rivers (NH3-N higher in winter, when nitrification is slow). A discharge
 * episode raises NH3-N above 2 mg/L and drops DO below 2 mg/L (worse than
 * Class V), with CODMn, TP and turbidity up, and then the river recovers.
 */
#include "sim_int.h"

#include <math.h>

enum { W_PH, W_DO, W_CODMN, W_NH3N, W_TP, W_TURB, W_TEMP, W_COND, N_WATER_FIELDS };

/* HJ 212-2017 Table B.1 codes; turbidity has none in the profile. */
static const struct sim_field water_fields[N_WATER_FIELDS] = {
    [W_PH] = {"ph", "pH", SIM_V_NUM, 2, "w01001", 0, 2, NULL},
    [W_DO] = {"do", "mg/L", SIM_V_NUM, 2, "w01009", 0, 2, NULL},
    [W_CODMN] = {"codmn", "mg/L", SIM_V_NUM, 2, "w01019", 0, 2, NULL},
    [W_NH3N] = {"nh3n", "mg/L", SIM_V_NUM, 3, "w21003", 0, 3, NULL},
    [W_TP] = {"tp", "mg/L", SIM_V_NUM, 3, "w21011", 0, 3, NULL},
    [W_TURB] = {"turbidity", "NTU", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [W_TEMP] = {"water_temp", "degC", SIM_V_NUM, 1, "w01010", 0, 1, NULL},
    [W_COND] = {"conductivity", "uS/cm", SIM_V_NUM, 0, "w01014", 0, 0, NULL},
};

/* Walks (weather, upstream loads) change over about a day. */
#define WATER_TAU_S (24.0 * 3600.0)

enum { WV_TEMP, WV_DO, WV_PH, WV_COD, WV_NH3, WV_TP, WV_TURB, WV_COND, WV_SPIKE };

static const double water_sigma[SIM_GEN_VARS] = {
    [WV_TEMP] = 0.8, [WV_DO] = 0.08,  [WV_PH] = 0.08, [WV_COD] = 0.12,  [WV_NH3] = 0.20,
    [WV_TP] = 0.15,  [WV_TURB] = 0.3, [WV_COND] = 40, [WV_SPIKE] = 0.5,
};

static void water_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng;
    double *b = dev->base;
    int i;

    b[WV_DO] = 0.58 + 0.17 * sim_rng_uniform(r); /* mean fraction of saturation */
    b[WV_PH] = 7.35 + 0.25 * sim_rng_uniform(r);
    b[WV_COD] = 4.5 + 2.0 * sim_rng_uniform(r);  /* Class III-IV: 4-10 */
    b[WV_NH3] = 0.55 + 0.6 * sim_rng_uniform(r); /* Class III-IV: 0.5-1.5 */
    b[WV_TP] = 0.13 + 0.12 * sim_rng_uniform(r); /* Class III-IV (rivers): 0.1-0.3 */
    b[WV_TURB] = 15.0 + 20.0 * sim_rng_uniform(r);
    b[WV_COND] = 480.0 + 300.0 * sim_rng_uniform(r);
    b[WV_TEMP] = -0.5 + sim_rng_uniform(r);
    b[WV_SPIKE] = 2.6 + 1.5 * sim_rng_uniform(r); /* NH3-N added by a full discharge */
    for (i = 0; i < SIM_GEN_VARS; i++)
        dev->walk[i] = water_sigma[i] * sim_rng_normal(r);
}

/* Oxygen saturation of fresh water at @t °C, mg/L (APHA polynomial fit). */
static double do_saturation(double t)
{
    return 14.62 - 0.3898 * t + 0.006969 * t * t - 0.00005897 * t * t * t;
}

static void water_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    const double *b = dev->base, *w = dev->walk;
    double h = sim_local_hour(ts), season = sim_season(ts, 25.0);
    double photo = cos(2.0 * M_PI * (h - 15.0) / 24.0); /* +1 mid-afternoon, -1 before dawn */
    double d = env->discharge;

    (void)sim_walk(dev, ts, water_sigma, SIM_GEN_VARS, WATER_TAU_S);
    v[W_TEMP] = sim_clamp(19.0 - 11.0 * season + 0.6 * cos(2.0 * M_PI * (h - 16.0) / 24.0) +
                              b[WV_TEMP] + w[WV_TEMP],
                          1.0, 34.0);
    /* Photosynthesis is stronger in the warm season. */
    v[W_DO] =
        do_saturation(v[W_TEMP]) * (b[WV_DO] + (0.14 - 0.04 * season) * photo) * exp(w[WV_DO]);
    v[W_PH] = sim_clamp(b[WV_PH] + 0.18 * photo + w[WV_PH], 6.9, 8.3);
    v[W_CODMN] = b[WV_COD] * exp(w[WV_COD]);
    v[W_NH3N] = b[WV_NH3] * (1.0 + 0.25 * season) * exp(w[WV_NH3]);
    v[W_TP] = b[WV_TP] * exp(w[WV_TP]);
    v[W_TURB] = b[WV_TURB] * exp(w[WV_TURB]);
    v[W_COND] = fmax(150.0, b[WV_COND] + w[WV_COND]);
    if (d > 0) {
        v[W_NH3N] += d * b[WV_SPIKE] * exp(0.3 * w[WV_SPIKE]);
        v[W_DO] = v[W_DO] * (1.0 - d) + d * (0.8 + 0.5 * sim_clamp(w[WV_SPIKE], -1, 1));
        v[W_CODMN] += d * 10.0;
        v[W_TP] += d * 0.35;
        v[W_TURB] *= 1.0 + 2.5 * d;
        v[W_COND] += d * 350.0;
        v[W_PH] -= d * 0.35;
    }
    v[W_DO] = sim_clamp(v[W_DO], 0.2, 16.0);
}

const struct sim_profile sim_profile_water = {
    .name = "water-buoy",
    .domain = "water",
    .id_prefix = "sim-wq-",
    .sites = SIM_WATER_SITES,
    .n_devices = 4,
    .interval = 4 * 3600,
    .hj212_st = 21,
    .hj212_cn = 2011,
    .salt = 0x7761746572ULL,
    .fields = water_fields,
    .n_fields = N_WATER_FIELDS,
    .init = water_init,
    .sample = water_sample,
};
