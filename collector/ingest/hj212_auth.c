/*
 * The HJ 212 password table (see hj212_auth.h): MN -> password, in a
 * strmap whose values are the secret strings, wiped when freed. The
 * directory is listed once per load; a file is read only through
 * secret_read(), which refuses files that group or others can access.
 */
#include "hj212_auth.h"
#include "col_err.h"
#include "core/log.h"
#include "core/secret.h"
#include "diag.h"
#include "hj212.h"
#include "registry.h"
#include "strmap.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct hj212_auth {
    struct strmap *pw; /* MN -> char * (secret_free) */
    bool require_password;
};

static void free_one(const char *key, void *val, void *ud)
{
    char *s = val;

    (void)key;
    (void)ud;
    secret_free(&s);
}

void hj212_auth_free(struct hj212_auth *a)
{
    if (!a)
        return;
    if (a->pw)
        strmap_each(a->pw, free_one, NULL);
    strmap_free(a->pw);
    xfree(a);
}

size_t hj212_auth_count(const struct hj212_auth *a)
{
    return a ? strmap_count(a->pw) : 0;
}

/* Whether @name can be an MN (what the header parser accepts) and a file name. */
static bool is_mn_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > HJ212_MN_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/*
 * Read the password file @path for @mn into the table. 0, COL_ERR_NOMEM,
 * or COL_ERR_CONFIG reported at @file:@line (file NULL: at @path).
 */
static int add_file(struct hj212_auth *a, const char *mn, const char *path, const char *file,
                    int line, struct diag *d)
{
    char err[512];
    char *pw = NULL;
    int rc = secret_read(path, &pw, err, sizeof(err));

    if (rc == COL_ERR_NOMEM)
        return rc;
    if (rc) {
        diag_error(d, file ? file : path, file ? line : 0, "password of %s: %s", mn, err);
        return COL_ERR_CONFIG;
    }
    if (!hj212_password_ok(pw, strlen(pw))) {
        diag_error(d, file ? file : path, file ? line : 0, "password of %s in %s: %s", mn, path,
                   HJ212_PASSWORD_RULE);
        secret_free(&pw);
        return COL_ERR_CONFIG;
    }
    if (strmap_put(a->pw, mn, pw)) {
        secret_free(&pw);
        return COL_ERR_NOMEM;
    }
    return 0;
}

static int load_registry(struct hj212_auth *a, const struct registry *reg, struct diag *d)
{
    int bad = 0;

    for (size_t i = 0; reg && i < reg->n_devices; i++) {
        const struct reg_device *dv = &reg->devices[i];
        int rc = 0;

        if (dv->hj212_password_file) {
            rc =
                add_file(a, dv->id, dv->hj212_password_file, reg->file, dv->hj212_password_line, d);
        } else if (dv->hj212_password) {
            char *pw = xstrdup(dv->hj212_password);

            rc = !pw || strmap_put(a->pw, dv->id, pw) ? COL_ERR_NOMEM : 0;
            if (rc)
                secret_free(&pw);
        }
        if (rc == COL_ERR_NOMEM)
            return rc;
        bad |= rc;
    }
    return bad ? COL_ERR_CONFIG : 0;
}

static int load_dir(struct hj212_auth *a, const struct registry *reg, const char *dir,
                    struct diag *d)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    int bad = 0, rc = 0;

    if (!dp) {
        diag_error(d, dir, 0, "ingest.hj212_password_dir: cannot open: %s", strerror(errno));
        return COL_ERR_CONFIG;
    }
    while (rc != COL_ERR_NOMEM) {
        const struct reg_device *dv;
        char path[4096];

        e = readdir(dp);
        if (!e)
            break;
        dv = reg ? registry_device(reg, e->d_name) : NULL;
        if (e->d_name[0] == '.')
            continue;
        if (!is_mn_name(e->d_name)) {
            log_warn("hj212: %s/%s skipped: a password file is named by the device's MN", dir,
                     e->d_name);
            continue;
        }
        if (dv && (dv->hj212_password_file || dv->hj212_password)) {
            diag_error(d, reg->file, dv->hj212_password_line,
                       "%s has a password here and in %s/%s: keep one", e->d_name, dir, e->d_name);
            bad = 1;
            continue;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path)) {
            diag_error(d, dir, 0, "ingest.hj212_password_dir: path too long");
            bad = 1;
            continue;
        }
        rc = add_file(a, e->d_name, path, NULL, 0, d);
        if (rc == COL_ERR_CONFIG)
            bad = 1;
    }
    closedir(dp);
    if (rc == COL_ERR_NOMEM)
        return rc;
    return bad ? COL_ERR_CONFIG : 0;
}

struct hj212_auth *hj212_auth_load(const struct registry *reg, const char *dir,
                                   bool require_password, struct diag *d)
{
    struct hj212_auth *a = xcalloc(1, sizeof(*a));
    int rc;

    if (!a)
        return NULL;
    a->require_password = require_password;
    a->pw = strmap_new();
    if (!a->pw)
        goto fail;
    rc = load_registry(a, reg, d);
    if (rc == 0 && dir)
        rc = load_dir(a, reg, dir, d);
    else if (rc == COL_ERR_CONFIG && dir)
        (void)load_dir(a, reg, dir, d); /* report its errors too, all at once */
    if (rc == COL_ERR_NOMEM)
        diag_error(d, "hj212", 0, "out of memory loading the device passwords");
    if (rc)
        goto fail;
    return a;
fail:
    hj212_auth_free(a);
    return NULL;
}

enum hj212_auth_verdict hj212_auth_check(const struct hj212_auth *a, const char *mn, const char *pw)
{
    const char *want = a ? strmap_get(a->pw, mn) : NULL;

    if (!want)
        return a && a->require_password ? HJ212_AUTH_NONE : HJ212_AUTH_OPEN;
    return hj212_password_equal(pw, strlen(pw), want, strlen(want)) ? HJ212_AUTH_OK
                                                                    : HJ212_AUTH_WRONG;
}
