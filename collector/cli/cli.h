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
/* The options every subcommand takes, first in its getopt_long table (<getopt.h>). */
#define CLI_COMMON_OPTIONS                                                                         \
    {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, CLI_OPT_SET},       \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }
int cli_common_opt(struct cli_common *cc, int opt, const char *arg);

/*
 * Progress of long work (rollups) on a terminal: device-hours done and
 * pending, rate, time left, on one line rewritten in place on stderr.
 * Quiet when stderr is not a terminal. cli_progress_start() returns the
 * callback to pass on (NULL when quiet); cli_progress_end() ends the line.
 */
struct cli_progress {
    int64_t t0_ms;
    bool shown;
};
void (*cli_progress_start(struct cli_progress *p))(void *ud, long done, int64_t pending);
void cli_progress_end(struct cli_progress *p);

/*
 * Read the time argument @arg of option @opt ("--from") into *@ms, as
 * cal_parse_time() does; prints what is wrong and returns EXIT_USAGE.
 */
int cli_time_arg(const char *prog, const char *opt, const char *arg, int64_t *ms);

/* Load the configuration; prints every error as file:line. NULL on error. */
struct config *cli_load_config(const struct cli_common *cc, const char *prog);

int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_rollup(int argc, char **argv);
int cli_upload(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_alerts(int argc, char **argv);
int cli_decode(int argc, char **argv);
int cli_rejects(int argc, char **argv);

#endif
