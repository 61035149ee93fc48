/*
 * Tests of the database helper (collector/store/db.h) on a store in a
 * mkdtemp() directory: a statement is prepared once and served from the
 * cache afterwards, comes back reset with its bindings cleared; NULL
 * strings and NaN doubles are stored as SQL NULL and read back as NULL and
 * NaN; blobs keep their bytes; a constraint violation is a COL_ERR_DB and
 * leaves the statement usable; SQL that does not prepare gives NULL;
 * columns are found by name and type, parameters by name; SQL functions
 * defined on the connection map NULL to NaN and back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    char path[320];
    struct cfg_storage cfg;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[512];

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_db.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/c.db", fx->dir);
    fx->cfg.path = fx->path;
    fx->cfg.busy_timeout_ms = 1000;
    fx->cfg.retention.rejects_max_rows = 100;
    fx->st = store_open(&fx->cfg, false, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    if (store_exec(fx->st, "CREATE TABLE t(k INTEGER PRIMARY KEY, s TEXT, d REAL, b BLOB)"))
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char p[400];

    store_close(fx->st);
    unlink(fx->path);
    snprintf(p, sizeof(p), "%s-wal", fx->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", fx->path);
    unlink(p);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static const char *const SQL_INSERT = "INSERT INTO t(k, s, d, b) VALUES (?1, ?2, ?3, ?4)";
static const char *const SQL_GET = "SELECT s, d, b, k FROM t WHERE k = ?1";

static void test_db_prepare_is_cached(void **state)
{
    struct fixture *fx = *state;
    struct db_stmt *a = db_prepare(fx->st, SQL_GET);
    struct db_stmt *b;

    assert_non_null(a);
    db_bind_i64(a, 1, 7);
    b = db_prepare(fx->st, SQL_GET);
    /* the same statement, and its binding from before is gone */
    assert_ptr_equal(a, b);
    assert_int_equal(db_step(b), DB_DONE);
    db_reset(b);
}

static void test_db_null_roundtrip(void **state)
{
    struct fixture *fx = *state;
    struct db_stmt *s = db_prepare(fx->st, SQL_INSERT);
    static const unsigned char bytes[4] = {0, 1, 0xff, 0};

    db_bind_i64(s, 1, 1);
    db_bind_text(s, 2, NULL);
    db_bind_f64(s, 3, NAN);
    db_bind_blob(s, 4, bytes, sizeof(bytes));
    assert_int_equal(db_run(s), 0);
    s = db_prepare(fx->st, SQL_INSERT);
    db_bind_i64(s, 1, 2);
    db_bind_text(s, 2, "二氧化氮");
    db_bind_f64(s, 3, -0.5);
    db_bind_null(s, 4);
    assert_int_equal(db_run(s), 0);
    assert_int_equal(db_changes(fx->st), 1);

    s = db_prepare(fx->st, SQL_GET);
    db_bind_i64(s, 1, 1);
    assert_int_equal(db_step(s), DB_ROW);
    assert_true(db_col_is_null(s, 0));
    assert_null(db_col_text(s, 0));
    assert_true(isnan(db_col_f64(s, 1)));
    assert_false(db_col_is_null(s, 2));
    assert_int_equal(db_col_i64(s, 3), 1);
    db_reset(s);

    s = db_prepare(fx->st, SQL_GET);
    db_bind_i64(s, 1, 2);
    assert_int_equal(db_step(s), DB_ROW);
    assert_string_equal(db_col_text(s, 0), "二氧化氮");
    assert_true(db_col_f64(s, 1) == -0.5);
    assert_true(db_col_is_null(s, 2));
    {
        char small[4];
        db_col_copy(s, 0, small, sizeof(small));
        assert_int_equal(strlen(small), 3); /* truncated, terminated */
    }
    assert_int_equal(db_step(s), DB_DONE);
    db_reset(s);
}

static void test_db_constraint_is_an_error(void **state)
{
    struct fixture *fx = *state;
    struct db_stmt *s = db_prepare(fx->st, SQL_INSERT);

    db_bind_i64(s, 1, 5);
    assert_int_equal(db_run(s), 0);
    s = db_prepare(fx->st, SQL_INSERT);
    db_bind_i64(s, 1, 5); /* the same primary key */
    assert_int_equal(db_run(s), COL_ERR_DB);
    /* the statement is usable again */
    s = db_prepare(fx->st, SQL_INSERT);
    db_bind_i64(s, 1, 6);
    assert_int_equal(db_run(s), 0);
}

static void test_db_bad_sql(void **state)
{
    struct fixture *fx = *state;

    assert_null(db_prepare(fx->st, "SELECT nothing FROM nowhere"));
}

/* Columns of a row whose shape is not known in advance: names, types, bytes. */
static void test_db_columns_by_name_and_type(void **state)
{
    struct fixture *fx = *state;
    static const unsigned char bytes[3] = {0, 0x80, 7};
    struct db_stmt *s = db_prepare(fx->st, SQL_INSERT);
    size_t len = 99;
    const unsigned char *p;

    db_bind_i64(s, 1, 3);
    db_bind_text(s, 2, "abc");
    db_bind_f64(s, 3, 2.5);
    db_bind_blob(s, 4, bytes, sizeof(bytes));
    assert_int_equal(db_run(s), 0);
    assert_int_equal(db_last_insert_id(fx->st), 3);
    s = db_prepare(fx->st, "SELECT k AS key, s, d, b, NULL AS empty FROM t WHERE k = :k");
    assert_non_null(s);
    assert_int_equal(db_param(s, ":k"), 1);
    assert_int_equal(db_param(s, ":absent"), 0);
    db_bind_text(s, db_param(s, ":absent"), "ignored"); /* index 0 binds nothing */
    db_bind_i64(s, db_param(s, ":k"), 3);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_col_count(s), 5);
    assert_string_equal(db_col_name(s, 0), "key");
    assert_string_equal(db_col_name(s, 4), "empty");
    assert_int_equal(db_col_type(s, 0), DB_INTEGER);
    assert_int_equal(db_col_type(s, 1), DB_TEXT);
    assert_int_equal(db_col_type(s, 2), DB_FLOAT);
    assert_int_equal(db_col_type(s, 3), DB_BLOB);
    assert_int_equal(db_col_type(s, 4), DB_NULL);
    p = db_col_bytes(s, 3, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, bytes, 3);
    p = db_col_bytes(s, 1, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "abc", 3);
    assert_null(db_col_bytes(s, 4, &len));
    assert_int_equal(len, 0);
    db_reset(s);
}

static const char *label_of(double x)
{
    if (isnan(x))
        return NULL;
    return x < 1 ? "small" : "large";
}

static double halve(double x)
{
    return x > 0 ? x / 2 : NAN;
}

/* Functions defined on the connection: NULL in gives NaN, NULL and NaN out give SQL NULL. */
static void test_db_functions(void **state)
{
    struct fixture *fx = *state;
    struct db_stmt *s;

    assert_int_equal(db_define_text_fn(fx->st, "t_label", label_of), 0);
    assert_int_equal(db_define_number_fn(fx->st, "t_halve", halve), 0);
    s = db_prepare(fx->st, "SELECT t_label(0.5), t_label(3), t_label(NULL), t_halve(5),"
                           " t_halve(-1), t_halve(NULL)");
    assert_non_null(s);
    assert_int_equal(db_step(s), DB_ROW);
    assert_string_equal(db_col_text(s, 0), "small");
    assert_string_equal(db_col_text(s, 1), "large");
    assert_true(db_col_is_null(s, 2));
    assert_true(db_col_f64(s, 3) == 2.5);
    assert_true(db_col_is_null(s, 4));
    assert_true(db_col_is_null(s, 5));
    db_reset(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_prepare_is_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_null_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_constraint_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_bad_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_columns_by_name_and_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_functions, setup, teardown),
    };

    log_set_level(LOG_LVL_ERR + 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
