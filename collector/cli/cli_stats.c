/*
 * `collector stats`: the ingest counters as stored in the database, so the
 * numbers are the committed truth and can be read while the daemon runs
 * (WAL readers never block the writer). Never prints configuration secrets.
 */
#include "cli.h"
#include "core/config.h"
#include "alerts/notify.h"
#include "store/store.h"
#include "upload/upload.h"
#include "core/calendar.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define STATS_MAX_CHANNELS 64

struct delivery {
    size_t n;
    struct notify_stat v[STATS_MAX_CHANNELS];
};

static void print_upload_text(const struct upload_stats *u)
{
    char last[64] = "-";

    if (!u->is_enabled && !u->done_days) {
        printf("upload              off (upload.url not set)\n");
        return;
    }
    if (u->last_success_ms)
        cal_format_time(u->last_success_ms, last, sizeof(last));
    printf("upload              %lld days delivered (%lld sent again), %lld pending, %lld failed, "
           "%lld configuration errors\n",
           (long long)u->done_days, (long long)u->revisions, (long long)u->pending_days,
           (long long)u->failed_days, (long long)u->config_error_days);
    printf("  last success      %s\n", last);
    if (u->failing_days)
        printf("  FAILING           %lld days not delivered\n", (long long)u->failing_days);
    if (u->last_error[0])
        printf("  last error        %s\n", u->last_error);
    if (u->is_disk_low)
        printf("  DISK LOW          %.1f MiB left for the database\n",
               (double)u->disk_room / 1048576.0);
    if (u->emergency_pruned_days)
        printf("  dropped early     raw data of %lld delivered days (disk full)\n",
               (long long)u->emergency_pruned_days);
}

static cJSON *upload_json(const struct upload_stats *u)
{
    cJSON *o = cJSON_CreateObject();
    char t[64];

    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "enabled", u->is_enabled);
    cJSON_AddNumberToObject(o, "done_days", (double)u->done_days);
    cJSON_AddNumberToObject(o, "pending_days", (double)u->pending_days);
    cJSON_AddNumberToObject(o, "failed_days", (double)u->failed_days);
    cJSON_AddNumberToObject(o, "config_error_days", (double)u->config_error_days);
    cJSON_AddNumberToObject(o, "failing_days", (double)u->failing_days);
    cJSON_AddNumberToObject(o, "revised_days", (double)u->revisions);
    cJSON_AddNumberToObject(o, "bytes_delivered", (double)u->bytes_sent);
    if (u->last_success_ms) {
        cal_format_time(u->last_success_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "last_success", t);
    } else {
        cJSON_AddNullToObject(o, "last_success");
    }
    if (u->last_error[0])
        cJSON_AddStringToObject(o, "last_error", u->last_error);
    else
        cJSON_AddNullToObject(o, "last_error");
    cJSON_AddNumberToObject(o, "disk_room_bytes", (double)u->disk_room);
    cJSON_AddBoolToObject(o, "disk_low", u->is_disk_low);
    cJSON_AddNumberToObject(o, "emergency_pruned_days", (double)u->emergency_pruned_days);
    return o;
}

/* gateway_clock_suspect's facts (docs/alerts.md). */
static void print_clock_text(const struct store_clock *c)
{
    char since[64], checked[64];

    if (c->verdict < 0) {
        printf("gateway clock       not compared with the devices' yet\n");
        return;
    }
    cal_format_time(c->since_ms, since, sizeof(since));
    cal_format_time(c->checked_ms, checked, sizeof(checked));
    if (c->verdict)
        printf("gateway clock       SUSPECT since %s: of %lld devices %lld ahead, %lld behind "
               "(median skew %lld s); fix the clock, then `collector rejects retry`\n",
               since, (long long)c->n_devices, (long long)c->n_ahead, (long long)c->n_behind,
               (long long)(c->skew_ms / 1000));
    else
        printf("gateway clock       agrees with its devices (checked %s: %lld devices, median "
               "skew %lld s)\n",
               checked, (long long)c->n_devices, (long long)(c->skew_ms / 1000));
}

static cJSON *clock_json(const struct store_clock *c)
{
    cJSON *o = cJSON_CreateObject();
    char t[64];

    if (!o)
        return NULL;
    if (c->verdict < 0) {
        cJSON_AddNullToObject(o, "suspect");
        return o;
    }
    cJSON_AddBoolToObject(o, "suspect", c->verdict == 1);
    cal_format_time(c->since_ms, t, sizeof(t));
    cJSON_AddStringToObject(o, "since", t);
    cal_format_time(c->checked_ms, t, sizeof(t));
    cJSON_AddStringToObject(o, "checked", t);
    cJSON_AddNumberToObject(o, "devices", (double)c->n_devices);
    cJSON_AddNumberToObject(o, "ahead", (double)c->n_ahead);
    cJSON_AddNumberToObject(o, "behind", (double)c->n_behind);
    cJSON_AddNumberToObject(o, "skew_ms", (double)c->skew_ms);
    return o;
}

static void print_text(const struct config *cfg, const struct store_stats *s,
                       const struct delivery *dl)
{
    char first[64] = "-", last[64] = "-";

    if (s->first_received_ms)
        cal_format_time(s->first_received_ms, first, sizeof(first));
    if (s->last_received_ms)
        cal_format_time(s->last_received_ms, last, sizeof(last));
    printf("gateway             %s\n", cfg->gateway.id);
    printf("database            %s (%.1f MiB)\n", cfg->storage.path,
           (double)s->db_bytes / (1024.0 * 1024.0));
    printf("received            %lld\n", (long long)s->received);
    printf("stored messages     %lld\n", (long long)s->stored_messages);
    printf("stored readings     %lld\n", (long long)s->stored_readings);
    printf("duplicates          %lld messages (%lld readings)\n", (long long)s->duplicates,
           (long long)s->duplicate_readings);
    printf("corrections         %lld readings (%lld messages only corrected)\n",
           (long long)s->corrections, (long long)s->corrected_messages);
    printf("unknown fields      %lld (ignored)\n", (long long)s->unknown_fields);
    printf("rejected            %lld (%lld kept in the rejects table, %.1f MiB of payloads)\n",
           (long long)s->rejected_total, (long long)s->n_rejects_kept,
           (double)s->reject_bytes / (1024.0 * 1024.0));
    for (size_t i = 0; i < s->n_reasons; i++)
        printf("  %-17s %lld\n", s->reasons[i].reason, (long long)s->reasons[i].n);
    if (s->n_notes)
        printf("noted               (accepted by a leniency, or counted, not stored)\n");
    for (size_t i = 0; i < s->n_notes; i++)
        printf("  %-24s %lld\n", s->notes[i].reason, (long long)s->notes[i].n);
    printf("devices             %lld\n", (long long)s->n_devices);
    printf("qos downgrades      %lld%s\n", (long long)s->qos_downgrades,
           s->qos_downgrades ? " (subscriptions granted below the QoS asked for: see the log)"
                             : "");
    printf("sessions lost       %lld%s\n", (long long)s->sessions_lost,
           s->sessions_lost ? " (reconnects that found no session: queued messages may be gone)"
                            : "");
    print_clock_text(&s->clock);
    printf("rollup pending      %lld device-hours\n", (long long)s->rollup_pending);
    printf("first message       %s\n", first);
    printf("last message        %s\n", last);
    if (dl->n == 0)
        printf("delivery            no alert notifications yet\n");
    for (size_t i = 0; i < dl->n; i++)
        printf("delivery %-10s %lld delivered, %lld pending, %lld failed attempts, %lld expired\n",
               dl->v[i].channel, (long long)dl->v[i].delivered, (long long)dl->v[i].pending,
               (long long)dl->v[i].failed_attempts, (long long)dl->v[i].expired);
}

static int print_json(const struct config *cfg, const struct store_stats *s,
                      const struct delivery *dl, const struct upload_stats *us)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *rej = cJSON_CreateObject();
    cJSON *del;
    char t[64];
    char *text;

    if (!o || !rej) {
        cJSON_Delete(o);
        cJSON_Delete(rej);
        return EXIT_RUNTIME;
    }
    cJSON_AddStringToObject(o, "gateway", cfg->gateway.id);
    cJSON_AddNumberToObject(o, "received", (double)s->received);
    cJSON_AddNumberToObject(o, "stored_messages", (double)s->stored_messages);
    cJSON_AddNumberToObject(o, "stored_readings", (double)s->stored_readings);
    cJSON_AddNumberToObject(o, "duplicates", (double)s->duplicates);
    cJSON_AddNumberToObject(o, "duplicate_readings", (double)s->duplicate_readings);
    cJSON_AddNumberToObject(o, "unknown_fields", (double)s->unknown_fields);
    cJSON_AddNumberToObject(o, "corrections", (double)s->corrections);
    cJSON_AddNumberToObject(o, "corrected_messages", (double)s->corrected_messages);
    cJSON_AddNumberToObject(o, "qos_downgrades", (double)s->qos_downgrades);
    cJSON_AddNumberToObject(o, "sessions_lost", (double)s->sessions_lost);
    cJSON_AddNumberToObject(o, "rejected_total", (double)s->rejected_total);
    for (size_t i = 0; i < s->n_reasons; i++)
        cJSON_AddNumberToObject(rej, s->reasons[i].reason, (double)s->reasons[i].n);
    cJSON_AddItemToObject(o, "rejected", rej);
    {
        cJSON *notes = cJSON_AddObjectToObject(o, "notes");

        for (size_t i = 0; notes && i < s->n_notes; i++)
            cJSON_AddNumberToObject(notes, s->notes[i].reason, (double)s->notes[i].n);
    }
    cJSON_AddNumberToObject(o, "rejects_kept", (double)s->n_rejects_kept);
    cJSON_AddNumberToObject(o, "rejects_kept_bytes", (double)s->reject_bytes);
    cJSON_AddItemToObject(o, "gateway_clock", clock_json(&s->clock));
    cJSON_AddNumberToObject(o, "devices", (double)s->n_devices);
    cJSON_AddNumberToObject(o, "rollup_pending", (double)s->rollup_pending);
    if (s->first_received_ms) {
        cal_format_time(s->first_received_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "first_message", t);
    } else {
        cJSON_AddNullToObject(o, "first_message");
    }
    if (s->last_received_ms) {
        cal_format_time(s->last_received_ms, t, sizeof(t));
        cJSON_AddStringToObject(o, "last_message", t);
    } else {
        cJSON_AddNullToObject(o, "last_message");
    }
    cJSON_AddNumberToObject(o, "database_bytes", (double)s->db_bytes);
    cJSON_AddItemToObject(o, "upload", upload_json(us));
    del = cJSON_AddObjectToObject(o, "delivery");
    for (size_t i = 0; del && i < dl->n; i++) {
        cJSON *c = cJSON_AddObjectToObject(del, dl->v[i].channel);
        cJSON_AddNumberToObject(c, "delivered", (double)dl->v[i].delivered);
        cJSON_AddNumberToObject(c, "failed_attempts", (double)dl->v[i].failed_attempts);
        cJSON_AddNumberToObject(c, "expired", (double)dl->v[i].expired);
        cJSON_AddNumberToObject(c, "pending", (double)dl->v[i].pending);
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return EXIT_RUNTIME;
    printf("%s\n", text);
    cJSON_free(text);
    return EXIT_OK;
}

int cli_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"json", no_argument, NULL, 'j'},
        {0},
    };
    struct cli_common cc = {0};
    struct config *cfg;
    struct store *st;
    struct store_stats s;
    struct delivery dl = {0};
    struct upload_stats us;
    bool json = false;
    char err[512];
    int opt, rc = EXIT_RUNTIME;

    while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: collector stats -c CONFIG [--json]\n\n"
                   "Counters read from the database: received, stored messages and readings,\n"
                   "duplicates, corrections, rejected by reason, subscriptions granted below\n"
                   "the QoS asked for, sessions lost, whether the gateway clock agrees with\n"
                   "the devices', first and last message, database size,\n"
                   "alert delivery per channel (delivered, pending, failed attempts,\n"
                   "expired), and the upload ledger (days delivered, pending, failing).\n");
            return EXIT_OK;
        }
        if (opt == 'j') {
            json = true;
            continue;
        }
        if (cli_common_opt(&cc, opt, optarg))
            return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "stats");
    if (!cfg)
        return EXIT_USAGE;
    st = store_open_readonly(&cfg->storage, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "collector stats: %s\n", err);
        config_free(cfg);
        return EXIT_RUNTIME;
    }
    if (store_stats_read(st, &s) == 0 &&
        notify_stats_read(st, dl.v, STATS_MAX_CHANNELS, &dl.n) == 0 &&
        upload_stats_read(cfg, st, &us) == 0) {
        if (json)
            rc = print_json(cfg, &s, &dl, &us);
        else {
            print_text(cfg, &s, &dl);
            print_upload_text(&us);
            rc = EXIT_OK;
        }
    }
    store_close(st);
    config_free(cfg);
    return rc;
}
