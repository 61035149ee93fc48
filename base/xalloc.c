/*
 * Allocation wrappers with a failure-injection hook for tests (see xalloc.h).
 * Only single-threaded unit tests arm the hook, but every thread of the
 * daemon counts its allocations, so the counters are atomic (relaxed: a
 * count, not an ordering).
 */
#include "xalloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_at;
static atomic_long n_allocs;

static int should_fail(void)
{
    long n = atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&fail_at, memory_order_relaxed);

    return at > 0 && n >= at;
}

void xalloc_fail_at(long n)
{
    atomic_store(&fail_at, n);
    atomic_store(&n_allocs, 0);
}

long xalloc_count(void)
{
    return atomic_load(&n_allocs);
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

void *xgrow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
    size_t ncap = *cap ? *cap : (first ? first : 1);
    void *nv;

    if (need <= *cap)
        return v;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    if (size && ncap > SIZE_MAX / size)
        return NULL;
    nv = xrealloc(v, ncap * size);
    if (nv)
        *cap = ncap;
    return nv;
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
