/*
 * The ingest pipeline (see ingest.h). Devices and metrics are cached in
 * hash maps after their first database lookup, so the steady state of a
 * message is: one topic match, one decode, and the inserts. Reasons for
 * rejecting are short stable codes (documented in docs/operations.md),
 * because operators count and alert on them; what a value becomes is
 * decided by devices/assess.h, which `collector decode` shares.
 */
#include "ingest.h"
#include "assess.h"
#include "col_err.h"
#include "core/config.h"
#include "decode.h"
#include "core/log.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "strmap.h"
#include "textparse.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DEVICE_FLUSH_MS 1000
#define MAX_PENDING_NOTES 16 /* distinct note names waiting for a commit */
#define MAX_MSG_DEVICES 16   /* devices of one message tracked for bookkeeping */

struct dev_entry {
    int64_t id;
    const struct profile *profile;
    char name[128];
    char site[128];
    int64_t last_seen_ms; /* newest receive time, maybe not yet written */
    int64_t flushed_ms;   /* when the row was last written */
    int64_t n_pending;    /* messages not yet added to the row's count */
    unsigned warned;      /* DEC_NOTE_* bits already logged for this device */
};

struct pending_note {
    const char *name; /* static */
    int64_t n;
};

struct ingest {
    const struct config *cfg;
    struct store *st;
    struct profile_set *profiles;
    struct registry *reg;
    struct strmap *devices; /* name → struct dev_entry* (owned) */
    struct strmap *metrics; /* name → (void*)(intptr_t)id */
    struct dec_field *fields;
    struct dev_entry **field_dev; /* per field: its device, NULL when rejected */
    size_t max_fields;
    struct ingest_rules rules;                    /* instant rules; all NULL = none */
    struct pending_note notes[MAX_PENDING_NOTES]; /* ingest_note(), until a commit */
    size_t n_notes;
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

struct ingest *ingest_new(const struct config *cfg, struct store *st, struct profile_set **profiles,
                          struct registry **reg)
{
    struct ingest *ig = xcalloc(1, sizeof(*ig));

    if (!ig)
        return NULL;
    ig->cfg = cfg;
    ig->st = st;
    ig->max_fields = (size_t)cfg->ingest.max_fields;
    ig->fields = xcalloc(ig->max_fields, sizeof(*ig->fields));
    ig->field_dev = xcalloc(ig->max_fields, sizeof(*ig->field_dev));
    ig->metrics = strmap_new();
    ig->devices = strmap_new();
    if (!ig->fields || !ig->field_dev || !ig->metrics || !ig->devices) {
        ingest_free(ig);
        return NULL;
    }
    ig->profiles = *profiles;
    ig->reg = *reg;
    *profiles = NULL;
    *reg = NULL;
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
    profile_set_free(ig->profiles);
    registry_free(ig->reg);
    xfree(ig->fields);
    xfree(ig->field_dev);
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

int ingest_reload(struct ingest *ig, struct profile_set **profiles, struct registry **reg)
{
    struct profile_set *old_p = ig->profiles;
    struct registry *old_r = ig->reg;

    if (ingest_flush(ig))
        log_warn("ingest: device bookkeeping not written before reload");

    ig->profiles = *profiles;
    ig->reg = *reg;
    *profiles = NULL;
    *reg = NULL;
    clear_devices(ig);
    profile_set_free(old_p);
    registry_free(old_r);
    if (!ig->devices)
        return COL_ERR_NOMEM;
    return sync_registry(ig);
}

/* What a message has produced so far; committed as one unit. */
struct msg_ctx {
    struct ingest *ig;
    const char *topic;
    const void *payload;
    size_t len;
    int64_t now_ms;
    int n_rejects;
    struct dev_entry *flushed[MAX_MSG_DEVICES]; /* device rows written in this transaction */
    size_t n_flushed;
    int64_t dirty_hour; /* last hour marked for the rollup pass */
    int64_t n_unstorable;
    struct store_delta delta;
};

static int reject(struct msg_ctx *m, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(struct msg_ctx *m, const char *reason, const char *fmt, ...)
{
    char detail[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    m->n_rejects++;
    log_dbg("ingest: rejected %s from %s: %s", reason, m->topic, detail);
    return store_reject(m->ig->st, m->now_ms, m->topic, reason, detail, m->payload, m->len);
}

/*
 * Find the device for a message: the registry first, then devices already
 * known to the database, then auto-registration when the policy allows.
 * Returns 1 with *out set, 0 when the message was rejected, <0 on a
 * database error.
 */
static int resolve_device(struct msg_ctx *m, const struct profile *matched, const char *site,
                          const char *name, struct dev_entry **out)
{
    struct ingest *ig = m->ig;
    struct dev_entry *e = strmap_get(ig->devices, name);
    const struct reg_device *rd;
    char db_site[128] = "", db_prof[128];
    const char *dev_site = site;
    int64_t id;
    int rc;

    if (e) {
        *out = e;
        return 1;
    }
    rd = registry_device(ig->reg, name);
    if (rd) {
        rc = store_device_upsert(ig->st, name, rd->site_id, rd->profile->name, "registry", &id);
        if (rc)
            return rc;
        matched = rd->profile;
        dev_site = rd->site_id;
    } else {
        rc = store_device_find(ig->st, name, &id, db_site, sizeof(db_site), db_prof,
                               sizeof(db_prof));
        if (rc && rc != COL_ERR_NOTFOUND)
            return rc;
        if (rc == COL_ERR_NOTFOUND) {
            if (ig->cfg->devices.unknown != UNKNOWN_REGISTER) {
                rc = reject(m, "unknown_device", "device '%s' is not in the registry", name);
                return rc ? rc : 0;
            }
            if (!*site) {
                rc = reject(m, "unknown_device",
                            "device '%s' is unknown and the topic names no site", name);
                return rc ? rc : 0;
            }
            rc = store_device_upsert(ig->st, name, site, matched->name, "auto", &id);
            if (rc)
                return rc;
            log_info("ingest: registered new device %s at site %s (profile %s)", name, site,
                     matched->name);
        } else {
            const struct profile *p = profile_set_find(ig->profiles, db_prof);
            if (p)
                matched = p;
            dev_site = db_site;
        }
    }
    e = xcalloc(1, sizeof(*e));
    if (!e)
        return COL_ERR_NOMEM;
    e->id = id;
    e->profile = matched;
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->site, sizeof(e->site), "%s", dev_site);
    if (strmap_put(ig->devices, name, e)) {
        xfree(e);
        return COL_ERR_NOMEM;
    }
    *out = e;
    return 1;
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
    /* A rollback clears this cache (ingest_message), so an id created by a
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
    rc = reject(m, a.reason, "%s", a.detail);
    return rc < 0 ? rc : 1;
}

static int store_field(struct msg_ctx *m, const struct dev_entry *dev, const struct dec_field *f,
                       int64_t msg_ts)
{
    const struct cfg_ingest *c = &m->ig->cfg->ingest;
    const struct assess_limits lim = {m->now_ms, c->max_future_ms, c->max_age_ms};
    const struct profile_field *pf;
    struct assessment a;
    double v;
    int64_t ts, mid;
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
        return reject(m, a.reason, "%s", a.detail);
    default:
        break;
    }
    pf = a.pf;
    v = a.value;
    ts = a.ts_ms;
    rc = metric_id(m->ig, pf, &mid);
    if (rc)
        return rc;
    rc = store_reading_insert(m->ig->st, ts, dev->id, mid, v, f->flag ? (unsigned char)f->flag : 0);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        m->delta.duplicate_readings++;
        return 0;
    }
    m->delta.stored_readings++;
    if (m->ig->rules.on_reading && m->ig->rules.wants_metric(m->ig->rules.ud, pf->metric)) {
        rc = m->ig->rules.on_reading(m->ig->rules.ud, dev->profile->domain, dev->site, dev->name,
                                     pf->metric, pf->unit, v, ts, m->now_ms);
        if (rc)
            return rc;
    }
    /* The hour's rollups must be recomputed; once per hour per message. */
    int64_t hour = ts - ((ts % 3600000) + 3600000) % 3600000;
    if (hour != m->dirty_hour) {
        rc = store_mark_dirty(m->ig->st, hour, dev->id);
        if (rc)
            return rc;
        m->dirty_hour = hour;
    }
    return 0;
}

/* Add @n to the note @name waiting for the next commit (names are static). */
static void note_add(struct ingest *ig, const char *name, int64_t n)
{
    for (size_t i = 0; i < ig->n_notes; i++) {
        if (strcmp(ig->notes[i].name, name) == 0) {
            ig->notes[i].n += n;
            return;
        }
    }
    if (ig->n_notes < MAX_PENDING_NOTES)
        ig->notes[ig->n_notes++] = (struct pending_note){name, n};
    else
        log_warn("ingest: note '%s' not counted (too many kinds at once)", name);
}

/* Write the pending notes in the open transaction; cleared once it commits. */
static int write_notes(struct ingest *ig)
{
    for (size_t i = 0; i < ig->n_notes; i++) {
        int rc = store_note(ig->st, ig->notes[i].name, ig->notes[i].n);

        if (rc)
            return rc;
    }
    return 0;
}

void ingest_note(struct ingest *ig, const char *name, int64_t n)
{
    if (ig && name && n > 0)
        note_add(ig, name, n);
}

/* Log, once per device, the leniencies operators should hear about. */
static void warn_notes(struct dev_entry *dev, unsigned notes)
{
    unsigned fresh = notes & ~dev->warned & (DEC_NOTE_HJ212_ST_UNLISTED | DEC_NOTE_HJ212_LONG);

    if (fresh & DEC_NOTE_HJ212_ST_UNLISTED)
        log_warn("ingest: device %s sends an HJ 212 system code (ST) outside HJ 212-2017 "
                 "Table 5; accepted (logged once per device)",
                 dev->name);
    if (fresh & DEC_NOTE_HJ212_LONG)
        log_warn("ingest: device %s sends HJ 212 packets longer than 1024 bytes; accepted "
                 "(logged once per device)",
                 dev->name);
    dev->warned |= fresh;
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

/*
 * Resolve the device of every value into ig->field_dev (NULL for values of
 * a device that is rejected, recorded once per device). A payload of one
 * device, the usual case, resolves once. @n == 0 resolves the message's
 * device alone, into *@first. Returns <0 only for database errors.
 */
static int resolve_values(struct msg_ctx *m, const struct profile *prof, const char *site,
                          const char *topic_device, const struct dec_msg *msg, int n,
                          struct dev_entry **first)
{
    struct ingest *ig = m->ig;
    const char *names[MAX_MSG_DEVICES];
    struct dev_entry *devs[MAX_MSG_DEVICES];
    size_t n_names = 0;

    *first = NULL;
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        const char *name = assess_device(topic_device, msg, n > 0 ? &ig->fields[i] : NULL);
        struct dev_entry *dev = NULL;
        size_t k;
        int rc;

        for (k = 0; k < n_names && strcmp(names[k], name) != 0; k++)
            ;
        if (k < n_names) {
            dev = devs[k];
        } else {
            if (!*name) {
                rc =
                    reject(m, "unknown_device", "neither the topic nor the payload names a device");
            } else {
                rc = resolve_device(m, prof, site, name, &dev);
                rc = rc > 0 ? 0 : rc;
            }
            if (rc < 0)
                return rc;
            if (n_names < MAX_MSG_DEVICES) {
                names[n_names] = name;
                devs[n_names++] = dev;
            }
        }
        if (n > 0)
            ig->field_dev[i] = dev;
        if (!*first)
            *first = dev;
    }
    return 0;
}

/* last_seen and the message count of @dev, written at most once a second. */
static int device_seen(struct msg_ctx *m, struct dev_entry *dev)
{
    int rc;

    dev->last_seen_ms = m->now_ms > dev->last_seen_ms ? m->now_ms : dev->last_seen_ms;
    dev->n_pending++;
    if (m->now_ms - dev->flushed_ms < DEVICE_FLUSH_MS || m->n_flushed >= MAX_MSG_DEVICES)
        return 0;
    rc = store_device_seen(m->ig->st, dev->id, dev->last_seen_ms, dev->n_pending);
    if (rc)
        return rc;
    m->flushed[m->n_flushed++] = dev;
    return 0;
}

/* Everything between BEGIN and COMMIT; returns <0 only for database errors. */
static int process(struct msg_ctx *m)
{
    struct ingest *ig = m->ig;
    const struct cfg_ingest *c = &ig->cfg->ingest;
    char site[128], device[128], detail[256];
    const struct profile *prof;
    struct dev_entry *dev = NULL;
    struct dec_msg msg;
    struct dec_error err;
    struct dec_opts opts;
    int n, rc;

    if ((long long)m->len > c->max_payload)
        return reject(m, "payload_too_large", "%zu bytes, the limit is %lld", m->len,
                      c->max_payload);
    if (!utf8_valid(m->payload, m->len) || !utf8_valid(m->topic, strlen(m->topic)))
        return reject(m, "invalid_utf8", "payload or topic is not valid UTF-8");
    prof = profile_set_match(ig->profiles, m->topic, site, sizeof(site), device, sizeof(device));
    if (!prof)
        return reject(m, "unmatched_topic", "no device profile matches topic '%s'", m->topic);
    profile_dec_opts(prof, m->now_ms, &opts);
    n = prof->decoder->decode(&opts, m->payload, m->len, &msg, ig->fields, ig->max_fields, &err);
    if (n < 0)
        return reject(m, assess_decode_reason(n), "%s decoder: %s", prof->decoder->name,
                      err.detail);
    rc = count_notes(m, msg.notes);
    if (rc)
        return rc;
    if (assess_pack_devices(device, &msg, detail, sizeof(detail)))
        return reject(m, "malformed", "%s decoder: %s", prof->decoder->name, detail);
    rc = resolve_values(m, prof, site, device, &msg, n, &dev);
    if (rc < 0 || !dev)
        return rc;
    if (msg.ts_ms) {
        rc = check_time(m, "message", msg.ts_ms);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    for (int i = 0; i < n; i++) {
        const struct dev_entry *d = ig->field_dev[i];

        if (d && d->profile->is_strict && strcmp(ig->fields[i].name, d->profile->time_field) != 0 &&
            !profile_field_for(d->profile, &ig->fields[i]))
            return reject(m, "unknown_field", "field '%s' is not in strict profile %s",
                          ig->fields[i].name, d->profile->name);
    }
    for (int i = 0; i < n; i++) {
        if (!ig->field_dev[i])
            continue;
        rc = store_field(m, ig->field_dev[i], &ig->fields[i], msg.ts_ms ? msg.ts_ms : m->now_ms);
        if (rc < 0)
            return rc;
    }
    {
        struct dev_entry *seen[MAX_MSG_DEVICES];
        size_t n_seen = 0;

        for (int i = 0; i < (n > 0 ? n : 1); i++) {
            struct dev_entry *d = n > 0 ? ig->field_dev[i] : dev;
            size_t k;

            for (k = 0; d && k < n_seen && seen[k] != d; k++)
                ;
            if (!d || k < n_seen || n_seen == MAX_MSG_DEVICES)
                continue;
            seen[n_seen++] = d;
            warn_notes(d, msg.notes);
            rc = device_seen(m, d);
            if (rc)
                return rc;
        }
    }
    if (m->n_unstorable > 0) {
        rc = store_note(ig->st, "unstorable_values", m->n_unstorable);
        if (rc)
            return rc;
    }
    if (m->delta.stored_readings > 0)
        m->delta.stored_messages = 1;
    else if (m->delta.duplicate_readings > 0)
        m->delta.duplicates = 1;
    else if (m->n_rejects == 0 && m->n_unstorable == 0)
        return reject(m, "no_readings", "no field of the payload maps to a metric of profile %s",
                      dev->profile->name);
    return 0;
}

int ingest_message(struct ingest *ig, const char *topic, const void *payload, size_t len,
                   int64_t now_ms)
{
    struct msg_ctx m = {.ig = ig,
                        .topic = topic,
                        .payload = payload,
                        .len = len,
                        .now_ms = now_ms,
                        .dirty_hour = INT64_MIN};
    int rc;

    if (!ig->metrics || !ig->devices) {
        if (!ig->metrics)
            ig->metrics = strmap_new();
        if (!ig->devices)
            ig->devices = strmap_new();
        if (!ig->metrics || !ig->devices)
            return COL_ERR_NOMEM;
    }
    m.delta.received = 1;
    m.delta.now_ms = now_ms;
    rc = store_begin(ig->st);
    if (rc)
        return rc;
    rc = process(&m);
    if (rc == 0)
        rc = write_notes(ig);
    if (rc == 0)
        rc = store_count(ig->st, &m.delta);
    if (rc == 0)
        rc = store_commit(ig->st);
    else
        store_rollback(ig->st);
    if (ig->rules.committed)
        ig->rules.committed(ig->rules.ud, rc == 0);
    if (rc) {
        /* Devices and metrics created by the failed transaction do not exist. */
        clear_devices(ig);
        strmap_free(ig->metrics);
        ig->metrics = strmap_new();
        return rc;
    }
    for (size_t i = 0; i < m.n_flushed; i++) {
        m.flushed[i]->flushed_ms = now_ms;
        m.flushed[i]->n_pending = 0;
    }
    ig->n_notes = 0; /* written by the commit */
    return 0;
}

int ingest_reject(struct ingest *ig, const char *source, const char *reason, const char *detail,
                  const void *payload, size_t len, int64_t now_ms)
{
    struct store_delta delta = {.received = 1, .now_ms = now_ms};
    int rc = store_begin(ig->st);

    if (rc)
        return rc;
    rc = store_reject(ig->st, now_ms, source, reason, detail, payload, len);
    if (rc == 0)
        rc = write_notes(ig);
    if (rc == 0)
        rc = store_count(ig->st, &delta);
    if (rc) {
        store_rollback(ig->st);
        return rc;
    }
    rc = store_commit(ig->st);
    if (rc == 0)
        ig->n_notes = 0;
    return rc;
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
    if (!e->n_pending || fc->rc)
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
    int rc;

    if (!ig->devices)
        return 0;
    rc = store_begin(ig->st);
    if (rc)
        return rc;
    strmap_each(ig->devices, flush_one, &fc);
    if (fc.rc == 0)
        fc.rc = write_notes(ig);
    if (fc.rc) {
        store_rollback(ig->st);
        return fc.rc;
    }
    rc = store_commit(ig->st);
    if (rc)
        return rc;
    ig->n_notes = 0;
    fc.is_pass2 = true;
    strmap_each(ig->devices, flush_one, &fc);
    return 0;
}
