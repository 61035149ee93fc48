/*
 * The site and device registry: where each sensor stands. Sites carry what
 * the standards need to judge their data (noise functional zone, river or
 * lake for water), devices name their site and profile. Loaded from one
 * YAML file; devices that register themselves at run time live in the
 * database, not here.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

struct diag;
struct profile_set;
struct profile;

struct site {
    char *id;     /* topic-safe id, e.g. "xujiahui" */
    char *name;   /* display name, e.g. "徐家汇街道" */
    char *street; /* street or town it belongs to */
    double lat, lon;
    bool has_coords;
    char *kind;       /* air, water, noise, waste, sewage, mixed */
    char *noise_zone; /* GB 3096 class: 0, 1, 2, 3, 4a, 4b; NULL when unset */
    char *water_body; /* river or lake; NULL when unset */
    int line;
};

struct reg_device {
    char *id;
    char *site_id;
    const struct site *site;
    const struct profile *profile;
    /* HJ 212 password (PW) the device must send over TCP: the path of a secret
     * file (relative paths resolved against the registry's directory; read by
     * the listener, not here), or the password written inline (weaker: the
     * registry is rarely kept secret). At most one is set; NULL when unset. */
    char *hj212_password_file;
    char *hj212_password;
    int hj212_password_line; /* line of the key that set it */
    int line;
};

struct registry {
    char *file;
    size_t n_sites, n_devices;
    struct site *sites;
    struct reg_device *devices;
    struct strmap *by_id; /* device id → struct reg_device* */
};

/*
 * Load @path, resolving profiles in @profiles. Errors go to @d as
 * file:line; returns NULL if the file is unreadable or has any error.
 * Reads no file but @path (a device's hj212_password_file is only named).
 * A NULL @path gives an empty registry.
 */
struct registry *registry_load(const char *path, const struct profile_set *profiles,
                               struct diag *d);
void registry_free(struct registry *r);

const struct reg_device *registry_device(const struct registry *r, const char *id);
const struct site *registry_site(const struct registry *r, const char *id);

#endif
