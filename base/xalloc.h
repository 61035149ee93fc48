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
