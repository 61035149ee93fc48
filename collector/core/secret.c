/*
 * Secret files (see secret.h). The mode is checked on the descriptor that
 * is then read (fstat after open), so a file swapped between the check and
 * the read cannot slip through. Buffers that held a secret are wiped
 * before they are released.
 */
#include "secret.h"
#include "col_err.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_stat(const char *path, const struct stat *sb, char *err, size_t errlen)
{
    unsigned mode = (unsigned)(sb->st_mode & 07777);

    if (!S_ISREG(sb->st_mode)) {
        snprintf(err, errlen, "%s: a secret file must be a regular file", path);
        return COL_ERR_CONFIG;
    }
    if (sb->st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "%s: permissions %04o are too open: a secret file must not be accessible by "
                 "group or others (chmod 600 it)",
                 path, mode);
        return COL_ERR_CONFIG;
    }
    return 0;
}

int secret_check(const char *path, char *err, size_t errlen)
{
    struct stat sb;

    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return COL_ERR_IO;
    }
    return check_stat(path, &sb, err, errlen);
}

int secret_read(const char *path, char **out, char *err, size_t errlen)
{
    char buf[SECRET_MAX + 2];
    size_t n = 0, len;
    struct stat sb;
    int rc = COL_ERR_IO, fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return COL_ERR_IO;
    }
    if (fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    rc = check_stat(path, &sb, err, errlen);
    if (rc)
        goto out;
    rc = COL_ERR_IO;
    /* Read until the first line end or one byte past the longest line. */
    while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    len = strcspn(buf, "\r\n");
    rc = COL_ERR_CONFIG;
    if (len > SECRET_MAX) {
        snprintf(err, errlen, "%s: the first line is longer than %d bytes", path, SECRET_MAX);
        goto out;
    }
    if (len == 0) {
        snprintf(err, errlen, "%s: the first line is empty", path);
        goto out;
    }
    *out = xstrndup(buf, len);
    rc = *out ? 0 : COL_ERR_NOMEM;
    if (rc)
        snprintf(err, errlen, "out of memory");
out:
    explicit_bzero(buf, sizeof(buf));
    close(fd);
    return rc;
}

void secret_free(char **s)
{
    if (!s || !*s)
        return;
    explicit_bzero(*s, strlen(*s));
    xfree(*s);
    *s = NULL;
}
