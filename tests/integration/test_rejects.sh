#!/usr/bin/env bash
# A battery of malformed messages through a real broker: each lands in the
# rejects table with the right reason, the daemon keeps running, and the
# good messages around them are stored.
. "$(dirname "$0")/lib.sh"
start_broker
write_config "ingest: {max_future: 5m, max_age: 0, max_payload: 1KiB}"
sed -i '0,/ingest: {max_future: 0, max_age: 0}/{/ingest: {max_future: 0, max_age: 0}/d}' "$T/collector.yaml"
start_collector

good() { pub xh/air/xujiahui/aqm-01 "{\"ts\": $1, \"pm25\": 20, \"pm10\": 30}"; }
now=$(date +%s)
good $((now - 3600))
pub xh/air/xujiahui/aqm-01 '{"ts": 1732600000, "pm25": 23.4'                  # malformed
pub xh/air/xujiahui/aqm-01 '[1, 2, 3]'                                          # not an object
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": \"high\"}"                 # non_numeric
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": NaN}"                      # non_finite
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": 1e400}"                    # non_finite
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": -3}"                       # out_of_range
pub xh/air/xujiahui/aqm-01 "{\"ts\": $((now + 86400)), \"pm25\": 3}"            # timestamp_future
pub xh/air/xujiahui/aqm-01 '{"ts": "yesterday", "pm25": 3}'                     # bad_timestamp
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"rssi\": -70}"                      # no_readings
# over max_payload, within the Maximum Packet Size announced (max_payload + 1 KiB)
pub xh/air/xujiahui/aqm-01 "$(printf '{"ts": %d, "pm25": 1, "x": "%01100d"}' "$now" 0)" # too large
printf '{"ts": %d, "pm25": 1, "name": "\xff\xfe"}' "$now" >"$T/bad-utf8"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -f "$T/bad-utf8" # invalid_utf8
pub xh/lab/somewhere/x-01 '{"laeq": 55}'                                        # unmatched_topic
pub xh/air/xujiahui/aqm-01 ''                                                   # malformed (empty)
good $((now - 1800))

wait_stat "['received']" 15 || fail "not all messages received"
kill -0 "$COLLECTOR_PID" || fail "collector died"
[ "$(jstat "['stored_messages']")" = 2 ] || fail "good messages around the bad ones not stored"
expect() { # reason count
  local got
  got=$(jstat "['rejected'].get('$1', 0)")
  [ "$got" = "$2" ] || fail "rejected[$1] = $got, expected $2"
  got=$(sql "select count(*) from rejects where reason = '$1'")
  [ "$got" = "$2" ] || fail "rejects table has $got rows for $1, expected $2"
}
expect malformed 3
expect non_numeric 1
expect non_finite 2
expect out_of_range 1
expect timestamp_future 1
expect bad_timestamp 1
expect no_readings 1
expect payload_too_large 1
expect invalid_utf8 1
expect unmatched_topic 1
[ "$(jstat "['rejected_total']")" = 13 ] || fail "rejected_total"
# the reject keeps topic, detail and a payload prefix
row=$(sql "select topic || '|' || detail || '|' || substr(payload, 1, 20) from rejects where reason = 'out_of_range'")
case "$row" in
  "xh/air/xujiahui/aqm-01|pm25: -3 ug/m3 outside the valid range [0, 2000]|{\"ts\": $now"*) ;;
  *) fail "reject row lacks topic/detail/payload: $row" ;;
esac
pass "13 malformed messages rejected with their reasons, 2 good ones stored"

# rejects stay bounded: push 300 bad messages with a 100-row bound
stop_collector
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {rejects_max_rows: 100}}|' "$T/collector.yaml"
start_collector
for i in $(seq 1 300); do echo "{\"ts\": $now, \"pm25\": -$i}"; done |
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -l
wait_stat "['rejected']['out_of_range']" 301 || fail "bounded rejects: counter"
kept=$(sql "select count(*) from rejects")
[ "$kept" -le 164 ] || fail "rejects table not bounded: $kept rows"
pass "rejects table bounded ($kept rows kept of 313, counters exact)"
stop_collector || fail "collector did not exit 0 on SIGTERM"
pass "clean exit on SIGTERM"
