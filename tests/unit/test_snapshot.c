/*
 * The loaded snapshot (collector/core/snapshot.h): profiles, registry and
 * rules loaded together or not at all, errors as file:line, and a
 * reference count that keeps a snapshot alive for its last holder — also
 * when threads hold and release it at the same time (run under TSan in
 * tests/run.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "col_err.h"
#include "core/config.h"
#include "core/snapshot.h"
#include "diag.h"
#include "profile.h"
#include "registry.h"
#include "rule.h"
#include "test_util.h"
#include "xalloc.h"

struct fixture {
    char dir[64];
    struct config *cfg;
};

static const char rule_ok[] = "rules:\n"
                              "  - name: pm25_high\n"
                              "    source: \"test\"\n"
                              "    series: reading\n"
                              "    select: {domain: air, metric: pm25}\n"
                              "    when: {op: \">\", value: 500}\n"
                              "    severity: warning\n"
                              "    message: {zh: \"{value}\", en: \"{value}\"}\n";

/* A configuration with the shipped profiles, a registry of one device and rules.yaml. */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct capture cap;
    struct diag d;
    char path[256], text[1024];

    if (!fx)
        return -1;
    *state = fx;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_snapshot.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    test_write_file(fx->dir, "rules.yaml", rule_ok);
    test_write_file(fx->dir, "registry.yaml",
                    "sites:\n  - {id: xujiahui, name: 徐家汇街道, kind: air}\n"
                    "devices:\n  - {id: aqm-01, site: xujiahui, profile: air-station}\n");
    snprintf(text, sizeof(text),
             "storage:\n  path: c.db\nrules:\n  paths: [rules.yaml]\n"
             "devices:\n  profiles: %s/devices/profiles\n  registry: registry.yaml\n",
             PROJECT_SRC_DIR);
    test_write_file(fx->dir, "collector.yaml", text);
    snprintf(path, sizeof(path), "%s/collector.yaml", fx->dir);
    cap_init(&cap, &d);
    fx->cfg = config_load(path, NULL, 0, &d);
    return fx->cfg ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    if (!fx)
        return 0;
    config_free(fx->cfg);
    test_rmdir(fx->dir);
    free(fx);
    return 0;
}

static void test_loads_all_three(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = NULL;
    struct capture cap;
    struct diag d;

    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), 0);
    assert_int_equal(cap.n, 0);
    assert_non_null(s);
    assert_non_null(profile_set_find(snapshot_profiles(s), "air-station"));
    assert_non_null(registry_device(snapshot_registry(s), "aqm-01"));
    assert_null(registry_device(snapshot_registry(s), "aqm-02"));
    assert_int_equal(snapshot_rules(s)->n, 1);
    assert_non_null(ruleset_find(snapshot_rules(s), "pm25_high"));
    snapshot_release(s);
}

static void test_no_rules_is_an_empty_ruleset(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = NULL;
    struct capture cap;
    struct diag d;

    size_t n_paths = fx->cfg->rules.paths.n;

    fx->cfg->rules.paths.n = 0; /* as when rules.paths is not set */
    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), 0);
    fx->cfg->rules.paths.n = n_paths; /* for config_free() */
    assert_non_null(snapshot_rules(s));
    assert_int_equal(snapshot_rules(s)->n, 0);
    snapshot_release(s);
}

/* A broken rule file with a good registry: no snapshot at all, and the error as file:line. */
static void test_broken_rules_give_no_snapshot(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = (const struct snapshot *)fx; /* must become NULL */
    struct capture cap;
    struct diag d;
    char want[128];

    test_write_file(fx->dir, "rules.yaml", "rules:\n  - {name: broken, series: nonsense\n");
    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), COL_ERR_CONFIG);
    assert_null(s);
    assert_true(cap.n > 0);
    snprintf(want, sizeof(want), "%s/rules.yaml:", fx->dir);
    assert_non_null(strstr(cap.msg[0], want));
}

static void test_broken_registry_gives_no_snapshot(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = NULL;
    struct capture cap;
    struct diag d;

    test_write_file(fx->dir, "registry.yaml",
                    "sites:\n  - {id: xujiahui, name: x, kind: air}\n"
                    "devices:\n  - {id: aqm-01, site: nowhere, profile: air-station}\n");
    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), COL_ERR_CONFIG);
    assert_null(s);
    assert_true(cap.n > 0);
    assert_non_null(strstr(cap.msg[0], "registry.yaml:"));
}

/* Each load is a new generation, counted up by one. */
static void test_generations_count_up(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *a = NULL, *b = NULL;
    struct capture cap;
    struct diag d;

    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &a), 0);
    assert_int_equal(snapshot_load(fx->cfg, &d, &b), 0);
    assert_true(a != b);
    assert_int_equal(snapshot_generation(b), snapshot_generation(a) + 1);
    snapshot_release(a);
    snapshot_release(b);
}

/* A holder keeps the snapshot readable after the loader let go (ASan sees a use after free). */
static void test_last_holder_frees(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = NULL, *h;
    struct capture cap;
    struct diag d;

    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), 0);
    h = snapshot_hold(s);
    assert_ptr_equal(h, s);
    snapshot_release(s);
    assert_non_null(registry_device(snapshot_registry(h), "aqm-01"));
    snapshot_release(h);
    assert_null(snapshot_hold(NULL));
    snapshot_release(NULL);
}

/* snapshot_of() owns what it is given, also when it refuses it (LeakSanitizer). */
static void test_of_takes_ownership_on_failure(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct ruleset *rs;

    cap_init(&cap, &d);
    rs = ruleset_parse("r.yaml", rule_ok, strlen(rule_ok), &d);
    assert_non_null(rs);
    assert_null(snapshot_of(NULL, NULL, rs));
    (void)fx;
}

#define N_THREADS 4
#define N_ROUNDS 20000

static void *hold_release(void *arg)
{
    const struct snapshot *s = arg;

    for (int i = 0; i < N_ROUNDS; i++) {
        const struct snapshot *h = snapshot_hold(s);
        if (!registry_device(snapshot_registry(h), "aqm-01"))
            return (void *)1;
        snapshot_release(h);
    }
    return NULL;
}

/* Threads that hold and release at once leave the count where it was. */
static void test_threads_share_one_snapshot(void **state)
{
    struct fixture *fx = *state;
    const struct snapshot *s = NULL;
    pthread_t t[N_THREADS];
    struct capture cap;
    struct diag d;
    void *rv;

    cap_init(&cap, &d);
    assert_int_equal(snapshot_load(fx->cfg, &d, &s), 0);
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hold_release, (void *)s), 0);
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
    /* Still held once, by us: readable, and freed by this release. */
    assert_non_null(profile_set_find(snapshot_profiles(s), "air-station"));
    snapshot_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loads_all_three, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_rules_is_an_empty_ruleset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_rules_give_no_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_registry_gives_no_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generations_count_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_holder_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_of_takes_ownership_on_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_one_snapshot, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
