#!/usr/bin/env bash
# `collector decode` says what ingest would do; this test holds it to that.
# Each payload (flat JSON, SenML, HJ 212, and rejects of every scope) is
# first shown by `collector decode --json` with the daemon's own
# configuration, then published to the real daemon; what the database then
# holds must be exactly what decode predicted: every value it would store
# is stored with that device, metric, time and value, every reject it
# predicted is in the rejects table under the message's topic, and nothing
# else is.
. "$(dirname "$0")/lib.sh"
start_broker
write_config
start_collector

PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$T" "$COLLECTOR" "$BROKER_PORT" <<'PY' >"$T/cases.out" 2>&1 || fail "cases: $(cat "$T/cases.out")"
import json, subprocess, sys
from hj212_client import frame
T, collector, port = sys.argv[1], sys.argv[2], sys.argv[3]

hj = frame("QN=20241126080000001;ST=22;CN=2061;PW=123456;MN=aqm-03;Flag=4;"
           "CP=&&DataTime=20241126070000;a34004-Avg=35.0,a34004-Flag=N;a01006-Avg=101.3,a01006-Flag=N;"
           "a21004-Avg=-5,a21004-Flag=N&&")
cases = [
    ("xh/air/xujiahui/aqm-01", b'{"ts": 1732600000, "pm25": 23.4, "co_ugm3": 600, "pm10": -3, "model": 7}'),
    ("xh/air/xujiahui/aqm-02", b'[{"bn":"aqm-02:","bt":1732600000,"n":"pm25","u":"ug/m3","v":22},'
                               b'{"n":"temp","u":"Cel","v":12.5,"t":60},{"n":"pres","u":"kPa","v":101.0},'
                               b'{"n":"o3","u":"ug/m3","v":-1},{"n":"pm10","u":"furlong","v":3}]'),
    ("xh/air/xujiahui/aqm-03", hj),
    ("xh/air/xujiahui/aqm-04", b'{"ts": 1732600000, "foo": 1}'),
    ("xh/air/xujiahui/aqm-05", b'{"ts": 1732600000, "pm25": '),
    ("xh/elsewhere/aqm-06", b'{"ts": 1732600000, "pm25": 1}'),
    ("xh/water/longhuagang/wq-01", b'{"ts": 1732600000, "ph": 7.4, "do": 30, "nh3n": "n/a"}'),
]
want = {"stores": [], "rejects": []}
for topic, payload in cases:
    p = f"{T}/payload"
    open(p, "wb").write(payload)
    r = subprocess.run([collector, "decode", "-c", f"{T}/collector.yaml", "--topic", topic, "--json", p],
                       capture_output=True, text=True)
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    assert r.returncode in (0, 1), (topic, r.returncode, r.stderr)
    n_rej = 0
    for row in rows:
        if row.get("verdict") == "store":
            want["stores"].append([row["device"], row["metric"], row["ts"], row["value"]])
        if "reject" in row:
            want["rejects"].append([topic, row["reject"]])
            n_rej += 1
    assert (r.returncode == 1) == (n_rej > 0), (topic, r.returncode, rows)
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-f", p],
                   check=True)
    print(topic, r.returncode, len(rows))
json.dump(want, open(f"{T}/want.json", "w"))
assert len(want["stores"]) >= 8 and len(want["rejects"]) >= 8, want
PY
wait_stat "['received']" 7 || fail "not every message arrived"
# received counts a message once it is committed, with its readings and rejects.

python3 - "$T" <<'PY' || fail "decode and ingest disagree"
import json, sqlite3, sys
T = sys.argv[1]
want = json.load(open(f"{T}/want.json"))
db = sqlite3.connect(f"{T}/collector.db")
got = db.execute("""select d.name, m.name, r.ts, r.value from readings r
                    join devices d on d.id = r.device_id join metrics m on m.id = r.metric_id""").fetchall()
def key(row): return (row[0], row[1], row[2])
w = {key(r): r[3] for r in want["stores"]}
g = {key(r): r[3] for r in got}
assert set(w) == set(g), ("stored", sorted(set(w) ^ set(g)))
for k in w:
    assert abs(w[k] - g[k]) < 1e-9, (k, w[k], g[k])
rej = sorted(list(r) for r in db.execute("select topic, reason from rejects"))
assert rej == sorted(want["rejects"]), ("rejects", rej, sorted(want["rejects"]))
print(len(w), "readings and", len(rej), "rejects as decode said")
PY
pass "decode --json predicted every stored reading and every reject of 7 messages"
stop_collector || fail "exit status"
