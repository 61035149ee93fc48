/*
 * Tests of the HJ 212 password table (collector/ingest/hj212_auth.h), on
 * registry and secret files in mkdtemp() directories: passwords from the
 * registry (a secret file beside it, or inline) and from a directory of
 * files named by MN; the verdicts (right, wrong, missing PW, no password
 * with and without require_password); the refusals, each reported with
 * its place (a loose or missing file, a password no PW can carry, an MN
 * with a password in both places); and the allocation-failure loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "col_err.h"
#include "diag.h"
#include "ingest/hj212_auth.h"
#include "profile.h"
#include "registry.h"
#include "test_util.h"
#include "xalloc.h"

struct fixture {
    char dir[64];   /* the registry and its password files */
    char pwdir[64]; /* ingest.hj212_password_dir */
    char path[320]; /* the registry */
    struct profile_set *profiles;
    struct registry *reg;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void write_in(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[320];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_file(path, text, mode);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct diag d = {0};

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_hj212_auth.XXXXXX");
    snprintf(fx->pwdir, sizeof(fx->pwdir), "/tmp/test_hj212_auth_pw.XXXXXX");
    if (!mkdtemp(fx->dir) || !mkdtemp(fx->pwdir))
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

    registry_free(fx->reg);
    test_rmdir(fx->dir);
    test_rmdir(fx->pwdir);
    profile_set_free(fx->profiles);
    free(fx);
    return 0;
}

static const char registry_text[] =
    "sites:\n"                                                                     /* 1 */
    "  - {id: a}\n"                                                                /* 2 */
    "devices:\n"                                                                   /* 3 */
    "  - {id: FILEPW01, site: a, profile: air-station, hj212_password_file: d1}\n" /* 4 */
    "  - {id: INLINE01, site: a, profile: air-station, hj212_password: in-line}\n" /* 5 */
    "  - {id: OPEN0001, site: a, profile: air-station}\n";                         /* 6 */

static void load_registry(struct fixture *fx, const char *text)
{
    struct diag d = {0};

    write_file(fx->path, text, 0600);
    registry_free(fx->reg);
    fx->reg = registry_load(fx->path, fx->profiles, &d);
    assert_non_null(fx->reg);
}

static void test_verdicts(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct hj212_auth *a;

    load_registry(fx, registry_text);
    write_in(fx->dir, "d1", "pw-from-file\n", 0600);
    write_in(fx->pwdir, "DIRPW001", "654321\n", 0400);
    write_in(fx->pwdir, ".hidden", "ignored\n", 0644); /* skipped, mode not even checked */
    cap_init(&cap, &d);
    a = hj212_auth_load(fx->reg, fx->pwdir, false, &d);
    assert_non_null(a);
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(hj212_auth_count(a), 3);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", "pw-from-file"), HJ212_AUTH_OK);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", "pw-from-fil"), HJ212_AUTH_WRONG);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", ""), HJ212_AUTH_WRONG);
    assert_int_equal(hj212_auth_check(a, "INLINE01", "in-line"), HJ212_AUTH_OK);
    assert_int_equal(hj212_auth_check(a, "INLINE01", "123456"), HJ212_AUTH_WRONG);
    assert_int_equal(hj212_auth_check(a, "DIRPW001", "654321"), HJ212_AUTH_OK);
    assert_int_equal(hj212_auth_check(a, "DIRPW001", "pw-from-file"), HJ212_AUTH_WRONG);
    /* another device's password is not this one's */
    assert_int_equal(hj212_auth_check(a, "OPEN0001", "anything"), HJ212_AUTH_OPEN);
    assert_int_equal(hj212_auth_check(a, "UNKNOWN1", ""), HJ212_AUTH_OPEN);
    assert_int_equal(hj212_auth_check(a, ".hidden", "ignored"), HJ212_AUTH_OPEN);
    hj212_auth_free(a);

    a = hj212_auth_load(fx->reg, fx->pwdir, true, &d);
    assert_non_null(a);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", "pw-from-file"), HJ212_AUTH_OK);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", "x"), HJ212_AUTH_WRONG);
    assert_int_equal(hj212_auth_check(a, "OPEN0001", "anything"), HJ212_AUTH_NONE);
    assert_int_equal(hj212_auth_check(a, "UNKNOWN1", "123456"), HJ212_AUTH_NONE);
    hj212_auth_free(a);

    /* no registry and no directory: every device is open */
    a = hj212_auth_load(NULL, NULL, false, &d);
    assert_non_null(a);
    assert_int_equal(hj212_auth_count(a), 0);
    assert_int_equal(hj212_auth_check(a, "FILEPW01", ""), HJ212_AUTH_OPEN);
    hj212_auth_free(a);
    hj212_auth_free(NULL);
}

/* Load with @fx's registry and directory; expect NULL and @want in the first message. */
static void expect_refused(struct fixture *fx, const char *want)
{
    struct capture cap;
    struct diag d;
    struct hj212_auth *a;

    cap_init(&cap, &d);
    a = hj212_auth_load(fx->reg, fx->pwdir, false, &d);
    if (a || d.n_errors < 1 || !strstr(cap.msg[0], want))
        fail_msg("expected a refusal with \"%s\", got %s (%d errors): %s", want,
                 a ? "a table" : "NULL", d.n_errors, d.n_errors ? cap.msg[0] : "");
    assert_null(strstr(cap.msg[0], "pw-from-file")); /* never the contents */
    hj212_auth_free(a);
}

static void test_refusals(void **state)
{
    struct fixture *fx = *state;
    char want[800];

    load_registry(fx, registry_text);
    /* the registry's file is missing */
    snprintf(want, sizeof(want), "%s:4: password of FILEPW01: %s/d1", fx->path, fx->dir);
    expect_refused(fx, want);
    /* readable by others */
    write_in(fx->dir, "d1", "pw-from-file\n", 0644);
    expect_refused(fx, "permissions 0644 are too open");
    /* a password no PW field can carry */
    write_in(fx->dir, "d1", "pw from file\n", 0600);
    expect_refused(fx, "an HJ 212 password is 1 to 64 printable ASCII characters");
    write_in(fx->dir, "d1", "pw-from-file\n", 0600);
    /* a loose file in the directory */
    write_in(fx->pwdir, "DIRPW001", "654321\n", 0640);
    snprintf(want, sizeof(want), "%s/DIRPW001: password of DIRPW001:", fx->pwdir);
    expect_refused(fx, want);
    write_in(fx->pwdir, "DIRPW001", "654321\n", 0600);
    /* the same MN in both places */
    write_in(fx->pwdir, "INLINE01", "other\n", 0600);
    snprintf(want, sizeof(want), "%s:5: INLINE01 has a password here and in %s/INLINE01", fx->path,
             fx->pwdir);
    expect_refused(fx, want);
    snprintf(want, sizeof(want), "%s/INLINE01", fx->pwdir);
    unlink(want);
    /* a directory that is not there */
    test_rmdir(fx->pwdir);
    expect_refused(fx, "ingest.hj212_password_dir: cannot open");
    assert_int_equal(mkdir(fx->pwdir, 0700), 0);
}

/* Fail allocation 1, 2, ... N: each is an error (NULL, no crash, no leak); N + 1 loads. */
static void test_load_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    struct capture cap;
    struct diag d;
    struct hj212_auth *a;
    long total;

    load_registry(fx, registry_text);
    write_in(fx->dir, "d1", "pw-from-file\n", 0600);
    write_in(fx->pwdir, "DIRPW001", "654321\n", 0600);
    cap_init(&cap, &d);
    xalloc_fail_at(0);
    a = hj212_auth_load(fx->reg, fx->pwdir, false, &d);
    total = xalloc_count();
    assert_non_null(a);
    hj212_auth_free(a);
    for (long n = 1; n <= total + 1; n++) {
        cap_init(&cap, &d);
        xalloc_fail_at(n);
        a = hj212_auth_load(fx->reg, fx->pwdir, false, &d);
        xalloc_fail_at(0);
        if (n <= total) {
            if (a)
                fail_msg("allocation %ld failed but the table loaded", n);
        } else {
            assert_non_null(a);
            assert_int_equal(hj212_auth_count(a), 3);
        }
        hj212_auth_free(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
