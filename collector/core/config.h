/*
 * The collector's configuration: one YAML file, bound to typed structs by a
 * table per section (name, type, default, bounds, help). The same tables
 * generate docs/configuration.md and deploy/collector.yaml.example, so the
 * documentation cannot drift from what the code accepts.
 *
 * Loading order: parse the file (libyaml) → apply --set overrides to the
 * tree → bind every section (environment references expanded, types and
 * bounds checked, unknown keys rejected) → resolve relative paths against
 * the config file's directory. Every problem is reported as file:line.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct diag;
struct ynode;

struct cfg_strlist {
    size_t n;
    char **v;
};

struct cfg_gateway {
    char *id;
    char *timezone;
};

struct cfg_tls {
    char *ca_file;
    char *ca_path;
    char *cert_file;
    char *key_file;
    bool is_insecure; /* skip hostname verification (never in production) */
};

enum { MQTT_V311 = 0, MQTT_V5 = 1 };

struct cfg_mqtt {
    char *host;
    long long port;
    char *client_id;
    struct cfg_strlist topics;
    long long qos;
    char *username;
    char *password_file;
    char *password;     /* from password_file or ${ENV}; never logged */
    long long protocol; /* MQTT_V311 or MQTT_V5 */
    long long keepalive_ms;
    long long session_expiry_ms; /* MQTT 5 session-expiry interval */
    long long reconnect_min_ms;
    long long reconnect_max_ms;
    long long silent_after_ms; /* warn when nothing arrives for this long */
    bool clean_session;
    struct cfg_tls tls;
};

enum { STORE_SYNC_NORMAL = 0, STORE_SYNC_FULL = 1 };

struct cfg_retention {
    long long raw_ms;
    long long hourly_ms;
    long long rejects_ms;
    long long rejects_max_rows;
    long long rejects_max_bytes;
};

struct cfg_storage {
    char *path;
    long long synchronous;
    long long busy_timeout_ms;
    long long max_size; /* bytes; 0 = no limit beyond the disk */
    struct cfg_retention retention;
};

struct cfg_ingest {
    long long max_future_ms;
    long long max_age_ms;
    long long max_payload;
    long long max_fields;
    long long clock_window_ms;        /* gateway_clock_suspect: comparison window (monotonic) */
    long long clock_behind_ms;        /* ... and how far behind a device's newest reading may be */
    char *hj212_listen;               /* "host:port" of the HJ 212 TCP listener; empty = off */
    long long hj212_split_timeout_ms; /* a split HJ 212 message waits this long for its parts */
    /* The HJ 212 listener's limits and who it admits (docs/devices.md). */
    struct cfg_strlist hj212_allow;          /* CIDR blocks; empty = every source */
    bool hj212_require_password;             /* refuse packets of devices with no password */
    char *hj212_password_dir;                /* one secret file per MN; NULL = none */
    long long hj212_max_connections;         /* when full, the oldest idle connection is closed */
    long long hj212_max_per_address;         /* connections from one source address at most */
    long long hj212_first_packet_timeout_ms; /* a new connection's first valid packet */
    long long hj212_idle_timeout_ms;         /* since a connection's last valid packet */
    long long hj212_write_timeout_ms;        /* responses not taken for this long: closed */
    /* Group commit: most messages per transaction; longest a batch stays open (ms). */
    long long batch_max;
    long long batch_ms;
};

enum { UNKNOWN_REJECT = 0, UNKNOWN_REGISTER = 1 };

struct cfg_devices {
    char *profiles;
    char *registry;
    long long unknown;
};

struct cfg_rules {
    struct cfg_strlist paths;
};

struct cfg_alerts {
    struct ynode *channels; /* validated by the alerts module; owned by the config */
};

enum { UPLOAD_AUTH_NONE = 0, UPLOAD_AUTH_BEARER, UPLOAD_AUTH_BASIC, UPLOAD_AUTH_SIGV4 };

/* Secrets are read from their files at each upload, never kept here. */
struct cfg_upload {
    char *url;      /* base; unset disables the upload */
    char *at;       /* local time of day, "HH:MM" or "HH:MM:SS" */
    long long at_s; /* the same in seconds after midnight (derived) */
    long long auth; /* UPLOAD_AUTH_* */
    char *token_file;
    char *username;
    char *password_file;
    char *aws_region;
    char *aws_access_key_id;
    char *aws_secret_file;
    char *aws_service;
    char *ca_file;
    char *client_cert;
    char *client_key;
    bool is_insecure;   /* skip TLS verification (testing only) */
    long long max_rate; /* bytes/s, 0 = unlimited */
    long long connect_timeout_ms;
    long long timeout_ms;        /* one request, 0 = none */
    long long low_speed_limit;   /* bytes/s ... */
    long long low_speed_time_ms; /* ... for this long aborts a request */
    long long jitter_ms;
    long long backoff_min_ms;
    long long backoff_max_ms;
    long long reupload_window_ms;
    long long fail_alert_days;
    long long max_days_per_run; /* 0 = no limit */
    char *spool_dir;            /* unset: next to the database */
    long long disk_reserve;     /* bytes kept free before uploaded raw data is dropped early */
};

struct cfg_http {
    char *listen;
    char *token_file; /* bearer token required by every request; NULL = none (loopback only) */
};

struct cfg_rollup {
    long long interval_ms;      /* how often the rollup pass runs */
    long long batch;            /* device-hours per transaction */
    long long mda8_min_windows; /* O3 MDA8 day validity (decision 5), 0 = off */
};

/* The plan's targets; masked numbers of the draft plan are draft defaults. */
struct cfg_report {
    double pm25_target;     /* µg/m³, annual mean stays below (plan: 35) */
    double good_day_target; /* %, draft default 80 (plan masks it as ##) */
    double sewage_target;   /* %, draft default 95 (plan masks it as ##) */
};

struct cfg_log {
    long long level; /* enum log_level */
    bool use_syslog;
};

struct config {
    char *file;
    char *dir; /* directory of the file, for relative paths */
    struct cfg_gateway gateway;
    struct cfg_mqtt mqtt;
    struct cfg_storage storage;
    struct cfg_ingest ingest;
    struct cfg_devices devices;
    struct cfg_rules rules;
    struct cfg_alerts alerts;
    struct cfg_upload upload;
    struct cfg_http http;
    struct cfg_rollup rollup;
    struct cfg_report report;
    struct cfg_log log;
};

/*
 * Load @path with the "section.key=value" overrides in @sets (n_sets of
 * them). Every error goes to @d as file:line; returns NULL when there was
 * any. The caller frees the result with config_free().
 */
struct config *config_load(const char *path, const char *const *sets, size_t n_sets,
                           struct diag *d);
void config_free(struct config *c);

/*
 * As config_load(), from the @len bytes at @text as if they were the file
 * @name (relative paths resolve against @name's directory; errors name it).
 * For tests and the fuzzer.
 */
struct config *config_parse(const char *name, const char *text, size_t len, const char *const *sets,
                            size_t n_sets, struct diag *d);

/*
 * Expand ${NAME} and ${NAME:-default} in @in (and $$ to $). Returns a new
 * string, or NULL with a reason in @err (unset variable, bad syntax, no
 * memory). @lookup is getenv in production, a fake in tests.
 */
char *config_expand_env(const char *in, const char *(*lookup)(const char *), char *err,
                        size_t errlen);

/* Write every key with its default and help: @markdown for the docs, else YAML. */
void config_write_reference(FILE *out, bool markdown);

enum config_ref {
    CONFIG_REF_YAML,     /* an annotated configuration file */
    CONFIG_REF_MARKDOWN, /* the tables of docs/configuration.md */
    CONFIG_REF_MAN,      /* the key list of collector.yaml(5), as roff */
};

/*
 * Write every key with its type, default and help in format @fmt. For
 * YAML, each of @values ("section.key=value", the value as YAML text) is
 * written in place of that key's default, so an example for a particular
 * installation comes from the same table. Returns 0, or COL_ERR_CONFIG
 * when a value names no key (or values were given for another format);
 * the output is written all the same.
 */
int config_write_ref(FILE *out, enum config_ref fmt, const char *const *values, size_t n_values);

#endif
