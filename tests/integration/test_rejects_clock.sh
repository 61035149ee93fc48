#!/usr/bin/env bash
# Issue 12, done when: the collector runs under a clock one day behind
# (libfaketime), devices publish readings with the real time, every one is
# rejected as timestamp_future and kept whole, and gateway_clock_suspect
# fires (and shows in `collector stats`). With the clock fixed, `collector
# rejects retry` stores every reading it had rejected and empties the
# rejects table; the daemon, now agreeing with its devices, resolves the
# alert.
. "$(dirname "$0")/lib.sh"
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
  [ -e "$f" ] && FAKETIME_LIB=$f && break
done
[ -n "$FAKETIME_LIB" ] || fail "libfaketime is not installed (deploy/setup.sh installs it)"

start_broker
write_config "rollup: {interval: 500ms}"
sed -i 's|^ingest: {max_future: 0, max_age: 0}$|ingest: {max_future: 5m, max_age: 0, clock_window: 2s}|' "$T/collector.yaml"
grep -q 'clock_window: 2s' "$T/collector.yaml" || fail "config not edited"

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
  local secs=$1
  shift
  for _ in $(seq 1 $((secs * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
alert_state() { sql "select state from alerts where rule = 'gateway_clock_suspect' order by id desc limit 1"; }
is_state() { [ "$(alert_state)" = "$1" ]; }

# rejects are kept an hour: a day's jump forward must still delete none
sed -i "s|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {rejects: 1h}}|" "$T/collector.yaml"
grep -q 'rejects: 1h' "$T/collector.yaml" || fail "config not edited"

# the daemon a day behind (wall clock only: its monotonic clock is real);
# the offset is read from a file, so the clock can be fixed under it
echo "-1d" >"$T/faketime"
export FAKETIME_TIMESTAMP_FILE=$T/faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
  LD_PRELOAD=$FAKETIME_LIB
start_collector
unset FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE FAKETIME_DONT_FAKE_MONOTONIC LD_PRELOAD
behind=$(sed -n 's/^\([0-9-]*\)T.*/\1/p' "$T/collector.log" | tail -n 1)
[ "$behind" = "$(date -u -d '-1 day' +%Y-%m-%d)" ] || fail "the daemon's clock is not a day behind: $behind"

now=$(date +%s)
n=0
for i in $(seq 0 9); do
  for d in 1 2 3; do
    pub "xh/air/xujiahui/aqm-0$d" "{\"ts\": $((now - i * 60)), \"pm25\": $((10 + i)), \"pm10\": $((20 + d))}"
    n=$((n + 1))
  done
done
wait_stat "['rejected'].get('timestamp_future', 0)" "$n" || fail "readings with the real time not rejected as future"
[ "$(jstat "['stored_readings']")" = 0 ] || fail "a reading from the future was stored"
[ "$(sql "select count(*) from rejects where reason = 'timestamp_future' and msg_id is null and size = length(payload)")" = "$n" ] ||
  fail "the rejects are not kept whole: $(sql "select count(*), sum(size = length(payload)) from rejects")"
pass "under a clock a day behind: $n real-time messages rejected as timestamp_future, kept whole"

wait_for 60 is_state firing || fail "gateway_clock_suspect did not fire: '$(alert_state)'"
"$COLLECTOR" stats -c "$T/collector.yaml" --json >"$T/stats.json"
python3 - "$T/stats.json" <<'PY' || fail "stats --json: $(cat "$T/stats.json")"
import json, sys
c = json.load(open(sys.argv[1]))["gateway_clock"]
assert c["suspect"] is True and c["devices"] == 3 and c["ahead"] == 3, c
assert 86400000 - 660000 < c["skew_ms"] <= 86400000, c  # readings from now - 9 min to now
PY
"$COLLECTOR" stats -c "$T/collector.yaml" | grep -q "^gateway clock *SUSPECT since" || fail "stats text does not say the clock is suspect"
grep -q "gateway clock disagrees with its devices" "$T/collector.log" || fail "not logged"
pass "gateway_clock_suspect fires and collector stats says so (text and --json)"

# NTP fixes the clock under the running daemon: a day forward. The rejects
# table is pruned (by age too) every 64 rejects: 70 malformed messages.
echo "+0" >"$T/faketime"
for i in $(seq 1 70); do echo "{\"ts\": $i"; done |
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -l
wait_stat "['rejected'].get('malformed', 0)" 70 || fail "malformed messages not rejected"
[ "$(sql "select min(received) from rejects where reason = 'malformed'")" -ge $(((now - 600) * 1000)) ] ||
  fail "the daemon's clock did not move: $(sql "select min(received) from rejects where reason = 'malformed'")"
[ "$(sql "select count(*) from rejects where reason = 'timestamp_future'")" = "$n" ] ||
  fail "the clock's jump forward deleted rejects: $(sql "select count(*) from rejects where reason = 'timestamp_future'") of $n left"
pass "a day's jump forward of the clock deletes none of them (rejects kept 1h, pruned 70 rejects later)"

# the daemon stops, the rejects are retried with the real clock
stop_collector || fail "collector did not exit 0 on SIGTERM"
out=$("$COLLECTOR" rejects retry -c "$T/collector.yaml" --reason timestamp_future) || fail "retry failed: $out"
sql "delete from rejects where reason = 'malformed'"
[ "$out" = "$n stored, 0 stay rejected" ] || fail "retry said: $out"
[ "$(sql "select count(*) from rejects")" = 0 ] || fail "rejects left: $(sql "select reason, count(*) from rejects group by reason")"
[ "$(sql "select count(*) from readings")" = $((2 * n)) ] || fail "readings stored: $(sql "select count(*) from readings")"
for d in 1 2 3; do
  got=$("$COLLECTOR" query -c "$T/collector.yaml" --device "aqm-0$d" --metric pm25 --format csv | tail -n +2 | wc -l)
  [ "$got" = 10 ] || fail "aqm-0$d has $got pm25 readings, expected 10"
done
[ "$(jstat "['stored_messages']")" = "$n" ] || fail "stored_messages: $(jstat "['stored_messages']")"
[ "$(jstat "['received']")" = $((n + 70)) ] || fail "a retry counted as received again"
[ "$(jstat "['notes']['retried_stored']")" = "$n" ] || fail "retries not noted"
pass "collector rejects retry stored all $n messages ($((2 * n)) readings); the rejects table is empty"

# the daemon with the right clock: readings agree, the alert resolves
start_collector
# every round of three lands in at most two windows, one of them with two devices
agree() {
  local now
  now=$(date +%s)
  for d in 1 2 3; do pub "xh/air/xujiahui/aqm-0$d" "{\"ts\": $now, \"pm25\": 5}"; done
  sleep 0.5
  is_state resolved
}
wait_for 10 agree || fail "gateway_clock_suspect did not resolve: '$(alert_state)'"
[ "$("$COLLECTOR" stats -c "$T/collector.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["gateway_clock"]["suspect"])')" = False ] ||
  fail "stats still say suspect"
pass "gateway_clock_suspect resolves once the readings agree with the clock"
stop_collector || fail "collector did not exit 0 on SIGTERM"
