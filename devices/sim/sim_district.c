/*
 * devsim district: the whole of Xuhui in one command, for demos and soak
 * tests. Every profile runs its default fleet (sim_engine.c) over the
 * district's sites on one simulated clock that ticks --step seconds from
 * --start for --days days; each profile reports at its own interval (air
 * and sewage hourly, water every 4 h, noise, bins and PM nodes every
 * 15 min), as fast as the broker acknowledges unless --interval paces the
 * ticks. --episodes schedules a haze and a river discharge so alerts fire.
 * With --tcp the HJ 212 profiles go over TCP and the others still over MQTT.
 */
#include "sim_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DISTRICT_MAX_SITES 32
#define DISTRICT_N_PROFILES 6

enum {
    OPT_DAYS = SIM_OPT_FIRST_OWN,
    OPT_START,
    OPT_STEP,
    OPT_INTERVAL,
    OPT_EPISODES,
    OPT_EPISODE,
    OPT_FAULTS,
    OPT_FAULT,
    OPT_SEED,
    OPT_FORMAT,
    OPT_TCP,
    OPT_PROFILES
};

struct district_opts {
    struct sim_conn conn;
    long days;
    int64_t start; /* 0 until set: then days before the current hour */
    long step;
    double interval;
    bool is_episodes;
    struct sim_episode episodes[SIM_MAX_EPISODES];
    int n_episodes;
    struct sim_faults faults;
    uint64_t seed;
    enum sim_format format;
    const char *tcp;
    bool is_profile_on[DISTRICT_N_PROFILES];
};

/* One profile's fleet in the district. */
struct district_unit {
    const struct sim_profile *profile;
    char sites_buf[512];
    const char *sites[DISTRICT_MAX_SITES];
    int n_sites;
    enum sim_format format;
    struct sim_fleet *fleet;
    struct sim_sink *sink; /* borrowed: the district's MQTT or TCP sink */
    int64_t next_due;
    long n_rounds;
};

struct district {
    struct district_opts opt;
    struct district_unit units[DISTRICT_N_PROFILES];
    struct sim_sink *mqtt;
    struct sim_sink *tcp;
    long n_ticks;
};

static const char district_usage[] =
    "usage: devsim district -h HOST -p PORT [--days N] [--start EPOCH] [--step SEC]\n"
    "                       [--interval SEC] [--episodes] [--episode E]... [--faults]\n"
    "                       [--fault K[:R]]... [--seed S] [--format json|senml|hj212|mixed]\n"
    "                       [--tcp HOST:PORT] [--profiles a,b] [--qos N] [--prefix xh]\n"
    "\n"
    "Run a fleet of every profile over Xuhui's sites in simulated time:\n"
    "  air-station  13 (1 per street)          every hour\n"
    "  pm-node      26 (2 per street)          every 15 min\n"
    "  water-buoy   4 (the water sites)        every 4 h\n"
    "  noise-meter  6 (2 noise sites, 4 streets) every 15 min (15-min values under\n"
    "                                          the 1-min field names)\n"
    "  waste-bin    52 (4 per street)          every 15 min\n"
    "  sewage-flow  1 (longhua-wwtp)           every hour\n"
    "\n"
    "  -h, --host HOST     broker host (default 127.0.0.1)\n"
    "  -p, --port PORT     broker port (default 1883)\n"
    "  -i, --id ID         MQTT client id (default devsim-district-<pid>-<n>)\n"
    "      --days N        simulated days (default 7)\n"
    "      --start EPOCH   simulated start (default: N days before the current hour)\n"
    "      --step SEC      simulated seconds per tick (default 900); a profile reports\n"
    "                      on the first tick at or after each of its intervals\n"
    "      --interval SEC  real seconds per tick (default 0: as fast as possible)\n"
    "      --episodes      a haze over the district from 25 % of the run (up to 36 h)\n"
    "                      and a discharge into longhuagang from 55 % (up to 24 h)\n"
    "      --episode E     an episode as in devsim fleet --help; repeatable\n"
    "      --faults        every fault at its default rate (see devsim fleet --help)\n"
    "      --fault K[:R]   one fault at rate R; repeatable\n"
    "      --seed S        random seed (default 1)\n"
    "      --format F      json (default), senml, hj212 (profiles without HJ 212 codes\n"
    "                      send json) or mixed (devices cycle through their formats)\n"
    "      --tcp HOST:PORT HJ 212 over TCP (Flag=5, waits for 9014) for air, water and\n"
    "                      noise; needs --format hj212; the rest still goes to MQTT\n"
    "      --profiles LIST only these profiles (default: all six)\n"
    "      --qos N         0, 1 or 2 (default 1)\n"
    "      --prefix P      topic prefix (default xh)\n"
    "      --help          this text\n"
    "\n"
    "Prints one line per episode, then per profile:\n"
    "  district: profile=P devices=N format=F rounds=R sent=S published=M [faults...]\n"
    "and district: days=D ticks=T published=M elapsed_s=E rate=R\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int district_usage_error(void)
{
    fputs(district_usage, stderr);
    return SIM_EXIT_USAGE;
}

static int set_profiles(struct district_opts *o, const char *list)
{
    char buf[256], *p, *comma;
    const struct sim_profile *prof;
    int i;

    if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
        goto bad;
    memset(o->is_profile_on, 0, sizeof(o->is_profile_on));
    for (p = buf; p; p = comma) {
        comma = strchr(p, ',');
        if (comma)
            *comma++ = '\0';
        prof = sim_profile_find(p);
        if (!prof)
            goto bad;
        for (i = 0; i < DISTRICT_N_PROFILES; i++) {
            if (sim_profiles[i] == prof)
                o->is_profile_on[i] = true;
        }
    }
    return 0;
bad:
    fprintf(stderr, "devsim district: --profiles: bad list '%s'\n", list);
    return COL_ERR_INVAL;
}

static int district_option(struct district_opts *o, int opt, const char *arg)
{
    long v;

    switch (opt) {
    case OPT_DAYS:
        return sim_opt_long("--days", arg, 1, 3660, &o->days);
    case OPT_START:
        if (sim_opt_long("--start", arg, 86400L * 3660, 253402300799L, &v))
            return COL_ERR_INVAL;
        o->start = v;
        return 0;
    case OPT_STEP:
        return sim_opt_long("--step", arg, 60, 86400, &o->step);
    case OPT_INTERVAL:
        return sim_opt_double("--interval", arg, 0, 86400, &o->interval);
    case OPT_EPISODES:
        o->is_episodes = true;
        return 0;
    case OPT_EPISODE:
        if (o->n_episodes >= SIM_MAX_EPISODES - 2) {
            fprintf(stderr, "devsim district: too many episodes\n");
            return COL_ERR_INVAL;
        }
        return sim_episode_parse(arg, &o->episodes[o->n_episodes++]);
    case OPT_FAULTS:
        sim_faults_all(&o->faults);
        return 0;
    case OPT_FAULT:
        return sim_fault_parse(arg, &o->faults);
    case OPT_SEED:
        if (sim_opt_long("--seed", arg, 0, 0x7fffffffL, &v))
            return COL_ERR_INVAL;
        o->seed = (uint64_t)v;
        return 0;
    case OPT_FORMAT:
        return sim_format_parse("--format", arg, true, &o->format);
    case OPT_TCP:
        o->tcp = arg;
        return 0;
    case OPT_PROFILES:
        return set_profiles(o, arg);
    default:
        return COL_ERR_INVAL;
    }
}

/* The demo's episodes, scaled to the run: a haze, then a discharge. */
static void add_demo_episodes(struct district_opts *o)
{
    double hours = (double)o->days * 24.0;
    struct sim_episode *e;

    e = &o->episodes[o->n_episodes++];
    memset(e, 0, sizeof(*e));
    e->kind = SIM_EPISODE_HAZE;
    e->start_h = hours * 0.25;
    e->duration_h = sim_clamp(hours * 0.3, 8.0, 36.0);
    e = &o->episodes[o->n_episodes++];
    memset(e, 0, sizeof(*e));
    e->kind = SIM_EPISODE_DISCHARGE;
    e->start_h = hours * 0.55;
    e->duration_h = sim_clamp(hours * 0.3, 12.0, 24.0);
    snprintf(e->site, sizeof(e->site), "longhuagang");
}

/* Parse the command line into @o. Returns -1 to go on, else an exit code. */
static int district_parse(int argc, char **argv, struct district_opts *o)
{
    static const struct option longopts[] = {
        SIM_CONN_LONGOPTS,
        {"days", required_argument, NULL, OPT_DAYS},
        {"start", required_argument, NULL, OPT_START},
        {"step", required_argument, NULL, OPT_STEP},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"episodes", no_argument, NULL, OPT_EPISODES},
        {"episode", required_argument, NULL, OPT_EPISODE},
        {"faults", no_argument, NULL, OPT_FAULTS},
        {"fault", required_argument, NULL, OPT_FAULT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"tcp", required_argument, NULL, OPT_TCP},
        {"profiles", required_argument, NULL, OPT_PROFILES},
        {NULL, 0, NULL, 0},
    };
    int opt, rc, i;

    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->days = 7;
    o->step = 900;
    o->seed = 1;
    o->format = SIM_FMT_JSON;
    for (i = 0; i < DISTRICT_N_PROFILES; i++)
        o->is_profile_on[i] = true;
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:i:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == SIM_OPT_HELP) {
            fputs(district_usage, stdout);
            return SIM_EXIT_OK;
        }
        rc = sim_conn_option(&o->conn, opt, optarg);
        if (rc == 0)
            rc = district_option(o, opt, optarg);
        if (rc < 0)
            return district_usage_error();
    }
    if (optind < argc) {
        fprintf(stderr, "devsim district: unexpected argument '%s'\n", argv[optind]);
        return district_usage_error();
    }
    if (o->tcp && o->format != SIM_FMT_HJ212) {
        fprintf(stderr, "devsim district: --tcp needs --format hj212\n");
        return district_usage_error();
    }
    if (!sim_conn_valid(&o->conn))
        return district_usage_error();
    if (o->start == 0)
        o->start = (int64_t)time(NULL) / 3600 * 3600 - (int64_t)o->days * 86400;
    if (o->is_episodes)
        add_demo_episodes(o);
    return -1;
}

static int unit_make(struct district *d, int i, int tag)
{
    struct district_unit *u = &d->units[i];
    const struct district_opts *o = &d->opt;
    struct sim_fleet_cfg cfg;
    char *p, *comma;

    u->profile = sim_profiles[i];
    snprintf(u->sites_buf, sizeof(u->sites_buf), "%s", u->profile->sites);
    for (p = u->sites_buf; p && u->n_sites < DISTRICT_MAX_SITES; p = comma) {
        comma = strchr(p, ',');
        if (comma)
            *comma++ = '\0';
        u->sites[u->n_sites++] = p;
    }
    u->format = o->format;
    if (u->format == SIM_FMT_HJ212 && !u->profile->hj212_st)
        u->format = SIM_FMT_JSON;
    u->sink = u->format == SIM_FMT_HJ212 && d->tcp ? d->tcp : d->mqtt;
    u->next_due = o->start;
    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = u->profile;
    cfg.n_devices = u->profile->n_devices;
    cfg.sites = u->sites;
    cfg.n_sites = u->n_sites;
    cfg.seed = o->seed;
    cfg.format = u->format;
    cfg.prefix = o->conn.prefix;
    cfg.is_tcp = u->sink == d->tcp;
    cfg.faults = &o->faults;
    cfg.episodes = o->episodes;
    cfg.n_episodes = o->n_episodes;
    cfg.start = o->start;
    cfg.tag = tag;
    u->fleet = sim_fleet_new(&cfg);
    return u->fleet ? 0 : COL_ERR_NOMEM;
}

static int district_open(struct district *d)
{
    int i;

    if (d->opt.tcp) {
        d->tcp = sim_sink_open(&d->opt.conn, d->opt.tcp, "district");
        if (!d->tcp)
            return COL_ERR_NET;
    }
    d->mqtt = sim_sink_open(&d->opt.conn, NULL, "district");
    if (!d->mqtt)
        return COL_ERR_NET;
    for (i = 0; i < DISTRICT_N_PROFILES; i++) {
        if (d->opt.is_profile_on[i] && unit_make(d, i, i))
            return COL_ERR_NOMEM;
    }
    return 0;
}

static int district_tick(struct district *d, int64_t ts)
{
    struct district_unit *u;
    int i, rc;

    for (i = 0; i < DISTRICT_N_PROFILES; i++) {
        u = &d->units[i];
        if (!u->fleet || ts < u->next_due)
            continue;
        rc = sim_fleet_round(u->fleet, u->sink, ts);
        if (rc)
            return rc;
        u->n_rounds++;
        while (u->next_due <= ts)
            u->next_due += u->profile->interval;
    }
    return 0;
}

static int district_run(struct district *d, double t0)
{
    int64_t end = d->opt.start + (int64_t)d->opt.days * 86400, ts;
    int i, rc = 0;

    for (ts = d->opt.start; ts < end; ts += d->opt.step) {
        rc = sim_sink_wait_until(d->mqtt, t0 + (double)d->n_ticks * d->opt.interval);
        if (rc == 0)
            rc = district_tick(d, ts);
        if (rc)
            return rc;
        d->n_ticks++;
    }
    for (i = 0; i < DISTRICT_N_PROFILES && rc == 0; i++) {
        if (d->units[i].fleet)
            rc = sim_fleet_drain(d->units[i].fleet, d->units[i].sink);
    }
    return rc;
}

static void district_print_episodes(const struct district *d)
{
    const struct sim_episode *e;
    char stamp[16];
    int i;

    for (i = 0; i < d->opt.n_episodes; i++) {
        e = &d->opt.episodes[i];
        sim_local_stamp(d->opt.start + (int64_t)(e->start_h * 3600.0), stamp);
        printf("district: episode=%s start_h=%g duration_h=%g local_start=%s site=%s\n",
               e->kind == SIM_EPISODE_HAZE ? "haze" : "discharge", e->start_h, e->duration_h, stamp,
               e->site[0] ? e->site : "*");
    }
    fflush(stdout);
}

static void district_summary(const struct district *d, double elapsed)
{
    const struct district_unit *u;
    char faults[256];
    long total = 0, published;
    int i;

    for (i = 0; i < DISTRICT_N_PROFILES; i++) {
        u = &d->units[i];
        if (!u->fleet)
            continue;
        published = sim_sink_delivered(u->sink, i);
        total += published;
        faults[0] = '\0';
        if (sim_faults_any(&d->opt.faults))
            sim_fleet_fault_summary(u->fleet, faults, sizeof(faults));
        printf("district: profile=%s devices=%ld format=%s rounds=%ld sent=%ld published=%ld%s\n",
               u->profile->name, u->profile->n_devices, sim_format_name(u->format), u->n_rounds,
               sim_fleet_stats(u->fleet)->n_messages, published, faults);
    }
    printf("district: days=%ld ticks=%ld published=%ld", d->opt.days, d->n_ticks, total);
    sim_print_rate(elapsed, total);
    sim_sink_print_stats(d->tcp, "district");
}

int sim_district_main(int argc, char **argv)
{
    struct district *d = NULL;
    double t0;
    int rc, i, exit_code = SIM_EXIT_RUNTIME;
    bool is_clean;

    d = calloc(1, sizeof(*d));
    if (!d) {
        fprintf(stderr, "devsim district: out of memory\n");
        goto out;
    }
    rc = district_parse(argc, argv, &d->opt);
    if (rc >= 0) {
        exit_code = rc;
        goto out;
    }
    sim_signals_install();
    if (district_open(d))
        goto out;
    district_print_episodes(d);
    t0 = sim_now();
    rc = district_run(d, t0);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    is_clean = sim_sink_finish(d->mqtt) == 0;
    if (d->tcp)
        is_clean &= sim_sink_finish(d->tcp) == 0;
    if (is_clean || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    district_summary(d, sim_now() - t0);
out:
    if (d) {
        for (i = 0; i < DISTRICT_N_PROFILES; i++)
            sim_fleet_free(d->units[i].fleet);
        sim_sink_close(d->mqtt);
        sim_sink_close(d->tcp);
    }
    free(d);
    return exit_code;
}
