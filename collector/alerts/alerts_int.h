/*
 * Internals shared by the files of the alerts module: the state of one
 * evaluating thread (struct alerts) and the evaluation of one value, used
 * by alerts.c (values as they arrive) and alerts_tick.c (silence,
 * reminders, gateway health on the wall clock). Nothing here is used
 * outside collector/alerts/alerts*.c.
 */
#ifndef ALERTS_INT_H
#define ALERTS_INT_H

#include "alerts.h"
#include "rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCOPE_MAX 160

struct strmap;

/* Last value of a device's metric, for jump and stuck rules. */
struct last_value {
    bool is_set; /* false: no reading yet (or only one whose transaction rolled back) */
    int64_t ts_ms;
    double value;
    int64_t same_since_ms; /* start of the current run of identical values */
};

/* A last value as it was before the open transaction changed it. */
struct last_undo {
    struct last_value *lv;
    struct last_value before;
};

struct alerts {
    const struct config *cfg;
    struct store *st;
    const struct snapshot *snap;        /* held: profiles and rules */
    const struct profile_set *profiles; /* the snapshot's */
    const struct notify_channels *channels;
    const struct ruleset *rules; /* the snapshot's */
    struct strmap *last;         /* "device\x1fmetric" → struct last_value* */
    bool has_enqueued;           /* outbox rows written in the open transaction */
    /*
     * "rule\x1fscope" of the pending and firing alerts this thread evaluates
     * (each series is evaluated by one thread), so that a quiet evaluation —
     * no active alert, value on the safe side — costs no database access.
     * It holds what is committed; NULL until loaded from the alerts table.
     * What the open transaction changes waits in @staged (key → a for
     * active, → &a->staged for not active) and joins @active only when the
     * transaction commits (alerts_committed): after a rollback the table
     * still says what it said, and so must memory.
     */
    struct strmap *active;
    struct strmap *staged;
    /* The last values the open transaction changed, restored if it rolls back. */
    struct last_undo *undo;
    size_t n_undo, cap_undo;
    struct alerts_gateway_facts facts; /* upload and disk state; all NULL = unknown */
    /*
     * Silence and reminders age on the monotonic clock: when this thread
     * first saw each device's last message ("device name" → struct
     * clock_seen*) and each firing alert's last notice ("#id"). Rebuilt by
     * every tick from what it read (@seen_next), so entries of devices and
     * alerts that went away do not pile up. Not database state: what a
     * tick observed stays true whether its transaction commits or not.
     */
    struct strmap *seen, *seen_next;
    int64_t prev_tick_mono; /* 0: no tick yet */
};

struct eval {
    const struct rule *r;
    const char *scope, *domain, *site, *device, *metric, *unit;
    double value, threshold;
    int64_t t_ms;   /* data time of the value */
    int64_t now_ms; /* wall time of the evaluation */
};

/* Step the rule of @e once and write, enqueue and log what it changed. 0 or a COL_ERR_*. */
int alerts_evaluate(struct alerts *a, struct eval *e);

/* Render the event JSON of @e and enqueue it into the outbox for every channel that wants it. */
int alerts_enqueue(struct alerts *a, const struct eval *e, int64_t id, const char *event,
                   int64_t started_ms, int64_t ended_ms, const char *msg_zh, const char *msg_en);

/* Evaluate every rule of @series that selects the value. 0 or a COL_ERR_*. */
int alerts_run_rules(struct alerts *a, enum rule_series series, const char *domain,
                     const char *site, const char *device, const char *metric, const char *unit,
                     double value, int64_t t_ms, int64_t now_ms, double interval_s);

/* The message interval of @profile in seconds; NAN when unknown. */
double alerts_profile_interval_s(struct alerts *a, const char *profile);

/* Free every value of *@m (each xmalloc'ed), then the map; *@m becomes NULL. */
void alerts_free_map(struct strmap **m);

#endif
