/*
 * devsim: simulated devices for tests, benchmarks and the demo. It replays
 * a recorded station CSV (replay), simulates a fleet of stations with
 * plausible daily cycles (fleet) or publishes numbered messages whose
 * stored result is known exactly (bulk), all over MQTT. This file only
 * dispatches to the subcommands; each lives in its own sim_<name>.c.
 */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>

static const char devsim_usage[] =
    "usage: devsim <command> [options]   (devsim <command> --help for details)\n"
    "\n"
    "  replay   publish one station of the Beijing multi-site air-quality CSV\n"
    "  fleet    simulate a fleet of devices with plausible daily cycles\n"
    "  bulk     publish numbered messages for tests and benchmarks\n"
    "\n"
    "Exit: 0 ok, 1 runtime error, 2 bad usage.\n";

static const struct devsim_command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"replay", sim_replay_main},
    {"fleet", sim_fleet_main},
    {"bulk", sim_bulk_main},
};

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        fputs(devsim_usage, stderr);
        return SIM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(devsim_usage, stdout);
        return SIM_EXIT_OK;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        /* The subcommand sees its own name as argv[0], as getopt expects. */
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "devsim: unknown command '%s'\n", argv[1]);
    fputs(devsim_usage, stderr);
    return SIM_EXIT_USAGE;
}
