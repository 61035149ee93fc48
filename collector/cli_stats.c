/*
 * `collector stats`: the ingest counters as stored in the database, so the
 * numbers are the committed truth and can be read while the daemon runs
 * (WAL readers never block the writer). Never prints configuration secrets.
 */
#include "cli.h"
#include "config.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void print_text(const struct config *cfg, const struct store_stats *s)
{
    char first[64] = "-", last[64] = "-";

    if (s->first_received_ms)
        cli_format_time(s->first_received_ms, first, sizeof(first));
    if (s->last_received_ms)
        cli_format_time(s->last_received_ms, last, sizeof(last));
    printf("gateway             %s\n", cfg->gateway.id);
    printf("database            %s (%.1f MiB)\n", cfg->storage.path,
           (double)s->db_bytes / (1024.0 * 1024.0));
    printf("received            %lld\n", (long long)s->received);
    printf("stored messages     %lld\n", (long long)s->stored_messages);
    printf("stored readings     %lld\n", (long long)s->stored_readings);
    printf("duplicates          %lld messages (%lld readings)\n", (long long)s->duplicates,
           (long long)s->duplicate_readings);
    printf("unknown fields      %lld (ignored)\n", (long long)s->unknown_fields);
    printf("rejected            %lld (%lld kept in the rejects table)\n",
           (long long)s->rejected_total, (long long)s->n_rejects_kept);
    for (size_t i = 0; i < s->n_reasons; i++)
        printf("  %-17s %lld\n", s->reasons[i].reason, (long long)s->reasons[i].n);
    printf("devices             %lld\n", (long long)s->n_devices);
    printf("rollup pending      %lld device-hours\n", (long long)s->rollup_pending);
    printf("first message       %s\n", first);
    printf("last message        %s\n", last);
}

static int print_json(const struct config *cfg, const struct store_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *rej = cJSON_CreateObject();
    char t[64];
    char *text;

    if (!o || !rej) {
        cJSON_Delete(o);
        cJSON_Delete(rej);
        return EXIT_RUNTIME;
    }
    cJSON_AddStringToObject(o, "gateway", cfg->gateway.id);
    cJSON_AddNumberToObject(o, "received", (double)s->received);
    cJSON_AddNumberToObject(o, "stored_messages", (double)s->stored_messages);
    cJSON_AddNumberToObject(o, "stored_readings", (double)s->stored_readings);
    cJSON_AddNumberToObject(o, "duplicates", (double)s->duplicates);
    cJSON_AddNumberToObject(o, "duplicate_readings", (double)s->duplicate_readings);
    cJSON_AddNumberToObject(o, "unknown_fields", (double)s->unknown_fields);
    cJSON_AddNumberToObject(o, "rejected_total", (double)s->rejected_total);
    for (size_t i = 0; i < s->n_reasons; i++)
        cJSON_AddNumberToObject(rej, s->reasons[i].reason, (double)s->reasons[i].n);
    cJSON_AddItemToObject(o, "rejected", rej);
    cJSON_AddNumberToObject(o, "rejects_kept", (double)s->n_rejects_kept);
    cJSON_AddNumberToObject(o, "devices", (double)s->n_devices);
    cJSON_AddNumberToObject(o, "rollup_pending", (double)s->rollup_pending);
    if (s->first_received_ms) {
        cli_format_time(s->first_received_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "first_message", t);
    } else {
        cJSON_AddNullToObject(o, "first_message");
    }
    if (s->last_received_ms) {
        cli_format_time(s->last_received_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "last_message", t);
    } else {
        cJSON_AddNullToObject(o, "last_message");
    }
    cJSON_AddNumberToObject(o, "database_bytes", (double)s->db_bytes);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return EXIT_RUNTIME;
    printf("%s\n", text);
    cJSON_free(text);
    return EXIT_OK;
}

int cli_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, CLI_OPT_SET},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct cli_common cc = {0};
    struct config *cfg;
    struct store *st;
    struct store_stats s;
    bool json = false;
    char err[512];
    int opt, rc = EXIT_RUNTIME;

    while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: collector stats -c CONFIG [--json]\n\n"
                   "Counters read from the database: received, stored messages and readings,\n"
                   "duplicates, rejected by reason, first and last message, database size.\n");
            return EXIT_OK;
        }
        if (opt == 'j') {
            json = true;
            continue;
        }
        if (cli_common_opt(&cc, opt, optarg))
            return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "stats");
    if (!cfg)
        return EXIT_USAGE;
    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector stats: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    if (store_stats_read(st, &s) == 0) {
        if (json)
            rc = print_json(cfg, &s);
        else {
            print_text(cfg, &s);
            rc = EXIT_OK;
        }
    }
    store_close(st);
    config_free(cfg);
    return rc;
}
