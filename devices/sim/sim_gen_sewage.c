/*
 * The "sewage-flow" fleet profile: the inflow and treated-effluent meters
 * of a treatment plant, in m³ per hour. Inflow follows the city's water
 * use a few hours late: lowest about 04:00 (~1450), a morning peak near
 * 09:00 and an evening one near 20:30 (~2500), later and flatter on
 * weekends, plus rain-driven infiltration (a slow walk). Treated volume is
 * 97-99 % of inflow (sludge and process water), itself drifting slowly.
 */
#include "sim_int.h"

#include <math.h>

enum { S_INFLOW, S_TREATED, N_SEWAGE_FIELDS };

static const struct sim_field sewage_fields[N_SEWAGE_FIELDS] = {
    [S_INFLOW] = {"inflow", "m3", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [S_TREATED] = {"treated", "m3", SIM_V_NUM, 1, NULL, 0, 0, NULL},
};

enum { SB_MEAN };
enum { SW_WET, SW_RATIO };

#define SEWAGE_TAU_S (12.0 * 3600.0)

static const double sewage_sigma[SIM_GEN_VARS] = {[SW_WET] = 0.05, [SW_RATIO] = 0.004};

static void sewage_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng;
    int i;

    dev->base[SB_MEAN] = 1950.0 + 100.0 * sim_rng_uniform(r);
    for (i = 0; i < SIM_GEN_VARS; i++)
        dev->walk[i] = sewage_sigma[i] * sim_rng_normal(r);
}

/* Diurnal shape of the inflow, about 0.73..1.27 around 1 (weekends shift 1.5 h later). */
static double inflow_shape(double h, bool is_weekend)
{
    double late = is_weekend ? 1.5 : 0.0;

    return 0.70 + 0.50 * sim_bump(h, 9.0 + late, 2.2) + 0.55 * sim_bump(h, 20.5, 2.6) +
           0.25 * sim_bump(h, 14.0, 3.0) - (is_weekend ? 0.1 * sim_bump(h, 8.0, 1.5) : 0.0);
}

static void sewage_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    struct sim_rng *r = &dev->rng;
    double h = sim_local_hour(ts);
    double inflow, ratio;

    (void)env;
    (void)sim_walk(dev, ts, sewage_sigma, 2, SEWAGE_TAU_S);
    inflow = dev->base[SB_MEAN] * inflow_shape(h, sim_local_weekday(ts) >= 5) *
             exp(fabs(dev->walk[SW_WET]) - 0.04) * (1.0 + 0.015 * sim_rng_normal(r));
    ratio = sim_clamp(0.98 + dev->walk[SW_RATIO], 0.97, 0.99);
    v[S_INFLOW] = inflow;
    v[S_TREATED] = inflow * ratio;
}

const struct sim_profile sim_profile_sewage = {
    .name = "sewage-flow",
    .domain = "sewage",
    .id_prefix = "sim-flow-",
    .sites = SIM_SEWAGE_SITES,
    .n_devices = 1,
    .interval = 3600,
    .hj212_st = 0,
    .hj212_cn = 0,
    .salt = 0x736577616765ULL,
    .fields = sewage_fields,
    .n_fields = N_SEWAGE_FIELDS,
    .init = sewage_init,
    .sample = sewage_sample,
};
