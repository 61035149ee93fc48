#!/usr/bin/env python3
"""Check one uploaded day as the district team would receive it.

Reads the day's files back from where they landed (nginx's document root,
an S3 server's data directory, or `collector upload --output`), and checks,
independently of the collector's code:
  - the manifest: format, gateway, day, revision, time zone, and the day's
    bounds recomputed here with zoneinfo;
  - every file listed: present, size and SHA-256 as the manifest says,
    gunzipped, every line parsed as a JSON object, as many lines as rows;
  - the numbers against the SQLite database: readings (every row, value for
    value), hourly, daily, AQI, water, noise, waste, devices and rejects.
Exits 1 with the reason on the first difference.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import sqlite3
import sys
import zoneinfo

FILES = ["readings.ndjson.gz", "hourly.ndjson.gz", "daily.ndjson.gz", "aqi_hourly.ndjson.gz",
         "aqi_daily.ndjson.gz", "water.ndjson.gz", "noise.ndjson.gz", "waste.ndjson.gz",
         "alerts.ndjson.gz", "devices.ndjson.gz", "rejects.ndjson.gz"]
READING_KEYS = {"ts", "site", "device", "metric", "value", "unit", "flags"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--root", required=True, help="directory holding GATEWAY/YYYY/MM/DD/")
    ap.add_argument("--suffix", default="", help="appended to each object's file name on disk")
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--day", required=True)
    ap.add_argument("--revision", type=int, required=True)
    ap.add_argument("--timezone", default="Asia/Shanghai")
    a = ap.parse_args()

    y, m, d = a.day.split("-")
    base = os.path.join(a.root, a.gateway, y, m, d)

    def path(name):
        return os.path.join(base, name + a.suffix)

    if not os.path.exists(path("manifest.json")):
        fail("%s: no manifest at %s" % (a.day, path("manifest.json")))
    man = json.load(open(path("manifest.json"), encoding="utf-8"))
    for k, want in (("format", "xuhui-collector-day"), ("schema_version", 1),
                    ("gateway", a.gateway), ("day", a.day), ("revision", a.revision),
                    ("timezone", a.timezone)):
        if man.get(k) != want:
            fail("manifest %s is %r, expected %r" % (k, man.get(k), want))
    tz = zoneinfo.ZoneInfo(a.timezone)
    day0 = datetime.date(int(y), int(m), int(d))
    t0 = int(datetime.datetime(day0.year, day0.month, day0.day, tzinfo=tz).timestamp()) * 1000
    day1 = day0 + datetime.timedelta(days=1)
    t1 = int(datetime.datetime(day1.year, day1.month, day1.day, tzinfo=tz).timestamp()) * 1000
    if (man["start_ms"], man["end_ms"]) != (t0, t1):
        fail("manifest bounds %s..%s, expected %s..%s" % (man["start_ms"], man["end_ms"], t0, t1))
    names = [f["name"] for f in man["files"]]
    if names != FILES:
        fail("manifest lists %s" % names)

    lines = {}
    for f in man["files"]:
        raw = open(path(f["name"]), "rb").read()
        if len(raw) != f["bytes"]:
            fail("%s: %d bytes, manifest says %d" % (f["name"], len(raw), f["bytes"]))
        if hashlib.sha256(raw).hexdigest() != f["sha256"]:
            fail("%s: SHA-256 differs from the manifest" % f["name"])
        rows = []
        for i, line in enumerate(gzip.decompress(raw).decode("utf-8").splitlines()):
            obj = json.loads(line)
            if not isinstance(obj, dict):
                fail("%s line %d is not an object" % (f["name"], i + 1))
            rows.append(obj)
        if len(rows) != f["rows"]:
            fail("%s: %d lines, manifest says %d rows" % (f["name"], len(rows), f["rows"]))
        lines[f["name"]] = rows
    if man["rows"] != sum(f["rows"] for f in man["files"]):
        fail("manifest total rows")
    if man["bytes"] != sum(f["bytes"] for f in man["files"]):
        fail("manifest total bytes")

    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    q = lambda sql, *p: db.execute(sql, p).fetchall()
    one = lambda sql, *p: q(sql, *p)[0][0]

    want = {(ts, dev, met, val, fl) for ts, dev, met, val, fl in q(
        "select r.ts, d.name, m.name, r.value, r.flags from readings r join devices d on "
        "d.id = r.device_id join metrics m on m.id = r.metric_id where r.ts >= ? and r.ts < ?",
        t0, t1)}
    got = set()
    for r in lines["readings.ndjson.gz"]:
        if set(r) != READING_KEYS:
            fail("readings line keys %s" % sorted(r))
        got.add((r["ts"], r["device"], r["metric"], r["value"], r["flags"]))
    if got != want or len(lines["readings.ndjson.gz"]) != len(want):
        fail("readings differ from the database: %d sent, %d stored, %d in common" %
             (len(got), len(want), len(got & want)))

    counts = {
        "hourly.ndjson.gz": one("select count(*) from hourly where hour >= ? and hour < ?", t0, t1)
        + one("select count(*) from site_hourly where hour >= ? and hour < ?", t0, t1),
        "daily.ndjson.gz": one("select count(*) from daily where day = ?", a.day)
        + one("select count(*) from site_daily where day = ?", a.day),
        "aqi_hourly.ndjson.gz": one("select count(*) from aqi_hourly where hour >= ? and hour < ?",
                                    t0, t1),
        "aqi_daily.ndjson.gz": one("select count(*) from aqi_daily where day = ?", a.day),
        "water.ndjson.gz": one("select count(*) from water_samples where ts >= ? and ts < ?",
                               t0, t1) + one("select count(*) from water_daily where day = ?", a.day),
        "noise.ndjson.gz": one("select count(*) from noise_daily where day = ?", a.day),
        "waste.ndjson.gz": one("select count(*) from waste_daily where day = ?", a.day),
        "devices.ndjson.gz": one("select count(*) from devices"),
    }
    for name, n in counts.items():
        if len(lines[name]) != n:
            fail("%s: %d rows, the database has %d" % (name, len(lines[name]), n))
    if sum(r["readings"] for r in lines["devices.ndjson.gz"]) != len(want):
        fail("devices: readings per device do not add up to the day's readings")
    rej = lines["rejects.ndjson.gz"]
    if sum(r["n"] for r in rej if r["type"] == "summary") != sum(
            1 for r in rej if r["type"] == "reject"):
        fail("rejects: summary does not match the rows")
    for r in lines["hourly.ndjson.gz"]:
        if not t0 <= r["hour"] < t1:
            fail("hourly row outside the day: %s" % r)
    print("ok %s revision %d: %d files, %d rows, readings identical to the database" %
          (a.day, a.revision, len(man["files"]) + 1, man["rows"]))


if __name__ == "__main__":
    main()
