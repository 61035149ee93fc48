/*
 * `collector query`: stored readings and the derived series (hourly and
 * daily statistics, AQI, water class, noise, waste) for a site, device and
 * metric over a time range, as an aligned table, CSV (RFC 4180) or JSON
 * lines. Times in and out are local to the gateway's time zone, with the
 * offset written; `--to` is exclusive.
 */
#include "cli.h"
#include "col_err.h"
#include "core/config.h"
#include "stats/rollup.h"
#include "stats/series.h"
#include "store/store.h"
#include "core/calendar.h"

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

static int col_width(const char *name)
{
    size_t n = strlen(name);

    if (strcmp(name, "time") == 0)
        return 25;
    if (strcmp(name, "date") == 0)
        return 10;
    if (strcmp(name, "category") == 0)
        return 19;
    if (strcmp(name, "edition") == 0)
        return 11;
    return n > 9 ? (int)n : 9;
}

static int print_row(void *ud, int n, const char *const *names, const char *const *vals,
                     const bool *is_num)
{
    struct out_state *o = ud;
    char t[64], num[64];

    if (o->n == 0 && o->fmt != FMT_JSON) {
        for (int i = 0; i < n; i++) {
            if (o->fmt == FMT_CSV)
                printf("%s%s", i ? "," : "", names[i]);
            else
                printf("%s%-*s", i ? " " : "", col_width(names[i]), names[i]);
        }
        putchar('\n');
    }
    if (o->fmt == FMT_JSON)
        putchar('{');
    for (int i = 0; i < n; i++) {
        const char *v = vals[i];
        bool number = is_num[i];
        if (v && strcmp(names[i], "time") == 0) {
            cal_format_time(strtoll(v, NULL, 10), t, sizeof(t));
            v = t;
            number = false;
        } else if (v && number && o->fmt == FMT_TABLE && strchr(v, '.')) {
            snprintf(num, sizeof(num), "%.6g", strtod(v, NULL));
            v = num;
        }
        switch (o->fmt) {
        case FMT_CSV:
            if (i)
                putchar(',');
            if (v)
                csv_field(v);
            break;
        case FMT_TABLE:
            printf("%s%-*s", i ? " " : "", col_width(names[i]), v ? v : "-");
            break;
        case FMT_JSON:
            printf("%s\"%s\":", i ? "," : "", names[i]);
            if (!v)
                printf("null");
            else if (number)
                fputs(v, stdout);
            else
                json_string(v);
            break;
        }
    }
    if (o->fmt == FMT_JSON)
        putchar('}');
    putchar('\n');
    o->n++;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: collector query -c CONFIG [--series NAME] [--device ID] [--site ID]\n"
                 "                       [--metric NAME] [--from TIME] [--to TIME] [--limit N]\n"
                 "                       [--format table|csv|json]\n\n"
                 "Series:");
    for (size_t i = 0; series_names[i]; i++)
        fprintf(out, " %s", series_names[i]);
    fprintf(out, "\n  raw          stored readings (default)\n"
                 "  hourly/daily per device with --device, else per site\n"
                 "  aqi_hourly   real-time AQI per site (HJ 633, edition by date)\n"
                 "  aqi_daily    daily AQI per site, one row per day (aqi empty: no valid AQI)\n"
                 "  water_class  GB 3838 class per site and day\n"
                 "  noise_day_night  GB 3096 Ld/Ln per site and day against the zone limits\n"
                 "  waste_daily  waste deposited per sorting category\n\n"
                 "TIME is a local date or time in the gateway's time zone (2024-11-26,\n"
                 "2024-11-26T08:00), an ISO 8601 time with offset, or epoch seconds; --from is\n"
                 "inclusive, --to exclusive. JSON output is one object per line.\n");
}

/* Local date of a --from/--to argument, for day series. */
static int to_day(const char *arg, int64_t ms, char out[11])
{
    if (!arg) {
        out[0] = '\0';
        return 0;
    }
    cal_day_of(ms, out);
    return 0;
}

int cli_query(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"series", required_argument, NULL, 's'},
        {"device", required_argument, NULL, 'd'},
        {"site", required_argument, NULL, 'S'},
        {"metric", required_argument, NULL, 'm'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'F'},
        {0},
    };
    struct cli_common cc = {0};
    struct series_query q = {.series = "raw", .from_ms = INT64_MIN, .to_ms = INT64_MAX};
    struct out_state o = {FMT_TABLE, 0};
    const char *from = NULL, *to = NULL;
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
            q.series = optarg;
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
    cfg = cli_load_config(&cc, "query");
    if (!cfg)
        return EXIT_USAGE;
    if (cli_time_arg("query", "--from", from, &q.from_ms) ||
        cli_time_arg("query", "--to", to, &q.to_ms)) {
        config_free(cfg);
        return EXIT_USAGE;
    }
    to_day(from, q.from_ms, q.from_day);
    to_day(to, q.to_ms, q.to_day);
    st = store_open_readonly(&cfg->storage, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector query: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    rc = series_run(st, &q, print_row, &o);
    if (rc == COL_ERR_NOTFOUND) {
        fprintf(stderr, "collector query: unknown --series '%s'\n", q.series);
        usage(stderr);
        rc = EXIT_USAGE;
    } else {
        rc = rc ? EXIT_RUNTIME : EXIT_OK;
        if (rc == EXIT_OK && o.fmt == FMT_TABLE && o.n == 0)
            fprintf(stderr, "no rows match\n");
    }
    store_close(st);
    config_free(cfg);
    return rc;
}
