/*
 * Tests of the ingest pipeline (collector/ingest.h) end to end below MQTT,
 * over the fixture of ingest_fixture.h (the dialects are in
 * test_ingest_dialects.c). Messages go in
 * through ingest_message(); what they caused is read back through
 * store_stats_read() and store_query_readings(): stored readings,
 * duplicates, each reject reason, timestamps in every accepted form, unit
 * conversion, device bookkeeping. Batches (group commit), corrections and
 * atomicity under allocation failures are in test_ingest_batch.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest_fixture.h"

/* ---- the good path ---- */

static void test_good_message_stores_six(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, TOPIC, good, NOW_MS);
    s = stats(fx);
    assert_int_equal(s.received, 1);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 6);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(s.duplicate_readings, 0);
    assert_int_equal(s.unknown_fields, 0);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(s.n_devices, 1);
    assert_int_equal(s.first_received_ms, NOW_MS);
    assert_int_equal(s.last_received_ms, NOW_MS);

    /* Ordered by time, device, metric name. */
    assert_int_equal(rows_of(fx, "aqm-01", NULL, &r), 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(r.ts[i], T0_MS);
        assert_string_equal(r.device[i], "aqm-01");
        assert_string_equal(r.site[i], "xujiahui"); /* from the topic */
    }
    assert_string_equal(r.metric[0], "co");
    assert_string_equal(r.unit[0], "mg/m3");
    assert_true(r.value[0] == 0.6);
    assert_string_equal(r.metric[1], "no2");
    assert_true(r.value[1] == 30.2);
    assert_string_equal(r.metric[2], "o3");
    assert_true(r.value[2] == 80.1);
    assert_string_equal(r.metric[3], "pm10");
    assert_true(r.value[3] == 41);
    assert_string_equal(r.metric[4], "pm25");
    assert_string_equal(r.unit[4], "ug/m3");
    assert_true(r.value[4] == 23.4);
    assert_string_equal(r.metric[5], "so2");
    assert_true(r.value[5] == 5);
}

static void test_same_message_is_duplicate(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, TOPIC, good, NOW_MS);
    deliver(fx, TOPIC, good, NOW_MS + 1000);
    s = stats(fx);
    assert_int_equal(s.received, 2);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 6);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.duplicate_readings, 6);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(s.last_received_ms, NOW_MS + 1000);
    assert_int_equal(rows_of(fx, NULL, NULL, &r), 6);
}

static void test_out_of_range_rejects_one_value(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    /* pm25 valid range is [0, 2000] ug/m3. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":5000,\"pm10\":41}", NOW_MS);
    s = stats(fx);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 1);
    assert_int_equal(s.rejected_total, 1);
    assert_int_equal(reason_count(&s, "out_of_range"), 1);
    assert_int_equal(rows_of(fx, NULL, "pm25", &r), 0);
    assert_int_equal(rows_of(fx, NULL, "pm10", &r), 1);
    assert_true(r.value[0] == 41);
}

static void test_unknown_fields_counted(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    /* "foo" and "meta.x" are in no field of the (non-strict) profile. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":1,\"foo\":2,\"meta\":{\"x\":3}}", NOW_MS);
    s = stats(fx);
    assert_int_equal(s.unknown_fields, 2);
    assert_int_equal(s.stored_readings, 1);
    assert_int_equal(s.rejected_total, 0);
}

static void test_no_readings(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    deliver(fx, TOPIC, "{\"ts\":1732579200,\"foo\":2}", NOW_MS);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "no_readings"), 1);
    assert_int_equal(s.unknown_fields, 1);
    assert_int_equal(s.stored_readings, 0);
}

static void test_co_ugm3_converted(void **state)
{
    struct fixture *fx = *state;
    struct rows r;

    /* co_ugm3 is CO in ug/m3, stored as co in mg/m3: 300 ug/m3 = 0.3 mg/m3. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"co_ugm3\":300}", NOW_MS);
    assert_int_equal(rows_of(fx, "aqm-01", "co", &r), 1);
    assert_string_equal(r.unit[0], "mg/m3");
    assert_true(fabs(r.value[0] - 0.3) < 1e-12);
}

/* ---- rejects ---- */

static void test_malformed(void **state)
{
    struct fixture *fx = *state;

    deliver(fx, TOPIC, "{\"pm25\": }", NOW_MS);
    expect_rejected(fx, "malformed");
    assert_int_equal(stats(fx).received, 1);
}

static void test_bad_timestamp(void **state)
{
    struct fixture *fx = *state;

    deliver(fx, TOPIC, "{\"ts\":\"yesterday\",\"pm25\":1}", NOW_MS);
    expect_rejected(fx, "bad_timestamp");
}

static void test_non_finite(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":NaN,\"pm10\":1}", NOW_MS);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "non_finite"), 1);
    assert_int_equal(s.stored_readings, 1);
}

static void test_unmatched_topic(void **state)
{
    struct fixture *fx = *state;

    deliver(fx, "other/place/x", good, NOW_MS);
    expect_rejected(fx, "unmatched_topic");
    /* One level too many for xh/air/{site}/{device}. */
    deliver(fx, "xh/air/xujiahui/aqm-01/extra", good, NOW_MS);
    {
        struct store_stats s = stats(fx);
        assert_int_equal(reason_count(&s, "unmatched_topic"), 2);
        assert_int_equal(s.stored_readings, 0);
    }
}

static void test_unknown_device_rejected(void **state)
{
    struct fixture *fx = *state;

    deliver(fx, TOPIC, good, NOW_MS);
    expect_rejected(fx, "unknown_device");
    assert_int_equal(stats(fx).n_devices, 0);
}

static void test_unknown_device_registered(void **state)
{
    struct fixture *fx = *state;
    struct rows r;

    deliver(fx, "xh/air/hunan/aqm-77", good, NOW_MS);
    assert_int_equal(stats(fx).n_devices, 1);
    assert_int_equal(rows_of(fx, "aqm-77", "pm25", &r), 1);
    assert_string_equal(r.site[0], "hunan");
}

static void test_payload_too_large(void **state)
{
    struct fixture *fx = *state;
    /* ingest.max_payload defaults to 64 KiB = 65536 bytes. */
    size_t len = strlen(good);
    char *big = malloc(65537 + 1);
    struct store_stats s;

    assert_non_null(big);
    /* Exactly 65536 bytes (the object padded with trailing spaces) is accepted. */
    memset(big, ' ', 65537);
    memcpy(big, good, len);
    assert_int_equal(ingest_message(fx->ig, TOPIC, big, 65536, NOW_MS), 0);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 6);
    assert_int_equal(s.rejected_total, 0);
    /* One byte more is refused. */
    assert_int_equal(ingest_message(fx->ig, TOPIC, big, 65537, NOW_MS), 0);
    free(big);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "payload_too_large"), 1);
    assert_int_equal(s.rejected_total, 1);
    assert_int_equal(s.received, 2);
}

static void test_invalid_utf8(void **state)
{
    struct fixture *fx = *state;

    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":1,\"s\":\"\xC0\x80\"}", NOW_MS);
    expect_rejected(fx, "invalid_utf8");
    /* In the topic as well. */
    deliver(fx, "xh/air/xujiahui/aqm-\xFF", good, NOW_MS);
    {
        struct store_stats s = stats(fx);
        assert_int_equal(reason_count(&s, "invalid_utf8"), 2);
        assert_int_equal(s.stored_readings, 0);
    }
}

/* ---- time ---- */

static void test_timestamp_forms_same_instant(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    /* Seconds, milliseconds, ISO 8601 at +08:00 and at Z: all 2024-11-26T00:00:00Z, so the
     * first stores and the others are duplicates of it. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":1}", NOW_MS);
    deliver(fx, TOPIC, "{\"ts\":1732579200000,\"pm25\":1}", NOW_MS);
    deliver(fx, TOPIC, "{\"ts\":\"2024-11-26T08:00:00+08:00\",\"pm25\":1}", NOW_MS);
    deliver(fx, TOPIC, "{\"ts\":\"2024-11-26T00:00:00Z\",\"pm25\":1}", NOW_MS);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 1);
    assert_int_equal(s.duplicate_readings, 3);
    assert_int_equal(s.duplicates, 3);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_int_equal(r.ts[0], T0_MS);
    /* Half a second later is another reading. */
    deliver(fx, TOPIC, "{\"ts\":\"2024-11-26T08:00:00.5+08:00\",\"pm25\":2}", NOW_MS);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 2);
    assert_int_equal(r.ts[1], T0_MS + 500);
}

static void test_no_timestamp_uses_receive_time(void **state)
{
    struct fixture *fx = *state;
    struct rows r;

    deliver(fx, TOPIC, "{\"pm25\":1}", NOW_MS + 123);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_int_equal(r.ts[0], NOW_MS + 123);
    /* "ts": null says the same. */
    deliver(fx, TOPIC, "{\"ts\":null,\"pm10\":1}", NOW_MS + 456);
    assert_int_equal(rows_of(fx, "aqm-01", "pm10", &r), 1);
    assert_int_equal(r.ts[0], NOW_MS + 456);
}

static void test_timestamp_future(void **state)
{
    struct fixture *fx = *state;
    char msg[128];
    struct store_stats s;
    struct rows r;

    /* ingest.max_future defaults to 5 m = 300 000 ms: NOW + 300 000 is still fine... */
    snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm25\":1}", (long long)(NOW_MS + 300000));
    deliver(fx, TOPIC, msg, NOW_MS);
    /* ... one millisecond more is in the future. */
    snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm25\":2}", (long long)(NOW_MS + 300001));
    deliver(fx, TOPIC, msg, NOW_MS);
    /* An hour ahead in seconds: 1732579200 + 3600. */
    deliver(fx, TOPIC, "{\"ts\":1732582800,\"pm25\":3}", NOW_MS);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 1);
    assert_int_equal(reason_count(&s, "timestamp_future"), 2);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_int_equal(r.ts[0], NOW_MS + 300000);
}

/* ---- rejects kept whole, and retried (issue 12) ---- */

struct kept {
    int n;
    int64_t id[8], received[8], msg_id[8], size[8];
    size_t len[8];
    char reason[8][32];
    bool is_retryable[8];
};

static int keep_row(void *ud, const struct store_reject_row *r)
{
    struct kept *k = ud;

    if (k->n < 8) {
        k->id[k->n] = r->id;
        k->received[k->n] = r->received_ms;
        k->msg_id[k->n] = r->msg_id;
        k->size[k->n] = r->size;
        k->len[k->n] = r->len;
        k->is_retryable[k->n] = r->is_retryable;
        snprintf(k->reason[k->n], sizeof(k->reason[0]), "%s", r->reason ? r->reason : "");
    }
    k->n++;
    return 0;
}

static struct kept kept_rejects(struct fixture *fx)
{
    const struct store_reject_filter f = {0};
    struct kept k;

    memset(&k, 0, sizeof(k));
    assert_int_equal(store_rejects_each(fx->st, &f, keep_row, &k), 0);
    return k;
}

static void test_issue12_rejects_keep_one_whole_payload(void **state)
{
    struct fixture *fx = *state;
    static const char two_bad[] = "{\"ts\":1732579200,\"pm25\":-1,\"pm10\":-2,\"so2\":5}";
    char *big = malloc(65537);
    struct kept k;

    assert_non_null(big);
    deliver(fx, TOPIC, two_bad, NOW_MS);
    k = kept_rejects(fx);
    /* Two values rejected: two rows, one payload, the second pointing at the first. */
    assert_int_equal(k.n, 2);
    assert_int_equal(k.msg_id[0], 0);
    assert_int_equal(k.msg_id[1], k.id[0]);
    assert_int_equal(store_reject_bytes(fx->st), (int64_t)strlen(two_bad));
    assert_int_equal(k.len[1], strlen(two_bad)); /* shown with the message's payload */
    assert_true(k.is_retryable[0]);
    assert_false(k.is_retryable[1]);
    /* Over max_payload: kept up to it, its size as received. */
    memset(big, ' ', 65537);
    assert_int_equal(ingest_message(fx->ig, TOPIC, big, 65537, NOW_MS), 0);
    free(big);
    k = kept_rejects(fx);
    assert_int_equal(k.n, 3);
    assert_string_equal(k.reason[2], "payload_too_large");
    assert_int_equal(k.len[2], 65536);
    assert_int_equal(k.size[2], 65537);
    assert_false(k.is_retryable[2]);
}

struct payload_copy {
    char *buf;
    size_t len;
};

static int copy_payload(void *ud, const struct store_reject_row *r)
{
    struct payload_copy *got = ud;

    assert_true(r->len < 256);
    memcpy(got->buf, r->payload, r->len);
    got->len = r->len;
    return 1;
}

static void retry_all(struct fixture *fx, int64_t now_ms, int *n_accepted)
{
    const struct store_reject_filter f = {.only_messages = true};
    struct kept k;

    memset(&k, 0, sizeof(k));
    assert_int_equal(store_rejects_each(fx->st, &f, keep_row, &k), 0);
    *n_accepted = 0;
    for (int i = 0; i < k.n; i++) {
        char payload[256];
        const struct store_reject_filter one = {.after_id = k.id[i] - 1, .limit = 1};
        struct payload_copy got = {payload, 0};
        struct ingest_retry_msg m = {k.id[i], k.received[i], TOPIC, payload, 0};
        bool is_accepted = false;

        /* The payload as the row keeps it. */
        assert_int_equal(store_rejects_each(fx->st, &one, copy_payload, &got), 0);
        m.len = got.len;
        assert_int_equal(ingest_retry(fx->ig, &m, now_ms, &is_accepted), 0);
        *n_accepted += is_accepted;
    }
    assert_int_equal(ingest_commit(fx->ig), 0);
}

static void test_issue12_retry_after_clock_fix(void **state)
{
    struct fixture *fx = *state;
    const int64_t day = 86400000;
    char ok[128], bad[128];
    struct store_stats s;
    struct kept k;
    struct rows r;
    int n_accepted;

    /* The gateway clock is a day behind: both are "from the future". */
    snprintf(ok, sizeof(ok), "{\"ts\":%lld,\"pm25\":7,\"pm10\":8}",
             (long long)((NOW_MS + day) / 1000));
    snprintf(bad, sizeof(bad), "{\"ts\":%lld,\"pm25\":-7,\"pm10\":9}",
             (long long)((NOW_MS + day) / 1000 + 60));
    deliver(fx, TOPIC, ok, NOW_MS);
    deliver(fx, TOPIC, bad, NOW_MS + 1);
    s = stats(fx);
    assert_int_equal(reason_count(&s, "timestamp_future"), 2);
    assert_int_equal(s.stored_readings, 0);
    k = kept_rejects(fx);
    assert_int_equal(k.n, 2);

    /* The clock fixed: one is stored whole, the other keeps its place with its new reason. */
    retry_all(fx, NOW_MS + day + 120000, &n_accepted);
    assert_int_equal(n_accepted, 1);
    s = stats(fx);
    assert_int_equal(s.received, 2);                           /* counted once, on arrival */
    assert_int_equal(reason_count(&s, "timestamp_future"), 2); /* what happened on arrival */
    assert_int_equal(reason_count(&s, "out_of_range"), 0);
    assert_int_equal(s.stored_readings, 3);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_int_equal(r.ts[0], NOW_MS + day - (NOW_MS + day) % 1000);
    assert_int_equal(rows_of(fx, "aqm-01", "pm10", &r), 2);
    {
        struct kept after = kept_rejects(fx);
        assert_int_equal(after.n, 1);
        assert_int_equal(after.id[0], k.id[1]);
        assert_int_equal(after.received[0], NOW_MS + 1);
        assert_string_equal(after.reason[0], "out_of_range");
    }
    /* Retrying again stores nothing twice and keeps the one that is still bad. */
    retry_all(fx, NOW_MS + day + 180000, &n_accepted);
    assert_int_equal(n_accepted, 0);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 3);
    assert_int_equal(kept_rejects(fx).n, 1);
}

static void test_issue12_clock_verdict(void **state)
{
    (void)state;
    assert_int_equal(ingest_clock_verdict(0, 0, 0), -1);
    assert_int_equal(ingest_clock_verdict(1, 1, 0), -1); /* one device cannot tell */
    assert_int_equal(ingest_clock_verdict(2, 1, 0), 0);
    assert_int_equal(ingest_clock_verdict(2, 2, 0), 1);
    assert_int_equal(ingest_clock_verdict(3, 2, 0), 1);
    assert_int_equal(ingest_clock_verdict(3, 0, 2), 1);
    assert_int_equal(ingest_clock_verdict(4, 1, 1), 0); /* ahead and behind do not add up */
    assert_int_equal(ingest_clock_verdict(5, 2, 0), 0);
}

static int setup_clock_window(void **state)
{
    static const char *const sets[] = {"ingest.clock_window=1s"};

    return open_all(state, sets, 1);
}

/* The gateway clock a day behind two of three devices: the window says suspect. */
static void test_issue12_clock_window(void **state)
{
    struct fixture *fx = *state;
    const int64_t day = 86400000;
    int64_t t0 = mono_ms(); /* the open window began before this */
    struct store_clock c;
    char msg[128];

    ingest_watch_clock(fx->ig, "mqtt");
    snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm25\":1}", (long long)((NOW_MS + day) / 1000));
    deliver(fx, "xh/air/xujiahui/aqm-01", msg, NOW_MS);
    deliver(fx, "xh/air/xujiahui/aqm-02", msg, NOW_MS);
    snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm25\":1}", (long long)(NOW_MS / 1000));
    deliver(fx, "xh/air/xujiahui/aqm-03", msg, NOW_MS);
    /* Before the window ends nothing is written. */
    assert_int_equal(ingest_flush(fx->ig), 0);
    if (mono_ms() - t0 < 1000) {
        assert_int_equal(store_clock_read(fx->st, &c), 0);
        assert_int_equal(c.verdict, -1);
    }
    while (mono_ms() - t0 < 1100)
        clock_nap(50, 50, NULL, NULL);
    assert_int_equal(ingest_flush(fx->ig), 0);
    t0 = mono_ms();
    assert_int_equal(store_clock_read(fx->st, &c), 0);
    assert_int_equal(c.verdict, 1);
    assert_int_equal(c.n_devices, 3);
    assert_int_equal(c.n_ahead, 2);
    assert_int_equal(c.n_behind, 0);
    assert_true(c.skew_ms > day - 1000 && c.skew_ms <= day);
    assert_string_equal(c.source, "mqtt");
    /* The next window: all three agree, and the verdict follows. */
    for (int i = 1; i <= 3; i++) {
        char topic[64];
        snprintf(topic, sizeof(topic), "xh/air/xujiahui/aqm-0%d", i);
        snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm25\":2}", (long long)(NOW_MS / 1000 + 1));
        deliver(fx, topic, msg, NOW_MS + 2000);
    }
    while (mono_ms() - t0 < 1100)
        clock_nap(50, 50, NULL, NULL);
    assert_int_equal(ingest_flush(fx->ig), 0);
    t0 = mono_ms();
    assert_int_equal(store_clock_read(fx->st, &c), 0);
    assert_int_equal(c.verdict, 0);
    assert_int_equal(c.n_devices, 3);
    assert_int_equal(c.n_ahead, 0);
    /* A window without devices decides nothing: verdict and counts stay, checked moves. */
    {
        const int64_t checked = c.checked_ms;

        while (mono_ms() - t0 < 1100)
            clock_nap(50, 50, NULL, NULL);
        assert_int_equal(ingest_flush(fx->ig), 0);
        assert_int_equal(store_clock_read(fx->st, &c), 0);
        assert_int_equal(c.verdict, 0);
        assert_int_equal(c.n_devices, 3);
        assert_true(c.checked_ms > checked);
    }
}

/* ---- device bookkeeping ---- */

static void test_device_seen_flushed(void **state)
{
    struct fixture *fx = *state;

    /* Three messages within a second: the first writes the row, the others wait. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":1}", NOW_MS);
    deliver(fx, TOPIC, "{\"ts\":1732579201,\"pm25\":1}", NOW_MS + 10);
    deliver(fx, TOPIC, "{\"ts\":1732579202,\"pm25\":1}", NOW_MS + 20);
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"), 1);
    assert_int_equal(device_column(fx, "last_seen", "aqm-01"), NOW_MS);
    assert_int_equal(ingest_flush(fx->ig), 0);
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"), 3);
    assert_int_equal(device_column(fx, "last_seen", "aqm-01"), NOW_MS + 20);
    assert_int_equal(device_column(fx, "first_seen", "aqm-01"), NOW_MS);
    /* Nothing pending: a second flush changes nothing. */
    assert_int_equal(ingest_flush(fx->ig), 0);
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_message_stores_six, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_message_is_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_rejects_one_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_fields_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_readings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_co_ugm3_converted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmatched_topic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_device_rejected, setup_reject_unknown,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_device_registered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payload_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_forms_same_instant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_timestamp_uses_receive_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_future, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue12_rejects_keep_one_whole_payload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue12_retry_after_clock_fix, setup, teardown),
        cmocka_unit_test(test_issue12_clock_verdict),
        cmocka_unit_test_setup_teardown(test_issue12_clock_window, setup_clock_window, teardown),
        cmocka_unit_test_setup_teardown(test_device_seen_flushed, setup, teardown),
    };

    log_set_level(LOG_LVL_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
