/*
 * collector: the Xuhui edge collector's one binary. Dispatches to the
 * subcommands; each parses its own options and returns an exit code
 * (0 ok, 1 runtime failure, 2 bad usage or invalid configuration).
 */
#include "cli.h"

#include <mosquitto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", cli_run, "run the daemon in the foreground"},
    {"check", cli_check, "validate configuration, device profiles and registry"},
    {"stats", cli_stats, "show ingest counters from the database"},
    {"query", cli_query, "list stored readings"},
    {"alerts", cli_alerts, "list active and recent alerts; acknowledge one"},
    {"decode", cli_decode, "show how a payload would be ingested; writes nothing"},
    {"report", cli_report, "compliance with the plan's targets for a year"},
    {"rollup", cli_rollup, "bring hourly/daily statistics and AQI up to date now"},
    {"upload", cli_upload, "send due days to the district data pool now (catch-up)"},
    {"config", cli_config, "print the configuration reference (every key and default)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: collector COMMAND -c CONFIG [--set section.key=value ...] [options]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n`collector COMMAND --help` describes each command.\n");
}

/*
 * The database, its WAL and the upload spool hold every reading of the
 * area: files are created 0640 and directories 0750 at most, whatever the
 * umask we were started with (systemd's default is 022), while a stricter
 * umask is kept. SQLite gives the -wal and -shm files the database's mode.
 */
static void restrict_umask(void)
{
    mode_t old = umask(027);

    umask(old | 027);
}

int main(int argc, char **argv)
{
    int rc;

    restrict_umask();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            mosquitto_lib_init();
            rc = commands[i].fn(argc - 1, argv + 1);
            mosquitto_lib_cleanup();
            return rc;
        }
    }
    fprintf(stderr, "collector: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
