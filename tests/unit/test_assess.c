/*
 * Tests of the value rules shared by ingest and `collector decode`
 * (devices/assess.h): each verdict for a profile written by hand, the
 * reject details operators search for, time limits, which device a value
 * belongs to, and the decoder-error reason codes. Expected values are
 * worked out by hand from the profile below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assess.h"
#include "decode.h"
#include "diag.h"
#include "profile.h"
#include "test_util.h"

#define NOW_MS 1732600000000LL

static const char profile_text[] = "name: a\n"
                                   "domain: air\n"
                                   "topics: [\"a/{site}/{device}\"]\n"
                                   "interval: 1m\n"
                                   "fields:\n"
                                   "  pm25: {metric: pm25, unit: ug/m3, min: 0, max: 1000}\n"
                                   "  co_ugm3: {metric: co, unit: mg/m3, from_unit: ug/m3}\n"
                                   "  pic: {metric: pic}\n"
                                   "  \"energy@sum\": {metric: energy, unit: J}\n";

static struct profile *load(void)
{
    char dir[] = "/tmp/test_assess.XXXXXX";
    char path[64];
    struct capture cap;
    struct diag d;
    struct profile *p;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(profile_text, f);
    fclose(f);
    cap_init(&cap, &d);
    p = profile_load(path, &d);
    test_rmdir(dir);
    assert_non_null(p);
    return p;
}

static struct dec_field field(const char *name, enum dec_kind kind, double v)
{
    struct dec_field f;

    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "%s", name);
    f.kind = kind;
    f.num = v;
    return f;
}

static const struct assess_limits limits = {NOW_MS, 5 * 60000, 24 * 3600000LL};

static void test_verdicts(void **state)
{
    struct profile *p = load();
    struct assessment a;
    struct dec_field f;

    /* 800 ug/m3 of CO is 0.8 mg/m3; no own time: the message's. */
    f = field("co_ugm3", DEC_NUM, 800);
    assess_value(p, &f, NOW_MS - 1000, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_STORE);
    assert_string_equal(a.pf->metric, "co");
    assert_true(fabs(a.value - 0.8) < 1e-12);
    assert_int_equal(a.ts_ms, NOW_MS - 1000);
    assert_null(a.reason);

    f = field("rssi", DEC_NUM, -70);
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_UNMAPPED);
    assert_null(a.pf);

    f = field("pm25", DEC_NULL, 0);
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_EMPTY);

    f = field("pic", DEC_DATA, 0);
    snprintf(f.str, sizeof(f.str), "aGkgCg");
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_UNSTORABLE);

    f = field("pm25", DEC_STR, 0);
    snprintf(f.str, sizeof(f.str), "high");
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_REJECT);
    assert_string_equal(a.reason, "non_numeric");
    assert_string_equal(a.detail, "pm25: 'high' is not a number");

    f = field("pm25", DEC_NUM, NAN);
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_string_equal(a.reason, "non_finite");
    assert_string_equal(a.detail, "pm25: value is not finite");

    f = field("pm25", DEC_NUM, 3);
    snprintf(f.unit, sizeof(f.unit), "furlong");
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_string_equal(a.reason, "bad_unit");
    assert_string_equal(a.detail, "pm25: unit 'furlong' cannot be converted to ug/m3");

    f = field("pm25", DEC_NUM, -3);
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_string_equal(a.reason, "out_of_range");
    assert_string_equal(a.detail, "pm25: -3 ug/m3 outside the valid range [0, 1000]");
    assert_true(a.value == -3);

    /* A SenML sum maps only through "<name>@sum". */
    f = field("energy", DEC_NUM, 3600);
    f.is_sum = true;
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_STORE);
    assert_string_equal(a.pf->metric, "energy");
    f.is_sum = false;
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_UNMAPPED);
    profile_free(p);
}

static void test_value_times(void **state)
{
    struct profile *p = load();
    struct assessment a;
    struct dec_field f = field("pm25", DEC_NUM, 10);

    /* Its own time, within the limits: kept as it is. */
    f.ts_ms = NOW_MS - 3600000;
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_int_equal(a.verdict, ASSESS_STORE);
    assert_int_equal(a.ts_ms, NOW_MS - 3600000);
    /* 10 minutes ahead: max_future is 5. */
    f.ts_ms = NOW_MS + 600000;
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_string_equal(a.reason, "timestamp_future");
    assert_string_equal(a.detail, "pm25: time 1732600600000 ms is 600 s ahead of the clock");
    /* Two days old: max_age is one. */
    f.ts_ms = NOW_MS - 2 * 86400000LL;
    assess_value(p, &f, NOW_MS, &limits, &a);
    assert_string_equal(a.reason, "timestamp_too_old");
    assert_string_equal(a.detail, "pm25: time 1732427200000 ms is 172800 s old");
    /* No limits. */
    {
        const struct assess_limits none = {NOW_MS, 0, 0};

        assess_value(p, &f, NOW_MS, &none, &a);
        assert_int_equal(a.verdict, ASSESS_STORE);
        assert_int_equal(assess_time(&none, "message", NOW_MS + 86400000LL, &a), 0);
    }
    assert_int_equal(assess_time(&limits, "message", NOW_MS + 300000, &a), 0);
    assert_int_equal(assess_time(&limits, "message", NOW_MS + 300001, &a), 1);
    assert_string_equal(a.reason, "timestamp_future");
    profile_free(p);
}

static void test_devices(void **state)
{
    struct dec_msg msg;
    struct dec_field f;
    char detail[256];

    memset(&msg, 0, sizeof(msg));
    memset(&f, 0, sizeof(f));
    snprintf(msg.device, sizeof(msg.device), "MN01");
    /* The topic's device first; then the value's own; then the message's. */
    assert_string_equal(assess_device("aqm-01", &msg, &f), "aqm-01");
    assert_string_equal(assess_device("", &msg, &f), "MN01");
    snprintf(f.device, sizeof(f.device), "2001:db8::1");
    assert_string_equal(assess_device("", &msg, &f), "2001:db8::1");
    assert_string_equal(assess_device(NULL, &msg, NULL), "MN01");

    msg.n_devices = 1;
    assert_int_equal(assess_pack_devices("aqm-01", &msg, detail, sizeof(detail)), 0);
    msg.n_devices = 2;
    assert_int_equal(assess_pack_devices("", &msg, detail, sizeof(detail)), 0);
    assert_int_equal(assess_pack_devices("gw-01", &msg, detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, "names 2 devices"));
    assert_non_null(strstr(detail, "'gw-01'"));
}

static void test_reasons_and_labels(void **state)
{
    struct dec_field f;
    char label[96];

    assert_string_equal(assess_decode_reason(DEC_ERR_CRC), "bad_checksum");
    assert_string_equal(assess_decode_reason(DEC_ERR_TIMESTAMP), "bad_timestamp");
    assert_string_equal(assess_decode_reason(DEC_ERR_TOO_MANY), "too_many_fields");
    assert_string_equal(assess_decode_reason(DEC_ERR_SYNTAX), "malformed");
    assert_string_equal(assess_decode_reason(DEC_ERR_SHAPE), "malformed");
    assert_string_equal(assess_decode_reason(DEC_ERR_FRAMING), "malformed");

    f = field("pm25", DEC_NUM, 1);
    assess_label(&f, label, sizeof(label));
    assert_string_equal(label, "pm25");
    f.is_sum = true;
    assess_label(&f, label, sizeof(label));
    assert_string_equal(label, "pm25@sum");
    f = field("", DEC_NUM, 1);
    snprintf(f.unit, sizeof(f.unit), "%%RH");
    assess_label(&f, label, sizeof(label));
    assert_string_equal(label, "@%RH");
}

/* The message rules in ingest's order, each reject with its reason and detail. */
static void test_message_rules(void **state)
{
    struct profile *p = load();
    struct profile *v[1] = {p};
    const struct profile_set set = {1, v};
    const char ok[] = "{\"ts\": 1732600000, \"pm25\": 5}";
    const char pack[] = "[{\"bn\":\"x:\",\"n\":\"pm25\",\"v\":1},"
                        "{\"bn\":\"y:\",\"n\":\"pm25\",\"v\":2}]";
    struct dec_field out[8];
    struct assess_msg a;
    int n;

    (void)state;
    n = assess_message(&set, "a/s1/d1", ok, strlen(ok), 10, NOW_MS, NULL, out, 8, &a);
    assert_int_equal(n, -1);
    assert_string_equal(a.reason, "payload_too_large");
    assert_string_equal(a.detail, "29 bytes, the limit is 10");
    assert_false(a.is_decoded);
    n = assess_message(&set, "a/s1/d1", "{\"pm25\": \"\xff\"}", 13, 1000, NOW_MS, NULL, out, 8, &a);
    assert_int_equal(n, -1);
    assert_string_equal(a.reason, "invalid_utf8");
    n = assess_message(&set, "b/s1/d1", ok, strlen(ok), 1000, NOW_MS, NULL, out, 8, &a);
    assert_int_equal(n, -1);
    assert_string_equal(a.reason, "unmatched_topic");
    assert_string_equal(a.detail, "no device profile matches topic 'b/s1/d1'");
    assert_null(a.profile);
    n = assess_message(&set, "a/s1/d1", "{", 1, 1000, NOW_MS, NULL, out, 8, &a);
    assert_int_equal(n, -1);
    assert_string_equal(a.reason, "malformed");
    assert_memory_equal(a.detail, "json decoder: ", 14);
    assert_ptr_equal(a.profile, p);
    assert_false(a.is_decoded);

    n = assess_message(&set, "a/s1/d1", ok, strlen(ok), 1000, NOW_MS, NULL, out, 8, &a);
    assert_true(n >= 1);
    assert_null(a.reason);
    assert_true(a.is_decoded);
    assert_string_equal(a.site, "s1");
    assert_string_equal(a.device, "d1");
    assert_true(a.msg.ts_ms == 1732600000000LL);
    assert_string_equal(out[n - 1].name, "pm25");
    assert_true(out[n - 1].num == 5);

    /* Two devices in a pack on a topic that names one: decoded, then refused. */
    n = assess_message(&set, "a/s1/d1", pack, strlen(pack), 1000, NOW_MS, &decoder_senml, out, 8,
                       &a);
    assert_int_equal(n, -1);
    assert_true(a.is_decoded);
    assert_ptr_equal(a.decoder, &decoder_senml);
    assert_string_equal(a.reason, "malformed");
    assert_non_null(strstr(a.detail, "senml decoder: the pack names 2 devices but topic names "
                                     "device 'd1'"));
    /* On a topic without a {device} level the pack is fine. */
    free(p->topics[0]);
    p->topics[0] = strdup("a/{site}");
    n = assess_message(&set, "a/s1", pack, strlen(pack), 1000, NOW_MS, &decoder_senml, out, 8, &a);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].device, "x");
    assert_string_equal(out[1].device, "y");
    profile_free(p);
}

static void test_device_and_strict_rules(void **state)
{
    struct profile *p = load();
    struct dec_field f;
    char d[ASSESS_DETAIL_MAX];

    (void)state;
    assert_int_equal(assess_unknown_device("", "s1", true, d, sizeof(d)), 1);
    assert_string_equal(d, "neither the topic nor the payload names a device");
    assert_int_equal(assess_unknown_device("d1", "s1", false, d, sizeof(d)), 1);
    assert_string_equal(d, "device 'd1' is not in the registry");
    assert_int_equal(assess_unknown_device("d1", "", true, d, sizeof(d)), 1);
    assert_string_equal(d, "device 'd1' is unknown and the topic names no site");
    assert_int_equal(assess_unknown_device("d1", "s1", true, d, sizeof(d)), 0);

    f = field("foo", DEC_NUM, 1);
    assert_int_equal(assess_strict(p, &f, d, sizeof(d)), 0); /* not strict: ignored */
    p->is_strict = true;
    assert_int_equal(assess_strict(p, &f, d, sizeof(d)), 1);
    assert_string_equal(d, "field 'foo' is not in strict profile a");
    f = field("pm25", DEC_NUM, 1);
    assert_int_equal(assess_strict(p, &f, d, sizeof(d)), 0);
    f = field(p->time_field, DEC_NUM, 1);
    assert_int_equal(assess_strict(p, &f, d, sizeof(d)), 0);
    assess_no_readings(p, d, sizeof(d));
    assert_string_equal(d, "no field of the payload maps to a metric of profile a");
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),      cmocka_unit_test(test_value_times),
        cmocka_unit_test(test_devices),       cmocka_unit_test(test_reasons_and_labels),
        cmocka_unit_test(test_message_rules), cmocka_unit_test(test_device_and_strict_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
