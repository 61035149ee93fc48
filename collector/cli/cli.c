/*
 * Common subcommand plumbing (see cli.h). The time zone is applied by
 * setting TZ for the process once at start: the collector is the only user
 * of local time in its process, and localtime_r/mktime then follow the
 * zone's real rules (including the zoneinfo history) without a library.
 */
#include "cli.h"
#include "col_err.h"
#include "core/config.h"
#include "diag.h"
#include "profile.h"
#include "registry.h"
#include "textparse.h"
#include "core/calendar.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_common_opt(struct cli_common *cc, int opt, const char *arg)
{
    if (opt == 'c') {
        cc->config_path = arg;
        return 0;
    }
    if (opt == CLI_OPT_SET) {
        if (cc->n_sets >= CLI_MAX_SETS) {
            fprintf(stderr, "collector: too many --set options (at most %d)\n", CLI_MAX_SETS);
            return EXIT_USAGE;
        }
        cc->sets[cc->n_sets++] = arg;
        return 0;
    }
    return EXIT_USAGE;
}

int cli_time_arg(const char *prog, const char *opt, const char *arg, int64_t *ms)
{
    if (!arg || cal_parse_time(arg, ms) == 0)
        return 0;
    fprintf(stderr,
            "collector %s: %s '%s' is not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] local, "
            "ISO 8601 with Z or an offset, or epoch seconds)\n",
            prog, opt, arg);
    return EXIT_USAGE;
}

struct config *cli_load_config(const struct cli_common *cc, const char *prog)
{
    struct diag d = {0};
    struct config *cfg;

    if (!cc->config_path) {
        fprintf(stderr, "collector %s: -c CONFIG is required (see --help)\n", prog);
        return NULL;
    }
    cfg = config_load(cc->config_path, cc->sets, cc->n_sets, &d);
    if (!cfg)
        return NULL;
    if (cal_set_timezone(cfg->gateway.timezone)) {
        fprintf(stderr, "%s: unknown gateway.timezone '%s'\n", cc->config_path,
                cfg->gateway.timezone);
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void show_progress(void *ud, long done, int64_t pending)
{
    struct cli_progress *p = ud;
    double secs = (double)(mono_ms() - p->t0_ms) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;

    if (pending < 0)
        return;
    fprintf(stderr, "\rrollup: %ld device-hours done, %lld pending, %.0f/s", done,
            (long long)pending, rate);
    if (rate > 0)
        fprintf(stderr, ", about %.0f s left   ", (double)pending / rate);
    p->shown = true;
}

void (*cli_progress_start(struct cli_progress *p))(void *ud, long done, int64_t pending)
{
    p->t0_ms = mono_ms();
    p->shown = false;
    return isatty(STDERR_FILENO) ? show_progress : NULL;
}

void cli_progress_end(struct cli_progress *p)
{
    if (p->shown)
        fputc('\n', stderr);
    p->shown = false;
}
