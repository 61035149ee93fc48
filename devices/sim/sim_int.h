/*
 * Internals shared by the files of devsim, the device simulator: the MQTT
 * publisher every subcommand drives (sim_pub.c), the sink that sends either
 * through it or as HJ 212 over TCP (sim_sink.c), the small helpers for
 * options, time and random numbers (sim_util.c), the payload formats
 * (sim_fmt.c), the fleet engine with its faults and episodes (sim_engine.c),
 * the device generators (sim_gen_*.c) and the subcommands' entry points.
 * devsim is a test and demo tool, not part of the collector: besides
 * libmosquitto and libm it links only libdevices, for the HJ 212 framing.
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
#define SIM_PAYLOAD_MAX 2048 /* a SenML pack of 13 records; HJ 212 packets are <= 1036 */
/* Messages sent but not yet acknowledged; also the libmosquitto send maximum. */
#define SIM_WINDOW 100
#define SIM_WINDOW_QOS2 20
/*
 * Tags let a caller count acknowledgements by kind (bulk: unique, duplicate;
 * district: one per profile; replay: one per station).
 */
#define SIM_N_TAGS 16
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
int sim_district_main(int argc, char **argv);
int sim_mn_main(int argc, char **argv);

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
/* True with probability @p. */
bool sim_rng_chance(struct sim_rng *rng, double p);

/* Local time of day in hours [0, 24) of epoch second @ts (UTC+8). */
double sim_local_hour(int64_t ts);
/* Day of the week of @ts in local time, 0 = Monday .. 6 = Sunday. */
int sim_local_weekday(int64_t ts);
/* Season of @ts: +1 in mid-January, -1 in mid-July, shifted by @lag_days. */
double sim_season(int64_t ts, double lag_days);
/* A bump of height 1 centred on hour @c (width @w hours) on the 24 h circle. */
double sim_bump(double h, double c, double w);
double sim_clamp(double v, double lo, double hi);

/* --- sim_sink.c: where messages go, MQTT or HJ 212 over TCP --- */

struct sim_sink;

/*
 * Open the sink: with @tcp ("HOST:PORT") one TCP connection that sends
 * HJ 212 packets and waits for the 9014 data response to each packet whose
 * Flag asks for one (5 s timeout, 3 retries, HJ 212-2017 Table 1);
 * otherwise an MQTT connection to @conn (sim_pub_open). Prints the reason
 * and returns NULL on failure. Blocks up to about 10 s.
 */
struct sim_sink *sim_sink_open(const struct sim_conn *conn, const char *tcp, const char *cmd);

/*
 * Send @payload[0..len): MQTT publishes it on @topic; TCP writes the packet
 * (@topic unused) and, if it wants an acknowledgement, blocks until the
 * matching response or the retries are spent (counted, not an error).
 * Returns 0, COL_ERR_BUSY on a stop request or COL_ERR_NET / COL_ERR_INVAL
 * on a failure that retrying cannot fix.
 */
int sim_sink_send(struct sim_sink *sk, const char *topic, const char *payload, size_t len, int tag);
/* As sim_pub_wait_until: serve the connection until the monotonic @deadline. */
int sim_sink_wait_until(struct sim_sink *sk, double deadline);
/* As sim_pub_finish; for TCP it only closes the connection. */
int sim_sink_finish(struct sim_sink *sk);
/* Messages delivered with @tag (-1: all): MQTT acknowledged, TCP acked or sent without Flag A. */
long sim_sink_delivered(const struct sim_sink *sk, int tag);
bool sim_sink_is_tcp(const struct sim_sink *sk);
/* For TCP, print "tcp: sent=S acked=A retries=R unacked=U"; nothing for MQTT. */
void sim_sink_print_stats(const struct sim_sink *sk, const char *cmd);
/* Free @sk (closing its connection). Accepts NULL. */
void sim_sink_close(struct sim_sink *sk);

/* --- device profiles (sim_gen_*.c) --- */

/* Site ids of deploy/registry.yaml: Xuhui's 13 streets and towns, then the others. */
#define SIM_STREETS                                                                                \
    "tianping,hunan,xietu,fenglin,changqiao,tianlin,hongmei,kangjian,xujiahui,lingyun,longhua,"    \
    "caohejing,huajing"
#define SIM_WATER_SITES "longhuagang,caohejinggang,puhuitang,huangpu-xuhui"
#define SIM_NOISE_SITES "xujiahui-road,binjiang-site,xujiahui,tianping,xietu,hongmei"
#define SIM_SEWAGE_SITES "longhua-wwtp"

#define SIM_GEN_VARS 10
#define SIM_MAX_FIELDS 16

enum sim_vkind { SIM_V_NUM, SIM_V_BOOL, SIM_V_STR };

/* One field of a profile's payload, as the device contract (profiles/<name>.yaml) names it. */
struct sim_field {
    const char *name; /* JSON key and SenML n, "pm25" */
    const char *unit; /* SenML u, the profile's unit, "ug/m3" */
    enum sim_vkind kind;
    int prec;                  /* decimals printed */
    const char *code;          /* HJ 212 factor code, "a34004"; NULL: not sent in HJ 212 */
    double code_scale;         /* HJ 212 value = value * code_scale (hPa -> kPa 0.1); 0 = 1 */
    int code_prec;             /* decimals in HJ 212 */
    const char *const *labels; /* SIM_V_STR: the value is an index into these */
};

/* Episodes active at one device and time, each an intensity 0..1 (sim_engine.c). */
struct sim_env {
    double haze;      /* regional haze: PM2.5 towards 150-250 ug/m3 */
    double discharge; /* pollution discharge into the device's river */
};

/* One simulated device of a fleet. */
struct sim_device {
    char id[32];
    const char *site;           /* borrowed from the fleet's site list */
    long index;                 /* 0-based position in the fleet */
    struct sim_rng rng;         /* seeded from --seed and the device index */
    double base[SIM_GEN_VARS];  /* per-device constants chosen by init */
    double walk[SIM_GEN_VARS];  /* random-walk state */
    double state[SIM_GEN_VARS]; /* other generator state (a bin's fill level) */
    int64_t last_ts;            /* ts of the previous reading; 0 before the first */
};

/*
 * A kind of device a fleet can simulate: its contract (topic domain, fields,
 * HJ 212 codes), sensible defaults, and a generator in sim_gen_<kind>.c.
 */
struct sim_profile {
    const char *name;      /* --profile value, "air-station" */
    const char *domain;    /* topic level after the prefix, "air" */
    const char *id_prefix; /* device ids are <id_prefix><NN>, "sim-aqm-" */
    const char *sites;     /* default sites, comma-separated */
    long n_devices;        /* default fleet size over those sites */
    long interval;         /* reporting interval in simulated seconds (district) */
    int hj212_st;          /* HJ 212 system code; 0: the profile has no HJ 212 form */
    int hj212_cn;          /* 2011 real-time (-Rtd) or 2061 hourly (-Avg) */
    uint64_t salt;         /* mixed into the seeds, so profiles differ; air keeps 0 */
    const struct sim_field *fields;
    int n_fields;
    /* Choose the device's constants; its rng, id, site and index are set. */
    void (*init)(struct sim_device *dev);
    /* Compute the reading at epoch second @ts into @v[0..n_fields). */
    void (*sample)(struct sim_device *dev, const struct sim_env *env, int64_t ts, double *v);
};

extern const struct sim_profile sim_profile_air;
extern const struct sim_profile sim_profile_pm;
extern const struct sim_profile sim_profile_water;
extern const struct sim_profile sim_profile_noise;
extern const struct sim_profile sim_profile_waste;
extern const struct sim_profile sim_profile_sewage;

/* Every profile, in the order district runs them; NULL-terminated. */
extern const struct sim_profile *const sim_profiles[];
/* The profile called @name, or NULL. */
const struct sim_profile *sim_profile_find(const char *name);

/*
 * Advance @dev->walk[0..n) to @ts: mean-reverting (Ornstein-Uhlenbeck)
 * steps with stationary spread @sigma[i] and correlation time @tau_s, exact
 * for any step, so the variability does not depend on the reporting
 * interval. Sets dev->last_ts. Returns the step in seconds (0 the first time).
 */
double sim_walk(struct sim_device *dev, int64_t ts, const double *sigma, int n, double tau_s);

/* --- sim_fmt.c: payload formats --- */

enum sim_format { SIM_FMT_JSON, SIM_FMT_SENML, SIM_FMT_HJ212, SIM_FMT_MIXED };

/* Ways a message can be broken on purpose (the malformed fault). */
enum sim_damage {
    SIM_DAMAGE_NONE,
    SIM_DAMAGE_TRUNCATE,   /* cut in the middle: not valid JSON / no CRC */
    SIM_DAMAGE_NONNUMERIC, /* one numeric value sent as text */
    SIM_DAMAGE_CRC,        /* HJ 212 only: wrong checksum */
};

/* One message to encode. */
struct sim_msg {
    const struct sim_profile *profile;
    const char *device; /* device id: SenML bn, the source of the HJ 212 MN */
    long seq;           /* the device's index: QN milliseconds */
    int64_t ts;         /* the device's idea of the time (skew included) */
    const double *v;    /* profile->n_fields values */
    bool want_ack;      /* HJ 212: Flag=5 (TCP) instead of 4 */
    enum sim_damage damage;
    int damage_field; /* SIM_DAMAGE_NONNUMERIC: index of the field */
};

/* Parse a --format value; @allow_mixed for fleet and district. Prints errors. */
int sim_format_parse(const char *opt, const char *s, bool allow_mixed, enum sim_format *out);
const char *sim_format_name(enum sim_format f);

/*
 * Encode @m in format @f (JSON, SenML or HJ 212, not MIXED) into
 * @buf[0..size), NUL-terminated. Returns the length, COL_ERR_RANGE when it
 * does not fit, COL_ERR_INVAL for HJ 212 of a profile without codes.
 */
int sim_fmt_render(const struct sim_msg *m, enum sim_format f, char *buf, size_t size);

/*
 * The HJ 212 MN of device @id, 24 upper-case hex characters: an id of at
 * most 12 bytes is its bytes in hex, left-padded with "00" bytes
 * ("sim-aqm-01" -> 000073696D2D61716D2D3031); a longer id is "FF" and 88
 * bits of a hash of it (no ASCII id starts with byte FF, so the two forms
 * never collide). @out must hold 25 bytes.
 */
void sim_mn(const char *id, char *out);

/* Local "YYYYMMDDhhmmss" (UTC+8) of epoch second @ts into @out[15]. */
void sim_local_stamp(int64_t ts, char *out);

/* --- sim_engine.c: fleets with episodes and faults --- */

enum sim_fault_kind {
    SIM_FAULT_STUCK,
    SIM_FAULT_SPIKE,
    SIM_FAULT_DROPOUT,
    SIM_FAULT_MALFORMED,
    SIM_FAULT_SKEW,
    SIM_FAULT_DUPLICATE,
    SIM_FAULT_LATE,
    SIM_N_FAULTS
};

/* Fault probabilities (sim_engine.c documents what each rate is per). */
struct sim_faults {
    double rate[SIM_N_FAULTS]; /* 0 = off */
};

enum sim_episode_kind { SIM_EPISODE_HAZE, SIM_EPISODE_DISCHARGE };

#define SIM_MAX_EPISODES 16

struct sim_episode {
    enum sim_episode_kind kind;
    double start_h;               /* simulated hours after --start */
    double duration_h;            /* > 0 */
    char site[SIM_LEVEL_MAX + 1]; /* "" = every site */
};

/* Parse "KIND[:RATE]" into @f; prints errors. */
int sim_fault_parse(const char *s, struct sim_faults *f);
/* Turn on every fault at its default rate. */
void sim_faults_all(struct sim_faults *f);
bool sim_faults_any(const struct sim_faults *f);
const char *sim_fault_name(int kind);
/* Parse "haze|discharge:START_H:DURATION_H[:SITE]" into @e; prints errors. */
int sim_episode_parse(const char *s, struct sim_episode *e);

/* What a fleet needs to know; everything is borrowed for the fleet's life. */
struct sim_fleet_cfg {
    const struct sim_profile *profile;
    long n_devices;
    const char *const *sites;
    int n_sites;
    uint64_t seed;
    enum sim_format format; /* MIXED: device i uses the i-th format the profile supports */
    const char *prefix;
    bool is_tcp; /* HJ 212 packets want an ack (Flag=5); damage keeps the framing */
    const struct sim_faults *faults;
    const struct sim_episode *episodes;
    int n_episodes;
    int64_t start; /* episode hours count from here */
    int tag;       /* sink tag of this fleet's messages */
};

/* Counters of one fleet. */
struct sim_fleet_stats {
    long n_messages; /* handed to the sink, duplicates and backlog included */
    long n_fault[SIM_N_FAULTS];
    long n_lost; /* backlog overflow */
};

struct sim_fleet;

/* Make the fleet's devices. Returns NULL (reason printed) on bad input or no memory. */
struct sim_fleet *sim_fleet_new(const struct sim_fleet_cfg *cfg);
/* One reading from every device at simulated time @ts, sent through @sk. */
int sim_fleet_round(struct sim_fleet *fl, struct sim_sink *sk, int64_t ts);
/* Send what devices still buffer (late fault) at the end of a run. */
int sim_fleet_drain(struct sim_fleet *fl, struct sim_sink *sk);
const struct sim_fleet_stats *sim_fleet_stats(const struct sim_fleet *fl);
/* Append " stuck=N spike=N ..." for the faults that are on to @buf. */
void sim_fleet_fault_summary(const struct sim_fleet *fl, char *buf, size_t size);
/* Accepts NULL. */
void sim_fleet_free(struct sim_fleet *fl);

#endif
