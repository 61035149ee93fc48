#!/usr/bin/env bash
# SIGHUP reloads device profiles and the registry without dropping the MQTT
# session; a broken registry is reported as file:line and the one in use
# is kept.
. "$(dirname "$0")/lib.sh"
start_broker
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: aqm-01, site: xujiahui, profile: air-station}
CONF
write_config
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
start_collector
pub xh/air/xujiahui/aqm-02 '{"ts": 1700000000, "pm25": 10}'
wait_stat "['rejected'].get('unknown_device', 0)" 1 || fail "unregistered device accepted"
cat >>"$T/registry.yaml" <<'CONF'
  - {id: aqm-02, site: xujiahui, profile: air-station}
CONF
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 1 50); do grep -q "reload: done" "$T/collector.log" && break; sleep 0.1; done
grep -q "reload: done" "$T/collector.log" || fail "reload not done"
pub xh/air/xujiahui/aqm-02 '{"ts": 1700000060, "pm25": 11}'
wait_stat "['stored_messages']" 1 || fail "device added by reload not accepted"
pass "SIGHUP: a device added to the registry is accepted"

echo "devices: [ {id: broken" >>"$T/registry.yaml"
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 1 50); do grep -q "keeping the profiles and registry in use" "$T/collector.log" && break; sleep 0.1; done
grep -q "keeping the profiles and registry in use" "$T/collector.log" || fail "broken reload not reported"
grep -qE "registry.yaml:[0-9]+: " "$T/collector.log" || fail "no file:line for the broken registry"
pub xh/air/xujiahui/aqm-02 '{"ts": 1700000120, "pm25": 12}'
wait_stat "['stored_messages']" 2 || fail "collector stopped working after a bad reload"
[ "$(grep -c 'mqtt: connected' "$T/collector.log")" = 1 ] || fail "the MQTT session was dropped by a reload"
pass "SIGHUP with a broken registry: file:line logged, old registry kept, session kept"
stop_collector || fail "exit status"
