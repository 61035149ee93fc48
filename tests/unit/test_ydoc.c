/*
 * Tests of the YAML tree (ruleset/base/ydoc.h) and the diagnostics sink
 * (diag.h): maps, sequences and scalars with their 1-based line numbers,
 * quoted versus plain null, duplicate keys, the rejection of anchors and
 * aliases, syntax errors reported as "file:LINE:", ynode_set_path (creating
 * and replacing), the typed accessors reporting through a capturing diag,
 * and an allocation-failure loop over ydoc_parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "diag.h"
#include "xalloc.h"
#include "ydoc.h"

/* ---- a diag that keeps what it is told ---- */

#define CAP_MAX 16

struct capture {
    int n;
    char msg[CAP_MAX][512];
};

static void cap_emit(void *ud, const char *msg)
{
    struct capture *c = ud;

    if (c->n < CAP_MAX)
        snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
    c->n++;
}

static void cap_init(struct capture *c, struct diag *d)
{
    memset(c, 0, sizeof(*c));
    memset(d, 0, sizeof(*d));
    d->emit = cap_emit;
    d->ud = c;
}

static struct ydoc *parse(const char *name, const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return ydoc_parse(name, text, strlen(text), err, errlen);
}

static struct ydoc *parse_ok(const char *name, const char *text)
{
    char err[512];
    struct ydoc *doc = parse(name, text, err, sizeof(err));

    if (!doc)
        print_error("parse failed: %s\n", err);
    assert_non_null(doc);
    return doc;
}

static void expect_parse_error(const char *name, const char *text, const char *want)
{
    char err[512];
    struct ydoc *doc = parse(name, text, err, sizeof(err));

    if (doc)
        print_error("accepted: %s\n", text);
    assert_null(doc);
    assert_string_equal(err, want);
}

/* ---- the tree ---- */

static const char basic_doc[] = "name: test\n"               /* 1 */
                                "nums:\n"                    /* 2 */
                                "  - 1\n"                    /* 3 */
                                "  - \"two\"\n"              /* 4 */
                                "nested:\n"                  /* 5 */
                                "  a: x\n"                   /* 6 */
                                "  b: ~\n"                   /* 7 */
                                "  c: \"null\"\n"            /* 8 */
                                "  d:\n"                     /* 9 */
                                "  e: 'null'\n"              /* 10 */
                                "  f: null\n"                /* 11 */
                                "  g: NULL\n"                /* 12 */
                                "  h: \"\"\n"                /* 13 */
                                "# a comment\n"              /* 14 */
                                "flow: {k: v, n: [1, 2]}\n"; /* 15 */

static void test_tree_shape_and_lines(void **state)
{
    struct ydoc *doc = parse_ok("basic.yaml", basic_doc);
    const struct ynode *root = doc->root, *n, *nums, *nested, *flow;

    assert_string_equal(doc->file, "basic.yaml");
    assert_non_null(root);
    assert_int_equal(root->kind, YNODE_MAP);
    assert_int_equal(root->line, 1);
    assert_int_equal(root->n, 4);
    assert_string_equal(root->keys[0]->scalar, "name");
    assert_string_equal(root->keys[1]->scalar, "nums");
    assert_string_equal(root->keys[2]->scalar, "nested");
    assert_string_equal(root->keys[3]->scalar, "flow");
    assert_int_equal(root->keys[2]->line, 5);
    assert_int_equal(root->keys[3]->line, 15);

    n = ynode_get(root, "name");
    assert_non_null(n);
    assert_int_equal(n->kind, YNODE_SCALAR);
    assert_string_equal(n->scalar, "test");
    assert_int_equal(n->line, 1);
    assert_false(n->is_quoted);
    assert_string_equal(n->file, "basic.yaml");

    /* A block sequence starts at its first "-". */
    nums = ynode_get(root, "nums");
    assert_int_equal(nums->kind, YNODE_SEQ);
    assert_int_equal(nums->n, 2);
    assert_int_equal(nums->line, 3);
    assert_string_equal(nums->items[0]->scalar, "1");
    assert_int_equal(nums->items[0]->line, 3);
    assert_false(nums->items[0]->is_quoted);
    assert_string_equal(nums->items[1]->scalar, "two");
    assert_int_equal(nums->items[1]->line, 4);
    assert_true(nums->items[1]->is_quoted);

    /* A block mapping starts at its first key. */
    nested = ynode_get(root, "nested");
    assert_int_equal(nested->kind, YNODE_MAP);
    assert_int_equal(nested->n, 8);
    assert_int_equal(nested->line, 6);
    assert_string_equal(ynode_get(nested, "a")->scalar, "x");
    assert_int_equal(ynode_get(nested, "e")->line, 10);
    assert_int_equal(ynode_get(nested, "h")->line, 13);

    flow = ynode_get(root, "flow");
    assert_int_equal(flow->kind, YNODE_MAP);
    assert_int_equal(flow->line, 15);
    assert_int_equal(flow->n, 2);
    assert_int_equal(ynode_get(flow, "n")->kind, YNODE_SEQ);
    assert_int_equal(ynode_get(flow, "n")->n, 2);
    assert_string_equal(ynode_get(flow, "n")->items[1]->scalar, "2");

    /* Lookups that find nothing. */
    assert_null(ynode_get(root, "missing"));
    assert_null(ynode_get(root, "Name"));
    assert_null(ynode_get(nums, "1")); /* not a map */
    assert_null(ynode_get(n, "test")); /* a scalar */
    assert_null(ynode_get(NULL, "x"));
    ydoc_free(doc);
}

static void test_null_plain_vs_quoted(void **state)
{
    struct ydoc *doc = parse_ok("null.yaml", basic_doc);
    const struct ynode *nested = ynode_get(doc->root, "nested");

    assert_false(ynode_is_null(ynode_get(nested, "a")));
    assert_true(ynode_is_null(ynode_get(nested, "b")));  /* ~ */
    assert_false(ynode_is_null(ynode_get(nested, "c"))); /* "null" is text */
    assert_true(ynode_is_null(ynode_get(nested, "d")));  /* empty */
    assert_false(ynode_is_null(ynode_get(nested, "e"))); /* 'null' is text */
    assert_true(ynode_is_null(ynode_get(nested, "f")));
    assert_true(ynode_is_null(ynode_get(nested, "g")));
    assert_false(ynode_is_null(ynode_get(nested, "h"))); /* "" is an empty string */
    assert_string_equal(ynode_get(nested, "c")->scalar, "null");
    assert_true(ynode_get(nested, "c")->is_quoted);
    assert_true(ynode_is_null(NULL)); /* an absent node */
    assert_false(ynode_is_null(nested));
    ydoc_free(doc);
}

static void test_empty_document(void **state)
{
    struct ydoc *doc = parse_ok("empty.yaml", "");

    assert_null(doc->root);
    ydoc_free(doc);
    doc = parse_ok("comment.yaml", "# nothing here\n\n");
    assert_null(doc->root);
    ydoc_free(doc);
    /* A bare scalar is a document too. */
    doc = parse_ok("scalar.yaml", "hello\n");
    assert_int_equal(doc->root->kind, YNODE_SCALAR);
    assert_string_equal(doc->root->scalar, "hello");
    ydoc_free(doc);
}

static void test_unicode_and_multiline_scalars(void **state)
{
    struct ydoc *doc = parse_ok("u.yaml", "name: 徐家汇街道\n"
                                          "text: |\n"
                                          "  line one\n"
                                          "  line two\n"
                                          "after: 1\n");

    assert_string_equal(ynode_get(doc->root, "name")->scalar, "徐家汇街道");
    assert_string_equal(ynode_get(doc->root, "text")->scalar, "line one\nline two\n");
    assert_true(ynode_get(doc->root, "text")->is_quoted); /* literal style is not plain */
    assert_int_equal(ynode_get(doc->root, "after")->line, 5);
    ydoc_free(doc);
}

/* ---- rejections ---- */

static void test_duplicate_keys(void **state)
{
    expect_parse_error("dup.yaml", "a: 1\nb: 2\na: 3\n",
                       "dup.yaml:3: duplicate key 'a' (first at line 1)");
    expect_parse_error("dup.yaml", "top:\n  x: 1\n  y: 2\n  x: 3\n",
                       "dup.yaml:4: duplicate key 'x' (first at line 2)");
    expect_parse_error("dup.yaml", "f: {k: 1, k: 2}\n",
                       "dup.yaml:1: duplicate key 'k' (first at line 1)");
    /* The same key in different maps is fine. */
    ydoc_free(parse_ok("ok.yaml", "a: {x: 1}\nb: {x: 2}\n"));
}

static void test_aliases_and_anchors(void **state)
{
    expect_parse_error("al.yaml", "a: &anc 1\nb: 2\n", "al.yaml:1: YAML anchors are not supported");
    expect_parse_error("al.yaml", "a: 1\nb: *x\n",
                       "al.yaml:2: YAML aliases are not supported; write the value in place");
}

static void test_anchor_on_collection(void **state)
{
    char err[512];
    struct ydoc *doc;
    bool accepted;

    /* The header promises that anchors are rejected; one on a mapping or a sequence is an
     * anchor all the same, and an error here keeps the rule the same for every node. */
    doc = parse("al.yaml", "a: 1\nb: &m {x: 1}\n", err, sizeof(err));
    accepted = doc != NULL;
    ydoc_free(doc);
    assert_false(accepted);
    assert_true(strncmp(err, "al.yaml:2: ", 11) == 0);
    doc = parse("al.yaml", "a: &s [1, 2]\n", err, sizeof(err));
    accepted = doc != NULL;
    ydoc_free(doc);
    assert_false(accepted);
    assert_true(strncmp(err, "al.yaml:1: ", 11) == 0);
}

static void test_syntax_error_has_line(void **state)
{
    char err[512];
    struct ydoc *doc;

    /* "  c: 3" continues the plain scalar "2", and a ':' there is not allowed. */
    doc = parse("bad.yaml", "a: 1\nb: 2\n  c: 3\n", err, sizeof(err));
    assert_null(doc);
    assert_true(strncmp(err, "bad.yaml:3: ", 12) == 0);
    assert_non_null(strstr(err, "mapping values are not allowed"));

    /* An unclosed flow sequence is found at the end of the input, line 4. */
    doc = parse("bad.yaml", "a: [1, 2\nb: 3\nc: 4\n", err, sizeof(err));
    assert_null(doc);
    assert_true(strncmp(err, "bad.yaml:", 9) == 0);
    assert_true(strtol(err + 9, NULL, 10) >= 2);

    /* A tab cannot indent. */
    doc = parse("tab.yaml", "a:\n\tb: 1\n", err, sizeof(err));
    assert_null(doc);
    assert_true(strncmp(err, "tab.yaml:2: ", 12) == 0);
}

static void test_one_document_only(void **state)
{
    expect_parse_error("multi.yaml", "a: 1\n---\nb: 2\n",
                       "multi.yaml:2: only one YAML document per file is supported");
}

static void test_collection_as_key(void **state)
{
    expect_parse_error("key.yaml", "? [a, b]\n: 1\n",
                       "key.yaml:1: a mapping key must be a plain value");
}

static void test_nul_byte_refused(void **state)
{
    static const char text[] = "a: x\0y\n";
    char err[256] = "";

    /* Whichever layer notices, a NUL inside a value is an error, never a silent cut. */
    assert_null(ydoc_parse("nul.yaml", text, sizeof(text) - 1, err, sizeof(err)));
    assert_true(strncmp(err, "nul.yaml:1: ", 12) == 0);
}

/* ---- loading from a file ---- */

static void test_load_file(void **state)
{
    char dir[] = "/tmp/test_ydoc.XXXXXX";
    char path[512], err[512];
    struct ydoc *doc;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("k: v\nlist:\n  - 1\n", f);
    fclose(f);

    doc = ydoc_load(path, err, sizeof(err));
    assert_non_null(doc);
    assert_string_equal(doc->file, path);
    assert_string_equal(ynode_get(doc->root, "k")->file, path);
    assert_int_equal(ynode_get(doc->root, "list")->items[0]->line, 3);
    ydoc_free(doc);

    assert_int_equal(unlink(path), 0);
    assert_null(ydoc_load(path, err, sizeof(err)));
    /* "<path>: cannot open: <reason>" */
    assert_true(strncmp(err, path, strlen(path)) == 0);
    assert_non_null(strstr(err, ": cannot open: "));
    assert_int_equal(rmdir(dir), 0);
}

/* ---- ynode_set_path ---- */

static void test_set_path_replace_and_create(void **state)
{
    struct ydoc *doc = parse_ok("set.yaml", "a:\n  b: 1\nc: x\nn: ~\n");
    struct ynode *root = doc->root, *a, *v;

    /* Replace an existing value. */
    assert_int_equal(ynode_set_path(root, "a.b", "2", "--set", 7), 0);
    a = ynode_get(root, "a");
    assert_int_equal(a->n, 1);
    v = ynode_get(a, "b");
    assert_string_equal(v->scalar, "2");
    assert_int_equal(v->line, 7);
    assert_string_equal(v->file, "--set");
    assert_false(v->is_quoted);

    /* Add a key to an existing map. */
    assert_int_equal(ynode_set_path(root, "a.z", "3", "--set", 8), 0);
    assert_int_equal(a->n, 2);
    assert_string_equal(ynode_get(a, "z")->scalar, "3");
    assert_string_equal(a->keys[1]->scalar, "z");

    /* Create maps on the way. */
    assert_int_equal(ynode_set_path(root, "new.deep.key", "v", "--set", 9), 0);
    v = ynode_get(root, "new");
    assert_non_null(v);
    assert_int_equal(v->kind, YNODE_MAP);
    v = ynode_get(v, "deep");
    assert_non_null(v);
    assert_int_equal(v->kind, YNODE_MAP);
    assert_string_equal(ynode_get(v, "key")->scalar, "v");
    assert_int_equal(ynode_get(v, "key")->line, 9);

    /* A null value becomes a map. */
    assert_int_equal(ynode_set_path(root, "n.k", "1", "--set", 10), 0);
    assert_int_equal(ynode_get(root, "n")->kind, YNODE_MAP);
    assert_string_equal(ynode_get(ynode_get(root, "n"), "k")->scalar, "1");

    /* A top-level key. */
    assert_int_equal(ynode_set_path(root, "top", "t", "--set", 11), 0);
    assert_string_equal(ynode_get(root, "top")->scalar, "t");
    assert_int_equal(root->n, 5); /* a, c, n, then new and top */
    assert_string_equal(ynode_get(root, "c")->scalar, "x");
    ydoc_free(doc);
}

static void test_set_path_errors(void **state)
{
    struct ydoc *doc = parse_ok("set.yaml", "a:\n  b: 1\nc: x\nl: [1]\n");
    struct ynode *root = doc->root;

    /* A scalar or a list on the way is not a map. */
    assert_int_equal(ynode_set_path(root, "c.d", "1", "--set", 1), COL_ERR_INVAL);
    assert_string_equal(ynode_get(root, "c")->scalar, "x");
    assert_int_equal(ynode_set_path(root, "l.x", "1", "--set", 1), COL_ERR_INVAL);
    assert_int_equal(ynode_set_path(root, "a.b.c", "1", "--set", 1), COL_ERR_INVAL);
    /* Empty path elements. */
    assert_int_equal(ynode_set_path(root, "", "1", "--set", 1), COL_ERR_INVAL);
    assert_int_equal(ynode_set_path(root, "a..b", "1", "--set", 1), COL_ERR_INVAL);
    assert_int_equal(ynode_set_path(root, ".a", "1", "--set", 1), COL_ERR_INVAL);
    assert_int_equal(ynode_set_path(root, "a.", "1", "--set", 1), COL_ERR_INVAL);
    /* The root must be a map. */
    assert_int_equal(ynode_set_path(NULL, "a", "1", "--set", 1), COL_ERR_INVAL);
    assert_int_equal(ynode_set_path(ynode_get(root, "c"), "a", "1", "--set", 1), COL_ERR_INVAL);
    /* Nothing valid was harmed. */
    assert_string_equal(ynode_get(ynode_get(root, "a"), "b")->scalar, "1");
    ydoc_free(doc);
}

static void test_new_scalar(void **state)
{
    struct ynode *n = ynode_new_scalar("text", "f.yaml", 3);

    assert_non_null(n);
    assert_int_equal(n->kind, YNODE_SCALAR);
    assert_string_equal(n->scalar, "text");
    assert_int_equal(n->line, 3);
    assert_false(n->is_quoted);
    assert_int_equal(n->n, 0);
    ynode_free(n);
    ynode_free(NULL);
    ydoc_free(NULL);
}

/* ---- typed accessors ---- */

static const char acc_doc[] = "s: hello\n"        /* 1 */
                              "num: 2.5\n"        /* 2 */
                              "bad_num: 2.5x\n"   /* 3 */
                              "dur: 5m\n"         /* 4 */
                              "bad_dur: soon\n"   /* 5 */
                              "flag: on\n"        /* 6 */
                              "off_flag: no\n"    /* 7 */
                              "bad_flag: maybe\n" /* 8 */
                              "list: [1, 2]\n"    /* 9 */
                              "nul: ~\n"          /* 10 */
                              "qnul: \"null\"\n"; /* 11 */

static void test_accessor_scalar(void **state)
{
    struct ydoc *doc = parse_ok("acc.yaml", acc_doc);
    const struct ynode *m = doc->root;
    struct capture cap;
    struct diag d;
    const char *s = NULL;

    cap_init(&cap, &d);
    assert_int_equal(ynode_scalar(m, "s", true, &s, &d), 1);
    assert_string_equal(s, "hello");
    assert_int_equal(ynode_scalar(m, "qnul", true, &s, &d), 1);
    assert_string_equal(s, "null");
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(cap.n, 0);

    /* Absent: 0 when optional, an error when required (at the map's line). */
    s = "unchanged";
    assert_int_equal(ynode_scalar(m, "missing", false, &s, &d), 0);
    assert_string_equal(s, "unchanged");
    assert_int_equal(d.n_errors, 0);
    assert_int_equal(ynode_scalar(m, "missing", true, &s, &d), -1);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(cap.msg[0], "acc.yaml:1: missing required key 'missing'");
    /* A plain null counts as absent. */
    assert_int_equal(ynode_scalar(m, "nul", false, &s, &d), 0);
    assert_int_equal(ynode_scalar(m, "nul", true, &s, &d), -1);
    assert_string_equal(cap.msg[1], "acc.yaml:1: missing required key 'nul'");
    /* A list where one value belongs. */
    assert_int_equal(ynode_scalar(m, "list", false, &s, &d), -1);
    assert_string_equal(cap.msg[2], "acc.yaml:9: 'list' must be a single value");
    assert_int_equal(d.n_errors, 3);
    assert_int_equal(cap.n, 3);
    ydoc_free(doc);
}

static void test_accessor_double_duration_bool(void **state)
{
    struct ydoc *doc = parse_ok("acc.yaml", acc_doc);
    const struct ynode *m = doc->root;
    struct capture cap;
    struct diag d;
    double x = 0;
    long long ms = 0;
    bool b = false;

    cap_init(&cap, &d);
    assert_int_equal(ynode_double(m, "num", true, &x, &d), 1);
    assert_true(x == 2.5);
    assert_int_equal(ynode_duration(m, "dur", true, &ms, &d), 1);
    assert_int_equal(ms, 300000); /* 5 * 60 000 */
    assert_int_equal(ynode_bool(m, "flag", &b, &d), 1);
    assert_true(b);
    assert_int_equal(ynode_bool(m, "off_flag", &b, &d), 1);
    assert_false(b);
    b = true;
    assert_int_equal(ynode_bool(m, "missing", &b, &d), 0);
    assert_true(b);
    assert_int_equal(ynode_double(m, "missing", false, &x, &d), 0);
    assert_int_equal(ynode_duration(m, "missing", false, &ms, &d), 0);
    assert_int_equal(d.n_errors, 0);

    assert_int_equal(ynode_double(m, "bad_num", false, &x, &d), -1);
    assert_string_equal(cap.msg[0], "acc.yaml:3: 'bad_num' must be a number, not '2.5x'");
    assert_int_equal(ynode_duration(m, "bad_dur", false, &ms, &d), -1);
    assert_string_equal(cap.msg[1],
                        "acc.yaml:5: 'bad_dur' must be a duration such as 30s, 5m, 1h, not 'soon'");
    assert_int_equal(ynode_bool(m, "bad_flag", &b, &d), -1);
    assert_string_equal(cap.msg[2], "acc.yaml:8: 'bad_flag' must be true or false, not 'maybe'");
    /* "s" is text, not a number. */
    assert_int_equal(ynode_double(m, "s", false, &x, &d), -1);
    assert_string_equal(cap.msg[3], "acc.yaml:1: 's' must be a number, not 'hello'");
    assert_int_equal(ynode_double(m, "missing", true, &x, &d), -1);
    assert_string_equal(cap.msg[4], "acc.yaml:1: missing required key 'missing'");
    assert_int_equal(d.n_errors, 5);
    assert_int_equal(cap.n, 5);
    ydoc_free(doc);
}

static void test_check_keys_and_error(void **state)
{
    static const char *const allowed[] = {"s",    "num",      "bad_num",  "dur", "bad_dur",
                                          "flag", "off_flag", "bad_flag", "nul", NULL};
    struct ydoc *doc = parse_ok("acc.yaml", acc_doc);
    struct capture cap;
    struct diag d;

    cap_init(&cap, &d);
    /* "list" (line 9) and "qnul" (line 11) are not allowed. */
    assert_int_equal(ynode_check_keys(doc->root, allowed, "a test map", &d), -1);
    assert_int_equal(d.n_errors, 2);
    assert_string_equal(cap.msg[0], "acc.yaml:9: unknown key 'list' in a test map");
    assert_string_equal(cap.msg[1], "acc.yaml:11: unknown key 'qnul' in a test map");

    ynode_error(ynode_get(doc->root, "dur"), &d, "something is wrong");
    assert_string_equal(cap.msg[2], "acc.yaml:4: something is wrong");
    assert_int_equal(d.n_errors, 3);

    /* A key table that allows everything, and a node that is not a map. */
    static const char *const all[] = {"s",        "num",      "bad_num", "dur", "bad_dur", "flag",
                                      "off_flag", "bad_flag", "list",    "nul", "qnul",    NULL};
    assert_int_equal(ynode_check_keys(doc->root, all, "x", &d), 0);
    assert_int_equal(ynode_check_keys(ynode_get(doc->root, "s"), all, "x", &d), 0);
    assert_int_equal(d.n_errors, 3);
    ydoc_free(doc);
}

static void test_diag_formats(void **state)
{
    struct capture cap;
    struct diag d;

    cap_init(&cap, &d);
    diag_error(&d, "f.yaml", 12, "bad %s %d", "thing", 7);
    diag_error(&d, "f.yaml", 0, "whole file");
    diag_message(&d, "g.yaml:3: as is");
    assert_int_equal(d.n_errors, 3);
    assert_string_equal(cap.msg[0], "f.yaml:12: bad thing 7");
    assert_string_equal(cap.msg[1], "f.yaml: whole file");
    assert_string_equal(cap.msg[2], "g.yaml:3: as is");
}

/* ---- allocation failures ---- */

static const char alloc_doc[] = "mqtt:\n"
                                "  host: broker\n"
                                "  topics: [\"xh/#\", \"other/+\"]\n"
                                "  tls: {ca_file: ca.pem}\n"
                                "list:\n"
                                "  - {a: 1, b: [x, y]}\n"
                                "  - plain\n";

static void check_alloc_doc(const struct ydoc *doc)
{
    const struct ynode *mqtt = ynode_get(doc->root, "mqtt");

    assert_non_null(mqtt);
    assert_string_equal(ynode_get(mqtt, "host")->scalar, "broker");
    assert_int_equal(ynode_get(mqtt, "topics")->n, 2);
    assert_int_equal(ynode_get(doc->root, "list")->n, 2);
    assert_string_equal(ynode_get(doc->root, "list")->items[1]->scalar, "plain");
}

static void test_parse_allocation_failures(void **state)
{
    char err[512];
    struct ydoc *doc;
    long total;

    xalloc_fail_at(0);
    doc = ydoc_parse("alloc.yaml", alloc_doc, strlen(alloc_doc), err, sizeof(err));
    total = xalloc_count();
    assert_non_null(doc);
    check_alloc_doc(doc);
    ydoc_free(doc);
    assert_true(total > 10);

    for (long n = 1; n <= total + 1; n++) {
        err[0] = '\0';
        xalloc_fail_at(n);
        doc = ydoc_parse("alloc.yaml", alloc_doc, strlen(alloc_doc), err, sizeof(err));
        xalloc_fail_at(0);
        if (n <= total) {
            /* Allocation n and every later one fail: the parse cannot complete. */
            if (doc)
                print_error("allocation %ld failed but the parse succeeded\n", n);
            assert_null(doc);
            assert_string_equal(err, "alloc.yaml: out of memory");
        } else {
            assert_non_null(doc);
            check_alloc_doc(doc);
        }
        ydoc_free(doc);
    }
    xalloc_fail_at(0);
}

static void test_set_path_allocation_failures(void **state)
{
    for (long n = 1; n <= 40; n++) {
        struct ydoc *doc = parse_ok("set.yaml", "a:\n  b: 1\n");
        int rc;

        xalloc_fail_at(n);
        rc = ynode_set_path(doc->root, "x.y.z", "v", "--set", 1);
        xalloc_fail_at(0);
        assert_true(rc == 0 || rc == COL_ERR_NOMEM);
        if (rc == 0)
            assert_string_equal(ynode_get(ynode_get(ynode_get(doc->root, "x"), "y"), "z")->scalar,
                                "v");
        /* The tree stays whole and frees cleanly either way. */
        assert_string_equal(ynode_get(ynode_get(doc->root, "a"), "b")->scalar, "1");
        ydoc_free(doc);
    }
    xalloc_fail_at(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_shape_and_lines),
        cmocka_unit_test(test_null_plain_vs_quoted),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_unicode_and_multiline_scalars),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_aliases_and_anchors),
        cmocka_unit_test(test_anchor_on_collection),
        cmocka_unit_test(test_syntax_error_has_line),
        cmocka_unit_test(test_one_document_only),
        cmocka_unit_test(test_collection_as_key),
        cmocka_unit_test(test_nul_byte_refused),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_set_path_replace_and_create),
        cmocka_unit_test(test_set_path_errors),
        cmocka_unit_test(test_new_scalar),
        cmocka_unit_test(test_accessor_scalar),
        cmocka_unit_test(test_accessor_double_duration_bool),
        cmocka_unit_test(test_check_keys_and_error),
        cmocka_unit_test(test_diag_formats),
        cmocka_unit_test(test_parse_allocation_failures),
        cmocka_unit_test(test_set_path_allocation_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
