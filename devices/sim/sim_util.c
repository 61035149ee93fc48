/*
 * Small helpers shared by the devsim subcommands: checked option parsing,
 * calendar arithmetic (the data's local time is fixed UTC+8, so no TZ
 * database is involved), the monotonic clock, topic checks and a seeded
 * PRNG. Pure functions apart from the clock and the error messages, which
 * go to stderr because devsim is a command-line tool.
 */
#include "sim_int.h"
#include "civil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double sim_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sim_sleep_until(double deadline)
{
    double left = deadline - sim_now();
    struct timespec ts;

    if (left <= 0)
        return;
    ts.tv_sec = (time_t)left;
    ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    /* EINTR ends the sleep early: the caller re-checks for a stop request. */
    (void)nanosleep(&ts, NULL);
}

bool sim_date_valid(long y, long m, long d)
{
    return y <= 9999 && m >= 1 && m <= 12 && civil_date_valid(y, (int)m, (int)d);
}

int64_t sim_days_from_civil(long y, long m, long d)
{
    return civil_to_days(y, (int)m, (int)d);
}

int sim_opt_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "devsim: %s: '%s' is not an integer in [%ld, %ld]\n", opt, s, min, max);
        return COL_ERR_INVAL;
    }
    *out = v;
    return 0;
}

int sim_opt_double(const char *opt, const char *s, double min, double max, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "devsim: %s: '%s' is not a number in [%g, %g]\n", opt, s, min, max);
        return COL_ERR_INVAL;
    }
    *out = v;
    return 0;
}

/* Parse exactly @n digits at @s into @out. */
static bool parse_digits(const char *s, int n, long *out)
{
    long v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int sim_opt_date(const char *opt, const char *s, int64_t *days)
{
    long y, m, d;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !parse_digits(s, 4, &y) ||
        !parse_digits(s + 5, 2, &m) || !parse_digits(s + 8, 2, &d) || !sim_date_valid(y, m, d)) {
        fprintf(stderr, "devsim: %s: '%s' is not a date YYYY-MM-DD\n", opt, s);
        return COL_ERR_INVAL;
    }
    *days = sim_days_from_civil(y, m, d);
    return 0;
}

void sim_conn_defaults(struct sim_conn *conn, int qos)
{
    conn->host = "127.0.0.1";
    conn->port = 1883;
    conn->qos = qos;
    conn->client_id = NULL;
    conn->prefix = "xh";
}

int sim_conn_option(struct sim_conn *conn, int opt, const char *arg)
{
    long v;

    switch (opt) {
    case 'h':
        conn->host = arg;
        return 1;
    case 'p':
        if (sim_opt_long("-p", arg, 1, 65535, &v))
            return COL_ERR_INVAL;
        conn->port = (int)v;
        return 1;
    case 'i':
        conn->client_id = arg;
        return 1;
    case SIM_OPT_QOS:
        if (sim_opt_long("--qos", arg, 0, 2, &v))
            return COL_ERR_INVAL;
        conn->qos = (int)v;
        return 1;
    case SIM_OPT_PREFIX:
        conn->prefix = arg;
        return 1;
    default:
        return 0;
    }
}

bool sim_topic_level_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (*p == '\0' || strlen(s) > SIM_LEVEL_MAX)
        return false;
    for (; *p; p++) {
        if (*p == '/' || *p == '+' || *p == '#' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

bool sim_conn_valid(const struct sim_conn *conn)
{
    const char *p = conn->prefix;

    /* The prefix may span levels ("city/xh") but holds no wildcard or empty level. */
    if (*p == '\0' || strlen(p) > SIM_PREFIX_MAX || *p == '/' || p[strlen(p) - 1] == '/' ||
        strstr(p, "//") || strpbrk(p, "+#")) {
        fprintf(stderr, "devsim: --prefix: '%s' is not a valid topic prefix\n", p);
        return false;
    }
    if (conn->host[0] == '\0') {
        fprintf(stderr, "devsim: -h: empty host\n");
        return false;
    }
    return true;
}

static const char *skip_digits(const char *p)
{
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

bool sim_json_number_ok(const char *s)
{
    const char *p = s;
    const char *q;

    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
    } else {
        q = skip_digits(p);
        if (q == p)
            return false;
        p = q;
    }
    if (*p == '.') {
        q = skip_digits(p + 1);
        if (q == p + 1)
            return false;
        p = q;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        q = skip_digits(p);
        if (q == p)
            return false;
        p = q;
    }
    return *p == '\0';
}

void sim_print_rate(double elapsed, long n)
{
    double rate = elapsed > 0 ? (double)n / elapsed : 0.0;

    printf(" elapsed_s=%.3f rate=%.1f\n", elapsed, rate);
}

uint64_t sim_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
    rng->s = sim_mix64(seed);
    if (rng->s == 0)
        rng->s = 0x2545f4914f6cdd1dULL; /* xorshift must not start at zero */
}

static uint64_t rng_next(struct sim_rng *rng)
{
    uint64_t x = rng->s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

double sim_rng_uniform(struct sim_rng *rng)
{
    return (double)(rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double sim_rng_normal(struct sim_rng *rng)
{
    /* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
    double u = 1.0 - sim_rng_uniform(rng);
    double v = sim_rng_uniform(rng);

    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

bool sim_rng_chance(struct sim_rng *rng, double p)
{
    return p > 0 && sim_rng_uniform(rng) < p;
}

double sim_local_hour(int64_t ts)
{
    int64_t local = ts + SIM_UTC_OFFSET_S;

    return (double)(((local % 86400) + 86400) % 86400) / 3600.0;
}

int sim_local_weekday(int64_t ts)
{
    int64_t day = (ts + SIM_UTC_OFFSET_S) / 86400;

    if ((ts + SIM_UTC_OFFSET_S) % 86400 < 0)
        day--;
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((day + 3) % 7 + 7) % 7);
}

double sim_season(int64_t ts, double lag_days)
{
    double day = floor((double)(ts + SIM_UTC_OFFSET_S) / 86400.0);
    double doy = fmod(fmod(day, 365.2425) + 365.2425, 365.2425);

    return cos(2.0 * M_PI * (doy - 20.0 - lag_days) / 365.2425);
}

double sim_bump(double h, double c, double w)
{
    double d = fabs(h - c);

    if (d > 12.0)
        d = 24.0 - d;
    return exp(-0.5 * (d / w) * (d / w));
}

double sim_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double sim_walk(struct sim_device *dev, int64_t ts, const double *sigma, int n, double tau_s)
{
    double dt = dev->last_ts ? (double)(ts - dev->last_ts) : 0.0;
    double keep, kick;
    int i;

    if (dt < 0)
        dt = 0;
    keep = exp(-dt / tau_s);
    kick = sqrt(1.0 - keep * keep);
    for (i = 0; i < n; i++)
        dev->walk[i] = keep * dev->walk[i] + sigma[i] * kick * sim_rng_normal(&dev->rng);
    dev->last_ts = ts;
    return dt;
}
