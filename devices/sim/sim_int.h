/*
 * Internals shared by the files of devsim, the device simulator: the MQTT
 * publisher every subcommand drives (sim_pub.c), the small helpers for
 * options, time and random numbers (sim_util.c), the fleet profiles
 * (sim_fleet.c, sim_gen_*.c) and the subcommands' entry points. devsim is a
 * test and demo tool, not part of the collector: it links only libmosquitto
 * and libm, so it builds and runs while the collector's libraries change.
 */
#ifndef SIM_INT_H
#define SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "col_err.h"

/* Exit codes of every subcommand (DESIGN.md "Contracts"). */
enum { SIM_EXIT_OK = 0, SIM_EXIT_RUNTIME = 1, SIM_EXIT_USAGE = 2 };

/* Fits the longest topic the option checks allow: prefix/domain/site/device. */
#define SIM_TOPIC_MAX 320
#define SIM_PREFIX_MAX 128
#define SIM_LEVEL_MAX 64
#define SIM_PAYLOAD_MAX 512
/* Messages sent but not yet acknowledged; also the libmosquitto send maximum. */
#define SIM_WINDOW 100
#define SIM_WINDOW_QOS2 20
/* Tags let a caller count acknowledgements by kind (bulk: unique, duplicate). */
#define SIM_N_TAGS 2
/* Local time of the data and of the district: Asia/Shanghai, UTC+8, no DST. */
#define SIM_UTC_OFFSET_S ((int64_t)8 * 3600)

/* Broker connection and topic options shared by every subcommand. */
struct sim_conn {
    const char *host;
    int port;
    int qos;
    const char *client_id; /* NULL: devsim-<command>-<pid>-<n> */
    const char *prefix;    /* first topic level(s), "xh" */
};

/* Long option codes shared by the subcommands; each adds its own above these. */
enum {
    SIM_OPT_HELP = 1000,
    SIM_OPT_QOS,
    SIM_OPT_PREFIX,
    SIM_OPT_FIRST_OWN, /* first code free for a subcommand */
};

/* getopt_long entries for the shared options; put them first in the array. */
/* clang-format off */
#define SIM_CONN_LONGOPTS                                                       \
    {"host", required_argument, NULL, 'h'},                                     \
    {"port", required_argument, NULL, 'p'},                                     \
    {"id", required_argument, NULL, 'i'},                                       \
    {"qos", required_argument, NULL, SIM_OPT_QOS},                              \
    {"prefix", required_argument, NULL, SIM_OPT_PREFIX},                        \
    {"help", no_argument, NULL, SIM_OPT_HELP}
/* clang-format on */

/* Subcommands: each returns an exit code (SIM_EXIT_*). */
int sim_replay_main(int argc, char **argv);
int sim_fleet_main(int argc, char **argv);
int sim_bulk_main(int argc, char **argv);

/* --- sim_pub.c: one MQTT connection that publishes with a bounded window --- */

struct sim_pub;

/*
 * Connect to the broker of @conn (clean session) and wait for its CONNACK.
 * @cmd names the subcommand in the generated client id. Returns NULL and
 * prints the reason to stderr on failure. Blocks up to about 10 s.
 */
struct sim_pub *sim_pub_open(const struct sim_conn *conn, const char *cmd);

/*
 * Publish @payload[0..len) on @topic at the connection's QoS, counting its
 * acknowledgement under @tag (0..SIM_N_TAGS-1). Blocks while the window
 * (SIM_WINDOW; SIM_WINDOW_QOS2 at QoS 2) is full or the connection is down
 * (it reconnects).
 * Returns 0, COL_ERR_BUSY when a stop was requested (nothing was sent) or
 * COL_ERR_NET / COL_ERR_INVAL on a failure that retrying cannot fix.
 */
int sim_pub_send(struct sim_pub *pub, const char *topic, const char *payload, size_t len, int tag);

/*
 * Serve the connection (acknowledgements, keepalive, reconnects) until the
 * monotonic time @deadline (sim_now() seconds) or a stop request.
 * Returns 0, COL_ERR_BUSY on a stop request, or COL_ERR_NET.
 */
int sim_pub_wait_until(struct sim_pub *pub, double deadline);

/*
 * Wait until every message sent is acknowledged (QoS 0: written out). After
 * a stop request it waits at most two more seconds. Then disconnect.
 * Returns 0 when nothing is left unacknowledged, else COL_ERR_NET.
 */
int sim_pub_finish(struct sim_pub *pub);

/* Acknowledged messages with @tag, or all of them when @tag is -1. */
long sim_pub_acked(const struct sim_pub *pub, int tag);

/* Disconnect if needed and free @pub. Accepts NULL. */
void sim_pub_close(struct sim_pub *pub);

/* Install SIGINT/SIGTERM handlers that request a stop; ignore SIGPIPE. */
void sim_signals_install(void);
/* True once SIGINT or SIGTERM arrived. */
bool sim_stop_requested(void);

/* --- sim_util.c --- */

/* Monotonic clock in seconds. */
double sim_now(void);
/* Sleep until the monotonic time @deadline; returns early on a signal. */
void sim_sleep_until(double deadline);

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1). */
int64_t sim_days_from_civil(long y, long m, long d);
/* True for a valid calendar date. */
bool sim_date_valid(long y, long m, long d);

/*
 * Option value parsers: the whole of @s must be a number within [min, max].
 * On error they print "devsim <cmd>: <opt>: ..." to stderr and return
 * COL_ERR_INVAL.
 */
int sim_opt_long(const char *opt, const char *s, long min, long max, long *out);
int sim_opt_double(const char *opt, const char *s, double min, double max, double *out);
/* "YYYY-MM-DD" into days since 1970-01-01; prints the error like the above. */
int sim_opt_date(const char *opt, const char *s, int64_t *days);

/*
 * Handle one of the shared options (SIM_CONN_LONGOPTS) into @conn.
 * Returns 1 when @opt was one of them, 0 when it was not, COL_ERR_INVAL
 * for a bad value (already reported).
 */
int sim_conn_option(struct sim_conn *conn, int opt, const char *arg);
/* Fill the shared defaults: 127.0.0.1:1883, QoS 0, prefix "xh". */
void sim_conn_defaults(struct sim_conn *conn, int qos);
/* Check the prefix and the given topic levels; prints what is wrong. */
bool sim_conn_valid(const struct sim_conn *conn);

/* A topic level: 1..SIM_LEVEL_MAX bytes, no '/', '+', '#', no control characters. */
bool sim_topic_level_ok(const char *s);

/* True when @s is a number in JSON syntax (RFC 8259 section 6). */
bool sim_json_number_ok(const char *s);

/* Print "<what>: ... elapsed_s=E rate=R" parts: elapsed and rate of @n. */
void sim_print_rate(double elapsed, long n);

/* Small deterministic PRNG (xorshift64*); every device owns one. */
struct sim_rng {
    uint64_t s;
};

/* Mix @x into a well-spread 64-bit value (splitmix64 finaliser). */
uint64_t sim_mix64(uint64_t x);
void sim_rng_seed(struct sim_rng *rng, uint64_t seed);
/* Uniform in [0, 1). */
double sim_rng_uniform(struct sim_rng *rng);
/* Standard normal. */
double sim_rng_normal(struct sim_rng *rng);

/* --- fleet profiles (sim_fleet.c, sim_gen_*.c) --- */

#define SIM_GEN_VARS 10

/* One simulated device of a fleet. */
struct sim_device {
    char id[32];
    const char *site;          /* borrowed from the fleet's site list */
    struct sim_rng rng;        /* seeded from --seed and the device index */
    double base[SIM_GEN_VARS]; /* per-device constants chosen by init */
    double walk[SIM_GEN_VARS]; /* random-walk state */
    int64_t last_ts;           /* ts of the previous reading; 0 before the first */
};

/*
 * A kind of device a fleet can simulate. Adding a profile (water buoy,
 * noise meter, waste bin) means writing its init/render pair in a
 * sim_gen_<kind>.c file and listing it in sim_fleet.c.
 */
struct sim_profile {
    const char *name;      /* --profile value, "air-station" */
    const char *domain;    /* topic level after the prefix, "air" */
    const char *id_prefix; /* device ids are <id_prefix><NN>, "sim-aqm-" */
    /* Choose the device's constants; its rng is already seeded. */
    void (*init)(struct sim_device *dev);
    /*
     * Write the JSON payload of @dev's reading at epoch second @ts into
     * @buf[0..size). Returns the length, or COL_ERR_RANGE if it did not fit.
     */
    int (*render)(struct sim_device *dev, int64_t ts, char *buf, size_t size);
};

extern const struct sim_profile sim_profile_air;

#endif
