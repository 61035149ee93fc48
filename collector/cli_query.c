/*
 * `collector query`: stored readings for a device, site and metric over a
 * time range, as an aligned table, CSV (RFC 4180) or JSON lines. Times in
 * and out are local to the gateway's time zone, with the offset written.
 */
#include "cli.h"
#include "config.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

struct out_state {
    enum fmt fmt;
    long n;
};

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int print_row(void *ud, const struct store_row *r)
{
    struct out_state *o = ud;
    char t[64];

    cli_format_time(r->ts_ms, t, sizeof(t));
    switch (o->fmt) {
    case FMT_TABLE:
        if (o->n == 0)
            printf("%-25s %-10s %-20s %-8s %14s %s\n", "time", "site", "device", "metric", "value",
                   "unit");
        printf("%-25s %-10s %-20s %-8s %14.6g %s\n", t, r->site, r->device, r->metric, r->value,
               r->unit);
        break;
    case FMT_CSV:
        if (o->n == 0)
            printf("time,site,device,metric,value,unit\n");
        printf("%s,", t);
        csv_field(r->site);
        putchar(',');
        csv_field(r->device);
        putchar(',');
        csv_field(r->metric);
        printf(",%.17g,", r->value);
        csv_field(r->unit);
        putchar('\n');
        break;
    case FMT_JSON:
        printf("{\"time\":\"%s\",\"ts\":%lld,\"site\":", t, (long long)r->ts_ms / 1000);
        json_string(r->site);
        printf(",\"device\":");
        json_string(r->device);
        printf(",\"metric\":");
        json_string(r->metric);
        printf(",\"value\":%.17g,\"unit\":", r->value);
        json_string(r->unit);
        printf("}\n");
        break;
    }
    o->n++;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: collector query -c CONFIG [--series raw] [--device ID] [--site ID]\n"
                 "                       [--metric NAME] [--from TIME] [--to TIME] [--limit N]\n"
                 "                       [--format table|csv|json]\n\n"
                 "Lists stored readings in time order. TIME is a local date or time in the\n"
                 "gateway's time zone (2024-11-26, 2024-11-26T08:00), an ISO 8601 time with\n"
                 "offset, or epoch seconds; --from is inclusive, --to exclusive. JSON output is\n"
                 "one object per line.\n");
}

int cli_query(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, CLI_OPT_SET},
        {"series", required_argument, NULL, 's'}, {"device", required_argument, NULL, 'd'},
        {"site", required_argument, NULL, 'S'},   {"metric", required_argument, NULL, 'm'},
        {"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'l'},  {"format", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},         {0},
    };
    struct cli_common cc = {0};
    struct store_query q = {.from_ms = INT64_MIN, .to_ms = INT64_MAX};
    struct out_state o = {FMT_TABLE, 0};
    const char *from = NULL, *to = NULL, *series = "raw";
    struct config *cfg;
    struct store *st;
    char err[512], *end;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 's':
            series = optarg;
            break;
        case 'd':
            q.device = optarg;
            break;
        case 'S':
            q.site = optarg;
            break;
        case 'm':
            q.metric = optarg;
            break;
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'l':
            q.limit = strtol(optarg, &end, 10);
            if (*end || q.limit < 0) {
                fprintf(stderr, "collector query: --limit must be a positive number\n");
                return EXIT_USAGE;
            }
            break;
        case 'F':
            if (strcmp(optarg, "table") == 0)
                o.fmt = FMT_TABLE;
            else if (strcmp(optarg, "csv") == 0)
                o.fmt = FMT_CSV;
            else if (strcmp(optarg, "json") == 0)
                o.fmt = FMT_JSON;
            else {
                fprintf(stderr, "collector query: --format is table, csv or json\n");
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
    if (strcmp(series, "raw") != 0) {
        fprintf(stderr, "collector query: unknown --series '%s' (available: raw)\n", series);
        return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "query");
    if (!cfg)
        return EXIT_USAGE;
    if ((from && cli_parse_time(from, &q.from_ms)) || (to && cli_parse_time(to, &q.to_ms))) {
        fprintf(stderr, "collector query: cannot read the time '%s'\n",
                from && cli_parse_time(from, &q.from_ms) ? from : to);
        config_free(cfg);
        return EXIT_USAGE;
    }
    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector query: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    rc = store_query_readings(st, &q, print_row, &o) ? EXIT_RUNTIME : EXIT_OK;
    if (o.fmt == FMT_TABLE && o.n == 0)
        fprintf(stderr, "no readings match\n");
    store_close(st);
    config_free(cfg);
    return rc;
}
