/*
 * devsim replay's command line (sim_replay_int.h): the options, their
 * checks, and the --map of stations to sites.
 */
#include "sim_int.h"
#include "sim_replay_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    OPT_CSV = SIM_OPT_FIRST_OWN,
    OPT_SITE,
    OPT_DEVICE,
    OPT_SPEED,
    OPT_MAX_RATE,
    OPT_LIMIT,
    OPT_FROM,
    OPT_TO,
    OPT_MAP,
    OPT_FORMAT,
    OPT_TCP
};

/* The four stations of shared/data mapped to four Xuhui streets. */
static const char default_map[] =
    "Aotizhongxin=xujiahui,Dongsi=tianping,Tiantan=longhua,Wanshouxigong=caohejing";

static const char replay_usage[] =
    "usage: devsim replay -h HOST -p PORT --csv FILE|DIR [--csv FILE]... [--site NAME]\n"
    "                     [--map STATION=SITE,...] [--device ID] [--prefix xh]\n"
    "                     [--speed X | --max-rate] [--qos 0|1|2] [--limit N]\n"
    "                     [--from YYYY-MM-DD] [--to YYYY-MM-DD] [-i CLIENT_ID]\n"
    "                     [--format json|senml|hj212] [--tcp HOST:PORT]\n"
    "\n"
    "Publish stations of the Beijing multi-site air-quality CSV, one message per row,\n"
    "on <prefix>/air/<site>/<device>; several stations are merged in time order.\n"
    "\n"
    "  -h, --host HOST     broker host (default 127.0.0.1)\n"
    "  -p, --port PORT     broker port (default 1883)\n"
    "  -i, --id ID         MQTT client id (default devsim-replay-<pid>-<n>)\n"
    "      --csv FILE|DIR  a station's CSV file; repeatable; a directory means its\n"
    "                      *.csv files whose station the map names\n"
    "      --site NAME     topic site level of a single station\n"
    "      --map LIST      STATION=SITE,... (default Aotizhongxin=xujiahui,\n"
    "                      Dongsi=tianping, Tiantan=longhua, Wanshouxigong=caohejing)\n"
    "      --device ID     topic device level of a single station\n"
    "                      (default replay-<station, lowercased>)\n"
    "      --prefix P      topic prefix (default xh)\n"
    "      --speed X       simulated time runs X times faster than real time\n"
    "      --max-rate      publish as fast as acknowledgements allow (default)\n"
    "      --qos N         0, 1 or 2 (default 1)\n"
    "      --limit N       stop after N messages in all\n"
    "      --from DATE     first local date to replay\n"
    "      --to DATE       local date to stop before (exclusive)\n"
    "      --format F      json (default: flat, CO raw as co_ugm3), senml (the same\n"
    "                      names, profile units) or hj212 (CN=2061, -Avg codes, CO in\n"
    "                      mg/m3, pressure in kPa; no dew point or rain)\n"
    "      --tcp HOST:PORT send the HJ 212 packets over TCP (Flag=5, waits for 9014)\n"
    "      --help          this text\n"
    "\n"
    "Prints per station: replay: site=S device=D rows=N published=P skipped=K\n"
    "  elapsed_s=E rate=R, and with several a total: replay: stations=N rows=N\n"
    "  published=P skipped=K elapsed_s=E rate=R\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int replay_usage_error(void)
{
    fputs(replay_usage, stderr);
    return SIM_EXIT_USAGE;
}

/* Parse "STATION=SITE,..." into @m (pointing into m->buf). */
static int map_parse(struct replay_map *m, const char *list)
{
    char *p, *comma, *eq;

    if (snprintf(m->buf, sizeof(m->buf), "%s", list) >= (int)sizeof(m->buf))
        goto bad;
    m->n = 0;
    for (p = m->buf; p; p = comma) {
        comma = strchr(p, ',');
        if (comma)
            *comma++ = '\0';
        eq = strchr(p, '=');
        if (!eq || eq == p || m->n == REPLAY_MAP_MAX)
            goto bad;
        *eq++ = '\0';
        if (!sim_topic_level_ok(eq))
            goto bad;
        m->station[m->n] = p;
        m->site[m->n++] = eq;
    }
    return 0;
bad:
    fprintf(stderr, "devsim replay: --map: '%s' is not STATION=SITE,... (at most %d)\n", list,
            REPLAY_MAP_MAX);
    return COL_ERR_INVAL;
}

/* The site the map gives @station (case-insensitive), or NULL. */
const char *sim_replay_map_site(const struct replay_map *m, const char *station)
{
    int i;

    for (i = 0; i < m->n; i++) {
        if (strcasecmp(m->station[i], station) == 0)
            return m->site[i];
    }
    return NULL;
}

static int replay_option(struct replay_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_CSV:
        if (o->n_csv == REPLAY_MAX_SOURCES) {
            fprintf(stderr, "devsim replay: more than %d --csv\n", REPLAY_MAX_SOURCES);
            return COL_ERR_INVAL;
        }
        o->csv[o->n_csv++] = arg;
        return 0;
    case OPT_SITE:
        o->site = arg;
        return 0;
    case OPT_DEVICE:
        o->device = arg;
        return 0;
    case OPT_SPEED:
        return sim_opt_double("--speed", arg, 1e-6, 1e9, &o->speed);
    case OPT_MAX_RATE:
        o->speed = -1; /* remembered so that --speed and --max-rate conflict */
        return 0;
    case OPT_LIMIT:
        return sim_opt_long("--limit", arg, 1, 1000000000L, &o->limit);
    case OPT_FROM:
        return sim_opt_date("--from", arg, &o->from_day);
    case OPT_TO:
        return sim_opt_date("--to", arg, &o->to_day);
    case OPT_MAP:
        o->is_map_set = true;
        return map_parse(&o->map, arg);
    case OPT_FORMAT:
        return sim_format_parse("--format", arg, false, &o->format);
    case OPT_TCP:
        o->tcp = arg;
        return 0;
    default:
        return COL_ERR_INVAL;
    }
}

static bool replay_opts_valid(const struct replay_opts *o, bool is_speed_set, bool is_max_set)
{
    if (o->n_csv == 0) {
        fprintf(stderr, "devsim replay: --csv is required\n");
        return false;
    }
    if (is_speed_set && is_max_set) {
        fprintf(stderr, "devsim replay: --speed and --max-rate exclude each other\n");
        return false;
    }
    if ((o->site && !sim_topic_level_ok(o->site)) ||
        (o->device && !sim_topic_level_ok(o->device))) {
        fprintf(stderr, "devsim replay: --site and --device must be single topic levels\n");
        return false;
    }
    if (o->from_day >= o->to_day) {
        fprintf(stderr, "devsim replay: --from must be before --to\n");
        return false;
    }
    if (o->tcp && o->format != SIM_FMT_HJ212) {
        fprintf(stderr, "devsim replay: --tcp sends HJ 212 packets: it needs --format hj212\n");
        return false;
    }
    return sim_conn_valid(&o->conn);
}

/* Parse the command line into @o. Returns -1 to go on, else an exit code. */
int sim_replay_parse(int argc, char **argv, struct replay_opts *o)
{
    static const struct option longopts[] = {
        SIM_CONN_LONGOPTS,
        {"csv", required_argument, NULL, OPT_CSV},
        {"site", required_argument, NULL, OPT_SITE},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"speed", required_argument, NULL, OPT_SPEED},
        {"max-rate", no_argument, NULL, OPT_MAX_RATE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"map", required_argument, NULL, OPT_MAP},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"tcp", required_argument, NULL, OPT_TCP},
        {NULL, 0, NULL, 0},
    };
    bool is_speed_set = false, is_max_set = false;
    int opt, rc;

    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->from_day = INT64_MIN;
    o->to_day = INT64_MAX;
    o->format = SIM_FMT_JSON;
    (void)map_parse(&o->map, default_map);
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:i:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == SIM_OPT_HELP) {
            fputs(replay_usage, stdout);
            return SIM_EXIT_OK;
        }
        rc = sim_conn_option(&o->conn, opt, optarg);
        if (rc == 0)
            rc = replay_option(o, opt, optarg);
        if (rc < 0)
            return replay_usage_error();
        is_speed_set |= opt == OPT_SPEED;
        is_max_set |= opt == OPT_MAX_RATE;
    }
    if (optind < argc) {
        fprintf(stderr, "devsim replay: unexpected argument '%s'\n", argv[optind]);
        return replay_usage_error();
    }
    if (is_max_set)
        o->speed = 0;
    if (!replay_opts_valid(o, is_speed_set, is_max_set))
        return replay_usage_error();
    return -1;
}

/*
 * Split @line in place into at most @max fields. Quoted fields lose their
 * quotes ("" inside becomes "); the line's CR/LF must already be gone.
 * Returns the number of fields.
 */
