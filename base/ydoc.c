/*
 * YAML → tree with line numbers, built from libyaml parser events.
 *
 * The builder keeps a stack of open collections; a scalar or a finished
 * collection is attached to the collection on top (as a key or a value for
 * maps, as an item for sequences). Only the first document of a stream is
 * read; a second document is an error so nothing is silently ignored.
 */
#include "ydoc.h"
#include "col_err.h"
#include "diag.h"
#include "textparse.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_FILE (16 * 1024 * 1024)

struct builder {
    struct ydoc *doc;
    struct ynode *stack[YDOC_MAX_DEPTH];
    struct ynode *pending_key[YDOC_MAX_DEPTH];
    int depth;
    char *err;
    size_t errlen;
};

void ynode_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            ynode_free(n->keys[i]);
        if (n->items)
            ynode_free(n->items[i]);
    }
    xfree(n->keys);
    xfree(n->items);
    xfree(n->scalar);
    xfree(n);
}

void ydoc_free(struct ydoc *doc)
{
    if (!doc)
        return;
    ynode_free(doc->root);
    xfree(doc->file);
    xfree(doc);
}

static struct ynode *node_new(enum ynode_kind kind, const char *file, int line)
{
    struct ynode *n = xcalloc(1, sizeof(*n));

    if (!n)
        return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    return n;
}

struct ynode *ynode_new_scalar(const char *text, const char *file, int line)
{
    struct ynode *n = node_new(YNODE_SCALAR, file, line);

    if (!n)
        return NULL;
    n->scalar = xstrdup(text);
    if (!n->scalar) {
        xfree(n);
        return NULL;
    }
    return n;
}

/* Append (key, val) to a map or val to a sequence; key is NULL for sequences. */
static int node_append(struct ynode *coll, struct ynode *key, struct ynode *val)
{
    struct ynode **items = xrealloc(coll->items, (coll->n + 1) * sizeof(*items));

    if (!items)
        return COL_ERR_NOMEM;
    coll->items = items;
    if (coll->kind == YNODE_MAP) {
        struct ynode **keys = xrealloc(coll->keys, (coll->n + 1) * sizeof(*keys));
        if (!keys)
            return COL_ERR_NOMEM;
        coll->keys = keys;
        coll->keys[coll->n] = key;
    }
    coll->items[coll->n] = val;
    coll->n++;
    return 0;
}

static int fail(struct builder *b, int line, const char *msg)
{
    snprintf(b->err, b->errlen, "%s:%d: %s", b->doc->file, line, msg);
    return COL_ERR_INVAL;
}

/* Attach a completed node @n to whatever is open; takes ownership of @n. */
static int attach(struct builder *b, struct ynode *n)
{
    struct ynode *top;
    int rc;

    if (b->depth == 0) {
        b->doc->root = n;
        return 0;
    }
    top = b->stack[b->depth - 1];
    if (top->kind == YNODE_SEQ) {
        rc = node_append(top, NULL, n);
        if (rc)
            ynode_free(n);
        return rc;
    }
    if (!b->pending_key[b->depth - 1]) {
        if (n->kind != YNODE_SCALAR) {
            int line = n->line;
            ynode_free(n);
            return fail(b, line, "a mapping key must be a plain value");
        }
        for (size_t i = 0; i < top->n; i++) {
            if (strcmp(top->keys[i]->scalar, n->scalar) == 0) {
                char msg[160];
                int line = n->line;
                snprintf(msg, sizeof(msg), "duplicate key '%.100s' (first at line %d)", n->scalar,
                         top->keys[i]->line);
                ynode_free(n);
                return fail(b, line, msg);
            }
        }
        b->pending_key[b->depth - 1] = n;
        return 0;
    }
    rc = node_append(top, b->pending_key[b->depth - 1], n);
    if (rc) {
        ynode_free(n);
        return rc;
    }
    b->pending_key[b->depth - 1] = NULL;
    return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev, int *n_docs)
{
    int line = (int)ev->start_mark.line + 1;
    struct ynode *n = NULL;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*n_docs > 1)
            return fail(b, line, "only one YAML document per file is supported");
        return 0;
    case YAML_ALIAS_EVENT:
        return fail(b, line, "YAML aliases are not supported; write the value in place");
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            return fail(b, line, "YAML anchors are not supported");
        n = node_new(YNODE_SCALAR, b->doc->file, line);
        if (!n)
            return COL_ERR_NOMEM;
        n->scalar = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (!n->scalar) {
            xfree(n);
            return COL_ERR_NOMEM;
        }
        if (strlen(n->scalar) != ev->data.scalar.length) {
            ynode_free(n);
            return fail(b, line, "NUL byte in a value");
        }
        n->is_quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return attach(b, n);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if ((ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.anchor) ||
            (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor))
            return fail(b, line, "YAML anchors are not supported");
        if (b->depth >= YDOC_MAX_DEPTH)
            return fail(b, line, "nesting too deep");
        n = node_new(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ, b->doc->file,
                     line);
        if (!n)
            return COL_ERR_NOMEM;
        b->pending_key[b->depth] = NULL;
        b->stack[b->depth++] = n;
        return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (NEVER(b->depth == 0))
            return COL_ERR_INVAL;
        n = b->stack[--b->depth];
        ynode_free(b->pending_key[b->depth]);
        b->pending_key[b->depth] = NULL;
        return attach(b, n);
    default:
        return 0;
    }
}

struct ydoc *ydoc_parse(const char *file, const char *buf, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct builder b = {0};
    int rc = 0, n_docs = 0;
    bool done = false;

    b.err = err;
    b.errlen = errlen;
    b.doc = xcalloc(1, sizeof(*b.doc));
    if (b.doc)
        b.doc->file = xstrdup(file);
    if (!b.doc || !b.doc->file) {
        snprintf(err, errlen, "%s: out of memory", file);
        xfree(b.doc);
        return NULL;
    }
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", file);
        ydoc_free(b.doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(err, errlen, "%s:%zu: %s%s%s", file, parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "YAML syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
            rc = COL_ERR_INVAL;
            break;
        }
        rc = on_event(&b, &ev, &n_docs);
        if (rc == COL_ERR_NOMEM)
            snprintf(err, errlen, "%s: out of memory", file);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0) {
        b.depth--;
        ynode_free(b.pending_key[b.depth]);
        ynode_free(b.stack[b.depth]);
    }
    if (rc) {
        ydoc_free(b.doc);
        return NULL;
    }
    return b.doc;
}

struct ydoc *ydoc_load(const char *path, char *err, size_t errlen)
{
    struct ydoc *doc = NULL;
    FILE *f = NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;

    f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            char *nb;
            if (cap >= YDOC_MAX_FILE) {
                snprintf(err, errlen, "%s: file larger than %d bytes", path, YDOC_MAX_FILE);
                goto out;
            }
            cap = cap ? cap * 2 : 4096;
            nb = xrealloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    doc = ydoc_parse(path, buf, n, err, errlen);
out:
    xfree(buf);
    fclose(f);
    return doc;
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->scalar, key) == 0)
            return map->items[i];
    return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
    if (!n)
        return true;
    if (n->kind != YNODE_SCALAR || n->is_quoted)
        return false;
    return n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 || strcmp(n->scalar, "null") == 0 ||
           strcmp(n->scalar, "Null") == 0 || strcmp(n->scalar, "NULL") == 0;
}

int ynode_set_path(struct ynode *root, const char *path, const char *text, const char *file,
                   int line)
{
    struct ynode *cur = root;
    const char *p = path;

    if (!root || root->kind != YNODE_MAP)
        return COL_ERR_INVAL;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t klen = dot ? (size_t)(dot - p) : strlen(p);
        struct ynode *child = NULL;
        size_t idx = 0;
        char *key;
        int rc;

        if (klen == 0)
            return COL_ERR_INVAL;
        key = xstrndup(p, klen);
        if (!key)
            return COL_ERR_NOMEM;
        for (idx = 0; idx < cur->n; idx++)
            if (strcmp(cur->keys[idx]->scalar, key) == 0)
                break;
        child = idx < cur->n ? cur->items[idx] : NULL;
        if (!dot) {
            struct ynode *val = ynode_new_scalar(text, file, line);
            if (!val) {
                xfree(key);
                return COL_ERR_NOMEM;
            }
            if (child) {
                ynode_free(child);
                cur->items[idx] = val;
                xfree(key);
                return 0;
            }
            struct ynode *k = ynode_new_scalar(key, file, line);
            xfree(key);
            if (!k) {
                ynode_free(val);
                return COL_ERR_NOMEM;
            }
            rc = node_append(cur, k, val);
            if (rc) {
                ynode_free(k);
                ynode_free(val);
            }
            return rc;
        }
        if (!child || ynode_is_null(child)) {
            struct ynode *m = node_new(YNODE_MAP, file, line);
            struct ynode *k = m ? ynode_new_scalar(key, file, line) : NULL;
            if (!m || !k) {
                ynode_free(m);
                xfree(key);
                return COL_ERR_NOMEM;
            }
            if (child) {
                ynode_free(child);
                cur->items[idx] = m;
                ynode_free(k);
            } else {
                rc = node_append(cur, k, m);
                if (rc) {
                    ynode_free(k);
                    ynode_free(m);
                    xfree(key);
                    return rc;
                }
            }
            child = m;
        }
        xfree(key);
        if (child->kind != YNODE_MAP)
            return COL_ERR_INVAL;
        cur = child;
        p = dot + 1;
    }
}

void ynode_error(const struct ynode *n, struct diag *d, const char *msg)
{
    diag_error(d, n->file, n->line, "%s", msg);
}

int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
                     struct diag *d)
{
    int bad = 0;

    if (!map || map->kind != YNODE_MAP)
        return 0;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->scalar;
        bool ok = false;
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(allowed[j], k) == 0)
                ok = true;
        if (!ok) {
            diag_error(d, map->keys[i]->file, map->keys[i]->line, "unknown key '%s' in %s", k,
                       what);
            bad = -1;
        }
    }
    return bad;
}

int ynode_scalar(const struct ynode *map, const char *key, bool required, const char **out,
                 struct diag *d)
{
    const struct ynode *n = ynode_get(map, key);

    if (!n || ynode_is_null(n)) {
        if (required)
            diag_error(d, map->file, map->line, "missing required key '%s'", key);
        return required ? -1 : 0;
    }
    if (n->kind != YNODE_SCALAR) {
        diag_error(d, n->file, n->line, "'%s' must be a single value", key);
        return -1;
    }
    *out = n->scalar;
    return 1;
}

int ynode_double(const struct ynode *map, const char *key, bool required, double *out,
                 struct diag *d)
{
    const char *s = NULL;
    int rc = ynode_scalar(map, key, required, &s, d);

    if (rc <= 0)
        return rc;
    if (parse_double(s, out)) {
        const struct ynode *n = ynode_get(map, key);
        diag_error(d, n->file, n->line, "'%s' must be a number, not '%s'", key, s);
        return -1;
    }
    return 1;
}

int ynode_duration(const struct ynode *map, const char *key, bool required, long long *out_ms,
                   struct diag *d)
{
    const char *s = NULL;
    int64_t v;
    int rc = ynode_scalar(map, key, required, &s, d);

    if (rc <= 0)
        return rc;
    if (parse_duration_ms(s, &v)) {
        const struct ynode *n = ynode_get(map, key);
        diag_error(d, n->file, n->line, "'%s' must be a duration such as 30s, 5m, 1h, not '%s'",
                   key, s);
        return -1;
    }
    *out_ms = v;
    return 1;
}

int ynode_bool(const struct ynode *map, const char *key, bool *out, struct diag *d)
{
    const char *s = NULL;
    int rc = ynode_scalar(map, key, false, &s, d);

    if (rc <= 0)
        return rc;
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0) {
        *out = true;
        return 1;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0) {
        *out = false;
        return 1;
    }
    const struct ynode *n = ynode_get(map, key);
    diag_error(d, n->file, n->line, "'%s' must be true or false, not '%s'", key, s);
    return -1;
}
