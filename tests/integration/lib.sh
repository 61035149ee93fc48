# Shared helpers for the integration tests (sourced, not run). Each test
# gets a private temporary directory, a real mosquitto broker on a free
# loopback port, and a collector with its own SQLite file. Everything the
# test started is stopped on exit, pass or fail.
set -euo pipefail
# Files the tests write are private: the collector refuses secret files
# that group or others can read (collector/secret.h).
umask 077

BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
COLLECTOR=$BUILD_DIR/collector/collector
DEVSIM=$BUILD_DIR/devices/sim/devsim
DATA_DIR=${DATA_DIR:-$SRC_DIR/../shared/data}
T=$(mktemp -d "${TMPDIR:-/tmp}/collector-it.XXXXXX")
PIDS=()

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- test failed; logs in $T ---" >&2
    for f in "$T"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done
  else
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
  fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
note() { echo "# $*"; }

# free_port: a loopback port nobody listens on, never one this test was
# given before (the kernel may hand the same free port out twice, and two
# servers of one test would then collide)
free_port() {
  python3 - "$T/.ports" <<'PY'
import os, socket, sys
used = set(open(sys.argv[1]).read().split()) if os.path.exists(sys.argv[1]) else set()
for _ in range(100):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if str(port) not in used:
        break
with open(sys.argv[1], "a") as f:
    f.write(f"{port}\n")
print(port)
PY
}

# start_broker: a mosquitto on 127.0.0.1:$BROKER_PORT with persistence, and
# a queue deep enough to hold everything a test publishes while the
# collector is down (the default max_queued_messages of 1000 is not).
# $BROKER_EXTRA, if set, is appended to its configuration.
BROKER_PID=
start_broker() {
  BROKER_PORT=${BROKER_PORT:-$(free_port)}
  mkdir -p "$T/broker"
  cat >"$T/broker/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
user root
persistence true
persistence_location $T/broker/
autosave_interval 1
max_queued_messages 1000000
max_inflight_messages 100
${BROKER_EXTRA:-}
CONF
  mosquitto -c "$T/broker/mosquitto.conf" >>"$T/broker.log" 2>&1 &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  wait_port "$BROKER_PORT" || fail "broker did not start"
}

stop_broker() { # graceful: the broker saves its persistence file
  kill -TERM "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
}

wait_port() {
  for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# write_config [extra yaml lines...]: $T/collector.yaml for this broker
write_config() {
  HTTP_PORT=${HTTP_PORT:-$(free_port)}
  cat >"$T/collector.yaml" <<CONF
gateway: {id: it-gw}
mqtt:
  host: 127.0.0.1
  port: $BROKER_PORT
  client_id: it-collector-$$
  topics: ["xh/#"]
  reconnect_min: 200ms
  reconnect_max: 2s
storage: {path: $T/collector.db}
ingest: {max_future: 0, max_age: 0}
devices: {profiles: $SRC_DIR/devices/profiles, unknown: register}
log: {level: info}
http: {listen: "127.0.0.1:$HTTP_PORT"}
CONF
  for line in "$@"; do echo "$line" >>"$T/collector.yaml"; done
}

COLLECTOR_PID=
# Test data are often timestamped years ago: raw readings are kept unless a
# test sets RAW_RETENTION=config to use what its configuration says.
start_collector() {
  local skip keep=()
  [ "${RAW_RETENTION:-keep}" = config ] || keep=(--set storage.retention.raw=0)
  skip=$(wc -l 2>/dev/null <"$T/collector.log" || echo 0)
  "$COLLECTOR" run -c "$T/collector.yaml" "${keep[@]}" "$@" >>"$T/collector.log" 2>&1 &
  COLLECTOR_PID=$!
  PIDS+=("$COLLECTOR_PID")
  # ready when subscribed (or the session resumed), in this run's lines
  for _ in $(seq 1 200); do
    tail -n +$((skip + 1)) "$T/collector.log" 2>/dev/null | grep -qE "subscribed to|session resumed" && return 0
    kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector exited at start"
    sleep 0.05
  done
  fail "collector did not connect"
}

stop_collector() {
  kill -TERM "$COLLECTOR_PID" 2>/dev/null || true
  local rc=0
  wait "$COLLECTOR_PID" 2>/dev/null || rc=$?
  return $rc
}

sql() { sqlite3 -cmd ".timeout 5000" "$T/collector.db" "$@"; }

# jstat EXPR: one integer field of `collector stats --json`
jstat() {
  "$COLLECTOR" stats -c "$T/collector.yaml" --json |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"
}

# wait_stat EXPR VALUE [SECONDS]: poll until stats field equals value
wait_stat() {
  local expr=$1 want=$2 secs=${3:-60} got=
  for _ in $(seq 1 $((secs * 10))); do
    got=$(jstat "$expr" 2>/dev/null || echo "?")
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  echo "stat$expr is $got, expected $want" >&2
  return 1
}

pub() { # topic payload [qos]
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q "${3:-1}" -t "$1" -m "$2"
}
