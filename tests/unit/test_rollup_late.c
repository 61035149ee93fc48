/*
 * Tests of the rollup engine (collector/stats/rollup.h), continued: late
 * data into computed hours and into days retention pruned, retention on a
 * live gateway, allocation failures, and a backfill in short passes. The
 * fixture, the test day and the conventions are those of test_rollup.c
 * (rollup_fixture.h).
 */

#include "rollup_fixture.h"

/* ---- 7. late data into a computed hour ---- */

static void test_late_data_recomputes(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "late-1", NULL, NULL, "aqm-l");
    const struct seen *v;
    struct stat_row o;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    assert_int_equal(step(fx), 24);
    assert_true(aqi_daily(fx, "late-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
    assert_true(aqi_hourly(fx, "late-1", H(9), &a));
    assert_int_equal(a.aqi, 40);

    /* PM2.5 340 at 10:30 arrives after the day was computed: one device-hour to redo. */
    put(fx, dev, "pm25", H(10) + 30 * MIN_MS, 340, 0);
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);

    /* 10:00: n = 2, mean (100 + 340) / 2 = 220, min 100, max 340, sum 440. */
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 220);
    assert_near(o.min, 100);
    assert_near(o.max, 340);
    assert_near(o.sum, 440);
    /* The hours around it and the other pollutants of 10:00 are as they were. */
    assert_true(hourly(fx, dev, "pm25", H(9), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 100);
    assert_true(hourly(fx, dev, "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 100);
    assert_true(hourly(fx, dev, "o3", H(10), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 80);

    /* The day: (23 * 100 + 220) / 24 = 2520 / 24 = 105; device day 25 readings. */
    assert_true(site_daily(fx, "late-1", "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_near(o.mean, 105);
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n_sum, 25);
    assert_near(o.max, 340);
    /* Daily AQI: PM2.5 105 -> 100 + 50 * (105 - 75) / 40 = 137.5 -> 138 (the others stay
     * below): AQI 138, level 3, primary PM2.5. */
    assert_true(aqi_daily(fx, "late-1", DAY, &a));
    assert_int_equal(a.aqi, 138);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 105);
    /* Real-time 23:00: the 24-h moving mean is 105 too: 138. 19:00: hours 0..19,
     * (19 * 100 + 220) / 20 = 106 -> 100 + 50 * 31 / 40 = 138.75 -> 139. */
    assert_true(aqi_hourly(fx, "late-1", H(23), &a));
    assert_near(a.pm25_24h, 105);
    assert_int_equal(a.aqi, 138);
    assert_true(aqi_hourly(fx, "late-1", H(19), &a));
    assert_near(a.pm25_24h, 106);
    assert_int_equal(a.aqi, 139);
    /* 10:00 shows the new hourly PM2.5; 09:00, before the late hour, is unchanged. */
    assert_true(aqi_hourly(fx, "late-1", H(10), &a));
    assert_near(a.pm25, 220);
    assert_true(aqi_hourly(fx, "late-1", H(9), &a));
    assert_int_equal(a.aqi, 40);
    assert_near(a.pm25, 100);

    v = seen_find(fx, RULE_AQI_DAILY, "late-1", "aqi", D0);
    assert_non_null(v);
    assert_near(v->value, 138);
}

/* ---- 8. late data into a day whose raw readings retention removed ---- */

/* Run retention at @now_ms until it has nothing left to do (one day per call); days pruned. */
static int retention_all(struct fixture *fx, int64_t now_ms)
{
    int total = 0, n;

    for (int i = 0; i < 10; i++) {
        n = rollup_retention(fx->r, now_ms, false);
        assert_true(n >= 0);
        if (n == 0)
            break;
        total += n;
    }
    return total;
}

static void test_late_data_into_pruned_day(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "old-1", NULL, NULL, "aqm-o");
    struct stat_row o;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    /* A second PM2.5 reading at 10:20, also 100: the hour has n = 2, mean 100. */
    put(fx, dev, "pm25", H(10) + 20 * MIN_MS, 100, 0);
    assert_int_equal(step(fx), 24);

    /* Ten days later with raw readings kept one day: the 26th's raw rows go, its
     * statistics stay. */
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 100);
    assert_true(site_daily(fx, "old-1", "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_near(o.mean, 100);
    assert_true(aqi_daily(fx, "old-1", DAY, &a));
    assert_int_equal(a.aqi, 132);

    /* A late PM2.5 of 340 at 10:40 of that day: merged into the stored hour,
     * n = 2 + 1 = 3, mean (100 * 2 + 340) / 3 = 540 / 3 = 180, min 100, max 340, sum 540;
     * and its raw row removed like the rest of the day's. */
    put(fx, dev, "pm25", H(10) + 40 * MIN_MS, 340, 0);
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(hourly(fx, dev, "pm25", H(10), &o));
    assert_int_equal(o.n, 3);
    assert_near(o.mean, 180);
    assert_near(o.min, 100);
    assert_near(o.max, 340);
    assert_near(o.sum, 540);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    /* The other pollutants of 10:00 are not touched. */
    assert_true(hourly(fx, dev, "o3", H(10), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 80);
    /* The day follows the hour: (23 * 100 + 180) / 24 = 2480 / 24 = 103.333..., 26 readings;
     * PM2.5 IAQI 100 + 50 * (103.333 - 75) / 40 = 135.42 -> 136. */
    assert_true(site_daily(fx, "old-1", "pm25", DAY, &o));
    assert_near(o.mean, 2480.0 / 24);
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n, 24);
    assert_int_equal(o.n_sum, 26);
    assert_true(aqi_daily(fx, "old-1", DAY, &a));
    assert_int_equal(a.aqi, 136);
    assert_string_equal(a.primary, "pm25");
}

/*
 * A late LAeq reading into a pruned day merges by energy (GB 3096): the
 * stored hour holds 50 dB(A) (n = 1), the late reading is 60:
 * 10 lg((10^5 + 10^6) / 2) = 10 lg 550000 = 57.4036 dB(A), not 55.
 */
static void test_late_laeq_into_pruned_day(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "quiet-2", "1", NULL, "nm-2");
    struct stat_row o;

    put(fx, dev, "laeq", H(10), 50, 0);
    assert_int_equal(step(fx), 1);
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    put(fx, dev, "laeq", H(10) + 30 * MIN_MS, 60, 0);
    assert_int_equal(step(fx), 1);
    assert_true(hourly(fx, dev, "laeq", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 10 * log10(550000.0));
}

/*
 * Waste figures come from raw readings: once a day's raw readings are
 * pruned, a late reading of another device on the site recomputes the
 * site's day but must leave its waste row (10 -> 16 kg: 6 kg deposited).
 */
static void test_late_data_keeps_pruned_waste_day(void **state)
{
    static const char *const first[] = {"category", "weight"};
    struct fixture *fx = *state;
    int64_t bin = device(fx, "bins-2", NULL, NULL, "bin-p");
    int64_t other = device(fx, "bins-2", NULL, NULL, "thermo-p");
    struct waste_row w;

    put_msg(fx, bin, H(8), first, (const double[]){1, 10}, 2, 0);
    put_msg(fx, bin, H(9), first, (const double[]){1, 16}, 2, 0);
    assert_int_equal(step(fx), 2);
    assert_true(retention_all(fx, D0 + 10 * DAY_MS) >= 1);
    assert_true(waste_daily(fx, "bins-2", DAY, 1, &w));
    put(fx, other, "temp", H(12), 21.5, 0);
    assert_int_equal(step(fx), 1);
    assert_true(waste_daily(fx, "bins-2", DAY, 1, &w));
    assert_near(w.deposited, 6);
}

/* ---- 9. retention on a live gateway ---- */

static void test_retention_with_open_hour(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "live-1", NULL, NULL, "aqm-v");
    int64_t now = D0 + 10 * DAY_MS + 3 * HOUR_MS + 30 * MIN_MS;
    struct aqi_row a;

    /* The 26th, complete and rolled up; one reading on the 27th, rolled up too. */
    put_air_hours(fx, dev, 0, 24);
    put(fx, dev, "pm25", H(24 + 10), 50, 0);
    assert_int_equal(step(fx), 25);
    /* A late reading for the 27th, not rolled up yet: that day must wait. */
    put(fx, dev, "pm25", H(24 + 11), 60, 0);
    /* The live hour: a reading now, its hour still open (the daemon's passes stop at the
     * start of the current hour, so it stays dirty until the hour ends). */
    put(fx, dev, "pm25", now, 70, 0);
    assert_int_equal(n_dirty(fx), 2);

    /* The pending live hour does not hold the 26th back; the 27th, with an hour pending,
     * keeps its raw readings. */
    assert_true(retention_all(fx, now) >= 1);
    assert_int_equal(raw_pruned(fx, DAY), 1);
    assert_int_equal(n_readings(fx, D0, D0 + DAY_MS), 0);
    assert_int_equal(raw_pruned(fx, "2024-11-27"), 0);
    assert_int_equal(n_readings(fx, D0 + DAY_MS, D0 + 2 * DAY_MS), 2);
    assert_int_equal(n_readings(fx, cal_hour_floor(now), cal_hour_floor(now) + HOUR_MS), 1);
    assert_int_equal(n_dirty(fx), 2);
    /* The 26th's figures are kept. */
    assert_true(aqi_daily(fx, "live-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
}

/* ---- allocation failures: a failed pass leaves nothing behind, the next one completes ---- */

static void test_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "alloc-1", NULL, NULL, "aqm-x");
    struct aqi_row a;
    int rc = -1;
    long n;

    put_air_hours(fx, dev, 0, 24);
    for (n = 1; n < 10000; n++) {
        struct rollup *r;

        xalloc_fail_at(n);
        r = rollup_new(fx->cfg, fx->st);
        rollup_set_budget(r, 0);
        rc = r ? rollup_step(r, MAX_HOURS, FAR) : COL_ERR_NOMEM;
        xalloc_fail_at(0);
        rollup_free(r);
        if (rc >= 0)
            break;
        /* Rolled back: every hour still waits, nothing was written. */
        assert_int_equal(n_dirty(fx), 24);
        assert_int_equal(n_hourly_rows(fx), 0);
    }
    assert_true(n > 1);
    assert_int_equal(rc, 24);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(aqi_daily(fx, "alloc-1", DAY, &a));
    assert_int_equal(a.aqi, 132);
}

/*
 * A backfill in short passes: each pass takes 5 device-hours (of two
 * devices: cut inside an hour too) and leaves the days and AQI hours that
 * the next pass recomputes anyway. Every day and AQI hour must still be there at the
 * end with the values of put_air_hours()' table: 3 whole days of constant
 * hours at two sites give each day PM2.5 100 over 24 valid hours and AQI
 * 132 (PM2.5's 24-hour sub-index), and 72 AQI hours a site.
 */
static void test_short_passes_leave_nothing_out(void **state)
{
    struct fixture *fx = *state;
    static const char *const days[] = {DAY, "2024-11-27", "2024-11-28"};
    static const char *const sites[] = {"bf-1", "bf-2"};
    int64_t dev[2];
    int passes = 0, n;
    struct aqi_row a;
    struct stat_row o;

    for (int k = 0; k < 2; k++) {
        dev[k] = device(fx, sites[k], NULL, NULL, k ? "bf-dev-2" : "bf-dev-1");
        put_air_hours(fx, dev[k], 0, 72);
    }
    while ((n = rollup_step(fx->r, 5, FAR)) > 0) {
        assert_int_equal(n, 5 - (passes == 28) * 1); /* 144 = 28 * 5 + 4 */
        passes++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(passes, 29);
    assert_int_equal(n_dirty(fx), 0);
    for (int k = 0; k < 2; k++) {
        for (int d = 0; d < 3; d++) {
            assert_true(site_daily(fx, sites[k], "pm25", days[d], &o));
            assert_int_equal(o.n, 24);
            assert_near(o.mean, 100);
            assert_int_equal(o.is_valid, 1);
            assert_true(daily(fx, dev[k], "pm25", days[d], &o));
            assert_int_equal(o.n, 24);
            assert_true(aqi_daily(fx, sites[k], days[d], &a));
            assert_int_equal(a.aqi, 132);
        }
        assert_int_equal(
            first_int(row(fx, "SELECT count(*) FROM aqi_hourly WHERE site = ?1", "s", sites[k])),
            72);
    }
}

/* ---- settling: an hour is due after a quiet spell, or once its device has moved on ---- */

static void test_hour_settles_when_device_moves_on(void **state)
{
    struct fixture *fx = *state;
    int64_t a = device(fx, "st-1", NULL, NULL, "st-dev-a");
    int64_t b = device(fx, "st-2", NULL, NULL, "st-dev-b");
    struct stat_row o;

    /* Every mark is fresh and the quiet spell an hour: only moving on makes an hour due. */
    rollup_set_settle(fx->r, HOUR_MS);
    put_air_hours(fx, a, 0, 3);    /* a: hours 0, 1, 2 */
    put_air_hours(fx, b, 0, 1);    /* b: hour 0 only */
    put_air_hours(fx, b, 5, 6);    /* ... and hour 5, not the next one */
    assert_int_equal(step(fx), 2); /* a's hours 0 and 1 */
    assert_true(hourly(fx, a, "pm25", H(0), &o));
    assert_true(hourly(fx, a, "pm25", H(1), &o));
    assert_false(hourly(fx, a, "pm25", H(2), &o)); /* a's last hour may still be filling */
    assert_false(hourly(fx, b, "pm25", H(0), &o)); /* a gap: b waits for the quiet spell */
    assert_int_equal(n_dirty(fx), 3);

    /* a reaches hour 3: hour 2 is done. */
    put_air_hours(fx, a, 3, 4);
    assert_int_equal(step(fx), 1);
    assert_true(hourly(fx, a, "pm25", H(2), &o));
    assert_int_equal(o.n, 1);

    /* A late reading for a's hour 1 after a has moved on: due after the quiet spell,
     * and then recomputed from all of the hour's readings. */
    put(fx, a, "pm25", H(1) + 30 * MIN_MS, 40, 0);
    assert_int_equal(step(fx), 0);
    rollup_set_settle(fx->r, 0);
    assert_int_equal(step(fx), 4); /* a's 1 and 3, b's 0 and 5 */
    assert_true(hourly(fx, a, "pm25", H(1), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 70);
    assert_int_equal(n_dirty(fx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_late_data_recomputes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_into_pruned_day, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_late_laeq_into_pruned_day, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_keeps_pruned_waste_day, setup_raw_1d,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention_with_open_hour, setup_raw_1d, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_passes_leave_nothing_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hour_settles_when_device_moves_on, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
