#!/usr/bin/env bash
# Rollup benchmark (run on demand, never in CI): replays the four shared
# Beijing stations (2013-03-01 .. 2017-02-28, merged in time order, one
# message per station-hour) at full rate into a fresh daemon, and reports in
# one run: the ingest time (first message to the last one stored), the time
# until no device-hour is pending (first message to statistics up to date),
# device-hours rolled up per second, the ratio of the two times, the longest
# time an ingest batch waited for the database's write lock while the
# rollups ran, and the daemon's peak RSS. Then the same database's rollups
# are recomputed offline (`collector rollup` over every hour made dirty
# again) to give the engine's rate without ingest beside it.
#   usage: tests/bench/rollup.sh [-b BUILD_DIR] [-d DATA_DIR] [-f FROM] [-t TO]
#   KEEP_DB=FILE  keep a copy of the database (and FILE.yaml) for profiling
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
DATA=$ROOT/../shared/data/beijing-multisite
FROM=2013-03-01
TO=2017-03-01
while getopts "b:d:f:t:" o; do
  case $o in
    b) BUILD=$OPTARG ;;
    d) DATA=$OPTARG ;;
    f) FROM=$OPTARG ;;
    t) TO=$OPTARG ;;
    *) exit 2 ;;
  esac
done
COLLECTOR=$BUILD/collector/collector
DEVSIM=$BUILD/devices/sim/devsim
for b in "$COLLECTOR" "$DEVSIM"; do
  [ -x "$b" ] || { echo "bench: $b missing; build first (cmake --build build)" >&2; exit 2; }
done
[ -d "$DATA" ] || { echo "bench: no data set at $DATA" >&2; exit 2; }
T=$(mktemp -d /tmp/collector-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
HTTP=$(free_port)
cat >"$T/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
user root
max_queued_messages 0
max_inflight_messages 100
CONF
mosquitto -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
PIDS+=($!)
sleep 0.5
cat >"$T/collector.yaml" <<CONF
gateway: {id: bench-gw}
mqtt: {host: 127.0.0.1, port: $PORT, client_id: bench-rollup, topics: ["xh/#"]}
storage: {path: $T/collector.db, retention: {raw: 0, hourly: 0}}
ingest: {max_future: 0, max_age: 0}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
log: {level: warn}
http: {listen: "127.0.0.1:$HTTP"}
CONF

now_ms() { date +%s%3N; }
stat() { "$COLLECTOR" stats -c "$T/collector.yaml" --json | python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
metric() { curl -s "http://127.0.0.1:$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

"$COLLECTOR" run -c "$T/collector.yaml" >"$T/collector.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
t0=$(now_ms)
"$DEVSIM" replay -h 127.0.0.1 -p "$PORT" --csv "$DATA" --from "$FROM" --to "$TO" --max-rate \
  >"$T/devsim.out" 2>"$T/devsim.log"
sent=$(grep -oE "stations=[0-9]+ rows=[0-9]+ published=[0-9]+" "$T/devsim.out" | grep -oE "[0-9]+$" | tail -n 1 || true)
t_pub=$(now_ms)
prev=-1
while :; do
  got=$(stat "['stored_messages']")
  [ -n "$sent" ] && [ "$got" -ge "$sent" ] && break
  [ -z "$sent" ] && [ "$got" = "$prev" ] && break
  prev=$got
  sleep 0.2
done
t_ing=$(now_ms)
while [ "$(stat "['rollup_pending']")" != 0 ]; do sleep 0.2; done
t_roll=$(now_ms)
wait_max=$(metric collector_ingest_lock_wait_max_seconds)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$CPID/status")
dh=$(sqlite3 "$T/collector.db" "SELECT count(*) FROM (SELECT DISTINCT device_id, hour FROM hourly)")
kill -TERM "$CPID"
wait "$CPID" || true
[ -n "${KEEP_DB:-}" ] && cp "$T/collector.db" "$KEEP_DB" && cp "$T/collector.yaml" "$KEEP_DB.yaml"

# The engine alone: every hour dirty again, recomputed by `collector rollup`.
sqlite3 "$T/collector.db" "INSERT OR IGNORE INTO dirty_hours(hour, device_id) SELECT DISTINCT hour, device_id FROM hourly"
o0=$(now_ms)
"$COLLECTOR" rollup -c "$T/collector.yaml" >"$T/rollup.out" 2>&1
o1=$(now_ms)

python3 - "$got" "$dh" "$t0" "$t_ing" "$t_roll" "$o0" "$o1" "${wait_max:-nan}" "$hwm" <<'PY'
import sys
msgs, dh, t0, ti, tr, o0, o1 = (int(x) for x in sys.argv[1:8])
wait = float(sys.argv[8]); hwm = int(sys.argv[9])
ing = (ti - t0) / 1000; tot = (tr - t0) / 1000; off = (o1 - o0) / 1000
print(f"messages stored          {msgs}")
print(f"device-hours             {dh}")
print(f"ingest time              {ing:.1f} s")
print(f"statistics up to date    {tot:.1f} s after the first message")
print(f"ratio (stats / ingest)   {tot / ing:.2f}")
print(f"device-hours/s (live)    {dh / tot:.0f}")
print(f"device-hours/s (offline) {dh / off:.0f}  ({off:.1f} s for collector rollup)")
print(f"longest ingest lock wait {wait * 1000:.1f} ms")
print(f"peak RSS                 {hwm / 1024:.1f} MB")
PY
