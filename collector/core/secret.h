/*
 * Secret files: the one place that reads a password, token or key from a
 * file and checks who else may read it. Like ssh with a loose private key,
 * the collector refuses a secret file that group or others can read or
 * write: on a gateway that several people log in to, a 0644 password file
 * is a leak that nobody notices, while a refusal names the file and its
 * mode at the first start. The path may appear in messages; the contents
 * never do.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

/* The longest first line a secret file may have, in bytes. */
#define SECRET_MAX 4095

/*
 * Read the first line of @path (without its line end) into a new string,
 * *out, that the caller releases with secret_free(). The file must be a
 * regular file with no permission bits for group or others, and its first
 * line must be neither empty nor longer than SECRET_MAX.
 * Returns 0; COL_ERR_IO when the file cannot be opened or read;
 * COL_ERR_CONFIG when it is too open, not a regular file, empty or too
 * long; COL_ERR_NOMEM. On failure @err says why, naming the file (and its
 * mode when that is the reason) but never the contents. Thread-safe;
 * blocks on file I/O.
 */
int secret_read(const char *path, char **out, char *err, size_t errlen);

/*
 * Check the permissions of a secret file that a library reads itself (a
 * TLS private key) by the rules of secret_read(), without reading it.
 * Returns 0, COL_ERR_IO (cannot stat) or COL_ERR_CONFIG, with @err set.
 */
int secret_check(const char *path, char *err, size_t errlen);

/* Wipe and free *s, and set it to NULL. Accepts NULL and a NULL *s. */
void secret_free(char **s);

#endif
