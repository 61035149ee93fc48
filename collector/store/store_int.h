/*
 * Internals shared by the store's files (store.c: schema, migrations and
 * the ingest statements; db.c: the helper every room uses).
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#include <sqlite3.h>

/* One cached statement: the address of its SQL text is the key. */
struct db_cache_entry {
    const char *sql;
    sqlite3_stmt *stmt;
};

/* Log the connection's last error as "store: @what failed" and map it to a COL_ERR_*. */
int store_fail(struct store *st, const char *what);

/* The statement cache of @st (see db.c). */
struct db_cache {
    struct db_cache_entry *v;
    size_t n, cap; /* open addressing; cap is a power of two or 0 */
};
struct db_cache *store_cache(struct store *st);
void db_cache_clear(struct db_cache *c);

#endif
