/*
 * devsim fleet: N simulated devices of one profile spread over the sites,
 * each publishing one reading per round. Simulated time (the payload's ts)
 * and real pacing are separate: ts starts at --start and advances --step
 * seconds per round, while rounds are --interval real seconds apart, so a
 * day of data can be produced in seconds. The values come from the
 * profile's generator (sim_gen_*.c); profiles[] lists the kinds known.
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
    OPT_SEED
};

/* Every profile devsim can simulate; add water, noise and waste generators here. */
static const struct sim_profile *const profiles[] = {
    &sim_profile_air,
};

/* Xuhui's 13 streets and towns as topic-safe ids. */
static const char default_sites[] =
    "tianping,hunan,xietu,fenglin,changqiao,tianlin,hongmei,kangjian,xujiahui,lingyun,longhua,"
    "caohejing,huajing";

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
    char sites_buf[2048];
    const char *sites[FLEET_MAX_SITES];
    int n_sites;
};

struct fleet {
    struct fleet_opts opt;
    struct sim_device *devs;
    struct sim_pub *pub;
    long n_rounds;
};

static const char fleet_usage[] =
    "usage: devsim fleet -h HOST -p PORT [--profile air-station] [-n DEVICES]\n"
    "                    [--interval SEC] [--count ROUNDS | --duration SEC] [--prefix xh]\n"
    "                    [--sites a,b,c] [--start EPOCH] [--step SEC] [--qos N] [--seed S]\n"
    "                    [-i CLIENT_ID]\n"
    "\n"
    "Simulate DEVICES devices (sim-aqm-01, ...) spread over the sites, each publishing\n"
    "one reading per round on <prefix>/air/<site>/<device>.\n"
    "\n"
    "  -h, --host HOST     broker host (default 127.0.0.1)\n"
    "  -p, --port PORT     broker port (default 1883)\n"
    "  -i, --id ID         MQTT client id (default devsim-fleet-<pid>-<n>)\n"
    "      --profile P     device kind (default air-station; the only one so far)\n"
    "  -n, --devices N     number of devices (default 13)\n"
    "      --interval SEC  real seconds between rounds, 0 = no pause (default 60)\n"
    "      --count N       stop after N rounds\n"
    "      --duration SEC  stop after SEC real seconds (default: run until a signal)\n"
    "      --prefix P      topic prefix (default xh)\n"
    "      --sites LIST    comma-separated site ids (default: Xuhui's 13 streets/towns)\n"
    "      --start EPOCH   ts of the first round (default now)\n"
    "      --step SEC      simulated seconds per round (default --interval, or 60)\n"
    "      --qos N         0, 1 or 2 (default 1)\n"
    "      --seed S        random seed (default 1)\n"
    "      --help          this text\n"
    "\n"
    "Prints: fleet: profile=P devices=N rounds=R published=M elapsed_s=E rate=R\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int fleet_usage_error(void)
{
    fputs(fleet_usage, stderr);
    return SIM_EXIT_USAGE;
}

static const struct sim_profile *profile_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (strcmp(profiles[i]->name, name) == 0)
            return profiles[i];
    }
    return NULL;
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
        o->profile = profile_find(arg);
        if (!o->profile) {
            fprintf(stderr, "devsim fleet: --profile: unknown profile '%s'\n", arg);
            return COL_ERR_INVAL;
        }
        return 0;
    case OPT_SITES:
        return fleet_set_sites(o, arg);
    default:
        return fleet_number_option(o, opt, arg);
    }
}

static void fleet_defaults(struct fleet_opts *o)
{
    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->profile = &sim_profile_air;
    o->n_devices = 13;
    o->interval = 60;
    o->start = (int64_t)time(NULL);
    o->seed = 1;
    (void)fleet_set_sites(o, default_sites);
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
    if (!sim_conn_valid(&o->conn))
        return fleet_usage_error();
    return -1;
}

static int fleet_make_devices(struct fleet *fl)
{
    const struct fleet_opts *o = &fl->opt;
    struct sim_device *d;
    long i;

    fl->devs = calloc((size_t)o->n_devices, sizeof(*fl->devs));
    if (!fl->devs) {
        fprintf(stderr, "devsim fleet: out of memory for %ld devices\n", o->n_devices);
        return COL_ERR_NOMEM;
    }
    for (i = 0; i < o->n_devices; i++) {
        d = &fl->devs[i];
        snprintf(d->id, sizeof(d->id), "%s%02ld", o->profile->id_prefix, i + 1);
        d->site = o->sites[i % o->n_sites];
        /* Each device's stream depends on the seed and its index, not on N. */
        sim_rng_seed(&d->rng, o->seed * 0x100000001b3ULL + (uint64_t)i);
        o->profile->init(d);
    }
    return 0;
}

/* One reading from every device at simulated time @ts. */
static int fleet_round(struct fleet *fl, int64_t ts)
{
    const struct sim_profile *p = fl->opt.profile;
    char topic[SIM_TOPIC_MAX], payload[SIM_PAYLOAD_MAX];
    struct sim_device *d;
    long i;
    int len, rc;

    for (i = 0; i < fl->opt.n_devices; i++) {
        d = &fl->devs[i];
        len = p->render(d, ts, payload, sizeof(payload));
        if (NEVER(len < 0))
            return COL_ERR_RANGE;
        snprintf(topic, sizeof(topic), "%s/%s/%s/%s", fl->opt.conn.prefix, p->domain, d->site,
                 d->id);
        rc = sim_pub_send(fl->pub, topic, payload, (size_t)len, 0);
        if (rc)
            return rc;
    }
    return 0;
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
        rc = sim_pub_wait_until(fl->pub, due);
        if (rc == 0)
            rc = fleet_round(fl, fl->opt.start + (int64_t)fl->n_rounds * fl->opt.step);
        if (rc)
            break;
        fl->n_rounds++;
    }
    return rc;
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
    if (fleet_make_devices(fl))
        goto out;
    sim_signals_install();
    fl->pub = sim_pub_open(&fl->opt.conn, "fleet");
    if (!fl->pub)
        goto out;
    t0 = sim_now();
    rc = fleet_run(fl, t0);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    if (sim_pub_finish(fl->pub) == 0 || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    printf("fleet: profile=%s devices=%ld rounds=%ld published=%ld", fl->opt.profile->name,
           fl->opt.n_devices, fl->n_rounds, sim_pub_acked(fl->pub, -1));
    sim_print_rate(sim_now() - t0, sim_pub_acked(fl->pub, -1));
out:
    if (fl) {
        sim_pub_close(fl->pub);
        free(fl->devs);
    }
    free(fl);
    return exit_code;
}
