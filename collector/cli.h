/*
 * Shared plumbing of the subcommands: the common options (-c, --set,
 * --help), loading the configuration with file:line errors, loading device
 * profiles and the registry, and local-time helpers for the gateway's
 * configured time zone. Each subcommand lives in its own cli_<name>.c.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct diag;
struct profile_set;
struct registry;

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define CLI_MAX_SETS 64

struct cli_common {
    const char *config_path;
    const char *sets[CLI_MAX_SETS];
    size_t n_sets;
};

/*
 * Handle a common option for getopt_long (opt is 'c' or CLI_OPT_SET).
 * Returns 0 when handled, EXIT_USAGE on error (printed).
 */
#define CLI_OPT_SET 1000
int cli_common_opt(struct cli_common *cc, int opt, const char *arg);

/* Load the configuration; prints every error as file:line. NULL on error. */
struct config *cli_load_config(const struct cli_common *cc, const char *prog);

/*
 * Load profiles and registry for @cfg; errors go to @d. Returns 0 when
 * both loaded without error.
 */
int cli_load_devices(const struct config *cfg, struct diag *d, struct profile_set **profiles,
                     struct registry **reg);

/* Make @tz the process's local time zone; COL_ERR_INVAL if unknown. */
int cli_set_timezone(const char *tz);

/*
 * Parse a local date or time ("2024-11-26", "2024-11-26T08:00",
 * "2024-11-26 08:00:00"), an ISO 8601 time with offset, or epoch seconds,
 * into UTC ms. 0 or COL_ERR_INVAL.
 */
int cli_parse_time(const char *s, int64_t *out_ms);

/* Format @ms as local ISO 8601 with offset, e.g. 2024-11-26T08:00:00+08:00. */
void cli_format_time(int64_t ms, char *out, size_t sz);

int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_rollup(int argc, char **argv);
int cli_upload(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_alerts(int argc, char **argv);

#endif
