/*
 * Loading device profiles and the registry (see devices_load.h).
 */
#include "devices_load.h"
#include "col_err.h"
#include "config.h"
#include "diag.h"
#include "profile.h"
#include "registry.h"

#include <stddef.h>

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
