#!/usr/bin/env bash
# Signals during the start: the daemon catches SIGHUP and SIGTERM before
# it starts any thread, so a reload that races the start (a deploy
# script, logrotate) cannot kill it with SIGHUP's default action. A
# sampler reads /proc/PID/status as fast as it can while SIGHUP is sent
# every millisecond from the moment the handler is installed: no sample
# may show a second thread while SIGHUP is not yet caught, the daemon
# must survive and reload, and a SIGTERM sent during the start must still
# end it cleanly (exit 0) once it runs.
. "$(dirname "$0")/lib.sh"
start_broker
write_config
cat >"$T/rules.yaml" <<'CONF'
rules:
  - {name: pm25_high, source: test, series: reading, select: {metric: pm25}, when: {op: ">", value: 75}}
CONF
echo "rules: {paths: [$T/rules.yaml]}" >>"$T/collector.yaml"

python3 - "$COLLECTOR" "$T/collector.yaml" "$T/collector.log" <<'PY' || fail "early signals"
import os, signal, subprocess, sys, time

exe, cfg, log = sys.argv[1:4]

def status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            d = dict(l.split(":", 1) for l in f if ":" in l)
    except OSError:
        return None
    return int(d["Threads"]), int(d["SigCgt"], 16)

def caught(mask, sig):
    return bool(mask >> (sig - 1) & 1)

def run(send, until):
    """Start the daemon and send @send from when it catches it until @until is logged."""
    out = open(log, "ab")
    start = out.tell()
    p = subprocess.Popen([exe, "run", "-c", cfg], stdout=out, stderr=subprocess.STDOUT)
    samples = bad = sent = 0
    deadline = time.monotonic() + 60
    last_send = 0.0
    while time.monotonic() < deadline and p.poll() is None:
        st = status(p.pid)
        if st is None:
            continue
        samples += 1
        threads, cgt = st
        if threads > 1 and not (caught(cgt, signal.SIGHUP) and caught(cgt, signal.SIGTERM)):
            bad += 1
        if caught(cgt, send) and time.monotonic() - last_send > 0.001:
            os.kill(p.pid, send)
            sent += 1
            last_send = time.monotonic()
        # Done once the start is through and a signal went out: a loaded
        # machine may run the whole start between two samples, and then
        # the signal goes out just after it rather than not at all.
        with open(log, "rb") as f:
            f.seek(start)
            if until in f.read() and sent > 0:
                break
    return p, samples, bad, sent

# SIGHUP throughout the start: survives, then reloads
p, samples, bad, sent = run(signal.SIGHUP, b"subscribed to")
assert bad == 0, "%d of %d samples: threads running before SIGHUP/SIGTERM were caught" % (bad, samples)
assert p.poll() is None, "the daemon died during the start (status %s) after %d SIGHUPs" % (p.returncode, sent)
assert sent > 0, "no SIGHUP was sent"
os.kill(p.pid, signal.SIGHUP)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and b"reload: done" not in open(log, "rb").read():
    time.sleep(0.05)
assert b"reload: done" in open(log, "rb").read(), "no reload after the start"
os.kill(p.pid, signal.SIGTERM)
rc = p.wait(timeout=30)
assert rc == 0, "exit status %d after SIGTERM" % rc
print("# %d SIGHUPs during the start, %d samples, no thread before the handlers" % (sent, samples))

# one SIGTERM during the start: the daemon finishes starting and exits 0
p, samples, bad, sent = run(signal.SIGTERM, b"run: collector")
if p.poll() is None:
    rc = p.wait(timeout=30)
else:
    rc = p.returncode
assert bad == 0, "threads before the handlers"
assert rc == 0, "SIGTERM during the start: exit status %d" % rc
PY
grep -q "run: stopped" "$T/collector.log" || fail "no clean stop"
pass "SIGHUP and SIGTERM caught before any thread starts; the daemon survives an early SIGHUP"
