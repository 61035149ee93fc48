#!/usr/bin/env bash
# No silent ways around the delivery guarantee: mqtt.qos 2 and a
# persistent MQTT 5 session with session_expiry 0 are refused by check and
# run (exit 2, file:line, the reason); a reconnect that finds no session
# at the broker (here: a broker restarted without persistence) is logged
# as an error and counted as sessions_lost.
. "$(dirname "$0")/lib.sh"
start_broker
write_config
printf 'mqtt:\n  qos: 2\n' >"$T/qos2.yaml"
printf 'mqtt:\n  clean_session: false\n  session_expiry: 0s\n' >"$T/expiry0.yaml"
for f in qos2 expiry0; do
  set +e
  out=$("$COLLECTOR" check -c "$T/$f.yaml" 2>&1); rc=$?
  run_out=$("$COLLECTOR" run -c "$T/$f.yaml" 2>&1); rc2=$?
  set -e
  [ $rc = 2 ] || fail "$f: check exit $rc: $out"
  [ $rc2 = 2 ] || fail "$f: run exit $rc2: $run_out"
  case $f in
    qos2) want="$T/qos2.yaml:2: mqtt.qos: QoS 2 is refused: libmosquitto answers a QoS 2 message with PUBREC" ;;
    expiry0) want="$T/expiry0.yaml:3: mqtt.session_expiry must be more than 0" ;;
  esac
  grep -qF "$want" <<<"$out" || fail "$f: check said: $out"
  grep -qF "$want" <<<"$run_out" || fail "$f: run said: $run_out"
done
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" --set mqtt.qos=2 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -qF -- "--set:1: mqtt.qos: QoS 2 is refused" <<<"$out" || fail "--set qos=2: $out"
pass "qos 2 and session_expiry 0 refused by check and run with file:line and the reason"

# A broker that forgets sessions: stop it, start it again without persistence.
start_collector
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000000, "pm25": 10}'
wait_stat "['stored_messages']" 1 || fail "first message"
stop_broker
rm -f "$T"/broker/mosquitto.db
sed -i 's/^persistence true/persistence false/' "$T/broker/mosquitto.conf"
mosquitto -c "$T/broker/mosquitto.conf" >>"$T/broker.log" 2>&1 &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
wait_port "$BROKER_PORT" || fail "broker did not restart"
for _ in $(seq 1 200); do
  grep -q "had no session" "$T/collector.log" && break
  sleep 0.1
done
grep -qE "error +mqtt: the broker had no session for it-collector" "$T/collector.log" ||
  fail "the lost session was not logged as an error: $(grep mqtt: "$T/collector.log" | tail -3)"
wait_stat "['sessions_lost']" 1 30 || fail "the lost session was not counted"
pub xh/air/xujiahui/aqm-01 '{"ts": 1700000060, "pm25": 11}'
wait_stat "['stored_messages']" 2 30 || fail "not resubscribed after the lost session"
stop_collector || fail "collector exit status"
# A restart on a database that has received messages expects a session too.
sed -i 's/^persistence false/persistence true/' "$T/broker/mosquitto.conf"
start_collector --set mqtt.client_id=it-other-id
wait_stat "['sessions_lost']" 2 30 || fail "a new client id on an old database was not counted"
stop_collector || true
pass "a reconnect without session: logged as an error and counted (sessions_lost)"
