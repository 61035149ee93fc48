#!/usr/bin/env bash
# Ingest benchmark (run on demand, never in CI): publishes N realistic air
# readings at QoS 1 as fast as the broker takes them, and measures, in the
# same run and on the same broker, a count-only libmosquitto subscriber
# (countsub: the limit of the pipeline on this machine) and the collector
# in its default commit-before-acknowledge mode. Reports the median of R
# runs: messages/s, CPU microseconds per message, peak RSS, and the ratio
# collector / count-only. Readings are timestamped from now on (a live
# gateway), so the hours they fill are rolled up once complete; set
# START_TS=1700000000 to measure a replay of history, where the rollups run
# during the ingest.
#   usage: tests/bench/ingest.sh [-n MESSAGES] [-r RUNS] [-b BUILD_DIR]
set -euo pipefail
N=200000
RUNS=3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
while getopts "n:r:b:" o; do
  case $o in
    n) N=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    *) exit 2 ;;
  esac
done
COLLECTOR=$BUILD/collector/collector
DEVSIM=$BUILD/devices/sim/devsim
COUNTSUB=$BUILD/tests/bench/countsub
for b in "$COLLECTOR" "$DEVSIM" "$COUNTSUB"; do
  [ -x "$b" ] || { echo "bench: $b missing; build first (cmake --build build)" >&2; exit 2; }
done
T=$(mktemp -d /tmp/collector-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
TCK=$(getconf CLK_TCK)

run_countsub() {
  rm -f "$T/ready"
  "$COUNTSUB" -h 127.0.0.1 -p "$PORT" -t 'xh/#' -n "$N" -q 1 -i bench-count-$1 \
    --ready-file "$T/ready" >"$T/count.json" &
  local pid=$!
  while [ ! -f "$T/ready" ]; do sleep 0.05; done
  "$DEVSIM" bulk -h 127.0.0.1 -p "$PORT" -n "$N" --devices 200 --site bench >/dev/null
  wait $pid
  python3 -c "import json; d=json.load(open('$T/count.json')); print(d['rate'], d['cpu_us_per_msg'], d['max_rss_kb'])"
}

run_collector() {
  rm -f "$T"/c.db*
  cat >"$T/c.yaml" <<CONF
gateway: {id: bench}
mqtt: {host: 127.0.0.1, port: $PORT, client_id: bench-collector-$1, topics: ["xh/#"]}
storage: {path: $T/c.db}
ingest: {max_future: 0}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
log: {level: info}
${BENCH_EXTRA:-}
CONF
  "$COLLECTOR" run -c "$T/c.yaml" 2>"$T/collector.log" &
  local pid=$!
  # wait until subscribed: the database exists and the session is up
  until grep -q "subscribed to" "$T/collector.log"; do sleep 0.05; done
  local c0
  c0=$(cpu_ticks $pid)
  "$DEVSIM" bulk -h 127.0.0.1 -p "$PORT" -n "$N" --devices 200 --site bench \
    --start-ts "${START_TS:-$(date +%s)}" >/dev/null
  until [ "$(sqlite3 -cmd '.timeout 2000' "$T/c.db" 'select stored_messages + duplicates from ingest_stats' 2>/dev/null)" = "$N" ]; do
    sleep 0.2
  done
  local c1 hwm span
  c1=$(cpu_ticks $pid)
  hwm=$(hwm_kb $pid)
  span=$(sqlite3 "$T/c.db" 'select last_received - first_received from ingest_stats')
  kill -TERM $pid
  wait $pid || true
  python3 -c "print($N / ($span / 1000.0), ($c1 - $c0) * 1e6 / $TCK / $N, $hwm)"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "ingest benchmark: $N messages, QoS 1, $RUNS runs, $(nproc) cores, $(uname -m)"
: >"$T/c.txt"
: >"$T/s.txt"
for r in $(seq 1 "$RUNS"); do
  run_countsub "$r" | tee -a "$T/c.txt" | awk '{printf "  run %s count-only: %.0f msg/s, %.1f us/msg, %d KiB\n", "'"$r"'", $1, $2, $3}'
  run_collector "$r" | tee -a "$T/s.txt" | awk '{printf "  run %s collector:  %.0f msg/s, %.1f us/msg, %d KiB\n", "'"$r"'", $1, $2, $3}'
done
cr=$(cut -d' ' -f1 "$T/c.txt" | median); cc=$(cut -d' ' -f2 "$T/c.txt" | median); cm=$(cut -d' ' -f3 "$T/c.txt" | median)
sr=$(cut -d' ' -f1 "$T/s.txt" | median); sc=$(cut -d' ' -f2 "$T/s.txt" | median); sm=$(cut -d' ' -f3 "$T/s.txt" | median)
echo
printf '%-30s %10s %12s %12s\n' "median of $RUNS" "msg/s" "CPU us/msg" "peak RSS"
python3 - "$cr" "$cc" "$cm" "$sr" "$sc" "$sm" <<'PY'
import sys
cr, cc, cm, sr, sc, sm = map(float, sys.argv[1:])
print("%-30s %10.0f %12.1f %9.1f MB" % ("count-only subscriber", cr, cc, cm / 1024))
print("%-30s %10.0f %12.1f %9.1f MB" % ("collector (commit, then ack)", sr, sc, sm / 1024))
print("ratio collector / count-only: %.2f" % (sr / cr))
PY
