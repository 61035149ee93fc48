#!/usr/bin/env bash
# SIGHUP reloads alerts.channels like rules and devices: the configuration
# file is read again and, when its channels changed, the delivery threads
# are replaced and every producer of alerts routes into the new channels —
# the ingest loop (a new firing), the scheduler (reminders of an alert that
# fired before the reload) and the HJ 212 listener (a packet over TCP).
# An unchanged list keeps the threads; a broken one is reported as
# file:line and the channels in use stay. The MQTT session is kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/notify_lib.sh"
SINK=$SRC_DIR/tests/integration/notify_sink.py
A_PORT=$(free_port)
B_PORT=$(free_port)
HJ_PORT=$(free_port)
for s in a b; do
  port=$A_PORT
  [ $s = b ] && port=$B_PORT
  python3 "$SINK" "$port" "$T/$s.jsonl" >>"$T/sink-$s.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" || fail "sink $s did not start"
done
mkdir -p "$T/rules"
cat >"$T/rules/pm25.yaml" <<'CONF'
rules:
  - name: pm25_hot
    source: "test: one high PM2.5 reading"
    series: reading
    select: {domain: air, metric: pm25}
    when: {op: ">=", value: 100}
    clear: 50
    severity: major
    repeat: 2s
CONF
MN=010000A8900016F000169DC0
cat >"$T/registry.yaml" <<CONF
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: aqm-01, site: xujiahui, profile: air-station}
  - {id: aqm-02, site: xujiahui, profile: air-station}
  - {id: aqm-03, site: xujiahui, profile: air-station}
  - {id: $MN, site: xujiahui, profile: air-station}
CONF
channel() { # NAME PORT: one webhook channel
  echo "    - {name: $1, type: webhook, url: 'http://127.0.0.1:$2/$1', backoff_min: 100ms, backoff_max: 500ms}"
}
start_broker
write_config "rules: {paths: [$T/rules]}" "rollup: {interval: 300ms}" "alerts:" "  channels:" \
  "$(channel hook-a "$A_PORT")"
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
start_collector --set "ingest.hj212_listen=127.0.0.1:$HJ_PORT"
wait_port "$HJ_PORT" || fail "HJ 212 listener not up"

# events FILE: "event device" per delivery received
events() {
  python3 - "$1" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for l in lines:
    r = json.loads(l)
    if not r.get("failed"):
        print(r["event"], json.loads(r["body"]).get("device"), r["path"])
PY
}
until_true() { # SECONDS COMMAND...
  local end=$(($(date +%s) + $1))
  shift
  while [ "$(date +%s)" -le "$end" ]; do "$@" && return 0; sleep 0.2; done
  return 1
}
got() { events "$T/$1.jsonl" | grep -q "^$2 $3 "; } # SINK EVENT DEVICE

now=$(date +%s)
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": 150}"
until_true 30 got a firing aqm-01 || fail "hook-a did not get the first alert: $(events "$T/a.jsonl")"
until_true 30 got a reminder aqm-01 || fail "hook-a got no reminder"
pass "before the reload: hook-a gets the firing and the scheduler's reminders"

# replace hook-a by hook-b
sed -i "s|^    - {name: hook-a.*|$(channel hook-b "$B_PORT" | sed 's/[&|]/\\&/g')|" "$T/collector.yaml"
grep -q "name: hook-b" "$T/collector.yaml" || fail "config not edited"
kill -HUP "$COLLECTOR_PID"
until_true 30 grep -q "reload: alert channels replaced (1 now)" "$T/collector.log" ||
  fail "channels not reloaded: $(grep reload: "$T/collector.log")"
grep -q "notify: channel 'hook-b' (webhook) started" "$T/collector.log" || fail "hook-b not started"
pub xh/air/xujiahui/aqm-02 "{\"ts\": $now, \"pm25\": 160}"
until_true 30 got b firing aqm-02 || fail "hook-b did not get the new alert: $(events "$T/b.jsonl")"
! got a firing aqm-02 || fail "the removed hook-a got an alert after the reload"
until_true 30 got b reminder aqm-01 || fail "the scheduler's reminders do not go to hook-b"
pass "after the reload: a new firing (ingest) and reminders (scheduler) go to hook-b, none to hook-a"

PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" "$MN" >"$T/hj212.out" 2>&1 <<'PY' || fail "datalogger: $(cat "$T/hj212.out")"
import socket, sys
from hj212_client import frame

seg = ("QN=20241126080000001;ST=22;CN=2061;PW=123456;MN=%s;Flag=5;"
       "CP=&&DataTime=20241126070000;a34004-Avg=180.0,a34004-Flag=N&&" % sys.argv[2])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(frame(seg))
reply = s.makefile("rb").readline()
assert b"CN=9014" in reply, reply
PY
until_true 30 got b firing "$MN" || fail "the HJ 212 listener's alert did not go to hook-b: $(events "$T/b.jsonl")"
pass "after the reload: the HJ 212 listener's alert goes to hook-b"

# unchanged: the threads stay; broken: file:line, and hook-b still delivers
kill -HUP "$COLLECTOR_PID"
until_true 30 grep -q "reload: alert channels unchanged" "$T/collector.log" || fail "unchanged list not recognised"
[ "$(grep -c "notify: channel 'hook-b' (webhook) started" "$T/collector.log")" = 1 ] ||
  fail "an unchanged channel list restarted the delivery threads"
echo "    - {name: hook-c, type: pager}" >>"$T/collector.yaml"
n=$(wc -l <"$T/collector.yaml")
kill -HUP "$COLLECTOR_PID"
until_true 30 grep -q "keeping the alert channels in use" "$T/collector.log" || fail "broken list not refused"
grep -q "collector.yaml:$n: unknown channel type 'pager'" "$T/collector.log" || fail "no file:line for the broken channel"
pub xh/air/xujiahui/aqm-03 "{\"ts\": $now, \"pm25\": 170}"
until_true 30 got b firing aqm-03 || fail "hook-b stopped delivering after a broken reload"
[ "$(grep -c 'mqtt: connected' "$T/collector.log")" = 1 ] || fail "a reload dropped the MQTT session"
pass "SIGHUP with an unchanged list keeps the threads; a broken one is refused with file:line; session kept"
stop_collector || fail "exit status"
