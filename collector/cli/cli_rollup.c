/*
 * `collector rollup`: bring every rollup (hourly and daily statistics, AQI,
 * water class, noise, waste) up to date now, on this process's own
 * connection — after an import, or to check a database offline. Safe while
 * the daemon runs: both take the write lock one batch at a time.
 */
#include "cli.h"
#include "core/config.h"
#include "scheduler.h"

#include <getopt.h>
#include <stdio.h>

int cli_rollup(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {0},
    };
    struct cli_common cc = {0};
    struct config *cfg;
    long n;
    int opt;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: collector rollup -c CONFIG\n\n"
                   "Recomputes every pending hour and day now and prints how many\n"
                   "device-hours it processed. On a terminal it shows its progress\n"
                   "(device-hours done and pending, rate, time left) as it goes.\n");
            return EXIT_OK;
        }
        if (cli_common_opt(&cc, opt, optarg))
            return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "rollup");
    if (!cfg)
        return EXIT_USAGE;
    struct cli_progress pg;
    n = sched_rollup_all(cfg, cli_progress_start(&pg), &pg);
    cli_progress_end(&pg);
    config_free(cfg);
    if (n < 0) {
        fprintf(stderr, "collector rollup: failed\n");
        return EXIT_RUNTIME;
    }
    printf("rollup: %ld device-hours recomputed\n", n);
    return EXIT_OK;
}
