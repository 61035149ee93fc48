/*
 * Loading what the configuration names for devices: the profile directory
 * (devices.profiles) and the registry (devices.registry), checked against
 * each other. Every thread that ingests and every reload goes through this
 * one function, so they all see the same errors (reported through @d as
 * file:line) and the same rules for what is valid.
 */
#ifndef CORE_DEVICES_LOAD_H
#define CORE_DEVICES_LOAD_H

struct config;
struct diag;
struct profile_set;
struct registry;

/*
 * Load profiles and registry for @cfg. On success returns 0 and the caller
 * owns *@profiles and *@reg; on any error returns COL_ERR_CONFIG, reports
 * through @d and sets both to NULL.
 */
int devices_load(const struct config *cfg, struct diag *d, struct profile_set **profiles,
                 struct registry **reg);

#endif
