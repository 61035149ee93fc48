#!/usr/bin/env bash
# A 20 MB publish must neither grow the collector's memory nor stop the
# next good message. With MQTT 5 the collector's CONNECT carries a Maximum
# Packet Size derived from ingest.max_payload, so the broker drops the
# message for it (and logs that) instead of sending it; with MQTT 3.1.1,
# which has no such property, the broker's own max_packet_size (set in
# deploy/mosquitto.conf) refuses the publisher. Either way the collector's
# peak RSS stays under 32 MB and the message after it is stored.
. "$(dirname "$0")/lib.sh"
head -c 20000000 /dev/zero | tr '\0' 'x' >"$T/big.txt"
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# MQTT 5, a broker without a packet size limit of its own
start_broker
write_config
start_collector
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -f "$T/big.txt" ||
  fail "the broker refused the big publish"
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 10}'
wait_stat "['stored_messages']" 1 60 || fail "MQTT 5: the message after the big one was not stored"
grep -q "Dropping too large outgoing PUBLISH for it-collector" "$T/broker.log" ||
  fail "the broker did not drop the big message for the collector: $(tail -3 "$T/broker.log")"
hwm=$(hwm_kb "$COLLECTOR_PID")
[ "$hwm" -lt 32768 ] || fail "MQTT 5: peak RSS $hwm KiB"
stop_collector || fail "collector exit status"
note "MQTT 5: dropped by the broker for the collector; peak RSS $hwm KiB"

# MQTT 3.1.1, the broker's max_packet_size protects
stop_broker
rm -f "$T"/collector.db* "$T"/broker/mosquitto.db
BROKER_PORT=
BROKER_EXTRA="max_packet_size 1048576"
start_broker
write_config
start_collector --set mqtt.protocol=3.1.1
if mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -f "$T/big.txt" \
  2>"$T/pub.err"; then
  note "publisher was not told (3.1.1 has no reason codes); the broker closed its connection"
fi
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000060, "pm25": 11}'
wait_stat "['stored_messages']" 1 60 || fail "MQTT 3.1.1: the message after the big one was not stored"
hwm=$(hwm_kb "$COLLECTOR_PID")
[ "$hwm" -lt 32768 ] || fail "MQTT 3.1.1: peak RSS $hwm KiB"
[ "$(jstat "['received']")" = 1 ] || fail "the big message reached the collector"
stop_collector || fail "collector exit status"
pass "20 MB publish: dropped before the collector (MQTT 5 and 3.1.1), peak RSS $hwm KiB, next message stored"
