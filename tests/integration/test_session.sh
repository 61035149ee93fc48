#!/usr/bin/env bash
# Persistent session: messages published while the collector is stopped
# are delivered when it comes back (fixed client id, clean session off,
# MQTT 5 session expiry), for both protocol versions.
. "$(dirname "$0")/lib.sh"
start_broker
for proto in 5 3.1.1; do
  rm -f "$T"/collector.db*
  write_config
  sed -i "s/client_id: it-collector-\$\$/client_id: it-session-$proto/; s/client_id: it-collector-[0-9]*/client_id: it-session-${proto//./}/" "$T/collector.yaml"
  echo "" >>"$T/collector.yaml"
  "$COLLECTOR" check -c "$T/collector.yaml" --set mqtt.protocol=$proto >/dev/null || fail "config"
  start_collector --set mqtt.protocol=$proto
  pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 10}'
  wait_stat "['stored_messages']" 1 || fail "first message"
  stop_collector || fail "collector exit status"
  for i in $(seq 1 200); do echo "{\"ts\": $((1700000000 + i * 60)), \"pm25\": $i}"; done |
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-01 -l
  start_collector --set mqtt.protocol=$proto
  wait_stat "['stored_messages']" 201 30 || fail "MQTT $proto: messages sent while stopped were lost"
  grep -q "session resumed" "$T/collector.log" || fail "session was not resumed"
  stop_collector
  pass "MQTT $proto: 200 messages published while stopped arrived after restart"
done
