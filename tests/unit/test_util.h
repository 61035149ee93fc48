/*
 * Helpers shared by the unit tests that check loader diagnostics: a diag
 * sink that captures "file:line: message" lines for assertions, and the
 * writing of files into, and removal of, a test's temporary directory.
 * Header-only, static: each test is one binary (tests/CMakeLists.txt).
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

#define CAP_MAX 32

/* Diagnostics captured from a loader; n counts them all, msg keeps the first CAP_MAX. */
struct capture {
    int n;
    char msg[CAP_MAX][512];
};

static void cap_emit(void *ud, const char *msg)
{
    struct capture *c = ud;

    if (c->n < CAP_MAX)
        snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
    c->n++;
}

/* Point @d at a fresh @c. */
static void cap_init(struct capture *c, struct diag *d)
{
    memset(c, 0, sizeof(*c));
    memset(d, 0, sizeof(*d));
    d->emit = cap_emit;
    d->ud = c;
}

/* Write @text to @dir/@name (the test fails if it cannot). Needs cmocka.h first. */
static inline void test_write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Remove every file in @dir, then @dir (tests create no subdirectories). */
static void test_rmdir(const char *dir)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    char path[512];

    while (dh && (de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (dh)
        closedir(dh);
    rmdir(dir);
}

#endif
