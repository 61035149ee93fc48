/*
 * `collector report`: the plan-target compliance report of one calendar
 * year, as terminal text, the JSON contract (docs/report.md) or one
 * self-contained HTML page. Reads only the rollup tables, so run `collector
 * rollup` first after an import. --output writes FILE.tmp and renames it, so
 * a page served from FILE is never seen half written.
 */
#include "cli.h"
#include "col_err.h"
#include "core/config.h"
#include "report/report.h"
#include "store/store.h"
#include "textparse.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: collector report -c CONFIG --year YYYY [--site S] [--format text|json|html]\n"
            "                        [--output FILE]\n\n"
            "Judges a calendar year (local days) against the district plan's targets, per\n"
            "site and for the whole gateway: PM2.5 annual mean, good-day ratio, every\n"
            "conventional pollutant against its GB 3095 Grade II limit, no water worse\n"
            "than Class V, noise day/night compliance, sewage treatment rate and waste\n"
            "sorting figures; with data completeness and the standard editions applied.\n"
            "A year that straddles a standards switch is judged per period.\n"
            "Default: text to stdout. Exit 0 ok, 1 runtime error, 2 bad usage.\n");
}

static int write_out(const struct report *r, enum report_format fmt, const char *path)
{
    char tmp[4096];
    FILE *f = NULL;
    int rc = EXIT_RUNTIME, n;

    if (!path) {
        if (report_write(r, fmt, stdout) || fflush(stdout)) {
            fprintf(stderr, "collector report: writing the report failed\n");
            return EXIT_RUNTIME;
        }
        return EXIT_OK;
    }
    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        fprintf(stderr, "collector report: --output path too long\n");
        return EXIT_USAGE;
    }
    f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "collector report: cannot write %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    if (report_write(r, fmt, f)) {
        fprintf(stderr, "collector report: writing %s failed\n", tmp);
        goto out;
    }
    if (fclose(f)) {
        f = NULL;
        fprintf(stderr, "collector report: writing %s failed: %s\n", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path)) {
        fprintf(stderr, "collector report: cannot rename %s to %s: %s\n", tmp, path,
                strerror(errno));
        goto out;
    }
    rc = EXIT_OK;
out:
    if (f)
        fclose(f);
    if (rc != EXIT_OK)
        remove(tmp);
    return rc;
}

int cli_report(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"year", required_argument, NULL, 'y'},
        {"site", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {0},
    };
    struct cli_common cc = {0};
    enum report_format fmt = REPORT_TEXT;
    const char *site = NULL, *output = NULL;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct report *rep = NULL;
    int64_t year = 0;
    bool has_year = false;
    char err[512];
    int opt, rc = EXIT_USAGE, brc;

    while ((opt = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'y':
            if (parse_int64(optarg, &year) || year < REPORT_YEAR_MIN || year > REPORT_YEAR_MAX) {
                fprintf(stderr, "collector report: --year must be a year %d..%d, not '%s'\n",
                        REPORT_YEAR_MIN, REPORT_YEAR_MAX, optarg);
                return EXIT_USAGE;
            }
            has_year = true;
            break;
        case 'S':
            site = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0)
                fmt = REPORT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = REPORT_JSON;
            else if (strcmp(optarg, "html") == 0)
                fmt = REPORT_HTML;
            else {
                fprintf(stderr, "collector report: --format is text, json or html\n");
                return EXIT_USAGE;
            }
            break;
        default:
            if (cli_common_opt(&cc, opt, optarg)) {
                usage(stderr);
                return EXIT_USAGE;
            }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "collector report: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!has_year) {
        fprintf(stderr, "collector report: --year is required (see --help)\n");
        return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "report");
    if (!cfg)
        goto out;
    rc = EXIT_RUNTIME;
    st = store_open_readonly(&cfg->storage, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector report: %s\n", err);
        goto out;
    }
    brc = report_build(st, cfg, (int)year, site, &rep);
    if (brc == COL_ERR_NOTFOUND) {
        fprintf(stderr, "collector report: unknown site '%s'\n", site);
        goto out;
    }
    if (brc) {
        fprintf(stderr, "collector report: building the report failed (%s)\n", col_strerror(brc));
        goto out;
    }
    if (report_n_sites(rep) == 0)
        fprintf(stderr,
                "collector report: no data in %lld%s%s (run `collector rollup` after an "
                "import)\n",
                (long long)year, site ? " for site " : "", site ? site : "");
    rc = write_out(rep, fmt, output);
out:
    report_free(rep);
    store_close(st);
    config_free(cfg);
    return rc;
}
