/*
 * Internals shared by the files of the notify module: a channel's parsed
 * configuration, the per-channel worker that delivers it, and the function
 * table each channel type (notify_webhook.c, notify_alertmanager.c,
 * notify_mqtt.c, notify_smtp.c) fills in. Nothing here is used outside
 * the notify*.c files of this room.
 */
#ifndef NOTIFY_INT_H
#define NOTIFY_INT_H

#include "notify.h"
#include "core/backoff.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notify_worker;

/*
 * Outcome of one delivery attempt, returned by a type's send():
 * 0 delivered; COL_ERR_NET failed, retry with backoff; COL_ERR_INVAL the
 * endpoint refused the content for good (HTTP 400/422; a payload that is not
 * JSON), dropped and counted as expired; COL_ERR_BUSY interrupted by
 * notify_stop(), not counted, retried at the next start.
 */

/* One outbox entry in hand. */
struct notify_msg {
    int64_t id;          /* outbox.id */
    int64_t alert_id;    /* outbox.alert_id, 0 when NULL */
    const char *event;   /* "firing", "reminder", "resolved" */
    const char *payload; /* the event JSON as enqueued */
    size_t len;
    cJSON *json; /* payload parsed; NULL when it is not a JSON object */
};

struct notify_type {
    const char *name;        /* "webhook", ... as written in `type` */
    const char *const *keys; /* keys allowed beyond the common ones, NULL-terminated */
    const char *target_key;  /* the required target: "url" or "topic" */
    /* Start the worker's per-type state (w->state). 0 or a COL_ERR_*. */
    int (*open)(struct notify_worker *w);
    /* Deliver one entry; see the outcomes above; @err gets a reason on failure. */
    int (*send)(struct notify_worker *w, const struct notify_msg *m, char *err, size_t errlen);
    /* Periodic work between entries (about 4 times a second); may be NULL. */
    void (*tick)(struct notify_worker *w, int64_t now_ms);
    void (*close)(struct notify_worker *w); /* accepts w->state == NULL */
};

extern const struct notify_type notify_webhook_type;
extern const struct notify_type notify_alertmanager_type;
extern const struct notify_type notify_mqtt_type;
extern const struct notify_type notify_smtp_type;

enum { NOTIFY_SEV_INFO, NOTIFY_SEV_WARNING, NOTIFY_SEV_MAJOR, NOTIFY_SEV_CRITICAL, NOTIFY_N_SEV };
enum { NOTIFY_EV_FIRING, NOTIFY_EV_REMINDER, NOTIFY_EV_RESOLVED, NOTIFY_N_EV };

struct notify_channel {
    char *name;
    const struct notify_type *type;
    unsigned severities; /* bit per NOTIFY_SEV_*; all bits when unfiltered */
    unsigned events;     /* bit per NOTIFY_EV_* */
    char **domains;      /* NULL = every domain */
    size_t n_domains;
    int64_t expire_ms, backoff_min_ms, backoff_max_ms, timeout_ms;
    char *url;         /* webhook, alertmanager (base), smtp */
    char *topic;       /* mqtt */
    char *state_topic; /* mqtt; NULL = topic + "/state" */
    char *host;        /* mqtt; NULL = the main mqtt section's broker */
    long port;         /* mqtt, with host */
    char *username;    /* alertmanager (basic auth), mqtt, smtp */
    char *password;    /* from password_file; never logged */
    char *secret;      /* webhook HMAC key from secret_file; never logged */
    char *ca_file;     /* https, smtps, mqtts */
    char *from;        /* smtp */
    char **to;         /* smtp */
    size_t n_to;
    bool use_starttls;   /* smtp:// upgraded with STARTTLS (required) */
    int64_t repost_ms;   /* alertmanager */
    char *generator_url; /* alertmanager; NULL = http://<http.listen or hostname> */
};

struct notify_channels {
    size_t n;
    struct notify_channel *v;
    atomic_uint *kick; /* bumped by producers after they commit new outbox rows */
    atomic_int *refs;  /* holders (notify_channels_hold); the last one frees the set */
};

/* A channel's delivery thread and what it owns. */
struct notify_worker {
    const struct notify_channel *ch;
    const struct config *cfg;
    const atomic_int *stop;
    const atomic_uint *kick; /* the channels' kick counter: new work committed */
    struct store *st;
    void *curl;             /* CURL *, created on first use and reused for keep-alive */
    void *state;            /* the type's */
    struct backoff backoff; /* delays between delivery attempts */
    struct wd_heart *heart; /* the systemd watchdog's view of this thread; may be NULL */
};

/*
 * True once notify_stop() was called: long operations give up. Every wait
 * and transfer asks this as it goes, so it also beats the worker's
 * watchdog heart: a thread that asks is not stuck.
 */
bool notify_stopping(const struct notify_worker *w);

/* notify_channel_wants() for one channel. */
bool notify_channel_accepts(const struct notify_channel *ch, const char *severity,
                            const char *domain, const char *event);

/* Index of @s in NOTIFY_SEV_* / NOTIFY_EV_*, or -1. */
int notify_severity_index(const char *s);
int notify_event_index(const char *s);

/*
 * POST @body to @url with @headers (a curl_slist *, may be NULL) through the
 * worker's curl handle, with the channel's timeout, CA file and basic auth
 * (username/password, when set). Outcomes as for send(); @status gets the
 * HTTP status (0 when none). Never logs the URL (it may carry a token).
 */
int notify_http_post(struct notify_worker *w, const char *url, void *headers, const char *body,
                     size_t len, long *status, char *err, size_t errlen);

/* Set up the worker's curl handle for a new request (reset, timeouts, CA, stop check). */
void *notify_curl(struct notify_worker *w);

/* UTC ms as RFC 3339 "2024-11-26T00:00:00.000Z" (Alertmanager's format). */
void notify_format_utc(int64_t ms, char *out, size_t sz);

/* A string member of @o, or NULL when absent, null or not a string. */
const char *notify_json_str(const cJSON *o, const char *key);

/*
 * The alerts.scope of alert @alert_id (for the MQTT state topic), into @out.
 * Returns 0, COL_ERR_NOTFOUND or COL_ERR_DB.
 */
int notify_alert_scope(struct notify_worker *w, int64_t alert_id, char *out, size_t sz);

#endif
