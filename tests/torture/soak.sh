#!/usr/bin/env bash
# Soak (on demand: tests/torture/run.sh --soak): SOAK_MINUTES (30) at a
# steady SOAK_RATE (2000) msg/s of QoS 1 air readings whose timestamps run
# 100 times faster than real time, starting 3 days ago, with raw retention
# of one day — so days complete, roll up and are pruned all along. Every
# 10 s it samples the daemon's RSS, open files, threads and the database's
# size (with its WAL). Passes when, over the second half of the run, RSS
# grows by less than 20 %, files and threads do not grow, the database
# stays under 2x its size at the half, and every message was stored.
. "$(dirname "$0")/../integration/lib.sh"
MIN=${SOAK_MINUTES:-30}
RATE=${SOAK_RATE:-2000}
DEV=$((RATE / 100)) # each device's ts advances 1 s per message: 100x real time
N=$((MIN * 60 * RATE))
RAW_RETENTION=config
start_broker
write_config
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 1d}}|' "$T/collector.yaml"
start_collector
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n "$N" --devices "$DEV" --rate "$RATE" \
  --start-ts $(($(date +%s) - 3 * 86400)) --site soak >"$T/devsim.out" 2>>"$T/devsim.log" &
PUB=$!
PIDS+=("$PUB")
printf '%6s %9s %6s %8s %12s %10s\n' t_s rss_kb files threads db_bytes stored >"$T/samples.txt"
t0=$SECONDS
while kill -0 "$PUB" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$COLLECTOR_PID/status")
  thr=$(awk '/Threads/ {print $2}' "/proc/$COLLECTOR_PID/status")
  fds=$(ls "/proc/$COLLECTOR_PID/fd" | wc -l)
  db=$(( $(stat -c %s "$T/collector.db") + $(stat -c %s "$T/collector.db-wal" 2>/dev/null || echo 0) ))
  st=$(sql 'select stored_messages from ingest_stats')
  printf '%6d %9d %6d %8d %12d %10d\n' $((SECONDS - t0)) "$rss" "$fds" "$thr" "$db" "$st" >>"$T/samples.txt"
  sleep 10
done
wait "$PUB" || fail "publisher failed"
wait_stat "['stored_messages']" "$N" 300 || fail "not all $N messages stored"
cat "$T/samples.txt"
python3 - "$T/samples.txt" <<'PY' || fail "resources grew"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]).read().splitlines()[1:]]
half = rows[len(rows) // 2:]
if len(half) < 2:
    sys.exit(0)
r0, r1 = half[0], max(half, key=lambda r: r[1])
ok = True
if r1[1] > r0[1] * 1.2: print(f"RSS {r0[1]} -> {r1[1]} kB"); ok = False
if max(r[2] for r in half) > r0[2]: print("open files grew"); ok = False
if max(r[3] for r in half) > r0[3]: print("threads grew"); ok = False
if max(r[4] for r in half) > 2 * max(r0[4], 1): print("database grew past 2x"); ok = False
sys.exit(0 if ok else 1)
PY
pass "soak: $N messages in $MIN min at $RATE msg/s with retention, resources bounded"
