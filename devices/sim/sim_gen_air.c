/*
 * The "air-station" fleet profile: readings that look like an urban air
 * monitoring station in Shanghai, not uniform noise. Each quantity is a
 * daily (and for some a seasonal) shape in local time (UTC+8), scaled by
 * per-device constants, times a mean-reverting random walk whose spread
 * does not depend on the step between readings, so a fleet stepping a
 * minute and one stepping an hour show the same variability. Units follow
 * the shipped air-station profile: µg/m³, CO in mg/m³, °C, hPa, mm, m/s.
 * A haze episode pulls PM2.5 towards a per-station peak of 150-250 µg/m³;
 * PM10 keeps its ratio to PM2.5, so it follows.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>

/* Indexes into sim_device.base and .walk. */
enum {
    AIR_PM,
    AIR_NO2,
    AIR_O3,
    AIR_SO2,
    AIR_TEMP,
    AIR_WIND,
    AIR_PRES,
    AIR_RAIN,
    AIR_DEWP,
    AIR_HAZE
};

/* Correlation time of the random walks: weather and pollution change over hours. */
#define AIR_TAU_S (3.0 * 3600.0)

/* Stationary spread of each walk (log scale for the pollutants). */
static const double air_sigma[SIM_GEN_VARS] = {
    [AIR_PM] = 0.30,  [AIR_NO2] = 0.20, [AIR_O3] = 0.15,  [AIR_SO2] = 1.5,  [AIR_TEMP] = 1.2,
    [AIR_WIND] = 0.8, [AIR_PRES] = 2.5, [AIR_RAIN] = 1.0, [AIR_DEWP] = 1.0,
};

static void air_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng, hazer;
    int i;

    dev->base[AIR_PM] = 25.0 + 20.0 * sim_rng_uniform(r); /* daily mean PM2.5, µg/m³ */
    dev->base[AIR_NO2] = 22.0 + 12.0 * sim_rng_uniform(r);
    dev->base[AIR_O3] = 0.8 + 0.4 * sim_rng_uniform(r); /* scale of the ozone curve */
    dev->base[AIR_SO2] = 6.0 + 4.0 * sim_rng_uniform(r);
    dev->base[AIR_TEMP] = -0.5 + sim_rng_uniform(r); /* urban heat island offset */
    dev->base[AIR_WIND] = 1.5 + 1.5 * sim_rng_uniform(r);
    dev->base[AIR_PRES] = -1.5 + 3.0 * sim_rng_uniform(r); /* altitude of the sensor */
    for (i = 0; i < SIM_GEN_VARS; i++)
        dev->walk[i] = air_sigma[i] * sim_rng_normal(r);
    /* Haze peak PM2.5 from a side stream, so the first devsim's values stay as they were. */
    sim_rng_seed(&hazer, r->s ^ 0x68617a65ULL);
    dev->base[AIR_HAZE] = 150.0 + 80.0 * sim_rng_uniform(&hazer);
}

/* The computed reading before formatting. */
struct air_reading {
    double pm25, pm10, so2, no2, co, o3, temp, pres, dewp, rain, wspm;
};

/* Field order of the payload; the JSON form is unchanged from the first devsim. */
enum {
    F_PM25,
    F_PM10,
    F_SO2,
    F_NO2,
    F_CO,
    F_O3,
    F_TEMP,
    F_PRES,
    F_DEWP,
    F_RAIN,
    F_WSPM,
    F_HUMIDITY,
    N_AIR_FIELDS
};

/* HJ 212-2017 Table B.2 codes; O3 a05024 from HJ 524; pressure in kPa; dewp and rain have none. */
static const struct sim_field air_fields[N_AIR_FIELDS] = {
    [F_PM25] = {"pm25", "ug/m3", SIM_V_NUM, 1, "a34004", 0, 1, NULL},
    [F_PM10] = {"pm10", "ug/m3", SIM_V_NUM, 1, "a34002", 0, 1, NULL},
    [F_SO2] = {"so2", "ug/m3", SIM_V_NUM, 1, "a21026", 0, 1, NULL},
    [F_NO2] = {"no2", "ug/m3", SIM_V_NUM, 1, "a21004", 0, 1, NULL},
    [F_CO] = {"co", "mg/m3", SIM_V_NUM, 2, "a21005", 0, 2, NULL},
    [F_O3] = {"o3", "ug/m3", SIM_V_NUM, 1, "a05024", 0, 1, NULL},
    [F_TEMP] = {"temp", "degC", SIM_V_NUM, 1, "a01001", 0, 1, NULL},
    [F_PRES] = {"pres", "hPa", SIM_V_NUM, 1, "a01006", 0.1, 2, NULL},
    [F_DEWP] = {"dewp", "degC", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [F_RAIN] = {"rain", "mm", SIM_V_NUM, 1, NULL, 0, 0, NULL},
    [F_WSPM] = {"wspm", "m/s", SIM_V_NUM, 1, "a01007", 0, 1, NULL},
    [F_HUMIDITY] = {"humidity", "%", SIM_V_NUM, 0, "a01002", 0, 0, NULL},
};

static void air_weather(const struct sim_device *dev, double h, double season,
                        struct air_reading *out)
{
    const double *b = dev->base, *w = dev->walk;
    double spread;

    /* Shanghai: about 5 °C in January and 29 °C in July; warmest near 14:30. */
    out->temp = 17.0 - 12.0 * season + 4.0 * cos(2.0 * M_PI * (h - 14.5) / 24.0) + b[AIR_TEMP] +
                w[AIR_TEMP];
    spread = 3.0 + 2.5 * cos(2.0 * M_PI * (h - 14.5) / 24.0) + fabs(w[AIR_DEWP]);
    out->dewp = out->temp - spread;
    out->pres = 1016.0 + 9.0 * season + b[AIR_PRES] + w[AIR_PRES];
    out->wspm = fmax(0.2, b[AIR_WIND] + 0.8 * sim_bump(h, 14.0, 3.0) + w[AIR_WIND]);
    /* It rains about a tenth of the hours, when the latent walk is high. */
    out->rain = w[AIR_RAIN] > 1.25 ? 3.0 * (w[AIR_RAIN] - 1.25) : 0.0;
}

static void air_pollutants(struct sim_device *dev, const struct sim_env *env, double h,
                           double season, struct air_reading *out)
{
    const double *b = dev->base, *w = dev->walk;
    double cycle, dilution, washout;

    /* Traffic and boundary layer: peaks near 08:00 and 20:00, lowest mid-afternoon. */
    cycle = 0.75 + 0.45 * sim_bump(h, 8.0, 2.0) + 0.55 * sim_bump(h, 20.0, 2.5);
    dilution = 1.0 / (1.0 + 0.15 * fmax(0.0, out->wspm - 2.0));
    washout = out->rain > 0 ? 0.7 : 1.0;
    out->pm25 =
        fmax(2.0, b[AIR_PM] * (1.0 + 0.25 * season) * cycle * dilution * washout * exp(w[AIR_PM]));
    if (env->haze > 0 && b[AIR_HAZE] > out->pm25)
        out->pm25 +=
            env->haze * (sim_clamp(b[AIR_HAZE] * exp(0.15 * w[AIR_PM]), 150, 250) - out->pm25);
    out->pm10 = out->pm25 * sim_clamp(1.6 + 0.08 * sim_rng_normal(&dev->rng), 1.3, 2.0);
    out->no2 = b[AIR_NO2] * (0.7 + 0.7 * sim_bump(h, 8.0, 1.5) + 0.6 * sim_bump(h, 18.5, 2.0)) *
               dilution * exp(w[AIR_NO2]);
    /* Photochemistry: ozone peaks mid-afternoon, more in summer (season < 0). */
    out->o3 =
        b[AIR_O3] * (18.0 + 90.0 * sim_bump(h, 15.0, 3.5) * (1.0 - 0.35 * season)) * exp(w[AIR_O3]);
    out->so2 = sim_clamp(b[AIR_SO2] + 2.0 * sim_bump(h, 9.0, 2.5) + w[AIR_SO2], 5.0, 15.0);
    out->co = sim_clamp(0.35 + 0.011 * out->pm25 + 0.05 * sim_rng_normal(&dev->rng), 0.4, 1.2);
}

/* Relative humidity from temperature and dew point (Magnus formula), %. */
static double air_humidity(double temp, double dewp)
{
    double rh = 100.0 * exp(17.625 * dewp / (243.04 + dewp)) / exp(17.625 * temp / (243.04 + temp));

    return sim_clamp(rh, 5.0, 100.0);
}

static void air_sample(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v)
{
    struct air_reading r;
    double season = sim_season(ts, 0.0);
    double h = sim_local_hour(ts);

    (void)sim_walk(dev, ts, air_sigma, SIM_GEN_VARS, AIR_TAU_S);
    air_weather(dev, h, season, &r);
    air_pollutants(dev, env, h, season, &r);
    v[F_PM25] = r.pm25;
    v[F_PM10] = r.pm10;
    v[F_SO2] = r.so2;
    v[F_NO2] = r.no2;
    v[F_CO] = r.co;
    v[F_O3] = r.o3;
    v[F_TEMP] = r.temp;
    v[F_PRES] = r.pres;
    v[F_DEWP] = r.dewp;
    v[F_RAIN] = r.rain;
    v[F_WSPM] = r.wspm;
    v[F_HUMIDITY] = air_humidity(r.temp, r.dewp);
}

const struct sim_profile sim_profile_air = {
    .name = "air-station",
    .domain = "air",
    .id_prefix = "sim-aqm-",
    .sites = SIM_STREETS,
    .n_devices = 13,
    .interval = 3600,
    .hj212_st = 22,
    .hj212_cn = 2061,
    .salt = 0,
    .fields = air_fields,
    .n_fields = N_AIR_FIELDS,
    .init = air_init,
    .sample = air_sample,
};
