/*
 * A main() for fuzz targets in builds without libFuzzer (gcc, sanitizer
 * builds): feeds every file of the directories (or files) named on the
 * command line to LLVMFuzzerTestOneInput, so each seed corpus runs as an
 * ordinary ctest test. Each input sits in a buffer of exactly its size so
 * ASan sees any read past the end. Fails when no input was found.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

#define REPLAY_FILE_MAX (1L << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one file through the target. 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = NULL;
    uint8_t *buf = NULL;
    struct stat st;
    size_t size;
    int rc = -1;

    f = fopen(path, "rb");
    if (!f) {
        (void)fprintf(stderr, "replay: cannot open %s\n", path);
        goto out;
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || st.st_size > REPLAY_FILE_MAX) {
        (void)fprintf(stderr, "replay: %s: not a readable file up to %ld bytes\n", path,
                      REPLAY_FILE_MAX);
        goto out;
    }
    size = (size_t)st.st_size;
    buf = xmalloc(size ? size : 1);
    if (!buf || fread(buf, 1, size, f) != size) {
        (void)fprintf(stderr, "replay: cannot read %s\n", path);
        goto out;
    }
    (void)LLVMFuzzerTestOneInput(buf, size);
    rc = 0;
out:
    xfree(buf);
    if (f)
        (void)fclose(f);
    return rc;
}

/* Replay @path (a file, or every regular file of a directory); adds to *n_run. */
static int replay_path(const char *path, long *n_run)
{
    struct stat st;
    DIR *dir = NULL;
    struct dirent *e;
    int rc = 0;

    if (stat(path, &st) != 0) {
        (void)fprintf(stderr, "replay: %s does not exist\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = replay_file(path);
        if (rc == 0)
            (*n_run)++;
        return rc;
    }
    dir = opendir(path);
    if (!dir) {
        (void)fprintf(stderr, "replay: cannot list %s\n", path);
        return -1;
    }
    while (rc == 0) {
        char child[4096];
        struct stat cst;
        int n;

        e = readdir(dir);
        if (!e)
            break;
        if (e->d_name[0] == '.')
            continue;
        n = snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(child)) {
            rc = -1;
            break;
        }
        if (stat(child, &cst) != 0 || !S_ISREG(cst.st_mode))
            continue;
        rc = replay_file(child);
        if (rc == 0)
            (*n_run)++;
    }
    (void)closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    long n_run = 0;

    if (argc < 2) {
        (void)fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (replay_path(argv[i], &n_run) != 0)
            return 1;
    }
    if (n_run == 0) {
        (void)fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    (void)printf("replay: %ld inputs ran cleanly\n", n_run);
    return 0;
}
