/*
 * devsim: simulated devices for tests, benchmarks and the demo. It replays
 * recorded station CSVs (replay), simulates a fleet of one device kind with
 * plausible daily cycles, episodes and faults (fleet) or all of them over
 * the district (district), or publishes numbered messages whose stored
 * result is known exactly (bulk), over MQTT as JSON, SenML or HJ 212, or
 * HJ 212 over TCP. This file only dispatches to the subcommands; each lives
 * in its own sim_<name>.c.
 */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>

static const char devsim_usage[] =
    "usage: devsim <command> [options]   (devsim <command> --help for details)\n"
    "\n"
    "  replay    publish Beijing multi-site air-quality CSV stations as Xuhui sites\n"
    "  fleet     simulate a fleet of one device kind (air-station, pm-node, water-buoy,\n"
    "            noise-meter, waste-bin, sewage-flow) with daily cycles, episodes, faults\n"
    "  district  every device kind over Xuhui's sites, days of simulated time at once\n"
    "  bulk      publish numbered messages for tests and benchmarks\n"
    "  mn        print the HJ 212 MN devsim uses for device ids\n"
    "\n"
    "Formats: --format json|senml|hj212 (fleet, district, replay); --tcp HOST:PORT sends\n"
    "HJ 212 over TCP and waits for the collector's 9014 data responses.\n"
    "\n"
    "Exit: 0 ok, 1 runtime error, 2 bad usage.\n";

static const struct devsim_command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"replay", sim_replay_main},     {"fleet", sim_fleet_main}, {"bulk", sim_bulk_main},
    {"district", sim_district_main}, {"mn", sim_mn_main},
};

static const char mn_usage[] =
    "usage: devsim mn DEVICE_ID...\n"
    "\n"
    "Print each device id and the 24-hex-character HJ 212 MN devsim\n"
    "sends for it: ids of up to 12 bytes are their bytes in hex,\n"
    "left-padded with 00 bytes; longer ids are FF + 88 bits of a hash.\n";

int sim_mn_main(int argc, char **argv)
{
    char mn[25];
    int i;

    if (argc < 2) {
        fputs(mn_usage, stderr);
        return SIM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0) {
        fputs(mn_usage, stdout);
        return SIM_EXIT_OK;
    }
    for (i = 1; i < argc; i++) {
        sim_mn(argv[i], mn);
        printf("%s %s\n", argv[i], mn);
    }
    return SIM_EXIT_OK;
}

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
