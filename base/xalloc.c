/*
 * Allocation wrappers with a failure-injection hook for tests (see xalloc.h).
 * The counters are plain globals on purpose: they are only armed by
 * single-threaded unit tests, and a release daemon never arms them.
 */
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_at;
static long n_allocs;

static int should_fail(void)
{
    n_allocs++;
    return fail_at > 0 && n_allocs >= fail_at;
}

void xalloc_fail_at(long n)
{
    fail_at = n;
    n_allocs = 0;
}

long xalloc_count(void)
{
    return n_allocs;
}

void *xmalloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *xcalloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *xrealloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = xmalloc(len + 1);

    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void xfree(void *p)
{
    free(p);
}
