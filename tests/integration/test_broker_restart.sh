#!/usr/bin/env bash
# The broker restarts mid-stream: the collector reconnects with backoff,
# resumes its session and stores everything the publisher got acknowledged.
. "$(dirname "$0")/lib.sh"
N=8000
start_broker
write_config
start_collector
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n "$N" --devices 20 --rate 2000 \
  --site br >"$T/devsim.out" 2>>"$T/devsim.log" &
PUB=$!
PIDS+=("$PUB")
sleep 1.5
stop_broker
note "broker stopped with $(sql 'select stored_messages from ingest_stats') stored"
sleep 1.5
start_broker
wait "$PUB" || fail "publisher failed"
grep -q "published=$N " "$T/devsim.out" || fail "publisher: $(cat "$T/devsim.out")"
wait_stat "['stored_messages']" "$N" 60 || fail "messages lost across the broker restart"
kill -0 "$COLLECTOR_PID" || fail "collector died"
grep -q "connection to 127.0.0.1:$BROKER_PORT lost\|connection lost\|cannot connect" "$T/collector.log" ||
  fail "the outage was not logged"
grep -q "connected to 127.0.0.1:$BROKER_PORT again" "$T/collector.log" || fail "recovery not logged"
pass "broker restart: collector reconnected, all $N messages stored"
