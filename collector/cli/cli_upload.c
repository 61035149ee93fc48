/*
 * `collector upload`: the nightly upload, run now by hand — catch-up of
 * every due day by default, one day with --day, a plan with --dry-run, or a
 * local copy of what would be sent with --output. Brings the rollups up to
 * date first, so the statistics sent match the raw readings. Safe while the
 * daemon runs: the spool directory's lock lets one of them upload at a time.
 */
#include "cli.h"
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "scheduler.h"
#include "store/store.h"
#include "upload/upload.h"
#include "core/clock.h"
#include "core/calendar.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: collector upload -c CONFIG [--day YYYY-MM-DD] [--dry-run] [--output DIR]\n"
            "                        [--now TIME] [--set section.key=value ...]\n\n"
            "Sends every day that is due to the data pool now (upload.url), oldest first:\n"
            "days not yet delivered, days that failed (without waiting for the backoff),\n"
            "days held by a configuration error, and delivered days changed since (late\n"
            "data, within upload.reupload_window) as a new revision. Stops at the first\n"
            "failure so that days arrive in order.\n\n"
            "  --day DAY    send only this local day (again, as a new revision, if delivered)\n"
            "  --dry-run    print what would be sent; send and change nothing\n"
            "  --output DIR write the files under DIR/{gateway}/{yyyy}/{mm}/{dd}/ instead of\n"
            "               sending them; the ledger is not changed\n"
            "  --now TIME   take TIME (local) as the current time: which days are \"before\n"
            "               today\" (for simulations and tests)\n\n"
            "Exit status: 0 every due day delivered (or nothing due), 1 some day failed\n"
            "(see `collector stats`), 2 bad usage or configuration.\n");
}

int cli_upload(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"day", required_argument, NULL, 'd'},
        {"dry-run", no_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"now", required_argument, NULL, 'N'},
        {0},
    };
    struct cli_common cc = {0};
    struct upload_opts o = {0};
    struct upload_summary sum;
    struct config *cfg = NULL;
    struct store *st = NULL;
    const char *now_arg = NULL;
    char err[512];
    int64_t day_ms;
    int opt, rc = EXIT_USAGE, r;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'd':
            o.day = optarg;
            break;
        case 'n':
            o.is_dry_run = true;
            break;
        case 'o':
            o.output_dir = optarg;
            break;
        case 'N':
            now_arg = optarg;
            break;
        default:
            if (cli_common_opt(&cc, opt, optarg)) {
                usage(stderr);
                return EXIT_USAGE;
            }
        }
    }
    cfg = cli_load_config(&cc, "upload");
    if (!cfg)
        return EXIT_USAGE;
    log_set_level((enum log_level)cfg->log.level);
    o.now_ms = wall_ms();
    if (cli_time_arg("upload", "--now", now_arg, &o.now_ms))
        goto out;
    if (o.day && (strlen(o.day) != 10 || cal_parse_time(o.day, &day_ms))) {
        fprintf(stderr, "collector upload: --day '%s' is not a day (YYYY-MM-DD)\n", o.day);
        goto out;
    }
    if (!cfg->upload.url && !o.is_dry_run && !o.output_dir) {
        fprintf(stderr, "collector upload: upload.url is not set (or use --output DIR)\n");
        goto out;
    }
    o.is_manual = true;
    o.report = stdout;
    rc = EXIT_RUNTIME;
    if (!o.is_dry_run) {
        struct cli_progress pg;
        long n = sched_rollup_all(cfg, cli_progress_start(&pg), &pg);
        cli_progress_end(&pg);
        if (n < 0) {
            fprintf(stderr, "collector upload: bringing the rollups up to date failed\n");
            goto out;
        }
    }
    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector upload: %s\n", err);
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "collector upload: libcurl could not start\n");
        goto out;
    }
    r = upload_run(cfg, st, &o, &sum);
    curl_global_cleanup();
    if (r == COL_ERR_BUSY)
        fprintf(stderr, "collector upload: another upload is running (the daemon?); try later\n");
    else if (r < 0)
        fprintf(stderr, "collector upload: failed (%s)\n", col_strerror(r));
    rc = r == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
    store_close(st);
    config_free(cfg);
    return rc;
}
