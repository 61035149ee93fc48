/*
 * `collector decode`: show how a payload would be ingested, without writing
 * anything and without opening the database. It loads the configuration,
 * profiles and registry as the daemon does (core/snapshot.h) and runs
 * the rules ingest runs (devices/assess.h: the message rules, the device
 * rules, each value's mapping, conversion, range and time), so what it
 * prints is what ingest decides. What only the database knows is said
 * rather than guessed: a device outside the registry may already have
 * registered itself, and a value may be a duplicate or a correction.
 * Without --topic (or when no profile matches it) the format's decoder
 * alone is run and its values shown as the payload names them.
 */
#include "cli.h"
#include "col_err.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/snapshot.h"
#include "assess.h"
#include "decode.h"
#include "diag.h"
#include "hj212.h"
#include "profile.h"
#include "registry.h"
#include "xalloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define DECODE_MAX_DEVICES 16 /* distinct devices of one pack shown with their verdict */

struct out {
    bool is_json;
    int n_rejects; /* rejects the message would put in the rejects table */
};

/* What ingest would do with one device of the message. */
struct dev_verdict {
    const char *name;
    const struct profile *profile; /* the profile its values are read with */
    const char *site;              /* "" when unknown */
    const char *how;               /* "registry", "auto-registration" */
    bool is_rejected;
    char detail[ASSESS_DETAIL_MAX];
};

static void print_error(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s\n", msg);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: collector decode -c CONFIG [--set section.key=value ...] [--topic T]\n"
                 "                        [--format auto|json|senml|hj212] [--json] FILE|-\n\n"
                 "Shows how the payload in FILE (- for standard input) would be ingested if it\n"
                 "arrived on topic T, without writing anything: the matching profile, device and\n"
                 "site, each field -> metric with its value after unit conversion, its time (UTC\n"
                 "and gateway time), flag and range verdict, or the reject reason and detail.\n"
                 "Without --topic, or when no profile matches T, it shows what the format's\n"
                 "decoder alone finds (HJ 212 checksums of every mode are then accepted, and\n"
                 "the mode found is named). --format reads the payload with that decoder\n"
                 "instead of the profile's (default: the profile's, else auto). On the HJ 212\n"
                 "listener's topics (hj212/ST/MN) a command that carries no data (2081, 1013,\n"
                 "9011-9014, parameter commands) is shown with the answer the listener gives.\n\n"
                 "--json prints one object per value: device, metric (name without a profile),\n"
                 "value, unit, ts (UTC ms), flag, verdict (store, unmapped, empty, unstorable,\n"
                 "reject, with reject and detail); a message rejected as a whole is one\n"
                 "{\"reject\": reason, \"detail\": ...}.\n\n"
                 "Exit 0 when the payload would be accepted, 1 when it or one of its values\n"
                 "would be rejected, 2 for bad usage or an invalid configuration.\n");
}

/* Read all of @path ("-": standard input) into *@buf; 0 or COL_ERR_IO / COL_ERR_NOMEM. */
static int read_payload(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *b = NULL;
    int rc = COL_ERR_NOMEM;

    *buf = NULL;
    *len = 0;
    if (!f) {
        fprintf(stderr, "collector decode: cannot open %s: %s\n", path, strerror(errno));
        return COL_ERR_IO;
    }
    b = xmalloc(cap + 1);
    while (b) {
        size_t r;

        if (n == cap) {
            char *nb = xrealloc(b, 2 * cap + 1);

            if (!nb)
                break;
            b = nb;
            cap *= 2;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            rc = ferror(f) ? COL_ERR_IO : 0;
            break;
        }
    }
    if (rc == COL_ERR_IO)
        fprintf(stderr, "collector decode: cannot read %s\n", path);
    if (f != stdin)
        fclose(f);
    if (rc || !b) {
        xfree(b);
        return rc ? rc : COL_ERR_NOMEM;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

static void print_json(cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);

    if (text)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(o);
}

/* A message rejected as a whole. */
static void show_reject(struct out *o, const char *reason, const char *detail)
{
    o->n_rejects++;
    if (o->is_json) {
        cJSON *j = cJSON_CreateObject();

        cJSON_AddStringToObject(j, "reject", reason);
        cJSON_AddStringToObject(j, "detail", detail);
        print_json(j);
        return;
    }
    printf("reject    %s: %s\n", reason, detail);
}

/* The raw value of @f as JSON. */
static void json_raw_value(cJSON *j, const struct dec_field *f)
{
    switch (f->kind) {
    case DEC_NUM:
        cJSON_AddNumberToObject(j, "value", f->num);
        break;
    case DEC_BOOL:
        cJSON_AddBoolToObject(j, "value", f->num != 0);
        break;
    case DEC_STR:
    case DEC_DATA:
        cJSON_AddStringToObject(j, "value", f->str);
        break;
    default:
        cJSON_AddNullToObject(j, "value");
        break;
    }
}

/* The raw value of @f as text. */
static void text_raw_value(const struct dec_field *f, char *out, size_t sz)
{
    switch (f->kind) {
    case DEC_NUM:
        (void)snprintf(out, sz, "%.10g", f->num);
        break;
    case DEC_BOOL:
        (void)snprintf(out, sz, "%s", f->num != 0 ? "true" : "false");
        break;
    case DEC_STR:
        (void)snprintf(out, sz, "\"%s\"", f->str);
        break;
    case DEC_DATA:
        (void)snprintf(out, sz, "data \"%s\"", f->str);
        break;
    default:
        (void)snprintf(out, sz, "null");
        break;
    }
}

static void json_time(cJSON *j, int64_t ts_ms)
{
    if (ts_ms)
        cJSON_AddNumberToObject(j, "ts", (double)ts_ms);
    else
        cJSON_AddNullToObject(j, "ts");
}

static void json_flag(cJSON *j, char flag)
{
    char s[2] = {flag, '\0'};

    if (flag)
        cJSON_AddStringToObject(j, "flag", s);
    else
        cJSON_AddNullToObject(j, "flag");
}

/* "2024-11-25T23:00:00Z (2024-11-26T07:00:00+08:00)", or "none". */
static void text_time(int64_t ts_ms, char *out, size_t sz)
{
    char utc[40], local[48];

    if (!ts_ms) {
        (void)snprintf(out, sz, "none");
        return;
    }
    cal_format_utc(ts_ms, utc, sizeof(utc));
    cal_format_time(ts_ms, local, sizeof(local));
    (void)snprintf(out, sz, "%s (%s)", utc, local);
}

static void text_notes(unsigned notes)
{
    if (!notes)
        return;
    printf("notes    ");
    for (unsigned bit = 1; bit < (1u << DEC_NOTE_COUNT); bit <<= 1)
        if ((notes & bit) && decode_note_name(bit))
            printf(" %s", decode_note_name(bit));
    printf("  (accepted by a leniency; counted, see docs/devices.md)\n");
}

/* Without a profile: what the decoder alone finds. Returns the exit code. */
static int decoder_alone(struct out *o, const struct decoder *dec, const char *buf, size_t len,
                         int64_t now_ms, struct dec_field *fields, size_t max)
{
    struct dec_opts opts = {.utc_offset_s = DEC_HJ212_UTC_OFFSET_S, .now_ms = now_ms};
    struct dec_error err;
    struct dec_msg msg;
    char detail[ASSESS_DETAIL_MAX], v[DEC_STR_MAX + 16], t[96];
    int n;

    opts.crc = DEC_CRC_ANY; /* which mode the device uses is what the operator wants to learn */
    n = dec->decode(&opts, buf, len, &msg, fields, max, &err);
    if (n < 0) {
        (void)snprintf(detail, sizeof(detail), "%s decoder: %s", dec->name, err.detail);
        show_reject(o, assess_decode_reason(n), detail);
        return EXIT_RUNTIME;
    }
    if (!o->is_json) {
        printf("decoder   %s (the format's decoder alone, no profile)\n", dec->name);
        printf("device    %s\n", msg.device[0] ? msg.device : "(not named by the payload)");
        text_time(msg.ts_ms, t, sizeof(t));
        printf("time      %s\n", t);
        text_notes(msg.notes);
        printf("values    %d\n", n);
    }
    for (int i = 0; i < n; i++) {
        const struct dec_field *f = &fields[i];
        const char *device = f->device[0] ? f->device : msg.device;
        int64_t ts = f->ts_ms ? f->ts_ms : msg.ts_ms;
        char label[DEC_NAME_MAX + DEC_UNIT_MAX + 2];

        assess_label(f, label, sizeof(label));
        if (o->is_json) {
            cJSON *j = cJSON_CreateObject();

            cJSON_AddStringToObject(j, "device", device);
            cJSON_AddStringToObject(j, "name", label);
            json_raw_value(j, f);
            cJSON_AddStringToObject(j, "unit", f->unit);
            json_time(j, ts);
            json_flag(j, f->flag);
            print_json(j);
            continue;
        }
        text_raw_value(f, v, sizeof(v));
        text_time(ts, t, sizeof(t));
        printf("  %s%s%s = %s%s%s  at %s", device, device[0] ? " " : "", label, v,
               f->unit[0] ? " " : "", f->unit, t);
        if (f->flag)
            printf("  flag %c", f->flag);
        putchar('\n');
    }
    return EXIT_OK;
}

/*
 * The device rules for @name as ingest applies them, minus the database:
 * the registry decides; otherwise the devices.unknown policy.
 */
static void judge_device(const struct config *cfg, const struct registry *reg,
                         const struct assess_msg *a, const char *name, struct dev_verdict *dv)
{
    const struct reg_device *rd = name[0] ? registry_device(reg, name) : NULL;

    memset(dv, 0, sizeof(*dv));
    dv->name = name;
    if (rd) {
        dv->profile = rd->profile;
        dv->site = rd->site_id;
        dv->how = "registry";
        return;
    }
    dv->profile = a->profile;
    dv->site = a->site;
    dv->how = "auto-registration";
    dv->is_rejected = assess_unknown_device(name, a->site, cfg->devices.unknown == UNKNOWN_REGISTER,
                                            dv->detail, sizeof(dv->detail)) != 0;
}

static void show_device(const struct out *o, const struct dev_verdict *dv)
{
    if (o->is_json)
        return;
    if (dv->is_rejected) {
        printf("device    %s: rejected\n", dv->name[0] ? dv->name : "(none)");
        if (dv->name[0])
            printf("          (unless the database already knows it: decode reads no database)\n");
        return;
    }
    if (strcmp(dv->how, "registry") == 0)
        printf("device    %s (registry: site %s, profile %s)\n", dv->name, dv->site,
               dv->profile->name);
    else
        printf("device    %s (not in the registry: registered at site %s on its first message,\n"
               "          unless the database already knows it)\n",
               dv->name, dv->site);
}

/* "in range [0, 2000]", "no range". */
static void range_text(const struct profile_field *pf, char *out, size_t sz)
{
    char lo[32] = "-inf", hi[32] = "inf";

    if (!pf->has_min && !pf->has_max) {
        (void)snprintf(out, sz, "no range");
        return;
    }
    if (pf->has_min)
        (void)snprintf(lo, sizeof(lo), "%g", pf->min);
    if (pf->has_max)
        (void)snprintf(hi, sizeof(hi), "%g", pf->max);
    (void)snprintf(out, sz, "in range [%s, %s]", lo, hi);
}

static const char *verdict_name(enum assess_verdict v)
{
    switch (v) {
    case ASSESS_STORE:
        return "store";
    case ASSESS_UNMAPPED:
        return "unmapped";
    case ASSESS_EMPTY:
        return "empty";
    case ASSESS_UNSTORABLE:
        return "unstorable";
    default:
        return "reject";
    }
}

/* One value of a device that is not rejected, as ingest would assess it. */
static void show_value(struct out *o, const struct dev_verdict *dv, const struct dec_field *f,
                       const struct assessment *as)
{
    char label[DEC_NAME_MAX + DEC_UNIT_MAX + 2], v[DEC_STR_MAX + 16], t[96], range[96];
    const struct profile_field *pf = as->pf;
    bool has_value = as->verdict == ASSESS_STORE ||
                     (as->verdict == ASSESS_REJECT && strcmp(as->reason, "out_of_range") == 0) ||
                     (as->verdict == ASSESS_REJECT && strncmp(as->reason, "timestamp_", 10) == 0);

    assess_label(f, label, sizeof(label));
    if (as->verdict == ASSESS_REJECT)
        o->n_rejects++;
    if (o->is_json) {
        cJSON *j = cJSON_CreateObject();

        cJSON_AddStringToObject(j, "device", dv->name);
        if (pf)
            cJSON_AddStringToObject(j, "metric", pf->metric);
        else
            cJSON_AddNullToObject(j, "metric");
        cJSON_AddStringToObject(j, "name", label);
        if (has_value)
            cJSON_AddNumberToObject(j, "value", as->value);
        else
            json_raw_value(j, f);
        cJSON_AddStringToObject(j, "unit", pf ? pf->unit : f->unit);
        json_time(j, as->ts_ms);
        json_flag(j, f->flag);
        cJSON_AddStringToObject(j, "verdict", verdict_name(as->verdict));
        if (as->verdict == ASSESS_REJECT) {
            cJSON_AddStringToObject(j, "reject", as->reason);
            cJSON_AddStringToObject(j, "detail", as->detail);
        }
        print_json(j);
        return;
    }
    text_time(as->ts_ms, t, sizeof(t));
    if (!pf) {
        text_raw_value(f, v, sizeof(v));
        printf("  %-14s -> (no field of profile %s maps it: ignored, counted as unknown_fields)"
               " %s\n",
               label, dv->profile->name, v);
        return;
    }
    if (has_value)
        (void)snprintf(v, sizeof(v), "%.10g", as->value);
    else
        text_raw_value(f, v, sizeof(v));
    printf("  %-14s -> %s = %s %s  at %s", label, pf->metric, v, pf->unit, t);
    if (f->flag)
        printf("  flag %c", f->flag);
    switch (as->verdict) {
    case ASSESS_STORE:
        range_text(pf, range, sizeof(range));
        printf("  %s: store\n", range);
        break;
    case ASSESS_EMPTY:
        printf("  no value this time: nothing stored\n");
        break;
    case ASSESS_UNSTORABLE:
        printf("  a kind the store cannot hold: counted as unstorable_values\n");
        break;
    default:
        printf("\n                    reject %s: %s\n", as->reason, as->detail);
        break;
    }
}

/*
 * An HJ 212 packet on the TCP listener's topics ("hj212/...") whose CN
 * carries no data: the listener counts it, answers it or not
 * (hj212_build_reply), and never rejects it. Returns 1 when @buf is such
 * a packet with the checksum of the topic's profile (shown), else 0: it
 * goes through ingest's rules like any other (and a bad checksum is
 * rejected there).
 */
static int show_command(struct out *o, const struct profile_set *ps, const char *topic,
                        const char *buf, size_t len)
{
    const struct profile *p = profile_set_match(ps, topic, NULL, 0, NULL, 0);
    char reply[HJ212_PACKET_MAX + 1];
    struct hj212_header h;
    struct dec_error err;
    const char *seg, *name;
    size_t seg_len;
    enum hj212_cmd_class cls;
    int n;

    if (strncmp(topic, "hj212/", 6) != 0 ||
        hj212_unframe_mode(buf, len, p ? p->hj212_crc : DEC_CRC_HJ212, &seg, &seg_len, NULL, &err) <
            0 ||
        hj212_parse_header(seg, seg_len, &h, &err) < 0)
        return 0;
    cls = hj212_cmd_classify(h.cn);
    if (cls == HJ212_CMD_DATA) {
        if (h.pnum > 0 && !o->is_json)
            printf("split     part PNO=%d of PNUM=%d: the TCP listener holds it until every part\n"
                   "          has come and stores them as one message; below, this part alone\n",
                   h.pno, h.pnum);
        return 0;
    }
    name = hj212_cmd_class_name(cls);
    n = hj212_build_reply(&h, reply, sizeof(reply));
    if (o->is_json) {
        cJSON *j = cJSON_CreateObject();

        cJSON_AddStringToObject(j, "device", h.mn);
        cJSON_AddNumberToObject(j, "command", h.cn);
        cJSON_AddStringToObject(j, "note", name);
        if (n > 0) {
            while (n > 0 && (reply[n - 1] == '\r' || reply[n - 1] == '\n'))
                reply[--n] = '\0';
            cJSON_AddStringToObject(j, "reply", reply);
        } else {
            cJSON_AddNullToObject(j, "reply");
        }
        print_json(j);
        return 1;
    }
    printf("topic     %s\n", topic);
    printf("command   CN=%04d from %s: carries no data; the TCP listener counts it as %s\n", h.cn,
           h.mn[0] ? h.mn : "(no MN)", name);
    if (n > 0)
        printf("reply     %.*s  (after the batch's commit)\n", n - 2, reply);
    else
        printf("reply     none (%s)\n",
               cls == HJ212_CMD_REPLY ? "a reply is never answered" : "no answer asked for");
    printf("result    accepted: never a reject (over MQTT it would be: only data is read there)\n");
    return 1;
}

/* With a matching profile: ingest's rules, minus the database. Returns the exit code. */
static int with_profile(struct out *o, const struct config *cfg, const struct registry *reg,
                        const char *topic, const struct assess_msg *a, int n,
                        const struct dec_field *fields, int64_t now_ms)
{
    const struct assess_limits lim = {now_ms, cfg->ingest.max_future_ms, cfg->ingest.max_age_ms};
    struct dev_verdict devs[DECODE_MAX_DEVICES];
    const struct dev_verdict **fdev = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*fdev));
    size_t n_devs = 0;
    char detail[ASSESS_DETAIL_MAX], t[96];
    const struct dev_verdict *first = NULL;
    int n_store = 0, n_unstorable = 0, rc = EXIT_RUNTIME;
    struct assessment as;

    if (!fdev)
        return EXIT_RUNTIME;

    if (!o->is_json) {
        printf("topic     %s\n", topic);
        printf("profile   %s (%s), decoder %s\n", a->profile->name, a->profile->file,
               a->decoder->name);
        printf("site      %s\n", a->site[0] ? a->site : "(the topic names none)");
        text_time(a->msg.ts_ms, t, sizeof(t));
        printf("time      %s\n", a->msg.ts_ms ? t : "none in the payload: the receive time");
        text_notes(a->msg.notes);
    }
    /* Each distinct device of the message once, in order (resolve_values in ingest). */
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        const char *name = assess_device(a->device, &a->msg, n > 0 ? &fields[i] : NULL);
        size_t k;

        for (k = 0; k < n_devs && strcmp(devs[k].name, name) != 0; k++)
            ;
        if (k == n_devs && n_devs < DECODE_MAX_DEVICES) {
            judge_device(cfg, reg, a, name, &devs[n_devs]);
            show_device(o, &devs[n_devs]);
            if (devs[n_devs].is_rejected)
                show_reject(o, "unknown_device", devs[n_devs].detail);
            n_devs++;
        }
        fdev[i] = k < n_devs && !devs[k].is_rejected ? &devs[k] : NULL;
        if (!first)
            first = fdev[i];
    }
    if (!first)
        goto out;
    if (a->msg.ts_ms && assess_time(&lim, "message", a->msg.ts_ms, &as)) {
        show_reject(o, as.reason, as.detail);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (fdev[i] && assess_strict(fdev[i]->profile, &fields[i], detail, sizeof(detail))) {
            show_reject(o, "unknown_field", detail);
            goto out;
        }
    }
    if (!o->is_json)
        printf("values    %d\n", n);
    for (int i = 0; i < n; i++) {
        if (!fdev[i])
            continue;
        assess_value(fdev[i]->profile, &fields[i], a->msg.ts_ms ? a->msg.ts_ms : now_ms, &lim, &as);
        show_value(o, fdev[i], &fields[i], &as);
        n_store += as.verdict == ASSESS_STORE;
        n_unstorable += as.verdict == ASSESS_UNSTORABLE;
    }
    if (n_store == 0 && o->n_rejects == 0 && n_unstorable == 0) {
        assess_no_readings(first->profile, detail, sizeof(detail));
        show_reject(o, "no_readings", detail);
    }
    if (!o->is_json) {
        if (o->n_rejects)
            printf("result    rejected: %d reject%s for the rejects table, %d reading%s would be "
                   "stored\n",
                   o->n_rejects, o->n_rejects == 1 ? "" : "s", n_store, n_store == 1 ? "" : "s");
        else
            printf(
                "result    accepted: %d reading%s would be stored (new, duplicates or corrections:"
                " the database decides)\n",
                n_store, n_store == 1 ? "" : "s");
    }
    rc = o->n_rejects ? EXIT_RUNTIME : EXIT_OK;
out:
    xfree(fdev);
    return rc;
}

int cli_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"topic", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {0},
    };
    struct cli_common cc = {0};
    struct out o = {0};
    struct diag d = {print_error, NULL, 0};
    struct config *cfg = NULL;
    struct profile_set *ps = NULL;
    struct registry *reg = NULL;
    struct dec_field *fields = NULL;
    const struct decoder *dec = NULL;
    const char *topic = NULL;
    struct assess_msg a;
    char *buf = NULL;
    size_t len = 0, max;
    int64_t now_ms;
    int opt, n, rc = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "c:t:f:jh", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 't':
            topic = optarg;
            break;
        case 'f':
            dec = decoder_find(optarg);
            if (!dec) {
                fprintf(stderr, "collector decode: --format is auto, json, senml or hj212\n");
                return EXIT_USAGE;
            }
            break;
        case 'j':
            o.is_json = true;
            break;
        default:
            if (cli_common_opt(&cc, opt, optarg)) {
                usage(stderr);
                return EXIT_USAGE;
            }
            break;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "collector decode: give one FILE, or - for standard input\n\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg = cli_load_config(&cc, "decode");
    if (!cfg)
        return EXIT_USAGE;
    if (devices_load(cfg, &d, &ps, &reg))
        goto out;
    if (read_payload(argv[optind], &buf, &len))
        goto out;
    max = (size_t)cfg->ingest.max_fields;
    fields = xcalloc(max, sizeof(*fields));
    if (!fields) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    now_ms = wall_ms();
    if (!topic) {
        rc = decoder_alone(&o, dec ? dec : &decoder_auto, buf, len, now_ms, fields, max);
        goto out;
    }
    if (show_command(&o, ps, topic, buf, len)) {
        rc = EXIT_OK;
        goto out;
    }
    n = assess_message(ps, topic, buf, len, cfg->ingest.max_payload, now_ms, dec, fields, max, &a);
    if (n < 0 && !a.profile && strcmp(a.reason, "unmatched_topic") == 0) {
        /* Text: the verdict first, for a person; JSON: the values, then the verdict. */
        if (!o.is_json) {
            printf("topic     %s\n", topic);
            show_reject(&o, a.reason, a.detail);
            printf("\n");
        }
        (void)decoder_alone(&o, dec ? dec : &decoder_auto, buf, len, now_ms, fields, max);
        if (o.is_json)
            show_reject(&o, a.reason, a.detail);
        rc = EXIT_RUNTIME;
        goto out;
    }
    if (n < 0) {
        if (!o.is_json && a.profile)
            printf("topic     %s\nprofile   %s (%s), decoder %s\n", topic, a.profile->name,
                   a.profile->file, a.decoder ? a.decoder->name : a.profile->decoder->name);
        if (!o.is_json && a.is_decoded)
            text_notes(a.msg.notes);
        show_reject(&o, a.reason, a.detail);
        rc = EXIT_RUNTIME;
        goto out;
    }
    rc = with_profile(&o, cfg, reg, topic, &a, n, fields, now_ms);
out:
    xfree(fields);
    xfree(buf);
    registry_free(reg);
    profile_set_free(ps);
    config_free(cfg);
    return rc;
}
