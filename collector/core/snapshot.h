/*
 * What the configuration names for devices and alerts, loaded: the profile
 * directory (devices.profiles), the registry (devices.registry), checked
 * against each other, and the rules (rules.paths).
 *
 * The daemon loads them once into a snapshot that never changes. Every
 * thread holds it (a reference count) and reads it without locks; on
 * SIGHUP one place loads a new snapshot and hands it to the threads, each
 * of which swaps it in between two transactions and releases the old one,
 * freed with its last holder. A load with any error yields no snapshot,
 * so every thread keeps the one it has. One-shot commands that need only
 * the devices call devices_load(). Both report through @d as file:line.
 */
#ifndef CORE_SNAPSHOT_H
#define CORE_SNAPSHOT_H

#include <stdint.h>

struct config;
struct diag;
struct profile_set;
struct registry;
struct ruleset;
struct snapshot;

/*
 * Load profiles and registry for @cfg. On success returns 0 and the caller
 * owns *@profiles and *@reg; on any error returns COL_ERR_CONFIG, reports
 * through @d and sets both to NULL.
 */
int devices_load(const struct config *cfg, struct diag *d, struct profile_set **profiles,
                 struct registry **reg);

/*
 * Load profiles, registry and rules for @cfg into a new snapshot (held
 * once, by the caller). On any error returns COL_ERR_CONFIG (or
 * COL_ERR_NOMEM), reports through @d and sets *@out to NULL.
 */
int snapshot_load(const struct config *cfg, struct diag *d, const struct snapshot **out);

/*
 * A snapshot of what the caller loaded itself (tests, tools): takes
 * ownership of all three, also on failure; @rules may be NULL for none.
 * NULL when out of memory or @profiles or @reg is NULL.
 */
const struct snapshot *snapshot_of(struct profile_set *profiles, struct registry *reg,
                                   struct ruleset *rules);

/* One more holder of @s (returned; NULL stays NULL). Thread-safe. */
const struct snapshot *snapshot_hold(const struct snapshot *s);
/* Drop a hold; the last one frees. Accepts NULL. Thread-safe. */
void snapshot_release(const struct snapshot *s);

const struct profile_set *snapshot_profiles(const struct snapshot *s);
const struct registry *snapshot_registry(const struct snapshot *s);
/* Never NULL: a configuration without rules has an empty ruleset. */
const struct ruleset *snapshot_rules(const struct snapshot *s);
/* 1 for the first snapshot loaded by the process, then one more per load. */
uint64_t snapshot_generation(const struct snapshot *s);

#endif
