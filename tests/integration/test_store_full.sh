#!/usr/bin/env bash
# Acknowledge only what is committed, proved with a storage failure: the
# database is capped (storage.max_size) so commits start failing with
# SQLITE_FULL mid-stream. The collector must then refuse to acknowledge —
# it drops its broker connection, logs why, and keeps trying — and lose
# nothing: after a restart with room to grow, every published message is
# stored exactly once.
. "$(dirname "$0")/lib.sh"
N=3000
start_broker
write_config
start_collector --set storage.max_size=300KiB
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n "$N" --devices 10 --rate 1500 \
  --site full >"$T/devsim.out" 2>>"$T/devsim.log" || fail "publisher"
grep -q "published=$N " "$T/devsim.out" || fail "publisher: $(cat "$T/devsim.out")"
for _ in $(seq 1 100); do
  grep -q "cannot commit a message" "$T/collector.log" && break
  sleep 0.1
done
grep -q "cannot commit a message" "$T/collector.log" || fail "the full database was not reported"
kill -0 "$COLLECTOR_PID" || fail "collector died instead of holding back"
stored=$(sql 'select stored_messages from ingest_stats')
[ "$stored" -lt "$N" ] || fail "the cap did not bite ($stored stored)"
note "database full after $stored of $N messages; the rest wait at the broker"
stop_collector || true
start_collector
wait_stat "['stored_messages']" "$N" 60 || fail "messages lost while the database was full"
[ "$(sql 'select count(*) from readings')" = $((N * 6)) ] || fail "readings rows"
pass "database full: no acknowledgement, nothing lost; all $N stored after restart"
