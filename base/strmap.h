/*
 * A string-keyed hash map of borrowed pointers, for the lookups on the hot
 * path (device id → device, metric name → id). Keys are copied; values are
 * owned by the caller. Open addressing, grows at 50% load.
 */
#ifndef STRMAP_H
#define STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
/* Frees the map and its key copies, not the values. Accepts NULL. */
void strmap_free(struct strmap *m);
/* Insert or replace. 0 or COL_ERR_NOMEM (replacing an existing key never fails). */
int strmap_put(struct strmap *m, const char *key, void *val);
/* The value for @key or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/* Call @fn for each entry, in no particular order. */
void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *val, void *ud),
                 void *ud);

#endif
