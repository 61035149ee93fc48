/*
 * Which devices a message's values belong to, and what ingest keeps per
 * device (see ingest_int.h). A device is found in the cache first, then in
 * the registry, then among the devices the database knows, and is
 * registered automatically when devices.unknown allows it; a SenML pack
 * may name several. Every entry a batch touches goes on the batch's list,
 * so that ingest.c can finish or undo what the batch did to it. A device's
 * last_seen row is written at most once a second; ingest_flush() writes
 * the rest.
 */
#include "assess.h"
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "decode.h"
#include "ingest_int.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DEVICE_FLUSH_MS 1000
#define MAX_MSG_DEVICES 16 /* devices of one message tracked for bookkeeping */

/* Put @e on the open batch's list (once per batch). */
static void touch(struct ingest *ig, struct dev_entry *e)
{
    if (e->batch == ig->batch)
        return;
    e->batch = ig->batch;
    e->next_touched = ig->touched;
    ig->touched = e;
    e->is_new = false;
    e->n_batch = 0;
    e->last_seen_before_ms = e->last_seen_ms;
    e->flush_n = 0;
    e->flush_ms = 0;
    e->dirty_hour = INT64_MIN;
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
            char detail[ASSESS_DETAIL_MAX];

            if (assess_unknown_device(name, site, ig->cfg->devices.unknown == UNKNOWN_REGISTER,
                                      detail, sizeof(detail))) {
                rc = ingest_msg_reject(m, "unknown_device", "%s", detail);
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
    /* Its row (and id) may exist only in the open batch: forgotten if it fails. */
    touch(ig, e);
    e->is_new = true;
    *out = e;
    return 1;
}

/*
 * Resolve the device of every value into ig->field_dev (NULL for values of
 * a device that is rejected, recorded once per device) and put each device
 * on the open batch's list. A payload of one device, the usual case,
 * resolves once. @n == 0 resolves the message's device alone, into *@first.
 * Returns <0 only for database errors.
 */
int ingest_device_resolve(struct msg_ctx *m, const struct profile *prof, const char *site,
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
                char detail[ASSESS_DETAIL_MAX];

                (void)assess_unknown_device(name, site, false, detail, sizeof(detail));
                rc = ingest_msg_reject(m, "unknown_device", "%s", detail);
            } else {
                rc = resolve_device(m, prof, site, name, &dev);
                rc = rc > 0 ? 0 : rc;
            }
            if (rc < 0)
                return rc;
            if (dev)
                touch(ig, dev);
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

/*
 * last_seen and the message count of @dev (on the batch's list), its row
 * written at most once a second and once per batch.
 */
static int device_seen(struct msg_ctx *m, struct dev_entry *dev)
{
    int rc;

    dev->last_seen_ms = m->received_ms > dev->last_seen_ms ? m->received_ms : dev->last_seen_ms;
    dev->n_pending++;
    dev->n_batch++;
    if (dev->flush_n || m->now_ms - dev->flushed_ms < DEVICE_FLUSH_MS)
        return 0;
    rc = store_device_seen(m->ig->st, dev->id, dev->last_seen_ms, dev->n_pending);
    if (rc)
        return rc;
    dev->flush_n = dev->n_pending;
    dev->flush_ms = m->now_ms;
    return 0;
}

int ingest_device_seen(struct msg_ctx *m, struct dev_entry *first, int n, unsigned notes)
{
    struct ingest *ig = m->ig;
    struct dev_entry *seen[MAX_MSG_DEVICES];
    size_t n_seen = 0;

    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        struct dev_entry *d = n > 0 ? ig->field_dev[i] : first;
        size_t k;
        int rc;

        for (k = 0; d && k < n_seen && seen[k] != d; k++)
            ;
        if (!d || k < n_seen || n_seen == MAX_MSG_DEVICES)
            continue;
        seen[n_seen++] = d;
        warn_notes(d, notes);
        rc = device_seen(m, d);
        if (rc)
            return rc;
    }
    return 0;
}
