/*
 * The gateway clock check (see ingest_watch_clock in ingest.h): whether the
 * gateway's clock or its devices' clocks are wrong. Every timestamped
 * reading adds its time minus its receive time to its device's account of
 * the open window (kept in the device's entry); ingest_flush() closes the
 * window when it is due and writes the verdict in the flush's transaction.
 * One device cannot tell which clock is wrong, so the verdict needs a
 * majority of at least two devices; the alerts room reads it from the
 * database and raises gateway_clock_suspect.
 */
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "ingest_int.h"
#include "store/store.h"
#include "strmap.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The clock watch: one more timestamped reading (@ts_ms, 0 = none) of
 * @dev received at @now_ms. Kept per device as the least and the most its
 * readings of the window were ahead of the receive time; redelivered
 * messages of a batch that rolled back change neither.
 */
void ingest_clock_add(struct ingest *ig, struct dev_entry *dev, int64_t ts_ms, int64_t now_ms)
{
    int64_t skew = ts_ms - now_ms;

    if (!ig->clock_source || !dev || !ts_ms)
        return;
    if (dev->clock_window != ig->clock_window) {
        dev->clock_window = ig->clock_window;
        dev->skew_min = dev->skew_max = skew;
        return;
    }
    if (skew < dev->skew_min)
        dev->skew_min = skew;
    if (skew > dev->skew_max)
        dev->skew_max = skew;
}

void ingest_watch_clock(struct ingest *ig, const char *source)
{
    ig->clock_source = source;
    ig->clock_window++;
    ig->clock_started_mono = mono_ms();
    ig->clock_verdict = -1;
}

int ingest_clock_verdict(int64_t n_devices, int64_t n_ahead, int64_t n_behind)
{
    if (n_devices < 2)
        return -1;
    return 2 * n_ahead > n_devices || 2 * n_behind > n_devices ? 1 : 0;
}

struct clock_ctx {
    uint64_t window;
    int64_t ahead_ms, behind_ms;
    struct store_clock c;
    int64_t *skews; /* newest reading's skew per device, for the median; NULL: none */
    size_t n_skews, max_skews;
};

static void clock_one(const char *key, void *val, void *ud)
{
    const struct dev_entry *e = val;
    struct clock_ctx *cc = ud;

    (void)key;
    if (!e || e->clock_window != cc->window)
        return;
    cc->c.n_devices++;
    if (e->skew_min > cc->ahead_ms)
        cc->c.n_ahead++;
    else if (cc->behind_ms > 0 && e->skew_max < -cc->behind_ms)
        cc->c.n_behind++;
    if (cc->skews && cc->n_skews < cc->max_skews)
        cc->skews[cc->n_skews++] = e->skew_max;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * Close the clock window when it is due: what its devices' readings said,
 * written in the open transaction. *@is_closed tells the caller to open
 * the next window once that commits.
 */
int ingest_clock_close(struct ingest *ig, struct store_clock *out, bool *is_closed)
{
    const struct cfg_ingest *c = &ig->cfg->ingest;
    struct clock_ctx ctx = {0}, *cc = &ctx;

    *is_closed = false;
    if (!ig->clock_source || mono_ms() - ig->clock_started_mono < c->clock_window_ms)
        return 0;
    cc->window = ig->clock_window;
    cc->ahead_ms = c->max_future_ms > 0 ? c->max_future_ms : 5 * 60000;
    cc->behind_ms = c->clock_behind_ms;
    cc->max_skews = strmap_count(ig->devices);
    cc->skews = cc->max_skews ? xcalloc(cc->max_skews, sizeof(*cc->skews)) : NULL;
    strmap_each(ig->devices, clock_one, cc);
    if (cc->n_skews) {
        qsort(cc->skews, cc->n_skews, sizeof(*cc->skews), cmp_i64);
        cc->c.skew_ms = cc->skews[cc->n_skews / 2];
    }
    xfree(cc->skews);
    cc->skews = NULL;
    snprintf(cc->c.source, sizeof(cc->c.source), "%s", ig->clock_source);
    cc->c.checked_ms = wall_ms();
    cc->c.verdict = ingest_clock_verdict(cc->c.n_devices, cc->c.n_ahead, cc->c.n_behind);
    *is_closed = true;
    *out = cc->c;
    return store_clock_write(ig->st, out);
}

/* The window closed and committed: say so when the verdict changed, and open the next. */
void ingest_clock_next(struct ingest *ig, const struct store_clock *c)
{
    if (c->verdict >= 0 && c->verdict != ig->clock_verdict) {
        if (c->verdict)
            log_warn("ingest: the gateway clock disagrees with its devices: of %lld devices "
                     "%lld are ahead and %lld behind it (median skew %lld s); check NTP, then "
                     "`collector rejects retry`",
                     (long long)c->n_devices, (long long)c->n_ahead, (long long)c->n_behind,
                     (long long)(c->skew_ms / 1000));
        else if (ig->clock_verdict == 1)
            log_info("ingest: the gateway clock agrees with its devices again (%lld devices)",
                     (long long)c->n_devices);
        ig->clock_verdict = c->verdict;
    }
    ig->clock_window++;
    ig->clock_started_mono = mono_ms();
}
