/*
 * The ingest pipeline (see ingest.h). Devices and metrics are cached in
 * hash maps after their first database lookup, so the steady state of a
 * message is: one topic match, one decode, and the inserts. Reasons for
 * rejecting are short stable codes (documented in docs/operations.md),
 * because operators count and alert on them; what a value becomes is
 * decided by devices/assess.h, which `collector decode` shares.
 *
 * Messages are added to an open batch (one transaction). Everything in
 * memory that a batch changes is either finished after its COMMIT or undone
 * after its ROLLBACK: the device entries it touched are on a list, entries
 * it created are dropped, the metric cache is cleared, and the rules'
 * evaluator is told through committed(). So a failed batch leaves memory
 * as it was before the batch began, and the messages, redelivered, are
 * ingested as if for the first time. A message may name several devices
 * (a SenML pack): each one it touches goes on that list.
 *
 * This file is the message -> transaction path: the batch, a message's
 * readings, rejects, notes and ingest_flush(). Finding a message's devices
 * is in ingest_device.c, the gateway clock check in ingest_clock.c; what
 * they share is in ingest_int.h.
 */
#include "ingest.h"
#include "ingest_int.h"
#include "assess.h"
#include "col_err.h"
#include "core/config.h"
#include "decode.h"
#include "core/log.h"
#include "core/snapshot.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A reading ready to be written, with what the rules need to know about it. */
struct pending_row {
    struct store_reading r;
    const struct profile_field *pf;
    struct dev_entry *dev;
};

static void free_entry(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    xfree(val);
}

static void clear_devices(struct ingest *ig)
{
    if (ig->devices)
        strmap_each(ig->devices, free_entry, NULL);
    strmap_free(ig->devices);
    ig->devices = strmap_new();
}

/* Write registry sites and devices to the database so queries can join on them. */
static int sync_registry(struct ingest *ig)
{
    const struct registry *r = ig->reg;
    int rc = store_begin(ig->st);

    for (size_t i = 0; rc == 0 && i < r->n_sites; i++) {
        const struct site *s = &r->sites[i];
        rc = store_site_upsert(ig->st, s->id, s->name, s->street, s->kind, s->noise_zone,
                               s->water_body);
    }
    for (size_t i = 0; rc == 0 && i < r->n_devices; i++) {
        int64_t id;
        rc = store_device_upsert(ig->st, r->devices[i].id, r->devices[i].site_id,
                                 r->devices[i].profile->name, "registry", &id);
    }
    if (rc) {
        store_rollback(ig->st);
        return rc;
    }
    return store_commit(ig->st);
}

/* Read devices from @snap (held) from now on. */
static void use_snapshot(struct ingest *ig, const struct snapshot *snap)
{
    snapshot_release(ig->snap);
    ig->snap = snapshot_hold(snap);
    ig->profiles = snapshot_profiles(snap);
    ig->reg = snapshot_registry(snap);
}

struct ingest *ingest_new(const struct config *cfg, struct store *st, const struct snapshot *snap)
{
    struct ingest *ig = xcalloc(1, sizeof(*ig));

    if (!ig)
        return NULL;
    ig->cfg = cfg;
    ig->st = st;
    store_track_lock_waits(st); /* what other writers cost ingest, for /metrics */
    ig->max_fields = (size_t)cfg->ingest.max_fields;
    ig->fields = xcalloc(ig->max_fields, sizeof(*ig->fields));
    ig->field_dev = xcalloc(ig->max_fields, sizeof(*ig->field_dev));
    ig->rows = xcalloc(ig->max_fields, sizeof(*ig->rows));
    ig->metrics = strmap_new();
    ig->devices = strmap_new();
    if (!ig->fields || !ig->field_dev || !ig->rows || !ig->metrics || !ig->devices) {
        ingest_free(ig);
        return NULL;
    }
    use_snapshot(ig, snap);
    if (sync_registry(ig)) {
        log_err("ingest: cannot write the registry to the database");
        ingest_free(ig);
        return NULL;
    }
    return ig;
}

void ingest_free(struct ingest *ig)
{
    if (!ig)
        return;
    if (ig->devices)
        strmap_each(ig->devices, free_entry, NULL);
    strmap_free(ig->devices);
    strmap_free(ig->metrics);
    snapshot_release(ig->snap);
    xfree(ig->fields);
    xfree(ig->field_dev);
    xfree(ig->rows);
    xfree(ig);
}

void ingest_set_rules(struct ingest *ig, const struct ingest_rules *rules)
{
    if (!ig)
        return;
    if (rules)
        ig->rules = *rules;
    else
        memset(&ig->rules, 0, sizeof(ig->rules));
}

int ingest_reload(struct ingest *ig, const struct snapshot *snap)
{
    if (NEVER(ig->in_batch))
        return COL_ERR_INVAL;

    if (ingest_flush(ig))
        log_warn("ingest: device bookkeeping not written before reload");

    if (snap == ig->snap)
        return 0;
    use_snapshot(ig, snap);
    clear_devices(ig);
    if (!ig->devices)
        return COL_ERR_NOMEM;
    return sync_registry(ig);
}

/*
 * Keep a reject of message @m: its first with the whole payload (up to
 * ingest.max_payload; a payload_too_large one is cut there), later ones
 * of the same message pointing at the first, so that a message with
 * several bad values costs its payload once and is retried once.
 */
static int keep_reject(struct ingest *ig, struct msg_ctx *m, const char *reason, const char *detail,
                       bool is_raw)
{
    size_t cap = (size_t)ig->cfg->ingest.max_payload;
    struct store_reject r = {.received_ms = m->received_ms,
                             .topic = m->topic,
                             .reason = reason,
                             .detail = detail,
                             .payload = m->payload,
                             .len = m->len < cap ? m->len : cap,
                             .size = m->len,
                             .id = m->reject_id ? 0 : m->retry_id,
                             .msg_id = m->reject_id,
                             .is_raw = is_raw,
                             .is_uncounted = m->retry_id != 0};
    int64_t id = 0;
    int rc = store_reject_add(ig->st, &r, &id);

    if (rc == 0 && !m->reject_id)
        m->reject_id = id;
    return rc;
}

int ingest_msg_reject(struct msg_ctx *m, const char *reason, const char *fmt, ...)
{
    char detail[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    m->n_rejects++;
    log_dbg("ingest: rejected %s from %s: %s", reason, m->topic, detail);
    return keep_reject(m->ig, m, reason, detail, false);
}

static int metric_id(struct ingest *ig, const struct profile_field *pf, int64_t *id)
{
    void *v = strmap_get(ig->metrics, pf->metric);
    int rc;

    if (v) {
        *id = (int64_t)(intptr_t)v;
        return 0;
    }
    rc = store_metric_id(ig->st, pf->metric, pf->unit, id);
    if (rc)
        return rc;
    /* A rollback clears this cache (undo_batch), so an id created by a
     * transaction that did not commit is never reused. */
    return strmap_put(ig->metrics, pf->metric, (void *)(intptr_t)*id);
}

/* 0 when @ts is acceptable, 1 when rejected (and recorded), <0 on a database error. */
static int check_time(struct msg_ctx *m, const char *what, int64_t ts)
{
    const struct cfg_ingest *c = &m->ig->cfg->ingest;
    const struct assess_limits lim = {m->now_ms, c->max_future_ms, c->max_age_ms};
    struct assessment a;
    int rc;

    if (!assess_time(&lim, what, ts, &a))
        return 0;
    rc = ingest_msg_reject(m, a.reason, "%s", a.detail);
    return rc < 0 ? rc : 1;
}

/*
 * Check and convert one field into @row. Returns 1 when @row holds a
 * reading to write, 0 when the field gives none (unknown, null, or
 * rejected and recorded), <0 on a database error.
 */
static int prepare_field(struct msg_ctx *m, struct dev_entry *dev, const struct dec_field *f,
                         int64_t msg_ts, struct pending_row *row)
{
    const struct cfg_ingest *c = &m->ig->cfg->ingest;
    const struct assess_limits lim = {m->now_ms, c->max_future_ms, c->max_age_ms};
    struct assessment a;
    int64_t mid;
    int rc;

    assess_value(dev->profile, f, msg_ts, &lim, &a);
    switch (a.verdict) {
    case ASSESS_UNMAPPED:
        m->delta.unknown_fields++;
        return 0;
    case ASSESS_EMPTY:
        return 0;
    case ASSESS_UNSTORABLE:
        m->n_unstorable++;
        return 0;
    case ASSESS_REJECT:
        rc = ingest_msg_reject(m, a.reason, "%s", a.detail);
        return rc < 0 ? rc : 0;
    default:
        break;
    }
    rc = metric_id(m->ig, a.pf, &mid);
    if (rc)
        return rc;
    row->r = (struct store_reading){a.ts_ms, mid, a.value, f->flag ? (unsigned char)f->flag : 0};
    row->pf = a.pf;
    row->dev = dev;
    return 1;
}

/* A stored reading of @dev: the rules see it, its hour's rollups must be recomputed. */
static int stored(struct msg_ctx *m, struct dev_entry *dev, const struct pending_row *row,
                  bool has_rules)
{
    const struct ingest_rules *rules = &m->ig->rules;
    int64_t ts = row->r.ts_ms, hour;
    int rc;

    if (has_rules && rules->on_reading && rules->wants_metric(rules->ud, row->pf->metric)) {
        rc = rules->on_reading(rules->ud, dev->profile->domain, dev->site, dev->name,
                               row->pf->metric, row->pf->unit, row->r.value, ts, m->now_ms);
        if (rc)
            return rc;
    }
    /* Marked once per device-hour and batch (the rollup pass cannot remove
     * the mark inside our transaction). */
    hour = ts - ((ts % 3600000) + 3600000) % 3600000;
    if (hour != dev->dirty_hour) {
        rc = store_mark_dirty(m->ig->st, hour, dev->id);
        if (rc)
            return rc;
        dev->dirty_hour = hour;
    }
    return 0;
}

/*
 * A reading whose key existed, or may have (when only some of a
 * statement's rows were new, @is_unsure: the statement does not say which).
 * The same value is a duplicate (a redelivery, a device resending),
 * another value a correction that wins. Unsure rows with our value are
 * counted from @n_new (how many were new) and all go to the rules, so a
 * new reading is never missed; rules take a repeated (time, value) as
 * they took it the first time.
 */
static int existed(struct msg_ctx *m, struct dev_entry *dev, const struct pending_row *row,
                   bool is_unsure, int *n_new)
{
    int rc = store_reading_correct(m->ig->st, row->r.ts_ms, dev->id, row->r.metric, row->r.value,
                                   row->r.flags, m->now_ms, m->topic);

    if (rc < 0)
        return rc;
    if (rc == 1) {
        m->delta.corrections++;
        log_dbg("ingest: %s %s at %lld ms corrected to %g by %s", dev->name, row->pf->metric,
                (long long)row->r.ts_ms, row->r.value, m->topic);
        /* A correction reaches the rules through the rollups of its hour. */
        return stored(m, dev, row, false);
    }
    if (!is_unsure) {
        m->delta.duplicate_readings++;
        return 0;
    }
    if (*n_new > 0) {
        m->delta.stored_readings++;
        (*n_new)--;
    } else {
        m->delta.duplicate_readings++;
    }
    return stored(m, dev, row, true);
}

/*
 * Write a message's readings, STORE_INSERT_MAX of a device to a statement
 * (the rows of a device are together but for packs that interleave their
 * devices). <0 only for database errors.
 */
static int write_rows(struct msg_ctx *m, const struct pending_row *rows, int n)
{
    struct store_reading chunk[STORE_INSERT_MAX];

    for (int at = 0; at < n;) {
        struct dev_entry *dev = rows[at].dev;
        int k = 0, n_new, rc;

        while (k < STORE_INSERT_MAX && at + k < n && rows[at + k].dev == dev) {
            chunk[k] = rows[at + k].r;
            k++;
        }
        n_new = store_readings_insert(m->ig->st, dev->id, chunk, k);
        if (n_new < 0)
            return n_new;
        for (int i = 0; i < k; i++) {
            if (n_new == k) {
                m->delta.stored_readings++;
                rc = stored(m, dev, &rows[at + i], true);
            } else {
                rc = existed(m, dev, &rows[at + i], n_new > 0, &n_new);
            }
            if (rc)
                return rc;
        }
        at += k;
    }
    return 0;
}

/* Add @n to the note @name waiting for the next commit (names are static). */
static void note_add(struct ingest *ig, const char *name, int64_t n)
{
    /* A note of a batch that is still undecided goes with it if it rolls back. */
    int64_t in_batch = ig->in_batch && !ig->failed_rc ? n : 0;

    for (size_t i = 0; i < ig->n_notes; i++) {
        if (strcmp(ig->notes[i].name, name) == 0) {
            ig->notes[i].n += n;
            ig->notes[i].n_batch += in_batch;
            return;
        }
    }
    if (ig->n_notes < MAX_PENDING_NOTES)
        ig->notes[ig->n_notes++] = (struct pending_note){name, n, in_batch};
    else
        log_warn("ingest: note '%s' not counted (too many kinds at once)", name);
}

/* Write the pending notes in the open transaction; cleared once it commits (drop_notes). */
static int write_notes(struct ingest *ig)
{
    for (size_t i = 0; i < ig->n_notes; i++) {
        int rc = store_note(ig->st, ig->notes[i].name, ig->notes[i].n);

        if (rc)
            return rc;
    }
    return 0;
}

/* The pending notes were committed (@is_committed), or the batch that had some rolled back. */
static void drop_notes(struct ingest *ig, bool is_committed)
{
    size_t k = 0;

    for (size_t i = 0; i < ig->n_notes; i++) {
        struct pending_note *pn = &ig->notes[i];

        if (!is_committed && pn->n > pn->n_batch)
            ig->notes[k++] = (struct pending_note){pn->name, pn->n - pn->n_batch, 0};
    }
    ig->n_notes = k;
}

void ingest_note(struct ingest *ig, const char *name, int64_t n)
{
    if (ig && name && n > 0)
        note_add(ig, name, n);
}

/* The decoder's leniencies, each counted once per message, in its transaction. */
static int count_notes(struct msg_ctx *m, unsigned notes)
{
    for (unsigned bit = 1; notes; bit <<= 1) {
        const char *name = decode_note_name(bit);
        int rc;

        if (!(notes & bit))
            continue;
        notes &= ~bit;
        if (!name)
            continue;
        rc = store_note(m->ig->st, name, 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* Everything a message does in the open batch; returns <0 only for database errors. */
static int process(struct msg_ctx *m)
{
    struct ingest *ig = m->ig;
    const struct cfg_ingest *c = &ig->cfg->ingest;
    char detail[ASSESS_DETAIL_MAX];
    struct assess_msg a;
    const struct dec_msg *msg = &a.msg;
    struct dev_entry *dev = NULL;
    int n, rc, n_rows = 0;

    n = assess_message(ig->profiles, m->topic, m->payload, m->len, c->max_payload, m->now_ms, NULL,
                       ig->fields, ig->max_fields, &a);
    if (a.is_decoded) {
        rc = count_notes(m, msg->notes);
        if (rc)
            return rc;
    }
    if (n < 0)
        return ingest_msg_reject(m, a.reason, "%s", a.detail);
    rc = ingest_device_resolve(m, a.profile, a.site, a.device, msg, n, &dev);
    if (rc < 0 || !dev)
        return rc;
    if (!m->retry_id) {
        for (int i = 0; i < n && !msg->ts_ms; i++)
            ingest_clock_add(ig, ig->field_dev[i], ig->fields[i].ts_ms, m->now_ms);
        ingest_clock_add(ig, dev, msg->ts_ms, m->now_ms);
    }
    if (msg->ts_ms) {
        rc = check_time(m, "message", msg->ts_ms);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    for (int i = 0; i < n; i++) {
        const struct dev_entry *d = ig->field_dev[i];

        if (d && assess_strict(d->profile, &ig->fields[i], detail, sizeof(detail)))
            return ingest_msg_reject(m, "unknown_field", "%s", detail);
    }
    for (int i = 0; i < n; i++) {
        if (!ig->field_dev[i])
            continue;
        rc = prepare_field(m, ig->field_dev[i], &ig->fields[i], msg->ts_ms ? msg->ts_ms : m->now_ms,
                           &ig->rows[n_rows]);
        if (rc < 0)
            return rc;
        n_rows += rc;
    }
    rc = write_rows(m, ig->rows, n_rows);
    if (rc)
        return rc;
    rc = ingest_device_seen(m, dev, n, msg->notes);
    if (rc)
        return rc;
    if (m->n_unstorable > 0) {
        rc = store_note(ig->st, "unstorable_values", m->n_unstorable);
        if (rc)
            return rc;
    }
    if (m->delta.stored_readings > 0)
        m->delta.stored_messages = 1;
    else if (m->delta.corrections > 0)
        m->delta.corrected_messages = 1;
    else if (m->delta.duplicate_readings > 0)
        m->delta.duplicates = 1;
    else if (m->n_rejects == 0 && m->n_unstorable == 0) {
        assess_no_readings(dev->profile, detail, sizeof(detail));
        return ingest_msg_reject(m, "no_readings", "%s", detail);
    }
    return 0;
}

static void add_delta(struct store_delta *to, const struct store_delta *d)
{
    to->received += d->received;
    to->stored_messages += d->stored_messages;
    to->stored_readings += d->stored_readings;
    to->duplicates += d->duplicates;
    to->duplicate_readings += d->duplicate_readings;
    to->unknown_fields += d->unknown_fields;
    to->corrections += d->corrections;
    to->corrected_messages += d->corrected_messages;
    to->qos_downgrades += d->qos_downgrades;
    to->sessions_lost += d->sessions_lost;
    if (d->now_ms) {
        if (!to->first_ms)
            to->first_ms = d->first_ms ? d->first_ms : d->now_ms;
        to->now_ms = d->now_ms;
    }
}

/* Everything the batch did in memory is finished: it committed. */
static void finish_batch(struct ingest *ig)
{
    for (struct dev_entry *e = ig->touched; e; e = e->next_touched) {
        if (e->flush_n) {
            e->n_pending -= e->flush_n;
            e->flushed_ms = e->flush_ms;
        }
        e->is_new = false;
        e->n_batch = 0;
        e->flush_n = 0;
    }
    ig->touched = NULL;
}

/*
 * The batch rolled back: undo what it did in memory. Devices it created do
 * not exist (their entries are forgotten), the others lose the messages the
 * batch counted (they will be redelivered and counted then), and metric ids
 * it may have created are forgotten with the whole metric cache.
 */
static void undo_batch(struct ingest *ig)
{
    struct dev_entry *e = ig->touched, *next;

    for (; e; e = next) {
        next = e->next_touched;
        if (e->is_new) {
            strmap_put(ig->devices, e->name, NULL); /* replaces: cannot fail */
            xfree(e);
            continue;
        }
        e->n_pending -= e->n_batch;
        e->last_seen_ms = e->last_seen_before_ms;
        e->n_batch = 0;
        e->flush_n = 0;
    }
    ig->touched = NULL;
    strmap_free(ig->metrics);
    ig->metrics = strmap_new(); /* NULL is retried by the next batch */
}

/* End the open batch: committed (@rc 0) or rolled back. */
static int end_batch(struct ingest *ig, int rc)
{
    if (rc == 0) {
        rc = store_commit(ig->st); /* rolls back itself when it fails */
    } else {
        store_rollback(ig->st);
    }
    if (ig->rules.committed)
        ig->rules.committed(ig->rules.ud, rc == 0);
    if (rc == 0) {
        finish_batch(ig);
        memset(&ig->conds, 0, sizeof(ig->conds));
    } else {
        undo_batch(ig);
    }
    drop_notes(ig, rc == 0);
    ig->in_batch = false;
    ig->n_batch = 0;
    memset(&ig->delta, 0, sizeof(ig->delta));
    return rc;
}

/* The open batch cannot commit any more: roll it back now (the write lock
 * is released), and remember why until the caller ends it. */
static int fail_batch(struct ingest *ig, int rc)
{
    end_batch(ig, rc);
    ig->in_batch = true;
    ig->failed_rc = rc;
    return rc;
}

int ingest_begin(struct ingest *ig)
{
    int rc;

    if (ig->in_batch)
        return ig->failed_rc;
    if (!ig->metrics || !ig->devices) {
        if (!ig->metrics)
            ig->metrics = strmap_new();
        if (!ig->devices)
            ig->devices = strmap_new();
        if (!ig->metrics || !ig->devices)
            return COL_ERR_NOMEM;
    }
    rc = store_begin(ig->st);
    if (rc)
        return rc;
    ig->in_batch = true;
    ig->failed_rc = 0;
    ig->batch++;
    ig->n_batch = 0;
    ig->touched = NULL;
    memset(&ig->delta, 0, sizeof(ig->delta));
    return 0;
}

int ingest_add(struct ingest *ig, const char *topic, const void *payload, size_t len,
               int64_t now_ms)
{
    struct msg_ctx m = {.ig = ig,
                        .topic = topic,
                        .payload = payload,
                        .len = len,
                        .now_ms = now_ms,
                        .received_ms = now_ms};
    int rc = ingest_begin(ig);

    if (rc)
        return rc;
    m.delta.received = 1;
    m.delta.now_ms = now_ms;
    rc = process(&m);
    if (rc)
        return fail_batch(ig, rc);
    add_delta(&ig->delta, &m.delta);
    ig->n_batch++;
    return 0;
}

int ingest_retry(struct ingest *ig, const struct ingest_retry_msg *msg, int64_t now_ms,
                 bool *is_accepted)
{
    struct msg_ctx m = {.ig = ig,
                        .topic = msg->topic,
                        .payload = msg->payload,
                        .len = msg->len,
                        .now_ms = now_ms,
                        .received_ms = msg->received_ms,
                        .retry_id = msg->id};
    int rc = ingest_begin(ig);

    *is_accepted = false;
    if (rc)
        return rc;
    /* Its old rejects go; the ones it earns now take their place (and id). */
    rc = store_reject_forget(ig->st, msg->id);
    if (rc == 0)
        rc = process(&m);
    if (rc)
        return fail_batch(ig, rc);
    /* It was counted as received (and rejected) when it arrived. */
    m.delta.received = 0;
    m.delta.now_ms = 0;
    add_delta(&ig->delta, &m.delta);
    note_add(ig, m.n_rejects ? "retried_rejected" : "retried_stored", 1);
    ig->n_batch++;
    *is_accepted = m.n_rejects == 0;
    return 0;
}

int ingest_commit(struct ingest *ig)
{
    int rc;

    if (!ig->in_batch)
        return 0;
    if (ig->failed_rc) {
        rc = ig->failed_rc;
        ig->in_batch = false;
        ig->failed_rc = 0;
        return rc;
    }
    add_delta(&ig->delta, &ig->conds);
    rc = write_notes(ig);
    if (rc == 0)
        rc = store_count(ig->st, &ig->delta);
    return end_batch(ig, rc);
}

void ingest_rollback(struct ingest *ig)
{
    if (!ig->in_batch)
        return;
    if (!ig->failed_rc)
        end_batch(ig, COL_ERR_INVAL);
    ig->in_batch = false;
    ig->failed_rc = 0;
}

size_t ingest_batch_size(const struct ingest *ig)
{
    return ig->in_batch && !ig->failed_rc ? ig->n_batch : 0;
}

int ingest_message(struct ingest *ig, const char *topic, const void *payload, size_t len,
                   int64_t now_ms)
{
    int rc = ingest_add(ig, topic, payload, len, now_ms);

    if (rc) {
        ingest_rollback(ig);
        return rc;
    }
    return ingest_commit(ig);
}

int ingest_reject(struct ingest *ig, const char *source, const char *reason, const char *detail,
                  const void *payload, size_t len, int64_t now_ms)
{
    struct store_delta delta = {.received = 1, .now_ms = now_ms};
    struct msg_ctx m = {.ig = ig,
                        .topic = source,
                        .payload = payload,
                        .len = len,
                        .now_ms = now_ms,
                        .received_ms = now_ms};
    bool is_own = !ig->in_batch;
    int rc = ingest_begin(ig);

    if (rc)
        return rc;
    rc = keep_reject(ig, &m, reason, detail, true);
    if (rc)
        return is_own ? end_batch(ig, rc) : fail_batch(ig, rc);
    add_delta(&ig->delta, &delta);
    ig->n_batch++;
    return is_own ? ingest_commit(ig) : 0;
}

void ingest_condition(struct ingest *ig, enum ingest_condition what)
{
    if (what == INGEST_COND_QOS_DOWNGRADE)
        ig->conds.qos_downgrades++;
    else if (what == INGEST_COND_SESSION_LOST)
        ig->conds.sessions_lost++;
}

void ingest_hj212_topic(const struct ingest *ig, const char *st, const char *mn, char *out,
                        size_t outsz)
{
    const struct reg_device *rd;
    char alt[128];

    (void)snprintf(out, outsz, "hj212/%s/%s", st, mn[0] ? mn : "unknown");
    if (profile_set_match(ig->profiles, out, NULL, 0, NULL, 0))
        return;
    rd = registry_device(ig->reg, mn);
    if (rd && profile_hj212_topic(rd->profile, mn, alt, sizeof(alt)) == 0)
        (void)snprintf(out, outsz, "%s", alt);
}

int ingest_hj212_crc(const struct ingest *ig, const char *topic)
{
    const struct profile *p = profile_set_match(ig->profiles, topic, NULL, 0, NULL, 0);

    return p ? (int)p->hj212_crc : (int)DEC_CRC_HJ212;
}

struct flush_ctx {
    struct store *st;
    int rc;
    bool is_pass2; /* second pass: the transaction committed, mark entries clean */
};

static void flush_one(const char *key, void *val, void *ud)
{
    struct dev_entry *e = val;
    struct flush_ctx *fc = ud;

    (void)key;
    if (!e || !e->n_pending || fc->rc)
        return;
    if (fc->is_pass2) {
        e->n_pending = 0;
        e->flushed_ms = e->last_seen_ms;
        return;
    }
    fc->rc = store_device_seen(fc->st, e->id, e->last_seen_ms, e->n_pending);
}

int ingest_flush(struct ingest *ig)
{
    struct flush_ctx fc = {ig->st, 0, false};
    bool has_conds = ig->conds.qos_downgrades || ig->conds.sessions_lost;
    struct store_clock clock = {0};
    bool is_window_closed = false;
    int rc;

    if (NEVER(ig->in_batch))
        return COL_ERR_INVAL;
    if (!ig->devices)
        return 0;
    rc = store_begin(ig->st);
    if (rc)
        return rc;
    strmap_each(ig->devices, flush_one, &fc);
    if (fc.rc == 0 && has_conds)
        fc.rc = store_count(ig->st, &ig->conds);
    if (fc.rc == 0)
        fc.rc = write_notes(ig);
    if (fc.rc == 0)
        fc.rc = ingest_clock_close(ig, &clock, &is_window_closed);
    if (fc.rc) {
        store_rollback(ig->st);
        return fc.rc;
    }
    rc = store_commit(ig->st);
    if (rc)
        return rc;
    if (is_window_closed)
        ingest_clock_next(ig, &clock);
    memset(&ig->conds, 0, sizeof(ig->conds));
    drop_notes(ig, true);
    fc.is_pass2 = true;
    strmap_each(ig->devices, flush_one, &fc);
    return 0;
}
