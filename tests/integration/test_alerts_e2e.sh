#!/usr/bin/env bash
# Alerts end to end, from a published reading to the ops staff's endpoints,
# through the real broker, daemon, a webhook receiver and a real Alertmanager:
# a threshold crossing produces exactly one notification, a reminder after
# the repeat interval, one resolution after recovery (with hysteresis);
# Alertmanager shows the alert with its labels and then resolved; the
# webhook receiver is down for a while and every notification still
# arrives, in order; a silent device raises and clears its alert; a daemon
# restart while an alert is firing sends nothing new.
. "$(dirname "$0")/lib.sh"
AM=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
[ -x "$AM" ] || fail "$AM not found: deploy/setup.sh installs prometheus-alertmanager"
AM_PORT=$(free_port)
HOOK_PORT=$(free_port)
mkdir -p "$T/am" "$T/profiles" "$T/rules"
printf 'global:\n  resolve_timeout: 5m\nroute:\n  receiver: devnull\nreceivers:\n  - name: devnull\n' >"$T/am.yml"
"$AM" --config.file="$T/am.yml" --storage.path="$T/am" --web.listen-address="127.0.0.1:$AM_PORT" \
  --cluster.listen-address= >>"$T/alertmanager.log" 2>&1 &
PIDS+=("$!")
wait_port "$AM_PORT" || fail "alertmanager did not start"
echo "hook-secret" >"$T/hook.secret"
start_hook() {
  python3 "$SRC_DIR/tests/integration/notify_sink.py" "$HOOK_PORT" "$T/hook.jsonl" \
    --secret "$T/hook.secret" >>"$T/hook.log" 2>&1 &
  HOOK_PID=$!
  PIDS+=("$HOOK_PID")
  wait_port "$HOOK_PORT" || fail "webhook receiver did not start"
}
start_hook

# A bin-level sensor reporting every second, so that silence (3 x interval) is quick.
cp "$SRC_DIR"/devices/profiles/*.yaml "$T/profiles/"
cat >"$T/profiles/test-level.yaml" <<'CONF'
name: test-level
domain: waste
decoder: json
topics: ["xh/test/{site}/{device}"]
interval: 1s
fields:
  fill: {metric: fill, unit: "%", min: 0, max: 120}
CONF
cat >"$T/rules/test.yaml" <<'CONF'
rules:
  - name: bin_full
    source: "test: a full bin needs a collection"
    series: reading
    select: {domain: waste, metric: fill}
    when: {op: ">=", value: 90}
    clear: 50
    severity: warning
    repeat: 3s
    labels: {team: sanitation}
    message:
      zh: "{site} {device} 满溢 {value}{unit}"
      en: "{site} {device} is {value}{unit} full"
  - name: sensor_silent
    source: "test: silent for 3 report intervals"
    series: silence
    select: {domain: waste}
    when: {op: ">", ref: interval_x, factor: 3}
    severity: major
CONF
start_broker
write_config "rules: {paths: [$T/rules]}" "rollup: {interval: 500ms}" \
  "alerts:" "  channels:" \
  "    - {name: hook, type: webhook, url: 'http://127.0.0.1:$HOOK_PORT/hook', secret_file: $T/hook.secret," \
  "       backoff_min: 200ms, backoff_max: 1s}" \
  "    - {name: am, type: alertmanager, url: 'http://127.0.0.1:$AM_PORT/', repost: 2s}"
sed -i "s|profiles: $SRC_DIR/devices/profiles|profiles: $T/profiles|" "$T/collector.yaml"
start_collector

events() { # print "event rule state" per received webhook, in order
  python3 - "$T/hook.jsonl" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for l in lines:
    r = json.loads(l)
    if r.get("failed"):
        continue
    b = json.loads(r["body"])
    print(r["event"], b["rule"], b["state"], b.get("device"), "sig_ok" if r["sig_ok"] else "BAD_SIG")
PY
}
wait_events() { # N: wait until N events were received
  for _ in $(seq 1 150); do
    [ "$(events | wc -l)" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
level() { pub xh/test/depot/bin-7 "{\"ts\": $(date +%s.%N | cut -c1-14), \"fill\": $1}"; }

level 40
level 95                       # crossing: one firing
level 97                       # still full: nothing new (no reminder yet)
wait_events 1 || fail "no firing notification"
sleep 0.5
[ "$(events | grep -c bin_full)" = 1 ] || fail "more than one notification: $(events)"
events | head -1 | grep -q "firing bin_full firing bin-7 sig_ok" || fail "firing event: $(events)"
pass "a threshold crossing gives exactly one signed notification"

am() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true"; }
for _ in $(seq 1 50); do am | grep -q bin_full && break; sleep 0.2; done
am >"$T/am.json"
python3 - "$T/am.json" <<'PY' || fail "Alertmanager: $(cat "$T/am.json")"
import json, sys
a = [x for x in json.load(open(sys.argv[1])) if x["labels"]["alertname"] == "bin_full"]
assert len(a) == 1, a
l = a[0]["labels"]
assert l["severity"] == "warning" and l["site"] == "depot" and l["device"] == "bin-7", l
assert l["team"] == "sanitation" and l["gateway"] == "it-gw", l
assert "full" in a[0]["annotations"]["summary"], a[0]["annotations"]
PY
pass "Alertmanager shows the alert with its labels"

# reminder after the repeat interval (3 s), while the bin stays full
for _ in $(seq 1 8); do level 96; sleep 0.5; done
wait_events 2 || fail "no reminder"
events | grep bin_full | sed -n 2p | grep -q "reminder bin_full reminder" || fail "reminder: $(events)"
pass "a reminder after the repeat interval"

# restart while firing: no second "firing" (reminders keep their 3 s rhythm)
stop_collector || fail "exit status"
start_collector
level 96
sleep 2
[ "$(events | grep -c '^firing bin_full')" = 1 ] || fail "restart re-notified: $(events)"
n=$(events | grep -c '^reminder bin_full')
[ "$n" -le 3 ] || fail "reminders burst after the restart: $(events)"
pass "a daemon restart while firing sends nothing new"
n_before=$(events | wc -l)

# the webhook receiver goes down; recovery (below the clear level) and a
# new crossing happen meanwhile; everything arrives, in order, once it is back
kill "$HOOK_PID"
wait "$HOOK_PID" 2>/dev/null || true
level 70                       # between clear (50) and threshold: still firing (hysteresis)
level 45                       # resolved
level 99                       # firing again
sleep 2
start_hook
wait_events $((n_before + 2)) || fail "notifications lost while the receiver was down: $(events)"
events | grep -v reminder | grep bin_full | tail -n 2 | tr '\n' ';' |
  grep -q "resolved bin_full resolved.*firing bin_full firing" || fail "order after the outage: $(events)"
pass "receiver down: every notification arrives once it is back, in order (hysteresis held at 70)"

for _ in $(seq 1 50); do am | grep -q '"resolved"\|bin_full' && break; sleep 0.2; done

# silence: the sensor stops reporting for more than 3 intervals
for _ in $(seq 1 100); do events | grep -q "firing sensor_silent" && break; sleep 0.1; done
events | grep -q "firing sensor_silent firing bin-7" || fail "silence alert: $(events)"
level 30                       # reports again (and the bin was emptied)
for _ in $(seq 1 60); do events | grep -q "resolved sensor_silent" && break; sleep 0.2; done
events | grep -q "resolved sensor_silent resolved bin-7" || fail "silence not cleared: $(events)"
pass "a silent device raises its alert and clears it when it reports again"

# after recovery, Alertmanager shows bin_full resolved (not active)
for _ in $(seq 1 50); do am | grep -q bin_full || break; sleep 0.2; done
level 20
for _ in $(seq 1 60); do events | tail -n 5 | grep -q "resolved bin_full" && break; sleep 0.2; done
for _ in $(seq 1 50); do am | grep -q bin_full || break; sleep 0.2; done
! am | grep -q bin_full || fail "Alertmanager still shows bin_full active: $(am)"
pass "Alertmanager shows the alert resolved"
"$COLLECTOR" alerts -c "$T/collector.yaml" | grep -q "bin_full" || fail "collector alerts lists nothing"

# acknowledging silences reminders
level 95
for _ in $(seq 1 60); do events | tail -n 1 | grep -q "firing bin_full" && break; sleep 0.2; done
id=$(sql "select id from alerts where rule = 'bin_full' and state = 'firing'")
"$COLLECTOR" alerts -c "$T/collector.yaml" ack "$id" --by ops-duty --comment "truck sent" >/dev/null ||
  fail "ack"
n=$(events | wc -l)
for _ in $(seq 1 10); do level 96; sleep 0.5; done
[ "$(events | wc -l)" = "$n" ] || fail "reminders after the acknowledgement: $(events | tail -n 3)"
"$COLLECTOR" alerts -c "$T/collector.yaml" | grep -q "acked by ops-duty" || fail "ack not listed"
pass "an acknowledged alert sends no reminders"
