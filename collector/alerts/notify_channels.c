/*
 * The `alerts.channels` list: validation with file:line errors, secrets
 * read from their files, and routing by severity, domain and event. The
 * configuration module keeps the list as a raw YAML tree because each
 * channel type has keys of its own; the common keys are checked here and
 * each type names the extra keys it allows. Pure apart from reading the
 * secret files, so `collector check` runs exactly this code.
 */
#include "col_err.h"
#include "core/config.h"
#include "diag.h"
#include "notify_int.h"
#include "core/secret.h"
#include "textparse.h"
#include "xalloc.h"
#include "ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_NAME_MAX 63

static const char *const severity_names[NOTIFY_N_SEV] = {"info", "warning", "major", "critical"};
static const char *const event_names[NOTIFY_N_EV] = {"firing", "reminder", "resolved"};

static const char *const common_keys[] = {
    "name",   "type",        "severities",  "domains", "events",
    "expire", "backoff_min", "backoff_max", "timeout", NULL,
};

static const struct notify_type *const types[] = {
    &notify_mqtt_type,
    &notify_webhook_type,
    &notify_alertmanager_type,
    &notify_smtp_type,
};

int notify_severity_index(const char *s)
{
    for (int i = 0; s && i < NOTIFY_N_SEV; i++)
        if (strcmp(s, severity_names[i]) == 0)
            return i;
    return -1;
}

int notify_event_index(const char *s)
{
    for (int i = 0; s && i < NOTIFY_N_EV; i++)
        if (strcmp(s, event_names[i]) == 0)
            return i;
    return -1;
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* A scalar with ${ENV} expanded, as a new string in *out. 1, 0 (absent) or -1. */
static int get_str(const struct ynode *map, const char *key, bool required, char **out,
                   struct diag *d)
{
    const char *s = NULL;
    char err[256];
    int rc = ynode_scalar(map, key, required, &s, d);

    if (rc <= 0)
        return rc;
    *out = config_expand_env(s, env_lookup, err, sizeof(err));
    if (!*out) {
        const struct ynode *n = ynode_get(map, key);
        diag_error(d, n->file, n->line, "%s", err);
        return -1;
    }
    return 1;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xfree(v[i]);
    xfree(v);
}

/* A single value or a list of values, each env-expanded. 1, 0 (absent) or -1. */
static int get_list(const struct ynode *map, const char *key, char ***out, size_t *n_out,
                    struct diag *d)
{
    const struct ynode *n = ynode_get(map, key);
    size_t count;
    char **v = NULL;

    if (!n || ynode_is_null(n))
        return 0;
    if (n->kind == YNODE_MAP) {
        diag_error(d, n->file, n->line, "'%s' must be a list of values", key);
        return -1;
    }
    count = n->kind == YNODE_SEQ ? n->n : 1;
    if (count == 0) {
        diag_error(d, n->file, n->line, "'%s' must not be empty (leave it out to accept all)", key);
        return -1;
    }
    v = xcalloc(count, sizeof(*v));
    if (!v)
        goto nomem;
    for (size_t i = 0; i < count; i++) {
        const struct ynode *one = n->kind == YNODE_SEQ ? n->items[i] : n;
        char err[256];
        if (one->kind != YNODE_SCALAR || ynode_is_null(one)) {
            diag_error(d, one->file, one->line, "'%s' entries must be single values", key);
            free_list(v, i);
            return -1;
        }
        v[i] = config_expand_env(one->scalar, env_lookup, err, sizeof(err));
        if (!v[i]) {
            diag_error(d, one->file, one->line, "%s", err);
            free_list(v, i);
            return -1;
        }
    }
    *out = v;
    *n_out = count;
    return 1;
nomem:
    diag_error(d, n->file, n->line, "out of memory");
    return -1;
}

/* A list of names from @names, as a bit set. */
static int get_set(const struct ynode *map, const char *key, const char *const *names, int n_names,
                   unsigned *out, struct diag *d)
{
    char **v = NULL;
    size_t n = 0;
    int rc = get_list(map, key, &v, &n, d);

    if (rc <= 0)
        return rc;
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        int k = -1;
        for (int j = 0; j < n_names; j++)
            if (strcmp(v[i], names[j]) == 0)
                k = j;
        if (k < 0) {
            const struct ynode *node = ynode_get(map, key);
            const struct ynode *one = node->kind == YNODE_SEQ ? node->items[i] : node;
            diag_error(d, one->file, one->line, "unknown %s '%s' in '%s'",
                       names == severity_names ? "severity" : "event", v[i], key);
            rc = -1;
        } else {
            *out |= 1u << k;
        }
    }
    free_list(v, n);
    return rc;
}

static char *join_path(const char *dir, const char *p)
{
    size_t n;
    char *out;

    if (p[0] == '/' || !dir || !*dir)
        return xstrdup(p);
    n = strlen(dir) + strlen(p) + 2;
    out = xmalloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, p);
    return out;
}

/*
 * The first line of the file named by @key (relative to @dir), without its
 * line end, into *out (secret.h: the file must be private to its owner).
 * The path may be reported; the contents never are.
 */
static int read_secret(const struct ynode *map, const char *key, const char *dir, char **out,
                       struct diag *d)
{
    const struct ynode *n = ynode_get(map, key);
    char *rel = NULL, *path = NULL;
    char err[512];
    int rc = get_str(map, key, false, &rel, d);

    if (rc <= 0)
        return rc;
    rc = -1;
    path = join_path(dir, rel);
    if (!path) {
        diag_error(d, n->file, n->line, "out of memory");
        goto out;
    }
    if (secret_read(path, out, err, sizeof(err))) {
        diag_error(d, n->file, n->line, "%s %s", key, err);
        goto out;
    }
    rc = 1;
out:
    xfree(path);
    xfree(rel);
    return rc;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool is_valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NOTIFY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool is_valid_topic(const char *s)
{
    return *s && !strpbrk(s, "+#") && strlen(s) < 1024;
}

static void channel_clear(struct notify_channel *ch)
{
    xfree(ch->name);
    free_list(ch->domains, ch->n_domains);
    xfree(ch->url);
    xfree(ch->topic);
    xfree(ch->state_topic);
    xfree(ch->host);
    xfree(ch->username);
    if (ch->password) {
        explicit_bzero(ch->password, strlen(ch->password));
        xfree(ch->password);
    }
    if (ch->secret) {
        explicit_bzero(ch->secret, strlen(ch->secret));
        xfree(ch->secret);
    }
    xfree(ch->ca_file);
    xfree(ch->from);
    free_list(ch->to, ch->n_to);
    xfree(ch->generator_url);
    memset(ch, 0, sizeof(*ch));
}

/* Is @key allowed for the channel's type? */
static bool type_allows(const struct notify_type *t, const char *key)
{
    for (size_t i = 0; t->keys[i]; i++)
        if (strcmp(t->keys[i], key) == 0)
            return true;
    return false;
}

static int check_keys(const struct ynode *map, const struct notify_type *t, struct diag *d)
{
    int rc = 0;

    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->scalar;
        bool ok = false;
        for (size_t j = 0; common_keys[j]; j++)
            if (strcmp(common_keys[j], k) == 0)
                ok = true;
        if (!ok && t)
            ok = type_allows(t, k);
        if (!ok && t) {
            diag_error(d, map->keys[i]->file, map->keys[i]->line,
                       "unknown key '%s' in a %s channel", k, t->name);
            rc = -1;
        }
    }
    return rc;
}

static int get_durations(struct notify_channel *ch, const struct ynode *map, struct diag *d)
{
    struct {
        const char *key;
        int64_t *out;
        int64_t def, min;
    } const durs[] = {
        {"expire", &ch->expire_ms, 24LL * 3600 * 1000, 1000},
        {"backoff_min", &ch->backoff_min_ms, 1000, 10},
        {"backoff_max", &ch->backoff_max_ms, 5LL * 60 * 1000, 10},
        {"timeout", &ch->timeout_ms, 10000, 100},
        {"repost", &ch->repost_ms, 60000, 1000},
    };
    int rc = 0;

    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        long long v = durs[i].def;
        int r = ynode_duration(map, durs[i].key, false, &v, d);
        if (r < 0) {
            rc = -1;
        } else if (v < durs[i].min) {
            const struct ynode *n = ynode_get(map, durs[i].key);
            diag_error(d, n->file, n->line, "'%s' must be at least %lld ms", durs[i].key,
                       (long long)durs[i].min);
            rc = -1;
        }
        *durs[i].out = v;
    }
    if (rc == 0 && ch->backoff_min_ms > ch->backoff_max_ms) {
        diag_error(d, map->file, map->line, "backoff_min is larger than backoff_max");
        rc = -1;
    }
    /* Alertmanager resolves an alert it has not heard of for resolve_timeout
     * (5m by default); a re-post must arrive well before that. */
    if (rc == 0 && ch->repost_ms > 4LL * 60 * 1000) {
        const struct ynode *n = ynode_get(map, "repost");
        diag_error(d, n->file, n->line,
                   "'repost' must be at most 4m (Alertmanager's resolve_timeout is 5m)");
        rc = -1;
    }
    return rc;
}

static int check_url(const struct notify_channel *ch, const struct ynode *map, struct diag *d)
{
    const struct ynode *n = ynode_get(map, "url");
    bool is_smtp = ch->type == &notify_smtp_type;
    bool ok = is_smtp ? has_prefix(ch->url, "smtp://") || has_prefix(ch->url, "smtps://")
                      : has_prefix(ch->url, "http://") || has_prefix(ch->url, "https://");

    if (!ok) {
        /* The URL itself is not repeated: it may carry a token. */
        diag_error(d, n->file, n->line, "'url' must start with %s",
                   is_smtp ? "smtp:// or smtps://" : "http:// or https://");
        return -1;
    }
    return 0;
}

/* The type-specific keys of @map into @ch. 0 or -1 (reported). */
static int load_type_keys(struct notify_channel *ch, const struct ynode *map, const char *dir,
                          struct diag *d)
{
    const struct notify_type *t = ch->type;
    int bad = 0;

    if (strcmp(t->target_key, "url") == 0) {
        if (get_str(map, "url", true, &ch->url, d) <= 0)
            bad = -1;
        else if (check_url(ch, map, d))
            bad = -1;
    }
    if (t == &notify_mqtt_type) {
        if (get_str(map, "topic", true, &ch->topic, d) <= 0) {
            bad = -1;
        } else if (!is_valid_topic(ch->topic)) {
            const struct ynode *n = ynode_get(map, "topic");
            diag_error(d, n->file, n->line, "'topic' must be a topic name without + or #");
            bad = -1;
        }
        if (get_str(map, "state_topic", false, &ch->state_topic, d) < 0) {
            bad = -1;
        } else if (ch->state_topic && !is_valid_topic(ch->state_topic)) {
            const struct ynode *n = ynode_get(map, "state_topic");
            diag_error(d, n->file, n->line, "'state_topic' must be a topic name without + or #");
            bad = -1;
        }
        if (get_str(map, "host", false, &ch->host, d) < 0)
            bad = -1;
        ch->port = 1883;
        if (ynode_get(map, "port")) {
            char *s = NULL;
            int64_t v = 0;
            const struct ynode *n = ynode_get(map, "port");
            if (get_str(map, "port", true, &s, d) <= 0 || parse_int64(s, &v) || v < 1 ||
                v > 65535) {
                diag_error(d, n->file, n->line, "'port' must be a number from 1 to 65535");
                bad = -1;
            } else if (!ch->host) {
                diag_error(d, n->file, n->line,
                           "'port' needs 'host' (without both, the "
                           "channel uses the mqtt section's broker)");
                bad = -1;
            }
            ch->port = (long)v;
            xfree(s);
        }
    }
    if (type_allows(t, "username") && get_str(map, "username", false, &ch->username, d) < 0)
        bad = -1;
    if (type_allows(t, "password_file") &&
        read_secret(map, "password_file", dir, &ch->password, d) < 0)
        bad = -1;
    if (type_allows(t, "secret_file") && read_secret(map, "secret_file", dir, &ch->secret, d) < 0)
        bad = -1;
    if (type_allows(t, "ca_file")) {
        char *rel = NULL;
        int r = get_str(map, "ca_file", false, &rel, d);
        if (r < 0)
            bad = -1;
        if (r > 0) {
            ch->ca_file = join_path(dir, rel);
            xfree(rel);
            if (!ch->ca_file) {
                diag_error(d, map->file, map->line, "out of memory");
                bad = -1;
            }
        }
    }
    if (t == &notify_alertmanager_type) {
        if (get_str(map, "generator_url", false, &ch->generator_url, d) < 0)
            bad = -1;
        else if (ch->generator_url && !has_prefix(ch->generator_url, "http://") &&
                 !has_prefix(ch->generator_url, "https://")) {
            const struct ynode *n = ynode_get(map, "generator_url");
            diag_error(d, n->file, n->line, "'generator_url' must start with http:// or https://");
            bad = -1;
        }
    }
    if (t == &notify_smtp_type) {
        if (get_str(map, "from", true, &ch->from, d) <= 0)
            bad = -1;
        if (get_list(map, "to", &ch->to, &ch->n_to, d) < 0)
            bad = -1;
        else if (!ch->to) {
            diag_error(d, map->file, map->line, "missing required key 'to'");
            bad = -1;
        }
        ch->use_starttls = true;
        if (ynode_bool(map, "starttls", &ch->use_starttls, d) < 0)
            bad = -1;
    }
    if (ch->username && !ch->password && t != &notify_mqtt_type) {
        diag_error(d, map->file, map->line, "'username' needs 'password_file'");
        bad = -1;
    }
    return bad;
}

/* Parse one list entry into @ch. 0 or -1 (reported). */
static int load_channel(struct notify_channel *ch, const struct ynode *map, const char *dir,
                        struct diag *d)
{
    const char *type = NULL;
    int bad = 0;

    if (map->kind != YNODE_MAP) {
        diag_error(d, map->file, map->line, "a channel must be a mapping with name and type");
        return -1;
    }
    if (get_str(map, "name", true, &ch->name, d) <= 0) {
        bad = -1;
    } else if (!is_valid_name(ch->name)) {
        const struct ynode *n = ynode_get(map, "name");
        diag_error(d, n->file, n->line,
                   "channel name '%s' must be 1 to %d letters, digits, '_', '-' or '.'", ch->name,
                   NOTIFY_NAME_MAX);
        bad = -1;
    }
    if (ynode_scalar(map, "type", true, &type, d) <= 0)
        return -1;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]->name) == 0)
            ch->type = types[i];
    if (!ch->type) {
        const struct ynode *n = ynode_get(map, "type");
        diag_error(d, n->file, n->line,
                   "unknown channel type '%s' (mqtt, webhook, alertmanager, smtp)", type);
        check_keys(map, NULL, d);
        return -1;
    }
    if (check_keys(map, ch->type, d))
        bad = -1;
    ch->severities = (1u << NOTIFY_N_SEV) - 1;
    ch->events = (1u << NOTIFY_N_EV) - 1;
    /* Alertmanager repeats notifications itself (repeat_interval) and the
     * re-posts keep the alert alive: reminders would add nothing. */
    if (ch->type == &notify_alertmanager_type)
        ch->events = (1u << NOTIFY_EV_FIRING) | (1u << NOTIFY_EV_RESOLVED);
    if (get_set(map, "severities", severity_names, NOTIFY_N_SEV, &ch->severities, d) < 0)
        bad = -1;
    if (get_set(map, "events", event_names, NOTIFY_N_EV, &ch->events, d) < 0)
        bad = -1;
    if (get_list(map, "domains", &ch->domains, &ch->n_domains, d) < 0)
        bad = -1;
    if (get_durations(ch, map, d))
        bad = -1;
    if (load_type_keys(ch, map, dir, d))
        bad = -1;
    return bad;
}

/* An empty set with its counters, held once (by the caller). */
static struct notify_channels *channels_new(void)
{
    struct notify_channels *cs = xcalloc(1, sizeof(*cs));

    if (!cs)
        return NULL;
    cs->kick = xcalloc(1, sizeof(*cs->kick));
    cs->refs = xcalloc(1, sizeof(*cs->refs));
    if (!cs->kick || !cs->refs) {
        xfree(cs->kick);
        xfree(cs->refs);
        xfree(cs);
        return NULL;
    }
    atomic_init(cs->refs, 1);
    return cs;
}

struct notify_channels *notify_channels_load(const struct ynode *channels, const char *config_dir,
                                             struct diag *d)
{
    struct notify_channels *cs = channels_new();
    int bad = 0;

    if (!cs) {
        diag_error(d, channels ? channels->file : "alerts.channels", 0, "out of memory");
        return NULL;
    }
    if (!channels || ynode_is_null(channels))
        return cs;
    if (channels->kind != YNODE_SEQ) {
        diag_error(d, channels->file, channels->line,
                   "alerts.channels must be a list of channels (- name: ..., type: ...)");
        goto fail;
    }
    cs->v = xcalloc(channels->n ? channels->n : 1, sizeof(*cs->v));
    if (!cs->v) {
        diag_error(d, channels->file, channels->line, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < channels->n; i++) {
        const struct ynode *map = channels->items[i];
        struct notify_channel *ch = &cs->v[cs->n++];
        if (load_channel(ch, map, config_dir, d))
            bad = -1;
        for (size_t j = 0; ch->name && j + 1 < cs->n; j++) {
            if (cs->v[j].name && strcmp(cs->v[j].name, ch->name) == 0) {
                const struct ynode *n = ynode_get(map, "name");
                diag_error(d, n->file, n->line, "channel name '%s' is used twice", ch->name);
                bad = -1;
            }
        }
    }
    if (bad)
        goto fail;
    return cs;
fail:
    notify_channels_free(cs);
    return NULL;
}

struct notify_channels *notify_channels_hold(const struct notify_channels *cs)
{
    if (!cs)
        return NULL;
    atomic_fetch_add(cs->refs, 1);
    /* The counter makes the holder an owner: the set is freed by its last one. */
    return (struct notify_channels *)cs;
}

void notify_channels_release(const struct notify_channels *cs)
{
    struct notify_channels *own = (struct notify_channels *)cs;

    if (!cs || atomic_fetch_sub(cs->refs, 1) != 1)
        return;
    for (size_t i = 0; i < own->n; i++)
        channel_clear(&own->v[i]);
    xfree(own->v);
    xfree(own->kick);
    xfree(own->refs);
    xfree(own);
}

void notify_channels_free(struct notify_channels *cs)
{
    notify_channels_release(cs);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb || (a == NULL) != (b == NULL))
        return false;
    for (size_t i = 0; i < na; i++)
        if (!same_str(a[i], b[i]))
            return false;
    return true;
}

static bool same_channel(const struct notify_channel *a, const struct notify_channel *b)
{
    return same_str(a->name, b->name) && a->type == b->type && a->severities == b->severities &&
           a->events == b->events &&
           same_list(a->domains, a->n_domains, b->domains, b->n_domains) &&
           a->expire_ms == b->expire_ms && a->backoff_min_ms == b->backoff_min_ms &&
           a->backoff_max_ms == b->backoff_max_ms && a->timeout_ms == b->timeout_ms &&
           same_str(a->url, b->url) && same_str(a->topic, b->topic) &&
           same_str(a->state_topic, b->state_topic) && same_str(a->host, b->host) &&
           a->port == b->port && same_str(a->username, b->username) &&
           same_str(a->password, b->password) && same_str(a->secret, b->secret) &&
           same_str(a->ca_file, b->ca_file) && same_str(a->from, b->from) &&
           same_list(a->to, a->n_to, b->to, b->n_to) && a->use_starttls == b->use_starttls &&
           a->repost_ms == b->repost_ms && same_str(a->generator_url, b->generator_url);
}

bool notify_channels_equal(const struct notify_channels *a, const struct notify_channels *b)
{
    if (notify_channels_count(a) != notify_channels_count(b))
        return false;
    for (size_t i = 0; i < notify_channels_count(a); i++)
        if (!same_channel(&a->v[i], &b->v[i]))
            return false;
    return true;
}

void notify_channels_kick(const struct notify_channels *cs)
{
    if (cs && cs->kick)
        atomic_fetch_add(cs->kick, 1);
}

size_t notify_channels_count(const struct notify_channels *cs)
{
    return cs ? cs->n : 0;
}

const char *notify_channel_name(const struct notify_channels *cs, size_t i)
{
    if (!cs || NEVER(i >= cs->n))
        return NULL;
    return cs->v[i].name;
}

bool notify_channel_accepts(const struct notify_channel *ch, const char *severity,
                            const char *domain, const char *event)
{
    const unsigned all_sev = (1u << NOTIFY_N_SEV) - 1, all_ev = (1u << NOTIFY_N_EV) - 1;
    int s = notify_severity_index(severity), e = notify_event_index(event);

    if (ch->severities != all_sev && (s < 0 || !(ch->severities & (1u << s))))
        return false;
    if (ch->events != all_ev && (e < 0 || !(ch->events & (1u << e))))
        return false;
    if (ch->domains) {
        bool found = false;
        for (size_t k = 0; domain && k < ch->n_domains; k++)
            if (strcmp(ch->domains[k], domain) == 0)
                found = true;
        if (!found)
            return false;
    }
    return true;
}

bool notify_channel_wants(const struct notify_channels *cs, size_t i, const char *severity,
                          const char *domain, const char *event)
{
    if (!cs || NEVER(i >= cs->n))
        return false;
    return notify_channel_accepts(&cs->v[i], severity, domain, event);
}
