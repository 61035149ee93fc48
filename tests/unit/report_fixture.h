/*
 * The fixture of the report tests (test_report.c, test_report_build.c): a
 * configuration in a temporary directory, and a model of report_int.h
 * filled day by day as report_load.c would fill it. Header-only, static:
 * each test is one binary.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "diag.h"
#include "report/report.h"
#include "report/report_int.h"
#include "store/db.h"
#include "store/store.h"
#include "test_util.h"
#include "xalloc.h"

#define EPS 1e-9

/* Days in each month of 2025 (not a leap year) and of 2024 (a leap year). */
static const int days_2025[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static const int days_2024[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
/*
 * The smallest coverage GB 3095 Table 4 accepts for an annual value: 27 days
 * in every month but February, 25 in February, which is 11 x 27 + 25 = 322,
 * so two more days (here in January: 29) reach the 324 of the year.
 */
static const int table4_min[12] = {29, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27};

struct fixture {
    struct config *cfg;
    struct report *r;
    struct rep_gw_acc *acc;
    /* report_build test only */
    char dir[64];
    struct store *st;
};

/* ---- fixture ---- */

static inline struct config *parse(const char *dir, const char *const *sets, size_t n_sets)
{
    static const char yaml[] = "storage:\n  path: r.db\n  synchronous: normal\n";
    char path[128];
    struct capture cap;
    struct diag d;
    struct config *cfg;

    snprintf(path, sizeof(path), "%s/collector.yaml", dir);
    cap_init(&cap, &d);
    cfg = config_parse(path, yaml, sizeof(yaml) - 1, sets, n_sets, &d);
    for (int i = 0; !cfg && i < cap.n && i < CAP_MAX; i++)
        fprintf(stderr, "%s\n", cap.msg[i]);
    return cfg;
}

static inline int open_with(void **state, const char *const *sets, size_t n_sets)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    *state = fx;
    log_set_level(LOG_LVL_ERR);
    fx->cfg = parse(".", sets, n_sets);
    return fx->cfg ? 0 : -1;
}

static inline int setup(void **state)
{
    return open_with(state, NULL, 0);
}

/* A district that sets its good-day target at 90 % instead of the draft 80 %. */
static inline int setup_good_90(void **state)
{
    static const char *const sets[] = {"report.good_day_target=90"};

    return open_with(state, sets, 1);
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;

    if (!fx)
        return 0;
    report_free(fx->r);
    xfree(fx->acc);
    store_close(fx->st);
    config_free(fx->cfg);
    if (fx->dir[0])
        test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- the model, as report_load.c leaves it ---- */

static inline void scope_init(struct rep_scope *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    for (int p = 0; p < REP_N_POLS; p++)
        for (int d = 0; d < REP_MAX_DAYS; d++)
            s->air.daily[p][d] = NAN;
    for (int d = 0; d < REP_MAX_DAYS; d++) {
        s->air.aqi[d] = -1;
        s->air.o3_1h[d] = NAN;
    }
    s->waste.wet_share = NAN;
    s->sewage.rate_pct = NAN;
    s->noise.all.ld_limit = s->noise.all.ln_limit = NAN;
}

/* The frame of @year with @n_sites empty sites and the gateway, the plan's targets from cfg. */
static inline struct report *year_of(struct fixture *fx, int year, size_t n_sites)
{
    struct report *r = xcalloc(1, sizeof(*r));

    assert_non_null(r);
    fx->r = r;
    fx->acc = xcalloc(1, sizeof(*fx->acc));
    assert_non_null(fx->acc);
    assert_int_equal(rep_model_init(r, fx->cfg, year), 0);
    r->sites = xcalloc(n_sites, sizeof(*r->sites));
    assert_non_null(r->sites);
    r->n_sites = n_sites;
    for (size_t i = 0; i < n_sites; i++) {
        char name[32];
        snprintf(name, sizeof(name), "site-%zu", i + 1);
        scope_init(&r->sites[i], name);
    }
    scope_init(&r->gateway_scope, "gw");
    r->gateway_scope.is_gateway = true;
    return r;
}

/* Judge the sites, then the gateway, in the loader's order. */
static inline void finish(struct fixture *fx)
{
    struct report *r = fx->r;

    for (size_t i = 0; i < r->n_sites; i++) {
        rep_scope_finish(r, &r->sites[i]);
        rep_gateway_add_site(r, fx->acc, &r->gateway_scope, &r->sites[i]);
    }
    rep_gateway_finish(r, fx->acc);
}

static inline int month_start(const int *mdays, int m)
{
    int d = 0;

    for (int i = 0; i < m; i++)
        d += mdays[i];
    return d;
}

/* @v on the first @n[m] days of every month m (the other days stay without a value). */
static inline void pol_days(struct rep_scope *s, const int *mdays, enum rep_pol p, const int n[12],
                            double v)
{
    s->air.has_data = true;
    for (int m = 0; m < 12; m++)
        for (int d = 0; d < n[m]; d++)
            s->air.daily[p][month_start(mdays, m) + d] = v;
}

/* AQI @aqi on the first @n[m] days of every month m. */
static inline void aqi_days(struct rep_scope *s, const int *mdays, const int n[12], int aqi)
{
    s->air.has_data = true;
    for (int m = 0; m < 12; m++)
        for (int d = 0; d < n[m]; d++)
            s->air.aqi[month_start(mdays, m) + d] = aqi;
}

static const struct rep_target *find_in(const struct rep_target *v, size_t n, const char *rule)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].rule, rule) == 0)
            return &v[i];
    return NULL;
}

/* The whole-year target @rule of @s; fails the test when it is absent. */
static const struct rep_target *target(const struct rep_scope *s, const char *rule)
{
    const struct rep_target *t = find_in(s->targets, s->n_targets, rule);

    if (!t)
        print_error("no target %s in %s\n", rule, s->name);
    assert_non_null(t);
    return t;
}

#define assert_near(got, want) assert_near_at((got), (want), EPS, __FILE__, __LINE__)
#define assert_within(got, want, eps) assert_near_at((got), (want), (eps), __FILE__, __LINE__)

static inline void assert_near_at(double got, double want, double eps, const char *file, int line)
{
    if (!(fabs(got - want) <= eps)) {
        print_error("%s:%d: got %.12g, want %.12g\n", file, line, got, want);
        _fail(file, line);
    }
}

#endif
