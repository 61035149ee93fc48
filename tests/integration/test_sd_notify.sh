#!/usr/bin/env bash
# systemd's notify protocol, with the test as the service manager: a
# datagram socket given to the daemon as NOTIFY_SOCKET, WATCHDOG_USEC set.
# The daemon says READY=1 once it runs, STATUS= lines with the broker and
# the counters, and pings WATCHDOG=1 while its threads (ingest, scheduler,
# an alert channel's delivery thread, the HJ 212 listener) make progress.
# A held database lock stalls the writers: the pings stop and the stall is
# named; released, the pings resume and the message is stored. SIGHUP says
# RELOADING=1 then READY=1; SIGTERM says STOPPING=1.
. "$(dirname "$0")/lib.sh"
start_broker
HJ_PORT=$(free_port)
write_config "alerts: {channels: [{name: ops-hook, type: webhook, url: \"http://127.0.0.1:$(free_port)/hook\"}]}"
sed -i "s|^ingest: {max_future: 0, max_age: 0}|ingest: {max_future: 0, max_age: 0, hj212_listen: \"127.0.0.1:$HJ_PORT\"}|" \
  "$T/collector.yaml"

cat >"$T/listen.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        for line in s.recv(65536).decode("utf-8", "replace").split("\n"):
            out.write("%.3f %s\n" % (time.monotonic(), line))
PY
NOTES=$T/notify.txt
python3 "$T/listen.py" "$T/notify.sock" "$NOTES" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
[ -S "$T/notify.sock" ] || fail "listener did not start"

pings() { grep -c " WATCHDOG=1$" "$NOTES" || true; }
wait_note() { # regex [seconds]
  for _ in $(seq 1 $((${2:-30} * 10))); do grep -qE "$1" "$NOTES" && return 0; sleep 0.1; done
  echo "no notification matching '$1'; got:" >&2
  tail -n 20 "$NOTES" >&2
  return 1
}
wait_pings() { # count above which to wait [seconds]
  for _ in $(seq 1 $((${2:-30} * 10))); do [ "$(pings)" -gt "$1" ] && return 0; sleep 0.1; done
  return 1
}
# wait until no ping arrived for QUIET seconds (the pings stopped), within SECONDS
wait_silence() { # quiet seconds
  local last n since=0
  last=$(pings)
  for _ in $(seq 1 $(($2 * 10))); do
    sleep 0.1
    n=$(pings)
    if [ "$n" = "$last" ]; then
      since=$((since + 1))
      [ $since -ge $(($1 * 10)) ] && return 0
    else
      last=$n
      since=0
    fi
  done
  return 1
}

# A long busy_timeout turns a held lock into a stall instead of an error.
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=2000000 start_collector --set storage.busy_timeout=10m
wait_note " READY=1$" || fail "no READY=1"
wait_note " STATUS=started; connecting to broker 127.0.0.1:$BROKER_PORT$" ||
  fail "READY=1 without a STATUS= saying what the daemon does"
wait_pings 2 || fail "no WATCHDOG=1 pings"
for t in ingest scheduler notify:ops-hook hj212; do
  grep -E "watchdog: pinging systemd every 500 ms while these threads make progress: .*\b$t\b" \
    "$T/collector.log" >/dev/null || fail "the watchdog does not watch thread '$t'"
done
pass "READY=1 with STATUS=, WATCHDOG=1 every 500 ms (WATCHDOG_USEC=2 s) watching ingest, scheduler, the channel and HJ 212"

now=$(date +%s)
for i in 1 2 3; do pub xh/air/xujiahui/aqm-01 "{\"ts\": $((now - 60 + i)), \"pm25\": 1$i}"; done
wait_note "STATUS=broker 127.0.0.1:$BROKER_PORT connected; 3 messages received, 3 stored, 0 rejected" 40 ||
  fail "STATUS= does not show the broker and the counters"
pass "STATUS= shows the broker session and the counters"

# stall: another process holds the write lock; the next message waits for it
cat >"$T/lock.py" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked\n")
time.sleep(600)
PY
python3 "$T/lock.py" "$T/collector.db" "$T/locked" &
LOCKER=$!
PIDS+=("$LOCKER")
for _ in $(seq 1 300); do [ -f "$T/locked" ] && break; sleep 0.1; done
[ -f "$T/locked" ] || fail "could not take the database lock"
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": 20}"
wait_silence 3 30 || fail "WATCHDOG=1 pings went on while a thread was stuck on the lock"
wait_note "STATUS=stalled: thread '(ingest|scheduler)' makes no progress" 10 ||
  fail "the stall is not named in STATUS="
grep -qE "watchdog: thread '(ingest|scheduler)' has made no progress" "$T/collector.log" ||
  fail "the stall is not logged"
pass "a thread stuck on a lock stops the pings and is named ($(grep -oE "stalled: thread '[a-z]+'" "$NOTES" | head -1))"

before=$(pings)
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null || true
wait_pings "$before" 30 || fail "pings did not resume after the lock was released"
wait_stat "['received']" 4 || fail "the message held up by the lock was not stored"
grep -q "watchdog: every thread makes progress again" "$T/collector.log" || fail "recovery not logged"
pass "released: the pings resume and the message is stored"

kill -HUP "$COLLECTOR_PID"
wait_note " RELOADING=1$" || fail "no RELOADING=1 on SIGHUP"
wait_note " STATUS=reloaded$" || fail "no READY=1 after the reload"
grep -A3 " RELOADING=1$" "$NOTES" | grep -q " READY=1$" || fail "READY=1 does not follow RELOADING=1"
stop_collector || fail "exit status after SIGTERM"
wait_note " STOPPING=1$" 5 || fail "no STOPPING=1 on SIGTERM"
pass "SIGHUP: RELOADING=1 then READY=1; SIGTERM: STOPPING=1, exit 0"
