/*
 * `collector check`: load everything the daemon would load (configuration,
 * device profiles, registry, HJ 212 device passwords, rules, alert
 * channels) and report every problem as file:line: message, without
 * touching the database or the network. Exit 0 when valid, 2 otherwise.
 */
#include "cli.h"
#include "core/config.h"
#include "diag.h"
#include "alerts/notify.h"
#include "ingest/hj212_auth.h"
#include "profile.h"
#include "registry.h"
#include "rule.h"
#include "core/calendar.h"
#include "core/snapshot.h"

#include <getopt.h>
#include <stdio.h>

static void print_error(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s\n", msg);
}

int cli_check(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {0},
    };
    struct cli_common cc = {0};
    struct diag d = {print_error, NULL, 0};
    struct config *cfg = NULL;
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;
    struct notify_channels *chans = NULL;
    struct ruleset *rules = NULL;
    int opt;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: collector check -c CONFIG [--set section.key=value ...]\n\n"
                   "Validates the configuration, every device profile and the registry.\n"
                   "Errors are printed as file:line: message. Exit 0 when all is valid, 2 "
                   "otherwise.\n");
            return EXIT_OK;
        }
        if (cli_common_opt(&cc, opt, optarg))
            return EXIT_USAGE;
    }
    if (!cc.config_path) {
        fprintf(stderr, "collector check: -c CONFIG is required\n");
        return EXIT_USAGE;
    }
    cfg = config_load(cc.config_path, cc.sets, cc.n_sets, &d);
    if (cfg && cal_set_timezone(cfg->gateway.timezone))
        diag_error(&d, cc.config_path, 0, "unknown gateway.timezone '%s'", cfg->gateway.timezone);
    if (cfg)
        chans = notify_channels_load(cfg->alerts.channels, cfg->dir, &d);
    if (cfg && cfg->rules.paths.n > 0)
        rules = ruleset_load((const char *const *)cfg->rules.paths.v, cfg->rules.paths.n, &d);
    if (cfg && devices_load(cfg, &d, &ps, &reg) == 0 && *cfg->ingest.hj212_listen) {
        /* the HJ 212 device passwords: readable, private, sendable */
        hj212_auth_free(hj212_auth_load(reg, cfg->ingest.hj212_password_dir,
                                        cfg->ingest.hj212_require_password, &d));
    }
    if (reg && chans && d.n_errors == 0) {
        printf("%s: ok (%zu device profiles, %zu sites, %zu registered devices, %zu rules, "
               "%zu alert channels)\n",
               cc.config_path, ps->n, reg->n_sites, reg->n_devices, rules ? rules->n : 0,
               notify_channels_count(chans));
    }
    ruleset_free(rules);
    notify_channels_free(chans);
    registry_free(reg);
    profile_set_free(ps);
    config_free(cfg);
    if (d.n_errors) {
        fprintf(stderr, "%d error%s\n", d.n_errors, d.n_errors == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
