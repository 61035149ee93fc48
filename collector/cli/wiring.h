/*
 * The daemon's wiring between feature rooms. Rooms do not include each
 * other's headers; where one needs another (ingest and the statistics
 * evaluate rules, the gateway-health rules read the upload ledger), it
 * declares a small table of callbacks and the command line, which sees
 * every room, fills it here.
 */
#ifndef CLI_WIRING_H
#define CLI_WIRING_H

#include "ingest/hj212_tcp.h"
#include "ingest/ingest.h"
#include "stats/rollup.h"

struct alerts;
struct config;
struct notify_channels;

/* Instant rules of @a (borrowed) for ingest_set_rules(). */
void wire_ingest_rules(struct alerts *a, struct ingest_rules *out);

/* Derived-series rules of @a (borrowed) for rollup_set_rules(). */
void wire_rollup_rules(struct alerts *a, struct rollup_rules *out);

/* Upload and disk facts from the ledger of @cfg's upload for alerts_set_gateway_facts(). */
void wire_gateway_facts(struct alerts *a, const struct config *cfg);

/*
 * A rules source for the HJ 212 listener: each open() makes an alerts
 * evaluator over the listener's connection with @cfg (borrowed for @src's
 * lifetime) and @channels (borrowed until open() returns: the evaluator
 * holds them) and the rules of the snapshot open() and update() are
 * given. Reloaded channels are handed over with wire_hj212_set_channels()
 * and taken up by the listener's next update().
 */
struct wire_hj212 {
    struct hj212_rules_source src;
    const struct config *cfg;
    const struct notify_channels *channels;
    _Atomic(const struct notify_channels *) next_channels; /* held until taken up */
};
void wire_hj212_rules(struct wire_hj212 *w, const struct config *cfg,
                      const struct notify_channels *channels);
/* Hold @channels for the listener's next update(). Thread-safe. */
void wire_hj212_set_channels(struct wire_hj212 *w, const struct notify_channels *channels);
/* Release channels not taken up (after the listener stopped). */
void wire_hj212_clear(struct wire_hj212 *w);

#endif
