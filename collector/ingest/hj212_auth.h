/*
 * HJ 212 device passwords, for the TCP listener: which PW each device (by
 * MN) must send. A password comes from the registry (a device's
 * hj212_password_file, a secret file read through core/secret.h, or its
 * inline hj212_password) or from ingest.hj212_password_dir, one secret file
 * per MN. All are read when the table is built (start, SIGHUP), so a packet
 * is checked without file I/O, and a loose or unreadable password file
 * stops the start (or the reload) with its name instead of leaving a
 * device open. Passwords never appear in messages.
 */
#ifndef HJ212_AUTH_H
#define HJ212_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct registry;
struct hj212_auth;

enum hj212_auth_verdict {
    HJ212_AUTH_OK,    /* the PW sent is the device's password */
    HJ212_AUTH_OPEN,  /* the device has no password: accepted whatever it sends */
    HJ212_AUTH_WRONG, /* the PW sent (empty included) is not the device's password */
    HJ212_AUTH_NONE,  /* the device has no password and @require_password is set */
};

/*
 * Build the table from the devices of @reg (borrowed; may be NULL) and the
 * secret files of directory @dir (NULL: none; a file per MN, named by the
 * MN; names starting with '.' are skipped, names that cannot be an MN are
 * skipped with a warning). With @require_password a device without a
 * password is refused. Returns NULL when any password cannot be read or
 * is not one a device can send, or when an MN has one both in the
 * registry and in @dir: every error goes to @d (registry file:line or the
 * file's path). Blocks on file I/O.
 */
struct hj212_auth *hj212_auth_load(const struct registry *reg, const char *dir,
                                   bool require_password, struct diag *d);

/* Wipe and free. Accepts NULL. */
void hj212_auth_free(struct hj212_auth *a);

/* Devices with a password. */
size_t hj212_auth_count(const struct hj212_auth *a);

/*
 * Judge the PW @pw (NUL-terminated, as parsed from the header; "" when the
 * packet had none) sent for device @mn. The comparison takes the same time
 * whatever the password is. Pure; thread-safe for concurrent readers.
 */
enum hj212_auth_verdict hj212_auth_check(const struct hj212_auth *a, const char *mn,
                                         const char *pw);

#endif
