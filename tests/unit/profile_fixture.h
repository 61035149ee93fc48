/*
 * The fixture of the device profile tests (test_profile.c,
 * test_profile_errors.c): a mkdtemp() directory per test and profile files
 * written into it. Header-only, static: each test is one binary.
 */
#ifndef PROFILE_FIXTURE_H
#define PROFILE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

struct tmp {
    char dir[64];
    int next;
    char paths[8][320];
};

static inline int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/test_profile.XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

/* Remove every file the test left in the directory, then the directory. */
static inline int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    test_rmdir(t->dir);
    free(t);
    return 0;
}

/* Write @text to @name in the temp dir; returns the full path (valid for 8 more calls). */
static inline const char *tmp_write(struct tmp *t, const char *name, const char *text)
{
    char *path = t->paths[t->next++ % 8];
    char buf[sizeof(t->paths[0])];
    FILE *f;

    snprintf(buf, sizeof(buf), "%s/%s", t->dir, name);
    memcpy(path, buf, sizeof(buf));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
