/*
 * The "air-station" fleet profile: readings that look like an urban air
 * monitoring station in Shanghai, not uniform noise. Each quantity is a
 * daily (and for some a seasonal) shape in local time (UTC+8), scaled by
 * per-device constants, times a mean-reverting random walk whose spread
 * does not depend on the step between readings, so a fleet stepping a
 * minute and one stepping an hour show the same variability. Units follow
 * the shipped air-station profile: µg/m³, CO in mg/m³, °C, hPa, mm, m/s.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>

/* Indexes into sim_device.base and .walk. */
enum { AIR_PM, AIR_NO2, AIR_O3, AIR_SO2, AIR_TEMP, AIR_WIND, AIR_PRES, AIR_RAIN, AIR_DEWP };

/* Correlation time of the random walks: weather and pollution change over hours. */
#define AIR_TAU_S (3.0 * 3600.0)

/* Stationary spread of each walk (log scale for the pollutants). */
static const double air_sigma[SIM_GEN_VARS] = {
    [AIR_PM] = 0.30,  [AIR_NO2] = 0.20, [AIR_O3] = 0.15,  [AIR_SO2] = 1.5,  [AIR_TEMP] = 1.2,
    [AIR_WIND] = 0.8, [AIR_PRES] = 2.5, [AIR_RAIN] = 1.0, [AIR_DEWP] = 1.0,
};

static void air_init(struct sim_device *dev)
{
    struct sim_rng *r = &dev->rng;
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
}

/* A bump of height 1 centred on hour @c (width @w hours), on the 24 h circle. */
static double bump(double h, double c, double w)
{
    double d = fabs(h - c);

    if (d > 12.0)
        d = 24.0 - d;
    return exp(-0.5 * (d / w) * (d / w));
}

/* Advance every walk by the time since the previous reading (exact OU step). */
static void air_walk(struct sim_device *dev, int64_t ts)
{
    double dt = dev->last_ts ? (double)(ts - dev->last_ts) : 0.0;
    double keep, kick;
    int i;

    if (dt < 0)
        dt = 0;
    keep = exp(-dt / AIR_TAU_S);
    kick = sqrt(1.0 - keep * keep);
    for (i = 0; i < SIM_GEN_VARS; i++)
        dev->walk[i] = keep * dev->walk[i] + air_sigma[i] * kick * sim_rng_normal(&dev->rng);
    dev->last_ts = ts;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The computed reading before formatting. */
struct air_reading {
    double pm25, pm10, so2, no2, co, o3, temp, pres, dewp, rain, wspm;
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
    out->wspm = fmax(0.2, b[AIR_WIND] + 0.8 * bump(h, 14.0, 3.0) + w[AIR_WIND]);
    /* It rains about a tenth of the hours, when the latent walk is high. */
    out->rain = w[AIR_RAIN] > 1.25 ? 3.0 * (w[AIR_RAIN] - 1.25) : 0.0;
}

static void air_pollutants(struct sim_device *dev, double h, double season, struct air_reading *out)
{
    const double *b = dev->base, *w = dev->walk;
    double cycle, dilution, washout;

    /* Traffic and boundary layer: peaks near 08:00 and 20:00, lowest mid-afternoon. */
    cycle = 0.75 + 0.45 * bump(h, 8.0, 2.0) + 0.55 * bump(h, 20.0, 2.5);
    dilution = 1.0 / (1.0 + 0.15 * fmax(0.0, out->wspm - 2.0));
    washout = out->rain > 0 ? 0.7 : 1.0;
    out->pm25 =
        fmax(2.0, b[AIR_PM] * (1.0 + 0.25 * season) * cycle * dilution * washout * exp(w[AIR_PM]));
    out->pm10 = out->pm25 * clamp(1.6 + 0.08 * sim_rng_normal(&dev->rng), 1.3, 2.0);
    out->no2 = b[AIR_NO2] * (0.7 + 0.7 * bump(h, 8.0, 1.5) + 0.6 * bump(h, 18.5, 2.0)) * dilution *
               exp(w[AIR_NO2]);
    /* Photochemistry: ozone peaks mid-afternoon, more in summer (season < 0). */
    out->o3 =
        b[AIR_O3] * (18.0 + 90.0 * bump(h, 15.0, 3.5) * (1.0 - 0.35 * season)) * exp(w[AIR_O3]);
    out->so2 = clamp(b[AIR_SO2] + 2.0 * bump(h, 9.0, 2.5) + w[AIR_SO2], 5.0, 15.0);
    out->co = clamp(0.35 + 0.011 * out->pm25 + 0.05 * sim_rng_normal(&dev->rng), 0.4, 1.2);
}

static int air_render(struct sim_device *dev, int64_t ts, char *buf, size_t size)
{
    struct air_reading r;
    int64_t local = ts + SIM_UTC_OFFSET_S;
    double sec_of_day = (double)(((local % 86400) + 86400) % 86400);
    double day = floor((double)local / 86400.0);
    double doy = fmod(fmod(day, 365.2425) + 365.2425, 365.2425);
    /* +1 in mid-January, -1 in mid-July. */
    double season = cos(2.0 * M_PI * (doy - 20.0) / 365.2425);
    double h = sec_of_day / 3600.0;
    int n;

    air_walk(dev, ts);
    air_weather(dev, h, season, &r);
    air_pollutants(dev, h, season, &r);
    n = snprintf(buf, size,
                 "{\"ts\":%lld,\"pm25\":%.1f,\"pm10\":%.1f,\"so2\":%.1f,\"no2\":%.1f,"
                 "\"co\":%.2f,\"o3\":%.1f,\"temp\":%.1f,\"pres\":%.1f,\"dewp\":%.1f,"
                 "\"rain\":%.1f,\"wspm\":%.1f}",
                 (long long)ts, r.pm25, r.pm10, r.so2, r.no2, r.co, r.o3, r.temp, r.pres, r.dewp,
                 r.rain, r.wspm);
    if (n < 0 || (size_t)n >= size)
        return COL_ERR_RANGE;
    return n;
}

const struct sim_profile sim_profile_air = {
    .name = "air-station",
    .domain = "air",
    .id_prefix = "sim-aqm-",
    .init = air_init,
    .render = air_render,
};
