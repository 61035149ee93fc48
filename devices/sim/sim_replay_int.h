/*
 * Internals shared by the files of devsim replay: its limits, its options
 * (parsed by sim_replay_opts.c) and the station → site map. Nothing here
 * is used outside devices/sim/sim_replay*.c.
 */
#ifndef SIM_REPLAY_INT_H
#define SIM_REPLAY_INT_H

#include "sim_int.h"

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_LINE_MAX 2048
#define REPLAY_MAX_FIELDS 64
#define REPLAY_DEVICE_MAX (SIM_LEVEL_MAX + 1)
#define REPLAY_MAX_SOURCES SIM_N_TAGS
#define REPLAY_MAP_MAX 32
#define REPLAY_STATION_MAX 64
#define REPLAY_PATH_MAX 4096

struct replay_map {
    char buf[1024];
    const char *station[REPLAY_MAP_MAX];
    const char *site[REPLAY_MAP_MAX];
    int n;
};

struct replay_opts {
    struct sim_conn conn;
    const char *csv[REPLAY_MAX_SOURCES];
    int n_csv;
    const char *site;
    const char *device; /* NULL: "replay-" + the station's name */
    double speed;       /* simulated hours per real hour; 0 = as fast as acks allow */
    long limit;         /* stop after this many messages; 0 = no limit */
    int64_t from_day;   /* local dates, days since 1970-01-01; to is exclusive */
    int64_t to_day;
    struct replay_map map;
    bool is_map_set;
    enum sim_format format;
    const char *tcp;
};

/* Parse devsim replay's command line into @o. 0, or the exit status (usage printed). */
int sim_replay_parse(int argc, char **argv, struct replay_opts *o);

/* The site @m gives @station (case-insensitive), or NULL. */
const char *sim_replay_map_site(const struct replay_map *m, const char *station);

#endif
