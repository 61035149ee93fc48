#!/usr/bin/env bash
# A broker that grants our subscription at QoS 0 (a listener with
# max_qos 0) takes the acknowledgement, and with it the guarantee, away.
# The collector says so at error level, counts it in the stats table
# (qos_downgrades, shown by `collector stats`), reports a degraded health
# on /healthz and /metrics, and keeps storing what arrives. Publishers use a second listener without the limit.
. "$(dirname "$0")/lib.sh"
PUB_PORT=$(free_port)
BROKER_EXTRA="max_qos 0
listener $PUB_PORT 127.0.0.1"
start_broker
write_config
start_collector
grep -qE "error +mqtt: subscribed to xh/# at QoS 0 only, asked for 1" "$T/collector.log" ||
  fail "the downgrade was not logged as an error: $(grep mqtt: "$T/collector.log" | tail -3)"
mosquitto_pub -h 127.0.0.1 -p "$PUB_PORT" -q 1 -t xh/air/xujiahui/aqm-01 \
  -m '{"ts": 1700000000, "pm25": 10}'
wait_stat "['stored_messages']" 1 30 || fail "messages at QoS 0 are not stored"
wait_stat "['qos_downgrades']" 1 30 || fail "the downgrade was not counted"
"$COLLECTOR" stats -c "$T/collector.yaml" | grep -q "qos downgrades      1" ||
  fail "stats text: $("$COLLECTOR" stats -c "$T/collector.yaml" | grep -i qos)"
health=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz") || fail "/healthz"
grep -q '"status":"degraded"' <<<"$health" && grep -q '"reason":"qos_downgrade"' <<<"$health" ||
  fail "/healthz is not degraded: $health"
metrics=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics") || fail "/metrics"
grep -q '^collector_subscription_degraded 1$' <<<"$metrics" || fail "no degraded gauge"
grep -q '^collector_qos_downgrades_total 1$' <<<"$metrics" || fail "no downgrade counter"
stop_collector || fail "collector exit status"
pass "QoS 0 grant: logged as an error, counted (qos_downgrades 1), /healthz degraded, messages still stored"
