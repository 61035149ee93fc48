#!/usr/bin/env bash
# SIGHUP reloads device profiles, the registry and the rules without
# dropping the MQTT session; a broken registry or rule file is reported as
# file:line and what is in use is kept, all of it: a reload is one
# snapshot, taken whole or not at all.
. "$(dirname "$0")/lib.sh"
start_broker
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: aqm-01, site: xujiahui, profile: air-station}
CONF
cat >"$T/rules.yaml" <<'CONF'
rules:
  - name: pm25_high
    source: "test: a high hourly reading"
    series: reading
    select: {domain: air, metric: pm25}
    when: {op: ">", value: 500}
    severity: warning
    message: {zh: "{site} PM2.5 {value}", en: "{site} PM2.5 {value}"}
CONF
write_config "rules: {paths: [$T/rules.yaml]}"
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
start_collector
metric() { # NAME: its value on /metrics
  curl -sS "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
[ "$(metric collector_config_last_reload_successful)" = 1 ] || fail "the start is not a good load"
t_start=$(metric collector_config_last_reload_success_timestamp_seconds)
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
[ "$(metric collector_config_last_reload_successful)" = 1 ] || fail "good reload not shown"
t_good=$(metric collector_config_last_reload_success_timestamp_seconds)
python3 -c "import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))" "$t_start" "$t_good" ||
  fail "reload time not moved: $t_start -> $t_good"

echo "devices: [ {id: broken" >>"$T/registry.yaml"
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 1 50); do grep -q "keeping the profiles, registry and rules in use" "$T/collector.log" && break; sleep 0.1; done
grep -q "keeping the profiles, registry and rules in use" "$T/collector.log" || fail "broken reload not reported"
grep -qE "registry.yaml:[0-9]+: " "$T/collector.log" || fail "no file:line for the broken registry"
pub xh/air/xujiahui/aqm-02 '{"ts": 1700000120, "pm25": 12}'
wait_stat "['stored_messages']" 2 || fail "collector stopped working after a bad reload"
[ "$(grep -c 'mqtt: connected' "$T/collector.log")" = 1 ] || fail "the MQTT session was dropped by a reload"
pass "SIGHUP with a broken registry: file:line logged, old registry kept, session kept"
[ "$(metric collector_config_last_reload_successful)" = 0 ] || fail "refused reload not shown"
[ "$(metric collector_config_last_reload_success_timestamp_seconds)" = "$t_good" ] ||
  fail "a refused reload moved the success time"
pass "/metrics: the last reload's outcome and the time of the last good one"

# The registry is whole again and adds aqm-03, but the rules are broken:
# nothing of this reload may be taken up, the new device included.
sed -i '$d' "$T/registry.yaml"
echo "  - {id: aqm-03, site: xujiahui, profile: air-station}" >>"$T/registry.yaml"
echo "  - {name: broken, series: nonsense" >>"$T/rules.yaml"
n_kept=$(grep -c "keeping the profiles, registry and rules in use" "$T/collector.log")
kill -HUP "$COLLECTOR_PID"
for _ in $(seq 1 50); do
  [ "$(grep -c "keeping the profiles, registry and rules in use" "$T/collector.log")" -gt "$n_kept" ] && break
  sleep 0.1
done
[ "$(grep -c "keeping the profiles, registry and rules in use" "$T/collector.log")" -gt "$n_kept" ] ||
  fail "broken rules not reported"
grep -qE "rules.yaml:[0-9]+: " "$T/collector.log" || fail "no file:line for the broken rules"
pub xh/air/xujiahui/aqm-03 '{"ts": 1700000180, "pm25": 13}'
wait_stat "['rejected'].get('unknown_device', 0)" 2 || fail "a device of a refused reload was taken up"
pass "SIGHUP with broken rules: the registry of the same reload is not taken up either"
stop_collector || fail "exit status"
