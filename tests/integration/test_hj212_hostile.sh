#!/usr/bin/env bash
# The HJ 212 listener among hostile clients, into the real daemon: while a
# good datalogger keeps sending and must get every 9014 answer, a client
# that asks for answers and never reads is closed after the write timeout;
# one that sends a byte at a time is closed at the first-packet deadline;
# 100 silent sockets from ten addresses never exceed the per-address
# limit and are closed at the first-packet deadline; 20 dataloggers that
# fall idle fill the listener, and then the oldest idle connection is
# closed for a newcomer, never the active datalogger;
# a source outside ingest.hj212_allow is closed at accept, unanswered and
# logged once; a wrong or missing password (devices with a password from a
# secret file beside the registry, inline, or in ingest.hj212_password_dir)
# is rejected as auth and never answered, and a connection that only sends
# wrong passwords is closed at the first-packet deadline; SIGTERM with
# hostile clients connected exits promptly. Then hj212_require_password
# refuses a device without a password, and a password file that others can
# read stops check and run.
# Clients are python (hj212_client.py), every wait has a deadline.
. "$(dirname "$0")/lib.sh"
start_broker
HJ_PORT=$(free_port)
GOOD=GOOD00000000000000000001
cat >"$T/registry.yaml" <<CONF
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: $GOOD, site: xujiahui, profile: air-station}
  - {id: NOREAD000000000000000001, site: xujiahui, profile: air-station}
  - {id: SLOW00000000000000000001, site: xujiahui, profile: air-station}
  - {id: IDLE00000000000000000001, site: xujiahui, profile: air-station}
  - {id: PWFILE000000000000000001, site: xujiahui, profile: air-station, hj212_password_file: pw/PWFILE}
  - {id: PWINLINE0000000000000001, site: xujiahui, profile: air-station, hj212_password: "Inl1ne-pw"}
  - {id: PWDIR0000000000000000001, site: xujiahui, profile: air-station}
CONF
mkdir -p "$T/pw" "$T/hjpw"
echo "file-pw-7f3a" >"$T/pw/PWFILE"
echo "a-much-longer-password-from-a-dir" >"$T/hjpw/PWDIR0000000000000000001"
write_config
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
sed -i "s|^ingest: .*|ingest:\n  max_future: 0\n  max_age: 0\n  hj212_listen: 127.0.0.1:$HJ_PORT\n  hj212_allow: [127.0.0.1/32, 127.0.0.16/28]\n  hj212_max_connections: 16\n  hj212_max_per_address: 8\n  hj212_first_packet_timeout: 3s\n  hj212_write_timeout: 2s\n  hj212_password_dir: $T/hjpw|" \
  "$T/collector.yaml"
"$COLLECTOR" check -c "$T/collector.yaml" >/dev/null || fail "config invalid"
start_collector
wait_port "$HJ_PORT" || fail "listener not up"

notes() { # notes NAME...: the listener's counters from collector stats
  "$COLLECTOR" stats -c "$T/collector.yaml" --json |
    python3 -c "import json,sys; n=json.load(sys.stdin).get('notes', {}); print(' '.join(str(n.get(k, 0)) for k in sys.argv[1:]))" "$@"
}

PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" "$GOOD" >"$T/client.out" 2>&1 <<'PY' || fail "clients: $(cat "$T/client.out")"
import sys, time
from hj212_client import Datalogger, NeverReads, connect, data_packet, is_open, wait_closed
import datetime

port, good_mn = int(sys.argv[1]), sys.argv[2]
good = Datalogger(port, good_mn)
good.send_one()
good.start(every=0.1)

# 1. a client that asks for answers and never reads: closed after the write timeout
nr = NeverReads(port, "NOREAD000000000000000001")
t0 = time.monotonic()
while nr.pump() and time.monotonic() - t0 < 60:
    time.sleep(0.02)
closed_after = time.monotonic() - t0
assert not is_open(nr.s), "the client that never reads is still connected after 60 s"
n_before = good.n
time.sleep(0.5)
assert good.n > n_before, "the good datalogger stopped getting answers"
print(f"never-reading client closed after {closed_after:.1f} s, {nr.sent} packets sent")

# 2. one byte at a time: closed at the first-packet deadline (3 s)
slow = connect(port)
t0 = time.monotonic()
pkt = data_packet("SLOW00000000000000000001", "123456", datetime.datetime(2021, 1, 1), 40)[1]
sent = 0
while sent < len(pkt) and is_open(slow):
    try:
        slow.send(pkt[sent:sent + 1])
        sent += 1
    except OSError:
        break
    time.sleep(0.1)
slow_after = time.monotonic() - t0
assert sent < len(pkt), "the slow client sent its whole packet"
assert wait_closed(slow, 10) is not None, "the slow client was not closed"
assert slow_after >= 2.9, f"closed after {slow_after:.1f} s, before the 3 s deadline"
print(f"one-byte-at-a-time client closed after {slow_after:.1f} s, {sent} of {len(pkt)} bytes")

# 3a. 100 silent sockets from 127.0.0.16-25, 10 each (limits: 16 in all, 8 per address)
def tally(socks, first):
    per = {}
    for i, s in enumerate(socks):
        if is_open(s):
            per[first + i // 10] = per.get(first + i // 10, 0) + 1
    return sum(per.values()), per

idle = [connect(port, src="127.0.0.%d" % (16 + i // 10)) for i in range(100)]
t0 = time.monotonic()
while time.monotonic() - t0 < 30:
    n_open, per_addr = tally(idle, 16)
    if n_open <= 15 and max(per_addr.values(), default=0) <= 8:
        break
    time.sleep(0.05)
assert n_open <= 15, f"{n_open} idle sockets are open beside the datalogger (at most 15)"
assert max(per_addr.values(), default=0) <= 8, per_addr
assert not is_open(idle[0]), "the oldest idle socket is still open"
n_before = good.n
time.sleep(0.5)
assert good.n > n_before, "the good datalogger stopped getting answers"
print(f"100 silent sockets: {n_open} open at most beside the datalogger, per address {per_addr}")
t0 = time.monotonic()
while any(is_open(s) for s in idle) and time.monotonic() - t0 < 30:
    time.sleep(0.1)
assert not any(is_open(s) for s in idle), "silent sockets outlived the first-packet deadline"

# 3b. 20 sockets that send one valid packet and then stay idle (the idle
# timeout is 15 min): when full, the oldest idle is closed, never the good
# datalogger, and a new datalogger gets in
from hj212_client import parse_reply
quiet = []
for i in range(20):
    s = connect(port, src="127.0.0.%d" % (26 + i // 5))
    qn, pkt = data_packet("IDLE00000000000000000001", "123456", datetime.datetime(2020, 1, 1, i), 60)
    s.sendall(pkt)
    r = parse_reply(s.makefile("rb").readline())
    assert r["QN"] == qn and r["CN"] == "9014", r
    quiet.append(s)
    time.sleep(0.01)
t0 = time.monotonic()
while sum(is_open(s) for s in quiet) > 15 and time.monotonic() - t0 < 30:
    time.sleep(0.05)
state = [is_open(s) for s in quiet]
assert state == [False] * 5 + [True] * 15, f"expected the 5 oldest closed: {state}"
late = Datalogger(port, good_mn, start=datetime.datetime(2025, 1, 1))
for _ in range(5):
    late.send_one()
assert wait_closed(quiet[5], 10) is not None, "the oldest idle socket was not closed for the newcomer"
assert all(is_open(s) for s in quiet[6:]), "a newer idle socket was closed"
n_before = good.n
time.sleep(0.5)
assert good.n > n_before, "the good datalogger stopped getting answers"
print("20 idle datalogger sockets: the 6 oldest closed as others came, the good datalogger never")

# 4. a source outside ingest.hj212_allow: closed at accept, unanswered, three times
for k in range(3):
    s = connect(port, src="127.0.0.2")
    try:
        s.sendall(data_packet(good_mn, "123456", datetime.datetime(2023, 1, 1, k), 50)[1])
        s.settimeout(10)
        got = s.recv(100)
    except OSError:
        got = b""
    assert got == b"", "a refused client was answered: %r" % got
print("127.0.0.2 refused three times, never answered")

# 5. passwords: a wrong or missing PW is rejected and never answered (the
# next answer on the connection is that of the packet after it, with the
# right PW); a connection that only sends wrong passwords is closed at the
# first-packet deadline
from hj212_client import parse_reply
PW = {"PWFILE000000000000000001": "file-pw-7f3a", "PWINLINE0000000000000001": "Inl1ne-pw",
      "PWDIR0000000000000000001": "a-much-longer-password-from-a-dir"}
when = datetime.datetime(2019, 1, 1)
for mn, pw in PW.items():
    s = connect(port)
    f = s.makefile("rb")
    for bad in ("123456", pw[:-1], pw + "x", ""):
        s.sendall(data_packet(mn, bad, when, 70)[1])  # stored nowhere: DataTime 2019-01-01 00:00
        qn, pkt = data_packet(mn, pw, when + datetime.timedelta(hours=1 + len(bad)), 71)
        s.sendall(pkt)
        r = parse_reply(f.readline())
        assert r["QN"] == qn and r["CN"] == "9014", (mn, bad, "answered the wrong password", r)
    s.close()
print("wrong and missing passwords of 3 devices unanswered, the right ones answered")
s = connect(port)
t0 = time.monotonic()
while is_open(s) and time.monotonic() - t0 < 20:
    s.sendall(data_packet("PWFILE000000000000000001", "123456", datetime.datetime(2018, 1, 1), 70)[1])
    time.sleep(0.2)
pw_after = time.monotonic() - t0
assert not is_open(s) and pw_after >= 2.9, f"wrong passwords only: closed after {pw_after:.1f} s"
print(f"a connection with wrong passwords only closed after {pw_after:.1f} s")

n = good.stop()
lat = sorted(good.latency)
print(f"good datalogger: {n} packets answered, 9014 latency median {lat[len(lat) // 2] * 1000:.1f} ms,"
      f" max {lat[-1] * 1000:.1f} ms")
print("TOTAL", n + late.n)
PY
cat "$T/client.out"
total=$(sed -n 's/^TOTAL //p' "$T/client.out")
pass "a client that never reads, one that sends a byte at a time and 100 idle sockets are closed; the good datalogger got every 9014"

# every answered packet of the good datalogger is stored; nothing of the hostile ones beyond what was answered
stored=$(sql "select count(*) from readings r join devices d on d.id = r.device_id where d.name = '$GOOD'")
[ "$stored" = "$total" ] || fail "good datalogger: $stored readings stored, $total answered"
[ "$(sql "select count(*) from readings r join devices d on d.id = r.device_id where d.name like 'SLOW%'")" = 0 ] ||
  fail "the slow client's partial packet was stored"
# 2023-01-01 00:00 Beijing = 2022-12-31T16:00Z
[ "$(sql "select count(*) from readings where ts between 1672502400000 and 1672513200000")" = 0 ] ||
  fail "a packet from a refused source was stored"
# counters are written with the listener's next commit (at least once a second)
for _ in $(seq 1 100); do
  read -r wt fp al ev den <<<"$(notes hj212_conn_write_timeout hj212_conn_first_packet_timeout hj212_conn_address_limit hj212_conn_evicted hj212_conn_denied)"
  [ "$wt" -ge 1 ] && [ "$fp" -ge 1 ] && [ "$al" -ge 1 ] && [ "$ev" -ge 1 ] && [ "$den" = 3 ] && break
  sleep 0.1
done
[ "$wt" -ge 1 ] && [ "$fp" -ge 1 ] && [ "$al" -ge 1 ] && [ "$ev" -ge 1 ] && [ "$den" = 3 ] ||
  fail "counters: write_timeout=$wt first_packet_timeout=$fp address_limit=$al evicted=$ev denied=$den"
[ "$(grep -c "refusing connections from 127.0.0.2" "$T/collector.log")" = 1 ] || fail "refusal not logged exactly once"
pass "stored what was answered, nothing of the slow or refused clients; counted; the refusal logged once"

# 2019-01-01 00:00 Beijing (the wrong passwords' DataTime) = 2018-12-31T16:00Z
[ "$(sql "select count(*) from readings where ts = 1546272000000")" = 0 ] || fail "a packet with a wrong password was stored"
[ "$(sql "select count(*) from readings r join devices d on d.id = r.device_id where d.name like 'PW%'")" = 12 ] ||
  fail "the packets with the right passwords were not all stored"
for _ in $(seq 1 100); do
  n_auth=$(sql "select count(*) from rejects where reason = 'auth' and cast(payload as text) like '%DataTime=20190101000000%'")
  [ "$n_auth" = 12 ] && break
  sleep 0.1
done
[ "$n_auth" = 12 ] || fail "$n_auth of 12 wrong passwords rejected as auth"
[ "$(jstat "['rejected'].get('auth', 0)")" -gt 12 ] || fail "the auth rejects are not counted in stats"
[ "$(sql "select count(*) from rejects where reason = 'auth' and detail like 'no password (PW) sent for MN PW%'")" = 3 ] ||
  fail "missing PW not told apart"
! sql "select detail from rejects where reason = 'auth'" | grep -qE "file-pw|Inl1ne|longer-password|123456" ||
  fail "a password in a reject's detail"
grep -q "hj212: listening on 127.0.0.1:$HJ_PORT; 3 device passwords, devices without one accepted" "$T/collector.log" ||
  fail "passwords not counted at start"
pass "wrong and missing passwords rejected (auth), unanswered, nothing stored; the right ones stored and answered"

# SIGTERM while hostile clients are connected: the daemon exits promptly
PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" "$T/ready" >"$T/hold.out" 2>&1 <<'PY' &
import sys, time, datetime
from hj212_client import NeverReads, connect, data_packet
port, ready = int(sys.argv[1]), sys.argv[2]
nr = [NeverReads(port, "NOREAD000000000000000001") for _ in range(3)]
idle = [connect(port, src="127.0.0.%d" % (16 + i % 4)) for i in range(20)]
slow = connect(port)
slow.send(data_packet("SLOW00000000000000000001", "123456", datetime.datetime(2021, 1, 1), 40)[1][:5])
t0 = time.monotonic()
while time.monotonic() - t0 < 1:
    for c in nr:
        c.pump()
open(ready, "w").close()
while time.monotonic() - t0 < 60:
    for c in nr:
        c.pump()
    time.sleep(0.02)
PY
HOLD_PID=$!
PIDS+=("$HOLD_PID")
for _ in $(seq 1 300); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || fail "hostile clients did not connect: $(cat "$T/hold.out")"
t0=$(date +%s%N)
kill -TERM "$COLLECTOR_PID"
for _ in $(seq 1 150); do kill -0 "$COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$COLLECTOR_PID" 2>/dev/null && fail "the collector did not exit within 15 s of SIGTERM"
rc=0
wait "$COLLECTOR_PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
kill "$HOLD_PID" 2>/dev/null || true
note "SIGTERM with 24 hostile clients connected: exited 0 after $ms ms"
[ "$ms" -lt 10000 ] || fail "SIGTERM took $ms ms"
pass "SIGTERM with hostile clients connected: exit 0 within 10 s"

# ingest.hj212_require_password: a device without a password is refused (auth), unanswered
# (and an idle timeout of 2 s, which bytes that make no packet do not extend)
start_collector --set ingest.hj212_require_password=true --set ingest.hj212_idle_timeout=2s
wait_port "$HJ_PORT" || fail "listener not up"
PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" "$GOOD" >"$T/req.out" 2>&1 <<'PY' || fail "require_password: $(cat "$T/req.out")"
import sys, datetime
from hj212_client import connect, data_packet, parse_reply
port, good_mn = int(sys.argv[1]), sys.argv[2]
s = connect(port)
f = s.makefile("rb")
s.sendall(data_packet(good_mn, "123456", datetime.datetime(2017, 1, 1), 80)[1])
qn, pkt = data_packet("PWFILE000000000000000001", "file-pw-7f3a", datetime.datetime(2017, 1, 2), 81)
import time
t_sent = time.monotonic()  # its last valid packet cannot be read before this
s.sendall(pkt)
r = parse_reply(f.readline())
assert r["QN"] == qn, ("a device without a password was answered", r)
from hj212_client import wait_closed
time.sleep(1)
s.sendall(b"##0100QN=2017")  # no packet: the idle clock goes on
assert wait_closed(s, 20) is not None, "an idle connection outlived ingest.hj212_idle_timeout"
after = time.monotonic() - t_sent
assert after >= 1.95, f"closed {after:.2f} s after its last packet, before the 2 s idle timeout"
print(f"idle connection closed {after:.1f} s after its last valid packet")
PY
for _ in $(seq 1 100); do
  n=$(sql "select count(*) from rejects where reason = 'auth' and detail like 'no password is configured for MN $GOOD%'")
  [ "$n" = 1 ] && break
  sleep 0.1
done
[ "$n" = 1 ] || fail "a device without a password not rejected under require_password"
# 2017-01-01 00:00 Beijing = 2016-12-31T16:00Z
[ "$(sql "select count(*) from readings where ts = 1483200000000")" = 0 ] || fail "stored without a password"
stop_collector || fail "exit status"
pass "hj212_require_password: a device without a password refused; one with its password answered; idle timeout"

# a password file that others can read stops check and run, naming it
chmod 644 "$T/pw/PWFILE"
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" 2>&1); rc=$?
timeout 30 "$COLLECTOR" run -c "$T/collector.yaml" >"$T/loose.log" 2>&1; rc2=$?
set -e
[ $rc = 2 ] && grep -q "registry.yaml:[0-9]*: password of PWFILE000000000000000001: $T/pw/PWFILE: permissions 0644 are too open" <<<"$out" ||
  fail "check did not refuse the loose password file (exit $rc): $out"
[ $rc2 != 0 ] && [ $rc2 != 124 ] && grep -q "$T/pw/PWFILE: permissions 0644 are too open" "$T/loose.log" ||
  fail "run did not refuse the loose password file (exit $rc2): $(cat "$T/loose.log")"
! grep -q "file-pw-7f3a" "$T/loose.log" && ! grep -q "file-pw-7f3a" <<<"$out" || fail "the password was printed"
pass "a password file readable by others: check exits 2 and run refuses to start, naming the file"
