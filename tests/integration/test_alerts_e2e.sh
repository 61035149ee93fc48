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

# Every wait below is for a condition with a generous deadline, and every
# assertion is on the order or spacing of events, never on how many arrived
# during a sleep: a loaded machine (ctest -j2) publishes and delivers late.
# The silence rule may fire whenever publishing stalls for 3 s, so checks
# of the bin_full alert look at bin_full events only.
events() { # print "event rule state device sig" per received webhook, in order
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
bin_events() { events | grep ' bin_full ' || true; }
until_true() { # SECONDS COMMAND...: poll until COMMAND succeeds, at most SECONDS
  local end=$(($(date +%s) + $1))
  shift
  while [ "$(date +%s)" -le "$end" ]; do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}
has_bin_events() { [ "$(bin_events | wc -l)" -ge "$1" ]; }
# spacing FIRST LAST: smallest gap (s) between consecutive bin_full
# notifications number FIRST..LAST (1-based), by the receiver's clock
spacing() {
  python3 - "$T/hook.jsonl" "$1" "$2" <<'PY'
import json, sys
ts = []
for l in open(sys.argv[1]).read().splitlines():
    r = json.loads(l)
    if not r.get("failed") and json.loads(r["body"])["rule"] == "bin_full":
        ts.append(r["received"])
ts = ts[int(sys.argv[2]) - 1:int(sys.argv[3])]
print(min(b - a for a, b in zip(ts, ts[1:])) if len(ts) > 1 else 99)
PY
}
level() { pub xh/test/depot/bin-7 "{\"ts\": $(date +%s.%N | cut -c1-14), \"fill\": $1}"; }

level 40
level 95                       # crossing: one firing
level 97                       # still full: nothing new (no reminder yet)
until_true 30 has_bin_events 1 || fail "no firing notification"
bin_events | head -1 | grep -q "firing bin_full firing bin-7 sig_ok" || fail "firing event: $(events)"
# no second firing: whatever else arrives for bin_full is a reminder
bin_events | sed 1d | grep -qv '^reminder' && fail "more than one notification: $(events)"
pass "a threshold crossing gives exactly one signed notification"

am() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true"; }
am_has_bin() { am | grep -q bin_full; }
until_true 30 am_has_bin || fail "Alertmanager never showed bin_full: $(am)"
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
has_reminder() { bin_events | sed -n 2p | grep -q .; }
for _ in $(seq 1 120); do
  has_reminder && break
  level 96
  sleep 0.5
done
bin_events | sed -n 2p | grep -q "reminder bin_full reminder" || fail "reminder: $(events)"
gap=$(spacing 1 2)
python3 -c "import sys; sys.exit(0 if $gap >= 1.5 else 1)" ||
  fail "the reminder came $gap s after the firing; the repeat interval is 3 s"
pass "a reminder after the repeat interval"

# restart while firing: no second "firing", and reminders keep their
# rhythm (no burst of the reminders "missed" while the daemon was down)
stop_collector || fail "exit status"
start_collector
n_restart=$(bin_events | wc -l)
for _ in $(seq 1 120); do
  [ "$(bin_events | wc -l)" -ge $((n_restart + 2)) ] && break
  level 96
  sleep 0.5
done
[ "$(bin_events | wc -l)" -ge $((n_restart + 2)) ] || fail "no reminders after the restart: $(events)"
[ "$(bin_events | grep -c '^firing bin_full')" = 1 ] || fail "restart re-notified: $(events)"
n_before=$(events | wc -l)
n_bin=$(bin_events | wc -l)
gap=$(spacing 1 "$n_bin")
python3 -c "import sys; sys.exit(0 if $gap >= 1.5 else 1)" ||
  fail "reminders burst after the restart (two $gap s apart; repeat is 3 s): $(events)"
pass "a daemon restart while firing sends nothing new"

# the webhook receiver goes down; recovery (below the clear level) and a
# new crossing happen meanwhile; everything arrives, in order, once it is back
kill "$HOOK_PID"
wait "$HOOK_PID" 2>/dev/null || true
level 70                       # between clear (50) and threshold: still firing (hysteresis)
level 45                       # resolved
level 99                       # firing again
sleep 2
start_hook
has_outage_events() { bin_events | grep -v '^reminder' | tail -n 2 | tr '\n' ';' |
  grep -q "resolved bin_full resolved.*firing bin_full firing"; }
until_true 60 has_outage_events ||
  fail "notifications lost or out of order while the receiver was down: $(events)"
[ "$(bin_events | sed "1,${n_bin}d" | grep -c '^resolved')" = 1 ] ||
  fail "hysteresis: resolved more than once (70 is above the clear level): $(events)"
pass "receiver down: every notification arrives once it is back, in order (hysteresis held at 70)"

# silence: the sensor stops reporting for more than 3 intervals (a stall
# during the outage above may already have raised it: the latest silence
# event is what counts)
silence_fired() { events | grep ' sensor_silent ' | tail -n 1 | grep -q "firing sensor_silent firing bin-7"; }
until_true 60 silence_fired || fail "silence alert: $(events)"
n_mark=$(events | wc -l)
level 30                       # reports again (and the bin was emptied)
silence_cleared() { events | sed "1,${n_mark}d" | grep -q "resolved sensor_silent resolved bin-7"; }
until_true 60 silence_cleared || fail "silence not cleared: $(events)"
pass "a silent device raises its alert and clears it when it reports again"

# after recovery, Alertmanager shows bin_full resolved (not active)
bin_resolved() { bin_events | tail -n 1 | grep -q "^resolved bin_full"; }
until_true 60 bin_resolved || fail "bin_full not resolved after 30%: $(events)"
am_clear() { ! am | grep -q bin_full; }
until_true 60 am_clear || fail "Alertmanager still shows bin_full active: $(am)"
pass "Alertmanager shows the alert resolved"
"$COLLECTOR" alerts -c "$T/collector.yaml" | grep -q "bin_full" || fail "collector alerts lists nothing"

# acknowledging silences reminders
n_firing=$(bin_events | grep -c '^firing' || true)
level 95
# a new firing (reminders may follow it at once on a slow machine)
bin_firing() { [ "$(bin_events | grep -c '^firing' || true)" -gt "$n_firing" ]; }
until_true 60 bin_firing || fail "no new firing: $(events)"
id=$(sql "select id from alerts where rule = 'bin_full' and state = 'firing'")
"$COLLECTOR" alerts -c "$T/collector.yaml" ack "$id" --by ops-duty --comment "truck sent" >/dev/null ||
  fail "ack"
sleep 1.5 # a reminder queued just before the acknowledgement may still arrive
n=$(bin_events | wc -l)
# twice the repeat interval of readings at the full level: no reminder
t_end=$(($(date +%s) + 7))
while [ "$(date +%s)" -lt "$t_end" ]; do level 96; sleep 0.5; done
[ "$(bin_events | wc -l)" = "$n" ] || fail "reminders after the acknowledgement: $(bin_events | tail -n 3)"
"$COLLECTOR" alerts -c "$T/collector.yaml" | grep -q "acked by ops-duty" || fail "ack not listed"
pass "an acknowledged alert sends no reminders"
