/*
 * All allocation of the project goes through these wrappers so that tests
 * can make the Nth allocation fail and check that every path recovers
 * without a crash or a leak. They return NULL on failure like malloc; they
 * never abort.
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Room for @need elements of @size bytes in the array @v of capacity
 * *@cap: returns @v when it has room, else @v reallocated with its
 * capacity doubled (from @first) until @need fits, and *@cap updated.
 * NULL when out of memory or the size overflows: @v is then unchanged and
 * still the caller's. Elements beyond the old capacity are not set.
 */
void *xgrow(void *v, size_t *cap, size_t need, size_t size, size_t first);
char *xstrndup(const char *s, size_t n);
void xfree(void *p);

/*
 * Test hook: make allocation number @n (1-based, counted from this call)
 * and every later one fail; 0 disables failures. Not thread-safe: call it
 * only from single-threaded tests.
 */
void xalloc_fail_at(long n);
/* Number of allocations made since the last xalloc_fail_at() call. */
long xalloc_count(void);

#endif
