#!/usr/bin/env bash
# The shipped Prometheus alerting rules (deploy/prometheus/collector-alerts.yml):
# promtool accepts them, their unit tests pass (tests/prometheus/), and
# every collector_* metric they use is one the daemon's /metrics exports.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not found: deploy/setup.sh installs prometheus"
RULES=$SRC_DIR/deploy/prometheus/collector-alerts.yml

promtool check rules "$RULES" >"$T/check.log" 2>&1 || fail "promtool check rules: $(cat "$T/check.log")"
n=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p' "$T/check.log")
pass "promtool check rules: $n rules"

(cd "$SRC_DIR/tests/prometheus" && promtool test rules collector-alerts.test.yml) >"$T/test.log" 2>&1 ||
  fail "promtool test rules: $(cat "$T/test.log")"
for a in $(sed -n 's/^ *- alert: //p' "$RULES"); do
  grep -q "alertname: $a$" "$SRC_DIR/tests/prometheus/collector-alerts.test.yml" ||
    fail "alert $a has no unit test"
done
pass "promtool test rules: every alert fires after its 'for' and not on its near misses"

start_broker
write_config
start_collector
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" >"$T/metrics.txt" || fail "no /metrics"
used=$(grep -oE '\bcollector_[a-z_]+' "$RULES" | sort -u)
[ -n "$used" ] || fail "the rules use no collector metric"
for m in $used; do
  grep -qE "^# TYPE $m (gauge|counter)$" "$T/metrics.txt" || fail "the rules use $m, which /metrics does not export"
done
pass "the rules use only metrics the daemon exports: $(echo $used | wc -w) of them"
stop_collector || fail "exit status"
