/*
 * The fixture of the configuration loader's tests (test_config.c,
 * test_config_env.c): a mkdtemp() directory per test, a config file written
 * there and loaded, and the loader's messages captured. Header-only,
 * static: each test is one binary.
 */
#ifndef CONFIG_FIXTURE_H
#define CONFIG_FIXTURE_H

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
#include "core/config.h"
#include "diag.h"
#include "test_util.h"

struct fixture {
    char dir[64];
    char path[320]; /* <dir>/collector.yaml */
    struct capture cap;
    struct diag d;
};

static inline int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_config.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/collector.yaml", fx->dir);
    cap_init(&fx->cap, &fx->d);
    *state = fx;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;
    test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Files are written private to their owner: secret files must be (secret.h). */
static inline void write_at(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
}

/* Write @text as the config file and load it with @sets; the diag is reset first. */
static inline struct config *load(struct fixture *fx, const char *text, const char *const *sets,
                                  size_t n_sets)
{
    write_at(fx->path, text);
    cap_init(&fx->cap, &fx->d);
    return config_load(fx->path, sets, n_sets, &fx->d);
}

static inline struct config *load_ok(struct fixture *fx, const char *text)
{
    struct config *c = load(fx, text, NULL, 0);

    if (!c)
        print_error("load failed: %s\n", fx->cap.msg[0]);
    assert_non_null(c);
    assert_int_equal(fx->d.n_errors, 0);
    return c;
}

/* Expect message @i to be "<config path><suffix>". */
static inline void expect_msg(struct fixture *fx, int i, const char *suffix)
{
    char want[1024];

    snprintf(want, sizeof(want), "%s%s", fx->path, suffix);
    assert_true(i < fx->cap.n);
    assert_string_equal(fx->cap.msg[i], want);
}

/* Expect loading @text to fail with one error, "<config path><suffix>". */
static inline void expect_one_error(struct fixture *fx, const char *text, const char *suffix)
{
    struct config *c = load(fx, text, NULL, 0);

    config_free(c);
    if (c || fx->d.n_errors != 1)
        print_error("%s\n -> %d errors, first '%s'\n", text, fx->d.n_errors, fx->cap.msg[0]);
    assert_null(c);
    assert_int_equal(fx->d.n_errors, 1);
    expect_msg(fx, 0, suffix);
}

#endif
