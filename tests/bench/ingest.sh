#!/usr/bin/env bash
# Ingest benchmark (run on demand, never in CI): publishes N realistic air
# readings at QoS 1 as fast as the broker takes them and measures, in the
# same run and on the same broker, three subscribers: a count-only
# libmosquitto subscriber (countsub: the limit of the pipeline on this
# machine), a batched Python paho + sqlite3 peer (pysub.py, which
# acknowledges before it commits), and the collector with its defaults
# (synchronous=full, acknowledged after the commit). Two modes: live
# readings (timestamped now: hours are rolled up once complete) and the
# catch-up of a past day (every hour already complete: the rollups run
# beside the ingest). Reports medians of R runs: msg/s, ratio to the
# count-only limit, CPU us/msg, commits (each one fsync under
# synchronous=full) per message, peak RSS; then the CPU per message of the
# collector and of countsub at a steady 5,000 msg/s.
#   usage: tests/bench/ingest.sh [-n MESSAGES] [-r RUNS] [-b BUILD_DIR] [-s]
#   -s  only the steady 5,000 msg/s measurement, RUNS times (medians)
#   INGEST_EXTRA="batch_ms: 10ms"  more ingest.* settings for the collector
set -euo pipefail
N=200000
RUNS=3
STEADY_ONLY=0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
while getopts "n:r:b:s" o; do
  case $o in
    s) STEADY_ONLY=1 ;;
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
PY=/usr/bin/python3 # Debian's, with python3-paho-mqtt
if ! "$PY" -c 'import paho.mqtt.client' 2>/dev/null; then
  apt-get install -y -qq python3-paho-mqtt >/dev/null || { echo "bench: needs python3-paho-mqtt" >&2; exit 2; }
fi

publish() { # start_ts [rate]
  "$DEVSIM" bulk -h 127.0.0.1 -p "$PORT" -n "$N" --devices 200 --site bench --start-ts "$1" \
    ${2:+--rate $2} >/dev/null
}

# each prints: msg/s cpu_us/msg rss_kb commits
run_countsub() { # run start_ts [rate]
  rm -f "$T/ready"
  "$COUNTSUB" -h 127.0.0.1 -p "$PORT" -t 'xh/#' -n "$N" -q 1 -i bench-count-$1 \
    --ready-file "$T/ready" >"$T/count.json" &
  local pid=$!
  while [ ! -f "$T/ready" ]; do sleep 0.05; done
  publish "$2" "${3:-}"
  wait $pid
  python3 -c "import json; d=json.load(open('$T/count.json')); print(d['rate'], d['cpu_us_per_msg'], d['max_rss_kb'], 0)"
}

run_pysub() { # run start_ts
  rm -f "$T/ready" "$T"/p.db*
  "$PY" "$ROOT/tests/bench/pysub.py" 127.0.0.1 "$PORT" 'xh/#' "$N" "$T/p.db" bench-py-$1 "$T/ready" \
    >"$T/py.json" &
  local pid=$!
  while [ ! -f "$T/ready" ]; do sleep 0.05; done
  publish "$2"
  wait $pid
  python3 -c "import json; d=json.load(open('$T/py.json')); print(d['rate'], d['cpu_us_per_msg'], d['max_rss_kb'], d['commits'])"
}

run_collector() { # run start_ts [rate]
  rm -f "$T"/c.db*
  cat >"$T/c.yaml" <<CONF
gateway: {id: bench}
mqtt: {host: 127.0.0.1, port: $PORT, client_id: bench-collector-$1, topics: ["xh/#"]}
storage: {path: $T/c.db, retention: {raw: 0, hourly: 0}}
ingest: {max_future: 0, max_age: 0${INGEST_EXTRA:+, $INGEST_EXTRA}}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
log: {level: info}
${BENCH_EXTRA:-}
CONF
  "$COLLECTOR" run -c "$T/c.yaml" 2>"$T/collector.log" &
  local pid=$!
  until grep -q "subscribed to" "$T/collector.log"; do sleep 0.05; done
  local c0
  c0=$(cpu_ticks $pid)
  publish "$2" "${3:-}"
  until [ "$(sqlite3 -cmd '.timeout 2000' "$T/c.db" 'select stored_messages + duplicates from ingest_stats' 2>/dev/null)" = "$N" ]; do
    sleep 0.2
  done
  local c1 hwm span batches
  c1=$(cpu_ticks $pid)
  hwm=$(hwm_kb $pid)
  span=$(sqlite3 "$T/c.db" 'select last_received - first_received from ingest_stats')
  kill -TERM $pid
  wait $pid || true
  batches=$(grep -oE 'in [0-9]+ batches' "$T/collector.log" | grep -oE '[0-9]+' | tail -n 1)
  python3 -c "print($N / ($span / 1000.0), ($c1 - $c0) * 1e6 / $TCK / $N, $hwm, ${batches:-0})"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { cut -d' ' -f"$2" "$1" | median; }

echo "ingest benchmark: $N messages, QoS 1, $RUNS runs, $(nproc) cores, $(uname -m)"
now=$(date +%s)
if [ "$STEADY_ONLY" = 1 ]; then
  N=$((N < 50000 ? N : 50000))
  : >"$T/steady"
  for r in $(seq 1 "$RUNS"); do
    c=$(run_countsub "steady$r" "$now" 5000 | cut -d' ' -f2)
    s=$(run_collector "steady$r" "$now" 5000)
    echo "$c $(cut -d' ' -f2 <<<"$s") $(cut -d' ' -f4 <<<"$s")" >>"$T/steady"
    echo "  steady run $r: count-only $c us/msg, collector $(cut -d' ' -f2 <<<"$s") us/msg, $(cut -d' ' -f4 <<<"$s") batches"
  done
  python3 - "$T/steady" "$N" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
c = statistics.median(r[0] for r in rows)
s = statistics.median(r[1] for r in rows)
b = statistics.median(r[2] for r in rows)
print(f"steady 5,000 msg/s, medians of {len(rows)}: count-only {c:.1f} us/msg, "
      f"collector {s:.1f} us/msg ({s / c:.2f}x), {int(sys.argv[2]) / b:.1f} messages per commit")
PY
  exit 0
fi
past=$(((now - 3 * 86400) / 86400 * 86400)) # a whole past day and more: all hours complete
for mode in live catchup; do
  ts=$now
  [ $mode = catchup ] && ts=$past
  : >"$T/$mode.count"; : >"$T/$mode.py"; : >"$T/$mode.coll"
  for r in $(seq 1 "$RUNS"); do
    run_countsub "$mode$r" "$ts" >>"$T/$mode.count"
    run_pysub "$mode$r" "$ts" >>"$T/$mode.py"
    run_collector "$mode$r" "$ts" >>"$T/$mode.coll"
    echo "  $mode run $r: count-only $(tail -n1 "$T/$mode.count" | cut -d' ' -f1), python $(tail -n1 "$T/$mode.py" | cut -d' ' -f1), collector $(tail -n1 "$T/$mode.coll" | cut -d' ' -f1) msg/s"
  done
done
# CPU per message at a steady 5,000 msg/s (live timestamps)
S=$N
N=$((N < 50000 ? N : 50000))
steady_c=$(run_countsub steady "$now" 5000 | cut -d' ' -f2)
steady_s=$(run_collector steady "$now" 5000 | cut -d' ' -f2)
N=$S

echo
python3 - "$T" "$N" "$RUNS" "$steady_c" "$steady_s" <<'PY'
import statistics, sys
t, n, runs, sc, ss = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
def med(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return [statistics.median(r[i] for r in rows) for i in range(4)]
print(f"medians of {runs} runs, {n} messages")
print(f"{'mode':9} {'subscriber':28} {'msg/s':>8} {'ratio':>6} {'CPU us/msg':>11} {'commits/msg':>12} {'peak RSS':>9}")
for mode in ("live", "catchup"):
    c = med(f"{t}/{mode}.count")
    for name, suffix in (("count-only (limit)", "count"), ("python paho+sqlite3 peer", "py"),
                         ("collector", "coll")):
        m = med(f"{t}/{mode}.{suffix}")
        cpm = f"{m[3] / n:.4f}" if suffix != "count" else "-"
        print(f"{mode:9} {name:28} {m[0]:8.0f} {m[0] / c[0]:6.2f} {m[1]:11.1f} {cpm:>12} {m[2] / 1024:7.1f} MB")
print(f"steady 5,000 msg/s: count-only {sc:.1f} us/msg, collector {ss:.1f} us/msg ({ss / sc:.2f}x)")
PY
