/*
 * `collector alerts`: the active alerts (pending and firing) and those
 * resolved recently, read from the database while the daemon runs; and
 * `collector alerts ack ID --by NAME [--comment TEXT]`, which silences an
 * alert's reminders and records who took it and why.
 */
#include "cli.h"
#include "core/config.h"
#include "col_err.h"
#include "store/db.h"
#include "store/store.h"
#include "core/calendar.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: collector alerts -c CONFIG [--days N] [--json]\n"
                 "       collector alerts -c CONFIG ack ID --by NAME [--comment TEXT]\n\n"
                 "Lists pending and firing alerts and those resolved in the last N days\n"
                 "(default 7). `ack` acknowledges a firing alert: no more reminders.\n");
}

static const char *col(struct db_stmt *s, int i)
{
    const char *v = db_col_text(s, i);

    return v ? v : "";
}

static void print_row(struct db_stmt *s, bool json, long n)
{
    char started[64] = "-", ended[64] = "-";

    if (!db_col_is_null(s, 9))
        cal_format_time(db_col_i64(s, 9), started, sizeof(started));
    if (!db_col_is_null(s, 10))
        cal_format_time(db_col_i64(s, 10), ended, sizeof(ended));
    if (json) {
        cJSON *o = cJSON_CreateObject();
        char *text;
        cJSON_AddNumberToObject(o, "id", (double)db_col_i64(s, 0));
        cJSON_AddStringToObject(o, "state", col(s, 1));
        cJSON_AddStringToObject(o, "severity", col(s, 2));
        cJSON_AddStringToObject(o, "rule", col(s, 3));
        cJSON_AddStringToObject(o, "site", col(s, 4));
        cJSON_AddStringToObject(o, "device", col(s, 5));
        cJSON_AddNumberToObject(o, "value", db_col_f64(s, 6));
        cJSON_AddNumberToObject(o, "threshold", db_col_f64(s, 7));
        cJSON_AddStringToObject(o, "started_at", started);
        cJSON_AddStringToObject(o, "ended_at", ended);
        cJSON_AddStringToObject(o, "acked_by", col(s, 11));
        cJSON_AddStringToObject(o, "message_en", col(s, 12));
        cJSON_AddStringToObject(o, "message_zh", col(s, 13));
        text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (text)
            printf("%s\n", text);
        cJSON_free(text);
        return;
    }
    if (n == 0)
        printf("%-6s %-9s %-9s %-28s %-14s %-25s %s\n", "id", "state", "severity", "rule", "site",
               "started", "message");
    printf("%-6lld %-9s %-9s %-28s %-14s %-25s %s", (long long)db_col_i64(s, 0), col(s, 1),
           col(s, 2), col(s, 3), col(s, 4), started, col(s, 12));
    if (*col(s, 11))
        printf("  [acked by %s]", col(s, 11));
    putchar('\n');
}

static int list(struct store *st, int days, bool json)
{
    struct db_stmt *s = db_prepare(
        st, "SELECT id, state, severity, rule, coalesce(site, ''), coalesce(device, ''), value,"
            " threshold, coalesce(unit, ''), started_at, ended_at, coalesce(acked_by, ''),"
            " coalesce(message_en, ''), coalesce(message_zh, '') FROM alerts"
            " WHERE state IN ('pending', 'firing') OR ended_at >= ?1"
            " ORDER BY state = 'resolved', started_at DESC");
    long n = 0;
    int rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, ((int64_t)time(NULL) - (int64_t)days * 86400) * 1000);
    while ((rc = db_step(s)) == DB_ROW)
        print_row(s, json, n++);
    db_reset(s);
    if (rc < 0)
        return rc;
    if (!json && n == 0)
        printf("no active or recent alerts\n");
    return 0;
}

/* 0 acknowledged, 1 no such pending or firing alert, or a COL_ERR_*. */
static int ack(struct store *st, long long id, const char *by, const char *comment)
{
    struct db_stmt *s = db_prepare(st, "UPDATE alerts SET acked_by = ?2, acked_at = ?3,"
                                       " ack_comment = ?4 WHERE id = ?1"
                                       " AND state IN ('pending', 'firing')");
    int rc;

    if (!s)
        return COL_ERR_DB;
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, by);
    db_bind_i64(s, 3, (int64_t)time(NULL) * 1000);
    db_bind_text(s, 4, comment);
    rc = db_run(s);
    if (rc == 0 && db_changes(st) == 0)
        rc = 1;
    return rc;
}

int cli_alerts(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"days", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"by", required_argument, NULL, 'b'},
        {"comment", required_argument, NULL, 'm'},
        {0},
    };
    struct cli_common cc = {0};
    const char *by = NULL, *comment = NULL;
    struct config *cfg;
    struct store *st;
    char err[512], *end;
    bool json = false;
    int days = 7, opt, rc;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'd':
            days = (int)strtol(optarg, &end, 10);
            if (*end || days < 0) {
                usage(stderr);
                return EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'b':
            by = optarg;
            break;
        case 'm':
            comment = optarg;
            break;
        default:
            if (cli_common_opt(&cc, opt, optarg)) {
                usage(stderr);
                return EXIT_USAGE;
            }
        }
    }
    if (optind < argc && (strcmp(argv[optind], "ack") != 0 || optind + 2 != argc || !by)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "alerts");
    if (!cfg)
        return EXIT_USAGE;
    /* Listing only reads; acknowledging writes (and may migrate). */
    st = optind < argc ? store_open(&cfg->storage, false, err, sizeof(err))
                       : store_open_readonly(&cfg->storage, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector alerts: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    if (optind < argc) {
        long long id = strtoll(argv[optind + 1], &end, 10);
        rc = *end ? 1 : ack(st, id, by, comment);
        if (rc == 1)
            fprintf(stderr, "collector alerts: no active alert with id %s\n", argv[optind + 1]);
        else if (rc == 0)
            printf("alert %lld acknowledged by %s\n", id, by);
        rc = rc == 0 ? EXIT_OK : rc == 1 ? EXIT_USAGE : EXIT_RUNTIME;
    } else {
        rc = list(st, days, json) ? EXIT_RUNTIME : EXIT_OK;
    }
    store_close(st);
    config_free(cfg);
    return rc;
}
