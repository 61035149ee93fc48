/*
 * Tests of the site and device registry (devices/registry.h): sites and
 * devices loaded from a file written to a temporary directory, device and
 * site lookup, every cross-reference and value error reported as file:line
 * (unknown profile, unknown site, duplicate site, bad noise_zone, bad
 * water_body), and the shipped deploy/registry.yaml with the shipped
 * profiles. A load that crashes is run in a child process so it fails one
 * test, not the whole binary.
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
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "test_util.h"
#include "profile.h"
#include "registry.h"
#include "xalloc.h"

struct fixture {
    char dir[64];
    char path[320];
    struct profile_set *profiles;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct diag d = {0};

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_registry.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/registry.yaml", fx->dir);
    fx->profiles = profile_set_load_dir(PROJECT_SRC_DIR "/devices/profiles", &d);
    if (!fx->profiles || d.n_errors)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    test_rmdir(fx->dir);
    profile_set_free(fx->profiles);
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char good_registry[] =
    "sites:\n"                                                              /* 1 */
    "  - {id: xujiahui, name: 徐家汇街道, street: 徐家汇街道, kind: air,\n" /* 2 */
    "     lat: 31.193, lon: 121.437, noise_zone: \"4a\"}\n"                 /* 3 */
    "  - id: longhuagang\n"                                                 /* 4 */
    "    kind: water\n"                                                     /* 5 */
    "    water_body: river\n"                                               /* 6 */
    "  - {id: bare}\n"                                                      /* 7 */
    "devices:\n"                                                            /* 8 */
    "  - {id: aqm-01, site: xujiahui, profile: air-station}\n"              /* 9 */
    "  - {id: aqm-02, site: bare, profile: air-station}\n";                 /* 10 */

static void test_load_sites_and_devices(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;
    const struct site *s;
    const struct reg_device *dv;

    write_file(fx->path, good_registry);
    cap_init(&cap, &d);
    r = registry_load(fx->path, fx->profiles, &d);
    if (!r)
        print_error("%s\n", cap.msg[0]);
    assert_non_null(r);
    assert_int_equal(d.n_errors, 0);
    assert_string_equal(r->file, fx->path);
    assert_int_equal(r->n_sites, 3);
    assert_int_equal(r->n_devices, 2);

    s = registry_site(r, "xujiahui");
    assert_non_null(s);
    assert_string_equal(s->id, "xujiahui");
    assert_string_equal(s->name, "徐家汇街道");
    assert_string_equal(s->street, "徐家汇街道");
    assert_string_equal(s->kind, "air");
    assert_true(s->has_coords);
    assert_true(s->lat == 31.193 && s->lon == 121.437);
    assert_string_equal(s->noise_zone, "4a");
    assert_null(s->water_body);
    assert_int_equal(s->line, 2);

    s = registry_site(r, "longhuagang");
    assert_non_null(s);
    assert_string_equal(s->kind, "water");
    assert_string_equal(s->water_body, "river");
    assert_null(s->noise_zone);
    assert_false(s->has_coords);
    assert_int_equal(s->line, 4);

    /* Defaults: the name is the id, the kind is mixed, no street. */
    s = registry_site(r, "bare");
    assert_string_equal(s->name, "bare");
    assert_string_equal(s->kind, "mixed");
    assert_string_equal(s->street, "");

    dv = registry_device(r, "aqm-01");
    assert_non_null(dv);
    assert_string_equal(dv->id, "aqm-01");
    assert_string_equal(dv->site_id, "xujiahui");
    assert_ptr_equal(dv->site, registry_site(r, "xujiahui"));
    assert_ptr_equal(dv->profile, profile_set_find(fx->profiles, "air-station"));
    assert_int_equal(dv->line, 9);
    assert_ptr_equal(registry_device(r, "aqm-02")->site, registry_site(r, "bare"));

    assert_null(registry_device(r, "aqm-03"));
    assert_null(registry_device(r, "AQM-01"));
    assert_null(registry_site(r, "nowhere"));
    registry_free(r);
}

static void test_null_path_is_empty(void **state)
{
    struct capture cap;
    struct diag d;
    struct registry *r;

    cap_init(&cap, &d);
    r = registry_load(NULL, NULL, &d);
    assert_non_null(r);
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(r->n_sites, 0);
    assert_int_equal(r->n_devices, 0);
    assert_null(registry_device(r, "x"));
    assert_null(registry_site(r, "x"));
    registry_free(r);
    registry_free(NULL);
}

static void test_empty_file(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;

    write_file(fx->path, "# nothing registered yet\nsites:\ndevices: []\n");
    cap_init(&cap, &d);
    r = registry_load(fx->path, fx->profiles, &d);
    assert_non_null(r);
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(r->n_sites, 0);
    assert_int_equal(r->n_devices, 0);
    registry_free(r);
}

/* Load @text; expect NULL and exactly one error equal to "<path>:<want_suffix>". */
static void expect_error(struct fixture *fx, const char *text, const char *want_suffix)
{
    struct capture cap;
    struct diag d;
    struct registry *r;
    char want[600];

    write_file(fx->path, text);
    cap_init(&cap, &d);
    r = registry_load(fx->path, fx->profiles, &d);
    registry_free(r);
    snprintf(want, sizeof(want), "%s:%s", fx->path, want_suffix);
    if (r || d.n_errors != 1 || strcmp(cap.msg[0], want) != 0)
        print_error("registry %s\n -> %d errors, first '%s'\n want '%s'\n", text, d.n_errors,
                    cap.msg[0], want);
    assert_null(r);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(cap.msg[0], want);
}

static void test_errors(void **state)
{
    struct fixture *fx = *state;

    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a,\n     profile: nope}\n",
                 "5: unknown profile 'nope'");
    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - id: d1\n    site: b\n    profile: air-station\n",
                 "5: device names a site that the registry lacks");
    expect_error(fx, "sites:\n  - {id: a}\n  - {id: b}\n  - {id: a, kind: air}\n",
                 "4: site 'a' is defined twice (first at line 2)");
    expect_error(fx, "sites:\n  - {id: a}\n  - id: b\n    noise_zone: \"5\"\n",
                 "4: noise_zone must be a GB 3096 class: 0, 1, 2, 3, 4a or 4b");
    expect_error(fx, "sites:\n  - {id: a, water_body: sea}\n",
                 "2: water_body must be river or lake");
    expect_error(fx, "sites:\n  - {id: a, kind: forest}\n",
                 "2: kind must be air, water, noise, waste, sewage or mixed");
    expect_error(fx, "sites:\n  - {id: a, lat: 95, lon: 121}\n", "2: lat/lon out of range");
    expect_error(fx, "sites:\n  - {id: a, lat: north, lon: 121}\n",
                 "2: 'lat' must be a number, not 'north'");
    expect_error(fx, "sites:\n  - {name: x}\n", "2: missing required key 'id'");
    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a, profile: air-station}\n"
                 "  - {id: d1, site: a, profile: air-station}\n",
                 "5: device 'd1' is defined twice");
    expect_error(fx, "sites:\n  - {id: a}\ndevices:\n  - {id: d1, site: a}\n",
                 "4: missing required key 'profile'");
    expect_error(fx, "sites: {id: a}\n", "1: 'sites' must be a list");
    expect_error(fx, "- a\n- b\n", "1: the registry must be a mapping with 'sites' and 'devices'");
    expect_error(fx, "sites: []\nbuildings: []\n", "2: unknown key 'buildings' in the registry");
    expect_error(fx, "sites:\n  - {id: a, colour: red}\n", "2: unknown key 'colour' in a site");
}

/* hj212_password_file: named, relative to the registry, never read here; or inline. */
static void test_hj212_passwords(void **state)
{
    struct fixture *fx = *state;
    struct capture cap = {0};
    struct diag d = {cap_emit, &cap, 0};
    const struct reg_device *dv;
    struct registry *r;
    char want[160];

    write_file(fx->path,
               "sites:\n  - {id: a}\ndevices:\n"
               "  - {id: d1, site: a, profile: air-station, hj212_password_file: pw/d1}\n"
               "  - {id: d2, site: a, profile: air-station, hj212_password_file: /etc/x}\n"
               "  - {id: d3, site: a, profile: air-station, hj212_password: \"s3cr3t!\"}\n"
               "  - {id: d4, site: a, profile: air-station}\n");
    r = registry_load(fx->path, fx->profiles, &d);
    assert_non_null(r);
    assert_int_equal(d.n_errors, 0);
    dv = registry_device(r, "d1");
    snprintf(want, sizeof(want), "%s/pw/d1", fx->dir);
    assert_string_equal(dv->hj212_password_file, want); /* beside the registry; not read */
    assert_null(dv->hj212_password);
    assert_int_equal(dv->hj212_password_line, 4);
    assert_string_equal(registry_device(r, "d2")->hj212_password_file, "/etc/x");
    dv = registry_device(r, "d3");
    assert_null(dv->hj212_password_file);
    assert_string_equal(dv->hj212_password, "s3cr3t!");
    dv = registry_device(r, "d4");
    assert_null(dv->hj212_password_file);
    assert_null(dv->hj212_password);
    registry_free(r);

    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a, profile: air-station, hj212_password_file: f,\n"
                 "     hj212_password: x}\n",
                 "5: a device has hj212_password_file or hj212_password, not both");
    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a, profile: air-station, hj212_password: \"a;b\"}\n",
                 "4: an HJ 212 password is 1 to 64 printable ASCII characters, without spaces or "
                 "';'");
    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a, profile: air-station, hj212_password: \"a b\"}\n",
                 "4: an HJ 212 password is 1 to 64 printable ASCII characters, without spaces or "
                 "';'");
    expect_error(fx,
                 "sites:\n  - {id: a}\ndevices:\n"
                 "  - {id: d1, site: a, profile: air-station, hj212_password_file: \"\"}\n",
                 "4: hj212_password_file is empty");
}

static void test_unknown_profile_without_profiles(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;
    char want[400];

    write_file(fx->path,
               "sites: [{id: a}]\ndevices:\n  - {id: d1, site: a, profile: air-station}\n");
    cap_init(&cap, &d);
    r = registry_load(fx->path, NULL, &d);
    registry_free(r);
    assert_null(r);
    assert_int_equal(d.n_errors, 1);
    snprintf(want, sizeof(want), "%s:3: unknown profile 'air-station'", fx->path);
    assert_string_equal(cap.msg[0], want);
}

static void test_missing_file(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;

    unlink(fx->path);
    cap_init(&cap, &d);
    assert_null(registry_load(fx->path, fx->profiles, &d));
    assert_int_equal(d.n_errors, 1);
    assert_true(strncmp(cap.msg[0], fx->path, strlen(fx->path)) == 0);
    assert_non_null(strstr(cap.msg[0], "cannot open"));
}

static void test_all_errors_reported(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;
    char want[400];

    /* `collector check` lists every error at once: two bad sites and two bad devices are
     * four errors, each at its own line. */
    write_file(fx->path, "sites:\n"
                         "  - {id: a, kind: forest}\n"
                         "  - {id: b, water_body: sea}\n"
                         "  - {id: c}\n"
                         "devices:\n"
                         "  - {id: d1, site: c, profile: nope}\n"
                         "  - {id: d2, site: zz, profile: air-station}\n");
    cap_init(&cap, &d);
    r = registry_load(fx->path, fx->profiles, &d);
    registry_free(r);
    assert_null(r);
    if (d.n_errors != 4)
        print_error("%d errors, first '%s'\n", d.n_errors, cap.msg[0]);
    assert_int_equal(d.n_errors, 4);
    snprintf(want, sizeof(want), "%s:3: water_body must be river or lake", fx->path);
    assert_string_equal(cap.msg[1], want);
    snprintf(want, sizeof(want), "%s:6: unknown profile 'nope'", fx->path);
    assert_string_equal(cap.msg[2], want);
    snprintf(want, sizeof(want), "%s:7: device names a site that the registry lacks", fx->path);
    assert_string_equal(cap.msg[3], want);
}

/*
 * Child side of test_error_in_an_earlier_site: returns 0 when the load fails cleanly with
 * both errors reported. Runs in a forked child because a crash here must fail one test only.
 */
static int load_after_broken_site(const char *path, const struct profile_set *profiles)
{
    struct capture cap;
    struct diag d;
    struct registry *r;

    cap_init(&cap, &d);
    r = registry_load(path, profiles, &d);
    registry_free(r);
    if (r) {
        fprintf(stderr, "registry with errors loaded\n");
        return 1;
    }
    if (d.n_errors != 1 || !strstr(cap.msg[0], ":2: unknown key 'colour' in a site")) {
        fprintf(stderr, "%d errors, first '%s'\n", d.n_errors, cap.msg[0]);
        return 1;
    }
    return 0;
}

static void test_error_in_an_earlier_site(void **state)
{
    struct fixture *fx = *state;
    pid_t pid;
    int status = 0;

    /* The first site fails before its id is stored; loading the next site (which looks up
     * earlier ids for duplicates) and the device (which looks up its site) must still work,
     * and the load must fail with the one error. (Today the load stops at the first bad
     * entry, see test_all_errors_reported, which hides a strcmp on the NULL id of the
     * failed site in registry_site(); this test guards that path once loading continues.) */
    write_file(fx->path, "sites:\n"
                         "  - {id: a, colour: red}\n"
                         "  - {id: b}\n"
                         "devices:\n"
                         "  - {id: d1, site: b, profile: air-station}\n");
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(load_after_broken_site(fx->path, fx->profiles));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        print_error("the load crashed (signal %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_shipped_registry(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;
    const struct site *s;

    cap_init(&cap, &d);
    r = registry_load(PROJECT_SRC_DIR "/deploy/registry.yaml", fx->profiles, &d);
    if (!r)
        print_error("%s\n", cap.msg[0]);
    assert_non_null(r);
    assert_int_equal(d.n_errors, 0);
    /* 12 streets and Huajing town, each with an air site, plus water and noise sites. */
    assert_true(r->n_sites >= 13);
    assert_true(r->n_devices >= 1);
    s = registry_site(r, "xujiahui");
    assert_non_null(s);
    assert_string_equal(s->name, "徐家汇街道");
    assert_string_equal(s->noise_zone, "4a");
    s = registry_site(r, "longhuagang");
    assert_non_null(s);
    assert_string_equal(s->water_body, "river");
    for (size_t i = 0; i < r->n_devices; i++) {
        assert_non_null(r->devices[i].site);
        assert_non_null(r->devices[i].profile);
        assert_ptr_equal(registry_device(r, r->devices[i].id), &r->devices[i]);
    }
    registry_free(r);
}

static void test_load_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct registry *r;
    long total;

    write_file(fx->path, good_registry);
    cap_init(&cap, &d);
    xalloc_fail_at(0);
    r = registry_load(fx->path, fx->profiles, &d);
    total = xalloc_count();
    assert_non_null(r);
    registry_free(r);

    for (long n = 1; n <= total + 1; n++) {
        cap_init(&cap, &d);
        xalloc_fail_at(n);
        r = registry_load(fx->path, fx->profiles, &d);
        xalloc_fail_at(0);
        if (n <= total) {
            if (r)
                print_error("allocation %ld failed but the registry loaded\n", n);
            assert_null(r);
        } else {
            assert_non_null(r);
            assert_int_equal(r->n_devices, 2);
        }
        registry_free(r);
    }
    xalloc_fail_at(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_sites_and_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_path_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hj212_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_profile_without_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_errors_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_in_an_earlier_site, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_allocation_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
