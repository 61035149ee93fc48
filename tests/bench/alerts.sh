#!/usr/bin/env bash
# Alert benchmark (on demand, never in CI):
# 1. latency from publishing a threshold-crossing reading to the webhook
#    receiving the alert, p50 and p99 over N alerts (firing and resolved);
# 2. ingest rate with the full plan ruleset loaded compared with no rules,
#    in the same run.
#   usage: tests/bench/alerts.sh [-n ALERTS] [-m MESSAGES] [-b BUILD_DIR]
set -euo pipefail
N=1000
M=100000
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
while getopts "n:m:b:" o; do
  case $o in n) N=$OPTARG ;; m) M=$OPTARG ;; b) BUILD=$OPTARG ;; *) exit 2 ;; esac
done
C=$BUILD/collector/collector
SIM=$BUILD/devices/sim/devsim
T=$(mktemp -d /tmp/collector-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MQ=$(port) HOOK=$(port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$MQ" >"$T/m.conf"
[ "$(id -u)" = 0 ] && echo "user root" >>"$T/m.conf"
mosquitto -c "$T/m.conf" >/dev/null 2>&1 &
PIDS+=($!)
# the receiver records, for each alert, receive time minus the reading's time
python3 - "$HOOK" "$T/lat.txt" <<'PY' &
import json, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
out = open(sys.argv[2], "w", buffering=1)
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        now = time.time()
        b = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        t = b["ended_at"] if b["state"] == "resolved" else b["started_at"]
        import datetime
        sent = datetime.datetime.fromisoformat(t).timestamp()
        out.write("%s %.6f\n" % (b["state"], now - sent))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
sleep 0.5
mkdir -p "$T/rules"
cat >"$T/rules/bench.yaml" <<'CONF'
rules:
  - name: bench_fill
    source: "benchmark"
    series: reading
    select: {metric: fill}
    when: {op: ">=", value: 90}
    clear: 50
    severity: warning
CONF
cfg() { # DB RULES
  cat <<CONF
gateway: {id: bench}
mqtt: {host: 127.0.0.1, port: $MQ, client_id: bench-$1, topics: ["xh/#"]}
storage: {path: $T/$1.db, retention: {raw: 0}}
ingest: {max_future: 0}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
rules: {paths: [$2]}
log: {level: info}
alerts:
  channels:
    - {name: hook, type: webhook, url: "http://127.0.0.1:$HOOK/"}
CONF
}

# --- 1. latency ---
cfg lat "$T/rules" >"$T/lat.yaml"
"$C" run -c "$T/lat.yaml" 2>"$T/lat.log" &
CP=$!
PIDS+=($CP)
until grep -q "subscribed to" "$T/lat.log"; do sleep 0.05; done
python3 - "$MQ" "$N" <<'PY'
import subprocess, sys, time
port, n = sys.argv[1], int(sys.argv[2])
p = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t",
                      "xh/waste/bench/bin-1", "-l"], stdin=subprocess.PIPE, text=True)
for i in range(n):
    fill = 95 if i % 2 == 0 else 10
    p.stdin.write('{"ts": %.3f, "fill": %d}\n' % (time.time(), fill))
    p.stdin.flush()
    time.sleep(0.02)
p.stdin.close(); p.wait()
PY
for _ in $(seq 1 100); do [ "$(wc -l <"$T/lat.txt")" -ge "$N" ] && break; sleep 0.1; done
kill -TERM $CP; wait $CP || true
python3 - "$T/lat.txt" "$N" <<'PY'
import sys
v = sorted(float(l.split()[1]) * 1000 for l in open(sys.argv[1]))
n = len(v)
pct = lambda p: v[min(n - 1, int(round(p / 100 * (n - 1))))]
print("alert latency over %d alerts (publish -> webhook): p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (n, pct(50), pct(99), v[-1]))
PY

# --- 2. ingest with and without the plan's ruleset ---
rate() { # NAME RULES
  cfg "$1" "$2" >"$T/$1.yaml"
  "$C" run -c "$T/$1.yaml" 2>"$T/$1.log" &
  local pid=$!
  until grep -q "subscribed to" "$T/$1.log"; do sleep 0.05; done
  "$SIM" bulk -h 127.0.0.1 -p "$MQ" -n "$M" --devices 200 --site bench --start-ts "$(date +%s)" >/dev/null
  until [ "$(sqlite3 -cmd '.timeout 2000' "$T/$1.db" 'select stored_messages + duplicates from ingest_stats' 2>/dev/null)" = "$M" ]; do sleep 0.2; done
  local span
  span=$(sqlite3 "$T/$1.db" 'select last_received - first_received from ingest_stats')
  kill -TERM $pid; wait $pid || true
  python3 -c "print($M / ($span / 1000.0))"
}
r0=$(rate norules "")
r1=$(rate plan "$ROOT/ruleset/rules")
python3 - "$r0" "$r1" "$M" <<'PY'
import sys
r0, r1, m = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print("ingest %d messages: no rules %.0f msg/s, plan ruleset %.0f msg/s, cost %.1f %%"
      % (m, r0, r1, 100 * (1 - r1 / r0)))
PY
