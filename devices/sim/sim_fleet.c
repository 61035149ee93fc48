/*
 * devsim fleet: N simulated devices of one profile spread over the sites,
 * each publishing one reading per round. Simulated time (the payload's ts)
 * and real pacing are separate: ts starts at --start and advances --step
 * seconds per round, while rounds are --interval real seconds apart, so a
 * day of data can be produced in seconds. This file is the command line;
 * the devices, formats, episodes and faults are the engine's
 * (sim_engine.c) and the values come from the profile's generator
 * (sim_gen_*.c).
 */
#include "sim_int.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLEET_MAX_SITES 256
#define FLEET_MAX_DEVICES 100000L

enum {
    OPT_PROFILE = SIM_OPT_FIRST_OWN,
    OPT_INTERVAL,
    OPT_COUNT,
    OPT_DURATION,
    OPT_SITES,
    OPT_START,
    OPT_STEP,
    OPT_SEED,
    OPT_FORMAT,
    OPT_TCP,
    OPT_FAULT,
    OPT_EPISODE
};

struct fleet_opts {
    struct sim_conn conn;
    const struct sim_profile *profile;
    long n_devices;
    double interval; /* real seconds between rounds; 0 = no pause */
    long count;      /* rounds; 0 = until --duration or a signal */
    double duration; /* real seconds; 0 = no limit */
    int64_t start;   /* ts of the first round */
    long step;       /* simulated seconds per round; 0 = --interval (60 when that is 0) */
    uint64_t seed;
    enum sim_format format;
    const char *tcp; /* HOST:PORT, or NULL for MQTT */
    struct sim_faults faults;
    struct sim_episode episodes[SIM_MAX_EPISODES];
    int n_episodes;
    bool is_n_set, is_sites_set;
    char sites_buf[2048];
    const char *sites[FLEET_MAX_SITES];
    int n_sites;
};

struct fleet {
    struct fleet_opts opt;
    struct sim_fleet *engine;
    struct sim_sink *sink;
    long n_rounds;
};

static const char fleet_usage[] =
    "usage: devsim fleet -h HOST -p PORT [--profile P] [-n DEVICES] [--sites a,b,c]\n"
    "                    [--interval SEC] [--count ROUNDS | --duration SEC] [--prefix xh]\n"
    "                    [--start EPOCH] [--step SEC] [--qos N] [--seed S] [-i CLIENT_ID]\n"
    "                    [--format json|senml|hj212|mixed] [--tcp HOST:PORT]\n"
    "                    [--episode KIND:START_H:DURATION_H[:SITE]]... [--fault KIND[:RATE]]...\n"
    "\n"
    "Simulate DEVICES devices of profile P spread over the sites, each publishing one\n"
    "reading per round on <prefix>/<domain>/<site>/<device>. Profiles, their device ids,\n"
    "default devices and sites (deploy/registry.yaml ids):\n"
    "  air-station  sim-aqm-NN   13 on the 13 streets      diurnal PM2.5, afternoon O3\n"
    "  pm-node      sim-pm-NN    26, 2 per street (xh/pm)  noisier PM, over-reads when humid\n"
    "  water-buoy   sim-wq-NN    4 on the water sites      DO dips at night, Class III-IV\n"
    "  noise-meter  sim-nm-NN    6 (2 noise sites + 4)     rush hours, quiet nights\n"
    "  waste-bin    sim-bin-NN   52, 4 per street          fill with use, rounds 06/18 h\n"
    "  sewage-flow  sim-flow-NN  1 at longhua-wwtp         inflow peaks, treated 97-99 %\n"
    "With --sites and no -n, each site gets as many devices as by default.\n"
    "\n"
    "  -h, --host HOST     broker host (default 127.0.0.1)\n"
    "  -p, --port PORT     broker port (default 1883)\n"
    "  -i, --id ID         MQTT client id (default devsim-fleet-<pid>-<n>)\n"
    "      --profile P     device kind (default air-station)\n"
    "  -n, --devices N     number of devices (default: the profile's)\n"
    "      --interval SEC  real seconds between rounds, 0 = no pause (default 60)\n"
    "      --count N       stop after N rounds\n"
    "      --duration SEC  stop after SEC real seconds (default: run until a signal)\n"
    "      --prefix P      topic prefix (default xh)\n"
    "      --sites LIST    comma-separated site ids (default: the profile's)\n"
    "      --start EPOCH   ts of the first round (default now)\n"
    "      --step SEC      simulated seconds per round (default --interval, or 60)\n"
    "      --qos N         0, 1 or 2 (default 1)\n"
    "      --seed S        random seed (default 1); the same seed gives the same data\n"
    "      --format F      json (default), senml (RFC 8428 pack, profile units), hj212\n"
    "                      (air CN=2061 -Avg with DataTime at the hour's start, so use\n"
    "                      --step 3600; water and noise CN=2011 -Rtd; Flag=4 over MQTT),\n"
    "                      or mixed (device i cycles through the formats it supports).\n"
    "                      pm-node, waste-bin and sewage-flow have no HJ 212 form.\n"
    "      --tcp HOST:PORT send HJ 212 packets (--format hj212) over one TCP connection\n"
    "                      instead of MQTT, with Flag=5, waiting for each 9014 response\n"
    "                      (5 s timeout, 3 retries)\n"
    "      --episode E     haze:START_H:DURATION_H (air-station, pm-node: PM2.5 to\n"
    "                      150-250 ug/m3 and back) or discharge:START_H:DURATION_H\n"
    "                      (water-buoy: NH3-N > 2, DO < 2 mg/L, then recovery); hours of\n"
    "                      simulated time after --start; :SITE limits it to one site.\n"
    "                      Repeatable.\n"
    "      --fault K[:R]   inject faults, repeatable. Per device-round, a device enters\n"
    "                      a 2-6 h spell with probability R: stuck (one value repeats),\n"
    "                      dropout (silent), late (buffers, then uploads the backlog in\n"
    "                      time order with the original timestamps). Per message: spike\n"
    "                      (one value x10), malformed (truncated, non-numeric value, bad\n"
    "                      CRC), duplicate (sent twice). Per device: skew (clock +2 h).\n"
    "                      Default R: skew 0.1, duplicate 0.01, spike and malformed\n"
    "                      0.005, the spells 0.002.\n"
    "      --help          this text\n"
    "\n"
    "HJ 212 MN: a device id of up to 12 bytes in hex, left-padded with 00 bytes\n"
    "(sim-aqm-01 -> 000073696D2D61716D2D3031); longer ids FF + a hash (devsim mn ID).\n"
    "\n"
    "Prints: fleet: profile=P devices=N rounds=R published=M elapsed_s=E rate=R\n"
    "  then, with faults, fleet: faults stuck=N ... (messages affected), and with\n"
    "  --tcp, fleet: tcp=HOST:PORT sent=S acked=A retries=R unacked=U\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int fleet_usage_error(void)
{
    fputs(fleet_usage, stderr);
    return SIM_EXIT_USAGE;
}

/* Split a comma-separated site list into o->sites (pointing into o->sites_buf). */
static int fleet_set_sites(struct fleet_opts *o, const char *list)
{
    char *p, *comma;
    int n = snprintf(o->sites_buf, sizeof(o->sites_buf), "%s", list);

    if (n < 0 || (size_t)n >= sizeof(o->sites_buf)) {
        fprintf(stderr, "devsim fleet: --sites: list too long\n");
        return COL_ERR_INVAL;
    }
    o->n_sites = 0;
    for (p = o->sites_buf; p; p = comma) {
        comma = strchr(p, ',');
        if (comma)
            *comma++ = '\0';
        if (!sim_topic_level_ok(p) || o->n_sites == FLEET_MAX_SITES) {
            fprintf(stderr, "devsim fleet: --sites: bad site '%s' or more than %d sites\n", p,
                    FLEET_MAX_SITES);
            return COL_ERR_INVAL;
        }
        o->sites[o->n_sites++] = p;
    }
    return 0;
}

static int fleet_number_option(struct fleet_opts *o, int opt, const char *arg)
{
    long v;

    switch (opt) {
    case 'n':
        return sim_opt_long("-n", arg, 1, FLEET_MAX_DEVICES, &o->n_devices);
    case OPT_INTERVAL:
        return sim_opt_double("--interval", arg, 0, 86400.0 * 366, &o->interval);
    case OPT_COUNT:
        return sim_opt_long("--count", arg, 1, 1000000000L, &o->count);
    case OPT_DURATION:
        return sim_opt_double("--duration", arg, 1e-3, 1e9, &o->duration);
    case OPT_START:
        if (sim_opt_long("--start", arg, 0, 253402300799L, &v))
            return COL_ERR_INVAL;
        o->start = v;
        return 0;
    case OPT_STEP:
        return sim_opt_long("--step", arg, 1, 86400L * 366, &o->step);
    case OPT_SEED:
        if (sim_opt_long("--seed", arg, 0, 0x7fffffffL, &v))
            return COL_ERR_INVAL;
        o->seed = (uint64_t)v;
        return 0;
    default:
        return COL_ERR_INVAL;
    }
}

static int fleet_option(struct fleet_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_PROFILE:
        o->profile = sim_profile_find(arg);
        if (!o->profile) {
            fprintf(stderr, "devsim fleet: --profile: unknown profile '%s'\n", arg);
            return COL_ERR_INVAL;
        }
        return 0;
    case OPT_SITES:
        o->is_sites_set = true;
        return fleet_set_sites(o, arg);
    case OPT_FORMAT:
        return sim_format_parse("--format", arg, true, &o->format);
    case OPT_TCP:
        o->tcp = arg;
        return 0;
    case OPT_FAULT:
        return sim_fault_parse(arg, &o->faults);
    case OPT_EPISODE:
        if (o->n_episodes == SIM_MAX_EPISODES) {
            fprintf(stderr, "devsim fleet: more than %d episodes\n", SIM_MAX_EPISODES);
            return COL_ERR_INVAL;
        }
        return sim_episode_parse(arg, &o->episodes[o->n_episodes++]);
    case 'n':
        o->is_n_set = true;
        return fleet_number_option(o, opt, arg);
    default:
        return fleet_number_option(o, opt, arg);
    }
}

static void fleet_defaults(struct fleet_opts *o)
{
    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->profile = &sim_profile_air;
    o->interval = 60;
    o->start = (int64_t)time(NULL);
    o->seed = 1;
    o->format = SIM_FMT_JSON;
}

static int count_sites(const char *list)
{
    int n = 1;

    for (; *list; list++)
        n += *list == ',';
    return n;
}

/* Defaults that depend on the profile, then the checks across options. */
static bool fleet_settle(struct fleet_opts *o)
{
    const struct sim_profile *p = o->profile;
    long per_site;

    if (!o->is_sites_set)
        (void)fleet_set_sites(o, p->sites);
    if (!o->is_n_set) {
        per_site = p->n_devices / count_sites(p->sites);
        o->n_devices = o->is_sites_set ? o->n_sites * (per_site > 1 ? per_site : 1) : p->n_devices;
    }
    if (o->format == SIM_FMT_HJ212 && !p->hj212_st) {
        fprintf(stderr, "devsim fleet: --format hj212: profile %s has no HJ 212 factor codes\n",
                p->name);
        return false;
    }
    if (o->tcp && o->format != SIM_FMT_HJ212) {
        fprintf(stderr, "devsim fleet: --tcp sends HJ 212 packets: it needs --format hj212\n");
        return false;
    }
    return true;
}

/* Parse the command line into @o. Returns -1 to go on, else an exit code. */
static int fleet_parse(int argc, char **argv, struct fleet_opts *o)
{
    static const struct option longopts[] = {
        SIM_CONN_LONGOPTS,
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"devices", required_argument, NULL, 'n'},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"count", required_argument, NULL, OPT_COUNT},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"sites", required_argument, NULL, OPT_SITES},
        {"start", required_argument, NULL, OPT_START},
        {"step", required_argument, NULL, OPT_STEP},
        {"seed", required_argument, NULL, OPT_SEED},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"tcp", required_argument, NULL, OPT_TCP},
        {"fault", required_argument, NULL, OPT_FAULT},
        {"episode", required_argument, NULL, OPT_EPISODE},
        {NULL, 0, NULL, 0},
    };
    int opt, rc;

    fleet_defaults(o);
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:i:n:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == SIM_OPT_HELP) {
            fputs(fleet_usage, stdout);
            return SIM_EXIT_OK;
        }
        rc = sim_conn_option(&o->conn, opt, optarg);
        if (rc == 0)
            rc = fleet_option(o, opt, optarg);
        if (rc < 0)
            return fleet_usage_error();
    }
    if (optind < argc) {
        fprintf(stderr, "devsim fleet: unexpected argument '%s'\n", argv[optind]);
        return fleet_usage_error();
    }
    if (o->count && o->duration > 0) {
        fprintf(stderr, "devsim fleet: --count and --duration exclude each other\n");
        return fleet_usage_error();
    }
    if (o->step == 0)
        o->step = o->interval >= 1 ? (long)o->interval : 60;
    if (!fleet_settle(o) || !sim_conn_valid(&o->conn))
        return fleet_usage_error();
    return -1;
}

static int fleet_make_engine(struct fleet *fl)
{
    const struct fleet_opts *o = &fl->opt;
    struct sim_fleet_cfg cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = o->profile;
    cfg.n_devices = o->n_devices;
    cfg.sites = o->sites;
    cfg.n_sites = o->n_sites;
    cfg.seed = o->seed;
    cfg.format = o->format;
    cfg.prefix = o->conn.prefix;
    cfg.is_tcp = o->tcp != NULL;
    cfg.faults = &o->faults;
    cfg.episodes = o->episodes;
    cfg.n_episodes = o->n_episodes;
    cfg.start = o->start;
    cfg.tag = 0;
    fl->engine = sim_fleet_new(&cfg);
    return fl->engine ? 0 : COL_ERR_NOMEM;
}

static bool fleet_is_over(const struct fleet *fl, double t0, double due)
{
    if (fl->opt.count && fl->n_rounds >= fl->opt.count)
        return true;
    return fl->opt.duration > 0 && fmax(due, sim_now()) - t0 >= fl->opt.duration;
}

static int fleet_run(struct fleet *fl, double t0)
{
    double due;
    int rc = 0;

    while (!fleet_is_over(fl, t0, t0 + (double)fl->n_rounds * fl->opt.interval)) {
        due = t0 + (double)fl->n_rounds * fl->opt.interval;
        rc = sim_sink_wait_until(fl->sink, due);
        if (rc == 0)
            rc = sim_fleet_round(fl->engine, fl->sink,
                                 fl->opt.start + (int64_t)fl->n_rounds * fl->opt.step);
        if (rc)
            break;
        fl->n_rounds++;
    }
    if (rc == 0)
        rc = sim_fleet_drain(fl->engine, fl->sink);
    return rc;
}

static void fleet_summary(const struct fleet *fl, double elapsed)
{
    long published = sim_sink_delivered(fl->sink, -1);
    char faults[256];

    printf("fleet: profile=%s devices=%ld rounds=%ld published=%ld", fl->opt.profile->name,
           fl->opt.n_devices, fl->n_rounds, published);
    sim_print_rate(elapsed, published);
    if (sim_faults_any(&fl->opt.faults)) {
        sim_fleet_fault_summary(fl->engine, faults, sizeof(faults));
        printf("fleet: faults%s\n", faults);
    }
    sim_sink_print_stats(fl->sink, "fleet");
}

int sim_fleet_main(int argc, char **argv)
{
    struct fleet *fl = NULL;
    double t0;
    int rc, exit_code = SIM_EXIT_RUNTIME;

    fl = calloc(1, sizeof(*fl));
    if (!fl) {
        fprintf(stderr, "devsim fleet: out of memory\n");
        goto out;
    }
    rc = fleet_parse(argc, argv, &fl->opt);
    if (rc >= 0) {
        exit_code = rc;
        goto out;
    }
    if (fleet_make_engine(fl))
        goto out;
    sim_signals_install();
    fl->sink = sim_sink_open(&fl->opt.conn, fl->opt.tcp, "fleet");
    if (!fl->sink)
        goto out;
    t0 = sim_now();
    rc = fleet_run(fl, t0);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    if (sim_sink_finish(fl->sink) == 0 || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    fleet_summary(fl, sim_now() - t0);
out:
    if (fl) {
        sim_sink_close(fl->sink);
        sim_fleet_free(fl->engine);
    }
    free(fl);
    return exit_code;
}
