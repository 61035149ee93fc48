/*
 * Power-loss test of the delivery guarantee, in the manner of SQLite's own
 * crash tests: a test VFS wraps the unix VFS and keeps every write (and
 * truncate) since the file's last xSync in memory, where reads see it, as
 * an OS page cache would. At a random write or sync the power is cut: that
 * operation and every later one fail, and of the writes not yet synced a
 * random subset reaches the disk, the last one it keeps possibly torn
 * (some sectors new, one garbage, the rest old). The real ingest and store
 * drive it: batches of messages go through ingest_add()/ingest_commit(); a
 * message is acknowledged when its batch's commit returned 0. After each
 * cut the file is reopened with the plain unix VFS and must pass
 * PRAGMA integrity_check, hold every acknowledged message exactly once
 * (six readings each) and counters that agree with the readings. The next
 * round redelivers what was not acknowledged, as the broker would.
 *
 *   POWERLOSS_CUTS=N    cut points to run (default 150; CI runs the default)
 *   POWERLOSS_SEED=S    seed of the random choices (default: time)
 *   POWERLOSS_SYNC=normal  with storage.synchronous normal instead: counts
 *                       the acknowledged messages lost and checks that each
 *                       was acknowledged after the WAL's last fsync (the
 *                       documented loss window) instead of failing
 */
#include "col_err.h"
#include "core/config.h"
#include "core/log.h"
#include "core/snapshot.h"
#include "diag.h"
#include "ingest/ingest.h"
#include "profile.h"
#include "registry.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_DEVICES 40
#define ROUND_MAX 120
#define SECTOR 512

/* ---- the power-loss VFS ---- */

/* One write or truncate not yet synced. */
struct pl_op {
    struct pl_op *next;
    sqlite3_int64 off; /* truncate: the new size */
    int n;             /* bytes written; -1: a truncate */
    unsigned char data[];
};

/* What the "disk" owes a path: ops since its last sync, oldest first. */
struct pl_node {
    struct pl_node *next;
    char *path;
    struct pl_op *ops, *last;
    long n_syncs;
};

struct pl_file {
    sqlite3_file base;
    struct pl_node *node;
    sqlite3_file *real;
};

/* What a cut can hit: an op, or nothing (the round's work was done). */
enum { OP_WRITE, OP_SYNC, OP_TRUNCATE, OP_DELETE, OP_IDLE, N_OP_KINDS };

static struct {
    sqlite3_vfs *real;
    struct pl_node *nodes;
    bool is_crashed;
    long n_ops;          /* writes, truncates and syncs so far */
    long cut_at;         /* the op that fails first; 0 = never */
    bool is_cut_at_sync; /* ... or the first op from there on that is not a write */
    long n_torn;         /* writes that reached the disk torn */
    long n_cuts_in[N_OP_KINDS];
    unsigned rng; /* xorshift state */
} pl;

static unsigned rnd(void)
{
    pl.rng ^= pl.rng << 13;
    pl.rng ^= pl.rng >> 17;
    pl.rng ^= pl.rng << 5;
    return pl.rng;
}

static struct pl_node *node_of(const char *path)
{
    struct pl_node *n;

    for (n = pl.nodes; n; n = n->next)
        if (strcmp(n->path, path) == 0)
            return n;
    n = calloc(1, sizeof(*n));
    if (!n)
        abort();
    n->path = strdup(path);
    n->next = pl.nodes;
    pl.nodes = n;
    return n;
}

static void drop_ops(struct pl_node *n)
{
    struct pl_op *o = n->ops, *next;

    for (; o; o = next) {
        next = o->next;
        free(o);
    }
    n->ops = n->last = NULL;
}

/* Counts an op of @kind; true when this one is where the power goes. */
static bool power_fails(int kind)
{
    if (pl.is_crashed)
        return true;
    pl.n_ops++;
    if (pl.cut_at && pl.n_ops >= pl.cut_at && (!pl.is_cut_at_sync || kind != OP_WRITE)) {
        pl.is_crashed = true;
        pl.n_cuts_in[kind]++;
    }
    return pl.is_crashed;
}

static void add_op(struct pl_node *n, sqlite3_int64 off, const void *data, int len)
{
    struct pl_op *o = malloc(sizeof(*o) + (size_t)(len > 0 ? len : 0));

    if (!o)
        abort();
    o->next = NULL;
    o->off = off;
    o->n = len;
    if (len > 0)
        memcpy(o->data, data, (size_t)len);
    if (n->last)
        n->last->next = o;
    else
        n->ops = o;
    n->last = o;
}

static sqlite3_int64 logical_size(struct pl_file *p, sqlite3_int64 real_size)
{
    sqlite3_int64 size = real_size;

    for (struct pl_op *o = p->node->ops; o; o = o->next) {
        if (o->n < 0)
            size = o->off;
        else if (o->off + o->n > size)
            size = o->off + o->n;
    }
    return size;
}

static int pl_close(sqlite3_file *f)
{
    struct pl_file *p = (struct pl_file *)f;

    /* Unsynced writes stay owed to the disk after a close, as in a page cache. */
    return p->real->pMethods->xClose(p->real);
}

static int pl_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    struct pl_file *p = (struct pl_file *)f;
    unsigned char *b = buf;
    sqlite3_int64 real_size = 0, size;
    int rc;

    if (pl.is_crashed)
        return SQLITE_IOERR_READ;
    rc = p->real->pMethods->xRead(p->real, buf, amt, off);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
        return rc;
    if (!p->node->ops)
        return rc;
    if (p->real->pMethods->xFileSize(p->real, &real_size) != SQLITE_OK)
        return SQLITE_IOERR_READ;
    size = real_size;
    for (struct pl_op *o = p->node->ops; o; o = o->next) {
        if (o->n < 0) {
            size = o->off;
            if (size < off + amt) /* what lay beyond is gone */
                memset(b + (size > off ? size - off : 0), 0,
                       (size_t)(off + amt - (size > off ? size : off)));
            continue;
        }
        if (o->off + o->n > size)
            size = o->off + o->n;
        if (o->off < off + amt && o->off + o->n > off) {
            sqlite3_int64 from = o->off > off ? o->off : off;
            sqlite3_int64 to = o->off + o->n < off + amt ? o->off + o->n : off + amt;
            memcpy(b + (from - off), o->data + (from - o->off), (size_t)(to - from));
        }
    }
    if (off + amt <= size)
        return SQLITE_OK;
    memset(b + (size > off ? size - off : 0), 0, (size_t)(off + amt - (size > off ? size : off)));
    return SQLITE_IOERR_SHORT_READ;
}

static int pl_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    struct pl_file *p = (struct pl_file *)f;

    if (power_fails(OP_WRITE))
        return SQLITE_IOERR_WRITE;
    add_op(p->node, off, buf, amt);
    return SQLITE_OK;
}

static int pl_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct pl_file *p = (struct pl_file *)f;

    if (power_fails(OP_TRUNCATE))
        return SQLITE_IOERR_TRUNCATE;
    add_op(p->node, size, NULL, -1);
    return SQLITE_OK;
}

/* Make @n's ops durable: apply them to the real file in order. */
static int apply_ops(struct pl_node *n, sqlite3_file *real)
{
    int rc = SQLITE_OK;

    for (struct pl_op *o = n->ops; o && rc == SQLITE_OK; o = o->next)
        rc = o->n < 0 ? real->pMethods->xTruncate(real, o->off)
                      : real->pMethods->xWrite(real, o->data, o->n, o->off);
    drop_ops(n);
    return rc;
}

static int pl_sync(sqlite3_file *f, int flags)
{
    struct pl_file *p = (struct pl_file *)f;

    (void)flags;
    if (power_fails(OP_SYNC))
        return SQLITE_IOERR_FSYNC;
    p->node->n_syncs++;
    /* The real fsync is not needed: durability is what this VFS decides. */
    return apply_ops(p->node, p->real);
}

static int pl_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct pl_file *p = (struct pl_file *)f;
    sqlite3_int64 real_size;
    int rc;

    if (pl.is_crashed)
        return SQLITE_IOERR_FSTAT;
    rc = p->real->pMethods->xFileSize(p->real, &real_size);
    if (rc == SQLITE_OK)
        *size = logical_size(p, real_size);
    return rc;
}

static int pl_lock(sqlite3_file *f, int lock)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xLock(p->real, lock);
}

static int pl_unlock(sqlite3_file *f, int lock)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xUnlock(p->real, lock);
}

static int pl_check_reserved(sqlite3_file *f, int *out)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int pl_file_control(sqlite3_file *f, int op, void *arg)
{
    struct pl_file *p = (struct pl_file *)f;

    /* The unix VFS would grow the real file behind our back. */
    if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE)
        return SQLITE_OK;
    return p->real->pMethods->xFileControl(p->real, op, arg);
}

static int pl_sector_size(sqlite3_file *f)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xSectorSize(p->real);
}

static int pl_device_characteristics(sqlite3_file *f)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xDeviceCharacteristics(p->real);
}

/* The WAL index lives in shared memory the unix VFS maps itself; it is
 * rebuilt from the WAL after a crash, so it is simply delegated. */
static int pl_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xShmMap(p->real, pg, sz, extend, pp);
}

static int pl_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void pl_shm_barrier(sqlite3_file *f)
{
    struct pl_file *p = (struct pl_file *)f;
    p->real->pMethods->xShmBarrier(p->real);
}

static int pl_shm_unmap(sqlite3_file *f, int delete_flag)
{
    struct pl_file *p = (struct pl_file *)f;
    return p->real->pMethods->xShmUnmap(p->real, delete_flag);
}

/* Version 2: no xFetch, so SQLite never maps the file and reads through us. */
static const sqlite3_io_methods pl_io = {
    2,
    pl_close,
    pl_read,
    pl_write,
    pl_truncate,
    pl_sync,
    pl_file_size,
    pl_lock,
    pl_unlock,
    pl_check_reserved,
    pl_file_control,
    pl_sector_size,
    pl_device_characteristics,
    pl_shm_map,
    pl_shm_lock,
    pl_shm_barrier,
    pl_shm_unmap,
    NULL,
    NULL,
};

static int pl_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    struct pl_file *p = (struct pl_file *)f;
    int rc;

    (void)vfs;
    memset(p, 0, sizeof(*p));
    p->real = (sqlite3_file *)(p + 1);
    if (pl.is_crashed)
        return SQLITE_CANTOPEN;
    rc = pl.real->xOpen(pl.real, name, p->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;
    p->node = node_of(name ? name : "");
    p->base.pMethods = &pl_io;
    return SQLITE_OK;
}

static int pl_delete(sqlite3_vfs *vfs, const char *name, int dir_sync)
{
    (void)vfs;
    if (power_fails(OP_DELETE))
        return SQLITE_IOERR_DELETE;
    drop_ops(node_of(name));
    return pl.real->xDelete(pl.real, name, dir_sync);
}

static int pl_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return pl.real->xAccess(pl.real, name, flags, out);
}

static int pl_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return pl.real->xFullPathname(pl.real, name, n, out);
}

static sqlite3_vfs pl_vfs;

static void pl_register(void)
{
    pl.real = sqlite3_vfs_find("unix");
    if (!pl.real)
        abort();
    pl_vfs = *pl.real;
    pl_vfs.zName = "powerloss";
    pl_vfs.szOsFile = (int)sizeof(struct pl_file) + pl.real->szOsFile;
    pl_vfs.pNext = NULL;
    pl_vfs.xOpen = pl_open;
    pl_vfs.xDelete = pl_delete;
    pl_vfs.xAccess = pl_access;
    pl_vfs.xFullPathname = pl_full_pathname;
    sqlite3_vfs_register(&pl_vfs, 1);
}

/*
 * The power is gone: of each file's unsynced ops a random subset reaches
 * the disk, in order, and a write may land torn. Then the cache is empty.
 */
static void power_loss(bool may_keep)
{
    for (struct pl_node *n = pl.nodes; n; n = n->next) {
        FILE *f = NULL;

        for (struct pl_op *o = n->ops; o && may_keep; o = o->next) {
            if (rnd() % 2)
                continue; /* never reached the disk */
            if (!f)
                f = fopen(n->path, "r+b");
            if (!f)
                break;
            if (o->n < 0) {
                if (ftruncate(fileno(f), (off_t)o->off) != 0)
                    abort();
                continue;
            }
            {
                int n_sectors = (o->n + SECTOR - 1) / SECTOR, keep = o->n;
                unsigned char garbage[SECTOR];
                if (n_sectors > 1 && rnd() % 4 == 0) { /* torn: some sectors, then garbage */
                    keep = (int)(rnd() % (unsigned)n_sectors) * SECTOR;
                    pl.n_torn++;
                }
                if (fseeko(f, (off_t)o->off, SEEK_SET) != 0 ||
                    fwrite(o->data, 1, (size_t)keep, f) != (size_t)keep)
                    abort();
                if (keep < o->n) {
                    int g = o->n - keep < SECTOR ? o->n - keep : SECTOR;
                    for (int i = 0; i < g; i++)
                        garbage[i] = (unsigned char)rnd();
                    if (fwrite(garbage, 1, (size_t)g, f) != (size_t)g)
                        abort();
                }
            }
        }
        if (f)
            fclose(f);
        drop_ops(n);
    }
    pl.is_crashed = false;
    pl.cut_at = 0;
}

/* ---- the workload ---- */

struct msg {
    bool is_acked;
    long ack_wal_syncs; /* the WAL's sync count when its batch committed */
};

static struct {
    char dir[64];
    char cfg_path[128];
    char db_path[128];
    struct config *cfg;
    struct msg *msgs;
    int *n_readings; /* per message, found by verify() */
    long n_msgs;     /* messages sent so far (0..n_msgs-1) */
    bool is_normal;
    long n_lost; /* acknowledged but gone (synchronous normal only) */
} w;

static void make_msg(long i, char *topic, size_t tsz, char *payload, size_t psz)
{
    long dev = i % N_DEVICES;
    long long ts = 1732579200LL + (i / N_DEVICES) * 60;

    snprintf(topic, tsz, "xh/air/site%ld/dev-%ld", dev % 7, dev);
    snprintf(payload, psz,
             "{\"ts\":%lld,\"pm25\":%ld.5,\"pm10\":%ld,\"so2\":%ld,\"no2\":%ld.25,"
             "\"co\":0.%ld,\"o3\":%ld}",
             ts, i % 300, i % 400, i % 50, i % 90, i % 9 + 1, i % 200);
}

static long wal_syncs(void)
{
    char wal[160];

    snprintf(wal, sizeof(wal), "%s-wal", w.db_path);
    for (struct pl_node *n = pl.nodes; n; n = n->next)
        if (strcmp(n->path, wal) == 0)
            return n->n_syncs;
    return 0;
}

static struct ingest *open_ingest(struct store **st)
{
    struct diag d = {0};
    struct profile_set *ps = profile_set_load_dir(w.cfg->devices.profiles, &d);
    struct registry *reg = ps ? registry_load(NULL, ps, &d) : NULL;
    char err[512], sql[64];
    const struct snapshot *snap;
    struct ingest *ig;

    if (!ps || !reg) {
        fprintf(stderr, "powerloss: cannot load the device profiles\n");
        exit(1);
    }
    *st = store_open(&w.cfg->storage, true, err, sizeof(err));
    if (!*st) {
        profile_set_free(ps);
        registry_free(reg);
        return NULL;
    }
    /* Checkpoints (and WAL restarts) often, so that cuts land in them too. */
    snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %u", 8 + rnd() % 120);
    store_exec(*st, sql);
    snap = snapshot_of(ps, reg, NULL);
    ig = snap ? ingest_new(w.cfg, *st, snap) : NULL;
    snapshot_release(snap);
    return ig;
}

/* Redeliver what was not acknowledged, then new messages, in batches, until the power fails. */
static void run_round(long n_new)
{
    struct store *st = NULL;
    struct ingest *ig = open_ingest(&st);
    long *todo = malloc(sizeof(*todo) * (size_t)(w.n_msgs + n_new));
    long n_todo = 0, k = 0;

    if (!todo)
        abort();
    for (long i = 0; i < w.n_msgs && n_todo < ROUND_MAX; i++)
        if (!w.msgs[i].is_acked)
            todo[n_todo++] = i;
    /* A round is at most ROUND_MAX messages, redeliveries first, so that
     * rounds are alike and the cut lands anywhere in one. */
    if (n_todo + n_new > ROUND_MAX)
        n_new = n_todo < ROUND_MAX ? ROUND_MAX - n_todo : 0;
    for (long i = 0; i < n_new; i++)
        todo[n_todo++] = w.n_msgs + i;
    w.n_msgs += n_new;
    while (ig && k < n_todo && !pl.is_crashed) {
        long first = k, size = 1 + (long)(rnd() % 60);
        bool ok = true;
        int rc;

        for (; k < n_todo && k - first < size && ok; k++) {
            char topic[64], payload[256];
            make_msg(todo[k], topic, sizeof(topic), payload, sizeof(payload));
            ok = ingest_add(ig, topic, payload, strlen(payload), 1732600000000LL + todo[k]) == 0;
        }
        rc = ok ? ingest_commit(ig) : (ingest_rollback(ig), -1);
        if (rc == 0) {
            long syncs = wal_syncs();
            for (long j = first; j < k; j++) {
                w.msgs[todo[j]].is_acked = true;
                w.msgs[todo[j]].ack_wal_syncs = syncs;
            }
        }
    }
    if (!pl.is_crashed) { /* the work is done: the power goes while idle */
        pl.cut_at = pl.n_ops + 1;
        power_fails(OP_IDLE);
    }
    ingest_free(ig);
    store_close(st);
    free(todo);
}

static long long scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* After the cut, with the plain unix VFS: what must hold. 0 or 1 (failed). */
static int verify(long round)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    const char *ok;
    long long distinct, stored, readings;
    long wal_now = wal_syncs();
    int rc = 0;

    if (sqlite3_open_v2(w.db_path, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK) {
        fprintf(stderr, "round %ld: cannot reopen: %s\n", round, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 1;
    }
    if (scalar(db, "SELECT count(*) FROM sqlite_master") <= 0) {
        /* The cut came before the schema's first commit: nothing may be acknowledged. */
        for (long i = 0; i < w.n_msgs; i++) {
            if (!w.msgs[i].is_acked)
                continue;
            if (w.is_normal && w.msgs[i].ack_wal_syncs == wal_now) {
                w.msgs[i].is_acked = false;
                w.n_lost++;
                continue;
            }
            fprintf(stderr, "round %ld: no schema but message %ld acknowledged\n", round, i);
            rc = 1;
        }
        sqlite3_close(db);
        return rc;
    }
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        fprintf(stderr, "round %ld: integrity_check did not run: %s\n", round, sqlite3_errmsg(db));
        rc = 1;
    } else {
        ok = (const char *)sqlite3_column_text(s, 0);
        if (!ok || strcmp(ok, "ok") != 0) {
            fprintf(stderr, "round %ld: integrity_check: %s\n", round, ok ? ok : "?");
            rc = 1;
        }
    }
    sqlite3_finalize(s);
    /* Readings per message, in one scan: device dev-D at minute M is message M * N + D. */
    if (sqlite3_prepare_v2(db,
                           "SELECT substr(d.name, 5), r.ts, count(*) FROM readings r"
                           " JOIN devices d ON d.id = r.device_id GROUP BY r.ts, r.device_id",
                           -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "round %ld: %s\n", round, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 1;
    }
    memset(w.n_readings, 0, sizeof(*w.n_readings) * (size_t)w.n_msgs);
    while (sqlite3_step(s) == SQLITE_ROW) {
        long dev = strtol((const char *)sqlite3_column_text(s, 0), NULL, 10);
        long minute = (long)((sqlite3_column_int64(s, 1) / 1000 - 1732579200LL) / 60);
        long i = minute * N_DEVICES + dev;
        if (i >= 0 && i < w.n_msgs)
            w.n_readings[i] = (int)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    for (long i = 0; i < w.n_msgs; i++) {
        int n = w.n_readings[i];
        if (!w.msgs[i].is_acked || n == 6)
            continue;
        if (w.is_normal && n == 0 && w.msgs[i].ack_wal_syncs == wal_now) {
            /* Lost, as documented: acknowledged after the WAL's last fsync. */
            w.msgs[i].is_acked = false;
            w.n_lost++;
            continue;
        }
        fprintf(stderr,
                "round %ld: acknowledged message %ld has %d of 6 readings (WAL syncs %ld at "
                "its commit, %ld at the cut)\n",
                round, i, n, w.msgs[i].ack_wal_syncs, wal_now);
        rc = 1;
    }
    distinct = scalar(db, "SELECT count(*) FROM (SELECT DISTINCT ts, device_id FROM readings)");
    readings = scalar(db, "SELECT count(*) FROM readings");
    stored = scalar(db, "SELECT stored_messages FROM ingest_stats");
    if (stored != distinct || readings != 6 * distinct) {
        fprintf(stderr,
                "round %ld: counters disagree: stored_messages %lld, messages %lld, "
                "readings %lld\n",
                round, stored, distinct, readings);
        rc = 1;
    }
    if (sqlite3_close(db) != SQLITE_OK)
        rc = 1;
    return rc;
}

static void remove_dir(void)
{
    const char *names[] = {"c.db", "c.db-wal", "c.db-shm", "c.db-journal", "collector.yaml"};
    char path[200];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", w.dir, names[i]);
        unlink(path);
    }
    rmdir(w.dir);
}

int main(void)
{
    const char *env_cuts = getenv("POWERLOSS_CUTS");
    const char *env_seed = getenv("POWERLOSS_SEED");
    const char *env_sync = getenv("POWERLOSS_SYNC");
    long n_cuts = env_cuts ? strtol(env_cuts, NULL, 10) : 150;
    unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : (unsigned)time(NULL);
    long est_ops = 0, n_acked = 0;
    struct diag d = {0};
    FILE *f;
    int failed = 0;

    log_set_level(LOG_LVL_ERR);
    w.is_normal = env_sync && strcmp(env_sync, "normal") == 0;
    pl.rng = seed ? seed : 1;
    snprintf(w.dir, sizeof(w.dir), "/tmp/test_powerloss.XXXXXX");
    if (!mkdtemp(w.dir))
        return 1;
    snprintf(w.cfg_path, sizeof(w.cfg_path), "%s/collector.yaml", w.dir);
    snprintf(w.db_path, sizeof(w.db_path), "%s/c.db", w.dir);
    f = fopen(w.cfg_path, "w");
    if (!f)
        return 1;
    fprintf(f,
            "storage:\n  path: c.db\n  synchronous: %s\n"
            "ingest: {max_future: 0}\n"
            "devices:\n  profiles: " PROJECT_SRC_DIR "/devices/profiles\n  unknown: register\n",
            w.is_normal ? "normal" : "full");
    fclose(f);
    w.cfg = config_load(w.cfg_path, NULL, 0, &d);
    w.msgs = calloc((size_t)(n_cuts + 1) * 100, sizeof(*w.msgs));
    w.n_readings = calloc((size_t)(n_cuts + 1) * 100, sizeof(*w.n_readings));
    if (!w.cfg || !w.msgs || !w.n_readings)
        return 1;
    pl_register();
    printf("powerloss: %ld cuts, seed %u, synchronous %s\n", n_cuts, seed,
           w.is_normal ? "normal" : "full");
    for (long round = 1; round <= n_cuts && !failed; round++) {
        long ops0 = pl.n_ops, idle0 = pl.n_cuts_in[OP_IDLE];
        /* Cut somewhere in the work this round is expected to do, as the
         * last round that ran to its end did (the first one does), and half
         * as much again, which leaves some cuts for an idle gateway. */
        pl.cut_at = est_ops ? pl.n_ops + 1 + (long)(rnd() % (unsigned)(est_ops * 3 / 2 + 1)) : 0;
        /* A third of the cuts hit a sync: the commit points. */
        pl.is_cut_at_sync = rnd() % 3 == 0;
        run_round(10 + (long)(rnd() % 80));
        if (pl.n_cuts_in[OP_IDLE] > idle0 || pl.n_ops - ops0 > est_ops)
            est_ops = pl.n_ops - ops0; /* all of the work, or at least this much */
        power_loss(rnd() % 4 != 0);
        failed = verify(round);
    }
    for (long i = 0; i < w.n_msgs; i++)
        n_acked += w.msgs[i].is_acked;
    sqlite3_vfs_unregister(&pl_vfs);
    printf("powerloss: %s after %ld ops: %ld messages sent, %ld acknowledged%s; cuts in a "
           "write %ld, a sync %ld, a truncate %ld, a delete %ld, idle %ld; %ld torn writes\n",
           failed ? "FAILED" : "ok", pl.n_ops, w.n_msgs, n_acked,
           failed        ? ""
           : w.is_normal ? " and there"
                         : " and there exactly once",
           pl.n_cuts_in[OP_WRITE], pl.n_cuts_in[OP_SYNC], pl.n_cuts_in[OP_TRUNCATE],
           pl.n_cuts_in[OP_DELETE], pl.n_cuts_in[OP_IDLE], pl.n_torn);
    if (w.is_normal)
        printf("powerloss: synchronous normal lost %ld acknowledged messages, each "
               "acknowledged after the WAL's last fsync\n",
               w.n_lost);
    config_free(w.cfg);
    free(w.msgs);
    free(w.n_readings);
    if (!failed)
        remove_dir();
    else
        fprintf(stderr, "powerloss: files kept in %s; rerun with POWERLOSS_SEED=%u\n", w.dir, seed);
    return failed;
}
