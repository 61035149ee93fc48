#!/usr/bin/env bash
# Disk full, for real: the database lives on a small tmpfs that fills up
# mid-stream. Ingest must stop acknowledging (it drops its broker session
# rather than acknowledge what it could not commit), lose nothing it
# acknowledged, and resume by itself — no restart — once space returns
# (the file system is enlarged), storing every message exactly once.
# Needs root and mount(8) (the README's test command runs as root).
#   TORTURE_MESSAGES=N (default 6000)
. "$(dirname "$0")/../integration/lib.sh"
N=${TORTURE_MESSAGES:-6000}
FS=$T/fs
mkdir -p "$FS"
if ! mount -t tmpfs -o size=2m tmpfs "$FS" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (needs root with mount rights)"
  exit 77 # ctest reports it as skipped (SKIP_RETURN_CODE), not passed
fi
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; umount -l "$FS" 2>/dev/null; rm -rf "$T"' EXIT
start_broker
write_config
sed -i "s|^storage: {path: .*}$|storage: {path: $FS/collector.db}|" "$T/collector.yaml"
sql() { sqlite3 -cmd ".timeout 5000" "$FS/collector.db" "$@"; }
start_collector
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n "$N" --devices 10 --rate 2000 \
  --site df >"$T/devsim.out" 2>>"$T/devsim.log" || fail "publisher"
grep -q "published=$N " "$T/devsim.out" || fail "publisher: $(cat "$T/devsim.out")"
for _ in $(seq 1 200); do
  grep -qiE "cannot commit|disk is full|database or disk is full" "$T/collector.log" && break
  sleep 0.1
done
grep -qiE "cannot commit|disk is full|database or disk is full" "$T/collector.log" ||
  fail "the full disk was not reported"
kill -0 "$COLLECTOR_PID" || fail "collector died instead of holding back"
stored=$(sql 'select stored_messages from ingest_stats')
[ "$stored" -lt "$N" ] || fail "the disk did not fill ($stored stored)"
note "disk full after $stored of $N messages; the rest wait at the broker"
sleep 1
[ "$(sql 'select stored_messages from ingest_stats')" = "$stored" ] || fail "stored while full?"

mount -o remount,size=64m "$FS" || fail "cannot enlarge the tmpfs"
wait_stat "['stored_messages']" "$N" 120 ||
  fail "ingest did not resume by itself ($(jstat "['stored_messages']") of $N)"
kill -0 "$COLLECTOR_PID" || fail "collector died"
[ "$(sql 'select count(*) from readings')" = $((N * 6)) ] || fail "readings rows != 6 x $N"
[ "$(sql "select count(distinct ts || '/' || device_id) from readings")" = "$N" ] ||
  fail "distinct messages != $N"
[ "$(sql 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
pass "disk full: no acknowledgement, nothing lost; resumed by itself, all $N stored once"
