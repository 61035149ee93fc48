/*
 * Configuration binding: YAML tree → struct config through per-section key
 * tables (STYLE §7). A key table entry knows its type, default, bounds and
 * help text; binding walks the table, so an unknown key in the file is
 * found by the reverse walk and reported with its line. Defaults are text
 * and go through the same parser as file values, so a default can never be
 * a value the parser would refuse. The tables themselves, and the reference
 * written from them, are in config_keys.c.
 */
#include "config.h"
#include "config_int.h"
#include "cidr.h"
#include "col_err.h"
#include "diag.h"
#include "log.h"
#include "secret.h"
#include "textparse.h"
#include "xalloc.h"
#include "ydoc.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- environment expansion ---- */

char *config_expand_env(const char *in, const char *(*lookup)(const char *), char *err,
                        size_t errlen)
{
    size_t cap = strlen(in) + 64, n = 0;
    char *out = xmalloc(cap);
    const char *p = in;

    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (*p) {
        const char *val = NULL;
        size_t vlen;
        char name[128];

        if (p[0] == '$' && p[1] == '$') {
            val = "$";
            vlen = 1;
            p += 2;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            const char *dflt = NULL;
            size_t nlen;
            if (!close) {
                snprintf(err, errlen, "unterminated ${ in '%s'", in);
                goto fail;
            }
            nlen = (size_t)(close - (p + 2));
            const char *colon = memchr(p + 2, ':', nlen);
            if (colon) {
                if (colon[1] != '-') {
                    snprintf(err, errlen, "only ${NAME} and ${NAME:-default} are supported");
                    goto fail;
                }
                dflt = colon + 2;
                nlen = (size_t)(colon - (p + 2));
            }
            if (nlen == 0 || nlen >= sizeof(name)) {
                snprintf(err, errlen, "bad variable name in '%s'", in);
                goto fail;
            }
            memcpy(name, p + 2, nlen);
            name[nlen] = '\0';
            for (size_t i = 0; i < nlen; i++) {
                if (!isalnum((unsigned char)name[i]) && name[i] != '_') {
                    snprintf(err, errlen, "bad variable name '%s'", name);
                    goto fail;
                }
            }
            val = lookup(name);
            if (val && !*val && dflt)
                val = NULL;
            if (val) {
                vlen = strlen(val);
            } else if (dflt) {
                val = dflt;
                vlen = (size_t)(close - dflt);
            } else {
                snprintf(err, errlen, "environment variable %s is not set", name);
                goto fail;
            }
            p = close + 1;
        } else {
            val = p;
            vlen = 1;
            p++;
        }
        if (n + vlen + 1 > cap) {
            char *nb;
            cap = (n + vlen + 1) * 2;
            nb = xrealloc(out, cap);
            if (!nb) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            out = nb;
        }
        memcpy(out + n, val, vlen);
        n += vlen;
    }
    out[n] = '\0';
    return out;
fail:
    xfree(out);
    return NULL;
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* ---- binding ---- */

struct binder {
    struct config *cfg;
    struct diag *d;
};

static void *field_ptr(struct config *c, const struct cfg_key *k)
{
    return (char *)c + k->offset;
}

static void free_value(struct config *c, const struct cfg_key *k)
{
    void *p = field_ptr(c, k);

    switch (k->type) {
    case CFG_STR:
        xfree(*(char **)p);
        *(char **)p = NULL;
        break;
    case CFG_STRLIST: {
        struct cfg_strlist *l = p;
        for (size_t i = 0; i < l->n; i++)
            xfree(l->v[i]);
        xfree(l->v);
        l->v = NULL;
        l->n = 0;
        break;
    }
    case CFG_NODE:
        ynode_free(*(struct ynode **)p);
        *(struct ynode **)p = NULL;
        break;
    case CFG_SECTION:
        for (const struct cfg_key *s = k->sub; s->name; s++)
            free_value(c, s);
        break;
    default:
        break;
    }
}

static char *resolve_path(const struct config *c, const char *v)
{
    char *out;
    size_t n;

    if (!*v || v[0] == '/' || !c->dir)
        return xstrdup(v);
    n = strlen(c->dir) + strlen(v) + 2;
    out = xmalloc(n);
    if (out)
        snprintf(out, n, "%s/%s", c->dir, v);
    return out;
}

/* Parse the scalar @text (already env-expanded) into the key's field. */
static int bind_scalar(struct binder *b, const struct cfg_key *k, const char *text,
                       const char *file, int line)
{
    void *p = field_ptr(b->cfg, k);
    int64_t iv;
    uint64_t sz;

    switch (k->type) {
    case CFG_STR: {
        char *v = (k->flags & CFG_F_PATH) ? resolve_path(b->cfg, text) : xstrdup(text);
        if (!v)
            return COL_ERR_NOMEM;
        xfree(*(char **)p);
        *(char **)p = v;
        return 0;
    }
    case CFG_DOUBLE: {
        double dv;
        if (parse_double(text, &dv) || dv < (double)k->min || dv > (double)k->max) {
            diag_error(b->d, file, line, "'%s' must be a number in [%lld, %lld], not '%s'", k->name,
                       k->min, k->max, text);
            return COL_ERR_CONFIG;
        }
        *(double *)p = dv;
        return 0;
    }
    case CFG_INT:
        if (parse_int64(text, &iv)) {
            diag_error(b->d, file, line, "'%s' must be an integer, not '%s'", k->name, text);
            return COL_ERR_CONFIG;
        }
        break;
    case CFG_DURATION:
        if (parse_duration_ms(text, &iv)) {
            diag_error(b->d, file, line,
                       "'%s' must be a duration such as 500ms, 30s, 5m, 2h, 30d, not '%s'", k->name,
                       text);
            return COL_ERR_CONFIG;
        }
        break;
    case CFG_SIZE:
        if (parse_size(text, &sz) || sz > INT64_MAX) {
            diag_error(b->d, file, line, "'%s' must be a size such as 512, 64KiB, 10MB, not '%s'",
                       k->name, text);
            return COL_ERR_CONFIG;
        }
        iv = (int64_t)sz;
        break;
    case CFG_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0 || strcmp(text, "on") == 0) {
            *(bool *)p = true;
        } else if (strcmp(text, "false") == 0 || strcmp(text, "no") == 0 ||
                   strcmp(text, "off") == 0) {
            *(bool *)p = false;
        } else {
            diag_error(b->d, file, line, "'%s' must be true or false, not '%s'", k->name, text);
            return COL_ERR_CONFIG;
        }
        return 0;
    case CFG_ENUM:
        for (long long i = 0; k->choices[i]; i++) {
            if (strcmp(k->choices[i], text) == 0) {
                *(long long *)p = i;
                return 0;
            }
        }
        {
            char list[256] = "";
            for (size_t i = 0; k->choices[i]; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", k->choices[i]);
            }
            diag_error(b->d, file, line, "'%s' must be one of %s, not '%s'", k->name, list, text);
        }
        return COL_ERR_CONFIG;
    default:
        return COL_ERR_CONFIG;
    }
    if ((k->min || k->max) && (iv < k->min || iv > k->max)) {
        diag_error(b->d, file, line, "'%s' = %s is out of range [%lld, %lld]", k->name, text,
                   k->min, k->max);
        return COL_ERR_CONFIG;
    }
    *(long long *)p = iv;
    return 0;
}

/* Expand the environment in a scalar node and bind it; errors are file:line. */
static int bind_node_scalar(struct binder *b, const struct cfg_key *k, const struct ynode *n,
                            const char *section)
{
    char err[256];
    const char *why;
    char *text;
    int rc;

    if (n->kind != YNODE_SCALAR) {
        diag_error(b->d, n->file, n->line, "'%s' must be a single value", k->name);
        return COL_ERR_CONFIG;
    }
    text = config_expand_env(n->scalar, env_lookup, err, sizeof(err));
    if (!text) {
        diag_error(b->d, n->file, n->line, "%s", err);
        return COL_ERR_CONFIG;
    }
    why = config_refusal(section, k, text);
    if (why) {
        diag_error(b->d, n->file, n->line, "%s.%s: %s", section, k->name, why);
        xfree(text);
        return COL_ERR_CONFIG;
    }
    rc = bind_scalar(b, k, text, n->file, n->line);
    xfree(text);
    return rc;
}

static int bind_strlist(struct binder *b, const struct cfg_key *k, const struct ynode *n)
{
    struct cfg_strlist *l = field_ptr(b->cfg, k);
    const struct ynode *one = n;
    size_t count = n->kind == YNODE_SEQ ? n->n : 1;

    free_value(b->cfg, k);
    if (n->kind == YNODE_MAP) {
        diag_error(b->d, n->file, n->line, "'%s' must be a list of values", k->name);
        return COL_ERR_CONFIG;
    }
    l->v = xcalloc(count ? count : 1, sizeof(*l->v));
    if (!l->v)
        return COL_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        char err[256];
        char *text;
        if (n->kind == YNODE_SEQ)
            one = n->items[i];
        if (one->kind != YNODE_SCALAR) {
            diag_error(b->d, one->file, one->line, "'%s' entries must be single values", k->name);
            return COL_ERR_CONFIG;
        }
        text = config_expand_env(one->scalar, env_lookup, err, sizeof(err));
        if (!text) {
            diag_error(b->d, one->file, one->line, "%s", err);
            return COL_ERR_CONFIG;
        }
        if (k->flags & CFG_F_PATH) {
            char *abs = resolve_path(b->cfg, text);
            xfree(text);
            text = abs;
            if (!text)
                return COL_ERR_NOMEM;
        }
        l->v[l->n++] = text;
    }
    return 0;
}

/* Parse a default written as YAML flow text ("[\"xh/#\"]", "5m") into the field. */
static int bind_default(struct binder *b, const struct cfg_key *k)
{
    char err[256];
    struct ydoc *doc;
    int rc;

    if (!k->def)
        return 0;
    if (k->type != CFG_STRLIST)
        return bind_scalar(b, k, k->def, "(default)", 0);
    doc = ydoc_parse("(default)", k->def, strlen(k->def), err, sizeof(err));
    if (!doc)
        return COL_ERR_NOMEM;
    rc = bind_strlist(b, k, doc->root);
    ydoc_free(doc);
    return rc;
}

static int bind_section(struct binder *b, const struct cfg_key *keys, const struct ynode *map,
                        const char *section);

static int bind_key(struct binder *b, const struct cfg_key *k, const struct ynode *val,
                    const char *section)
{
    if (k->type == CFG_SECTION) {
        char name[128];
        snprintf(name, sizeof(name), "%s%s%s", section, *section ? "." : "", k->name);
        if (val && !ynode_is_null(val) && val->kind != YNODE_MAP) {
            diag_error(b->d, val->file, val->line, "'%s' must be a mapping", name);
            return COL_ERR_CONFIG;
        }
        return bind_section(b, k->sub, ynode_is_null(val) ? NULL : val, name);
    }
    if (k->type == CFG_NODE) {
        if (!val || ynode_is_null(val))
            return 0;
        /* The subtree is detached from the document by detach_nodes() after
         * binding, so it outlives the document. */
        *(struct ynode **)field_ptr(b->cfg, k) = (struct ynode *)val;
        return 0;
    }
    if (!val || ynode_is_null(val))
        return bind_default(b, k);
    if (k->type == CFG_STRLIST)
        return bind_strlist(b, k, val);
    return bind_node_scalar(b, k, val, section);
}

static int bind_section(struct binder *b, const struct cfg_key *keys, const struct ynode *map,
                        const char *section)
{
    int rc = 0;

    for (const struct cfg_key *k = keys; k->name; k++) {
        int r = bind_key(b, k, map ? ynode_get(map, k->name) : NULL, section);
        if (r == COL_ERR_NOMEM)
            return r;
        if (r)
            rc = r;
    }
    if (!map)
        return rc;
    for (size_t i = 0; i < map->n; i++) {
        const char *name = map->keys[i]->scalar;
        bool known = false;
        for (const struct cfg_key *k = keys; k->name; k++)
            known |= strcmp(k->name, name) == 0;
        if (!known) {
            diag_error(b->d, map->keys[i]->file, map->keys[i]->line, "unknown key '%s%s%s'",
                       section, *section ? "." : "", name);
            rc = COL_ERR_CONFIG;
        }
    }
    return rc;
}

/* Point a detached subtree's file names at @file, which outlives the document. */
static void repoint_file(struct ynode *n, const char *file)
{
    if (!n)
        return;
    n->file = file;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            repoint_file(n->keys[i], file);
        if (n->items)
            repoint_file(n->items[i], file);
    }
}

/*
 * Detach CFG_NODE subtrees from the document so they outlive it. Returns
 * COL_ERR_NOMEM when a subtree could not be detached (and was dropped).
 */
static int detach_nodes(struct ynode *root, struct config *c, const struct cfg_key *keys)
{
    int rc = 0;

    for (const struct cfg_key *k = keys; k->name; k++) {
        struct ynode *sect = ynode_get(root, k->name);
        if (k->type != CFG_SECTION || !sect || sect->kind != YNODE_MAP)
            continue;
        for (const struct cfg_key *s = k->sub; s->name; s++) {
            if (s->type != CFG_NODE)
                continue;
            for (size_t i = 0; i < sect->n; i++) {
                if (strcmp(sect->keys[i]->scalar, s->name) == 0 &&
                    *(struct ynode **)field_ptr(c, s) == sect->items[i]) {
                    struct ynode *placeholder = ynode_new_scalar("", sect->file, 0);
                    if (placeholder) {
                        sect->items[i] = placeholder;
                        repoint_file(*(struct ynode **)field_ptr(c, s), c->file);
                    } else {
                        /* cannot detach: drop our reference so nothing is freed twice */
                        *(struct ynode **)field_ptr(c, s) = NULL;
                        rc = COL_ERR_NOMEM;
                    }
                }
            }
        }
    }
    return rc;
}

/* The node of @dotted ("mqtt.tls.cert_file") in the document, or NULL. */
static const struct ynode *key_node(const struct ynode *root, const char *dotted)
{
    const struct ynode *n = root;
    const char *p = dotted;
    char part[64];

    while (n && *p) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof(part) || n->kind != YNODE_MAP)
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        n = ynode_get(n, part);
        p += len + (p[len] == '.');
    }
    return n;
}

/*
 * Report an error at the place that set @dotted: its line in the file, or
 * its --set; the whole file when neither wrote it (a default).
 */
static void key_error(struct diag *d, const struct config *c, const struct ynode *root,
                      const char *dotted, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void key_error(struct diag *d, const struct config *c, const struct ynode *root,
                      const char *dotted, const char *fmt, ...)
{
    const struct ynode *n = key_node(root, dotted);
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n)
        diag_error(d, n->file, n->line, "%s", msg);
    else
        diag_error(d, c->file, 0, "%s", msg);
}

/*
 * The secrets the configuration itself names: the broker password is read
 * now (every command needs it), the private keys that libraries read later
 * have their permissions checked now, so a loose file stops every command
 * with its name and mode instead of being used.
 */
static int read_secrets(struct config *c, const struct ynode *root, struct diag *d)
{
    const struct {
        const char *key;
        const char *path;
    } keys[] = {
        {"mqtt.tls.key_file", c->mqtt.tls.key_file},
        {"upload.client_key", c->upload.client_key},
    };
    char err[512];
    char *pw = NULL;
    int rc = 0;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].path && secret_check(keys[i].path, err, sizeof(err))) {
            key_error(d, c, root, keys[i].key, "%s %s", keys[i].key, err);
            rc = COL_ERR_CONFIG;
        }
    }
    if (!c->mqtt.password_file)
        return rc;
    switch (secret_read(c->mqtt.password_file, &pw, err, sizeof(err))) {
    case 0:
        secret_free(&c->mqtt.password);
        c->mqtt.password = pw;
        return rc;
    case COL_ERR_NOMEM:
        return COL_ERR_NOMEM;
    default:
        key_error(d, c, root, "mqtt.password_file", "mqtt.password_file %s", err);
        return COL_ERR_CONFIG;
    }
}

/* The upload's keys that only make sense together; secrets are checked when read. */
static int check_upload(struct config *c, struct diag *d)
{
    struct cfg_upload *u = &c->upload;
    unsigned h = 0, m = 0, sec = 0;
    char tail = 0;
    int rc = 0, n = sscanf(u->at, "%2u:%2u%c", &h, &m, &tail);

    if (n == 3 && tail == ':')
        n = sscanf(u->at, "%2u:%2u:%2u%c", &h, &m, &sec, &tail) == 3 ? 2 : 0;
    if (n != 2 || h > 23 || m > 59 || sec > 59) {
        diag_error(d, c->file, 0, "upload.at must be a local time HH:MM, not '%s'", u->at);
        rc = COL_ERR_CONFIG;
    }
    u->at_s = (long long)h * 3600 + m * 60 + sec;
    if (u->backoff_min_ms > u->backoff_max_ms) {
        diag_error(d, c->file, 0, "upload.backoff_min is larger than upload.backoff_max");
        rc = COL_ERR_CONFIG;
    }
    if ((u->client_cert == NULL) != (u->client_key == NULL)) {
        diag_error(d, c->file, 0, "upload.client_cert and upload.client_key go together");
        rc = COL_ERR_CONFIG;
    }
    if (u->auth == UPLOAD_AUTH_BEARER && !u->token_file) {
        diag_error(d, c->file, 0, "upload.auth: bearer needs upload.token_file");
        rc = COL_ERR_CONFIG;
    }
    if (u->auth == UPLOAD_AUTH_BASIC && (!u->username || !u->password_file)) {
        diag_error(d, c->file, 0,
                   "upload.auth: basic needs upload.username and "
                   "upload.password_file");
        rc = COL_ERR_CONFIG;
    }
    if (u->auth == UPLOAD_AUTH_SIGV4 &&
        (!u->aws_region || !u->aws_access_key_id || !u->aws_secret_file || !*u->aws_service)) {
        diag_error(d, c->file, 0,
                   "upload.auth: sigv4 needs upload.aws_region, "
                   "upload.aws_access_key_id and upload.aws_secret_file");
        rc = COL_ERR_CONFIG;
    }
    if (u->url && !*u->url) { /* url: "" (or --set upload.url=) turns the upload off */
        xfree(u->url);
        u->url = NULL;
    }
    if (u->url && (strncmp(u->url, "http://", 7) != 0 && strncmp(u->url, "https://", 8) != 0)) {
        diag_error(d, c->file, 0, "upload.url must start with http:// or https://");
        rc = COL_ERR_CONFIG;
    } else if (u->url) {
        /* user:password@host would end up in logs and process listings */
        const char *host = strstr(u->url, "//") + 2;
        const char *end = host + strcspn(host, "/?#");
        if (memchr(host, '@', (size_t)(end - host))) {
            diag_error(d, c->file, 0, "upload.url must not carry credentials; use upload.auth");
            rc = COL_ERR_CONFIG;
        }
        if (strpbrk(u->url, "?#")) {
            diag_error(d, c->file, 0, "upload.url is a base URL: no query string or fragment");
            rc = COL_ERR_CONFIG;
        }
    }
    return rc;
}

/* Where @section.@key was written (file and line), or the config file itself. */
static void key_place(const struct config *c, const struct ynode *root, const char *section,
                      const char *key, const char **file, int *line)
{
    const struct ynode *sect = root ? ynode_get(root, section) : NULL;
    const struct ynode *n = sect && sect->kind == YNODE_MAP ? ynode_get(sect, key) : NULL;

    *file = n ? n->file : c->file;
    *line = n ? n->line : 0;
}

/*
 * A persistent session only keeps messages while the collector is away if
 * the broker keeps the session: with MQTT 5 an expiry of 0 ends it at the
 * disconnect, and whatever was queued for us is dropped.
 */
static int check_session(struct config *c, const struct ynode *root, struct diag *d)
{
    const char *file;
    int line;

    if (c->mqtt.protocol != MQTT_V5 || c->mqtt.clean_session || c->mqtt.session_expiry_ms > 0)
        return 0;
    key_place(c, root, "mqtt", "session_expiry", &file, &line);
    diag_error(d, file, line,
               "mqtt.session_expiry must be more than 0 with a persistent session (clean_session "
               "off): with 0 the broker ends the session when the collector disconnects and "
               "drops the messages queued for it");
    return COL_ERR_CONFIG;
}

static int check_cross(struct config *c, const struct ynode *root, struct diag *d)
{
    const struct cfg_tls *tls = &c->mqtt.tls;
    int rc = 0;

    if (c->mqtt.reconnect_min_ms > c->mqtt.reconnect_max_ms) {
        diag_error(d, c->file, 0, "mqtt.reconnect_min is larger than mqtt.reconnect_max");
        rc = COL_ERR_CONFIG;
    }
    if ((tls->cert_file == NULL) != (tls->key_file == NULL)) {
        key_error(d, c, root, tls->cert_file ? "mqtt.tls.cert_file" : "mqtt.tls.key_file",
                  "mqtt.tls.cert_file and mqtt.tls.key_file go together");
        rc = COL_ERR_CONFIG;
    } else if (tls->cert_file && !tls->ca_file && !tls->ca_path) {
        /* TLS is on only with a CA to verify the broker: without one the
         * client certificate would be ignored and the session plaintext. */
        key_error(d, c, root, "mqtt.tls.cert_file",
                  "mqtt.tls.cert_file and key_file need mqtt.tls.ca_file or ca_path: without "
                  "a CA to verify the broker TLS is off and the connection would be plaintext");
        rc = COL_ERR_CONFIG;
    }
    if (c->mqtt.topics.n == 0) {
        diag_error(d, c->file, 0, "mqtt.topics must list at least one subscription");
        rc = COL_ERR_CONFIG;
    }
    if (check_upload(c, d))
        rc = COL_ERR_CONFIG;
    for (size_t i = 0; i < c->ingest.hj212_allow.n; i++) {
        struct cidr net;
        char why[160];

        if (cidr_parse(c->ingest.hj212_allow.v[i], &net, why, sizeof(why))) {
            key_error(d, c, root, "ingest.hj212_allow", "ingest.hj212_allow: %s", why);
            rc = COL_ERR_CONFIG;
        }
    }
    if (!*c->gateway.id) {
        diag_error(d, c->file, 0, "gateway.id must not be empty");
        rc = COL_ERR_CONFIG;
    }
    return rc;
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (const struct cfg_key *k = config_top_keys; k->name; k++)
        free_value(c, k);
    if (c->mqtt.password)
        explicit_bzero(c->mqtt.password, strlen(c->mqtt.password));
    xfree(c->file);
    xfree(c->dir);
    xfree(c);
}

static int apply_sets(struct ydoc *doc, const char *const *sets, size_t n_sets, struct diag *d)
{
    int rc = 0;

    for (size_t i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        size_t plen = eq ? (size_t)(eq - sets[i]) : 0;
        char path[256];
        if (plen == 0 || plen >= sizeof(path) || !memchr(sets[i], '.', plen)) {
            diag_error(d, "--set", (int)i + 1, "'%s' is not section.key=value", sets[i]);
            rc = COL_ERR_CONFIG;
            continue;
        }
        memcpy(path, sets[i], plen);
        path[plen] = '\0';
        int r = ynode_set_path(doc->root, path, eq + 1, "--set", (int)i + 1);
        if (r == COL_ERR_NOMEM)
            return r;
        if (r) {
            diag_error(d, "--set", (int)i + 1, "'%s' does not name a key inside a section", path);
            rc = COL_ERR_CONFIG;
        }
    }
    return rc;
}

/* Load from the file @path, or from @text (@len bytes) named @path when @text is set. */
static struct config *load(const char *path, const char *text, size_t len, const char *const *sets,
                           size_t n_sets, struct diag *d)
{
    struct config *c = xcalloc(1, sizeof(*c));
    struct ydoc *doc = NULL;
    struct binder b = {c, d};
    char err[512];
    int before = d->n_errors;

    if (!c) {
        diag_error(d, path, 0, "out of memory");
        return NULL;
    }
    c->file = xstrdup(path);
    if (!c->file)
        goto fail;
    {
        char *tmp = xstrdup(path);
        if (!tmp)
            goto fail;
        c->dir = xstrdup(dirname(tmp));
        xfree(tmp);
        if (!c->dir)
            goto fail;
    }
    doc =
        text ? ydoc_parse(c->file, text, len, err, sizeof(err)) : ydoc_load(path, err, sizeof(err));
    if (!doc) {
        diag_message(d, err);
        goto fail;
    }
    if (!doc->root) {
        doc->root = xcalloc(1, sizeof(*doc->root));
        if (!doc->root)
            goto fail;
        doc->root->kind = YNODE_MAP;
        doc->root->file = doc->file;
        doc->root->line = 1;
    }
    if (doc->root->kind != YNODE_MAP) {
        diag_error(d, path, doc->root->line, "the configuration must be a mapping of sections");
        goto fail;
    }
    if (apply_sets(doc, sets, n_sets, d) == COL_ERR_NOMEM)
        goto fail;
    if (bind_section(&b, config_top_keys, doc->root, "") == COL_ERR_NOMEM)
        goto fail;
    if (detach_nodes(doc->root, c, config_top_keys) == COL_ERR_NOMEM) {
        diag_error(d, path, 0, "out of memory");
        goto fail;
    }
    if (d->n_errors == before) {
        if (read_secrets(c, doc->root, d) == COL_ERR_NOMEM) {
            diag_error(d, path, 0, "out of memory");
            goto fail;
        }
        check_cross(c, doc->root, d);
        check_session(c, doc->root, d);
    }
    if (d->n_errors != before)
        goto fail;
    ydoc_free(doc);
    return c;
fail:
    if (d->n_errors == before)
        diag_error(d, path, 0, "out of memory");
    detach_nodes(doc ? doc->root : NULL, c, config_top_keys);
    ydoc_free(doc);
    config_free(c);
    return NULL;
}

struct config *config_load(const char *path, const char *const *sets, size_t n_sets, struct diag *d)
{
    return load(path, NULL, 0, sets, n_sets, d);
}

struct config *config_parse(const char *name, const char *text, size_t len, const char *const *sets,
                            size_t n_sets, struct diag *d)
{
    return load(name, text ? text : "", text ? len : 0, sets, n_sets, d);
}
