/*
 * The compliance report through the store (report_build() on a small
 * database, over report_fixture.h): the figures the loader counts itself
 * (noise days against the zone's limits, waste, sewage), and the
 * allocation-failure loop. Expected numbers are worked out in comments
 * from GB 3096 (zone 1: day 55, night 45 dB(A)) and docs/report.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_fixture.h"

/* ---- 9. through the store: report_build ---- */

static int setup_store(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct stat sb;
    char err[512];

    if (!fx)
        return -1;
    *state = fx;
    log_set_level(LOG_LVL_ERR);
    snprintf(fx->dir, sizeof(fx->dir), "%s/test_report.XXXXXX",
             stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                 ? "/dev/shm"
                 : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    fx->cfg = parse(fx->dir, NULL, 0);
    if (!fx->cfg)
        return -1;
    fx->st = store_open(&fx->cfg->storage, true, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    return 0;
}

static void exec(struct fixture *fx, const char *sql)
{
    struct db_stmt *s = db_prepare(fx->st, sql);

    assert_non_null(s);
    assert_int_equal(db_run(s), 0);
}

static void noise_row(struct fixture *fx, const char *day, double ld, double ln, double lmax)
{
    /* zone 1: limits 55 / 45 dB(A); over = level - limit; Lmax over = Lmax - (45 + 15) */
    struct db_stmt *s = db_prepare(
        fx->st, "INSERT INTO noise_daily(site, day, zone, ld, ln, n_day_hours, n_night_hours, "
                "ld_limit, ln_limit, ld_over, ln_over, night_lmax, lmax_over) VALUES ('noise-1', "
                "?1, '1', ?2, ?3, 16, 8, 55, 45, ?4, ?5, ?6, ?7)");

    assert_non_null(s);
    db_bind_text(s, 1, day);
    db_bind_f64(s, 2, ld);
    if (isnan(ln))
        db_bind_null(s, 3);
    else
        db_bind_f64(s, 3, ln);
    db_bind_f64(s, 4, ld - 55);
    if (isnan(ln))
        db_bind_null(s, 5);
    else
        db_bind_f64(s, 5, ln - 45);
    db_bind_f64(s, 6, lmax);
    db_bind_f64(s, 7, lmax - 60);
    assert_int_equal(db_run(s), 0);
}

static void sewage_row(struct fixture *fx, int64_t metric, const char *day, double sum)
{
    struct db_stmt *s = db_prepare(fx->st, "INSERT INTO site_daily(site, metric_id, day, n_hours, "
                                           "mean, min, max, sum, is_valid) VALUES ('plant-1', ?1, "
                                           "?2, 24, ?3, ?3, ?3, ?3, 1)");

    assert_non_null(s);
    db_bind_i64(s, 1, metric);
    db_bind_text(s, 2, day);
    db_bind_f64(s, 3, sum);
    assert_int_equal(db_run(s), 0);
}

static void fill_store(struct fixture *fx)
{
    int64_t treated, inflow;

    assert_int_equal(store_site_upsert(fx->st, "noise-1", "noise-1", NULL, NULL, "1", NULL), 0);
    assert_int_equal(store_site_upsert(fx->st, "bins-1", "bins-1", NULL, NULL, NULL, NULL), 0);
    assert_int_equal(store_site_upsert(fx->st, "plant-1", "plant-1", NULL, NULL, NULL, NULL), 0);
    assert_int_equal(store_metric_id(fx->st, "treated", "m3", &treated), 0);
    assert_int_equal(store_metric_id(fx->st, "inflow", "m3", &inflow), 0);
    assert_int_equal(store_begin(fx->st), 0);
    /*
     * Zone 1, GB 3096: day 55, night 45 dB(A), night Lmax limit 45 + 15 = 60.
     *   03-01: Ld 55.0, Ln 45.0: both at the limit, within (over 0)
     *   03-02: Ld 56.0 (over +1), Ln 44.0: day exceeded
     *   03-03: Ld 50.0, Ln 47.0 (over +2), Lmax 62 (over +2): night exceeded
     *   03-04: Ld 52.0, no Ln: not a day with both, not judged
     * Judged 3, days within 2, nights within 2: 100 x 2 / 3 = 66.67 % < 100.
     */
    noise_row(fx, "2024-03-01", 55, 45, 58);
    noise_row(fx, "2024-03-02", 56, 44, 50);
    noise_row(fx, "2024-03-03", 50, 47, 62);
    noise_row(fx, "2024-03-04", 52, NAN, 50);
    /* a row of the year before is not in 2024's report */
    noise_row(fx, "2023-12-31", 70, 70, 90);
    /* Waste (kg): 04-01 wet 30, dry 20; 04-02 wet 30, recyclable 15, hazardous 5:
     * total 100, wet 60: share 0.6, 2 days, overflow events 1 + 2 = 3. */
    exec(fx, "INSERT INTO waste_daily(site, day, category, n_bins, deposited_kg, max_fill, "
             "last_fill, overflow_events, hazard_events) VALUES "
             "('bins-1', '2024-04-01', 3, 1, 30, 80, 10, 1, 0), "
             "('bins-1', '2024-04-01', 4, 1, 20, 50, 10, 0, 0), "
             "('bins-1', '2024-04-02', 3, 1, 30, 90, 10, 2, 0), "
             "('bins-1', '2024-04-02', 1, 1, 15, 40, 10, 0, 0), "
             "('bins-1', '2024-04-02', 2, 1, 5, 20, 10, 0, 1)");
    /* Sewage: inflow 100 + 110 = 210 m³, treated 95 + 104 = 199: 100 x 199 / 210 = 94.76 %
     * < 95: not met. */
    sewage_row(fx, inflow, "2024-05-01", 100);
    sewage_row(fx, treated, "2024-05-01", 95);
    sewage_row(fx, inflow, "2024-05-02", 110);
    sewage_row(fx, treated, "2024-05-02", 104);
    assert_int_equal(store_commit(fx->st), 0);
}

static const struct rep_scope *site_of(const struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n_sites; i++)
        if (strcmp(r->sites[i].name, name) == 0)
            return &r->sites[i];
    print_error("no site %s\n", name);
    fail();
    return NULL;
}

static void test_build_from_store(void **state)
{
    struct fixture *fx = *state;
    const struct rep_scope *s;
    const struct rep_target *t;
    struct report *r = NULL;

    fill_store(fx);
    assert_int_equal(report_build(fx->st, fx->cfg, 2024, NULL, &r), 0);
    fx->r = r;
    assert_int_equal(report_n_sites(r), 3);
    s = site_of(r, "noise-1");
    assert_int_equal(s->noise.all.days, 3);
    assert_int_equal(s->noise.all.judged, 3);
    assert_int_equal(s->noise.all.day_ok, 2);
    assert_int_equal(s->noise.all.night_ok, 2);
    assert_int_equal(s->noise.all.lmax_over, 1);
    assert_near(s->noise.all.ld_limit, 55);
    assert_near(s->noise.all.ln_limit, 45);
    t = target(s, "noise_day_compliance");
    assert_near(t->value, 200.0 / 3);
    assert_int_equal(t->status, REP_NOT_MET);
    t = target(s, "noise_night_compliance");
    assert_near(t->value, 200.0 / 3);
    assert_int_equal(t->status, REP_NOT_MET);
    s = site_of(r, "bins-1");
    assert_near(s->waste.total_kg, 100);
    assert_near(s->waste.wet_share, 0.6);
    assert_int_equal(s->waste.days, 2);
    assert_int_equal(s->waste.overflow_events, 3);
    assert_int_equal(s->waste.hazard_events, 1);
    assert_int_equal(s->n_targets, 0);
    s = site_of(r, "plant-1");
    t = target(s, "sewage_treatment_rate");
    assert_near(t->value, 100.0 * 199 / 210);
    assert_int_equal(t->status, REP_NOT_MET);
    /* only one site asked for; a site that is not known */
    report_free(r);
    fx->r = r = NULL;
    assert_int_equal(report_build(fx->st, fx->cfg, 2024, "plant-1", &r), 0);
    fx->r = r;
    assert_int_equal(report_n_sites(r), 1);
    report_free(r);
    fx->r = r = NULL;
    assert_int_equal(report_build(fx->st, fx->cfg, 2024, "nowhere", &r), COL_ERR_NOTFOUND);
    assert_null(r);
    assert_int_equal(report_build(fx->st, fx->cfg, REPORT_YEAR_MAX + 1, NULL, &r), COL_ERR_INVAL);
    assert_null(r);
}

/* Fail allocation 1, 2, ...: COL_ERR_NOMEM and nothing left over, until a build completes. */
static void test_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    struct report *r = NULL;
    int rc = -1;
    long n;

    fill_store(fx);
    for (n = 1; n < 1000; n++) {
        xalloc_fail_at(n);
        rc = report_build(fx->st, fx->cfg, 2024, NULL, &r);
        xalloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, COL_ERR_NOMEM);
        assert_null(r);
    }
    assert_true(n > 1);
    assert_int_equal(rc, 0);
    fx->r = r;
    assert_int_equal(report_n_sites(r), 3);
    /* a build that succeeds lost nothing to a failed allocation: the registry's names */
    for (size_t i = 0; i < r->n_sites; i++) {
        assert_non_null(r->sites[i].display_name);
        assert_string_equal(r->sites[i].display_name, r->sites[i].name);
    }
    assert_string_equal(site_of(r, "noise-1")->noise_zone, "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_from_store, setup_store, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup_store, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
