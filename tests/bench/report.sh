#!/usr/bin/env bash
# Report benchmark (run on demand, never in CI): a year of hourly air data
# for SITES sites (default 50) written straight into a collector database —
# the four Beijing stations of 2014, site i replaying station i mod 4 scaled
# by a per-site factor, inserted as raw readings with their device-hours
# marked dirty — then `collector rollup` computes every hourly, daily and
# AQI row the way the daemon would. Times, as the median of RUNS runs:
# `collector report --year 2014` in text, JSON and HTML, and
# `collector query --series aqi_daily` for the whole year (skipped with a
# note if this build has no such series). Target: a report under 1 s.
#   usage: tests/bench/report.sh [-s SITES] [-r RUNS] [-b BUILD_DIR] [-k] [-d DIR]
#   -k keeps the temporary directory (and its database) for profiling
#   -d DIR times again on a directory kept by -k (no generation, no rollup)
set -euo pipefail
SITES=50
RUNS=3
KEEP=0
REUSE=
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
DATA=${DATA_DIR:-$ROOT/../shared/data}/beijing-multisite
while getopts "s:r:b:kd:" o; do
  case $o in
    s) SITES=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    k) KEEP=1 ;;
    d) REUSE=$OPTARG ;;
    *) exit 2 ;;
  esac
done
COLLECTOR=$BUILD/collector/collector
[ -x "$COLLECTOR" ] || { echo "bench: $COLLECTOR missing; build first" >&2; exit 2; }
[ -d "$DATA" ] || { echo "bench: data set not found at $DATA" >&2; exit 2; }
if [ -n "$REUSE" ]; then
  T=$REUSE
  SITES=$(sqlite3 "$T/collector.db" "SELECT count(*) FROM sites")
else # generation (left unindented: it holds here-documents)
T=$(mktemp -d /tmp/collector-bench-report.XXXXXX)
if [ "$KEEP" = 1 ]; then echo "bench: keeping $T"; else trap 'rm -rf "$T"' EXIT; fi
cat >"$T/collector.yaml" <<CONF
gateway: {id: bench-gw}
mqtt: {host: 127.0.0.1, port: 1883}
storage: {path: $T/collector.db, retention: {raw: 0, hourly: 0}}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
log: {level: warn}
CONF
# an empty pass creates the schema at the collector's current version
"$COLLECTOR" rollup -c "$T/collector.yaml" >/dev/null

t0=$(date +%s.%N)
python3 - "$T/collector.db" "$DATA" "$SITES" <<'PY'
import csv, datetime, glob, os, sqlite3, sys
db_path, data, n_sites = sys.argv[1], sys.argv[2], int(sys.argv[3])
stations = ["Aotizhongxin", "Dongsi", "Tiantan", "Wanshouxigong"]
cols = [("PM2.5", "pm25", "ug/m3", 1.0), ("PM10", "pm10", "ug/m3", 1.0),
        ("SO2", "so2", "ug/m3", 1.0), ("NO2", "no2", "ug/m3", 1.0),
        ("CO", "co", "mg/m3", 0.001), ("O3", "o3", "ug/m3", 1.0)]
tz = datetime.timezone(datetime.timedelta(hours=8))
rows = {}
for st in stations:
    path = glob.glob(os.path.join(data, "PRSA_Data_%s_*.csv" % st))[0]
    out = []
    for r in csv.DictReader(open(path)):
        if r["year"] != "2014":
            continue
        ts = int(datetime.datetime(2014, int(r["month"]), int(r["day"]), int(r["hour"]),
                                   tzinfo=tz).timestamp()) * 1000
        out.append((ts, [(i, float(r[c]) * k) for i, (c, _, _, k) in enumerate(cols)
                         if r[c] not in ("NA", "")]))
    rows[st] = out
db = sqlite3.connect(db_path)
db.execute("PRAGMA synchronous = OFF")
mid = []
for _, name, unit, _ in cols:
    db.execute("INSERT OR IGNORE INTO metrics(name, unit) VALUES (?, ?)", (name, unit))
    mid.append(db.execute("SELECT id FROM metrics WHERE name = ?", (name,)).fetchone()[0])
readings = []
for i in range(n_sites):
    site = "bench-%02d" % (i + 1)
    db.execute("INSERT INTO sites(name, display_name, street, kind) VALUES (?, ?, ?, 'air')",
               (site, "测试站 %d" % (i + 1), "徐汇"))
    cur = db.execute("INSERT INTO devices(name, site, profile, source) VALUES (?, ?, "
                     "'air-station', 'registry')", ("bench-aqm-%02d" % (i + 1), site))
    dev = cur.lastrowid
    f = 0.7 + 0.6 * i / max(1, n_sites - 1)
    for ts, vals in rows[stations[i % 4]]:
        for k, v in vals:
            readings.append((ts, dev, mid[k], round(v * f, 3)))
readings.sort()
db.executemany("INSERT OR IGNORE INTO readings(ts, device_id, metric_id, value, flags) "
               "VALUES (?, ?, ?, ?, 0)", readings)
db.execute("INSERT OR IGNORE INTO dirty_hours(hour, device_id) SELECT ts - ts % 3600000, "
           "device_id FROM readings")
db.commit()
print("bench: %d sites, %d readings, %d device-hours to roll up" % (
    n_sites, len(readings), db.execute("SELECT count(*) FROM dirty_hours").fetchone()[0]))
PY
t1=$(date +%s.%N)
"$COLLECTOR" rollup -c "$T/collector.yaml"
t2=$(date +%s.%N)
python3 -c "print('bench: insert %.1f s, rollup %.1f s' % ($t1 - $t0, $t2 - $t1))"
fi
sqlite3 "$T/collector.db" "SELECT 'bench: ' || count(*) || ' site-days in aqi_daily, ' ||
  (SELECT count(*) FROM site_daily) || ' in site_daily' FROM aqi_daily"

# median wall time of RUNS runs of a command (stdout discarded), in ms
median_ms() {
  python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
t = []
for _ in range(runs):
    a = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    t.append((time.perf_counter() - a) * 1000)
print("%.1f ms (runs: %s)" % (statistics.median(t), ", ".join("%.1f" % x for x in t)))
PY
}
C=(-c "$T/collector.yaml")
echo "report --year 2014, $SITES sites, median of $RUNS:"
echo "  text   $(median_ms "$COLLECTOR" report "${C[@]}" --year 2014)"
echo "  json   $(median_ms "$COLLECTOR" report "${C[@]}" --year 2014 --format json)"
echo "  html   $(median_ms "$COLLECTOR" report "${C[@]}" --year 2014 --format html)"
echo "  --site $(median_ms "$COLLECTOR" report "${C[@]}" --year 2014 --site bench-01 --format html)"
"$COLLECTOR" report "${C[@]}" --year 2014 --format html --output "$T/r.html"
"$COLLECTOR" report "${C[@]}" --year 2014 --format json --output "$T/r.json"
echo "  output sizes: html $(stat -c %s "$T/r.html") bytes, json $(stat -c %s "$T/r.json") bytes"
if "$COLLECTOR" query --help 2>&1 | grep -q aqi_daily; then
  echo "query --series aqi_daily, whole year, all sites, csv:"
  echo "  $(median_ms "$COLLECTOR" query "${C[@]}" --series aqi_daily --from 2014-01-01 \
    --to 2015-01-01 --format csv)"
else
  echo "query --series aqi_daily: not in this build, skipped"
fi
