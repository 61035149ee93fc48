/*
 * The one database helper every room uses instead of raw sqlite3_* calls:
 * statements prepared once per connection and cached, typed binds where
 * an absent value is a real SQL NULL (a NULL string, a NaN double), typed
 * column reads that give NULL back the same way, and SQLite's result codes
 * translated to COL_ERR_* once (with the connection's message logged).
 *
 *     struct db_stmt *s = db_prepare(st, "SELECT mean FROM hourly WHERE hour = ?1");
 *     if (!s)
 *         return COL_ERR_DB;
 *     db_bind_i64(s, 1, hour);
 *     while ((rc = db_step(s)) == DB_ROW)
 *         use(db_col_f64(s, 0));
 *     db_reset(s);
 *
 * A statement belongs to its connection and its thread, like the store.
 */
#ifndef STORE_DB_H
#define STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct db_stmt;

enum { DB_DONE = 0, DB_ROW = 1 };

/*
 * The statement for @sql on @st, prepared on first use and cached for the
 * connection's life. @sql must outlive the store (a string literal): its
 * address is the cache key. Returns NULL when the SQL does not prepare
 * (logged). The statement comes back reset, with its bindings cleared.
 */
struct db_stmt *db_prepare(struct store *st, const char *sql);

/*
 * A statement for SQL built at run time (not cached: @sql may be a
 * buffer), to be released with db_finalize(). NULL when it does not
 * prepare (logged).
 */
struct db_stmt *db_prepare_once(struct store *st, const char *sql);
/* Release a statement of db_prepare_once(). Accepts NULL. */
void db_finalize(struct db_stmt *s);

void db_bind_i64(struct db_stmt *s, int i, int64_t v);
/* A NaN binds NULL. */
void db_bind_f64(struct db_stmt *s, int i, double v);
/* NULL binds NULL; the text is copied. */
void db_bind_text(struct db_stmt *s, int i, const char *v);
/* The bytes are copied; NULL binds NULL. */
void db_bind_blob(struct db_stmt *s, int i, const void *v, size_t len);
void db_bind_null(struct db_stmt *s, int i);

/* DB_ROW, DB_DONE, or a negative COL_ERR_* (logged as "store: @sql failed"). */
int db_step(struct db_stmt *s);
/* Step a statement that returns no rows and reset it: 0 or a COL_ERR_*. */
int db_run(struct db_stmt *s);
/* Reset @s for another use and clear its bindings. Accepts NULL. */
void db_reset(struct db_stmt *s);

bool db_col_is_null(struct db_stmt *s, int col);
int64_t db_col_i64(struct db_stmt *s, int col);
/* NaN for NULL. */
double db_col_f64(struct db_stmt *s, int col);
/* NULL for NULL; valid until the next step or reset. */
const char *db_col_text(struct db_stmt *s, int col);
/* Copy a text column into @out (empty for NULL). */
void db_col_copy(struct db_stmt *s, int col, char *out, size_t sz);

/* Rows changed by the last statement on @st. */
int64_t db_changes(struct store *st);
/* The rowid of the last successful INSERT on @st. */
int64_t db_last_insert_id(struct store *st);

/*
 * The index of the named parameter @name (":site") in @s, 0 when the SQL
 * does not use it; binding index 0 does nothing, so a caller can bind every
 * name it knows to a statement that uses only some.
 */
int db_param(struct db_stmt *s, const char *name);

/*
 * Rows whose shape the caller does not know in advance (an export, a
 * query printer): the number of result columns, each one's name as the SQL
 * gave it, the type of its value in the current row, and its bytes.
 */
enum db_type { DB_NULL, DB_INTEGER, DB_FLOAT, DB_TEXT, DB_BLOB };
int db_col_count(struct db_stmt *s);
const char *db_col_name(struct db_stmt *s, int col);
enum db_type db_col_type(struct db_stmt *s, int col);
/* The bytes of a text or blob column and their number (*len); NULL and 0 for NULL. */
const void *db_col_bytes(struct db_stmt *s, int col, size_t *len);

/*
 * Deterministic SQL functions of one argument on @st's connection, for
 * queries that need what our pure code knows (category names, decibel
 * arithmetic). The argument arrives as a double, NaN for NULL. A text
 * function returns a string that outlives the connection (a constant) or
 * NULL for SQL NULL; a number function returns NaN for SQL NULL. @name
 * must be a constant. 0 or COL_ERR_DB / COL_ERR_NOMEM (logged).
 */
int db_define_text_fn(struct store *st, const char *name, const char *(*fn)(double x));
int db_define_number_fn(struct store *st, const char *name, double (*fn)(double x));

#endif
