/*
 * Callback tables between rooms (see wiring.h). Each adapter only casts
 * its user data back and forwards the call.
 */
#include "wiring.h"
#include "alerts/alerts.h"
#include "alerts/notify.h"
#include "col_err.h"
#include "upload/upload.h"

#include <stdatomic.h>
#include <stddef.h>

static bool ingest_wants(void *ud, const char *metric)
{
    return alerts_wants_metric(ud, metric);
}

static int ingest_on_reading(void *ud, const char *domain, const char *site, const char *device,
                             const char *metric, const char *unit, double value, int64_t ts_ms,
                             int64_t now_ms)
{
    return alerts_on_reading(ud, domain, site, device, metric, unit, value, ts_ms, now_ms);
}

static void on_committed(void *ud, bool is_committed)
{
    alerts_committed(ud, is_committed);
}

void wire_ingest_rules(struct alerts *a, struct ingest_rules *out)
{
    *out = (struct ingest_rules){ingest_wants, ingest_on_reading, on_committed, a};
}

static bool rollup_has_series(void *ud, enum rule_series series)
{
    return alerts_has_series(ud, series);
}

static int rollup_on_value(void *ud, enum rule_series series, const char *domain, const char *site,
                           const char *device, const char *metric, const char *unit, double value,
                           int64_t t_ms)
{
    return alerts_on_value(ud, series, domain, site, device, metric, unit, value, t_ms);
}

void wire_rollup_rules(struct alerts *a, struct rollup_rules *out)
{
    *out = (struct rollup_rules){rollup_has_series, rollup_on_value, on_committed, a};
}

static int read_gateway_facts(void *ud, struct store *st, int *failing_days, bool *is_disk_low)
{
    struct upload_stats us;
    int rc = upload_failing_days(st, failing_days);

    if (rc)
        return rc;
    rc = upload_stats_read(ud, st, &us);
    if (rc)
        return rc;
    *is_disk_low = us.is_disk_low;
    return 0;
}

void wire_gateway_facts(struct alerts *a, const struct config *cfg)
{
    struct alerts_gateway_facts f = {read_gateway_facts, (void *)cfg};

    alerts_set_gateway_facts(a, &f);
}

static int hj212_open(void *ud, struct store *st, const struct snapshot *snap,
                      struct ingest_rules *out)
{
    struct wire_hj212 *w = ud;
    struct alerts *a = alerts_new(w->cfg, st, snap, w->channels);

    if (!a)
        return COL_ERR_CONFIG;
    wire_ingest_rules(a, out);
    return 0;
}

static void hj212_update(void *ud, struct ingest_rules *r, const struct snapshot *snap)
{
    struct wire_hj212 *w = ud;
    const struct notify_channels *nc = atomic_exchange(&w->next_channels, NULL);

    if (nc) {
        alerts_set_channels(r->ud, nc);
        notify_channels_release(nc);
    }
    if (snap)
        alerts_use_snapshot(r->ud, snap);
}

static void hj212_close(struct ingest_rules *r)
{
    alerts_free(r->ud);
    r->ud = NULL;
}

void wire_hj212_rules(struct wire_hj212 *w, const struct config *cfg,
                      const struct notify_channels *channels)
{
    w->src = (struct hj212_rules_source){hj212_open, hj212_update, hj212_close, w};
    w->cfg = cfg;
    w->channels = channels;
    atomic_init(&w->next_channels, NULL);
}

void wire_hj212_set_channels(struct wire_hj212 *w, const struct notify_channels *channels)
{
    notify_channels_release(atomic_exchange(&w->next_channels, notify_channels_hold(channels)));
}

void wire_hj212_clear(struct wire_hj212 *w)
{
    notify_channels_release(atomic_exchange(&w->next_channels, NULL));
}
