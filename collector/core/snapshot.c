/*
 * Loading device profiles, the registry and the rules (see snapshot.h).
 */
#include "snapshot.h"
#include "col_err.h"
#include "config.h"
#include "diag.h"
#include "profile.h"
#include "registry.h"
#include "rule.h"
#include "xalloc.h"

#include <stdatomic.h>
#include <stddef.h>

struct snapshot {
    atomic_int refs;
    uint64_t generation;
    struct profile_set *profiles;
    struct registry *reg;
    struct ruleset *rules;
};

static atomic_uint_fast64_t generations;

int devices_load(const struct config *cfg, struct diag *d, struct profile_set **profiles,
                 struct registry **reg)
{
    int before = d->n_errors;

    *profiles = profile_set_load_dir(cfg->devices.profiles, d);
    *reg = NULL;
    if (!*profiles)
        return COL_ERR_CONFIG;
    *reg = registry_load(cfg->devices.registry, *profiles, d);
    if (!*reg || d->n_errors != before) {
        registry_free(*reg);
        profile_set_free(*profiles);
        *reg = NULL;
        *profiles = NULL;
        return COL_ERR_CONFIG;
    }
    return 0;
}

const struct snapshot *snapshot_of(struct profile_set *profiles, struct registry *reg,
                                   struct ruleset *rules)
{
    struct snapshot *s = profiles && reg ? xcalloc(1, sizeof(*s)) : NULL;

    if (s && !rules)
        rules = xcalloc(1, sizeof(*rules));
    if (!s || !rules) {
        xfree(s);
        ruleset_free(rules);
        registry_free(reg);
        profile_set_free(profiles);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->generation = atomic_fetch_add(&generations, 1) + 1;
    s->profiles = profiles;
    s->reg = reg;
    s->rules = rules;
    return s;
}

int snapshot_load(const struct config *cfg, struct diag *d, const struct snapshot **out)
{
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;
    struct ruleset *rules = NULL;
    int before = d->n_errors;

    *out = NULL;
    if (cfg->rules.paths.n > 0) {
        rules = ruleset_load((const char *const *)cfg->rules.paths.v, cfg->rules.paths.n, d);
        if (!rules)
            return d->n_errors != before ? COL_ERR_CONFIG : COL_ERR_NOMEM;
    }
    if (devices_load(cfg, d, &ps, &reg)) {
        ruleset_free(rules);
        return COL_ERR_CONFIG;
    }
    *out = snapshot_of(ps, reg, rules);
    return *out ? 0 : COL_ERR_NOMEM;
}

const struct snapshot *snapshot_hold(const struct snapshot *s)
{
    struct snapshot *own = (struct snapshot *)s; /* allocated writable here */

    if (own)
        atomic_fetch_add(&own->refs, 1);
    return s;
}

void snapshot_release(const struct snapshot *s)
{
    struct snapshot *own = (struct snapshot *)s;

    if (!own || atomic_fetch_sub(&own->refs, 1) != 1)
        return;
    ruleset_free(own->rules);
    registry_free(own->reg);
    profile_set_free(own->profiles);
    xfree(own);
}

const struct profile_set *snapshot_profiles(const struct snapshot *s)
{
    return s->profiles;
}

const struct registry *snapshot_registry(const struct snapshot *s)
{
    return s->reg;
}

const struct ruleset *snapshot_rules(const struct snapshot *s)
{
    return s->rules;
}

uint64_t snapshot_generation(const struct snapshot *s)
{
    return s->generation;
}
