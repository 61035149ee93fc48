/*
 * Registry loading and lookup. The file has two lists, `sites` and
 * `devices`; every cross reference (a device's site and profile) is checked
 * at load time so a typo is a file:line error at `collector check`, not a
 * silently mis-filed reading months later.
 */
#include "registry.h"
#include "col_err.h"
#include "diag.h"
#include "hj212.h"
#include "profile.h"
#include "strmap.h"
#include "xalloc.h"
#include "ydoc.h"

#include <stdio.h>
#include <string.h>

void registry_free(struct registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_sites; i++) {
        struct site *s = &r->sites[i];
        xfree(s->id);
        xfree(s->name);
        xfree(s->street);
        xfree(s->kind);
        xfree(s->noise_zone);
        xfree(s->water_body);
    }
    for (size_t i = 0; i < r->n_devices; i++) {
        struct reg_device *dv = &r->devices[i];

        xfree(dv->id);
        xfree(dv->site_id);
        xfree(dv->hj212_password_file);
        if (dv->hj212_password)
            memset(dv->hj212_password, 0, strlen(dv->hj212_password));
        xfree(dv->hj212_password);
    }
    xfree(r->sites);
    xfree(r->devices);
    strmap_free(r->by_id);
    xfree(r->file);
    xfree(r);
}

const struct site *registry_site(const struct registry *r, const char *id)
{
    for (size_t i = 0; i < r->n_sites; i++)
        if (r->sites[i].id && strcmp(r->sites[i].id, id) == 0)
            return &r->sites[i];
    return NULL;
}

const struct reg_device *registry_device(const struct registry *r, const char *id)
{
    return strmap_get(r->by_id, id);
}

static bool one_of(const char *v, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(v, set[i]) == 0)
            return true;
    return false;
}

static char *dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int load_site(struct registry *r, struct site *s, const struct ynode *m, struct diag *d)
{
    static const char *const keys[] = {"id",   "name",       "street",     "lat", "lon",
                                       "kind", "noise_zone", "water_body", NULL};
    static const char *const kinds[] = {"air", "water", "noise", "waste", "sewage", "mixed", NULL};
    static const char *const zones[] = {"0", "1", "2", "3", "4a", "4b", NULL};
    static const char *const bodies[] = {"river", "lake", NULL};
    const char *id = NULL, *name = NULL, *street = "", *kind = "mixed", *zone = NULL, *body = NULL;
    int bad = 0, has_lat, has_lon;

    s->line = m->line;
    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "a site must be a mapping with at least 'id'");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a site", d);
    bad |= ynode_scalar(m, "id", true, &id, d) < 0;
    bad |= ynode_scalar(m, "name", false, &name, d) < 0;
    bad |= ynode_scalar(m, "street", false, &street, d) < 0;
    bad |= ynode_scalar(m, "kind", false, &kind, d) < 0;
    bad |= ynode_scalar(m, "noise_zone", false, &zone, d) < 0;
    bad |= ynode_scalar(m, "water_body", false, &body, d) < 0;
    has_lat = ynode_double(m, "lat", false, &s->lat, d);
    has_lon = ynode_double(m, "lon", false, &s->lon, d);
    if (bad || has_lat < 0 || has_lon < 0)
        return COL_ERR_CONFIG;
    s->has_coords = has_lat > 0 && has_lon > 0;
    if (!one_of(kind, kinds)) {
        ynode_error(ynode_get(m, "kind"), d,
                    "kind must be air, water, noise, waste, sewage or mixed");
        bad = -1;
    }
    if (zone && !one_of(zone, zones)) {
        ynode_error(ynode_get(m, "noise_zone"), d,
                    "noise_zone must be a GB 3096 class: 0, 1, 2, 3, 4a or 4b");
        bad = -1;
    }
    if (body && !one_of(body, bodies)) {
        ynode_error(ynode_get(m, "water_body"), d, "water_body must be river or lake");
        bad = -1;
    }
    if (s->has_coords && (s->lat < -90 || s->lat > 90 || s->lon < -180 || s->lon > 180)) {
        ynode_error(m, d, "lat/lon out of range");
        bad = -1;
    }
    if (id && registry_site(r, id)) {
        diag_error(d, m->file, m->line, "site '%s' is defined twice (first at line %d)", id,
                   registry_site(r, id)->line);
        bad = -1;
    }
    s->id = xstrdup(id);
    s->name = xstrdup(name ? name : id);
    s->street = xstrdup(street);
    s->kind = xstrdup(kind);
    s->noise_zone = dup_opt(zone);
    s->water_body = dup_opt(body);
    if (!s->id || !s->name || !s->street || !s->kind)
        return COL_ERR_NOMEM;
    return bad ? COL_ERR_CONFIG : 0;
}

/* @path made absolute against the directory of @file (a new string; NULL on no memory). */
static char *path_beside(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    size_t dir = slash ? (size_t)(slash - file) : 1;
    size_t n = dir + 1 + strlen(path) + 1;
    char *out;

    if (path[0] == '/')
        return xstrdup(path);
    out = xmalloc(n);
    if (out)
        (void)snprintf(out, n, "%.*s/%s", (int)dir, slash ? file : ".", path);
    return out;
}

/* The password keys of device @m (hj212_password_file or hj212_password). */
static int load_password(struct reg_device *dv, const struct ynode *m, struct diag *d)
{
    const char *file = NULL, *inline_pw = NULL;
    const struct ynode *k;
    int bad = 0;

    bad |= ynode_scalar(m, "hj212_password_file", false, &file, d) < 0;
    bad |= ynode_scalar(m, "hj212_password", false, &inline_pw, d) < 0;
    if (bad)
        return COL_ERR_CONFIG;
    if (file && inline_pw) {
        ynode_error(ynode_get(m, "hj212_password"), d,
                    "a device has hj212_password_file or hj212_password, not both");
        return COL_ERR_CONFIG;
    }
    if (inline_pw && !hj212_password_ok(inline_pw, strlen(inline_pw))) {
        ynode_error(ynode_get(m, "hj212_password"), d, HJ212_PASSWORD_RULE);
        return COL_ERR_CONFIG;
    }
    if (file && !*file) {
        ynode_error(ynode_get(m, "hj212_password_file"), d, "hj212_password_file is empty");
        return COL_ERR_CONFIG;
    }
    k = ynode_get(m, file ? "hj212_password_file" : "hj212_password");
    if (k)
        dv->hj212_password_line = k->line;
    if (file) {
        dv->hj212_password_file = path_beside(m->file, file);
        if (!dv->hj212_password_file)
            return COL_ERR_NOMEM;
    }
    if (inline_pw) {
        dv->hj212_password = xstrdup(inline_pw);
        if (!dv->hj212_password)
            return COL_ERR_NOMEM;
    }
    return 0;
}

static int load_device(struct registry *r, struct reg_device *dv, const struct ynode *m,
                       const struct profile_set *profiles, struct diag *d)
{
    static const char *const keys[] = {
        "id", "site", "profile", "hj212_password_file", "hj212_password", NULL};
    const char *id = NULL, *site = NULL, *prof = NULL;
    int bad = 0, rc;

    dv->line = m->line;
    if (m->kind != YNODE_MAP) {
        ynode_error(m, d, "a device must be a mapping with 'id', 'site' and 'profile'");
        return COL_ERR_CONFIG;
    }
    bad |= ynode_check_keys(m, keys, "a device", d);
    bad |= ynode_scalar(m, "id", true, &id, d) < 0;
    bad |= ynode_scalar(m, "site", true, &site, d) < 0;
    bad |= ynode_scalar(m, "profile", true, &prof, d) < 0;
    if (bad)
        return COL_ERR_CONFIG;
    dv->site = registry_site(r, site);
    if (!dv->site) {
        ynode_error(ynode_get(m, "site"), d, "device names a site that the registry lacks");
        bad = -1;
    }
    dv->profile = profiles ? profile_set_find(profiles, prof) : NULL;
    if (!dv->profile) {
        diag_error(d, m->file, ynode_get(m, "profile")->line, "unknown profile '%s'", prof);
        bad = -1;
    }
    if (strmap_get(r->by_id, id)) {
        diag_error(d, m->file, m->line, "device '%s' is defined twice", id);
        bad = -1;
    }
    rc = load_password(dv, m, d);
    if (rc == COL_ERR_NOMEM)
        return rc;
    if (rc)
        bad = -1;
    dv->id = xstrdup(id);
    dv->site_id = xstrdup(site);
    if (!dv->id || !dv->site_id || strmap_put(r->by_id, id, dv))
        return COL_ERR_NOMEM;
    return bad ? COL_ERR_CONFIG : 0;
}

static int load_list(struct registry *r, const struct ynode *root, const char *key,
                     const struct profile_set *profiles, struct diag *d)
{
    const struct ynode *list = ynode_get(root, key);
    bool is_sites = strcmp(key, "sites") == 0;
    int bad = 0;

    if (!list || ynode_is_null(list))
        return 0;
    if (list->kind != YNODE_SEQ) {
        diag_error(d, list->file, list->line, "'%s' must be a list", key);
        return COL_ERR_CONFIG;
    }
    if (is_sites)
        r->sites = xcalloc(list->n, sizeof(*r->sites));
    else
        r->devices = xcalloc(list->n, sizeof(*r->devices));
    if (is_sites ? !r->sites : !r->devices)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < list->n; i++) {
        int rc;
        /* Count the entry only after it is loaded: lookups during loading
         * must not see a half-filled entry; a failed one is still freed. */
        if (is_sites) {
            rc = load_site(r, &r->sites[r->n_sites], list->items[i], d);
            r->n_sites++;
        } else {
            rc = load_device(r, &r->devices[r->n_devices], list->items[i], profiles, d);
            r->n_devices++;
        }
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

struct registry *registry_load(const char *path, const struct profile_set *profiles, struct diag *d)
{
    static const char *const keys[] = {"sites", "devices", NULL};
    struct registry *r = xcalloc(1, sizeof(*r));
    struct ydoc *doc = NULL;
    char err[512];
    int errors_before = d->n_errors;

    if (!r)
        return NULL;
    r->by_id = strmap_new();
    r->file = xstrdup(path ? path : "(none)");
    if (!r->by_id || !r->file)
        goto fail;
    if (!path)
        return r;
    doc = ydoc_load(path, err, sizeof(err));
    if (!doc) {
        diag_message(d, err);
        goto fail;
    }
    if (doc->root && doc->root->kind != YNODE_MAP) {
        diag_error(d, path, 1, "the registry must be a mapping with 'sites' and 'devices'");
        goto fail;
    }
    if (doc->root) {
        ynode_check_keys(doc->root, keys, "the registry", d);
        if (load_list(r, doc->root, "sites", profiles, d) == COL_ERR_NOMEM ||
            load_list(r, doc->root, "devices", profiles, d) == COL_ERR_NOMEM)
            goto fail;
    }
    if (d->n_errors != errors_before)
        goto fail;
    ydoc_free(doc);
    return r;
fail:
    ydoc_free(doc);
    registry_free(r);
    return NULL;
}
