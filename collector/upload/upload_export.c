/*
 * Export of one local day for the data pool (see upload_int.h and
 * docs/upload.md): every file is one SQL query whose rows become NDJSON
 * objects, keyed by the query's column names, streamed through deflate into
 * a gzip file while its SHA-256, size and row count are computed. Nothing
 * holds a day in memory: a row is formatted into one line buffer, and the
 * queries avoid ORDER BY clauses that would make SQLite sort a day's rows
 * (the database keeps temporary data in memory). The manifest is written
 * last, from the numbers gathered on the way.
 */
#include "col_err.h"
#include "core/config.h"
#include "gb3095.h"
#include "hj633.h"
#include "core/log.h"
#include "store/db.h"
#include "store/store.h"
#include "upload_int.h"
#include "xalloc.h"
#include "core/calendar.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OUT_BUF (64 * 1024)

/* ---- one line of NDJSON ---- */

struct line {
    char *p;
    size_t n, cap;
    bool is_first;
    bool is_nomem;
};

static void put(struct line *l, const char *s, size_t len)
{
    char *np;

    if (l->is_nomem)
        return;
    np = xgrow(l->p, &l->cap, l->n + len + 1, 1, 1024);
    if (!np) {
        l->is_nomem = true;
        return;
    }
    l->p = np;
    if (len) /* @s may be NULL then */
        memcpy(l->p + l->n, s, len);
    l->n += len;
}

static void putc_(struct line *l, char c)
{
    put(l, &c, 1);
}

/* Length of the well-formed UTF-8 sequence at @s (at most @len bytes), 0 if malformed. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    size_t n;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A JSON string; bytes that are not UTF-8 (topics of rejected messages) become U+FFFD. */
static void put_str(struct line *l, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;

    putc_(l, '"');
    while (i < len) {
        size_t n = u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' ? utf8_seq(u + i, len - i) : 0;
        if (n) {
            i += n;
            run += n;
            continue;
        }
        put(l, s + i - run, run);
        run = 0;
        if (u[i] == '"')
            put(l, "\\\"", 2);
        else if (u[i] == '\\')
            put(l, "\\\\", 2);
        else if (u[i] == '\n')
            put(l, "\\n", 2);
        else if (u[i] == '\t')
            put(l, "\\t", 2);
        else if (u[i] < 0x20) {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
            put(l, esc, 6);
        } else {
            put(l, "\\ufffd", 6);
        }
        i++;
    }
    put(l, s + i - run, run);
    putc_(l, '"');
}

static void put_key(struct line *l, const char *k)
{
    if (!l->is_first)
        putc_(l, ',');
    l->is_first = false;
    put_str(l, k, strlen(k));
    putc_(l, ':');
}

static void put_i64(struct line *l, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof(b), "%lld", (long long)v);

    put(l, b, (size_t)n);
}

/* Shortest of %.15g and %.17g that reads back as the same double; null when not finite. */
static void put_num(struct line *l, double v)
{
    char b[32];
    int n;

    if (!isfinite(v)) {
        put(l, "null", 4);
        return;
    }
    n = snprintf(b, sizeof(b), "%.15g", v);
    if (strtod(b, NULL) != v)
        n = snprintf(b, sizeof(b), "%.17g", v);
    put(l, b, (size_t)n);
}

static void put_base64(struct line *l, const unsigned char *p, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];

    putc_(l, '"');
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        q[0] = tab[v >> 18];
        q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        q[3] = i + 2 < len ? tab[v & 63] : '=';
        put(l, q, 4);
    }
    putc_(l, '"');
}

/*
 * One result row as an object: the column name is the key; an "is_" column
 * is a boolean; a blob is base64; a column whose name starts with "_" is
 * not written (it feeds a hook).
 */
static void put_row(struct line *l, struct db_stmt *s)
{
    int nc = db_col_count(s);

    l->n = 0;
    l->is_first = true;
    putc_(l, '{');
    for (int i = 0; i < nc; i++) {
        const char *name = db_col_name(s, i);
        enum db_type t = db_col_type(s, i);
        const void *bytes;
        size_t n;
        if (!name || name[0] == '_')
            continue;
        put_key(l, name);
        if (t == DB_NULL) {
            put(l, "null", 4);
        } else if (strncmp(name, "is_", 3) == 0) {
            bool is_true = db_col_i64(s, i) != 0;
            put(l, is_true ? "true" : "false", is_true ? 4 : 5);
        } else if (t == DB_INTEGER) {
            put_i64(l, db_col_i64(s, i));
        } else if (t == DB_FLOAT) {
            put_num(l, db_col_f64(s, i));
        } else {
            bytes = db_col_bytes(s, i, &n);
            if (t == DB_BLOB)
                put_base64(l, bytes, n);
            else
                put_str(l, bytes, n);
        }
    }
    put(l, "}\n", 2);
}

/* ---- a gzip file with its checksum ---- */

struct sink {
    FILE *f;
    z_stream z;
    bool has_z;
    struct upload_sha256 sha;
    int64_t bytes, rows;
    unsigned char *out;
};

static int sink_emit(struct sink *g, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, g->f) != n)
        return COL_ERR_IO;
    upload_sha256_add(&g->sha, p, n);
    g->bytes += (int64_t)n;
    return 0;
}

static int sink_open(struct sink *g, const char *path, bool is_gzip)
{
    memset(g, 0, sizeof(*g));
    if (upload_sha256_begin(&g->sha))
        return COL_ERR_NOMEM;
    g->f = fopen(path, "wb");
    if (!g->f) {
        log_err("upload: cannot create %s: %s", path, strerror(errno));
        return COL_ERR_IO;
    }
    if (!is_gzip)
        return 0;
    g->out = xmalloc(OUT_BUF);
    if (!g->out)
        return COL_ERR_NOMEM;
    /* windowBits 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return COL_ERR_NOMEM;
    g->has_z = true;
    return 0;
}

static int sink_deflate(struct sink *g, const void *p, size_t n, int flush)
{
    g->z.next_in = (unsigned char *)(uintptr_t)p;
    g->z.avail_in = (unsigned)n;
    do {
        int zr;
        g->z.next_out = g->out;
        g->z.avail_out = OUT_BUF;
        zr = deflate(&g->z, flush);
        if (zr == Z_STREAM_ERROR)
            return COL_ERR_IO;
        if (sink_emit(g, g->out, OUT_BUF - g->z.avail_out))
            return COL_ERR_IO;
    } while (g->z.avail_out == 0 || (flush == Z_FINISH && g->z.avail_in > 0));
    return 0;
}

static int sink_write(struct sink *g, const void *p, size_t n)
{
    return g->has_z ? sink_deflate(g, p, n, Z_NO_FLUSH) : sink_emit(g, p, n);
}

/* Finish the file and record it in @uf; always releases the sink. */
static int sink_close(struct sink *g, const char *name, struct upload_file *uf, int rc)
{
    if (rc == 0 && g->has_z)
        rc = sink_deflate(g, "", 0, Z_FINISH);
    if (g->has_z)
        deflateEnd(&g->z);
    if (g->f && fclose(g->f) != 0 && rc == 0)
        rc = COL_ERR_IO;
    xfree(g->out);
    if (rc == 0)
        rc = upload_sha256_end(&g->sha, uf->sha256);
    upload_sha256_drop(&g->sha);
    if (rc == 0) {
        snprintf(uf->name, sizeof(uf->name), "%s", name);
        uf->rows = g->rows;
        uf->bytes = g->bytes;
    }
    memset(g, 0, sizeof(*g));
    return rc;
}

/* ---- the files ---- */

/* Per-device counts of the day's readings, gathered while streaming them. */
struct dev_count {
    int64_t id, n, first_ts, last_ts;
};

struct exporter {
    struct store *st;
    const struct config *cfg;
    const char *dir;
    struct upload_export *ex;
    struct line line;
    struct dev_count *devs;
    size_t n_devs;
    const atomic_int *stop;
};

static struct dev_count *dev_find(struct exporter *e, int64_t id)
{
    size_t lo = 0, hi = e->n_devs;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->devs[mid].id == id)
            return &e->devs[mid];
        if (e->devs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Readings hook: columns _device_id (0) and ts (1) count the reading for its device. */
static void count_reading(struct exporter *e, struct db_stmt *s)
{
    struct dev_count *d = dev_find(e, db_col_i64(s, 0));
    int64_t ts = db_col_i64(s, 1);

    if (!d)
        return;
    if (d->n == 0 || ts < d->first_ts)
        d->first_ts = ts;
    if (d->n == 0 || ts > d->last_ts)
        d->last_ts = ts;
    d->n++;
}

static int load_devices(struct exporter *e)
{
    struct db_stmt *s = db_prepare(e->st, "SELECT id FROM devices ORDER BY id");
    size_t cap = 0;
    int rc = 0, step;

    if (!s)
        return COL_ERR_DB;
    while ((step = db_step(s)) == DB_ROW) {
        struct dev_count *nv = xgrow(e->devs, &cap, e->n_devs + 1, sizeof(*nv), 256);
        if (!nv) {
            rc = COL_ERR_NOMEM;
            break;
        }
        e->devs = nv;
        memset(&e->devs[e->n_devs], 0, sizeof(e->devs[0]));
        e->devs[e->n_devs++].id = db_col_i64(s, 0);
    }
    db_reset(s);
    return rc ? rc : step < 0 ? step : 0;
}

/* Bind ?1 = t0, ?2 = t1 (UTC ms) and ?3 = the day (a statement without them ignores them). */
static void bind_day(struct exporter *e, struct db_stmt *s)
{
    db_bind_i64(s, 1, e->ex->t0_ms);
    db_bind_i64(s, 2, e->ex->t1_ms);
    db_bind_text(s, 3, e->ex->day);
}

/* Stream the rows of @sql (NULL-terminated list of queries) into the sink. */
static int write_queries(struct exporter *e, struct sink *g, const char *const *sql,
                         void (*hook)(struct exporter *, struct db_stmt *))
{
    int rc = 0;

    for (size_t q = 0; rc == 0 && sql[q]; q++) {
        struct db_stmt *s = db_prepare(e->st, sql[q]);
        int step = DB_DONE;
        if (!s)
            return COL_ERR_DB;
        bind_day(e, s);
        while ((step = db_step(s)) == DB_ROW) {
            if (hook)
                hook(e, s);
            put_row(&e->line, s);
            if (e->line.is_nomem) {
                rc = COL_ERR_NOMEM;
                break;
            }
            rc = sink_write(g, e->line.p, e->line.n);
            if (rc)
                break;
            /* a day is millions of rows: let a stopping daemon go without waiting for it */
            if ((++g->rows & 0xffff) == 0 && e->stop && atomic_load(e->stop)) {
                rc = COL_ERR_BUSY;
                break;
            }
        }
        if (rc == 0 && step < 0)
            rc = step;
        db_reset(s);
    }
    return rc;
}

static int add_file(struct exporter *e, const char *name, const char *const *sql,
                    void (*hook)(struct exporter *, struct db_stmt *))
{
    char path[4200];
    struct sink g;
    int rc;

    if (NEVER(e->ex->n_files >= UPLOAD_MAX_FILES - 1))
        return COL_ERR_RANGE;
    snprintf(path, sizeof(path), "%s/%s", e->dir, name);
    rc = sink_open(&g, path, true);
    if (rc == 0)
        rc = write_queries(e, &g, sql, hook);
    rc = sink_close(&g, name, &e->ex->files[e->ex->n_files], rc);
    if (rc == 0) {
        e->ex->rows += e->ex->files[e->ex->n_files].rows;
        e->ex->bytes += e->ex->files[e->ex->n_files].bytes;
        e->ex->n_files++;
    } else if (rc == COL_ERR_IO) {
        log_err("upload: writing %s failed: %s", path, strerror(errno));
    }
    return rc;
}

/*
 * The queries. ?1/?2 are the day's bounds in UTC ms, ?3 the day. Readings
 * are read in key order (time first) with CROSS JOIN so SQLite walks the
 * day's range once and looks names up per row.
 */
static const char *const q_readings[] = {
    "SELECT r.device_id AS _device_id, r.ts, d.site, d.name AS device, m.name AS metric, "
    "r.value, m.unit, r.flags FROM readings r CROSS JOIN devices d CROSS JOIN metrics m "
    "WHERE r.ts >= ?1 AND r.ts < ?2 AND d.id = r.device_id AND m.id = r.metric_id "
    "ORDER BY r.ts, r.device_id, r.metric_id",
    NULL};

static const char *const q_hourly[] = {
    "SELECT 'device' AS scope, h.hour, d.site, d.name AS device, m.name AS metric, m.unit, h.n, "
    "NULL AS n_devices, h.mean, h.min, h.max, h.sum FROM devices d CROSS JOIN hourly h "
    "CROSS JOIN metrics m WHERE h.device_id = d.id AND h.hour >= ?1 AND h.hour < ?2 AND "
    "m.id = h.metric_id ORDER BY h.hour, h.device_id, h.metric_id",
    "SELECT 'site' AS scope, s.hour, s.site, NULL AS device, m.name AS metric, m.unit, NULL AS n, "
    "s.n_devices, s.mean, s.min, s.max, s.sum FROM site_hourly s CROSS JOIN metrics m "
    "WHERE s.hour >= ?1 AND s.hour < ?2 AND m.id = s.metric_id",
    NULL};

static const char *const q_daily[] = {
    "SELECT 'device' AS scope, x.day, d.site, d.name AS device, m.name AS metric, m.unit, "
    "x.n_hours, x.n, x.mean, x.min, x.max, x.sum, NULL AS is_valid FROM daily x CROSS JOIN "
    "devices d CROSS JOIN metrics m WHERE x.day = ?3 AND d.id = x.device_id AND "
    "m.id = x.metric_id",
    "SELECT 'site' AS scope, x.day, x.site, NULL AS device, m.name AS metric, m.unit, x.n_hours, "
    "NULL AS n, x.mean, x.min, x.max, x.sum, x.is_valid FROM site_daily x CROSS JOIN metrics m "
    "WHERE x.day = ?3 AND m.id = x.metric_id",
    NULL};

static const char *const q_aqi_hourly[] = {
    "SELECT site, hour, edition, aqi, level, primary_pollutants, so2, no2, co, o3, o3_8h, pm10, "
    "pm25, pm10_24h, pm25_24h, iaqi, missing FROM aqi_hourly WHERE hour >= ?1 AND hour < ?2",
    NULL};

static const char *const q_aqi_daily[] = {
    "SELECT site, day, edition, aqi, level, primary_pollutants, so2, no2, pm10, pm25, co, o3_1h, "
    "o3_8h, iaqi, missing, is_above_scale FROM aqi_daily WHERE day = ?3",
    NULL};

static const char *const q_water[] = {
    "SELECT 'sample' AS scope, w.site, d.name AS device, w.ts, NULL AS day, w.class, w.deciding, "
    "w.is_partial, w.n_evaluated, NULL AS worst_sample_class, NULL AS n_samples "
    "FROM water_samples w CROSS JOIN devices d WHERE w.ts >= ?1 AND w.ts < ?2 AND "
    "d.id = w.device_id",
    "SELECT 'day' AS scope, site, NULL AS device, NULL AS ts, day, class, deciding, is_partial, "
    "n_evaluated, worst_sample_class, n_samples FROM water_daily WHERE day = ?3",
    NULL};

static const char *const q_noise[] = {
    "SELECT site, day, zone, ld, ln, n_day_hours, n_night_hours, ld_limit, ln_limit, ld_over, "
    "ln_over, night_lmax, lmax_over FROM noise_daily WHERE day = ?3",
    NULL};

static const char *const q_waste[] = {
    "SELECT site, day, category, n_bins, deposited_kg, max_fill, last_fill, overflow_events, "
    "hazard_events FROM waste_daily WHERE day = ?3",
    NULL};

static const char *const q_alerts[] = {
    "SELECT CASE WHEN started_at >= ?1 AND started_at < ?2 AND ended_at >= ?1 AND ended_at < ?2 "
    "THEN 'opened_closed' WHEN ended_at >= ?1 AND ended_at < ?2 THEN 'closed' ELSE 'opened' END "
    "AS event, id, rule, scope, state, severity, domain, site, device, metric, value, threshold, "
    "unit, pending_since, started_at, ended_at, hits, message_zh, message_en, labels, "
    "annotations, acked_by, acked_at, ack_comment FROM alerts WHERE ((started_at >= ?1 AND "
    "started_at < ?2) OR (ended_at >= ?1 AND ended_at < ?2)) ORDER BY id",
    NULL};

static const char *const q_rejects[] = {
    "SELECT 'summary' AS type, reason, count(*) AS n FROM rejects WHERE received >= ?1 AND "
    "received < ?2 GROUP BY reason ORDER BY reason",
    "SELECT 'reject' AS type, reason, received, topic, detail, payload AS payload_base64 "
    "FROM rejects WHERE received >= ?1 AND received < ?2 ORDER BY id",
    NULL};

/* devices.ndjson.gz: the registry's view of each device and what it sent this day. */
static int add_devices(struct exporter *e)
{
    static const char sql[] = "SELECT id, name AS device, site, profile, source, first_seen, "
                              "last_seen, n_messages FROM devices "
                              "ORDER BY id";
    char path[4200];
    struct sink g;
    struct db_stmt *s = NULL;
    int rc, step = DB_DONE;

    snprintf(path, sizeof(path), "%s/devices.ndjson.gz", e->dir);
    rc = sink_open(&g, path, true);
    if (rc == 0 && !(s = db_prepare(e->st, sql)))
        rc = COL_ERR_DB;
    while (rc == 0 && (step = db_step(s)) == DB_ROW) {
        struct line *l = &e->line;
        struct dev_count *d = dev_find(e, db_col_i64(s, 0));
        l->n = 0;
        l->is_first = true;
        putc_(l, '{');
        for (int i = 1; i < 8; i++) {
            enum db_type t = db_col_type(s, i);
            put_key(l, db_col_name(s, i));
            if (t == DB_NULL) {
                put(l, "null", 4);
            } else if (t == DB_INTEGER) {
                put_i64(l, db_col_i64(s, i));
            } else {
                size_t n;
                const void *bytes = db_col_bytes(s, i, &n);
                put_str(l, bytes, n);
            }
        }
        put_key(l, "readings");
        put_i64(l, d ? d->n : 0);
        put_key(l, "first_reading");
        if (d && d->n)
            put_i64(l, d->first_ts);
        else
            put(l, "null", 4);
        put_key(l, "last_reading");
        if (d && d->n)
            put_i64(l, d->last_ts);
        else
            put(l, "null", 4);
        put(l, "}\n", 2);
        rc = l->is_nomem ? COL_ERR_NOMEM : sink_write(&g, l->p, l->n);
        g.rows++;
    }
    if (rc == 0 && step < 0)
        rc = step;
    db_reset(s);
    rc = sink_close(&g, "devices.ndjson.gz", &e->ex->files[e->ex->n_files], rc);
    if (rc == 0) {
        e->ex->rows += e->ex->files[e->ex->n_files].rows;
        e->ex->bytes += e->ex->files[e->ex->n_files].bytes;
        e->ex->n_files++;
    }
    return rc;
}

/* ---- the manifest ---- */

/* Local ISO 8601 in whole seconds: the manifest's times carry no milliseconds. */
static void iso_local(int64_t ms, char *out, size_t sz)
{
    cal_format_time(ms - ms % 1000, out, sz);
}

static int raw_state(struct exporter *e, const char **state)
{
    struct db_stmt *s = db_prepare(e->st, "SELECT raw_pruned FROM days WHERE day = ?1");
    int pruned = 0;

    if (!s)
        return COL_ERR_DB;
    db_bind_text(s, 1, e->ex->day);
    if (db_step(s) == DB_ROW)
        pruned = (int)db_col_i64(s, 0);
    db_reset(s);
    *state = pruned ? "pruned" : "complete";
    return 0;
}

static int write_manifest(struct exporter *e, int64_t now_ms, const char *raw)
{
    const struct upload_export *ex = e->ex;
    cJSON *m = cJSON_CreateObject(), *files, *std;
    char t[40], path[4200], *text = NULL;
    struct sink g;
    int y = 0, mo = 0, d = 0, rc = COL_ERR_NOMEM;
    enum hj633_edition aqi_ed = HJ633_2012;
    enum gb3095_edition air_ed = GB3095_2012;

    if (!m)
        return COL_ERR_NOMEM;
    if (sscanf(ex->day, "%4d-%2d-%2d", &y, &mo, &d) == 3) {
        hj633_edition_for_day(y, mo, d, &aqi_ed);
        gb3095_edition_for_day(y, mo, d, &air_ed);
    }
    cJSON_AddStringToObject(m, "format", "xuhui-collector-day");
    cJSON_AddNumberToObject(m, "schema_version", UPLOAD_SCHEMA_VERSION);
    cJSON_AddStringToObject(m, "gateway", e->cfg->gateway.id);
    cJSON_AddStringToObject(m, "day", ex->day);
    cJSON_AddStringToObject(m, "timezone", e->cfg->gateway.timezone);
    iso_local(ex->t0_ms, t, sizeof(t));
    cJSON_AddStringToObject(m, "start", t);
    iso_local(ex->t1_ms, t, sizeof(t));
    cJSON_AddStringToObject(m, "end", t);
    cJSON_AddNumberToObject(m, "start_ms", (double)ex->t0_ms);
    cJSON_AddNumberToObject(m, "end_ms", (double)ex->t1_ms);
    cJSON_AddNumberToObject(m, "revision", (double)ex->revision);
    iso_local(now_ms, t, sizeof(t));
    cJSON_AddStringToObject(m, "exported_at", t);
    cJSON_AddStringToObject(m, "raw_readings", raw);
    std = cJSON_AddObjectToObject(m, "standards");
    if (std) {
        cJSON_AddStringToObject(std, "aqi", hj633_edition_name(aqi_ed));
        cJSON_AddStringToObject(std, "air_quality", gb3095_edition_name(air_ed));
        cJSON_AddStringToObject(std, "statistics", "HJ 663-2013");
        cJSON_AddStringToObject(std, "water", "GB 3838-2002");
        cJSON_AddStringToObject(std, "noise", "GB 3096-2008");
    }
    files = cJSON_AddArrayToObject(m, "files");
    for (size_t i = 0; files && i < ex->n_files; i++) {
        cJSON *f = cJSON_CreateObject();
        if (!f || !cJSON_AddItemToArray(files, f)) {
            cJSON_Delete(f);
            goto out;
        }
        cJSON_AddStringToObject(f, "name", ex->files[i].name);
        cJSON_AddNumberToObject(f, "rows", (double)ex->files[i].rows);
        cJSON_AddNumberToObject(f, "bytes", (double)ex->files[i].bytes);
        cJSON_AddStringToObject(f, "sha256", ex->files[i].sha256);
    }
    cJSON_AddNumberToObject(m, "rows", (double)ex->rows);
    cJSON_AddNumberToObject(m, "bytes", (double)ex->bytes);
    text = cJSON_Print(m);
    if (!text || !files || !std)
        goto out;
    snprintf(path, sizeof(path), "%s/%s", e->dir, UPLOAD_MANIFEST);
    rc = sink_open(&g, path, false);
    if (rc == 0)
        rc = sink_write(&g, text, strlen(text));
    if (rc == 0)
        rc = sink_write(&g, "\n", 1);
    rc = sink_close(&g, UPLOAD_MANIFEST, &e->ex->files[e->ex->n_files], rc);
    if (rc == 0)
        e->ex->n_files++;
out:
    cJSON_free(text);
    cJSON_Delete(m);
    return rc;
}

/* ---- the day ---- */

void upload_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4200];

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int upload_export_day(struct store *st, const struct config *cfg, const char *day, long rev,
                      int64_t now_ms, const char *dir, const atomic_int *stop,
                      struct upload_export *ex)
{
    struct exporter e = {0};
    const char *raw = "complete";
    int rc;

    memset(ex, 0, sizeof(*ex));
    snprintf(ex->day, sizeof(ex->day), "%s", day);
    ex->revision = rev;
    if (upload_day_bounds(day, &ex->t0_ms, &ex->t1_ms))
        return COL_ERR_INVAL;
    upload_remove_dir(dir);
    if (mkdir(dir, 0700) != 0) {
        log_err("upload: cannot create %s: %s", dir, strerror(errno));
        return COL_ERR_IO;
    }
    e.st = st;
    e.cfg = cfg;
    e.dir = dir;
    e.ex = ex;
    e.stop = stop;
    rc = store_exec(st, "BEGIN");
    if (rc)
        return rc;
    rc = load_devices(&e);
    if (rc == 0)
        rc = raw_state(&e, &raw);
    if (rc == 0)
        rc = add_file(&e, "readings.ndjson.gz", q_readings, count_reading);
    if (rc == 0)
        rc = add_file(&e, "hourly.ndjson.gz", q_hourly, NULL);
    if (rc == 0)
        rc = add_file(&e, "daily.ndjson.gz", q_daily, NULL);
    if (rc == 0)
        rc = add_file(&e, "aqi_hourly.ndjson.gz", q_aqi_hourly, NULL);
    if (rc == 0)
        rc = add_file(&e, "aqi_daily.ndjson.gz", q_aqi_daily, NULL);
    if (rc == 0)
        rc = add_file(&e, "water.ndjson.gz", q_water, NULL);
    if (rc == 0)
        rc = add_file(&e, "noise.ndjson.gz", q_noise, NULL);
    if (rc == 0)
        rc = add_file(&e, "waste.ndjson.gz", q_waste, NULL);
    if (rc == 0)
        rc = add_file(&e, "alerts.ndjson.gz", q_alerts, NULL);
    if (rc == 0)
        rc = add_devices(&e);
    if (rc == 0)
        rc = add_file(&e, "rejects.ndjson.gz", q_rejects, NULL);
    store_exec(st, "COMMIT");
    if (rc == 0)
        rc = write_manifest(&e, now_ms, raw);
    xfree(e.line.p);
    xfree(e.devs);
    return rc;
}
