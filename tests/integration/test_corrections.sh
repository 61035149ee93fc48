#!/usr/bin/env bash
# Corrections are not duplicates: the same reading sent again is counted
# as a duplicate; sent with another value it is a correction. The new
# value wins, the old one is kept in the corrections table with the
# topic and receive time, the hour is recomputed, and `collector stats`
# counts it (text and --json).
. "$(dirname "$0")/lib.sh"
start_broker
write_config
start_collector
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 10, "pm10": 20}'
wait_stat "['stored_messages']" 1 || fail "first message"
hourly_pm25() {
  sql "select mean from hourly h join metrics m on m.id = h.metric_id where m.name = 'pm25'"
}
wait_hourly() { # mean: the rollups (the daemon's, or ours) reach it
  for _ in $(seq 1 100); do
    "$COLLECTOR" rollup -c "$T/collector.yaml" >/dev/null 2>&1 || true
    [ "$(hourly_pm25)" = "$1" ] && return 0
    sleep 0.2
  done
  return 1
}
wait_hourly 10.0 || fail "hourly statistics of the first value: $(hourly_pm25)"
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 10, "pm10": 20}'
wait_stat "['duplicates']" 1 || fail "the resend was not a duplicate"
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 12.5, "pm10": 20}'
wait_stat "['corrections']" 1 || fail "the new value was not counted as a correction"
[ "$(jstat "['corrected_messages']")" = 1 ] || fail "corrected_messages"
[ "$(jstat "['duplicates']")" = 1 ] || fail "a correction was counted as a duplicate"
[ "$(sql "select value from readings r join metrics m on m.id = r.metric_id where m.name = 'pm25'")" = 12.5 ] ||
  fail "the correction did not win"
[ "$(sql 'select old_value || " " || new_value || " " || topic from corrections')" = "10.0 12.5 xh/air/xujiahui/aqm-01" ] ||
  fail "history: $(sql 'select * from corrections')"
wait_hourly 12.5 || fail "the hourly statistics were not revised: $(hourly_pm25)"
"$COLLECTOR" stats -c "$T/collector.yaml" | grep -q "corrections         1 readings" ||
  fail "stats text: $("$COLLECTOR" stats -c "$T/collector.yaml" | grep correct)"
stop_collector || fail "collector exit status"
pass "a resend is a duplicate, another value a correction: kept, counted, hour revised"
