/*
 * The "noise-meter" fleet profile: LAeq and the statistical levels of one
 * interval (1 min by contract; a longer --step gives that interval's values
 * under the same names). The kind of place follows the site id: a roadside
 * meter ("-road") runs 63-70 dB(A) by day with rush hours at 7-9 and 17-19
 * and 45-50 at night; a construction site ("-site") is loud in working hours
 * (8-12, 13-18, quiet on Sundays) and quiet at night, when work is banned;
 * a street meter is 5-8 dB below a roadside one. Weekends lose the morning
 * rush. The statistics keep their order: Lmax >= LAeq + 3, L10 > L50 > L90,
 * and a 1-minute value scatters more than a 15-minute one.
 */
#include "sim_int.h"

#include <math.h>
#include <string.h>

enum { N_LAEQ, N_LMAX, N_L10, N_L50, N_L90, N_NOISE_FIELDS };

/* HJ 212-2017 Table B.3 codes. */
static const struct sim_field noise_fields[N_NOISE_FIELDS] = {
    [N_LAEQ] = {"laeq", "dB(A)", SIM_V_NUM, 1, "Leq", 0, 1, NULL},
    [N_LMAX] = {"lmax", "dB(A)", SIM_V_NUM, 1, "LMx", 0, 1, NULL},
    [N_L10] = {"l10", "dB(A)", SIM_V_NUM, 1, "L10", 0, 1, NULL},
    [N_L50] = {"l50", "dB(A)", SIM_V_NUM, 1, "L50", 0, 1, NULL},
    [N_L90] = {"l90", "dB(A)", SIM_V_NUM, 1, "L90", 0, 1, NULL},
};

enum { NOISE_ROAD, NOISE_WORKS, NOISE_STREET };

/* Indexes into base and walk. */
enum { NB_KIND, NB_DAY, NB_NIGHT, NB_SPREAD };

#define NOISE_TAU_S 1800.0

static const double noise_sigma[SIM_GEN_VARS] = {[0] = 1.5, [1] = 0.6};

static void noise_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng;
    double *b = dev->base;
    size_t n = strlen(dev->site);

    if (n > 5 && strcmp(dev->site + n - 5, "-road") == 0)
        b[NB_KIND] = NOISE_ROAD;
    else if (n > 5 && strcmp(dev->site + n - 5, "-site") == 0)
        b[NB_KIND] = NOISE_WORKS;
    else
        b[NB_KIND] = NOISE_STREET;
    b[NB_DAY] = 64.0 + 3.0 * sim_rng_uniform(r); /* roadside daytime LAeq */
    b[NB_NIGHT] = 46.0 + 3.0 * sim_rng_uniform(r);
    if (b[NB_KIND] == NOISE_STREET) {
        b[NB_DAY] -= 5.0 + 3.0 * sim_rng_uniform(r);
        b[NB_NIGHT] -= 2.0 + 2.0 * sim_rng_uniform(r);
    }
    b[NB_SPREAD] = 0.8 + 0.4 * sim_rng_uniform(r); /* how fluctuating the place is */
    dev->walk[0] = noise_sigma[0] * sim_rng_normal(r);
    dev->walk[1] = noise_sigma[1] * sim_rng_normal(r);
}

/* 0 at night, 1 by day, with an evening shoulder, on the local clock. */
static double daytime(double h)
{
    double up = sim_clamp((h - 5.0) / 2.0, 0.0, 1.0);
    double down = sim_clamp((23.5 - h) / 2.5, 0.0, 1.0);

    return fmin(up, down);
}

static double noise_level(const struct sim_device *dev, double h, int wd)
{
    const double *b = dev->base;
    bool is_weekend = wd >= 5;
    double level, rush;

    level = b[NB_NIGHT] + (b[NB_DAY] - b[NB_NIGHT]) * daytime(h);
    rush = (is_weekend ? 0.3 : 1.0) * sim_bump(h, 8.0, 0.8) + 0.8 * sim_bump(h, 18.0, 0.9);
    if (b[NB_KIND] == NOISE_WORKS) {
        /* Piling and trucks in working hours; lunch break; no work on Sundays. */
        bool is_work = wd != 6 && ((h >= 8 && h < 12) || (h >= 13 && h < 18));

        level = b[NB_NIGHT] - 1.0 + (is_work ? 22.0 : 6.0 * daytime(h));
        rush *= 0.4;
    }
    return level + 3.5 * rush - (is_weekend ? 1.5 : 0.0);
}

static void noise_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    struct sim_rng *r = &dev->rng;
    double dt = sim_walk(dev, ts, noise_sigma, 2, NOISE_TAU_S);
    /* An interval of dt seconds averages dt / 60 one-minute values. */
    double minutes = dt >= 60 ? dt / 60.0 : 1.0;
    double jitter = 1.6 / sqrt(minutes);
    double spread = dev->base[NB_SPREAD] * (1.0 + 0.3 * fabs(dev->walk[1]));
    double laeq;

    (void)env;
    laeq = noise_level(dev, sim_local_hour(ts), sim_local_weekday(ts)) + dev->walk[0] +
           jitter * sim_rng_normal(r);
    laeq = sim_clamp(laeq, 32.0, 95.0);
    v[N_LAEQ] = laeq;
    v[N_L50] = laeq - spread * (1.5 + 1.0 * sim_rng_uniform(r));
    v[N_L10] = laeq + spread * (1.2 + 1.5 * sim_rng_uniform(r));
    v[N_L90] = v[N_L50] - spread * (3.0 + 3.0 * sim_rng_uniform(r));
    v[N_LMAX] =
        laeq + 4.0 + spread * (4.0 + 8.0 * sim_rng_uniform(r)) + fmin(minutes - 1.0, 60.0) * 0.05;
}

const struct sim_profile sim_profile_noise = {
    .name = "noise-meter",
    .domain = "noise",
    .id_prefix = "sim-nm-",
    .sites = SIM_NOISE_SITES,
    .n_devices = 6,
    .interval = 900,
    .hj212_st = 23,
    .hj212_cn = 2011,
    .salt = 0x6e6f697365ULL,
    .fields = noise_fields,
    .n_fields = N_NOISE_FIELDS,
    .init = noise_init,
    .sample = noise_sample,
};
