/*
 * `collector rejects`: the rejected messages the database keeps, each with
 * its receive time, topic, reason, detail and whole payload; and
 * `collector rejects retry`, which ingests them again through the same
 * path the daemon uses (ingest/ingest.h), after the cause went away: a
 * gateway clock that was behind, a device profile that was missing. The
 * listing opens the database read-only. A retry writes on its own
 * connection, one transaction per batch of messages, each holding the
 * write lock only as long as its batch, so it runs beside the daemon.
 */
#include "cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/snapshot.h"
#include "core/calendar.h"
#include "ingest/ingest.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"
#include "col_err.h"
#include "diag.h"
#include "textparse.h"
#include "xalloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RETRY_BATCH 100             /* messages per transaction at most */
#define RETRY_BATCH_BYTES (8 << 20) /* payload bytes held per transaction at most */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: collector rejects -c CONFIG [--reason R] [--since TIME] [--json]\n"
            "       collector rejects retry -c CONFIG [--reason R] [--since TIME]\n\n"
            "Lists the rejected messages the database keeps (storage.retention bounds\n"
            "them): receive time, reason, payload size, topic and detail; with --json\n"
            "one object per line with the payload as text when it is UTF-8, else as\n"
            "payload_base64. `retry` ingests them again exactly as the daemon would now\n"
            "(e.g. after the gateway clock was fixed): a message that is accepted leaves\n"
            "the table, the others stay with their new reason; it prints how many were\n"
            "stored and how many stay. Safe while the daemon runs.\n\n"
            "--reason R    only messages with a reject of reason R (timestamp_future, ...)\n"
            "--since TIME  only messages received at or after TIME: a local date or time\n"
            "              in the gateway's time zone, ISO 8601 with offset, or epoch seconds\n");
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

struct list_ctx {
    bool is_json;
    long n;
};

static int print_json(const struct store_reject_row *r)
{
    cJSON *o = cJSON_CreateObject();
    char t[64], *text = NULL, *b64 = NULL;
    int rc = COL_ERR_NOMEM;

    if (!o)
        return rc;
    cal_format_time(r->received_ms, t, sizeof(t));
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddStringToObject(o, "received", t);
    cJSON_AddNumberToObject(o, "received_ms", (double)r->received_ms);
    if (r->topic)
        cJSON_AddStringToObject(o, "topic", r->topic);
    else
        cJSON_AddNullToObject(o, "topic");
    cJSON_AddStringToObject(o, "reason", or_empty(r->reason));
    cJSON_AddStringToObject(o, "detail", or_empty(r->detail));
    if (r->msg_id)
        cJSON_AddNumberToObject(o, "message", (double)r->msg_id);
    if (r->size >= 0)
        cJSON_AddNumberToObject(o, "size", (double)r->size);
    else
        cJSON_AddNullToObject(o, "size");
    cJSON_AddNumberToObject(o, "kept", (double)r->len);
    cJSON_AddBoolToObject(o, "retryable", r->is_retryable);
    if (r->payload && utf8_valid(r->payload, r->len) && !memchr(r->payload, '\0', r->len)) {
        char *p = xmalloc(r->len + 1);
        if (!p)
            goto out;
        memcpy(p, r->payload, r->len);
        p[r->len] = '\0';
        cJSON_AddStringToObject(o, "payload", p);
        xfree(p);
    } else if (r->payload) {
        b64 = xmalloc(4 * ((r->len + 2) / 3) + 1);
        if (!b64)
            goto out;
        EVP_EncodeBlock((unsigned char *)b64, r->payload, (int)r->len);
        cJSON_AddStringToObject(o, "payload_base64", b64);
    } else {
        cJSON_AddNullToObject(o, "payload");
    }
    text = cJSON_PrintUnformatted(o);
    if (text) {
        printf("%s\n", text);
        rc = 0;
    }
out:
    cJSON_free(text);
    xfree(b64);
    cJSON_Delete(o);
    return rc;
}

static int print_row(void *ud, const struct store_reject_row *r)
{
    struct list_ctx *lc = ud;
    char t[64], size[32];

    lc->n++;
    if (lc->is_json)
        return print_json(r) ? 1 : 0;
    if (lc->n == 1)
        printf("%-7s %-25s %-20s %9s  %s\n", "id", "received", "reason", "bytes", "topic: detail");
    cal_format_time(r->received_ms, t, sizeof(t));
    if (r->size >= 0)
        snprintf(size, sizeof(size), "%lld", (long long)r->size);
    else
        snprintf(size, sizeof(size), "%zu?", r->len);
    printf("%-7lld %-25s %-20s %9s  %s: %s\n", (long long)r->id, t, or_empty(r->reason), size,
           r->topic ? r->topic : "-", or_empty(r->detail));
    return 0;
}

static int list(struct store *st, const struct store_reject_filter *f, bool is_json)
{
    struct list_ctx lc = {is_json, 0};
    int rc = store_rejects_each(st, f, print_row, &lc);

    if (rc == 0 && !is_json && lc.n == 0)
        printf("no rejected messages kept%s\n", f->reason || f->since_ms ? " that match" : "");
    return rc;
}

/* Messages of one retry batch, copied out of the statement that read them. */
struct batch {
    struct ingest_retry_msg msg[RETRY_BATCH];
    bool is_retryable[RETRY_BATCH];
    int n;
    size_t bytes;
    int64_t last_id;
};

static int collect(void *ud, const struct store_reject_row *r)
{
    struct batch *b = ud;
    struct ingest_retry_msg *m = &b->msg[b->n];
    char *topic = r->topic ? xstrdup(r->topic) : NULL;
    void *payload = xmalloc(r->len ? r->len : 1);

    if ((r->topic && !topic) || !payload) {
        xfree(topic);
        xfree(payload);
        return -1;
    }
    if (r->len)
        memcpy(payload, r->payload, r->len);
    *m = (struct ingest_retry_msg){r->id, r->received_ms, topic, payload, r->len};
    b->is_retryable[b->n] = r->is_retryable && topic;
    b->n++;
    b->bytes += r->len;
    b->last_id = r->id;
    return b->n == RETRY_BATCH || b->bytes >= RETRY_BATCH_BYTES;
}

static void batch_clear(struct batch *b)
{
    for (int i = 0; i < b->n; i++) {
        xfree((char *)b->msg[i].topic);
        xfree((void *)b->msg[i].payload);
    }
    b->n = 0;
    b->bytes = 0;
}

struct retry_counts {
    long n_stored, n_rejected, n_not_retryable;
};

/*
 * Retry the messages after @f->after_id, a batch per transaction. The
 * batch is read inside its transaction, so the daemon's pruning cannot
 * remove a message between reading and retrying it. 0 or a COL_ERR_*.
 */
static int retry(struct ingest *ig, struct store *st, struct store_reject_filter f,
                 struct retry_counts *out)
{
    struct batch *b = xcalloc(1, sizeof(*b));
    int rc = 0;

    if (!b)
        return COL_ERR_NOMEM;
    f.only_messages = true;
    for (;;) {
        long n_stored = 0, n_rejected = 0, n_skipped = 0;

        rc = ingest_begin(ig);
        if (rc)
            break;
        b->last_id = f.after_id;
        rc = store_rejects_each(st, &f, collect, b);
        if (rc == 0 && b->n == 0) {
            ingest_rollback(ig);
            break;
        }
        for (int i = 0; rc == 0 && i < b->n; i++) {
            bool is_accepted = false;
            if (!b->is_retryable[i]) {
                n_skipped++;
                continue;
            }
            rc = ingest_retry(ig, &b->msg[i], wall_ms(), &is_accepted);
            if (rc == 0 && is_accepted)
                n_stored++;
            else if (rc == 0)
                n_rejected++;
        }
        if (rc) {
            ingest_rollback(ig);
            break;
        }
        rc = ingest_commit(ig);
        if (rc)
            break;
        out->n_stored += n_stored;
        out->n_rejected += n_rejected;
        out->n_not_retryable += n_skipped;
        f.after_id = b->last_id;
        batch_clear(b);
    }
    batch_clear(b);
    xfree(b);
    if (rc == 0)
        rc = ingest_flush(ig);
    return rc;
}

static void print_error(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "collector rejects: %s\n", msg);
}

static int run_retry(const struct config *cfg, const struct store_reject_filter *f)
{
    struct diag d = {print_error, NULL, 0};
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;
    const struct snapshot *snap;
    struct retry_counts n = {0};
    struct ingest *ig = NULL;
    struct store *st = NULL;
    struct stat sb;
    char err[512];
    int rc = EXIT_RUNTIME;

    if (devices_load(cfg, &d, &ps, &reg))
        return EXIT_USAGE;
    snap = snapshot_of(ps, reg, NULL); /* a retry evaluates no rules */
    if (!snap)
        return EXIT_RUNTIME;
    /* A retry writes, but a database it would have to create has nothing to retry. */
    if (stat(cfg->storage.path, &sb) != 0) {
        fprintf(stderr, "collector rejects: no database at %s: %s\n", cfg->storage.path,
                strerror(errno));
        goto out;
    }
    st = store_open(&cfg->storage, false, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector rejects: %s\n", err);
        goto out;
    }
    ig = ingest_new(cfg, st, snap);
    if (!ig)
        goto out;
    if (retry(ig, st, *f, &n)) {
        fprintf(stderr, "collector rejects: retry stopped by a database error; the batches "
                        "before it are stored\n");
    } else {
        rc = EXIT_OK;
    }
    printf("%ld stored, %ld stay rejected", n.n_stored, n.n_rejected + n.n_not_retryable);
    if (n.n_not_retryable)
        printf(" (%ld cannot be retried: raw packets or payloads kept before they were kept "
               "whole)",
               n.n_not_retryable);
    printf("\n");
out:
    ingest_free(ig);
    store_close(st);
    snapshot_release(snap);
    return rc;
}

int cli_rejects(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"reason", required_argument, NULL, 'r'},
        {"since", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {0},
    };
    struct store_reject_filter f = {0};
    struct cli_common cc = {0};
    const char *since = NULL;
    struct config *cfg;
    struct store *st;
    bool is_json = false, is_retry;
    char err[512];
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'r':
            f.reason = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'j':
            is_json = true;
            break;
        default:
            if (cli_common_opt(&cc, opt, optarg)) {
                usage(stderr);
                return EXIT_USAGE;
            }
        }
    }
    is_retry = optind < argc && strcmp(argv[optind], "retry") == 0;
    if (optind + (is_retry ? 1 : 0) != argc || (is_retry && is_json)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "rejects");
    if (!cfg)
        return EXIT_USAGE;
    if (cli_time_arg("rejects", "--since", since, &f.since_ms)) {
        config_free(cfg);
        return EXIT_USAGE;
    }
    if (is_retry) {
        rc = run_retry(cfg, &f);
        config_free(cfg);
        return rc;
    }
    st = store_open_readonly(&cfg->storage, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector rejects: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    rc = list(st, &f, is_json) ? EXIT_RUNTIME : EXIT_OK;
    store_close(st);
    config_free(cfg);
    return rc;
}
