/*
 * Tests of the rollup engine (collector/stats/rollup.h) on a fresh database
 * per test. Readings go in through the store's write path as ingest uses
 * it (store_readings_insert() and store_mark_dirty() in one transaction),
 * rollup_step() computes, and the derived tables are read back through
 * store/db.h. store_open() insists on WAL, which SQLite's ":memory:"
 * databases cannot have, so the database is a file in a tmpfs directory
 * (/dev/shm) where there is one.
 *
 * Every expected number is worked out in a comment from the standard's
 * formula or plain arithmetic. The gateway zone is Asia/Shanghai (UTC+8,
 * no DST); the test day is 2024-11-26 local (HJ 633-2012 in force), whose
 * local midnight is 2024-11-25T16:00Z. Doubles are compared to 1e-9.
 */

#include "rollup_fixture.h"

/* ---- 1. device hours and site hours ---- */

static void test_device_and_site_hours(void **state)
{
    struct fixture *fx = *state;
    int64_t a = device(fx, "s1", NULL, NULL, "air-a");
    int64_t b = device(fx, "s1", NULL, NULL, "air-b");
    struct stat_row o;

    /* air-a, local 10:00-11:00: 10 (no flag), 20 ('N'), 36 (no flag) count;
     * 1000 ('D', fault) and 500 ('M', maintenance) are left out. */
    put(fx, a, "pm25", H(10), 10, 0);
    put(fx, a, "pm25", H(10) + 20 * MIN_MS, 20, FLAG_N);
    put(fx, a, "pm25", H(10) + 40 * MIN_MS, 36, 0);
    put(fx, a, "pm25", H(10) + 50 * MIN_MS, 1000, FLAG_D);
    put(fx, a, "pm25", H(10) + 55 * MIN_MS, 500, FLAG_M);
    /* air-b, the same hour: 30 and 40. */
    put(fx, b, "pm25", H(10) + 5 * MIN_MS, 30, 0);
    put(fx, b, "pm25", H(10) + 35 * MIN_MS, 40, 0);
    /* The next hour, still open when the first pass runs. */
    put(fx, a, "pm25", H(11), 50, 0);

    /* Passing the start of 11:00: the two device-hours of 10:00 are due, 11:00 is not. */
    assert_int_equal(rollup_step(fx->r, MAX_HOURS, H(11)), 2);
    assert_int_equal(n_dirty(fx), 1);
    assert_false(hourly(fx, a, "pm25", H(11), &o));

    /* air-a: n = 3, mean = (10 + 20 + 36) / 3 = 66 / 3 = 22, min 10, max 36, sum 66. */
    assert_true(hourly(fx, a, "pm25", H(10), &o));
    assert_int_equal(o.n, 3);
    assert_near(o.mean, 22);
    assert_near(o.min, 10);
    assert_near(o.max, 36);
    assert_near(o.sum, 66);
    /* air-b: n = 2, mean = (30 + 40) / 2 = 35, min 30, max 40, sum 70. */
    assert_true(hourly(fx, b, "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 35);
    assert_near(o.min, 30);
    assert_near(o.max, 40);
    assert_near(o.sum, 70);
    /* Site s1: 2 devices, mean of the device means (22 + 35) / 2 = 28.5, min 10, max 40,
     * sum 66 + 70 = 136. */
    assert_true(site_hourly(fx, "s1", "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 28.5);
    assert_near(o.min, 10);
    assert_near(o.max, 40);
    assert_near(o.sum, 136);

    /* Once 11:00 is due: one device-hour, n = 1, mean 50; the site hour has one device. */
    assert_int_equal(step(fx), 1);
    assert_int_equal(n_dirty(fx), 0);
    assert_true(hourly(fx, a, "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 50);
    assert_true(site_hourly(fx, "s1", "pm25", H(11), &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 50);
    /* Late data for air-b's 10:00 alone: the site hour from air-b's hour of this pass and
     * air-a's stored one. air-b: (30 + 40 + 50) / 3 = 40; s1: (22 + 40) / 2 = 31, min 10,
     * max 50, sum 66 + 120 = 186. */
    put(fx, b, "pm25", H(10) + 45 * MIN_MS, 50, 0);
    assert_int_equal(step(fx), 1);
    assert_true(site_hourly(fx, "s1", "pm25", H(10), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 31);
    assert_near(o.min, 10);
    assert_near(o.max, 50);
    assert_near(o.sum, 186);
    /* Nothing left: a pass with nothing due does nothing. */
    assert_int_equal(step(fx), 0);
    assert_true(fx->n_committed >= 2);
    assert_int_equal(fx->n_rolled_back, 0);
}

/* ---- 2. days, and HJ 663 daily validity (>= 20 hourly values) ---- */

static void test_days_and_validity(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "s2", NULL, NULL, "air-c");
    const struct seen *v;
    struct stat_row o;

    for (int i = 0; i < 20; i++) {
        /* PM2.5 at local hours 0..19: i + 0.5 and i + 1.5, so the hour's mean is i + 1. */
        put(fx, dev, "pm25", H(i) + 10 * MIN_MS, i + 0.5, 0);
        put(fx, dev, "pm25", H(i) + 40 * MIN_MS, i + 1.5, 0);
        /* PM10 at local hours 0..18 only: 19 hours. */
        if (i < 19)
            put(fx, dev, "pm10", H(i) + 10 * MIN_MS, 50, 0);
    }
    /* 23:00 of the day before (2024-11-25T15:00Z): not part of 2024-11-26. */
    put(fx, dev, "pm25", H(-1), 1000, 0);

    /* Device-hours: local 00..19 of the 26th (20) and 23 of the 25th (1) = 21. */
    assert_int_equal(step(fx), 21);

    /* Device day: 20 hours, 40 readings, mean of the hour means 1..20 = 210 / 20 = 10.5,
     * min 0 + 0.5 = 0.5, max 19 + 1.5 = 20.5, sum = sum of (2i + 2), i = 0..19 = 380 + 40 = 420. */
    assert_true(daily(fx, dev, "pm25", DAY, &o));
    assert_int_equal(o.n, 20);
    assert_int_equal(o.n_sum, 40);
    assert_near(o.mean, 10.5);
    assert_near(o.min, 0.5);
    assert_near(o.max, 20.5);
    assert_near(o.sum, 420);
    /* Site day: the same figures from one device, 20 hours: valid. */
    assert_true(site_daily(fx, "s2", "pm25", DAY, &o));
    assert_int_equal(o.n, 20);
    assert_near(o.mean, 10.5);
    assert_near(o.min, 0.5);
    assert_near(o.max, 20.5);
    assert_near(o.sum, 420);
    assert_int_equal(o.is_valid, 1);
    /* PM10: 19 hours of 50: mean 50, not valid. */
    assert_true(site_daily(fx, "s2", "pm10", DAY, &o));
    assert_int_equal(o.n, 19);
    assert_near(o.mean, 50);
    assert_int_equal(o.is_valid, 0);
    /* The 23:00 reading makes a day of its own for 2024-11-25: 1 hour, 1000, not valid. */
    assert_true(site_daily(fx, "s2", "pm25", DAY_BEFORE, &o));
    assert_int_equal(o.n, 1);
    assert_near(o.mean, 1000);
    assert_int_equal(o.is_valid, 0);
    assert_true(daily(fx, dev, "pm25", DAY_BEFORE, &o));
    assert_int_equal(o.n, 1);

    /* The daily rules see the valid PM2.5 day only. */
    v = seen_find(fx, RULE_DAILY, "s2", "pm25", D0);
    assert_non_null(v);
    assert_near(v->value, 10.5);
    assert_null(seen_find(fx, RULE_DAILY, "s2", "pm10", D0));
    assert_null(seen_find(fx, RULE_DAILY, "s2", "pm25", D0 - DAY_MS));
}

/* ---- 3. AQI hours and days ---- */

static void test_aqi_hours_and_days(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "air-1", NULL, NULL, "aqm-1");
    const struct seen *v;
    struct aqi_row a;

    put_air_hours(fx, dev, 0, 24);
    assert_int_equal(step(fx), 24);

    /* Daily (HJ 633-2012 Table 3): 24-h means equal the constants; the day's max 1-h O3 is
     * 80 and its MDA8 (17 windows of 80) is 80. IAQIs 20, 38, 65, 132, 25, 25 (O3 1h),
     * 40 (O3 8h) (put_air_hours): AQI = 132, level 3 (101-150), primary PM2.5. */
    assert_true(aqi_daily(fx, "air-1", DAY, &a));
    assert_string_equal(a.edition, "HJ 633-2012");
    assert_int_equal(a.aqi, 132);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 100);
    assert_near(a.co, 1.0);
    assert_near(a.o3_1h, 80);
    assert_near(a.o3_8h, 80);
    assert_non_null(strstr(a.iaqi, "pm25_24h=132"));
    assert_non_null(strstr(a.iaqi, "no2_24h=38"));
    assert_non_null(strstr(a.iaqi, "o3_8h=40"));

    /* Real-time at 23:00 (2012 §5.1.3): SO2 1h 7, NO2 1h 15, CO 1h 10, O3 1h 25, O3 8h of
     * 16..23 = 80 -> 40, PM10 and PM2.5 24-h moving means of 0..23 (24 hours) 80 -> 65 and
     * 100 -> 132: AQI 132, level 3, primary PM2.5. */
    assert_true(aqi_hourly(fx, "air-1", H(23), &a));
    assert_int_equal(a.aqi, 132);
    assert_int_equal(a.level, 3);
    assert_string_equal(a.primary, "pm25");
    assert_near(a.pm25, 100);
    assert_near(a.pm25_24h, 100);
    assert_near(a.o3_8h, 80);
    /* 19:00: the window 0..19 holds 20 hours, enough for the 24-h moving mean: 132. */
    assert_true(aqi_hourly(fx, "air-1", H(19), &a));
    assert_near(a.pm25_24h, 100);
    assert_int_equal(a.aqi, 132);
    /* 18:00: 19 hours, no PM 24-h means; AQI = max(7, 15, 10, 25, 40) = 40, level 1, and no
     * primary pollutant at AQI <= 50 (§3.3). */
    assert_true(aqi_hourly(fx, "air-1", H(18), &a));
    assert_true(isnan(a.pm25_24h));
    assert_near(a.pm25, 100);
    assert_int_equal(a.aqi, 40);
    assert_int_equal(a.level, 1);
    assert_string_equal(a.primary, "");
    /* 05:00: the O3 8-h window 22..05 holds 6 hours of data (00..05), enough: 40. */
    assert_true(aqi_hourly(fx, "air-1", H(5), &a));
    assert_near(a.o3_8h, 80);
    assert_int_equal(a.aqi, 40);
    /* 04:00: 5 hours, no O3 8-h mean; AQI = max(7, 15, 10, 25) = 25. */
    assert_true(aqi_hourly(fx, "air-1", H(4), &a));
    assert_true(isnan(a.o3_8h));
    assert_int_equal(a.aqi, 25);

    /* What the AQI rules were given. */
    v = seen_find(fx, RULE_AQI_DAILY, "air-1", "aqi", D0);
    assert_non_null(v);
    assert_near(v->value, 132);
    v = seen_find(fx, RULE_AQI_HOURLY, "air-1", "aqi", H(23));
    assert_non_null(v);
    assert_near(v->value, 132);
    v = seen_find(fx, RULE_AQI_HOURLY, "air-1", "aqi", H(18));
    assert_non_null(v);
    assert_near(v->value, 40);
}

/* ---- 4. water: GB 3838 sample and day classes ---- */

struct water_row {
    int64_t cls, is_partial, n_evaluated, worst, n_samples;
    char deciding[16];
};

static bool water_sample(struct fixture *fx, int64_t dev, int64_t ts, struct water_row *o)
{
    struct db_stmt *s =
        row(fx,
            "SELECT class, deciding, is_partial, n_evaluated FROM water_samples WHERE "
            "device_id = ?1 AND ts = ?2",
            "ii", dev, ts);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->cls = db_col_i64(s, 0);
    db_col_copy(s, 1, o->deciding, sizeof(o->deciding));
    o->is_partial = db_col_i64(s, 2);
    o->n_evaluated = db_col_i64(s, 3);
    db_reset(s);
    return true;
}

static bool water_daily(struct fixture *fx, const char *site, const char *day, struct water_row *o)
{
    struct db_stmt *s = row(fx,
                            "SELECT class, deciding, is_partial, n_evaluated, worst_sample_class, "
                            "n_samples FROM water_daily WHERE site = ?1 AND day = ?2",
                            "ss", site, day);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    o->cls = db_col_i64(s, 0);
    db_col_copy(s, 1, o->deciding, sizeof(o->deciding));
    o->is_partial = db_col_i64(s, 2);
    o->n_evaluated = db_col_i64(s, 3);
    o->worst = i64_or(s, 4, -1);
    o->n_samples = db_col_i64(s, 5);
    db_reset(s);
    return true;
}

static void test_water_classes(void **state)
{
    static const char *const params[] = {"ph", "do", "codmn", "nh3n", "tp"};
    /* Sample 1: pH 7.5 in 6..9 -> I; DO 6.5 >= 6 (< 7.5) -> II; CODMn 3.0 <= 4 (> 2) -> II;
     * NH3-N 1.2 <= 1.5 (> 1.0) -> IV; TP 0.08 <= 0.1 (river, > 0.02) -> II.
     * Worst: IV, decided by NH3-N; 5 of the 21 evaluated items: partial. */
    static const double s1[] = {7.5, 6.5, 3.0, 1.2, 0.08};
    /* Sample 2: CODMn 4.6 <= 6 (> 4) -> III; NH3-N 0.2 <= 0.5 (> 0.15) -> II; the rest as
     * sample 1. Worst: III, decided by CODMn. */
    static const double s2[] = {7.5, 6.5, 4.6, 0.2, 0.08};
    /* A lake sample: pH 7.5 -> I, DO 8.0 >= 7.5 -> I, TP 0.15 under the lake limits
     * (0.01 0.025 0.05 0.1 0.2) -> V (in a river it would be III: <= 0.2). */
    static const char *const lake_params[] = {"ph", "do", "tp"};
    static const double lake[] = {7.5, 8.0, 0.15};
    struct fixture *fx = *state;
    int64_t river_dev = device(fx, "river-1", NULL, "river", "wq-r");
    int64_t lake_dev = device(fx, "lake-1", NULL, "lake", "wq-l");
    const struct seen *v;
    struct water_row w;

    put_msg(fx, river_dev, H(10), params, s1, 5, 0);
    put_msg(fx, river_dev, H(14), params, s2, 5, 0);
    put_msg(fx, lake_dev, H(10), lake_params, lake, 3, 0);
    assert_int_equal(step(fx), 3);

    assert_true(water_sample(fx, river_dev, H(10), &w));
    assert_int_equal(w.cls, 4);
    assert_string_equal(w.deciding, "nh3n");
    assert_int_equal(w.n_evaluated, 5);
    assert_int_equal(w.is_partial, 1);
    assert_true(water_sample(fx, river_dev, H(14), &w));
    assert_int_equal(w.cls, 3);
    assert_string_equal(w.deciding, "codmn");
    assert_true(water_sample(fx, lake_dev, H(10), &w));
    assert_int_equal(w.cls, 5);
    assert_string_equal(w.deciding, "tp");
    assert_int_equal(w.n_evaluated, 3);

    /* The river's day from the daily means: pH 7.5 I, DO 6.5 II, CODMn (3.0 + 4.6) / 2 = 3.8
     * II, NH3-N (1.2 + 0.2) / 2 = 0.7 <= 1.0 III, TP 0.08 II: III by NH3-N. Worst sample IV,
     * 2 samples. */
    assert_true(water_daily(fx, "river-1", DAY, &w));
    assert_int_equal(w.cls, 3);
    assert_string_equal(w.deciding, "nh3n");
    assert_int_equal(w.n_evaluated, 5);
    assert_int_equal(w.is_partial, 1);
    assert_int_equal(w.worst, 4);
    assert_int_equal(w.n_samples, 2);
    assert_true(water_daily(fx, "lake-1", DAY, &w));
    assert_int_equal(w.cls, 5);
    assert_int_equal(w.n_samples, 1);

    v = seen_find(fx, RULE_WATER_SAMPLE, "river-1", "class", H(10));
    assert_non_null(v);
    assert_near(v->value, 4);
    assert_string_equal(v->device, "wq-r");
    v = seen_find(fx, RULE_WATER_SAMPLE, "river-1", "class", H(14));
    assert_non_null(v);
    assert_near(v->value, 3);
    v = seen_find(fx, RULE_WATER_SAMPLE, "lake-1", "class", H(10));
    assert_non_null(v);
    assert_near(v->value, 5);
    v = seen_find(fx, RULE_WATER_DAILY, "river-1", "class", D0);
    assert_non_null(v);
    assert_near(v->value, 3);
}

/* ---- 5. noise: GB 3096 day and night levels ---- */

struct noise_row {
    char zone[8];
    double ld, ln, ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over;
    int64_t n_day, n_night;
};

static bool noise_daily(struct fixture *fx, const char *site, const char *day, struct noise_row *o)
{
    struct db_stmt *s = row(fx,
                            "SELECT zone, ld, ln, n_day_hours, n_night_hours, ld_limit, ln_limit, "
                            "ld_over, ln_over, night_lmax, lmax_over FROM noise_daily WHERE site = "
                            "?1 AND day = ?2",
                            "ss", site, day);

    memset(o, 0, sizeof(*o));
    if (!s)
        return false;
    db_col_copy(s, 0, o->zone, sizeof(o->zone));
    o->ld = db_col_f64(s, 1);
    o->ln = db_col_f64(s, 2);
    o->n_day = db_col_i64(s, 3);
    o->n_night = db_col_i64(s, 4);
    o->ld_limit = db_col_f64(s, 5);
    o->ln_limit = db_col_f64(s, 6);
    o->ld_over = db_col_f64(s, 7);
    o->ln_over = db_col_f64(s, 8);
    o->night_lmax = db_col_f64(s, 9);
    o->lmax_over = db_col_f64(s, 10);
    db_reset(s);
    return true;
}

/* Energy of a level: 10^(L/10) (GB 3096: L = 10 lg(mean of 10^(L/10))). */
#define E(l) pow(10.0, (l) / 10.0)

static void test_noise_day_and_night(void **state)
{
    struct fixture *fx = *state;
    int64_t dev = device(fx, "quiet-1", "1", NULL, "nm-1");
    const struct seen *v;
    struct noise_row nr;
    struct stat_row o;

    /* 03:00 of the 26th belongs to the night of the 25th (22:00-06:00). */
    put(fx, dev, "laeq", H(3), 70, 0);
    /* Day 06:00-22:00: 06:00 two readings 50 and 60; 07..13 at 50; 14..21 at 60. */
    put(fx, dev, "laeq", H(6), 50, 0);
    put(fx, dev, "laeq", H(6) + 30 * MIN_MS, 60, 0);
    for (int i = 7; i < 22; i++)
        put(fx, dev, "laeq", H(i), i < 14 ? 50 : 60, 0);
    /* Night 22:00-06:00: 22 and 23 at 50, 00..05 of the 27th at 40. */
    for (int i = 22; i < 30; i++)
        put(fx, dev, "laeq", H(i) + MIN_MS, i < 24 ? 50 : 40, 0);
    /* Lmax: 80 by day (not a night event), 62 at 23:00. */
    put(fx, dev, "lmax", H(12) + 2 * MIN_MS, 80, 0);
    put(fx, dev, "lmax", H(23) + 2 * MIN_MS, 62, 0);
    /* Device-hours: 03 of the 26th, 06..23 (18), 00..05 of the 27th (6) = 25. */
    assert_int_equal(step(fx), 25);

    /* The hour 06:00 by energy: 10 lg((10^5 + 10^6) / 2) = 10 lg 550000 = 57.4036. */
    assert_true(hourly(fx, dev, "laeq", H(6), &o));
    assert_int_equal(o.n, 2);
    assert_near(o.mean, 10 * log10((E(50) + E(60)) / 2));
    assert_near(o.mean, 10 * log10(550000.0));

    /* Ld: 16 hours, energies 550000 + 7 * 10^5 + 8 * 10^6 = 9250000, / 16 = 578125:
     * Ld = 10 lg 578125 = 57.6202. Ln: 8 hours, (2 * 10^5 + 6 * 10^4) / 8 = 32500:
     * Ln = 10 lg 32500 = 45.1188. Zone 1: 55 by day, 45 at night; over by 2.6202 and 0.1188.
     * Night Lmax 62 against 45 + 15 = 60: over by 2. */
    assert_true(noise_daily(fx, "quiet-1", DAY, &nr));
    assert_string_equal(nr.zone, "1");
    assert_int_equal(nr.n_day, 16);
    assert_int_equal(nr.n_night, 8);
    assert_near(nr.ld, 10 * log10(578125.0));
    assert_near(nr.ln, 10 * log10(32500.0));
    assert_near(nr.ld_limit, 55);
    assert_near(nr.ln_limit, 45);
    assert_near(nr.ld_over, 10 * log10(578125.0) - 55);
    assert_near(nr.ln_over, 10 * log10(32500.0) - 45);
    assert_near(nr.night_lmax, 62);
    assert_near(nr.lmax_over, 2);
    /* The night of the 25th: the one hour at 03:00, 70; no day hours. */
    assert_true(noise_daily(fx, "quiet-1", DAY_BEFORE, &nr));
    assert_int_equal(nr.n_day, 0);
    assert_int_equal(nr.n_night, 1);
    assert_near(nr.ln, 70);
    assert_true(isnan(nr.ld));

    v = seen_find(fx, RULE_NOISE_DAY, "quiet-1", "ld", D0);
    assert_non_null(v);
    assert_near(v->value, 10 * log10(578125.0));
    v = seen_find(fx, RULE_NOISE_NIGHT, "quiet-1", "ln", D0);
    assert_non_null(v);
    assert_near(v->value, 10 * log10(32500.0));
    v = seen_find(fx, RULE_NOISE_LMAX, "quiet-1", "lmax", D0);
    assert_non_null(v);
    assert_near(v->value, 62);
}

/* ---- 6. waste bins ---- */

static void test_waste_deposits_and_overflows(void **state)
{
    static const char *const first[] = {"category", "weight", "fill", "overflow"};
    static const char *const wfo[] = {"weight", "fill", "overflow"};
    static const char *const wf[] = {"weight", "fill"};
    struct fixture *fx = *state;
    int64_t a = device(fx, "bins-1", NULL, NULL, "bin-a");
    int64_t b = device(fx, "bins-1", NULL, NULL, "bin-b");
    int64_t c = device(fx, "bins-1", NULL, NULL, "bin-c");
    struct waste_row w;

    /* bin-a, category 1: weight 10, 15 (+5), 12 (-3: not a deposit), 20 (+8), 2 (emptied),
     * 6 (+4): deposited 5 + 8 + 4 = 17 kg. Fill up to 90. Overflow 0, 0, 1 (event), 1 (the
     * same event), 0, 1 (event): 2 events. */
    put_msg(fx, a, H(8), first, (const double[]){1, 10, 30, 0}, 4, 0);
    put_msg(fx, a, H(9), wfo, (const double[]){15, 50, 0}, 3, 0);
    put_msg(fx, a, H(10), wfo, (const double[]){12, 90, 1}, 3, 0);
    put_msg(fx, a, H(11), wfo, (const double[]){20, 90, 1}, 3, 0);
    put_msg(fx, a, H(12), wfo, (const double[]){2, 10, 0}, 3, 0);
    put_msg(fx, a, H(13), wfo, (const double[]){6, 20, 1}, 3, 0);
    /* bin-b, category 1: weight 0, 3 (+3), 7 (+4): 7 kg; no overflow readings. */
    put_msg(fx, b, H(8), first, (const double[]){1, 0, 5, 0}, 4, 0);
    put_msg(fx, b, H(15), wf, (const double[]){3, 20}, 2, 0);
    put_msg(fx, b, H(18), wf, (const double[]){7, 40}, 2, 0);
    /* bin-c, category 2: weight 5, 9 (+4): 4 kg. */
    put_msg(fx, c, H(9), first, (const double[]){2, 5, 10, 0}, 4, 0);
    put_msg(fx, c, H(17), wf, (const double[]){9, 30}, 2, 0);
    assert_int_equal(step(fx), 11);

    /* Category 1: 2 bins, 17 + 7 = 24 kg, fill at most 90, 2 + 0 overflow events. */
    assert_true(waste_daily(fx, "bins-1", DAY, 1, &w));
    assert_int_equal(w.n_bins, 2);
    assert_near(w.deposited, 24);
    assert_near(w.max_fill, 90);
    assert_int_equal(w.overflows, 2);
    assert_int_equal(w.hazards, 0);
    /* Category 2: 1 bin, 4 kg, no events. */
    assert_true(waste_daily(fx, "bins-1", DAY, 2, &w));
    assert_int_equal(w.n_bins, 1);
    assert_near(w.deposited, 4);
    assert_near(w.max_fill, 30);
    assert_int_equal(w.overflows, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_and_site_hours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_days_and_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aqi_hours_and_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_water_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noise_day_and_night, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waste_deposits_and_overflows, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
