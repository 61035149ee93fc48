/*
 * Internals shared by the files of the upload module (see upload.h):
 * upload.c (the runs, the worker thread, retries and the disk guard),
 * upload_ledger.c (the ledger: which days, each attempt's row, the counts),
 * upload_export.c (one day as gzip NDJSON files and a manifest, streamed),
 * upload_put.c (HTTP PUT with libcurl, authentication, classification of
 * failures) and upload_hash.c (SHA-256 through libcrypto).
 */
#ifndef UPLOAD_INT_H
#define UPLOAD_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct cfg_upload;
struct store;
struct upload_opts;

/* Version of the NDJSON and manifest format described in docs/upload.md. */
#define UPLOAD_SCHEMA_VERSION 1
#define UPLOAD_MAX_FILES 16
#define UPLOAD_MANIFEST "manifest.json"

#define UPLOAD_SHA256_HEX_LEN 65 /* 64 lowercase hex digits and the NUL */

/*
 * A SHA-256 in progress (upload_hash.c, OpenSSL EVP). begin() returns 0 or
 * COL_ERR_NOMEM; add() records a failure for end(); end() writes the hex
 * digest and returns 0 or COL_ERR_NOMEM, and frees the context like drop(),
 * which accepts a context never begun or already ended.
 */
struct upload_sha256 {
    struct evp_md_ctx_st *md;
    bool is_failed;
};
int upload_sha256_begin(struct upload_sha256 *h);
void upload_sha256_add(struct upload_sha256 *h, const void *p, size_t n);
int upload_sha256_end(struct upload_sha256 *h, char hex[UPLOAD_SHA256_HEX_LEN]);
void upload_sha256_drop(struct upload_sha256 *h);

struct upload_file {
    char name[32];
    int64_t rows;
    int64_t bytes;
    char sha256[UPLOAD_SHA256_HEX_LEN];
};

/* One exported day: the data files in sending order, then the manifest. */
struct upload_export {
    char day[11];
    long revision;
    int64_t t0_ms, t1_ms; /* local midnight to local midnight, UTC ms */
    size_t n_files;       /* including the manifest, which is files[n_files - 1] */
    struct upload_file files[UPLOAD_MAX_FILES];
    int64_t rows, bytes; /* totals of the data files */
};

/*
 * Write @day (revision @rev) of the database into directory @dir, which is
 * created or emptied first: every data file as gzip NDJSON, then the
 * manifest. Reads in one transaction, so the files and the manifest agree
 * even while ingest and rollups write; memory stays flat (rows are streamed
 * through deflate). @stop (may be NULL) ends the export early with
 * COL_ERR_BUSY. Returns 0, COL_ERR_DB, COL_ERR_IO, COL_ERR_NOMEM or COL_ERR_BUSY.
 */
int upload_export_day(struct store *st, const struct config *cfg, const char *day, long rev,
                      int64_t now_ms, const char *dir, const atomic_int *stop,
                      struct upload_export *ex);

/* Remove @dir and the files in it (one level). */
void upload_remove_dir(const char *dir);

enum upload_outcome {
    UPLOAD_OK = 0,
    UPLOAD_RETRY,   /* network, 5xx, 408, 429: try again later */
    UPLOAD_CONFIG,  /* any other 4xx, TLS or credential problems: an operator must act */
    UPLOAD_STOPPED, /* the daemon is stopping */
};

struct upload_put_result {
    enum upload_outcome outcome;
    long status;            /* HTTP status, 0 when none came */
    int64_t retry_after_ms; /* from a Retry-After header, 0 if none */
    int64_t bytes_sent;
    char error[256]; /* why, for the ledger; never holds a secret */
};

/* Set res->error (truncated to fit; the reason is for people, not parsers). */
void upload_errorf(struct upload_put_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct upload_http;

/*
 * A connection for one run: reads the secret files now (so a rotated token
 * is picked up at the next run) and keeps the connection open between the
 * files of a run. @stop (may be NULL) aborts a transfer when set. NULL with
 * the reason in @res (outcome UPLOAD_CONFIG for an unreadable secret).
 */
struct upload_http *upload_http_new(const struct cfg_upload *u, const atomic_int *stop,
                                    struct upload_put_result *res);
void upload_http_free(struct upload_http *h);

/*
 * PUT the file at @path (@size bytes, SHA-256 @sha256) to @url. Blocks for
 * the transfer. Returns 0 when the outcome is known (see @res), or a
 * negative COL_ERR_* when the request could not be set up.
 */
int upload_http_put(struct upload_http *h, const char *url, const char *path, int64_t size,
                    const char *sha256, const char *content_type, struct upload_put_result *res);

/* Local midnight starting @day and the next one (23, 24 or 25 hours later), UTC ms. */
int upload_day_bounds(const char *day, int64_t *t0, int64_t *t1);

/* The first column of the first row of @sql (a literal: see db_prepare), 0 when there is none. */
int64_t upload_scalar(struct store *st, const char *sql);
/* Bytes the database can still grow by: free disk plus its own free pages, capped by max_size. */
int64_t upload_disk_room(const struct config *cfg, struct store *st);

/* One day a run sends. */
struct upload_due {
    char day[11];
    char state[16]; /* ledger state before this run */
    long revision;  /* the revision this run sends */
};

/* The days of a run, in day order, and why the list ends where it does. */
struct upload_plan {
    struct upload_due *v;
    size_t n, cap;
    int64_t retry_at_ms; /* a failed day waiting for its backoff */
    bool is_blocked;     /* a config_error day holds the queue */
    char blocked_day[11];
};

/*
 * Which days this run sends, in day order: every day before today with
 * data (or a ledger row) that is not delivered, and delivered days changed
 * since, inside the re-upload window. Stops at a day that must wait (a
 * backoff, a configuration error held under fingerprint @fp), so that no
 * later day overtakes it. The caller frees p->v. 0, COL_ERR_DB or COL_ERR_NOMEM.
 */
int upload_ledger_plan(const struct config *cfg, struct store *st, const struct upload_opts *o,
                       const char *fp, struct upload_plan *p);

/* Attempts recorded for @day (1 when it has no row). */
int64_t upload_ledger_attempts(struct store *st, const char *day);
/* @d is 'uploading' from now on, before the first byte goes out. */
int upload_ledger_start(struct store *st, const struct upload_due *d, int64_t now_ms);
/* @d failed with @res: now in @state ("failed", "config_error"), next try at @next_ms (0: none);
 * @fp (may be NULL) is the configuration a config_error is held under. */
int upload_ledger_fail(struct store *st, const struct upload_due *d, const char *state,
                       const struct upload_put_result *res, int64_t next_ms, const char *fp);
/* @d is 'done': every file of @ex was delivered; the manifest at @manifest_path is kept. */
int upload_ledger_done(struct store *st, const struct upload_due *d, const struct upload_export *ex,
                       long status, const char *manifest_path);

#endif
