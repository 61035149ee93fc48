/*
 * The fixture of the ingest tests (test_ingest.c, test_ingest_batch.c,
 * test_ingest_dialects.c): a config loaded from a temporary YAML file, the shipped device profiles
 * (or the dialect tests' own), an empty registry and a store in a
 * mkdtemp() directory, and the helpers that read back what a message
 * caused. Header-only, static: each test is one binary.
 */
#ifndef INGEST_FIXTURE_H
#define INGEST_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_err.h"
#include "core/clock.h"
#include "core/config.h"
#include "diag.h"
#include "ingest/ingest.h"
#include "core/log.h"
#include "core/snapshot.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "xalloc.h"

/* 2024-11-26T00:00:00Z: 20053 days * 86 400 s (2024-11-26 is day 20053 of the epoch). */
#define T0_S 1732579200LL
#define T0_MS 1732579200000LL
/* The receive clock: one minute later. */
#define NOW_MS (T0_MS + 60000)

#define TOPIC "xh/air/xujiahui/aqm-01"

static const char good[] __attribute__((unused)) =
    "{\"ts\":1732579200,\"pm25\":23.4,\"pm10\":41,\"so2\":5,\"no2\":30.2,"
    "\"co\":0.6,\"o3\":80.1}";

struct fixture {
    char dir[64];
    char cfg_path[320];
    struct config *cfg;
    struct store *st;
    struct ingest *ig;
};

/* Profiles for the dialect tests, written to <dir>/profiles instead of the shipped ones. */
static const struct {
    const char *name, *text;
} custom_profiles[] = {
    {"gw", "name: gw\ndomain: air\ndecoder: auto\ninterval: 1m\n"
           "topics: [\"xh/gw/{site}/+\"]\n"
           "fields:\n"
           "  temperature: {metric: temp, unit: degC}\n"
           "  humidity: {metric: humidity, unit: \"%\"}\n"
           "  energy: {metric: power, unit: W}\n"
           "  \"energy@sum\": {metric: energy, unit: J}\n"
           "  pic: {metric: pic}\n"},
    {"mb", "name: mb\ndomain: air\ndecoder: auto\ninterval: 1m\nhj212_crc: modbus\n"
           "topics: [\"xh/mb/{site}/{device}\"]\n"
           "fields:\n"
           "  a34004-Avg: {metric: pm25, unit: ug/m3}\n"
           "  temperature: {metric: temp, unit: degC}\n"},
    {"std", "name: std\ndomain: air\ndecoder: auto\ninterval: 1m\n"
            "topics: [\"xh/std/{site}/{device}\"]\n"
            "fields:\n"
            "  a34004-Avg: {metric: pm25, unit: ug/m3}\n"
            "  a34004-Rtd: {metric: pm25, unit: ug/m3}\n"},
};

/* Write custom_profiles to @dir/<name>.yaml. */
static inline int write_profiles(const char *dir)
{
    for (size_t i = 0; i < sizeof(custom_profiles) / sizeof(custom_profiles[0]); i++) {
        char path[400];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s.yaml", dir, custom_profiles[i].name);
        f = fopen(path, "w");
        if (!f)
            return -1;
        fputs(custom_profiles[i].text, f);
        fclose(f);
    }
    return 0;
}

static inline int open_all_in(void **state, const char *const *sets, size_t n_sets, bool is_custom)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct diag d = {0};
    struct profile_set *profiles;
    struct registry *reg;
    const struct snapshot *snap;
    char err[512];
    FILE *f;

    if (!fx)
        return -1;
    *state = fx;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_ingest.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->cfg_path, sizeof(fx->cfg_path), "%s/collector.yaml", fx->dir);
    f = fopen(fx->cfg_path, "w");
    if (!f)
        return -1;
    if (is_custom) {
        char pdir[128];

        snprintf(pdir, sizeof(pdir), "%s/profiles", fx->dir);
        if (mkdir(pdir, 0700) || write_profiles(pdir))
            return -1;
        fprintf(f, "storage:\n  path: c.db\ndevices:\n  profiles: profiles\n"
                   "  unknown: register\n");
    } else {
        fputs("storage:\n"
              "  path: c.db\n"
              "devices:\n"
              "  profiles: " PROJECT_SRC_DIR "/devices/profiles\n"
              "  unknown: register\n",
              f);
    }
    fclose(f);
    fx->cfg = config_load(fx->cfg_path, sets, n_sets, &d);
    if (!fx->cfg)
        return -1;
    profiles = profile_set_load_dir(fx->cfg->devices.profiles, &d);
    reg = registry_load(NULL, profiles, &d);
    if (!profiles || !reg || d.n_errors) {
        profile_set_free(profiles);
        registry_free(reg);
        return -1;
    }
    fx->st = store_open(&fx->cfg->storage, true, err, sizeof(err));
    if (!fx->st) {
        fprintf(stderr, "%s\n", err);
        profile_set_free(profiles);
        registry_free(reg);
        return -1;
    }
    snap = snapshot_of(profiles, reg, NULL);
    if (!snap)
        return -1;
    fx->ig = ingest_new(fx->cfg, fx->st, snap);
    snapshot_release(snap); /* the ingest holds it */
    return fx->ig ? 0 : -1;
}

static inline int open_all(void **state, const char *const *sets, size_t n_sets)
{
    return open_all_in(state, sets, n_sets, false);
}

static inline int setup(void **state)
{
    return open_all(state, NULL, 0);
}

static inline int setup_custom(void **state)
{
    return open_all_in(state, NULL, 0, true);
}

static inline int setup_reject_unknown(void **state)
{
    static const char *const sets[] = {"devices.unknown=reject"};

    return open_all(state, sets, 1);
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *dh;
    struct dirent *de;
    char path[400];

    if (!fx)
        return 0;
    ingest_free(fx->ig);
    store_close(fx->st);
    config_free(fx->cfg);
    for (size_t i = 0; i < sizeof(custom_profiles) / sizeof(custom_profiles[0]); i++) {
        snprintf(path, sizeof(path), "%s/profiles/%s.yaml", fx->dir, custom_profiles[i].name);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/profiles", fx->dir);
    rmdir(path);
    dh = opendir(fx->dir);
    while (dh && (de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
        unlink(path);
    }
    if (dh)
        closedir(dh);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static inline void deliver(struct fixture *fx, const char *topic, const char *payload,
                           int64_t now_ms)
{
    assert_int_equal(ingest_message(fx->ig, topic, payload, strlen(payload), now_ms), 0);
}

static inline struct store_stats stats(struct fixture *fx)
{
    struct store_stats s;

    assert_int_equal(store_stats_read(fx->st, &s), 0);
    return s;
}

/* Count of rejects kept under @reason (0 when none). */
static inline int64_t reason_count(const struct store_stats *s, const char *reason)
{
    for (size_t i = 0; i < s->n_reasons; i++)
        if (strcmp(s->reasons[i].reason, reason) == 0)
            return s->reasons[i].n;
    return 0;
}

/* The only reject reason so far must be @reason, once. */
static inline void expect_rejected(struct fixture *fx, const char *reason)
{
    struct store_stats s = stats(fx);

    if (s.n_reasons != 1 || reason_count(&s, reason) != 1)
        print_error("want one '%s', have %zu reasons, first '%s'\n", reason, s.n_reasons,
                    s.n_reasons ? s.reasons[0].reason : "");
    assert_int_equal(s.n_reasons, 1);
    assert_int_equal(reason_count(&s, reason), 1);
    assert_int_equal(s.rejected_total, 1);
    assert_int_equal(s.stored_readings, 0);
    assert_int_equal(s.stored_messages, 0);
}

struct rows {
    int n;
    int64_t ts[16];
    char device[16][32];
    char site[16][32];
    char metric[16][32];
    char unit[16][16];
    double value[16];
};

static inline int collect(void *ud, const struct store_row *row)
{
    struct rows *r = ud;

    if (r->n < 16) {
        r->ts[r->n] = row->ts_ms;
        snprintf(r->device[r->n], sizeof(r->device[0]), "%s", row->device);
        snprintf(r->site[r->n], sizeof(r->site[0]), "%s", row->site);
        snprintf(r->metric[r->n], sizeof(r->metric[0]), "%s", row->metric);
        snprintf(r->unit[r->n], sizeof(r->unit[0]), "%s", row->unit);
        r->value[r->n] = row->value;
    }
    r->n++;
    return 0;
}

static inline int rows_of(struct fixture *fx, const char *device, const char *metric,
                          struct rows *r)
{
    const struct store_query q = {
        .device = device, .metric = metric, .from_ms = 0, .to_ms = INT64_MAX};

    memset(r, 0, sizeof(*r));
    assert_int_equal(store_query_readings(fx->st, &q, collect, r), 0);
    return r->n;
}

/* Count of the note @name (0 when none). */
static inline int64_t note_count(const struct store_stats *s, const char *name)
{
    for (size_t i = 0; i < s->n_notes; i++)
        if (strcmp(s->notes[i].reason, name) == 0)
            return s->notes[i].n;
    return 0;
}

/* One value read through a connection of its own: it sees only what is committed. */
static inline long long sql_value(struct fixture *fx, const char *sql)
{
    char path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;

    /* A connection of its own: it sees only what is committed. */
    snprintf(path, sizeof(path), "%s/c.db", fx->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Column @col of device @name, as committed. */
static inline long long device_column(struct fixture *fx, const char *col, const char *name)
{
    char sql[200];

    snprintf(sql, sizeof(sql), "SELECT %s FROM devices WHERE name = '%s'", col, name);
    return sql_value(fx, sql);
}

#endif
