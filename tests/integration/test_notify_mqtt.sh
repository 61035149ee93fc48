#!/usr/bin/env bash
# MQTT delivery: each event is published at QoS 1 on the channel's topic by
# a client of its own (<client_id>-alerts); a retained per-alert state
# message appears on <topic>/state/<rule>/<scope> and is cleared by the
# resolution. Across a broker restart nothing is lost or reordered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/notify_lib.sh"
TOPIC=alerts/it-gw/events
start_broker
write_config \
  "alerts:" \
  "  channels:" \
  "    - {name: bus, type: mqtt, topic: $TOPIC, backoff_min: 200ms, backoff_max: 1s, timeout: 2s}"
start_collector
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$TOPIC" >"$T/events.txt" 2>>"$T/sub.log" &
PIDS+=("$!")
sleep 0.5
retained() { # the retained state messages now on the broker, one "topic payload" a line
  mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t "$TOPIC/state/#" -v --retained-only -W 1 \
    2>/dev/null || true
}

insert_alert 5 pm25_1h "site=xujiahui" firing critical xujiahui 180
enqueue bus firing 5 "$(event_json 5 firing pm25_1h critical xujiahui 180)"
wait_lines "$T/events.txt" 1 || fail "event not published"
python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline())
assert e["id"]==5 and e["state"]=="firing" and e["site"]=="xujiahui", e' "$T/events.txt" ||
  fail "event: $(cat "$T/events.txt")"
retained >"$T/state1.txt"
grep -q "^$TOPIC/state/pm25_1h/site=xujiahui {" "$T/state1.txt" || fail "state: $(cat "$T/state1.txt")"
grep -q '"state":"firing"' "$T/state1.txt" || fail "state JSON: $(cat "$T/state1.txt")"
grep -q "as it-collector-$$-alerts" "$T/broker.log" || fail "client id not <client_id>-alerts"
pass "event on $TOPIC (QoS 1) and retained state on $TOPIC/state/pm25_1h/site=xujiahui"

enqueue bus reminder 5 "$(event_json 5 reminder pm25_1h critical xujiahui 190)"
wait_lines "$T/events.txt" 2 || fail "reminder not published"
retained >"$T/state2.txt"
grep -q '"value":190' "$T/state2.txt" && grep -q '"state":"firing"' "$T/state2.txt" ||
  fail "state after reminder: $(cat "$T/state2.txt")"
pass "a reminder updates the retained state (state stays firing)"

# The broker restarts; events queued meanwhile arrive in order once it is back.
stop_broker
enqueue bus firing 6 "$(event_json 6 firing pm25_1h major tianping 120)"
enqueue bus resolved 5 "$(event_json 5 resolved pm25_1h critical xujiahui 60 2024-11-26T10:00:00+08:00)"
wait_sql "select attempts >= 1 from outbox where channel = 'bus' and alert_id = 6" 1 ||
  fail "no attempt while the broker was down"
start_broker
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$TOPIC" >>"$T/events.txt" 2>>"$T/sub.log" &
PIDS+=("$!")
wait_sql "select count(*) from outbox where channel = 'bus' and delivered_at is null" 0 ||
  fail "entries left after the broker came back"
retained >"$T/state3.txt"
grep -q "site=xujiahui" "$T/state3.txt" && fail "state not cleared: $(cat "$T/state3.txt")"
grep -q "^$TOPIC/state/pm25_1h/6 " "$T/state3.txt" ||
  fail "state of alert 6 (no alerts row: id as scope): $(cat "$T/state3.txt")"
[ "$(sql "select group_concat(id) from (select id from outbox where channel = 'bus'
          order by delivered_at, id)")" = "$(sql "select group_concat(id) from outbox
          where channel = 'bus'")" ] || fail "delivered out of order"
[ "$(jstat "['delivery']['bus']['delivered']")" = 4 ] || fail "delivered count"
[ "$(jstat "['delivery']['bus']['pending']")" = 0 ] || fail "pending count"
pass "after a broker restart: delivered in order, the resolution cleared the retained state"
stop_collector || fail "collector exit status"
