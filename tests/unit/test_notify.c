/*
 * Tests of the notify module's configuration and routing (collector/notify.h):
 * every channel type with its keys, secret files relative to the config
 * directory, the routing filters, every kind of error with its exact
 * "file:LINE: ..." text, and an allocation-failure loop over
 * notify_channels_load. The e-mail formatting is tested through
 * notify_smtp.c itself: a UTF-8 subject in RFC 2047 words and a base64 body.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../collector/alerts/notify_smtp.c"
#include "diag.h"
#include "alerts/notify.h"
#include "xalloc.h"
#include "ydoc.h"

#define CAP_MAX 32

struct fixture {
    char dir[64];
    char path[320];
    int n;
    char msg[CAP_MAX][512];
    struct diag d;
    struct ydoc *doc;
};

static void cap_emit(void *ud, const char *msg)
{
    struct fixture *fx = ud;

    if (fx->n < CAP_MAX)
        snprintf(fx->msg[fx->n], sizeof(fx->msg[0]), "%s", msg);
    fx->n++;
}

static void write_at(const char *dir, const char *name, const char *text)
{
    char path[400];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0); /* secret files must be private (secret.h) */
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_notify.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/alerts.yaml", fx->dir);
    write_at(fx->dir, "hook.secret", "s3cret-hook\n");
    write_at(fx->dir, "smtp.pass", "s3cret-mail\r\n");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *dh = opendir(fx->dir);
    struct dirent *de;
    char path[400];

    while (dh && (de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
        unlink(path);
    }
    if (dh)
        closedir(dh);
    rmdir(fx->dir);
    ydoc_free(fx->doc);
    free(fx);
    return 0;
}

/* Parse @yaml (a document with a top-level `channels:`) and load its channels. */
static struct notify_channels *load(struct fixture *fx, const char *yaml)
{
    char err[256];

    write_at(fx->dir, "alerts.yaml", yaml);
    ydoc_free(fx->doc);
    fx->doc = ydoc_load(fx->path, err, sizeof(err));
    if (!fx->doc)
        print_error("%s\n", err);
    assert_non_null(fx->doc);
    fx->n = 0;
    memset(&fx->d, 0, sizeof(fx->d));
    fx->d.emit = cap_emit;
    fx->d.ud = fx;
    return notify_channels_load(ynode_get(fx->doc->root, "channels"), fx->dir, &fx->d);
}

static const char all_types[] =
    "channels:\n"
    "  - name: ops-hook\n" /* 2 */
    "    type: webhook\n"
    "    url: https://hooks.example/collector\n"
    "    secret_file: hook.secret\n"
    "    severities: [major, critical]\n"
    "    domains: air\n"
    "    events: [firing, resolved]\n"
    "  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9093', repost: 90s}\n"
    "  - {name: bus, type: mqtt, topic: xh/alerts, host: broker.example, port: 8883}\n"
    "  - name: mail\n"
    "    type: smtp\n"
    "    url: smtps://mail.example:465\n"
    "    from: collector@example\n"
    "    to: ops@example\n"
    "    username: collector\n"
    "    password_file: smtp.pass\n"
    "    expire: 2h\n"
    "    backoff_min: 5s\n"
    "    backoff_max: 10m\n";

static void test_every_type(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs = load(fx, all_types);

    if (!cs)
        print_error("%s\n", fx->msg[0]);
    assert_non_null(cs);
    assert_int_equal(fx->n, 0);
    assert_int_equal(notify_channels_count(cs), 4);
    assert_string_equal(notify_channel_name(cs, 0), "ops-hook");
    assert_string_equal(notify_channel_name(cs, 3), "mail");
    assert_string_equal(cs->v[0].secret, "s3cret-hook");
    assert_string_equal(cs->v[3].password, "s3cret-mail");
    assert_int_equal(cs->v[3].expire_ms, 2 * 3600 * 1000);
    assert_int_equal(cs->v[3].backoff_min_ms, 5000);
    assert_int_equal(cs->v[3].backoff_max_ms, 600000);
    assert_int_equal(cs->v[3].n_to, 1);
    assert_true(cs->v[3].use_starttls);
    assert_int_equal(cs->v[1].repost_ms, 90000);
    assert_int_equal(cs->v[0].expire_ms, 24 * 3600 * 1000); /* defaults */
    assert_int_equal(cs->v[0].backoff_min_ms, 1000);
    assert_int_equal(cs->v[0].backoff_max_ms, 300000);
    assert_int_equal(cs->v[0].timeout_ms, 10000);
    assert_int_equal(cs->v[0].repost_ms, 60000);
    assert_string_equal(cs->v[2].host, "broker.example");
    assert_int_equal(cs->v[2].port, 8883);
    notify_channels_free(cs);
}

static void test_routing(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs = load(fx, all_types);

    assert_non_null(cs);
    assert_true(notify_channel_wants(cs, 0, "critical", "air", "firing"));
    assert_true(notify_channel_wants(cs, 0, "major", "air", "resolved"));
    assert_false(notify_channel_wants(cs, 0, "warning", "air", "firing"));
    assert_false(notify_channel_wants(cs, 0, "critical", "water", "firing"));
    assert_false(notify_channel_wants(cs, 0, "critical", NULL, "firing"));
    assert_false(notify_channel_wants(cs, 0, "critical", "air", "reminder"));
    assert_false(notify_channel_wants(cs, 0, "bogus", "air", "firing"));
    /* No filters: everything, even values this version does not know. */
    assert_true(notify_channel_wants(cs, 2, "info", NULL, "reminder"));
    assert_true(notify_channel_wants(cs, 2, "bogus", "anything", "other"));
    /* Alertmanager: no reminders unless asked for (it repeats by itself). */
    assert_true(notify_channel_wants(cs, 1, "info", NULL, "firing"));
    assert_true(notify_channel_wants(cs, 1, "info", NULL, "resolved"));
    assert_false(notify_channel_wants(cs, 1, "info", NULL, "reminder"));
    notify_channels_free(cs);
}

/* A reload compares the sets: any key, and the secret files' contents, make a change. */
static void test_equal_sets(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *a = load(fx, all_types);
    struct notify_channels *b = load(fx, all_types);
    struct notify_channels *c;

    assert_non_null(a);
    assert_non_null(b);
    assert_true(notify_channels_equal(a, b));
    assert_true(notify_channels_equal(a, a));
    notify_channels_free(b);

    /* the same first channel without its filters and secret, and the others gone */
    c = load(fx, "channels:\n"
                 "  - {name: ops-hook, type: webhook, url: https://hooks.example/collector}\n");
    assert_non_null(c);
    assert_false(notify_channels_equal(a, c));
    notify_channels_free(c);

    /* the same keys, the webhook secret rotated in its file */
    write_at(fx->dir, "hook.secret", "s3cret-hook-2\n");
    b = load(fx, all_types);
    assert_non_null(b);
    assert_false(notify_channels_equal(a, b));
    notify_channels_free(b);

    /* order matters (outbox rows name channels; a reorder is a new routing) */
    c = load(fx, "channels:\n"
                 "  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9093'}\n"
                 "  - {name: bus, type: mqtt, topic: xh/alerts}\n");
    b = load(fx, "channels:\n"
                 "  - {name: bus, type: mqtt, topic: xh/alerts}\n"
                 "  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9093'}\n");
    assert_false(notify_channels_equal(b, c));
    notify_channels_free(b);
    notify_channels_free(c);

    /* no channels at all equals an empty list, and NULL */
    b = load(fx, "other: 1\n");
    c = load(fx, "channels: []\n");
    assert_non_null(b);
    assert_true(notify_channels_equal(b, NULL));
    assert_false(notify_channels_equal(a, NULL));
    notify_channels_free(b);
    notify_channels_free(c);
    notify_channels_free(a);
}

/* Every holder counts; the set is freed with the last (ASan finds a leak or a double free). */
static void test_holders(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs = load(fx, all_types);
    const struct notify_channels *h1, *h2;

    assert_non_null(cs);
    h1 = notify_channels_hold(cs);
    h2 = notify_channels_hold(h1);
    assert_ptr_equal(h1, cs);
    assert_ptr_equal(h2, cs);
    notify_channels_free(cs); /* the loader's hold */
    assert_string_equal(notify_channel_name(h1, 0), "ops-hook");
    notify_channels_release(h1);
    assert_string_equal(notify_channel_name(h2, 3), "mail");
    notify_channels_release(h2); /* the last: freed */
    assert_null(notify_channels_hold(NULL));
    notify_channels_release(NULL);
}

static void test_no_channels(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs = load(fx, "other: 1\n");

    assert_non_null(cs);
    assert_int_equal(notify_channels_count(cs), 0);
    notify_channels_free(cs);
    notify_channels_free(NULL);
}

static void expect_msg(struct fixture *fx, int i, const char *suffix)
{
    char want[1024];

    snprintf(want, sizeof(want), "%s%s", fx->path, suffix);
    if (i >= fx->n || strcmp(fx->msg[i], want) != 0) {
        for (int k = 0; k < fx->n && k < CAP_MAX; k++)
            print_error("  [%d] %s\n", k, fx->msg[k]);
    }
    assert_true(i < fx->n);
    assert_string_equal(fx->msg[i], want);
}

static void test_every_error(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs = load(
        fx, "channels:\n"
            "  - {name: a, type: pager, url: 'http://x'}\n"                                /* 2 */
            "  - {name: b, type: webhook, url: 'ftp://x', colour: red}\n"                  /* 3 */
            "  - {name: c, type: webhook}\n"                                               /* 4 */
            "  - {name: 'bad name', type: webhook, url: 'http://x'}\n"                     /* 5 */
            "  - {name: e, type: webhook, url: 'http://x', severities: [critical, hot]}\n" /* 6 */
            "  - {name: f, type: webhook, url: 'http://x', secret_file: nope.secret}\n"    /* 7 */
            "  - {name: g, type: alertmanager, url: 'http://x', repost: 5m}\n"             /* 8 */
            "  - {name: h, type: mqtt, topic: 'a/#', port: 1884}\n"                        /* 9 */
            "  - {name: i, type: smtp, url: 'smtp://x', from: a@b}\n"                      /* 10 */
            "  - {name: j, type: webhook, url: 'http://x', backoff_min: 1m, backoff_max: 1s}\n"
            "  - {name: j, type: webhook, url: 'http://x', expire: soon}\n"    /* 12 */
            "  - {name: k, type: webhook, url: 'http://x', events: [fired]}\n" /* 13 */
            "  - just-a-string\n");                                            /* 14 */
    int i = 0;

    assert_null(cs);
    expect_msg(fx, i++, ":2: unknown channel type 'pager' (mqtt, webhook, alertmanager, smtp)");
    expect_msg(fx, i++, ":3: unknown key 'colour' in a webhook channel");
    expect_msg(fx, i++, ":3: 'url' must start with http:// or https://");
    expect_msg(fx, i++, ":4: missing required key 'url'");
    expect_msg(fx, i++,
               ":5: channel name 'bad name' must be 1 to 63 letters, digits, '_', '-' or '.'");
    expect_msg(fx, i++, ":6: unknown severity 'hot' in 'severities'");
    char want[600];
    snprintf(want, sizeof(want), ":7: secret_file %s/nope.secret: No such file or directory",
             fx->dir);
    expect_msg(fx, i++, want);
    expect_msg(fx, i++, ":8: 'repost' must be at most 4m (Alertmanager's resolve_timeout is 5m)");
    expect_msg(fx, i++, ":9: 'topic' must be a topic name without + or #");
    expect_msg(fx, i++,
               ":9: 'port' needs 'host' (without both, the channel uses the mqtt "
               "section's broker)");
    expect_msg(fx, i++, ":10: missing required key 'to'");
    expect_msg(fx, i++, ":11: backoff_min is larger than backoff_max");
    expect_msg(fx, i++, ":12: 'expire' must be a duration such as 30s, 5m, 1h, not 'soon'");
    expect_msg(fx, i++, ":12: channel name 'j' is used twice");
    expect_msg(fx, i++, ":13: unknown event 'fired' in 'events'");
    expect_msg(fx, i++, ":14: a channel must be a mapping with name and type");
    assert_int_equal(fx->n, i);
}

static void test_not_a_list(void **state)
{
    struct fixture *fx = *state;

    assert_null(load(fx, "channels: {name: a, type: webhook}\n"));
    expect_msg(fx, 0, ":1: alerts.channels must be a list of channels (- name: ..., type: ...)");
}

static void test_alloc_failures(void **state)
{
    struct fixture *fx = *state;
    struct notify_channels *cs;
    long total;
    int n_silent = 0;

    notify_channels_free(load(fx, all_types)); /* parse once; the loop reuses fx->doc */
    xalloc_fail_at(0);
    cs = notify_channels_load(ynode_get(fx->doc->root, "channels"), fx->dir, &fx->d);
    total = xalloc_count();
    assert_non_null(cs);
    notify_channels_free(cs);
    assert_true(total > 20);
    for (long n = 1; n <= total + 1; n++) {
        fx->n = 0;
        fx->d.n_errors = 0;
        xalloc_fail_at(n);
        cs = notify_channels_load(ynode_get(fx->doc->root, "channels"), fx->dir, &fx->d);
        xalloc_fail_at(0);
        if (cs) {
            assert_int_equal(notify_channels_count(cs), 4);
            assert_int_equal(fx->d.n_errors, 0);
            notify_channels_free(cs);
        } else if (fx->d.n_errors == 0) {
            print_error("allocation %ld failed and the load returned NULL silently\n", n);
            n_silent++;
        }
    }
    assert_int_equal(n_silent, 0);
}

/* Decode the RFC 2047 words of a folded Subject header back into UTF-8. */
static void decode_subject(const char *msg, char *out, size_t sz)
{
    const char *p = strstr(msg, "\r\nSubject: ");
    size_t len = 0;

    assert_non_null(p);
    p += strlen("\r\nSubject: ");
    out[0] = '\0';
    for (;;) {
        const char *end;
        unsigned char raw[128];
        int k, pad = 0;
        assert_int_equal(strncmp(p, "=?UTF-8?B?", 10), 0);
        p += 10;
        end = strstr(p, "?=");
        assert_non_null(end);
        k = EVP_DecodeBlock(raw, (const unsigned char *)p, (int)(end - p));
        assert_true(k > 0);
        if (end[-1] == '=')
            pad++;
        if (end[-2] == '=')
            pad++;
        assert_true(len + (size_t)(k - pad) < sz);
        memcpy(out + len, raw, (size_t)(k - pad));
        len += (size_t)(k - pad);
        out[len] = '\0';
        p = end + 2;
        if (strncmp(p, "\r\n ", 3) != 0)
            break;
        p += 3;
    }
    assert_int_equal(strncmp(p, "\r\n", 2), 0);
}

static void test_mail_utf8(void **state)
{
    static const char payload[] =
        "{\"id\":9,\"rule\":\"pm25_1h\",\"state\":\"firing\",\"severity\":\"major\","
        "\"site\":\"徐家汇\",\"value\":180,\"threshold\":75,\"unit\":\"µg/m³\","
        "\"message_en\":\"PM2.5 hourly mean 180 µg/m³ at Xujiahui is above 75 µg/m³\","
        "\"message_zh\":\"徐家汇 PM2.5 小时均值 180 µg/m³，超过 75 µg/m³\","
        "\"started_at\":\"2024-11-26T08:00:00+08:00\",\"gateway\":\"xh-gw-01\"}";
    struct config cfg = {0};
    char *to[] = {"ops@example"};
    struct notify_channel ch = {.name = "mail", .from = "gw@example", .to = to, .n_to = 1};
    struct notify_worker w = {.ch = &ch, .cfg = &cfg};
    struct notify_msg m = {.id = 4, .alert_id = 9, .event = "firing", .payload = payload};
    struct buf b = {0};
    char subject[512];
    unsigned char body[4096];
    const char *p;
    size_t blen = 0;

    (void)state;
    cfg.gateway.id = "xh-gw-01";
    m.len = strlen(payload);
    m.json = cJSON_Parse(payload);
    assert_non_null(m.json);
    message(&b, &w, &m);
    assert_false(b.is_failed);
    decode_subject(b.p, subject, sizeof(subject));
    assert_string_equal(subject, "[xh-gw-01] MAJOR FIRING: PM2.5 hourly mean 180 µg/m³ at "
                                 "Xujiahui is above 75 µg/m³");
    assert_non_null(strstr(b.p, "\r\nTo: ops@example\r\n"));
    assert_non_null(strstr(b.p, "\r\nContent-Transfer-Encoding: base64\r\n"));
    p = strstr(b.p, "\r\n\r\n");
    assert_non_null(p);
    for (p += 4; *p;) {
        const char *eol = strstr(p, "\r\n");
        int k;
        assert_non_null(eol);
        assert_true(eol - p <= 76);
        k = EVP_DecodeBlock(body + blen, (const unsigned char *)p, (int)(eol - p));
        assert_true(k > 0);
        blen += (size_t)k - (eol[-1] == '=') - (eol[-2] == '=');
        p = eol + 2;
    }
    body[blen] = '\0';
    assert_non_null(strstr((char *)body, "徐家汇 PM2.5 小时均值 180 µg/m³，超过 75 µg/m³\n"));
    assert_non_null(strstr((char *)body, "Value     数值    180 µg/m³\n"));
    assert_non_null(strstr((char *)body, "Site      站点    徐家汇\n"));
    assert_non_null(strstr((char *)body, "Alert id  告警编号 9\n"));
    cJSON_Delete(m.json);
    xfree(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_channels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equal_sets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
        cmocka_unit_test(test_mail_utf8),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
