/*
 * The database helper (see db.h). A struct db_stmt is the sqlite3_stmt
 * itself, opaque to callers; the cache is an open-addressing table keyed by
 * the SQL text's address, so a lookup is one hash of a pointer. Statements
 * are prepared with SQLITE_PREPARE_PERSISTENT: they live as long as the
 * connection.
 */
#include "db.h"
#include "col_err.h"
#include "core/log.h"
#include "store_int.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static sqlite3_stmt *raw(struct db_stmt *s)
{
    return (sqlite3_stmt *)s;
}

static size_t slot_of(const char *sql, size_t cap)
{
    uintptr_t h = (uintptr_t)sql;

    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 7) & (cap - 1);
}

static int cache_grow(struct db_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct db_cache_entry *v = xcalloc(cap, sizeof(*v));

    if (!v)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < c->cap; i++) {
        size_t k;
        if (!c->v[i].sql)
            continue;
        for (k = slot_of(c->v[i].sql, cap); v[k].sql; k = (k + 1) & (cap - 1))
            ;
        v[k] = c->v[i];
    }
    xfree(c->v);
    c->v = v;
    c->cap = cap;
    return 0;
}

void db_cache_clear(struct db_cache *c)
{
    for (size_t i = 0; i < c->cap; i++)
        sqlite3_finalize(c->v[i].stmt);
    xfree(c->v);
    memset(c, 0, sizeof(*c));
}

struct db_stmt *db_prepare(struct store *st, const char *sql)
{
    struct db_cache *c = store_cache(st);
    sqlite3 *db = store_handle(st);
    sqlite3_stmt *s = NULL;
    size_t k;

    if (c->cap) {
        for (k = slot_of(sql, c->cap); c->v[k].sql; k = (k + 1) & (c->cap - 1)) {
            if (c->v[k].sql == sql) {
                sqlite3_reset(c->v[k].stmt);
                sqlite3_clear_bindings(c->v[k].stmt);
                return (struct db_stmt *)c->v[k].stmt;
            }
        }
    }
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        log_err("store: cannot prepare \"%.80s\": %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    if ((c->n + 1) * 2 > c->cap && cache_grow(c)) {
        sqlite3_finalize(s);
        return NULL;
    }
    for (k = slot_of(sql, c->cap); c->v[k].sql; k = (k + 1) & (c->cap - 1))
        ;
    c->v[k].sql = sql;
    c->v[k].stmt = s;
    c->n++;
    return (struct db_stmt *)s;
}

struct db_stmt *db_prepare_once(struct store *st, const char *sql)
{
    sqlite3 *db = store_handle(st);
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        log_err("store: cannot prepare \"%.80s\": %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    return (struct db_stmt *)s;
}

void db_finalize(struct db_stmt *s)
{
    sqlite3_finalize(raw(s));
}

void db_bind_i64(struct db_stmt *s, int i, int64_t v)
{
    sqlite3_bind_int64(raw(s), i, v);
}

void db_bind_f64(struct db_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(raw(s), i);
    else
        sqlite3_bind_double(raw(s), i, v);
}

void db_bind_text(struct db_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(raw(s), i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(raw(s), i);
}

void db_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
    if (v)
        sqlite3_bind_blob64(raw(s), i, v, (sqlite3_uint64)len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(raw(s), i);
}

void db_bind_null(struct db_stmt *s, int i)
{
    sqlite3_bind_null(raw(s), i);
}

/* The store a statement belongs to is not reachable from SQLite, so the
 * error is read from the statement's connection. */
static int step_fail(sqlite3_stmt *s)
{
    sqlite3 *db = sqlite3_db_handle(s);

    log_err("store: \"%.80s\" failed: %s (%d)", sqlite3_sql(s), sqlite3_errmsg(db),
            sqlite3_extended_errcode(db));
    return store_code_of(db);
}

int db_step(struct db_stmt *s)
{
    int rc = sqlite3_step(raw(s));

    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    rc = step_fail(raw(s));
    sqlite3_reset(raw(s));
    return rc;
}

int db_run(struct db_stmt *s)
{
    int rc = db_step(s);

    sqlite3_reset(raw(s));
    return rc < 0 ? rc : 0;
}

void db_reset(struct db_stmt *s)
{
    if (!s)
        return;
    sqlite3_reset(raw(s));
    sqlite3_clear_bindings(raw(s));
}

bool db_col_is_null(struct db_stmt *s, int col)
{
    return sqlite3_column_type(raw(s), col) == SQLITE_NULL;
}

int64_t db_col_i64(struct db_stmt *s, int col)
{
    return sqlite3_column_int64(raw(s), col);
}

double db_col_f64(struct db_stmt *s, int col)
{
    if (sqlite3_column_type(raw(s), col) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(raw(s), col);
}

const char *db_col_text(struct db_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(raw(s), col);
}

void db_col_copy(struct db_stmt *s, int col, char *out, size_t sz)
{
    const char *v = db_col_text(s, col);

    snprintf(out, sz, "%s", v ? v : "");
}

int64_t db_changes(struct store *st)
{
    return sqlite3_changes64(store_handle(st));
}

int64_t db_last_insert_id(struct store *st)
{
    return sqlite3_last_insert_rowid(store_handle(st));
}

int db_param(struct db_stmt *s, const char *name)
{
    return sqlite3_bind_parameter_index(raw(s), name);
}

int db_col_count(struct db_stmt *s)
{
    return sqlite3_column_count(raw(s));
}

const char *db_col_name(struct db_stmt *s, int col)
{
    return sqlite3_column_name(raw(s), col);
}

enum db_type db_col_type(struct db_stmt *s, int col)
{
    switch (sqlite3_column_type(raw(s), col)) {
    case SQLITE_INTEGER:
        return DB_INTEGER;
    case SQLITE_FLOAT:
        return DB_FLOAT;
    case SQLITE_TEXT:
        return DB_TEXT;
    case SQLITE_BLOB:
        return DB_BLOB;
    default:
        return DB_NULL;
    }
}

const void *db_col_bytes(struct db_stmt *s, int col, size_t *len)
{
    /* blob first, then bytes: the order in which SQLite converts nothing */
    const void *p = sqlite3_column_blob(raw(s), col);

    *len = p ? (size_t)sqlite3_column_bytes(raw(s), col) : 0;
    return p;
}

/* What a registered function calls: one of the two, the other NULL. */
struct db_fn {
    const char *(*text)(double x);
    double (*number)(double x);
};

static void call_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct db_fn *f = sqlite3_user_data(ctx);
    double x = argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL
                   ? NAN
                   : sqlite3_value_double(argv[0]);

    if (f->text) {
        const char *v = f->text(x);
        if (v)
            sqlite3_result_text(ctx, v, -1, SQLITE_STATIC);
        else
            sqlite3_result_null(ctx);
    } else {
        double v = f->number(x);
        if (isnan(v))
            sqlite3_result_null(ctx);
        else
            sqlite3_result_double(ctx, v);
    }
}

static int define_fn(struct store *st, const char *name, const struct db_fn *fn)
{
    struct db_fn *f = xmalloc(sizeof(*f));
    sqlite3 *db = store_handle(st);

    if (!f)
        return COL_ERR_NOMEM;
    *f = *fn;
    /* on failure SQLite calls the destructor itself */
    if (sqlite3_create_function_v2(db, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, f, call_fn,
                                   NULL, NULL, xfree) != SQLITE_OK) {
        log_err("store: cannot define SQL function %s: %s", name, sqlite3_errmsg(db));
        return COL_ERR_DB;
    }
    return 0;
}

int db_define_text_fn(struct store *st, const char *name, const char *(*fn)(double x))
{
    struct db_fn f = {fn, NULL};

    return define_fn(st, name, &f);
}

int db_define_number_fn(struct store *st, const char *name, double (*fn)(double x))
{
    struct db_fn f = {NULL, fn};

    return define_fn(st, name, &f);
}
