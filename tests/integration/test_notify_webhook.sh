#!/usr/bin/env bash
# Webhook delivery from the outbox: signed with HMAC-SHA256, in order,
# exactly once across a receiver outage (and HTTP 503s), counted per
# channel; entries of a channel whose endpoint stays down expire and are
# counted, without delaying the other channel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/notify_lib.sh"
SINK=$(dirname "$0")/notify_sink.py
HOOK_PORT=$(free_port)
DEAD_PORT=$(free_port)
printf 'it-hook-secret-%s\n' "$$" >"$T/hook.secret"
start_sink() {
  python3 "$SINK" "$HOOK_PORT" "$T/hook.jsonl" --secret "$T/hook.secret" "$@" 2>>"$T/sink.log" &
  SINK_PID=$!
  PIDS+=("$SINK_PID")
  wait_port "$HOOK_PORT" || fail "sink did not start"
}
start_broker
# An invalid channel list: check and run both refuse it with file:line (exit 2).
write_config \
  "alerts:" \
  "  channels:" \
  "    - {name: x, type: pager}" \
  "    - {name: y, type: webhook, url: 'http://h', secret_file: missing.secret}"
rc=0
"$COLLECTOR" check -c "$T/collector.yaml" >"$T/check.out" 2>&1 || rc=$?
[ $rc = 2 ] || fail "check exit $rc"
n=$(wc -l <"$T/collector.yaml")
grep -q "collector.yaml:$((n - 1)): unknown channel type 'pager'" "$T/check.out" &&
  grep -q "collector.yaml:$n: secret_file $T/missing.secret: No such file" "$T/check.out" ||
  fail "check output: $(cat "$T/check.out")"
rc=0
"$COLLECTOR" run -c "$T/collector.yaml" >"$T/run-bad.out" 2>&1 || rc=$?
[ $rc = 2 ] || fail "run with invalid channels: exit $rc"
pass "invalid alerts.channels: check and run exit 2 with file:line errors"
write_config \
  "alerts:" \
  "  channels:" \
  "    - {name: hook, type: webhook, url: 'http://127.0.0.1:$HOOK_PORT/hook'," \
  "       secret_file: hook.secret, backoff_min: 100ms, backoff_max: 500ms, timeout: 2s}" \
  "    - {name: dead, type: webhook, url: 'http://127.0.0.1:$DEAD_PORT/x', expire: 2s," \
  "       backoff_min: 100ms, backoff_max: 300ms, severities: [critical]}"
"$COLLECTOR" check -c "$T/collector.yaml" >"$T/check.out" 2>&1 || fail "check: $(cat "$T/check.out")"
grep -q "2 alert channels" "$T/check.out" || fail "check output: $(cat "$T/check.out")"
start_sink
start_collector

for i in 1 2 3 4 5; do
  enqueue hook firing "$i" "$(event_json "$i" firing pm25_1h critical "site$i" "$((100 + i))")"
done
wait_lines "$T/hook.jsonl" 5 || fail "5 events not delivered"
python3 - "$T/hook.jsonl" <<'PY' || fail "first five events"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [json.loads(r["body"])["id"] for r in recs] == [1, 2, 3, 4, 5], recs
assert all(r["sig_ok"] for r in recs), [r["signature"] for r in recs]
assert all(r["event"] == "firing" and r["path"] == "/hook" for r in recs)
assert all(r["delivery"] and r["timestamp"].isdigit() for r in recs)
body = json.loads(recs[0]["body"])
assert body["message_zh"].startswith("site1 PM2.5"), body
PY
pass "5 events POSTed in order with a valid HMAC-SHA256 signature"

# The receiver goes away; more events queue up and are retried.
kill "$SINK_PID"
wait "$SINK_PID" 2>/dev/null || true
for i in 6 7 8 9 10; do
  enqueue hook firing "$i" "$(event_json "$i" firing pm25_1h warning "site$i" "$((100 + i))")"
done
enqueue hook resolved 1 "$(event_json 1 resolved pm25_1h critical site1 60 2024-11-26T09:00:00+08:00)"
wait_sql "select attempts >= 2 from outbox where channel = 'hook' and alert_id = 6" 1 ||
  fail "no retries while the receiver is down"
[ "$(sql "select count(*) from outbox where channel = 'hook' and attempts > 0 and alert_id > 6
          and event = 'firing'")" = 0 ] || fail "a later entry was tried before the head"
sql "select last_error from outbox where alert_id = 6 and channel = 'hook'" | grep -qi "connect" ||
  fail "last_error: $(sql "select last_error from outbox where alert_id = 6")"
# Back, but answering 503 twice first.
start_sink --fail-first 2
wait_lines "$T/hook.jsonl" 13 || fail "events after the outage not delivered"
wait_sql "select count(*) from outbox where channel = 'hook' and delivered_at is null" 0 ||
  fail "entries left undelivered"
python3 - "$T/hook.jsonl" <<'PY' || fail "delivery after the outage"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in recs if not r["failed"]]
assert len(recs) - len(ok) == 2, len(recs)
ids = [(json.loads(r["body"])["id"], r["event"]) for r in ok]
want = [(i, "firing") for i in range(1, 11)] + [(1, "resolved")]
assert ids == want, ids
assert len({r["delivery"] for r in ok}) == len(ok), "a delivery id repeats"
assert all(r["sig_ok"] for r in recs)
assert json.loads(ok[-1]["body"])["ended_at"] == "2024-11-26T09:00:00+08:00"
PY
pass "after an outage and two 503s every event arrives once, in order"

failed=$(jstat "['delivery']['hook']['failed_attempts']")
[ "$failed" -ge 3 ] || fail "failed_attempts $failed"
[ "$(jstat "['delivery']['hook']['delivered']")" = 11 ] || fail "delivered count"
[ "$(jstat "['delivery']['hook']['pending']")" = 0 ] || fail "pending count"
[ "$(jstat "['delivery']['hook']['expired']")" = 0 ] || fail "expired count"
"$COLLECTOR" stats -c "$T/collector.yaml" | grep -q "^delivery hook .* 11 delivered, 0 pending" ||
  fail "stats text: $("$COLLECTOR" stats -c "$T/collector.yaml" | grep delivery)"
pass "delivery_stats: 11 delivered, $failed failed attempts, nothing pending"

# A channel whose endpoint stays down: entries expire after 2 s and are counted,
# and the hook channel keeps delivering meanwhile.
for i in 21 22 23; do
  enqueue dead firing "$i" "$(event_json "$i" firing pm25_1h critical site9 150)"
done
enqueue hook firing 30 "$(event_json 30 firing pm25_1h critical site3 130)"
wait_lines "$T/hook.jsonl" 14 5 || fail "the hook channel waited for the dead one"
wait_stat "['delivery']['dead']['expired']" 3 15 || fail "dead entries not expired"
[ "$(jstat "['delivery']['dead']['pending']")" = 0 ] || fail "dead pending"
[ "$(jstat "['delivery']['dead']['delivered']")" = 0 ] || fail "dead delivered"
[ "$(sql "select count(*) from outbox where channel = 'dead' and expired_at is not null
          and last_error is not null")" = 3 ] || fail "expired rows"
grep -q "notify: channel 'dead': .* expired undelivered" "$T/collector.log" || fail "expiry not logged"
pass "a dead endpoint's entries expire after 2 s and are counted; other channels unaffected"

# Secrets never reach the log; the daemon stops promptly.
! grep -q "it-hook-secret" "$T/collector.log" || fail "the secret was logged"
stop_collector || fail "collector exit status"
pass "secret not logged; clean stop"
