/*
 * The fleet engine shared by `devsim fleet` and `devsim district`: N devices
 * of one profile, each sampled once per round at a simulated time, encoded
 * in its format and handed to a sink. Episodes (a haze, a discharge into a
 * river) are intensities 0..1 of simulated time that the generators turn
 * into pollution. Faults are decided by a second random stream per device,
 * so turning them on never changes the values a device measures. Rates:
 *   stuck, dropout, late  probability per device-round that a device not
 *                         already in that state enters it, for 2-6 simulated
 *                         hours (at least 3 rounds): one field repeats its
 *                         value / the device is silent / it buffers and then
 *                         uploads the backlog at once, in time order, with
 *                         the original timestamps;
 *   spike, malformed,     probability per message: one value x10 / a broken
 *   duplicate             payload (truncated, a non-numeric value, bad CRC) /
 *                         the message is sent twice;
 *   skew                  probability per device, drawn once: its clock runs
 *                         2 h ahead.
 * Counters report messages affected.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENGINE_BACKLOG_MAX 4096
#define ENGINE_SKEW_S 7200
#define ENGINE_RATE_MAX 1.0

static const char *const fault_names[SIM_N_FAULTS] = {
    [SIM_FAULT_STUCK] = "stuck",     [SIM_FAULT_SPIKE] = "spike",
    [SIM_FAULT_DROPOUT] = "dropout", [SIM_FAULT_MALFORMED] = "malformed",
    [SIM_FAULT_SKEW] = "skew",       [SIM_FAULT_DUPLICATE] = "duplicate",
    [SIM_FAULT_LATE] = "late",
};

/* Rates when --fault KIND has none, and for district --faults. */
static const double fault_default_rate[SIM_N_FAULTS] = {
    [SIM_FAULT_STUCK] = 0.002,     [SIM_FAULT_SPIKE] = 0.005, [SIM_FAULT_DROPOUT] = 0.002,
    [SIM_FAULT_MALFORMED] = 0.005, [SIM_FAULT_SKEW] = 0.1,    [SIM_FAULT_DUPLICATE] = 0.01,
    [SIM_FAULT_LATE] = 0.002,
};

struct backlog_item {
    char *payload;
    size_t len;
};

struct fleet_dev {
    struct sim_device d;
    char topic[SIM_TOPIC_MAX];
    enum sim_format format;
    struct sim_rng frng; /* fault decisions only */
    int64_t skew_s;
    int64_t stuck_until; /* 0: not stuck */
    int stuck_field;
    double stuck_value;
    int64_t dropout_until; /* 0: not silent */
    int64_t late_until;    /* 0: not buffering */
    struct backlog_item *backlog;
    size_t n_backlog;
};

struct sim_fleet {
    struct sim_fleet_cfg cfg;
    struct fleet_dev *devs;
    int64_t prev_ts; /* ts of the previous round; 0 before the first */
    struct sim_fleet_stats st;
};

const char *sim_fault_name(int kind)
{
    return kind >= 0 && kind < SIM_N_FAULTS ? fault_names[kind] : "?";
}

int sim_fault_parse(const char *s, struct sim_faults *f)
{
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    double rate;
    int k;

    for (k = 0; k < SIM_N_FAULTS; k++) {
        if (strlen(fault_names[k]) == n && strncmp(s, fault_names[k], n) == 0)
            break;
    }
    if (k == SIM_N_FAULTS) {
        fprintf(stderr,
                "devsim: --fault: unknown kind in '%s' (stuck, spike, dropout, "
                "malformed, skew, duplicate, late)\n",
                s);
        return COL_ERR_INVAL;
    }
    rate = fault_default_rate[k];
    if (colon && sim_opt_double("--fault RATE", colon + 1, 0, ENGINE_RATE_MAX, &rate))
        return COL_ERR_INVAL;
    f->rate[k] = rate;
    return 0;
}

void sim_faults_all(struct sim_faults *f)
{
    memcpy(f->rate, fault_default_rate, sizeof(f->rate));
}

bool sim_faults_any(const struct sim_faults *f)
{
    int k;

    for (k = 0; k < SIM_N_FAULTS; k++) {
        if (f->rate[k] > 0)
            return true;
    }
    return false;
}

int sim_episode_parse(const char *s, struct sim_episode *e)
{
    char buf[160], *parts[5], *p, *colon;
    int n = 0;

    memset(e, 0, sizeof(*e));
    if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
        goto bad;
    for (p = buf; p && n < 5; p = colon) {
        colon = strchr(p, ':');
        if (colon)
            *colon++ = '\0';
        parts[n++] = p;
    }
    if (n < 3 || n > 4 || p)
        goto bad;
    if (strcmp(parts[0], "haze") == 0)
        e->kind = SIM_EPISODE_HAZE;
    else if (strcmp(parts[0], "discharge") == 0)
        e->kind = SIM_EPISODE_DISCHARGE;
    else
        goto bad;
    if (sim_opt_double("--episode START", parts[1], 0, 24.0 * 366 * 100, &e->start_h) ||
        sim_opt_double("--episode DURATION", parts[2], 1e-3, 24.0 * 366 * 100, &e->duration_h))
        return COL_ERR_INVAL;
    if (n == 4) {
        if (!sim_topic_level_ok(parts[3]))
            goto bad;
        snprintf(e->site, sizeof(e->site), "%s", parts[3]);
    }
    return 0;
bad:
    fprintf(stderr, "devsim: --episode: '%s' is not haze|discharge:START_H:DURATION_H[:SITE]\n", s);
    return COL_ERR_INVAL;
}

static double smoothstep(double x)
{
    x = sim_clamp(x, 0.0, 1.0);
    return x * x * (3.0 - 2.0 * x);
}

/*
 * Intensity of @e at @ts: builds up over a quarter of it (at most 6 h) and
 * clears more slowly, over a third (at most 12 h), as a haze or a polluted
 * river does.
 */
static double episode_level(const struct sim_episode *e, int64_t start, int64_t ts)
{
    double t = (double)(ts - start) / 3600.0 - e->start_h;
    double up = fmin(e->duration_h / 4.0, 6.0), down = fmin(e->duration_h / 3.0, 12.0);

    if (t < 0 || t > e->duration_h)
        return 0.0;
    return fmin(smoothstep(t / up), smoothstep((e->duration_h - t) / down));
}

static void episodes_at(const struct sim_fleet *fl, const char *site, int64_t ts,
                        struct sim_env *env)
{
    const struct sim_episode *e;
    double level;
    int i;

    memset(env, 0, sizeof(*env));
    for (i = 0; i < fl->cfg.n_episodes; i++) {
        e = &fl->cfg.episodes[i];
        if (e->site[0] && strcmp(e->site, site) != 0)
            continue;
        level = episode_level(e, fl->cfg.start, ts);
        if (e->kind == SIM_EPISODE_HAZE)
            env->haze = fmax(env->haze, level);
        else
            env->discharge = fmax(env->discharge, level);
    }
}

/* The formats a profile supports, in the order MIXED cycles through them. */
static int profile_formats(const struct sim_profile *p, enum sim_format *out)
{
    int n = 0;

    out[n++] = SIM_FMT_JSON;
    out[n++] = SIM_FMT_SENML;
    if (p->hj212_st)
        out[n++] = SIM_FMT_HJ212;
    return n;
}

static void fleet_init_dev(struct sim_fleet *fl, long i)
{
    const struct sim_fleet_cfg *c = &fl->cfg;
    struct fleet_dev *fd = &fl->devs[i];
    enum sim_format formats[3];
    int n_formats = profile_formats(c->profile, formats);
    uint64_t seed = (c->seed * 0x100000001b3ULL + (uint64_t)i) ^ c->profile->salt;

    snprintf(fd->d.id, sizeof(fd->d.id), "%s%02ld", c->profile->id_prefix, i + 1);
    fd->d.site = c->sites[i % c->n_sites];
    fd->d.index = i;
    /* Each device's stream depends on the seed and its index, not on N. */
    sim_rng_seed(&fd->d.rng, seed);
    sim_rng_seed(&fd->frng, seed ^ 0x6661756c74ULL);
    c->profile->init(&fd->d);
    snprintf(fd->topic, sizeof(fd->topic), "%s/%s/%s/%s", c->prefix, c->profile->domain, fd->d.site,
             fd->d.id);
    fd->format = c->format == SIM_FMT_MIXED ? formats[i % n_formats] : c->format;
    if (c->faults && sim_rng_chance(&fd->frng, c->faults->rate[SIM_FAULT_SKEW]))
        fd->skew_s = ENGINE_SKEW_S;
}

struct sim_fleet *sim_fleet_new(const struct sim_fleet_cfg *cfg)
{
    struct sim_fleet *fl = NULL;
    long i;

    if (cfg->format == SIM_FMT_HJ212 && !cfg->profile->hj212_st) {
        fprintf(stderr, "devsim: profile %s has no HJ 212 form\n", cfg->profile->name);
        return NULL;
    }
    if (NEVER(cfg->n_sites <= 0 || cfg->n_devices <= 0 || cfg->tag < 0 || cfg->tag >= SIM_N_TAGS))
        return NULL;
    fl = calloc(1, sizeof(*fl));
    if (!fl)
        goto nomem;
    fl->cfg = *cfg;
    fl->devs = calloc((size_t)cfg->n_devices, sizeof(*fl->devs));
    if (!fl->devs)
        goto nomem;
    for (i = 0; i < cfg->n_devices; i++)
        fleet_init_dev(fl, i);
    return fl;
nomem:
    fprintf(stderr, "devsim: out of memory for %ld devices\n", cfg->n_devices);
    sim_fleet_free(fl);
    return NULL;
}

static double fault_rate(const struct sim_fleet *fl, int kind)
{
    return fl->cfg.faults ? fl->cfg.faults->rate[kind] : 0.0;
}

/* Index of a random numeric field (that @f carries, for HJ 212), or -1. */
static int pick_field(const struct sim_profile *p, enum sim_format f, struct sim_rng *rng)
{
    int candidates[SIM_MAX_FIELDS], n = 0, i;

    for (i = 0; i < p->n_fields; i++) {
        if (p->fields[i].kind == SIM_V_NUM && (f != SIM_FMT_HJ212 || p->fields[i].code))
            candidates[n++] = i;
    }
    return n ? candidates[(int)(sim_rng_uniform(rng) * n)] : -1;
}

/* How long a stuck, silent or buffering spell lasts: 2-6 h, at least 3 rounds. */
static int64_t spell_end(struct sim_fleet *fl, struct fleet_dev *fd, int64_t ts)
{
    int64_t step = fl->prev_ts ? ts - fl->prev_ts : fl->cfg.profile->interval;
    double hours = 2.0 + 4.0 * sim_rng_uniform(&fd->frng);
    int64_t len = (int64_t)(hours * 3600.0);

    return ts + (len > 3 * step ? len : 3 * step);
}

static int fleet_send(struct sim_fleet *fl, struct sim_sink *sk, struct fleet_dev *fd,
                      const char *payload, size_t len)
{
    fl->st.n_messages++;
    return sim_sink_send(sk, fd->topic, payload, len, fl->cfg.tag);
}

static int backlog_flush(struct sim_fleet *fl, struct sim_sink *sk, struct fleet_dev *fd)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < fd->n_backlog; i++) {
        if (rc == 0)
            rc = fleet_send(fl, sk, fd, fd->backlog[i].payload, fd->backlog[i].len);
        free(fd->backlog[i].payload);
    }
    free(fd->backlog);
    fd->backlog = NULL;
    fd->n_backlog = 0;
    return rc;
}

static void backlog_push(struct sim_fleet *fl, struct fleet_dev *fd, const char *payload,
                         size_t len)
{
    struct backlog_item *items;
    char *copy;

    if (fd->n_backlog == ENGINE_BACKLOG_MAX) {
        fl->st.n_lost++;
        return;
    }
    items = realloc(fd->backlog, (fd->n_backlog + 1) * sizeof(*items));
    if (!items) {
        fl->st.n_lost++;
        return;
    }
    fd->backlog = items;
    copy = malloc(len + 1);
    if (!copy) {
        fl->st.n_lost++;
        return;
    }
    memcpy(copy, payload, len + 1);
    items[fd->n_backlog].payload = copy;
    items[fd->n_backlog].len = len;
    fd->n_backlog++;
    fl->st.n_fault[SIM_FAULT_LATE]++;
}

/* End spells that are over (sending a backlog) and start new ones. */
static int fleet_spells(struct sim_fleet *fl, struct sim_sink *sk, struct fleet_dev *fd, int64_t ts,
                        const double *v)
{
    int rc = 0;

    if (fd->late_until && ts >= fd->late_until) {
        fd->late_until = 0;
        rc = backlog_flush(fl, sk, fd);
    }
    if (fd->dropout_until && ts >= fd->dropout_until)
        fd->dropout_until = 0;
    if (fd->stuck_until && ts >= fd->stuck_until)
        fd->stuck_until = 0;
    if (!fd->dropout_until && !fd->late_until) {
        if (sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_DROPOUT)))
            fd->dropout_until = spell_end(fl, fd, ts);
        else if (sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_LATE)))
            fd->late_until = spell_end(fl, fd, ts);
    }
    if (!fd->stuck_until && sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_STUCK))) {
        fd->stuck_field = pick_field(fl->cfg.profile, fd->format, &fd->frng);
        if (fd->stuck_field >= 0) {
            fd->stuck_until = spell_end(fl, fd, ts);
            fd->stuck_value = v[fd->stuck_field];
        }
    }
    return rc;
}

/* Damage for the malformed fault that this device's format and link allow. */
static enum sim_damage pick_damage(const struct sim_fleet *fl, struct fleet_dev *fd)
{
    double u = sim_rng_uniform(&fd->frng);

    if (fd->format != SIM_FMT_HJ212)
        return u < 0.5 ? SIM_DAMAGE_TRUNCATE : SIM_DAMAGE_NONNUMERIC;
    /* A stream listener splits packets on CRLF: over TCP only the CRC may be wrong. */
    if (fl->cfg.is_tcp || u < 1.0 / 3)
        return SIM_DAMAGE_CRC;
    return u < 2.0 / 3 ? SIM_DAMAGE_TRUNCATE : SIM_DAMAGE_NONNUMERIC;
}

static int fleet_device_round(struct sim_fleet *fl, struct sim_sink *sk, struct fleet_dev *fd,
                              int64_t ts)
{
    const struct sim_profile *p = fl->cfg.profile;
    char payload[SIM_PAYLOAD_MAX];
    double v[SIM_MAX_FIELDS];
    struct sim_msg m;
    struct sim_env env;
    int len, rc, k;

    episodes_at(fl, fd->d.site, ts, &env);
    p->sample(&fd->d, &env, ts, v);
    rc = fleet_spells(fl, sk, fd, ts, v);
    if (rc)
        return rc;
    if (fd->dropout_until) {
        fl->st.n_fault[SIM_FAULT_DROPOUT]++;
        return 0;
    }
    if (fd->stuck_until) {
        v[fd->stuck_field] = fd->stuck_value;
        fl->st.n_fault[SIM_FAULT_STUCK]++;
    }
    if (sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_SPIKE))) {
        k = pick_field(p, fd->format, &fd->frng);
        if (k >= 0) {
            v[k] *= 10.0;
            fl->st.n_fault[SIM_FAULT_SPIKE]++;
        }
    }
    memset(&m, 0, sizeof(m));
    m.profile = p;
    m.device = fd->d.id;
    m.seq = fd->d.index;
    m.ts = ts + fd->skew_s;
    m.v = v;
    m.want_ack = fl->cfg.is_tcp;
    if (fd->skew_s)
        fl->st.n_fault[SIM_FAULT_SKEW]++;
    if (sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_MALFORMED))) {
        m.damage = pick_damage(fl, fd);
        m.damage_field = pick_field(p, fd->format, &fd->frng);
        if (m.damage == SIM_DAMAGE_NONNUMERIC && m.damage_field < 0)
            m.damage = SIM_DAMAGE_TRUNCATE;
        fl->st.n_fault[SIM_FAULT_MALFORMED]++;
    }
    len = sim_fmt_render(&m, fd->format, payload, sizeof(payload));
    if (NEVER(len < 0))
        return COL_ERR_RANGE;
    if (fd->late_until) {
        backlog_push(fl, fd, payload, (size_t)len);
        return 0;
    }
    rc = fleet_send(fl, sk, fd, payload, (size_t)len);
    if (rc == 0 && sim_rng_chance(&fd->frng, fault_rate(fl, SIM_FAULT_DUPLICATE))) {
        fl->st.n_fault[SIM_FAULT_DUPLICATE]++;
        rc = fleet_send(fl, sk, fd, payload, (size_t)len);
    }
    return rc;
}

int sim_fleet_round(struct sim_fleet *fl, struct sim_sink *sk, int64_t ts)
{
    long i;
    int rc;

    for (i = 0; i < fl->cfg.n_devices; i++) {
        rc = fleet_device_round(fl, sk, &fl->devs[i], ts);
        if (rc)
            return rc;
    }
    fl->prev_ts = ts;
    return 0;
}

int sim_fleet_drain(struct sim_fleet *fl, struct sim_sink *sk)
{
    long i;
    int rc;

    for (i = 0; i < fl->cfg.n_devices; i++) {
        fl->devs[i].late_until = 0;
        rc = backlog_flush(fl, sk, &fl->devs[i]);
        if (rc)
            return rc;
    }
    return 0;
}

const struct sim_fleet_stats *sim_fleet_stats(const struct sim_fleet *fl)
{
    return &fl->st;
}

void sim_fleet_fault_summary(const struct sim_fleet *fl, char *buf, size_t size)
{
    size_t len = 0;
    int k, n;

    buf[0] = '\0';
    for (k = 0; k < SIM_N_FAULTS; k++) {
        if (fault_rate(fl, k) <= 0)
            continue;
        n = snprintf(buf + len, size - len, " %s=%ld", fault_names[k], fl->st.n_fault[k]);
        if (n < 0 || (size_t)n >= size - len)
            return;
        len += (size_t)n;
    }
    if (fl->st.n_lost) {
        n = snprintf(buf + len, size - len, " lost=%ld", fl->st.n_lost);
        (void)n;
    }
}

void sim_fleet_free(struct sim_fleet *fl)
{
    long i;
    size_t k;

    if (!fl)
        return;
    if (fl->devs) {
        for (i = 0; i < fl->cfg.n_devices; i++) {
            for (k = 0; k < fl->devs[i].n_backlog; k++)
                free(fl->devs[i].backlog[k].payload);
            free(fl->devs[i].backlog);
        }
    }
    free(fl->devs);
    free(fl);
}

const struct sim_profile *const sim_profiles[] = {
    &sim_profile_air,
    &sim_profile_pm,
    &sim_profile_water,
    &sim_profile_noise,
    &sim_profile_waste,
    &sim_profile_sewage,
    NULL,
};

const struct sim_profile *sim_profile_find(const char *name)
{
    int i;

    for (i = 0; sim_profiles[i]; i++) {
        if (strcmp(sim_profiles[i]->name, name) == 0)
            return sim_profiles[i];
    }
    return NULL;
}
