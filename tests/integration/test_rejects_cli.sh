#!/usr/bin/env bash
# Issue 12: a reject keeps its whole payload, byte for byte (up to
# ingest.max_payload), `collector rejects` lists them (text and --json,
# UTF-8 payloads as text, others as base64, with --reason and --since), and
# the rejects table stays within storage.retention.rejects_max_bytes,
# oldest messages first.
. "$(dirname "$0")/lib.sh"
start_broker
write_config
sed -i 's|^ingest: {max_future: 0, max_age: 0}$|ingest: {max_future: 0, max_age: 0, max_payload: 256KiB}|' "$T/collector.yaml"
grep -q 'max_payload: 256KiB' "$T/collector.yaml" || fail "config not edited"
start_collector

topic=xh/air/xujiahui/aqm-01
now=$(date +%s)
# a 100 000-byte malformed JSON payload (never closed), marked at both ends
python3 - "$T/big" "$now" <<'PY'
import sys
head = '{"ts": %s, "pm25": 1, "note": "BEGIN' % sys.argv[2]
body = head + "x" * (100000 - len(head) - 3) + "END"
assert len(body) == 100000
open(sys.argv[1], "w").write(body)
PY
printf '{"ts": %d, "pm25": 1, "name": "\xff\xfe\x00\x01"}' "$now" >"$T/binary"
python3 -c 'import sys; sys.stdout.write("{\"pm25\": 1, \"pad\": \"" + "y" * 262400 + "\"}")' >"$T/huge"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -f "$T/big"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -f "$T/binary"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -f "$T/huge"
wait_stat "['rejected_total']" 3 || fail "the three bad messages were not rejected"

sql "select writefile('$T/big.kept', payload) from rejects where reason = 'malformed'" >/dev/null
cmp "$T/big" "$T/big.kept" || fail "the 100 000-byte payload was not kept byte for byte"
sql "select writefile('$T/binary.kept', payload) from rejects where reason = 'invalid_utf8'" >/dev/null
cmp "$T/binary" "$T/binary.kept" || fail "the binary payload was not kept byte for byte"
# over max_payload: cut there, its real size recorded
[ "$(sql "select length(payload) || ' ' || size from rejects where reason = 'payload_too_large'")" = "262144 $(stat -c %s "$T/huge")" ] ||
  fail "payload_too_large not kept up to max_payload: $(sql "select length(payload), size from rejects where reason = 'payload_too_large'")"
pass "rejects keep the whole payload (100 000 bytes, binary) and cut only at max_payload"

# the listing, text
out=$("$COLLECTOR" rejects -c "$T/collector.yaml")
grep -qE "malformed +100000  $topic: " <<<"$out" || fail "text listing lacks the malformed row: $out"
grep -qE "invalid_utf8 " <<<"$out" || fail "text listing lacks the invalid_utf8 row: $out"
grep -qE "payload_too_large +$(stat -c %s "$T/huge")  " <<<"$out" || fail "text listing lacks the real size: $out"
[ "$(grep -c . <<<"$out")" = 4 ] || fail "text listing: expected a header and 3 rows: $out"
# JSON: one object per row; text payloads as text, others as base64
"$COLLECTOR" rejects -c "$T/collector.yaml" --json >"$T/list.json"
python3 - "$T/list.json" "$T/big" "$T/binary" "$topic" <<'PY' || fail "JSON listing wrong"
import base64, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
by = {r["reason"]: r for r in rows}
big = open(sys.argv[2], "rb").read()
binary = open(sys.argv[3], "rb").read()
m = by["malformed"]
assert m["payload"].encode() == big and m["size"] == 100000 and m["topic"] == sys.argv[4], m.keys()
assert m["retryable"] is True and m["received_ms"] > 0 and m["received"]
b = by["invalid_utf8"]
assert "payload" not in b and base64.b64decode(b["payload_base64"]) == binary, b
t = by["payload_too_large"]
assert t["kept"] == 262144 and t["size"] > 262144 and t["retryable"] is False, t
PY
[ "$("$COLLECTOR" rejects -c "$T/collector.yaml" --json --reason invalid_utf8 | grep -c .)" = 1 ] ||
  fail "--reason does not filter"
[ "$("$COLLECTOR" rejects -c "$T/collector.yaml" --since "$(date -d '+1 hour' +%Y-%m-%dT%H:%M:%S%:z)")" = \
  "no rejected messages kept that match" ] || fail "--since does not filter"
[ "$("$COLLECTOR" rejects -c "$T/collector.yaml" --json --since "$((now - 60))" | grep -c .)" = 3 ] ||
  fail "--since with epoch seconds"
pass "collector rejects lists them (text, --json with text or base64 payloads, --reason, --since)"

# a retry beside the running daemon: nothing of these can be stored; they stay as they were
before=$(sql "select group_concat(id || reason || received, ',') from rejects order by id")
out=$("$COLLECTOR" rejects retry -c "$T/collector.yaml") || fail "retry beside the daemon failed: $out"
case "$out" in
  "0 stored, 3 stay rejected (1 cannot be retried"*) ;;
  *) fail "retry said: $out" ;;
esac
[ "$(sql "select group_concat(id || reason || received, ',') from rejects order by id")" = "$before" ] ||
  fail "retry changed rejects it could not store"
[ "$(jstat "['rejected_total']")" = 3 ] || fail "a retry counted as a new reject"
pass "rejects retry beside the running daemon: the unstorable stay, unchanged"

# the bytes bound: 300 KiB holds three 100 000-byte messages, not four
stop_collector
sed -i "s|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {rejects_max_bytes: 300KiB}}|" "$T/collector.yaml"
grep -q 'rejects_max_bytes: 300KiB' "$T/collector.yaml" || fail "config not edited"
start_collector
for i in 1 2 3 4 5; do
  sed "s/BEGIN/BEGIN-$i-/" "$T/big" | head -c 100000 >"$T/big.$i"
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -f "$T/big.$i"
done
wait_stat "['rejected'].get('malformed', 0)" 6 || fail "five more malformed messages not rejected"
[ "$(sql "select count(*) from rejects")" = 3 ] || fail "bytes bound: $(sql "select count(*), sum(length(payload)) from rejects") kept"
[ "$(sql "select group_concat(substr(CAST(payload AS TEXT), instr(CAST(payload AS TEXT), 'BEGIN-') + 6, 1), '') from (select payload from rejects order by id)")" = 345 ] ||
  fail "bytes bound did not keep the newest three"
[ "$(sql "select sum(length(payload)) <= 300 * 1024 from rejects")" = 1 ] || fail "over the bytes bound"
[ "$(jstat "['rejected_total']")" = 8 ] || fail "counters must count every reject"
pass "rejects bounded by bytes (3 of 8 payloads of ~100 kB kept in 300 KiB, the newest)"
stop_collector || fail "collector did not exit 0 on SIGTERM"

# neither the listing nor a retry creates a database that is not there
set +e
"$COLLECTOR" rejects -c "$T/collector.yaml" --set storage.path="$T/none.db" >/dev/null 2>&1; rc1=$?
"$COLLECTOR" rejects retry -c "$T/collector.yaml" --set storage.path="$T/none.db" >/dev/null 2>&1; rc2=$?
set -e
[ $rc1 = 1 ] && [ $rc2 = 1 ] && [ ! -e "$T/none.db" ] || fail "missing database: exit $rc1/$rc2, or created"
pass "a missing database is an error (exit 1) for the listing and the retry, and is not created"
