/*
 * The configuration's key tables (STYLE §7): one per section, each entry
 * with its type, default, bounds and help text, and the values refused
 * although their type allows them. config.c binds a document through these
 * tables; the reference written from them here (the markdown page, the man
 * page section and the example file) therefore lists exactly what the
 * binder accepts, with the same defaults.
 */
#include "config.h"
#include "config_int.h"
#include "col_err.h"
#include "xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define OFF(f) offsetof(struct config, f)

static const char *const sync_choices[] = {"normal", "full", NULL};
static const char *const unknown_choices[] = {"reject", "register", NULL};
static const char *const proto_choices[] = {"3.1.1", "5", NULL};
static const char *const level_choices[] = {"error", "warn", "info", "debug", NULL};

static const struct cfg_key gateway_keys[] = {
    {"id", CFG_STR, "xh-gw-01", OFF(gateway.id), 0, 0,
     "Gateway id: names this collector in uploads and alerts", NULL, NULL, 0},
    {"timezone", CFG_STR, "Asia/Shanghai", OFF(gateway.timezone), 0, 0,
     "Time zone of calendar windows (days, years); timestamps are stored as UTC", NULL, NULL, 0},
    {0},
};

static const struct cfg_key tls_keys[] = {
    {"ca_file", CFG_STR, NULL, OFF(mqtt.tls.ca_file), 0, 0,
     "CA certificate(s) to verify the broker; setting it or ca_path turns TLS on", NULL, NULL,
     CFG_F_PATH},
    {"ca_path", CFG_STR, NULL, OFF(mqtt.tls.ca_path), 0, 0, "Directory of CA certificates", NULL,
     NULL, CFG_F_PATH},
    {"cert_file", CFG_STR, NULL, OFF(mqtt.tls.cert_file), 0, 0, "Client certificate for mutual TLS",
     NULL, NULL, CFG_F_PATH},
    {"key_file", CFG_STR, NULL, OFF(mqtt.tls.key_file), 0, 0, "Client private key (unencrypted)",
     NULL, NULL, CFG_F_PATH | CFG_F_SECRET},
    {"insecure", CFG_BOOL, "false", OFF(mqtt.tls.is_insecure), 0, 0,
     "Skip the broker hostname check (testing only)", NULL, NULL, 0},
    {0},
};

static const struct cfg_key mqtt_keys[] = {
    {"host", CFG_STR, "127.0.0.1", OFF(mqtt.host), 0, 0, "Broker host name or address", NULL, NULL,
     0},
    {"port", CFG_INT, "1883", OFF(mqtt.port), 1, 65535, "Broker port (8883 is usual for TLS)", NULL,
     NULL, 0},
    {"client_id", CFG_STR, "xh-gw-01-collector", OFF(mqtt.client_id), 0, 0,
     "Fixed client id: the broker keeps the session (and queued messages) under it", NULL, NULL, 0},
    {"topics", CFG_STRLIST, "[\"xh/#\"]", OFF(mqtt.topics), 0, 0,
     "Subscriptions; wildcards and $share/group/ prefixes allowed", NULL, NULL, 0},
    {"qos", CFG_INT, "1", OFF(mqtt.qos), 0, 1,
     "Subscription QoS: 1 acknowledges a message only once it is on disk; 0 has no "
     "acknowledgement (a message in transit can be lost); 2 is refused",
     NULL, NULL, 0},
    {"username", CFG_STR, NULL, OFF(mqtt.username), 0, 0, "Broker user name", NULL, NULL, 0},
    {"password_file", CFG_STR, NULL, OFF(mqtt.password_file), 0, 0,
     "File holding the broker password (first line)", NULL, NULL, CFG_F_PATH},
    {"password", CFG_STR, NULL, OFF(mqtt.password), 0, 0,
     "Broker password; write ${ENV_VAR}, never the password itself", NULL, NULL, CFG_F_SECRET},
    {"protocol", CFG_ENUM, "5", OFF(mqtt.protocol), 0, 0, "MQTT protocol version", proto_choices,
     NULL, 0},
    {"keepalive", CFG_DURATION, "30s", OFF(mqtt.keepalive_ms), 5000, 65535000, "Keepalive interval",
     NULL, NULL, 0},
    {"session_expiry", CFG_DURATION, "7d", OFF(mqtt.session_expiry_ms), 0, 4294967295000LL,
     "MQTT 5 session-expiry interval: how long the broker keeps our session while we are away "
     "(must be more than 0 unless clean_session is on)",
     NULL, NULL, 0},
    {"clean_session", CFG_BOOL, "false", OFF(mqtt.clean_session), 0, 0,
     "Start a new session on every connect (loses messages queued while stopped)", NULL, NULL, 0},
    {"reconnect_min", CFG_DURATION, "1s", OFF(mqtt.reconnect_min_ms), 100, 3600000,
     "First reconnect delay; doubles per failure, with jitter", NULL, NULL, 0},
    {"reconnect_max", CFG_DURATION, "60s", OFF(mqtt.reconnect_max_ms), 1000, 86400000,
     "Longest reconnect delay", NULL, NULL, 0},
    {"silent_after", CFG_DURATION, "10m", OFF(mqtt.silent_after_ms), 0, 604800000,
     "Warn once when connected but nothing arrived for this long (0 disables)", NULL, NULL, 0},
    {"tls", CFG_SECTION, NULL, 0, 0, 0, "TLS to the broker", NULL, tls_keys, 0},
    {0},
};

static const struct cfg_key retention_keys[] = {
    {"raw", CFG_DURATION, "30d", OFF(storage.retention.raw_ms), 0, 0,
     "Keep raw readings this long (0 keeps them forever)", NULL, NULL, 0},
    {"hourly", CFG_DURATION, "1825d", OFF(storage.retention.hourly_ms), 0, 0,
     "Keep hourly statistics this long (0 keeps them forever); daily ones are kept forever", NULL,
     NULL, 0},
    {"rejects", CFG_DURATION, "30d", OFF(storage.retention.rejects_ms), 0, 0,
     "Keep rejected messages this long, judged by the monotonic clock: a wall-clock jump "
     "forward deletes none (docs/operations.md, Rejects)",
     NULL, NULL, 0},
    {"rejects_max_rows", CFG_INT, "10000", OFF(storage.retention.rejects_max_rows), 100, 100000000,
     "Keep at most this many rejected messages (oldest dropped first)", NULL, NULL, 0},
    {"rejects_max_bytes", CFG_SIZE, "64MiB", OFF(storage.retention.rejects_max_bytes), 65536,
     17179869184LL, "Keep at most this many bytes of rejected payloads (oldest dropped first)",
     NULL, NULL, 0},
    {0},
};

static const struct cfg_key storage_keys[] = {
    {"path", CFG_STR, "/var/lib/collector/collector.db", OFF(storage.path), 0, 0,
     "SQLite database file", NULL, NULL, CFG_F_PATH},
    {"synchronous", CFG_ENUM, "full", OFF(storage.synchronous), 0, 0,
     "full: every commit (one per batch of messages) is fsynced before the batch is "
     "acknowledged; normal: commits are fsynced only at checkpoints, so a power cut (not a "
     "crash) can lose what was acknowledged since the last checkpoint",
     sync_choices, NULL, 0},
    {"busy_timeout", CFG_DURATION, "5s", OFF(storage.busy_timeout_ms), 0, 600000,
     "How long a connection waits for a lock held by another", NULL, NULL, 0},
    {"max_size", CFG_SIZE, "0", OFF(storage.max_size), 0, 0,
     "Largest the database may grow (e.g. 8GiB); when full, messages stay unacknowledged at "
     "the broker instead of being lost (0: up to the disk)",
     NULL, NULL, 0},
    {"retention", CFG_SECTION, NULL, 0, 0, 0, "Tiered retention", NULL, retention_keys, 0},
    {0},
};

static const struct cfg_key ingest_keys[] = {
    {"max_future", CFG_DURATION, "5m", OFF(ingest.max_future_ms), 0, 0,
     "Reject readings timestamped further ahead than this (0 disables)", NULL, NULL, 0},
    {"max_age", CFG_DURATION, "0", OFF(ingest.max_age_ms), 0, 0,
     "Reject readings older than this (0 disables, as replaying history needs)", NULL, NULL, 0},
    {"max_payload", CFG_SIZE, "64KiB", OFF(ingest.max_payload), 16, 16777216,
     "Reject payloads larger than this; with MQTT 5 the broker is also told not to send "
     "larger packets (Maximum Packet Size), so they never reach the collector's memory",
     NULL, NULL, 0},
    {"batch_max", CFG_INT, "500", OFF(ingest.batch_max), 1, 65535,
     "Messages committed together at most: one transaction and one fsync per batch, and "
     "the batch's acknowledgements leave after its commit",
     NULL, NULL, 0},
    {"batch_ms", CFG_DURATION, "10ms", OFF(ingest.batch_ms), 0, 1000,
     "A batch is committed this long after its first message, or sooner when it holds "
     "batch_max: until then it waits for more (one commit and fsync serve them all; this "
     "bounds the acknowledgement delay; 0: a batch per message)",
     NULL, NULL, 0},
    {"max_fields", CFG_INT, "256", OFF(ingest.max_fields), 1, 4096,
     "Reject payloads with more values than this", NULL, NULL, 0},
    {"clock_window", CFG_DURATION, "10m", OFF(ingest.clock_window_ms), 1000, 86400000,
     "How often the gateway clock is compared with its devices' clocks: over each such "
     "window, more than half of the devices (at least 2) far ahead or behind raise "
     "gateway_clock_suspect (docs/alerts.md)",
     NULL, NULL, 0},
    {"clock_behind", CFG_DURATION, "2h", OFF(ingest.clock_behind_ms), 0, 0,
     "A device whose newest reading of a window is older than this is behind the gateway "
     "clock (0: only readings ahead count)",
     NULL, NULL, 0},
    {"hj212_listen", CFG_STR, "", OFF(ingest.hj212_listen), 0, 0,
     "host:port to accept HJ 212-2017 packets over TCP (e.g. 0.0.0.0:9212); empty disables", NULL,
     NULL, 0},
    {"hj212_split_timeout", CFG_DURATION, "60s", OFF(ingest.hj212_split_timeout_ms), 100, 3600000,
     "How long the HJ 212 listener holds the parts of a split message (PNUM/PNO) for the "
     "rest; a message still incomplete then is rejected (split_incomplete), every part kept",
     NULL, NULL, 0},
    {"hj212_allow", CFG_STRLIST, "[]", OFF(ingest.hj212_allow), 0, 0,
     "Networks the HJ 212 listener accepts connections from, as CIDR blocks (e.g. "
     "[\"10.20.0.0/16\", \"2001:db8::/32\"]; an address alone is one host); a connection from "
     "elsewhere is closed at once, counted and logged once a minute per address. Empty: any",
     NULL, NULL, 0},
    {"hj212_require_password", CFG_BOOL, "false", OFF(ingest.hj212_require_password), 0, 0,
     "Reject (reason auth) HJ 212 packets of devices that have no password configured "
     "(registry hj212_password_file or ingest.hj212_password_dir); false accepts them with any PW",
     NULL, NULL, 0},
    {"hj212_password_dir", CFG_STR, NULL, OFF(ingest.hj212_password_dir), 0, 0,
     "Directory of HJ 212 device passwords: one secret file (mode 0600 or 0400) per device, "
     "named by its MN, holding the PW it sends; read at start and on SIGHUP",
     NULL, NULL, CFG_F_PATH},
    {"hj212_max_connections", CFG_INT, "64", OFF(ingest.hj212_max_connections), 1, 4096,
     "HJ 212 connections open at once; when full, a new connection closes the oldest idle "
     "one (connections that have not yet sent a valid packet go first)",
     NULL, NULL, 0},
    {"hj212_max_per_address", CFG_INT, "8", OFF(ingest.hj212_max_per_address), 1, 4096,
     "HJ 212 connections from one source address at once; a new one beyond it closes that "
     "address's oldest idle connection, so one address cannot take the others' places",
     NULL, NULL, 0},
    {"hj212_first_packet_timeout", CFG_DURATION, "10s", OFF(ingest.hj212_first_packet_timeout_ms),
     100, 3600000,
     "A new HJ 212 connection is closed unless its first valid packet (framing, checksum and "
     "password right) arrives within this",
     NULL, NULL, 0},
    {"hj212_idle_timeout", CFG_DURATION, "15m", OFF(ingest.hj212_idle_timeout_ms), 1000, 86400000,
     "An HJ 212 connection is closed after this long without a valid packet", NULL, NULL, 0},
    {"hj212_write_timeout", CFG_DURATION, "15s", OFF(ingest.hj212_write_timeout_ms), 100, 3600000,
     "An HJ 212 client that takes none of its waiting responses for this long is closed; they "
     "answered committed data, so nothing is lost (the datalogger resends)",
     NULL, NULL, 0},
    {0},
};

static const struct cfg_key devices_keys[] = {
    {"profiles", CFG_STR, "/usr/share/collector/profiles", OFF(devices.profiles), 0, 0,
     "Directory of device profiles (*.yaml)", NULL, NULL, CFG_F_PATH},
    {"registry", CFG_STR, NULL, OFF(devices.registry), 0, 0,
     "Site and device registry (YAML); unset means no registered devices", NULL, NULL, CFG_F_PATH},
    {"unknown", CFG_ENUM, "reject", OFF(devices.unknown), 0, 0,
     "A device not in the registry: reject its messages, or register it under the topic's site",
     unknown_choices, NULL, 0},
    {0},
};

static const struct cfg_key rules_keys[] = {
    {"paths", CFG_STRLIST, "[]", OFF(rules.paths), 0, 0, "Rule files or directories", NULL, NULL,
     CFG_F_PATH},
    {0},
};

static const struct cfg_key alerts_keys[] = {
    {"channels", CFG_NODE, NULL, OFF(alerts.channels), 0, 0,
     "Notification channels (see docs/alerts.md)", NULL, NULL, 0},
    {0},
};

static const char *const auth_choices[] = {"none", "bearer", "basic", "sigv4", NULL};

static const struct cfg_key upload_keys[] = {
    {"url", CFG_STR, NULL, OFF(upload.url), 0, 0,
     "Base URL of the district data pool; a day goes to {url}/{gateway}/{yyyy}/{mm}/{dd}/{file}; "
     "unset disables the upload",
     NULL, NULL, 0},
    {"at", CFG_STR, "02:00", OFF(upload.at), 0, 0,
     "Local time (HH:MM) of the nightly upload of the previous day", NULL, NULL, 0},
    {"jitter", CFG_DURATION, "30m", OFF(upload.jitter_ms), 0, 43200000,
     "Random delay added to 'at' each night, so a district's gateways do not all call at once",
     NULL, NULL, 0},
    {"auth", CFG_ENUM, "none", OFF(upload.auth), 0, 0,
     "Authentication: bearer (token_file), basic (username, password_file), sigv4 (AWS "
     "Signature V4 for S3-compatible stores)",
     auth_choices, NULL, 0},
    {"token_file", CFG_STR, NULL, OFF(upload.token_file), 0, 0,
     "File holding the bearer token (first line); read at every upload", NULL, NULL, CFG_F_PATH},
    {"username", CFG_STR, NULL, OFF(upload.username), 0, 0, "User name for basic authentication",
     NULL, NULL, 0},
    {"password_file", CFG_STR, NULL, OFF(upload.password_file), 0, 0,
     "File holding the basic-authentication password (first line)", NULL, NULL, CFG_F_PATH},
    {"aws_region", CFG_STR, NULL, OFF(upload.aws_region), 0, 0,
     "SigV4 region, e.g. cn-east-1 (any value the store expects)", NULL, NULL, 0},
    {"aws_access_key_id", CFG_STR, NULL, OFF(upload.aws_access_key_id), 0, 0, "SigV4 access key id",
     NULL, NULL, 0},
    {"aws_secret_file", CFG_STR, NULL, OFF(upload.aws_secret_file), 0, 0,
     "File holding the SigV4 secret access key (first line)", NULL, NULL, CFG_F_PATH},
    {"aws_service", CFG_STR, "s3", OFF(upload.aws_service), 0, 0, "SigV4 service name", NULL, NULL,
     0},
    {"ca_file", CFG_STR, NULL, OFF(upload.ca_file), 0, 0,
     "CA certificate(s) to verify the data pool (default: the system's)", NULL, NULL, CFG_F_PATH},
    {"client_cert", CFG_STR, NULL, OFF(upload.client_cert), 0, 0,
     "Client certificate (PEM) for mutual TLS; works with any auth", NULL, NULL, CFG_F_PATH},
    {"client_key", CFG_STR, NULL, OFF(upload.client_key), 0, 0,
     "Client private key (PEM, unencrypted)", NULL, NULL, CFG_F_PATH | CFG_F_SECRET},
    {"insecure", CFG_BOOL, "false", OFF(upload.is_insecure), 0, 0,
     "Skip TLS certificate and host name verification (testing only)", NULL, NULL, 0},
    {"max_rate", CFG_SIZE, "0", OFF(upload.max_rate), 0, 0,
     "Bandwidth cap in bytes per second for cellular links (0: unlimited)", NULL, NULL, 0},
    {"connect_timeout", CFG_DURATION, "30s", OFF(upload.connect_timeout_ms), 1000, 600000,
     "Give up connecting after this long", NULL, NULL, 0},
    {"timeout", CFG_DURATION, "1h", OFF(upload.timeout_ms), 0, 86400000,
     "Give up one request (one file) after this long (0: no limit)", NULL, NULL, 0},
    {"low_speed_limit", CFG_SIZE, "100", OFF(upload.low_speed_limit), 0, 0,
     "Abort a request slower than this many bytes per second ...", NULL, NULL, 0},
    {"low_speed_time", CFG_DURATION, "60s", OFF(upload.low_speed_time_ms), 1000, 3600000,
     "... for this long (a stalled link)", NULL, NULL, 0},
    {"backoff_min", CFG_DURATION, "5m", OFF(upload.backoff_min_ms), 1000, 86400000,
     "First retry delay after a failed upload; doubles per failure", NULL, NULL, 0},
    {"backoff_max", CFG_DURATION, "6h", OFF(upload.backoff_max_ms), 1000, 604800000,
     "Longest retry delay", NULL, NULL, 0},
    {"reupload_window", CFG_DURATION, "7d", OFF(upload.reupload_window_ms), 0, 0,
     "Late data for an uploaded day younger than this sends the day again as a new revision "
     "(0: never)",
     NULL, NULL, 0},
    {"fail_alert_days", CFG_INT, "3", OFF(upload.fail_alert_days), 1, 365,
     "Alert when this many days are tried and still not delivered", NULL, NULL, 0},
    {"max_days_per_run", CFG_INT, "0", OFF(upload.max_days_per_run), 0, 100000,
     "Send at most this many days per run, oldest first (0: all that are due)", NULL, NULL, 0},
    {"spool_dir", CFG_STR, NULL, OFF(upload.spool_dir), 0, 0,
     "Directory for the files of a day being sent (default: storage.path + \".upload\")", NULL,
     NULL, CFG_F_PATH},
    {"disk_reserve", CFG_SIZE, "256MiB", OFF(upload.disk_reserve), 0, 0,
     "When free disk (or room under storage.max_size) falls below this, say so loudly and drop "
     "the raw readings of the oldest uploaded day early (0: never)",
     NULL, NULL, 0},
    {0},
};

static const struct cfg_key http_keys[] = {
    {"listen", CFG_STR, "127.0.0.1:9464", OFF(http.listen), 0, 0,
     "Address of the status and metrics endpoint (empty disables it); an address other than "
     "loopback needs token_file",
     NULL, NULL, 0},
    {"token_file", CFG_STR, NULL, OFF(http.token_file), 0, 0,
     "File holding the bearer token every request must carry (first line, mode 0600)", NULL, NULL,
     CFG_F_PATH},
    {0},
};

static const struct cfg_key rollup_keys[] = {
    {"interval", CFG_DURATION, "5s", OFF(rollup.interval_ms), 100, 3600000,
     "How often hourly and daily statistics, AQI, water class and noise levels are brought up "
     "to date",
     NULL, NULL, 0},
    {"batch", CFG_INT, "200", OFF(rollup.batch), 1, 100000,
     "Device-hours recomputed per transaction (smaller holds the write lock for less time)", NULL,
     NULL, 0},
    {"mda8_min_windows", CFG_INT, "14", OFF(rollup.mda8_min_windows), 0, 17,
     "Valid 8-hour windows an O3 daily maximum 8-hour mean needs (unconfirmed rule of HJ 663, "
     "0 turns it off); a day over the limit counts anyway",
     NULL, NULL, 0},
    {0},
};

static const struct cfg_key report_keys[] = {
    {"pm25_target", CFG_DOUBLE, "35", OFF(report.pm25_target), 1, 1000,
     "PM2.5 annual mean the plan requires staying below, ug/m3 (plan: 35)", NULL, NULL, 0},
    {"good_day_target", CFG_DOUBLE, "80", OFF(report.good_day_target), 0, 100,
     "Good-air day ratio target, % (DRAFT default: the plan masks it; 80 is the 13th plan's)", NULL,
     NULL, 0},
    {"sewage_target", CFG_DOUBLE, "95", OFF(report.sewage_target), 0, 100,
     "Urban sewage treatment rate target, % (DRAFT default: the plan masks it)", NULL, NULL, 0},
    {0},
};

static const struct cfg_key log_keys[] = {
    {"level", CFG_ENUM, "info", OFF(log.level), 0, 0, "Least severe level logged", level_choices,
     NULL, 0},
    {"syslog", CFG_BOOL, "false", OFF(log.use_syslog), 0, 0, "Log to syslog instead of stderr",
     NULL, NULL, 0},
    {0},
};

const struct cfg_key config_top_keys[] = {
    {"gateway", CFG_SECTION, NULL, 0, 0, 0, "This gateway", NULL, gateway_keys, 0},
    {"mqtt", CFG_SECTION, NULL, 0, 0, 0, "The MQTT broker and subscriptions", NULL, mqtt_keys, 0},
    {"storage", CFG_SECTION, NULL, 0, 0, 0, "The SQLite database", NULL, storage_keys, 0},
    {"ingest", CFG_SECTION, NULL, 0, 0, 0, "Validation of incoming messages", NULL, ingest_keys, 0},
    {"devices", CFG_SECTION, NULL, 0, 0, 0, "Device profiles and the registry", NULL, devices_keys,
     0},
    {"rules", CFG_SECTION, NULL, 0, 0, 0, "Alert rules", NULL, rules_keys, 0},
    {"alerts", CFG_SECTION, NULL, 0, 0, 0, "Alert delivery", NULL, alerts_keys, 0},
    {"upload", CFG_SECTION, NULL, 0, 0, 0, "Nightly upload to the district data pool", NULL,
     upload_keys, 0},
    {"http", CFG_SECTION, NULL, 0, 0, 0, "Status and metrics endpoint", NULL, http_keys, 0},
    {"rollup", CFG_SECTION, NULL, 0, 0, 0, "Statistics the standards define (HJ 663, GB 3095)",
     NULL, rollup_keys, 0},
    {"report", CFG_SECTION, NULL, 0, 0, 0, "The plan's targets for the compliance report", NULL,
     report_keys, 0},
    {"log", CFG_SECTION, NULL, 0, 0, 0, "Logging", NULL, log_keys, 0},
    {0},
};

/*
 * Values that a key's type and bounds accept in principle but that would
 * break a promise the collector makes; refused with the reason, so that an
 * operator does not mistake them for a typo.
 */
static const struct {
    const char *key, *value, *why;
} refused_values[] = {
    {"mqtt.qos", "2",
     "QoS 2 is refused: libmosquitto answers a QoS 2 message with PUBREC, which hands it over, "
     "before the collector sees it, so it would be acknowledged before it is on disk; use 1"},
};

const char *config_refusal(const char *section, const struct cfg_key *k, const char *text)
{
    char full[128];

    snprintf(full, sizeof(full), "%s.%s", section, k->name);
    for (size_t i = 0; i < sizeof(refused_values) / sizeof(refused_values[0]); i++)
        if (strcmp(refused_values[i].key, full) == 0 && strcmp(refused_values[i].value, text) == 0)
            return refused_values[i].why;
    return NULL;
}

/* ---- reference output ---- */

static const char *type_name(const struct cfg_key *k)
{
    switch (k->type) {
    case CFG_STR:
        return (k->flags & CFG_F_PATH) ? "path" : "string";
    case CFG_INT:
        return "integer";
    case CFG_DOUBLE:
        return "number";
    case CFG_BOOL:
        return "boolean";
    case CFG_DURATION:
        return "duration";
    case CFG_SIZE:
        return "size";
    case CFG_ENUM:
        return "choice";
    case CFG_STRLIST:
        return "list";
    case CFG_NODE:
        return "list of mappings";
    default:
        return "section";
    }
}

/* The value @values gives for the key @full ("section.key=value"), or NULL. */
static const char *given_value(const char *full, const char *const *values, size_t n_values,
                               unsigned char *used)
{
    size_t len = strlen(full);

    for (size_t i = 0; i < n_values; i++) {
        if (strncmp(values[i], full, len) == 0 && values[i][len] == '=') {
            used[i] = 1;
            return values[i] + len + 1;
        }
    }
    return NULL;
}

/* Text for roff: a leading '.' or '\'' would be a request, '\' an escape, '-' a hyphen. */
static void roff_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

static void write_choices(FILE *out, const struct cfg_key *k)
{
    if (k->type != CFG_ENUM)
        return;
    fputs(" (", out);
    for (size_t i = 0; k->choices[i]; i++)
        fprintf(out, "%s%s", i ? ", " : "", k->choices[i]);
    fputs(")", out);
}

struct ref_out {
    FILE *out;
    enum config_ref fmt;
    const char *const *values;
    size_t n_values;
    unsigned char *used; /* per value: it named a key */
};

static void write_keys(struct ref_out *ro, const struct cfg_key *keys, const char *prefix,
                       int depth)
{
    FILE *out = ro->out;

    for (const struct cfg_key *k = keys; k->name; k++) {
        char full[128];
        const char *given;
        int n = snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", k->name);
        if (n < 0 || (size_t)n >= sizeof(full))
            continue;
        if (k->type == CFG_SECTION) {
            if (ro->fmt == CONFIG_REF_MARKDOWN) {
                if (depth == 0)
                    fprintf(out,
                            "\n## `%s` — %s\n\n| key | type | default | meaning |\n"
                            "| --- | --- | --- | --- |\n",
                            full, k->help);
            } else if (ro->fmt == CONFIG_REF_MAN) {
                fprintf(out, ".SS \"%s: ", full);
                roff_text(out, k->help);
                fputs("\"\n", out);
            } else {
                fprintf(out, "%s%*s# %s\n%*s%s:\n", depth == 0 ? "\n" : "", depth * 2, "", k->help,
                        depth * 2, "", k->name);
            }
            write_keys(ro, k->sub, full, depth + 1);
            continue;
        }
        if (ro->fmt == CONFIG_REF_MARKDOWN) {
            fprintf(out, "| `%s` | %s", full, type_name(k));
            write_choices(out, k);
            fprintf(out, " | %s%s%s | %s |\n", k->def ? "`" : "", k->def ? k->def : "unset",
                    k->def ? "`" : "", k->help);
        } else if (ro->fmt == CONFIG_REF_MAN) {
            fputs(".TP\n.B ", out);
            roff_text(out, full);
            fprintf(out, "\n%s", type_name(k));
            write_choices(out, k);
            fputs(", default ", out);
            if (k->def) {
                fputs("\\fB", out);
                roff_text(out, *k->def ? k->def : "\"\"");
                fputs("\\fR", out);
            } else {
                fputs("unset", out);
            }
            fputs(".\n", out);
            roff_text(out, k->help);
            fputs(".\n", out);
        } else {
            bool quote = k->type == CFG_STR || k->type == CFG_ENUM;
            given = given_value(full, ro->values, ro->n_values, ro->used);
            fprintf(out, "%*s# %s (%s)\n", depth * 2, "", k->help, type_name(k));
            if (given)
                fprintf(out, "%*s%s: %s\n", depth * 2, "", k->name, given);
            else if (k->def)
                fprintf(out, "%*s%s: %s%s%s\n", depth * 2, "", k->name, quote ? "\"" : "", k->def,
                        quote ? "\"" : "");
            else
                fprintf(out, "%*s# %s:\n", depth * 2, "", k->name);
        }
    }
}

int config_write_ref(FILE *out, enum config_ref fmt, const char *const *values, size_t n_values)
{
    struct ref_out ro = {out, fmt, values, n_values, NULL};
    int rc = 0;

    if (n_values) {
        ro.used = xcalloc(n_values, 1);
        if (!ro.used)
            return COL_ERR_NOMEM;
    }
    write_keys(&ro, config_top_keys, "", 0);
    for (size_t i = 0; i < n_values; i++) {
        if (!ro.used[i] || fmt != CONFIG_REF_YAML)
            rc = COL_ERR_CONFIG;
    }
    xfree(ro.used);
    return rc;
}

void config_write_reference(FILE *out, bool markdown)
{
    (void)config_write_ref(out, markdown ? CONFIG_REF_MARKDOWN : CONFIG_REF_YAML, NULL, 0);
}
