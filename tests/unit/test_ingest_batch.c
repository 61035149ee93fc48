/*
 * Tests of the ingest pipeline's transactions (collector/ingest.h), over
 * the fixture of ingest_fixture.h: a batch of messages commits together or
 * leaves no trace, a rolled-back batch undoes its in-memory state, a
 * correction wins and is kept, a partly known message, the notes counted,
 * and every allocation failure commits all of a message or nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest_fixture.h"

/* ---- atomicity ---- */

static void test_allocation_failures_commit_all_or_nothing(void **state)
{
    struct fixture *fx = *state;
    int n_ok = 0;
    struct store_stats s;
    struct rows r;

    /* Each message has its own time, on its own device, so a committed one adds 6 readings. */
    for (long n = 1; n <= 12; n++) {
        char topic[64], msg[256];
        int rc;

        snprintf(topic, sizeof(topic), "xh/air/s%ld/dev-%ld", n, n);
        snprintf(msg, sizeof(msg),
                 "{\"ts\":%lld,\"pm25\":1,\"pm10\":2,\"so2\":3,\"no2\":4,\"co\":0.5,\"o3\":6}",
                 (long long)(T0_S + n));
        xalloc_fail_at(n);
        rc = ingest_message(fx->ig, topic, msg, strlen(msg), NOW_MS + n);
        xalloc_fail_at(0);
        assert_true(rc == 0 || rc == COL_ERR_NOMEM);
        if (rc == 0)
            n_ok++;
    }
    xalloc_fail_at(0);
    /* After the failures the pipeline works as before. */
    deliver(fx, TOPIC, good, NOW_MS + 100);
    n_ok++;
    s = stats(fx);
    assert_int_equal(s.received, n_ok);
    assert_int_equal(s.stored_messages, n_ok);
    assert_int_equal(s.stored_readings, 6 * n_ok);
    assert_int_equal(s.rejected_total, 0);
    assert_int_equal(rows_of(fx, NULL, NULL, &r), 6 * n_ok);
    assert_int_equal(s.n_devices, n_ok);
}

/* ---- batches (group commit) ---- */

static void add(struct fixture *fx, const char *topic, const char *payload, int64_t now_ms)
{
    assert_int_equal(ingest_add(fx->ig, topic, payload, strlen(payload), now_ms), 0);
}

static void test_batch_commits_together(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    assert_int_equal(ingest_begin(fx->ig), 0);
    add(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":1}", NOW_MS);
    add(fx, TOPIC, "{\"ts\":1732579260,\"pm25\":2}", NOW_MS + 5);
    add(fx, "xh/air/hunan/aqm-02", "{\"ts\":1732579200,\"pm25\":3}", NOW_MS + 9);
    add(fx, TOPIC, "{\"pm25\": }", NOW_MS + 10); /* a reject joins the batch too */
    assert_int_equal(ingest_batch_size(fx->ig), 4);
    /* Nothing is visible before the commit... */
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM readings"), 0);
    assert_int_equal(sql_value(fx, "SELECT received FROM ingest_stats"), 0);
    assert_int_equal(ingest_commit(fx->ig), 0);
    assert_int_equal(ingest_batch_size(fx->ig), 0);
    /* ... and all of it after. */
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM readings"), 3);
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM rejects"), 1);
    s = stats(fx);
    assert_int_equal(s.received, 4);
    assert_int_equal(s.stored_messages, 3);
    assert_int_equal(s.stored_readings, 3);
    assert_int_equal(s.rejected_total, 1);
    assert_int_equal(s.first_received_ms, NOW_MS);
    assert_int_equal(s.last_received_ms, NOW_MS + 10);
    assert_int_equal(s.n_devices, 2);
    /* One mark per device-hour. */
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM dirty_hours"), 2);
    /* Each device's row written once in the batch. */
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"), 1);
    assert_int_equal(ingest_flush(fx->ig), 0);
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"),
                     2); /* the malformed one names no device */
    assert_int_equal(device_column(fx, "n_messages", "aqm-02"), 1);
}

static void test_failed_batch_leaves_no_trace(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    int rc = 0;

    /* aqm-01 exists and has a message counted. */
    deliver(fx, TOPIC, good, NOW_MS);
    /* A batch creates aqm-02 and the metric 'noise'-less air metrics, then fails. */
    assert_int_equal(ingest_begin(fx->ig), 0);
    add(fx, TOPIC, "{\"ts\":1732579260,\"pm25\":2}", NOW_MS + 2000);
    add(fx, "xh/air/hunan/aqm-02", "{\"ts\":1732579200,\"pm25\":3}", NOW_MS + 2001);
    for (long n = 1; n < 200 && rc == 0; n++) {
        char msg[96];
        snprintf(msg, sizeof(msg), "{\"ts\":%lld,\"pm10\":%ld}", (long long)(T0_S + 120 + n), n);
        xalloc_fail_at(1);
        rc = ingest_add(fx->ig, "xh/air/minhang/aqm-03", msg, strlen(msg), NOW_MS + 3000);
        xalloc_fail_at(0);
    }
    assert_int_equal(rc, COL_ERR_NOMEM);
    /* Failed for good: nothing more joins it, the commit says so. */
    assert_int_equal(ingest_add(fx->ig, TOPIC, good, strlen(good), NOW_MS + 4000), COL_ERR_NOMEM);
    assert_int_equal(ingest_batch_size(fx->ig), 0);
    assert_int_equal(ingest_commit(fx->ig), COL_ERR_NOMEM);
    s = stats(fx);
    assert_int_equal(s.received, 1);
    assert_int_equal(s.stored_readings, 6);
    assert_int_equal(s.n_devices, 1);
    /* Memory is as before the batch: aqm-02 is created again (not a stale
     * id), and aqm-01's count does not include the lost message. */
    deliver(fx, "xh/air/hunan/aqm-02", "{\"ts\":1732579200,\"pm25\":3}", NOW_MS + 5000);
    assert_int_equal(stats(fx).n_devices, 2);
    assert_int_equal(ingest_flush(fx->ig), 0);
    assert_int_equal(device_column(fx, "n_messages", "aqm-01"), 1);
    assert_int_equal(device_column(fx, "last_seen", "aqm-01"), NOW_MS);
    assert_int_equal(device_column(fx, "n_messages", "aqm-02"), 1);
    /* The redelivered batch stores as if for the first time. */
    deliver(fx, TOPIC, "{\"ts\":1732579260,\"pm25\":2}", NOW_MS + 6000);
    s = stats(fx);
    assert_int_equal(s.stored_messages, 3);
    assert_int_equal(s.duplicates, 0);
}

static void test_rollback_of_open_batch(void **state)
{
    struct fixture *fx = *state;

    add(fx, "xh/air/hunan/aqm-09", good, NOW_MS);
    ingest_rollback(fx->ig);
    assert_int_equal(stats(fx).received, 0);
    deliver(fx, "xh/air/hunan/aqm-09", good, NOW_MS);
    assert_int_equal(stats(fx).stored_readings, 6);
}

/*
 * A pack of two devices in a batch that rolls back: both devices, created
 * by the batch, are forgotten, and so is a note counted meanwhile; the
 * redelivered pack counts one message for each device.
 */
static void test_rollback_of_pack_of_two_devices(void **state)
{
    static const char pack[] =
        "[{\"bn\":\"2001:db8::2/\",\"bt\":1.320078429e+09,\"n\":\"temperature\",\"u\":\"Cel\","
        "\"v\":25.2},{\"bn\":\"2001:db8::1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":12.3}]";
    struct fixture *fx = *state;
    struct store_stats s;

    ingest_note(fx->ig, "hj212_reply_cmd", 1);
    add(fx, "xh/gw/xujiahui/gw-01", pack, NOW_MS);
    ingest_note(fx->ig, "hj212_reply_cmd", 2);
    ingest_rollback(fx->ig);
    s = stats(fx);
    assert_int_equal(s.received, 0);
    assert_int_equal(s.n_devices, 0);
    assert_int_equal(note_count(&s, "hj212_reply_cmd"), 0);

    deliver(fx, "xh/gw/xujiahui/gw-01", pack, NOW_MS + 10);
    assert_int_equal(ingest_flush(fx->ig), 0);
    s = stats(fx);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 2);
    assert_int_equal(s.n_devices, 2);
    assert_int_equal(note_count(&s, "hj212_reply_cmd"), 1);
    assert_int_equal(sql_value(fx, "SELECT sum(n_messages) FROM devices WHERE name LIKE '2001:%'"),
                     2);
}

static void test_correction_wins_and_is_kept(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, TOPIC, good, NOW_MS);
    /* The rollup ran: the hour is clean. */
    assert_int_equal(store_exec(fx->st, "DELETE FROM dirty_hours"), 0);
    /* The same reading time with another pm25: a correction, the rest duplicates. */
    deliver(fx, TOPIC,
            "{\"ts\":1732579200,\"pm25\":25.0,\"pm10\":41,\"so2\":5,\"no2\":30.2,"
            "\"co\":0.6,\"o3\":80.1}",
            NOW_MS + 60000);
    s = stats(fx);
    assert_int_equal(s.received, 2);
    assert_int_equal(s.stored_messages, 1);
    assert_int_equal(s.stored_readings, 6);
    assert_int_equal(s.corrections, 1);
    assert_int_equal(s.corrected_messages, 1);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(s.duplicate_readings, 5);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_true(r.value[0] == 25.0);
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM corrections"), 1);
    assert_int_equal(sql_value(fx, "SELECT ts FROM corrections"), T0_MS);
    assert_int_equal(sql_value(fx, "SELECT old_value * 10 FROM corrections"), 234);
    assert_int_equal(sql_value(fx, "SELECT new_value FROM corrections"), 25);
    assert_int_equal(sql_value(fx, "SELECT received FROM corrections"), NOW_MS + 60000);
    assert_int_equal(sql_value(fx, "SELECT topic = '" TOPIC "' FROM corrections"), 1);
    /* Statistics and uploads revise the hour. */
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM dirty_hours"), 1);
    assert_int_equal(sql_value(fx, "SELECT hour FROM dirty_hours"), T0_MS);
    /* The corrected value sent again is a duplicate, not another correction. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":25.0}", NOW_MS + 61000);
    s = stats(fx);
    assert_int_equal(s.corrections, 1);
    assert_int_equal(s.duplicates, 1);
    /* And back to the first value: a second correction. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":23.4}", NOW_MS + 62000);
    assert_int_equal(stats(fx).corrections, 2);
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM corrections"), 2);
    assert_int_equal(rows_of(fx, "aqm-01", "pm25", &r), 1);
    assert_true(r.value[0] == 23.4);
}

static void test_partly_known_message(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;
    struct rows r;

    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":23.4,\"so2\":5}", NOW_MS);
    /* pm25 again, so2 corrected, pm10 and no2 new: one statement, sorted out row by row. */
    deliver(fx, TOPIC, "{\"ts\":1732579200,\"pm25\":23.4,\"so2\":6,\"pm10\":41,\"no2\":30.2}",
            NOW_MS + 1000);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 4);
    assert_int_equal(s.duplicate_readings, 1);
    assert_int_equal(s.corrections, 1);
    assert_int_equal(s.stored_messages, 2);
    assert_int_equal(rows_of(fx, "aqm-01", NULL, &r), 4);
    /* More readings than one statement takes (STORE_INSERT_MAX). */
    deliver(fx, "xh/air/xujiahui/aqm-02",
            "{\"ts\":1732579200,\"pm25\":1,\"pm10\":2,\"so2\":3,\"no2\":4,\"co\":0.5,"
            "\"o3\":6,\"temp\":20,\"humidity\":50,\"pres\":1013,\"wspm\":2,\"rain\":0}",
            NOW_MS + 2000);
    s = stats(fx);
    assert_int_equal(s.stored_readings, 4 + 11);
    assert_true(11 > STORE_INSERT_MAX);
    assert_int_equal(s.duplicate_readings, 1);
    assert_int_equal(sql_value(fx, "SELECT count(*) FROM readings"), 15);
}

static void test_notes_counted(void **state)
{
    struct fixture *fx = *state;
    struct store_stats s;

    ingest_condition(fx->ig, INGEST_COND_QOS_DOWNGRADE);
    ingest_condition(fx->ig, INGEST_COND_SESSION_LOST);
    /* Written with the next commit... */
    deliver(fx, TOPIC, good, NOW_MS);
    s = stats(fx);
    assert_int_equal(s.qos_downgrades, 1);
    assert_int_equal(s.sessions_lost, 1);
    /* ... or by the periodic flush when nothing arrives. */
    ingest_condition(fx->ig, INGEST_COND_QOS_DOWNGRADE);
    assert_int_equal(ingest_flush(fx->ig), 0);
    s = stats(fx);
    assert_int_equal(s.qos_downgrades, 2);
    assert_int_equal(s.last_received_ms, NOW_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_allocation_failures_commit_all_or_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_commits_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_batch_leaves_no_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_of_open_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_of_pack_of_two_devices, setup_custom,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_correction_wins_and_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partly_known_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notes_counted, setup, teardown),
    };

    log_set_level(LOG_LVL_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
