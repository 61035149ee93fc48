/*
 * Tests of the configuration loader (collector/config.h): defaults when keys
 * are absent, values and relative paths, every error kind with its exact
 * "file:LINE: ..." text and several errors in one load, --set overrides,
 * the generated reference file loading back, and an allocation-failure loop
 * over config_load. Environment, secrets and alert channels are in
 * test_config_env.c.
 */
#include "config_fixture.h"

#include "xalloc.h"

/* ---- defaults ---- */

static void check_defaults(const struct config *c)
{
    assert_string_equal(c->gateway.id, "xh-gw-01");
    assert_string_equal(c->gateway.timezone, "Asia/Shanghai");
    assert_string_equal(c->mqtt.host, "127.0.0.1");
    assert_int_equal(c->mqtt.port, 1883);
    assert_string_equal(c->mqtt.client_id, "xh-gw-01-collector");
    assert_int_equal(c->mqtt.topics.n, 1);
    assert_string_equal(c->mqtt.topics.v[0], "xh/#");
    assert_int_equal(c->mqtt.qos, 1);
    assert_null(c->mqtt.username);
    assert_null(c->mqtt.password_file);
    assert_null(c->mqtt.password);
    assert_int_equal(c->mqtt.protocol, MQTT_V5);
    assert_int_equal(c->mqtt.keepalive_ms, 30000);
    assert_int_equal(c->mqtt.session_expiry_ms, 604800000); /* 7 d = 7 * 86 400 000 */
    assert_false(c->mqtt.clean_session);
    assert_int_equal(c->mqtt.reconnect_min_ms, 1000);
    assert_int_equal(c->mqtt.reconnect_max_ms, 60000);
    assert_int_equal(c->mqtt.silent_after_ms, 600000);
    assert_null(c->mqtt.tls.ca_file);
    assert_null(c->mqtt.tls.cert_file);
    assert_false(c->mqtt.tls.is_insecure);
    assert_string_equal(c->storage.path, "/var/lib/collector/collector.db");
    assert_int_equal(c->storage.synchronous, STORE_SYNC_FULL);
    assert_int_equal(c->storage.synchronous, 1);
    assert_int_equal(c->storage.busy_timeout_ms, 5000);
    assert_int_equal(c->storage.max_size, 0);
    assert_int_equal(c->storage.retention.raw_ms, 2592000000LL);      /* 30 d */
    assert_int_equal(c->storage.retention.hourly_ms, 157680000000LL); /* 1825 d */
    assert_int_equal(c->storage.retention.rejects_ms, 2592000000LL);
    assert_int_equal(c->storage.retention.rejects_max_rows, 10000);
    assert_int_equal(c->ingest.max_future_ms, 300000); /* 5 m */
    assert_int_equal(c->ingest.max_age_ms, 0);
    assert_int_equal(c->ingest.max_payload, 65536); /* 64 KiB */
    assert_int_equal(c->ingest.max_fields, 256);
    assert_int_equal(c->ingest.batch_max, 500);
    assert_int_equal(c->ingest.batch_ms, 10);
    assert_string_equal(c->ingest.hj212_listen, "");
    assert_string_equal(c->devices.profiles, "/usr/share/collector/profiles");
    assert_null(c->devices.registry);
    assert_int_equal(c->devices.unknown, UNKNOWN_REJECT);
    assert_int_equal(c->rules.paths.n, 0);
    assert_null(c->alerts.channels);
    assert_null(c->upload.url);
    assert_string_equal(c->upload.at, "02:00");
    assert_string_equal(c->http.listen, "127.0.0.1:9464");
    assert_int_equal(c->log.level, 2); /* error, warn, info */
    assert_false(c->log.use_syslog);
}

static void test_defaults_empty_file(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load_ok(fx, "");

    check_defaults(c);
    assert_string_equal(c->file, fx->path);
    assert_string_equal(c->dir, fx->dir);
    config_free(c);

    c = load_ok(fx, "# only a comment\n");
    check_defaults(c);
    config_free(c);
}

static void test_defaults_empty_sections(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load_ok(fx, "mqtt:\nstorage: ~\ningest: {}\nlog: null\n");

    check_defaults(c);
    config_free(c);
    /* An unknown section is an error even when it is empty. */
    expect_one_error(fx, "mqtt:\nbogus: ~\n", ":2: unknown key 'bogus'");
}

/* ---- values ---- */

static void test_values_and_paths(void **state)
{
    struct fixture *fx = *state;
    char want[400];
    struct config *c;

    snprintf(want, sizeof(want), "%s/k.pem", fx->dir);
    write_at(want, "key\n");
    c = load_ok(fx, "gateway: {id: gw-7}\n"
                    "mqtt:\n"
                    "  host: broker.local\n"
                    "  port: 8883\n"
                    "  topics: [\"xh/air/#\", \"$share/g/xh/water/#\"]\n"
                    "  qos: 0\n"
                    "  protocol: 3.1.1\n"
                    "  keepalive: 1m\n"
                    "  clean_session: yes\n"
                    "  tls:\n"
                    "    ca_file: certs/ca.pem\n"
                    "    cert_file: /etc/ssl/c.pem\n"
                    "    key_file: k.pem\n"
                    "    insecure: on\n"
                    "storage:\n"
                    "  path: data/c.db\n"
                    "  synchronous: normal\n"
                    "  max_size: 8GiB\n"
                    "  retention: {raw: 7d, rejects_max_rows: 500}\n"
                    "ingest: {max_payload: 1MiB, max_future: 90s}\n"
                    "devices: {registry: reg.yaml, unknown: register}\n"
                    "rules: {paths: [rules, /abs/rules.yaml]}\n"
                    "log: {level: debug, syslog: true}\n");

    assert_string_equal(c->gateway.id, "gw-7");
    assert_string_equal(c->mqtt.host, "broker.local");
    assert_int_equal(c->mqtt.port, 8883);
    assert_int_equal(c->mqtt.topics.n, 2);
    assert_string_equal(c->mqtt.topics.v[1], "$share/g/xh/water/#");
    assert_int_equal(c->mqtt.qos, 0);
    assert_int_equal(c->mqtt.protocol, MQTT_V311);
    assert_int_equal(c->mqtt.keepalive_ms, 60000);
    assert_true(c->mqtt.clean_session);
    assert_true(c->mqtt.tls.is_insecure);
    /* Relative paths are resolved against the config file's directory. */
    snprintf(want, sizeof(want), "%s/certs/ca.pem", fx->dir);
    assert_string_equal(c->mqtt.tls.ca_file, want);
    assert_string_equal(c->mqtt.tls.cert_file, "/etc/ssl/c.pem");
    snprintf(want, sizeof(want), "%s/k.pem", fx->dir);
    assert_string_equal(c->mqtt.tls.key_file, want);
    snprintf(want, sizeof(want), "%s/data/c.db", fx->dir);
    assert_string_equal(c->storage.path, want);
    assert_int_equal(c->storage.synchronous, STORE_SYNC_NORMAL);
    assert_int_equal(c->storage.retention.raw_ms, 604800000); /* 7 * 86 400 000 */
    assert_int_equal(c->storage.retention.hourly_ms, 157680000000LL);
    assert_int_equal(c->storage.retention.rejects_max_rows, 500);
    assert_int_equal(c->ingest.max_payload, 1048576);
    assert_int_equal(c->storage.max_size, 8589934592LL); /* 8 GiB = 8 * 1024^3 */
    assert_int_equal(c->ingest.max_future_ms, 90000);
    snprintf(want, sizeof(want), "%s/reg.yaml", fx->dir);
    assert_string_equal(c->devices.registry, want);
    assert_int_equal(c->devices.unknown, UNKNOWN_REGISTER);
    assert_int_equal(c->rules.paths.n, 2);
    snprintf(want, sizeof(want), "%s/rules", fx->dir);
    assert_string_equal(c->rules.paths.v[0], want);
    assert_string_equal(c->rules.paths.v[1], "/abs/rules.yaml");
    assert_int_equal(c->log.level, 3);
    assert_true(c->log.use_syslog);
    config_free(c);
}

static void test_single_value_as_list(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load_ok(fx, "mqtt:\n  topics: xh/only/#\n");

    assert_int_equal(c->mqtt.topics.n, 1);
    assert_string_equal(c->mqtt.topics.v[0], "xh/only/#");
    config_free(c);
}

/* ---- errors ---- */

static void test_every_error_kind_in_one_load(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load(fx,
                            "mqtt:\n"                     /* 1 */
                            "  port: abc\n"               /* 2 */
                            "  qos: 3\n"                  /* 3 */
                            "  protocol: \"4\"\n"         /* 4 */
                            "  keepalive: soon\n"         /* 5 */
                            "  clean_session: maybe\n"    /* 6 */
                            "  tls:\n"                    /* 7 */
                            "    bogus: 1\n"              /* 8 */
                            "storage:\n"                  /* 9 */
                            "  synchronous: fast\n"       /* 10 */
                            "ingest:\n"                   /* 11 */
                            "  max_payload: 10 parsecs\n" /* 12 */
                            "bogus_section: 1\n",         /* 13 */
                            NULL, 0);

    assert_null(c);
    /* Reported in table order, unknown keys after each section's known ones. */
    assert_int_equal(fx->d.n_errors, 9);
    expect_msg(fx, 0, ":2: 'port' must be an integer, not 'abc'");
    expect_msg(fx, 1, ":3: 'qos' = 3 is out of range [0, 1]");
    expect_msg(fx, 2, ":4: 'protocol' must be one of 3.1.1, 5, not '4'");
    expect_msg(fx, 3,
               ":5: 'keepalive' must be a duration such as 500ms, 30s, 5m, 2h, 30d, "
               "not 'soon'");
    expect_msg(fx, 4, ":6: 'clean_session' must be true or false, not 'maybe'");
    expect_msg(fx, 5, ":8: unknown key 'mqtt.tls.bogus'");
    expect_msg(fx, 6, ":10: 'synchronous' must be one of normal, full, not 'fast'");
    expect_msg(fx, 7,
               ":12: 'max_payload' must be a size such as 512, 64KiB, 10MB, "
               "not '10 parsecs'");
    expect_msg(fx, 8, ":13: unknown key 'bogus_section'");
}

static void test_range_and_shape_errors(void **state)
{
    struct fixture *fx = *state;

    expect_one_error(fx, "mqtt:\n  port: 70000\n", ":2: 'port' = 70000 is out of range [1, 65535]");
    expect_one_error(fx, "mqtt:\n  port: 0\n", ":2: 'port' = 0 is out of range [1, 65535]");
    expect_one_error(fx, "mqtt:\n  port: 1883.5\n", ":2: 'port' must be an integer, not '1883.5'");
    /* 1 s is below the 5 s keepalive minimum (bounds in ms). */
    expect_one_error(fx, "mqtt:\n  keepalive: 1s\n",
                     ":2: 'keepalive' = 1s is out of range [5000, 65535000]");
    expect_one_error(fx, "ingest:\n  max_payload: 8\n",
                     ":2: 'max_payload' = 8 is out of range [16, 16777216]");
    expect_one_error(fx, "mqtt: 5\n", ":1: 'mqtt' must be a mapping");
    expect_one_error(fx, "mqtt:\n  tls: [a]\n", ":2: 'mqtt.tls' must be a mapping");
    expect_one_error(fx, "mqtt:\n  host: {a: 1}\n", ":2: 'host' must be a single value");
    expect_one_error(fx, "mqtt:\n  topics: {a: 1}\n", ":2: 'topics' must be a list of values");
    expect_one_error(fx, "mqtt:\n  topics: [[a]]\n", ":2: 'topics' entries must be single values");
    expect_one_error(fx, "log:\n  level: loud\n",
                     ":2: 'level' must be one of error, warn, info, debug, not 'loud'");
    expect_one_error(fx, "storage:\n  retention:\n    raw: -1d\n",
                     ":3: 'raw' must be a duration such as 500ms, 30s, 5m, 2h, 30d, not '-1d'");
}

/* QoS 2 and a persistent session that the broker ends at once would break the
 * delivery guarantee: refused with the reason, at the line that says it. */
static void test_guarantee_refusals(void **state)
{
    struct fixture *fx = *state;
    static const char *const qos2[] = {"mqtt.qos=2"};
    struct config *c;

    expect_one_error(fx, "gateway: {id: g}\nmqtt:\n  qos: 2\n",
                     ":3: mqtt.qos: QoS 2 is refused: libmosquitto answers a QoS 2 message with "
                     "PUBREC, which hands it over, before the collector sees it, so it would be "
                     "acknowledged before it is on disk; use 1");
    cap_init(&fx->cap, &fx->d);
    assert_null(load(fx, "", qos2, 1));
    assert_int_equal(fx->d.n_errors, 1);
    assert_non_null(strstr(fx->cap.msg[0], "--set:1: mqtt.qos: QoS 2 is refused"));
    expect_one_error(fx, "mqtt:\n  session_expiry: 0\n",
                     ":2: mqtt.session_expiry must be more than 0 with a persistent session "
                     "(clean_session off): with 0 the broker ends the session when the collector "
                     "disconnects and drops the messages queued for it");
    /* Fine with a clean session, and with MQTT 3.1.1 (which has no expiry). */
    c = load_ok(fx, "mqtt:\n  session_expiry: 0\n  clean_session: true\n");
    config_free(c);
    c = load_ok(fx, "mqtt:\n  session_expiry: 0\n  protocol: 3.1.1\n");
    config_free(c);
    c = load_ok(fx, "ingest:\n  batch_max: 64\n  batch_ms: 2ms\n");
    assert_int_equal(c->ingest.batch_max, 64);
    assert_int_equal(c->ingest.batch_ms, 2);
    config_free(c);
}

static void test_file_errors(void **state)
{
    struct fixture *fx = *state;
    struct config *c;
    char path[400];

    /* Not a mapping. */
    expect_one_error(fx, "- a\n- b\n", ":1: the configuration must be a mapping of sections");
    /* A YAML syntax error keeps its line. */
    c = load(fx, "mqtt:\n  port: 1\n   host: x\n", NULL, 0);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    snprintf(path, sizeof(path), "%s:3: ", fx->path);
    assert_true(strncmp(fx->cap.msg[0], path, strlen(path)) == 0);
    /* A missing file. */
    cap_init(&fx->cap, &fx->d);
    snprintf(path, sizeof(path), "%s/missing.yaml", fx->dir);
    assert_null(config_load(path, NULL, 0, &fx->d));
    assert_int_equal(fx->d.n_errors, 1);
    assert_true(strncmp(fx->cap.msg[0], path, strlen(path)) == 0);
    assert_non_null(strstr(fx->cap.msg[0], "cannot open"));
}

static void test_cross_checks(void **state)
{
    struct fixture *fx = *state;

    expect_one_error(fx, "mqtt:\n  reconnect_min: 2m\n  reconnect_max: 1m\n",
                     ": mqtt.reconnect_min is larger than mqtt.reconnect_max");
    expect_one_error(fx, "mqtt:\n  tls: {cert_file: /c.pem}\n",
                     ":2: mqtt.tls.cert_file and mqtt.tls.key_file go together");
    expect_one_error(fx, "mqtt:\n  topics: []\n",
                     ": mqtt.topics must list at least one subscription");
    expect_one_error(fx, "gateway:\n  id: \"\"\n", ": gateway.id must not be empty");
    expect_one_error(fx, "upload:\n  at: \"24:00\"\n",
                     ": upload.at must be a local time HH:MM, not '24:00'");
    expect_one_error(fx, "upload:\n  auth: bearer\n",
                     ": upload.auth: bearer needs upload.token_file");
    expect_one_error(fx, "upload:\n  auth: sigv4\n  aws_region: r\n",
                     ": upload.auth: sigv4 needs upload.aws_region, upload.aws_access_key_id and "
                     "upload.aws_secret_file");
    expect_one_error(fx, "upload:\n  url: \"https://u:p@pool.example/x\"\n",
                     ": upload.url must not carry credentials; use upload.auth");
    expect_one_error(fx, "upload:\n  url: \"https://pool.example/x?sig=1\"\n",
                     ": upload.url is a base URL: no query string or fragment");
    expect_one_error(fx, "upload:\n  url: ftp://pool.example/\n",
                     ": upload.url must start with http:// or https://");
    expect_one_error(fx, "ingest:\n  hj212_allow: [127.0.0.1/32, 10.0.0.1/8]\n",
                     ":2: ingest.hj212_allow: '10.0.0.1/8' is not a network: host bits are set "
                     "beyond the prefix (write the network address)");
    expect_one_error(fx, "ingest:\n  hj212_allow: [gateway.local]\n",
                     ":2: ingest.hj212_allow: 'gateway.local' is not a network: the address is "
                     "neither IPv4 nor IPv6");
}

/* The HJ 212 listener's limits: defaults, and an allow list of both families. */
static void test_hj212_listener_keys(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load_ok(fx, "");

    assert_int_equal(c->ingest.hj212_allow.n, 0);
    assert_false(c->ingest.hj212_require_password);
    assert_null(c->ingest.hj212_password_dir);
    assert_int_equal(c->ingest.hj212_max_connections, 64);
    assert_int_equal(c->ingest.hj212_max_per_address, 8);
    assert_int_equal(c->ingest.hj212_first_packet_timeout_ms, 10000);
    assert_int_equal(c->ingest.hj212_idle_timeout_ms, 15 * 60 * 1000);
    assert_int_equal(c->ingest.hj212_write_timeout_ms, 15000);
    config_free(c);
    c = load_ok(fx, "ingest:\n  hj212_allow: [10.20.0.0/16, \"2001:db8::/32\"]\n"
                    "  hj212_require_password: true\n  hj212_password_dir: hjpw\n");
    assert_int_equal(c->ingest.hj212_allow.n, 2);
    assert_string_equal(c->ingest.hj212_allow.v[1], "2001:db8::/32");
    assert_true(c->ingest.hj212_require_password);
    assert_non_null(strstr(c->ingest.hj212_password_dir, "/hjpw")); /* beside the config */
    config_free(c);
    expect_one_error(fx, "ingest:\n  hj212_max_connections: 0\n",
                     ":2: 'hj212_max_connections' = 0 is out of range [1, 4096]");
}

/* ---- --set ---- */

static void test_set_overrides(void **state)
{
    struct fixture *fx = *state;
    static const char *const sets[] = {
        "mqtt.port=1884",           "upload.url=http://pool.example/a=b",
        "storage.retention.raw=7d", "mqtt.tls.insecure=true",
        "mqtt.port=1885", /* the last one wins */
    };
    struct config *c = load(fx, "mqtt:\n  port: 1000\n  host: h\n", sets, 5);

    if (!c)
        print_error("%s\n", fx->cap.msg[0]);
    assert_non_null(c);
    assert_int_equal(fx->d.n_errors, 0);
    assert_int_equal(c->mqtt.port, 1885);
    assert_string_equal(c->mqtt.host, "h");
    /* upload had no section in the file: created; only the first '=' splits. */
    assert_string_equal(c->upload.url, "http://pool.example/a=b");
    assert_string_equal(c->upload.at, "02:00");
    assert_int_equal(c->storage.retention.raw_ms, 604800000);
    assert_true(c->mqtt.tls.is_insecure);
    config_free(c);

    /* On an empty file too. */
    c = load(fx, "", sets, 1);
    assert_non_null(c);
    assert_int_equal(c->mqtt.port, 1884);
    config_free(c);
}

static void test_set_errors(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad_form[] = {"noequals", "mqtt.port=1", "nodot=1", "=5"};
    static const char *const bad_path[] = {"mqtt.port.x=1"};
    static const char *const bad_value[] = {"mqtt.port=abc"};
    static const char *const unknown[] = {"mqtt.bogus=1"};
    struct config *c;

    c = load(fx, "", bad_form, 4);
    config_free(c);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 3);
    assert_string_equal(fx->cap.msg[0], "--set:1: 'noequals' is not section.key=value");
    assert_string_equal(fx->cap.msg[1], "--set:3: 'nodot=1' is not section.key=value");
    assert_string_equal(fx->cap.msg[2], "--set:4: '=5' is not section.key=value");

    c = load(fx, "mqtt:\n  port: 1\n", bad_path, 1);
    config_free(c);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    assert_string_equal(fx->cap.msg[0],
                        "--set:1: 'mqtt.port.x' does not name a key inside a section");

    /* Values from --set are checked like file values, and located at their --set. */
    c = load(fx, "", bad_value, 1);
    config_free(c);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    assert_string_equal(fx->cap.msg[0], "--set:1: 'port' must be an integer, not 'abc'");

    c = load(fx, "", unknown, 1);
    config_free(c);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    assert_string_equal(fx->cap.msg[0], "--set:1: unknown key 'mqtt.bogus'");
}

/* ---- the generated reference ---- */

static void test_reference_loads_back(void **state)
{
    struct fixture *fx = *state;
    struct config *c;
    FILE *f = fopen(fx->path, "w");

    assert_non_null(f);
    config_write_reference(f, false);
    fclose(f);
    cap_init(&fx->cap, &fx->d);
    c = config_load(fx->path, NULL, 0, &fx->d);
    if (!c)
        print_error("%s\n", fx->cap.msg[0]);
    assert_non_null(c);
    assert_int_equal(fx->d.n_errors, 0);
    check_defaults(c);
    config_free(c);
}

/* Values given for a key replace its default in the YAML; a misspelt key is an error. */
static void test_reference_with_values(void **state)
{
    struct fixture *fx = *state;
    static const char *const values[] = {"rules.paths=[\"/usr/share/collector/rules\"]",
                                         "devices.registry=\"/etc/collector/registry.yaml\""};
    static const char *const typo[] = {"rules.path=[]"};
    struct config *c;
    FILE *f = fopen(fx->path, "w");

    assert_non_null(f);
    assert_int_equal(config_write_ref(f, CONFIG_REF_YAML, values, 2), 0);
    fclose(f);
    cap_init(&fx->cap, &fx->d);
    c = config_load(fx->path, NULL, 0, &fx->d);
    assert_non_null(c);
    assert_int_equal(c->rules.paths.n, 1);
    assert_string_equal(c->rules.paths.v[0], "/usr/share/collector/rules");
    assert_string_equal(c->devices.registry, "/etc/collector/registry.yaml");
    assert_string_equal(c->mqtt.host, "127.0.0.1"); /* the others keep their defaults */
    config_free(c);

    f = fopen("/dev/null", "w");
    assert_non_null(f);
    assert_int_equal(config_write_ref(f, CONFIG_REF_YAML, typo, 1), COL_ERR_CONFIG);
    assert_int_equal(config_write_ref(f, CONFIG_REF_MAN, values, 1), COL_ERR_CONFIG);
    assert_int_equal(config_write_ref(f, CONFIG_REF_MAN, NULL, 0), 0);
    fclose(f);
}

/* ---- allocation failures ---- */

static const char alloc_doc[] = "gateway: {id: gw}\n"
                                "mqtt:\n"
                                "  host: ${TEST_CONFIG_ALLOC_UNSET:-h}\n"
                                "  topics: [a/#, b/#]\n"
                                "  password_file: secret.txt\n"
                                "  tls: {ca_file: ca.pem}\n"
                                "storage: {path: db/c.db, retention: {raw: 1d}}\n"
                                "rules: {paths: [r1, r2]}\n"
                                "alerts:\n"
                                "  channels:\n"
                                "    - {type: webhook, url: \"http://x\"}\n";

static void test_load_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    static const char *const sets[] = {"upload.url=http://u", "mqtt.port=1884"};
    char secret[400];
    struct config *c;
    long total;
    int n_incomplete = 0, n_silent = 0;

    snprintf(secret, sizeof(secret), "%s/secret.txt", fx->dir);
    write_at(secret, "pw\n");
    write_at(fx->path, alloc_doc);
    cap_init(&fx->cap, &fx->d);
    xalloc_fail_at(0);
    c = config_load(fx->path, sets, 2, &fx->d);
    total = xalloc_count();
    assert_non_null(c);
    assert_int_equal(fx->d.n_errors, 0);
    config_free(c);
    assert_true(total > 20);

    /* Run every n to the end (no crash, no leak), then judge what came back. */
    for (long n = 1; n <= total + 1; n++) {
        cap_init(&fx->cap, &fx->d);
        xalloc_fail_at(n);
        c = config_load(fx->path, sets, 2, &fx->d);
        xalloc_fail_at(0);
        if (c) {
            /* A config that comes back is complete: nothing was silently dropped. */
            if (!c->alerts.channels || !c->mqtt.password || !c->upload.url ||
                c->mqtt.port != 1884 || fx->d.n_errors != 0) {
                print_error("allocation %ld failed and config_load returned an incomplete "
                            "config (channels %p, password %p)\n",
                            n, (void *)c->alerts.channels, (void *)c->mqtt.password);
                n_incomplete++;
            }
            config_free(c);
        } else {
            assert_true(n <= total);
            /* A failure is always reported, so `collector` never exits without a word. */
            if (fx->d.n_errors < 1) {
                print_error("allocation %ld failed and config_load returned NULL silently\n", n);
                n_silent++;
            }
        }
    }
    xalloc_fail_at(0);
    assert_int_equal(n_incomplete, 0);
    assert_int_equal(n_silent, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_empty_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_value_as_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_error_kind_in_one_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_and_shape_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guarantee_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hj212_listener_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_loads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_with_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_allocation_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
