/*
 * Open-addressing hash map with FNV-1a hashing and linear probing. No
 * deletion: the maps here only grow (devices and metrics are never
 * forgotten while the daemon runs), which keeps probing simple.
 */
#include "strmap.h"
#include "col_err.h"
#include "xalloc.h"

#include <stdint.h>
#include <string.h>

struct slot {
    char *key;
    void *val;
    uint32_t hash;
};

struct strmap {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t n;
};

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
}

struct strmap *strmap_new(void)
{
    struct strmap *m = xcalloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    if (!m->slots) {
        xfree(m);
        return NULL;
    }
    return m;
}

void strmap_free(struct strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        xfree(m->slots[i].key);
    xfree(m->slots);
    xfree(m);
}

static struct slot *find_slot(struct slot *slots, size_t cap, const char *key, uint32_t h)
{
    size_t i = h & (cap - 1);

    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(struct strmap *m)
{
    size_t ncap = m->cap * 2;
    struct slot *ns = xcalloc(ncap, sizeof(*ns));

    if (!ns)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key)
            *find_slot(ns, ncap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    }
    xfree(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
    uint32_t h = fnv1a(key);
    struct slot *s = find_slot(m->slots, m->cap, key, h);

    /* Replacing never allocates, so it cannot fail (ingest relies on it to
     * forget entries after a rollback). */
    if (s->key) {
        s->val = val;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap) {
        if (grow(m))
            return COL_ERR_NOMEM;
        s = find_slot(m->slots, m->cap, key, h);
    }
    if (!s->key) {
        s->key = xstrdup(key);
        if (!s->key)
            return COL_ERR_NOMEM;
        s->hash = h;
        m->n++;
    }
    s->val = val;
    return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    const struct slot *s = find_slot(m->slots, m->cap, key, fnv1a(key));

    return s->key ? s->val : NULL;
}

size_t strmap_count(const struct strmap *m)
{
    return m->n;
}

void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *val, void *ud), void *ud)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            fn(m->slots[i].key, m->slots[i].val, ud);
}
