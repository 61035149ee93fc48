/*
 * devsim bulk: numbered messages for tests and benchmarks. Message i comes
 * from device bulk-(i % D) with ts = T + i / D, so every (device, ts) pair
 * is unique and a test can tell exactly what must have been stored; values
 * are derived from i alone, so two runs publish the same bytes. Duplicates
 * on request (--dup-every) exercise the collector's idempotent insert.
 */
#include "sim_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_UNIQUE = 0, TAG_DUPLICATE = 1 };

enum { OPT_DEVICES = SIM_OPT_FIRST_OWN, OPT_DUP_EVERY, OPT_SITE, OPT_START_TS, OPT_RATE };

struct bulk_opts {
    struct sim_conn conn;
    long n_messages;
    long n_devices;
    long dup_every; /* 0 = no duplicates */
    const char *site;
    long start_ts;
    double rate; /* messages per second; 0 = unlimited */
};

static const char bulk_usage[] =
    "usage: devsim bulk -h HOST -p PORT -n MESSAGES [--devices D] [--dup-every K]\n"
    "                   [--qos 1] [--prefix xh] [--site bench] [--start-ts T]\n"
    "                   [--rate PER_SEC] [-i CLIENT_ID]\n"
    "\n"
    "Publish numbered messages: message i (0..N-1) comes from device bulk-<i % D>\n"
    "(zero-padded to 3 digits) on <prefix>/air/<site>/bulk-NNN with ts = T + i / D,\n"
    "so every (device, ts) pair is unique; values are deterministic in i.\n"
    "\n"
    "  -h, --host HOST       broker host (default 127.0.0.1)\n"
    "  -p, --port PORT       broker port (default 1883)\n"
    "  -i, --id ID           MQTT client id (default devsim-bulk-<pid>-<n>)\n"
    "  -n, --messages N      number of distinct messages (required)\n"
    "      --devices D       number of devices (default 100)\n"
    "      --dup-every K     publish every K-th message twice (default 0 = never)\n"
    "      --qos N           0, 1 or 2 (default 1)\n"
    "      --prefix P        topic prefix (default xh)\n"
    "      --site NAME       topic site level (default bench)\n"
    "      --start-ts T      ts of message 0 (default 1700000000)\n"
    "      --rate R          at most R messages per second (default 0 = unlimited)\n"
    "      --help            this text\n"
    "\n"
    "Prints: bulk: published=P unique=U duplicates=X elapsed_s=E rate=R\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int bulk_usage_error(void)
{
    fputs(bulk_usage, stderr);
    return SIM_EXIT_USAGE;
}

static int bulk_option(struct bulk_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'n':
        return sim_opt_long("-n", arg, 1, 2000000000L, &o->n_messages);
    case OPT_DEVICES:
        return sim_opt_long("--devices", arg, 1, 1000000L, &o->n_devices);
    case OPT_DUP_EVERY:
        return sim_opt_long("--dup-every", arg, 0, 2000000000L, &o->dup_every);
    case OPT_SITE:
        o->site = arg;
        return 0;
    case OPT_START_TS:
        return sim_opt_long("--start-ts", arg, 0, 253402300799L, &o->start_ts);
    case OPT_RATE:
        return sim_opt_double("--rate", arg, 0, 1e9, &o->rate);
    default:
        return COL_ERR_INVAL;
    }
}

/* Parse the command line into @o. Returns -1 to go on, else an exit code. */
static int bulk_parse(int argc, char **argv, struct bulk_opts *o)
{
    static const struct option longopts[] = {
        SIM_CONN_LONGOPTS,
        {"messages", required_argument, NULL, 'n'},
        {"devices", required_argument, NULL, OPT_DEVICES},
        {"dup-every", required_argument, NULL, OPT_DUP_EVERY},
        {"site", required_argument, NULL, OPT_SITE},
        {"start-ts", required_argument, NULL, OPT_START_TS},
        {"rate", required_argument, NULL, OPT_RATE},
        {NULL, 0, NULL, 0},
    };
    int opt, rc;

    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->n_devices = 100;
    o->site = "bench";
    o->start_ts = 1700000000L;
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:i:n:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == SIM_OPT_HELP) {
            fputs(bulk_usage, stdout);
            return SIM_EXIT_OK;
        }
        rc = sim_conn_option(&o->conn, opt, optarg);
        if (rc == 0)
            rc = bulk_option(o, opt, optarg);
        if (rc < 0)
            return bulk_usage_error();
    }
    if (optind < argc || o->n_messages == 0) {
        fprintf(stderr, "devsim bulk: -n MESSAGES is required and takes no extra arguments\n");
        return bulk_usage_error();
    }
    if (!sim_topic_level_ok(o->site)) {
        fprintf(stderr, "devsim bulk: --site must be a single topic level\n");
        return bulk_usage_error();
    }
    return sim_conn_valid(&o->conn) ? -1 : bulk_usage_error();
}

/* Message @i's topic and payload; returns the payload length. */
static int bulk_message(const struct bulk_opts *o, long i, char *topic, size_t topic_size,
                        char *payload, size_t size)
{
    uint64_t h = sim_mix64((uint64_t)i);
    long dev = i % o->n_devices;
    double pm25 = 12.0 + (double)(h % 700) / 10.0;
    double pm10 = pm25 * (1.4 + (double)((h >> 10) % 51) / 100.0);
    double so2 = 5.0 + (double)((h >> 18) % 100) / 10.0;
    double no2 = 15.0 + (double)((h >> 25) % 450) / 10.0;
    double co = 0.4 + (double)((h >> 34) % 80) / 100.0;
    double o3 = 20.0 + (double)((h >> 41) % 1000) / 10.0;
    int n;

    snprintf(topic, topic_size, "%s/air/%s/bulk-%03ld", o->conn.prefix, o->site, dev);
    n = snprintf(payload, size,
                 "{\"ts\":%ld,\"seq\":%ld,\"pm25\":%.1f,\"pm10\":%.1f,\"so2\":%.1f,"
                 "\"no2\":%.1f,\"co\":%.2f,\"o3\":%.1f}",
                 o->start_ts + i / o->n_devices, i, pm25, pm10, so2, no2, co, o3);
    if (n < 0 || (size_t)n >= size)
        return COL_ERR_RANGE;
    return n;
}

/* Publish message @i (and its duplicate); @n_out counts publishes for --rate. */
static int bulk_send(struct sim_pub *pub, const struct bulk_opts *o, long i, long *n_out, double t0)
{
    char topic[SIM_TOPIC_MAX], payload[SIM_PAYLOAD_MAX];
    bool is_dup = o->dup_every > 0 && i % o->dup_every == o->dup_every - 1;
    int copy, rc, len;

    len = bulk_message(o, i, topic, sizeof(topic), payload, sizeof(payload));
    if (NEVER(len < 0))
        return COL_ERR_RANGE;
    for (copy = 0; copy < (is_dup ? 2 : 1); copy++) {
        if (o->rate > 0) {
            rc = sim_pub_wait_until(pub, t0 + (double)*n_out / o->rate);
            if (rc)
                return rc;
        }
        rc = sim_pub_send(pub, topic, payload, (size_t)len, copy ? TAG_DUPLICATE : TAG_UNIQUE);
        if (rc)
            return rc;
        (*n_out)++;
    }
    return 0;
}

static int bulk_run(struct sim_pub *pub, const struct bulk_opts *o, double t0)
{
    long i, n_out = 0;
    int rc = 0;

    for (i = 0; i < o->n_messages && rc == 0; i++)
        rc = bulk_send(pub, o, i, &n_out, t0);
    return rc;
}

int sim_bulk_main(int argc, char **argv)
{
    struct bulk_opts o;
    struct sim_pub *pub = NULL;
    double t0;
    int rc, exit_code = SIM_EXIT_RUNTIME;

    rc = bulk_parse(argc, argv, &o);
    if (rc >= 0) {
        exit_code = rc;
        goto out;
    }
    sim_signals_install();
    pub = sim_pub_open(&o.conn, "bulk");
    if (!pub)
        goto out;
    t0 = sim_now();
    rc = bulk_run(pub, &o, t0);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    if (sim_pub_finish(pub) == 0 || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    printf("bulk: published=%ld unique=%ld duplicates=%ld", sim_pub_acked(pub, -1),
           sim_pub_acked(pub, TAG_UNIQUE), sim_pub_acked(pub, TAG_DUPLICATE));
    sim_print_rate(sim_now() - t0, sim_pub_acked(pub, -1));
out:
    sim_pub_close(pub);
    return exit_code;
}
