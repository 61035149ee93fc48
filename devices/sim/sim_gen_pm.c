/*
 * The "pm-node" fleet profile: low-cost laser-scattering PM sensors, a few
 * per street, reporting every minute by contract. The ambient PM2.5 has the
 * air station's shape (traffic peaks at 08:00 and 20:00, winter higher, a
 * slow weather walk) and a haze episode pulls it to 150-250 µg/m³. What the
 * node reports is that times a per-unit gain, over-read in humid air
 * (particles grow by taking up water: 1 + 0.25 RH^2 / (1 - RH), capped at
 * 2), plus more noise than a station. PM10 under-reads coarse dust (x1.3-
 * 1.5 of PM2.5), PM1 is about 0.7 of it. The node's thermometer reads warm
 * in the sun; its battery drains and is swapped at 15 %.
 */
#include "sim_int.h"

#include <math.h>

enum { P_PM25, P_PM10, P_PM1, P_RH, P_TEMP, P_BATTERY, N_PM_FIELDS };

static const struct sim_field pm_fields[N_PM_FIELDS] = {
    [P_PM25] = {"pm25", "ug/m3", SIM_V_NUM, 0, NULL, 0, 0, NULL},
    [P_PM10] = {"pm10", "ug/m3", SIM_V_NUM, 0, NULL, 0, 0, NULL},
    [P_PM1] = {"pm1", "ug/m3", SIM_V_NUM, 0, NULL, 0, 0, NULL},
    [P_RH] = {"rh", "%", SIM_V_NUM, 0, NULL, 0, 0, NULL},
    [P_TEMP] = {"temp", "degC", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [P_BATTERY] = {"battery", "%", SIM_V_NUM, 0, NULL, 0, 0, NULL},
};

/* base[] */
enum { PB_PM, PB_GAIN, PB_HAZE, PB_COARSE, PB_HEAT };
/* walk[] */
enum { PW_PM, PW_RH, PW_TEMP };
/* state[] */
enum { PS_BATTERY };

#define PM_TAU_S (3.0 * 3600.0)

static const double pm_sigma[SIM_GEN_VARS] = {[PW_PM] = 0.30, [PW_RH] = 8.0, [PW_TEMP] = 1.2};

static void pm_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng;
    double *b = dev->base;
    int i;

    b[PB_PM] = 25.0 + 20.0 * sim_rng_uniform(r);
    b[PB_GAIN] = 0.9 + 0.3 * sim_rng_uniform(r);
    b[PB_HAZE] = 150.0 + 80.0 * sim_rng_uniform(r);
    b[PB_COARSE] = 1.3 + 0.2 * sim_rng_uniform(r);
    b[PB_HEAT] = 0.5 + 1.5 * sim_rng_uniform(r);
    for (i = 0; i < SIM_GEN_VARS; i++)
        dev->walk[i] = pm_sigma[i] * sim_rng_normal(r);
    dev->state[PS_BATTERY] = 40.0 + 60.0 * sim_rng_uniform(r);
}

static void pm_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    struct sim_rng *r = &dev->rng;
    const double *b = dev->base, *w = dev->walk;
    double h = sim_local_hour(ts), season = sim_season(ts, 0.0);
    double dt = sim_walk(dev, ts, pm_sigma, SIM_GEN_VARS, PM_TAU_S);
    double warm = cos(2.0 * M_PI * (h - 14.5) / 24.0);
    double cycle = 0.75 + 0.45 * sim_bump(h, 8.0, 2.0) + 0.55 * sim_bump(h, 20.0, 2.5);
    double pm, rh, growth;

    pm = b[PB_PM] * (1.0 + 0.25 * season) * cycle * exp(w[PW_PM]);
    if (env->haze > 0 && b[PB_HAZE] > pm)
        pm += env->haze * (sim_clamp(b[PB_HAZE] * exp(0.15 * w[PW_PM]), 150, 250) - pm);
    /* Humid nights and mornings, drier afternoons; Shanghai is humid all year. */
    rh = sim_clamp(72.0 - 14.0 * warm - 4.0 * season + w[PW_RH], 25.0, 99.0);
    growth = fmin(2.0, 1.0 + 0.25 * (rh / 100.0) * (rh / 100.0) / (1.0 - fmin(rh, 97.0) / 100.0));
    pm = pm * b[PB_GAIN] * growth * exp(0.15 * sim_rng_normal(r)) + 2.0 * sim_rng_normal(r);
    v[P_PM25] = sim_clamp(pm, 0.0, 999.0);
    v[P_PM10] = sim_clamp(v[P_PM25] * b[PB_COARSE] + 2.0 * sim_rng_normal(r), 0.0, 999.0);
    v[P_PM1] = sim_clamp(v[P_PM25] * (0.7 + 0.05 * sim_rng_normal(r)), 0.0, 999.0);
    v[P_RH] = rh;
    v[P_TEMP] = 17.0 - 12.0 * season + 4.0 * warm + w[PW_TEMP] +
                b[PB_HEAT] * sim_clamp(warm + 0.3, 0.0, 1.3);
    dev->state[PS_BATTERY] -= 1.0 * dt / 86400.0;
    if (dev->state[PS_BATTERY] < 15.0)
        dev->state[PS_BATTERY] = 100.0;
    v[P_BATTERY] = dev->state[PS_BATTERY];
}

const struct sim_profile sim_profile_pm = {
    .name = "pm-node",
    .domain = "pm",
    .id_prefix = "sim-pm-",
    .sites = SIM_STREETS,
    .n_devices = 26,
    .interval = 900,
    .hj212_st = 0,
    .hj212_cn = 0,
    .salt = 0x706d6e6f6465ULL,
    .fields = pm_fields,
    .n_fields = N_PM_FIELDS,
    .init = pm_init,
    .sample = pm_sample,
};
