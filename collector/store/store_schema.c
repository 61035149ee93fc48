/*
 * The store's schema: the migrations that build it, one per version, and
 * the checks a database file passes before the store uses it (its
 * integrity; for a reader, a schema version this collector knows). Each
 * migration runs in its own transaction together with the bump of
 * user_version, so a failed one leaves the file at the version before; a
 * file newer than the migrations here is refused and never touched.
 */
#include "store.h"
#include "store_int.h"
#include "col_err.h"
#include "core/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Schema migrations: migrations[i] takes user_version i to i+1. */
static const char *const migrations[] = {
    /* 0 → 1: the spine */
    "CREATE TABLE sites("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, display_name TEXT, street TEXT,"
    "  kind TEXT, noise_zone TEXT, water_body TEXT);"
    "CREATE TABLE devices("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, site TEXT NOT NULL,"
    "  profile TEXT NOT NULL, source TEXT NOT NULL, first_seen INTEGER, last_seen INTEGER,"
    "  n_messages INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE metrics(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT);"
    "CREATE TABLE readings("
    "  ts INTEGER NOT NULL, device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    "  value REAL NOT NULL, flags INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (ts, device_id, metric_id)) WITHOUT ROWID;"
    "CREATE TABLE rejects("
    "  id INTEGER PRIMARY KEY, received INTEGER NOT NULL, topic TEXT, reason TEXT NOT NULL,"
    "  detail TEXT, payload BLOB);"
    "CREATE INDEX rejects_received ON rejects(received);"
    "CREATE TABLE reject_counts(reason TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE ingest_stats("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), received INTEGER NOT NULL DEFAULT 0,"
    "  stored_messages INTEGER NOT NULL DEFAULT 0, stored_readings INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0, duplicate_readings INTEGER NOT NULL DEFAULT 0,"
    "  unknown_fields INTEGER NOT NULL DEFAULT 0, first_received INTEGER, last_received INTEGER);"
    "INSERT INTO ingest_stats(id) VALUES (1);",
    /* 1 → 2: rollups and the standards' derived series */
    "CREATE TABLE dirty_hours(hour INTEGER NOT NULL, device_id INTEGER NOT NULL,"
    "  PRIMARY KEY (hour, device_id)) WITHOUT ROWID;"
    "CREATE TABLE hourly(device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    "  hour INTEGER NOT NULL, n INTEGER NOT NULL, mean REAL, min REAL, max REAL, sum REAL,"
    "  PRIMARY KEY (device_id, hour, metric_id)) WITHOUT ROWID;"
    "CREATE INDEX hourly_hour ON hourly(hour);"
    "CREATE TABLE daily(device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    "  day TEXT NOT NULL, n_hours INTEGER NOT NULL, n INTEGER NOT NULL, mean REAL, min REAL,"
    "  max REAL, sum REAL, PRIMARY KEY (device_id, day, metric_id)) WITHOUT ROWID;"
    "CREATE TABLE site_hourly(site TEXT NOT NULL, metric_id INTEGER NOT NULL,"
    "  hour INTEGER NOT NULL, n_devices INTEGER NOT NULL, mean REAL, min REAL, max REAL,"
    "  sum REAL, PRIMARY KEY (site, hour, metric_id)) WITHOUT ROWID;"
    "CREATE TABLE site_daily(site TEXT NOT NULL, metric_id INTEGER NOT NULL, day TEXT NOT NULL,"
    "  n_hours INTEGER NOT NULL, mean REAL, min REAL, max REAL, sum REAL,"
    "  is_valid INTEGER NOT NULL, PRIMARY KEY (site, day, metric_id)) WITHOUT ROWID;"
    "CREATE TABLE aqi_hourly(site TEXT NOT NULL, hour INTEGER NOT NULL, edition TEXT NOT NULL,"
    "  aqi INTEGER, level INTEGER, primary_pollutants TEXT, so2 REAL, no2 REAL, co REAL,"
    "  o3 REAL, o3_8h REAL, pm10 REAL, pm25 REAL, pm10_24h REAL, pm25_24h REAL, iaqi TEXT,"
    "  missing TEXT, PRIMARY KEY (site, hour)) WITHOUT ROWID;"
    "CREATE TABLE aqi_daily(site TEXT NOT NULL, day TEXT NOT NULL, edition TEXT NOT NULL,"
    "  aqi INTEGER, level INTEGER, primary_pollutants TEXT, so2 REAL, no2 REAL, pm10 REAL,"
    "  pm25 REAL, co REAL, o3_1h REAL, o3_8h REAL, iaqi TEXT, missing TEXT,"
    "  is_above_scale INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (site, day)) WITHOUT ROWID;"
    "CREATE TABLE water_samples(device_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
    "  site TEXT NOT NULL, class INTEGER NOT NULL, deciding TEXT, is_partial INTEGER NOT NULL,"
    "  n_evaluated INTEGER NOT NULL, PRIMARY KEY (device_id, ts)) WITHOUT ROWID;"
    "CREATE TABLE water_daily(site TEXT NOT NULL, day TEXT NOT NULL, class INTEGER NOT NULL,"
    "  deciding TEXT, is_partial INTEGER NOT NULL, n_evaluated INTEGER NOT NULL,"
    "  worst_sample_class INTEGER, n_samples INTEGER NOT NULL,"
    "  PRIMARY KEY (site, day)) WITHOUT ROWID;"
    "CREATE TABLE noise_daily(site TEXT NOT NULL, day TEXT NOT NULL, zone TEXT, ld REAL,"
    "  ln REAL, n_day_hours INTEGER NOT NULL, n_night_hours INTEGER NOT NULL, ld_limit REAL,"
    "  ln_limit REAL, ld_over REAL, ln_over REAL, night_lmax REAL, lmax_over REAL,"
    "  PRIMARY KEY (site, day)) WITHOUT ROWID;"
    "CREATE TABLE waste_daily(site TEXT NOT NULL, day TEXT NOT NULL, category INTEGER NOT NULL,"
    "  n_bins INTEGER NOT NULL, deposited_kg REAL, max_fill REAL, last_fill REAL,"
    "  overflow_events INTEGER NOT NULL, hazard_events INTEGER NOT NULL,"
    "  PRIMARY KEY (site, day, category)) WITHOUT ROWID;"
    "CREATE TABLE days(day TEXT PRIMARY KEY, uploaded INTEGER NOT NULL DEFAULT 0,"
    "  raw_pruned INTEGER NOT NULL DEFAULT 0, hourly_pruned INTEGER NOT NULL DEFAULT 0)"
    "  WITHOUT ROWID;",
    /* 2 → 3: the nightly upload's ledger (one row per local day); manifest is the
     * last delivered one, config_fp what the configuration was at a config_error,
     * changes_not_sent counts late changes that came after the re-upload window */
    "CREATE TABLE upload_ledger(day TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (state IN ('pending', 'uploading', 'done', 'failed', 'config_error')),"
    "  revision INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT, last_status INTEGER, bytes INTEGER, rows INTEGER, manifest_sha256 TEXT,"
    "  next_attempt INTEGER, first_attempt_at INTEGER, uploaded_at INTEGER,"
    "  changed_after_upload INTEGER NOT NULL DEFAULT 0, manifest TEXT, config_fp TEXT,"
    "  changes_not_sent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
    /* 3 → 4: alerts, their lifecycle, and the delivery outbox */
    "CREATE TABLE alerts(id INTEGER PRIMARY KEY, rule TEXT NOT NULL, scope TEXT NOT NULL,"
    "  state TEXT NOT NULL, severity TEXT NOT NULL, domain TEXT, site TEXT, device TEXT,"
    "  metric TEXT, value REAL, threshold REAL, unit TEXT, pending_since INTEGER,"
    "  started_at INTEGER, ended_at INTEGER, last_eval INTEGER, last_notified INTEGER,"
    "  hits INTEGER NOT NULL DEFAULT 0, message_zh TEXT, message_en TEXT, labels TEXT,"
    "  annotations TEXT, acked_by TEXT, acked_at INTEGER, ack_comment TEXT);"
    "CREATE UNIQUE INDEX alerts_active ON alerts(rule, scope)"
    "  WHERE state IN ('pending', 'firing');"
    "CREATE INDEX alerts_started ON alerts(started_at);"
    "CREATE TABLE outbox(id INTEGER PRIMARY KEY, alert_id INTEGER, channel TEXT NOT NULL,"
    "  event TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, last_error TEXT,"
    "  delivered_at INTEGER, expired_at INTEGER);"
    "CREATE INDEX outbox_pending ON outbox(channel, id)"
    "  WHERE delivered_at IS NULL AND expired_at IS NULL;"
    "CREATE INDEX outbox_alert ON outbox(alert_id);"
    "CREATE TABLE delivery_stats(channel TEXT PRIMARY KEY, delivered INTEGER NOT NULL DEFAULT 0,"
    "  failed_attempts INTEGER NOT NULL DEFAULT 0, expired INTEGER NOT NULL DEFAULT 0)"
    "  WITHOUT ROWID;",
    /* 4 → 5: counts of what ingest accepted by a documented leniency, or
     * counted instead of storing (docs/devices.md names each) */
    "CREATE TABLE ingest_notes(name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;",
    /* 5 → 6: corrections (a reading sent again with another value: the old
     * value is kept here, the new one wins), and the counters of the
     * conditions that weaken the delivery guarantee (a subscription granted
     * below the QoS asked for, a reconnect that found no session) */
    "CREATE TABLE corrections(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
    "  device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL, old_value REAL NOT NULL,"
    "  new_value REAL NOT NULL, old_flags INTEGER NOT NULL, new_flags INTEGER NOT NULL,"
    "  received INTEGER NOT NULL, topic TEXT);"
    "CREATE INDEX corrections_reading ON corrections(ts, device_id, metric_id);"
    "ALTER TABLE ingest_stats ADD COLUMN corrections INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE ingest_stats ADD COLUMN corrected_messages INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE ingest_stats ADD COLUMN qos_downgrades INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE ingest_stats ADD COLUMN sessions_lost INTEGER NOT NULL DEFAULT 0;",
    /* 6 → 7: rejects keep the whole payload (size: its length as received;
     * NULL for rows kept before, which may be a 256-byte prefix). The first
     * reject of a message holds the payload, later ones of the same message
     * point at it (msg_id) and go with it. is_raw: never reached a decoder
     * (an HJ 212 packet with a bad checksum), not retried. reject_bytes is
     * the payload bytes the table holds, kept by triggers so that the bytes
     * bound costs one row read per reject. */
    "ALTER TABLE rejects ADD COLUMN size INTEGER;"
    "ALTER TABLE rejects ADD COLUMN msg_id INTEGER;"
    "ALTER TABLE rejects ADD COLUMN is_raw INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX rejects_msg ON rejects(msg_id) WHERE msg_id IS NOT NULL;"
    "CREATE TABLE reject_bytes(id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);"
    "INSERT INTO reject_bytes SELECT 1, coalesce(sum(length(payload)), 0) FROM rejects;"
    "CREATE TRIGGER rejects_added AFTER INSERT ON rejects BEGIN"
    "  UPDATE reject_bytes SET bytes = bytes + coalesce(length(new.payload), 0) WHERE id = 1;"
    "END;"
    "CREATE TRIGGER rejects_deleted AFTER DELETE ON rejects BEGIN"
    "  UPDATE reject_bytes SET bytes = bytes - coalesce(length(old.payload), 0) WHERE id = 1;"
    "  DELETE FROM rejects WHERE msg_id = old.id;"
    "END;",
    /* 7 → 8: the gateway clock against its devices' clocks, per ingest
     * source, as of the last comparison window (gateway_clock_suspect):
     * is_suspect since `since`, n_* devices of that window, skew_ms the
     * median of their newest readings' time minus the receive time */
    "CREATE TABLE clock_watch(source TEXT PRIMARY KEY, checked_at INTEGER NOT NULL,"
    "  n_devices INTEGER NOT NULL, n_ahead INTEGER NOT NULL, n_behind INTEGER NOT NULL,"
    "  skew_ms INTEGER, is_suspect INTEGER NOT NULL DEFAULT 0, since INTEGER) WITHOUT ROWID;",
    /* 8 → 9: when a dirty hour last received data (to the second), so the
     * rollups compute an hour once its data have stopped changing */
    "ALTER TABLE dirty_hours ADD COLUMN marked_ms INTEGER NOT NULL DEFAULT 0;",
    /* 9 -> 10: hourly rows are found by device (the key) and a day's hours by
     * device then hour, so the index by hour alone only made every hourly
     * row cost a second b-tree insert */
    "DROP INDEX IF EXISTS hourly_hour;",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION (store.h) must count the migrations");

int store_schema_version(struct store *st)
{
    int v = -1;

    store_pragma_int(st, "PRAGMA user_version", &v);
    return v;
}

/* A database from a later collector is never touched: downgrades have no migrations. */
static int refuse_newer(int v, int latest, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "database schema version %d is newer than this collector understands (%d); "
             "refusing to touch it",
             v, latest);
    return COL_ERR_DB;
}

int store_schema_migrate(struct store *st, char *err, size_t errlen)
{
    int v = store_schema_version(st);
    const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));

    if (v < 0) {
        snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(st->db));
        return COL_ERR_DB;
    }
    if (v > latest)
        return refuse_newer(v, latest, err, errlen);
    for (; v < latest; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        if (store_exec(st, "BEGIN IMMEDIATE") || store_exec(st, migrations[v]) ||
            store_exec(st, bump) || store_exec(st, "COMMIT")) {
            store_exec(st, "ROLLBACK");
            snprintf(err, errlen, "migrating the schema from version %d failed", v);
            return COL_ERR_DB;
        }
        log_info("store: schema migrated to version %d", v + 1);
    }
    return 0;
}

int store_schema_check(struct store *st, char *err, size_t errlen)
{
    const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
    int v = store_schema_version(st);

    if (v < 0) {
        snprintf(err, errlen, "%s is not a usable SQLite database: %s", st->path,
                 sqlite3_errmsg(st->db));
        return COL_ERR_DB;
    }
    if (v == 0) {
        snprintf(err, errlen, "%s is not a collector database (it has no schema)", st->path);
        return COL_ERR_DB;
    }
    if (v < latest) {
        snprintf(err, errlen,
                 "%s has schema version %d, older than this collector's %d; reading it needs "
                 "the migration that `collector run` does at its start",
                 st->path, v, latest);
        return COL_ERR_DB;
    }
    if (v > latest)
        return refuse_newer(v, latest, err, errlen);
    return 0;
}

int store_check_integrity(struct store *st, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s is not a usable SQLite database: %s", st->path,
                 sqlite3_errmsg(st->db));
        return COL_ERR_CORRUPT;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (r && strcmp(r, "ok") != 0) {
            snprintf(err, errlen,
                     "%s failed its integrity check (%s). The file has been left as it is: "
                     "move it aside and restore a backup, or try `sqlite3 FILE .recover`",
                     st->path, r);
            rc = COL_ERR_CORRUPT;
            break;
        }
    }
    if (rc == 0 && sqlite3_errcode(st->db) != SQLITE_OK && sqlite3_errcode(st->db) != SQLITE_DONE) {
        snprintf(err, errlen, "%s: integrity check could not run: %s", st->path,
                 sqlite3_errmsg(st->db));
        rc = COL_ERR_CORRUPT;
    }
    sqlite3_finalize(s);
    return rc;
}
