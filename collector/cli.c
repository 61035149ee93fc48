/*
 * Common subcommand plumbing (see cli.h). The time zone is applied by
 * setting TZ for the process once at start: the collector is the only user
 * of local time in its process, and localtime_r/mktime then follow the
 * zone's real rules (including the zoneinfo history) without a library.
 */
#include "cli.h"
#include "col_err.h"
#include "config.h"
#include "diag.h"
#include "profile.h"
#include "registry.h"
#include "textparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
    if (cli_set_timezone(cfg->gateway.timezone)) {
        fprintf(stderr, "%s: unknown gateway.timezone '%s'\n", cc->config_path,
                cfg->gateway.timezone);
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

int cli_load_devices(const struct config *cfg, struct diag *d, struct profile_set **profiles,
                     struct registry **reg)
{
    int before = d->n_errors;

    *profiles = profile_set_load_dir(cfg->devices.profiles, d);
    *reg = NULL;
    if (!*profiles)
        return COL_ERR_CONFIG;
    *reg = registry_load(cfg->devices.registry, *profiles, d);
    if (!*reg || d->n_errors != before) {
        registry_free(*reg);
        profile_set_free(*profiles);
        *reg = NULL;
        *profiles = NULL;
        return COL_ERR_CONFIG;
    }
    return 0;
}

int cli_set_timezone(const char *tz)
{
    char path[512];
    struct stat sb;

    if (strcmp(tz, "UTC") != 0) {
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
        if (strstr(tz, "..") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            return COL_ERR_INVAL;
    }
    if (setenv("TZ", tz, 1))
        return COL_ERR_NOMEM;
    tzset();
    return 0;
}

int cli_parse_time(const char *s, int64_t *out_ms)
{
    struct tm tm = {0};
    int64_t v;
    size_t len = strlen(s);
    const char *end;

    if (parse_int64(s, &v) == 0) {
        *out_ms = v * 1000;
        return 0;
    }
    /* With an explicit offset or Z: not local. */
    if (len > 10 &&
        (s[len - 1] == 'Z' || strchr(s + 10, '+') || (strrchr(s, '-') && strrchr(s, '-') > s + 10)))
        return parse_iso8601_ms(s, len, 0, out_ms);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end)
        return COL_ERR_INVAL;
    if (*end == 'T' || *end == ' ') {
        const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
        if (!e2)
            e2 = strptime(end + 1, "%H:%M", &tm);
        if (!e2)
            return COL_ERR_INVAL;
        end = e2;
    }
    if (*end)
        return COL_ERR_INVAL;
    tm.tm_isdst = -1;
    *out_ms = (int64_t)mktime(&tm) * 1000;
    return 0;
}

void cli_format_time(int64_t ms, char *out, size_t sz)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    char z[8];
    size_t n;

    localtime_r(&t, &tm);
    n = strftime(out, sz, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof(z), "%z", &tm);
    if (ms % 1000)
        n += (size_t)snprintf(out + n, sz - n, ".%03d", (int)(((ms % 1000) + 1000) % 1000));
    snprintf(out + n, sz - n, "%.3s:%.2s", z, z + 3);
}
