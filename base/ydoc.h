/*
 * A YAML document as a small tree that remembers where each node came from.
 *
 * libyaml gives events; every YAML consumer here (configuration, device
 * profiles, registry, rules) wants a tree it can walk and "file:line" for
 * each error. Aliases and anchors are rejected: configuration should say
 * what it means in place. Scalars are kept as text; typing happens in the
 * consumer, which knows what a key expects.
 */
#ifndef YDOC_H
#define YDOC_H

#include <stdbool.h>
#include <stddef.h>

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
    enum ynode_kind kind;
    int line;             /* 1-based line of the node's start */
    const char *file;     /* borrowed from the owning document */
    char *scalar;         /* YNODE_SCALAR: the text */
    bool is_quoted;       /* scalar was quoted: "null" is text, not null */
    size_t n;             /* MAP: number of pairs; SEQ: number of items */
    struct ynode **keys;  /* MAP: key scalars */
    struct ynode **items; /* MAP: values; SEQ: items */
};

struct ydoc {
    char *file;
    struct ynode *root; /* NULL for an empty document */
};

/*
 * Parse @buf[0..len). @file names the source in node->file and errors.
 * Returns NULL on error with "file:line: message" in @err.
 */
struct ydoc *ydoc_parse(const char *file, const char *buf, size_t len, char *err, size_t errlen);

/* Read and parse the file at @path; as ydoc_parse. */
struct ydoc *ydoc_load(const char *path, char *err, size_t errlen);

void ydoc_free(struct ydoc *doc);

/* Value for @key in a map node, or NULL (also when @map is not a map). */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* True for a plain scalar that YAML reads as null ("", "~", "null"). */
bool ynode_is_null(const struct ynode *n);

/* New scalar node (for overrides); the caller attaches it to a tree. */
struct ynode *ynode_new_scalar(const char *text, const char *file, int line);

/*
 * Set @path ("a.b.c") under @root (a map) to a scalar @text, creating maps
 * on the way. Returns 0, COL_ERR_INVAL if a path element is not a map, or
 * COL_ERR_NOMEM.
 */
int ynode_set_path(struct ynode *root, const char *path, const char *text, const char *file,
                   int line);

void ynode_free(struct ynode *n);

/*
 * Typed accessors that report problems through a diag (diag.h) as
 * "file:line: message". Each returns 1 when the key is present and valid,
 * 0 when absent (an error too when @required), -1 on a bad value.
 */
struct diag;
int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
                     struct diag *d);
int ynode_scalar(const struct ynode *map, const char *key, bool required, const char **out,
                 struct diag *d);
int ynode_double(const struct ynode *map, const char *key, bool required, double *out,
                 struct diag *d);
int ynode_duration(const struct ynode *map, const char *key, bool required, long long *out_ms,
                   struct diag *d);
int ynode_bool(const struct ynode *map, const char *key, bool *out, struct diag *d);
/* Report @n's location as the place of an error (file:line). */
void ynode_error(const struct ynode *n, struct diag *d, const char *msg);
#endif
