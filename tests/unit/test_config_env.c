/*
 * Tests of the configuration loader's outside inputs (collector/config.h):
 * ${ENV} expansion through a fake lookup and in a file, password_file and
 * other secret files with their permissions, TLS files, and alerts.channels
 * kept as a node tree after the document is freed.
 */
#include "config_fixture.h"

#include <sys/wait.h>

#include "xalloc.h"
#include "ydoc.h"

/* ---- environment ---- */

static const char *fake_env(const char *name)
{
    static char long_value[301];

    if (strcmp(name, "A") == 0)
        return "alpha";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    if (strcmp(name, "LONG") == 0) {
        memset(long_value, 'x', 300);
        long_value[300] = '\0';
        return long_value;
    }
    return NULL;
}

static void expand_ok(const char *in, const char *want)
{
    char err[256] = "";
    char *out = config_expand_env(in, fake_env, err, sizeof(err));

    if (!out)
        print_error("'%s': %s\n", in, err);
    assert_non_null(out);
    assert_string_equal(out, want);
    xfree(out);
}

static void expand_bad(const char *in, const char *want_err)
{
    char err[256] = "";
    char *out = config_expand_env(in, fake_env, err, sizeof(err));

    xfree(out);
    assert_null(out);
    assert_string_equal(err, want_err);
}

static void test_expand_env(void **state)
{
    char big[700];

    expand_ok("${A}", "alpha");
    expand_ok("x${A}y${A}", "xalphayalpha");
    expand_ok("${A:-d}", "alpha");
    expand_ok("${UNSET:-d}", "d");
    expand_ok("${UNSET:-}", "");
    expand_ok("${UNSET:-a b/c}", "a b/c");
    expand_ok("${EMPTY:-d}", "d"); /* ":-" also replaces an empty value */
    expand_ok("${EMPTY}", "");
    expand_ok("$$", "$");
    expand_ok("a$$b", "a$b");
    expand_ok("$$${A}", "$alpha");
    expand_ok("$${A}", "${A}");
    expand_ok("$A", "$A");
    expand_ok("cost 5$", "cost 5$");
    expand_ok("", "");
    expand_ok("plain text", "plain text");
    /* 300 + 300 bytes: the output grows past its first allocation. */
    memset(big, 'x', 600);
    big[600] = '\0';
    expand_ok("${LONG}${LONG}", big);

    expand_bad("${UNSET}", "environment variable UNSET is not set");
    expand_bad("pre ${UNSET} post", "environment variable UNSET is not set");
    expand_bad("${A", "unterminated ${ in '${A'");
    expand_bad("x${", "unterminated ${ in 'x${'");
    expand_bad("${}", "bad variable name in '${}'");
    expand_bad("${A-B}", "bad variable name 'A-B'");
    expand_bad("${A:=x}", "only ${NAME} and ${NAME:-default} are supported");
}

static void test_env_in_file(void **state)
{
    struct fixture *fx = *state;
    struct config *c;

    assert_int_equal(setenv("TEST_CONFIG_HOST", "broker.example", 1), 0);
    unsetenv("TEST_CONFIG_UNSET_9F3");
    c = load_ok(fx, "mqtt:\n"
                    "  host: ${TEST_CONFIG_HOST}\n"
                    "  username: ${TEST_CONFIG_UNSET_9F3:-collector}\n"
                    "  port: ${TEST_CONFIG_UNSET_9F3:-1999}\n");
    assert_string_equal(c->mqtt.host, "broker.example");
    assert_string_equal(c->mqtt.username, "collector");
    assert_int_equal(c->mqtt.port, 1999);
    config_free(c);

    expect_one_error(fx, "mqtt:\n  host: h\n  password: ${TEST_CONFIG_UNSET_9F3}\n",
                     ":3: environment variable TEST_CONFIG_UNSET_9F3 is not set");
    unsetenv("TEST_CONFIG_HOST");
}

/* ---- secrets ---- */

static void test_password_file(void **state)
{
    struct fixture *fx = *state;
    char secret[400];
    struct config *c;

    snprintf(secret, sizeof(secret), "%s/secret.txt", fx->dir);
    write_at(secret, "s3cret\nsecond line\n");
    c = load_ok(fx, "mqtt:\n  password_file: secret.txt\n");
    assert_string_equal(c->mqtt.password_file, secret);
    assert_string_equal(c->mqtt.password, "s3cret");
    config_free(c);

    /* CRLF and no final newline. */
    write_at(secret, "pw\r\n");
    c = load_ok(fx, "mqtt:\n  password_file: secret.txt\n");
    assert_string_equal(c->mqtt.password, "pw");
    config_free(c);
    write_at(secret, "last");
    c = load_ok(fx, "mqtt:\n  password_file: secret.txt\n");
    assert_string_equal(c->mqtt.password, "last");
    config_free(c);

    /* password_file wins over an inline password. */
    c = load_ok(fx, "mqtt:\n  password: inline\n  password_file: secret.txt\n");
    assert_string_equal(c->mqtt.password, "last");
    config_free(c);

    unlink(secret);
    c = load(fx, "mqtt:\n  password_file: secret.txt\n", NULL, 0);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    snprintf(secret, sizeof(secret),
             ":2: mqtt.password_file %s/secret.txt: No such file or directory", fx->dir);
    expect_msg(fx, 0, secret);
}

/* Secret files others may read are refused with the file's name and mode. */
static void test_loose_secret_files(void **state)
{
    struct fixture *fx = *state;
    char secret[400], want[600];
    struct config *c;

    snprintf(secret, sizeof(secret), "%s/secret.txt", fx->dir);
    write_at(secret, "s3cret\n");
    assert_int_equal(chmod(secret, 0644), 0);
    c = load(fx, "mqtt:\n  username: u\n  password_file: secret.txt\n", NULL, 0);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    snprintf(want, sizeof(want),
             ":3: mqtt.password_file %s: permissions 0644 are too open: a secret file must "
             "not be accessible by group or others (chmod 600 it)",
             secret);
    expect_msg(fx, 0, want);
    assert_null(strstr(fx->cap.msg[0], "s3cret\n"));

    /* Private keys that libraries read: the mode is checked, the key is not read. */
    assert_int_equal(chmod(secret, 0640), 0);
    c = load(fx,
             "mqtt:\n  tls:\n    ca_file: ca.pem\n    cert_file: c.pem\n"
             "    key_file: secret.txt\n",
             NULL, 0);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    snprintf(want, sizeof(want), ":5: mqtt.tls.key_file %s: permissions 0640 are too open", secret);
    assert_non_null(strstr(fx->cap.msg[0], want + 1));
    c = load(fx, "upload:\n  client_cert: c.pem\n  client_key: secret.txt\n", NULL, 0);
    assert_null(c);
    assert_non_null(strstr(fx->cap.msg[0], ":3: upload.client_key "));
    assert_non_null(strstr(fx->cap.msg[0], "permissions 0640"));

    /* Private again: accepted. */
    assert_int_equal(chmod(secret, 0400), 0);
    c = load_ok(fx, "upload:\n  client_cert: c.pem\n  client_key: secret.txt\n");
    config_free(c);
}

/* A client certificate without a CA would leave TLS off: plaintext. */
static void test_tls_cert_without_ca(void **state)
{
    struct fixture *fx = *state;
    char key[400];
    const char *const sets[] = {"mqtt.tls.cert_file=c.pem"};
    struct config *c;

    snprintf(key, sizeof(key), "%s/k.pem", fx->dir);
    write_at(key, "key\n");
    expect_one_error(fx, "mqtt:\n  tls:\n    cert_file: c.pem\n    key_file: k.pem\n",
                     ":3: mqtt.tls.cert_file and key_file need mqtt.tls.ca_file or ca_path: "
                     "without a CA to verify the broker TLS is off and the connection would be "
                     "plaintext");
    c = load_ok(fx, "mqtt:\n  tls: {ca_path: /etc/ssl/certs, cert_file: c.pem, key_file: k.pem}\n");
    config_free(c);
    /* Set on the command line: the error names the --set. */
    c = load(fx, "mqtt:\n  tls: {key_file: k.pem}\n", sets, 1);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    assert_true(strncmp(fx->cap.msg[0], "--set:1: mqtt.tls.cert_file and key_file need", 45) == 0);
}

/* ---- alerts.channels ---- */

static const char channels_doc[] = "alerts:\n"                                  /* 1 */
                                   "  channels:\n"                              /* 2 */
                                   "    - {type: webhook, url: \"http://x\"}\n" /* 3 */
                                   "    - type: mqtt\n"                         /* 4 */
                                   "      topic: a/b\n";                        /* 5 */

static void test_alert_channels_kept(void **state)
{
    struct fixture *fx = *state;
    struct config *c = load_ok(fx, channels_doc);
    const struct ynode *ch = c->alerts.channels;

    /* The document is freed by now; the subtree must have been detached from it. */
    assert_non_null(ch);
    assert_int_equal(ch->kind, YNODE_SEQ);
    assert_int_equal(ch->n, 2);
    assert_int_equal(ch->items[0]->kind, YNODE_MAP);
    assert_int_equal(ch->items[0]->line, 3);
    assert_string_equal(ynode_get(ch->items[0], "type")->scalar, "webhook");
    assert_string_equal(ynode_get(ch->items[0], "url")->scalar, "http://x");
    assert_int_equal(ch->items[1]->line, 4);
    assert_string_equal(ynode_get(ch->items[1], "topic")->scalar, "a/b");
    assert_int_equal(ynode_get(ch->items[1], "topic")->line, 5);
    config_free(c);
}

/* Child side of test_alert_channels_file_name: 0 when node->file still names the file. */
static int check_channel_file(const char *path)
{
    struct diag d = {0};
    struct config *c = config_load(path, NULL, 0, &d);
    const struct ynode *ch;
    int bad;

    if (!c)
        return 2;
    ch = c->alerts.channels;
    /* The alerts module reports "file:line" through ynode_error(), which reads node->file. */
    bad = !ch || !ch->file || strcmp(ch->file, path) != 0 ||
          strcmp(ynode_get(ch->items[0], "type")->file, path) != 0;
    config_free(c);
    return bad;
}

static void test_alert_channels_file_name(void **state)
{
    struct fixture *fx = *state;
    pid_t pid;
    int status = 0;

    /* Run in a child: reading a freed file name aborts under ASan. */
    write_at(fx->path, channels_doc);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(check_channel_file(fx->path));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        print_error("alerts.channels nodes do not name their file after config_load\n");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_env),
        cmocka_unit_test_setup_teardown(test_env_in_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loose_secret_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_cert_without_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_channels_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_channels_file_name, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
