/*
 * Tests of the secret-file reader (collector/secret.h) on files in a
 * mkdtemp() directory: the first line without its line end, the refusal of
 * files that group or others may access (the message names the file and
 * the mode), of directories, empty and over-long first lines, a missing
 * file, the permission check alone, and the allocation-failure loop.
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
#include "core/secret.h"
#include "xalloc.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_secret.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/pw", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void write_mode(const char *path, const char *text, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void expect_read(struct fixture *fx, const char *text, mode_t mode, const char *want)
{
    char err[512] = "";
    char *s = NULL;

    write_mode(fx->path, text, strlen(text), mode);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), 0);
    assert_string_equal(s, want);
    secret_free(&s);
    assert_null(s);
}

static void test_first_line(void **state)
{
    struct fixture *fx = *state;

    expect_read(fx, "s3cret\nsecond line\n", 0600, "s3cret");
    expect_read(fx, "pw\r\n", 0600, "pw");
    expect_read(fx, "no newline", 0400, "no newline");
    expect_read(fx, "  spaces kept  \n", 0600, "  spaces kept  ");
    assert_int_equal(secret_check(fx->path, (char[64]){0}, 64), 0);
}

static void test_loose_modes_refused(void **state)
{
    static const mode_t loose[] = {0644, 0640, 0604, 0660, 0606, 0610, 0601, 0620};
    struct fixture *fx = *state;

    for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
        char err[512] = "", want[256];
        char *s = NULL;

        write_mode(fx->path, "pw\n", 3, loose[i]);
        assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_CONFIG);
        assert_null(s);
        snprintf(want, sizeof(want), "%s: permissions %04o are too open", fx->path,
                 (unsigned)loose[i]);
        assert_non_null(strstr(err, want));
        assert_null(strstr(err, "pw\n"));
        memset(err, 0, sizeof(err));
        assert_int_equal(secret_check(fx->path, err, sizeof(err)), COL_ERR_CONFIG);
        assert_non_null(strstr(err, want));
    }
}

static void test_bad_files(void **state)
{
    struct fixture *fx = *state;
    char err[512], want[256], big[SECRET_MAX + 2];
    char *s = NULL;

    write_mode(fx->path, "\nsecond\n", 8, 0600);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_CONFIG);
    snprintf(want, sizeof(want), "%s: the first line is empty", fx->path);
    assert_string_equal(err, want);

    write_mode(fx->path, "", 0, 0600);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_CONFIG);

    /* The longest line is accepted, one byte more is not. */
    memset(big, 'x', sizeof(big));
    write_mode(fx->path, big, SECRET_MAX, 0600);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), 0);
    assert_int_equal(strlen(s), SECRET_MAX);
    secret_free(&s);
    write_mode(fx->path, big, SECRET_MAX + 1, 0600);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_CONFIG);
    assert_non_null(strstr(err, "longer than"));
    assert_null(s);

    assert_int_equal(secret_read(fx->dir, &s, err, sizeof(err)), COL_ERR_CONFIG);
    assert_non_null(strstr(err, "regular file"));

    unlink(fx->path);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_IO);
    snprintf(want, sizeof(want), "%s: No such file or directory", fx->path);
    assert_string_equal(err, want);
    assert_int_equal(secret_check(fx->path, err, sizeof(err)), COL_ERR_IO);
    secret_free(NULL);
    secret_free(&s);
}

static void test_alloc_failures(void **state)
{
    struct fixture *fx = *state;
    char err[512];
    char *s = NULL;

    write_mode(fx->path, "pw\n", 3, 0600);
    xalloc_fail_at(1);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), COL_ERR_NOMEM);
    xalloc_fail_at(0);
    assert_null(s);
    assert_int_equal(secret_read(fx->path, &s, err, sizeof(err)), 0);
    secret_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loose_modes_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
