#!/usr/bin/env bash
# HJ 212 as dataloggers in the field speak it, over TCP into the real
# daemon. A client written here builds every packet by hand, with its own
# CRCs: HJ 212-2017 Appendix A (checked against the standard's vector
# 1C80) and Modbus CRC-16 (checked against the CRC catalogue's 4B37 for
# "123456789"). Dialects: HJ/T 212-2005 headers without QN and Flag,
# DataTime with milliseconds, PW of other lengths, ST outside Table 5, a
# split Flag without PNUM/PNO, a data segment above 1024 bytes, Modbus and
# byte-swapped Modbus CRCs per profile (hj212_crc), split messages
# reassembled (and one that never completes, rejected part by part), and
# the commands that carry no data (2081, 1013, 1062, 9011-9014): answered
# or ignored, counted, never rejects. Every time below is DataTime in
# Beijing time (UTC+8) worked out to UTC by hand.
. "$(dirname "$0")/lib.sh"
start_broker
HJ_PORT=$(free_port)
mkdir -p "$T/profiles"
cp "$SRC_DIR"/devices/profiles/*.yaml "$T/profiles/"
for spec in "modbus-logger 35 modbus" "swapped-logger 36 modbus-swapped" "any-logger 37 any"; do
  set -- $spec
  cat >"$T/profiles/zz-$1.yaml" <<CONF
name: $1
description: test datalogger, checksum $3
domain: air
decoder: hj212
hj212_crc: $3
topics: ["hj212/$2/{device}"]
interval: 1h
sample: instant
fields:
  a34004-Rtd: {metric: pm25, unit: ug/m3, min: 0, max: 2000}
CONF
done
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: 010000A8900016F000169DC0, site: xujiahui, profile: air-station}
  - {id: OLD2005STATION00000000001, site: xujiahui, profile: air-station}
  - {id: ODDST0000000000000000001, site: xujiahui, profile: air-station}
  - {id: MODBUS000000000000000001, site: xujiahui, profile: modbus-logger}
  - {id: SWAPPED00000000000000001, site: xujiahui, profile: swapped-logger}
  - {id: ANYCRC000000000000000001, site: xujiahui, profile: any-logger}
CONF
write_config
sed -i "s|devices: {profiles: $SRC_DIR/devices/profiles, unknown: register}|devices: {profiles: $T/profiles, unknown: reject, registry: $T/registry.yaml}|" \
  "$T/collector.yaml"
grep -q "registry: $T/registry.yaml" "$T/collector.yaml" || fail "config not rewritten"
start_collector --set ingest.hj212_listen=127.0.0.1:$HJ_PORT --set ingest.hj212_split_timeout=5s
wait_port "$HJ_PORT" || fail "listener not up"

PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" "$T" >"$T/client.out" 2>&1 <<'PY' || fail "datalogger: $(cat "$T/client.out")"
import socket, sys
from hj212_client import crc as crc_hj212, frame

port, T = int(sys.argv[1]), sys.argv[2]
# The standard's own example (a parameter command, CN=1062).
ex = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"

s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
log = open(f"{T}/packets.txt", "w", buffering=1)

def read_reply():
    line = f.readline()
    assert line.endswith(b"\r\n"), "no reply: %r" % line
    body = line[6:-6]
    assert line.startswith(b"##%04d" % len(body)), line
    assert line[-6:-2] == b"%04X" % crc_hj212(body), "reply CRC: %r" % line
    kv = {}
    head, _, cp = body.decode().partition("CP=&&")
    for item in head.split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            kv[k] = v
    kv["CP"] = cp[:-2] if cp.endswith("&&") else cp
    return kv

marker_n = [0]
def marker():
    """A data packet that asks for an answer; the next reply must be its."""
    marker_n[0] += 1
    qn = "2024112612%02d00%03d" % (marker_n[0], marker_n[0])
    seg = (f"QN={qn};ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
           f"CP=&&DataTime=20241127{marker_n[0]:02d}0000;a01001-Avg=10.{marker_n[0]}&&")
    s.sendall(frame(seg))
    r = read_reply()
    assert r["QN"] == qn and r["CN"] == "9014", ("expected the marker's reply first", r)

def send(name, seg, mode="hj212", reply=None, qn=None, cp=None):
    pkt = frame(seg, mode)
    log.write(f"{name}\t{pkt[:-2].decode()}\n")
    s.sendall(pkt)
    if reply is None:
        marker()  # nothing may be answered before the marker
        return
    r = read_reply()
    assert r["CN"] == reply and r["ST"] == "91", (name, r)
    assert qn is None or r["QN"] == qn, (name, r)
    assert cp is None or r["CP"] == cp, (name, r)
    print("reply", name, r["CN"])

MN = "010000A8900016F000169DC0"
# 1. HJ/T 212-2005 header: no QN, no Flag (so no answer). 2024-11-26 07:00 -> 2024-11-25T23:00Z
send("2005", "ST=22;CN=2061;PW=123456;MN=OLD2005STATION00000000001;"
     "CP=&&DataTime=20241126070000;a34004-Avg=35.0,a34004-Flag=N&&")
# 2. DataTime with milliseconds: 08:00:00.500 -> 2024-11-26T00:00:00.500Z
send("ms", f"QN=20241126080000001;ST=22;CN=2061;PW=123456;MN={MN};Flag=5;"
     "CP=&&DataTime=20241126080000500;a34004-Avg=36.5,a34004-Flag=N&&", reply="9014",
     qn="20241126080000001")
# 3. PW of one character, and empty: 2024-11-26 03:00 and 04:00 -> 2024-11-25T19:00Z, 20:00Z
send("pw1", f"QN=20241126080000002;ST=22;CN=2061;PW=1;MN={MN};Flag=5;"
     "CP=&&DataTime=20241126030000;a34004-Avg=30,a34004-Flag=N&&", reply="9014")
send("pw0", f"QN=20241126080000003;ST=22;CN=2061;PW=;MN={MN};Flag=5;"
     "CP=&&DataTime=20241126040000;a34004-Avg=31,a34004-Flag=N&&", reply="9014")
# 4. ST=99 (not in Table 5) from a registered station: its profile's topic. 05:00 -> 21:00Z
send("st99", "QN=20241126080000004;ST=99;CN=2061;PW=123456;MN=ODDST0000000000000000001;Flag=5;"
     "CP=&&DataTime=20241126050000;a34004-Avg=50,a34004-Flag=N&&", reply="9014")
# 5. Flag=7: split bit without PNUM/PNO, one packet. 06:00 -> 22:00Z
send("splitflag", f"QN=20241126080000005;ST=22;CN=2061;PW=123456;MN={MN};Flag=7;"
     "CP=&&DataTime=20241126060000;a34004-Avg=33,a34004-Flag=N&&", reply="9014")
# 6. A data segment above 1024 bytes: 120 factors no profile maps, and pm25. 02:00 -> 18:00Z
extra = ";".join("a99%03d-Rtd=%d.5" % (k, k) for k in range(120))
long_seg = (f"QN=20241126080000006;ST=22;CN=2061;PW=123456;MN={MN};Flag=5;"
            f"CP=&&DataTime=20241126020000;a34004-Avg=22,a34004-Flag=N;{extra}&&")
assert len(long_seg) > 1024
send("long", long_seg, reply="9014")
# 7. CRC modes. 2024-11-26 10:00 -> 02:00Z
rtd = "QN=20241126100000%03d;ST=%s;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=20241126100000;a34004-Rtd=%s,a34004-Flag=N&&"
send("modbus", rtd % (1, "35", "MODBUS000000000000000001", "41.5"), "modbus", reply="9014")
send("modbus_as_hj212", rtd % (2, "35", "MODBUS000000000000000001", "99"), "hj212")
send("swapped", rtd % (3, "36", "SWAPPED00000000000000001", "42.5"), "swapped", reply="9014")
send("swapped_as_modbus", rtd % (4, "36", "SWAPPED00000000000000001", "99"), "modbus")
send("any_hj212", rtd.replace("100000;a", "110000;a") % (5, "37", "ANYCRC000000000000000001", "43.5"), "hj212", reply="9014")
send("any_modbus", rtd.replace("100000;a", "120000;a") % (6, "37", "ANYCRC000000000000000001", "44.5"), "modbus", reply="9014")
send("any_swapped", rtd.replace("100000;a", "130000;a") % (7, "37", "ANYCRC000000000000000001", "45.5"), "swapped", reply="9014")
send("bad_crc", rtd.replace("CN=2011", "CN=2061").replace("Rtd", "Avg") % (8, "22", MN, "99"), "modbus")
# 8. A split message (PNUM=2), part 1 resent: nothing answered until it is whole and
# stored, then both parts. 2024-11-26 09:00 -> 01:00Z
part = ("QN=20241126090000001;ST=22;CN=2061;PW=123456;MN=%s;Flag=7;PNUM=2;PNO=%d;"
        "CP=&&DataTime=20241126090000;%s&&")
send("split1", part % (MN, 1, "a34004-Avg=40.0,a34004-Flag=N"))
send("split1_again", part % (MN, 1, "a34004-Avg=40.0,a34004-Flag=N"))
s.sendall(frame(part % (MN, 2, "a34002-Avg=60,a34002-Flag=N")))
for k in (1, 2):
    r = read_reply()
    assert r["CN"] == "9014" and r["QN"] == "20241126090000001", r
print("split message answered twice after its commit")
# 9. A split message of 3 parts whose part 2 never comes (rejected after the timeout).
lost = ("QN=20241126090000002;ST=22;CN=2061;PW=123456;MN=%s;Flag=7;PNUM=3;PNO=%d;"
        "CP=&&DataTime=20241126090000;%s&&")
# Both parts in one write, so they come well within the timeout on a loaded machine.
lost1, lost3 = (frame(lost % (MN, 1, "a21005-Avg=0.8,a21005-Flag=N")),
                frame(lost % (MN, 3, "a21004-Avg=30,a21004-Flag=N")))
log.write(f"lost1\t{lost1[:-2].decode()}\nlost3\t{lost3[:-2].decode()}\n")
s.sendall(lost1 + lost3)
marker()
# 10. Commands that carry no data.
send("restart", f"QN=20241126080000010;ST=22;CN=2081;PW=123456;MN={MN};Flag=5;"
     "CP=&&DataTime=20241126075959;RestartTime=20241126075900&&", reply="9014",
     qn="20241126080000010")
send("timecal", f"QN=20241126080000011;ST=22;CN=1013;PW=123456;MN={MN};Flag=5;CP=&&&&",
     reply="9013", qn="20241126080000011")
send("param", ex, reply="9011", qn="20160801085857223", cp="QnRtn=2")
for cn, cp in (("9011", "QnRtn=1"), ("9012", "ExeRtn=1"), ("9013", ""), ("9014", "")):
    send("reply" + cn, f"QN=20241126080000012;ST=91;CN={cn};PW=123456;MN={MN};Flag=4;CP=&&{cp}&&")
# 11. Broken packets stay precise rejects: PNO beyond PNUM.
send("pno_beyond", f"QN=20241126080000013;ST=22;CN=2061;PW=123456;MN={MN};Flag=7;PNUM=2;PNO=3;"
     "CP=&&DataTime=20241126090000;a34004-Avg=1&&")
print("all sent")
PY
pass "replies: 9014 for data and 2081, 9013 for 1013, 9011 QnRtn=2 for 1062; none for 9011-9014 or rejects; split parts answered after their commit"

pm25() { # device ts_s
  sql "select r.value from readings r join metrics m on m.id = r.metric_id join devices d on d.id = r.device_id
       where m.name = '${3:-pm25}' and d.name = '$1' and r.ts = $2"
}
num_eq() { python3 -c "import sys; sys.exit(0 if abs(float('$1' or 'nan') - $2) < 1e-9 else 1)"; }
MN=010000A8900016F000169DC0
# The listener commits each pass; wait until the last data packet is visible.
for _ in $(seq 1 100); do
  [ -n "$(pm25 ANYCRC000000000000000001 1732597200000)" ] && break
  sleep 0.1
done
num_eq "$(pm25 OLD2005STATION00000000001 1732575600000)" 35 || fail "2005-style header"
num_eq "$(pm25 $MN 1732579200500)" 36.5 || fail "DataTime with ms"
num_eq "$(pm25 $MN 1732561200000)" 30 || fail "PW of one character"
num_eq "$(pm25 $MN 1732564800000)" 31 || fail "empty PW"
num_eq "$(pm25 ODDST0000000000000000001 1732568400000)" 50 || fail "ST=99"
num_eq "$(pm25 $MN 1732572000000)" 33 || fail "split flag alone"
num_eq "$(pm25 $MN 1732557600000)" 22 || fail "long packet"
pass "2005 header, ms DataTime, PW lengths, ST=99, split flag alone, >1024 bytes: stored at the right times"
num_eq "$(pm25 MODBUS000000000000000001 1732586400000)" 41.5 || fail "modbus"
num_eq "$(pm25 SWAPPED00000000000000001 1732586400000)" 42.5 || fail "swapped"
num_eq "$(pm25 ANYCRC000000000000000001 1732590000000)" 43.5 || fail "any: hj212"
num_eq "$(pm25 ANYCRC000000000000000001 1732593600000)" 44.5 || fail "any: modbus"
num_eq "$(pm25 ANYCRC000000000000000001 1732597200000)" 45.5 || fail "any: swapped"
[ "$(sql "select count(*) from readings where value = 99")" = 0 ] || fail "a packet with the wrong CRC mode was stored"
pass "CRC modes: modbus, modbus-swapped and any stored under their profiles"
num_eq "$(pm25 $MN 1732582800000)" 40 || fail "split part 1"
num_eq "$(pm25 $MN 1732582800000 pm10)" 60 || fail "split part 2"
[ -z "$(pm25 $MN 1732582800000 co)" ] || fail "incomplete split message stored in part"
pass "a split message reassembled and stored whole"

wait_stat "['rejected'].get('split_incomplete', 0)" 2 30 || fail "incomplete split not rejected"
python3 - "$T" <<'PY' || fail "rejected parts: $(sql "select reason, detail, payload from rejects")"
import sqlite3, sys
T = sys.argv[1]
db = sqlite3.connect(f"{T}/collector.db")
rows = db.execute("select topic, detail, cast(payload as text) from rejects where reason = 'split_incomplete' order by id").fetchall()
sent = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{T}/packets.txt"))
assert [r[2] for r in rows] == [sent["lost1"], sent["lost3"]], rows
assert all(r[0] == "hj212/22/010000A8900016F000169DC0" for r in rows), rows
assert all("2 of 3 parts came within 5000 ms" in r[1] for r in rows), rows
PY
pass "a split message missing a part: rejected after the timeout, one row per part, payloads kept"

rej=$(jstat "['rejected']")
python3 - "$rej" <<'PY' || fail "reject counts: $rej"
import ast, sys
r = ast.literal_eval(sys.argv[1])
assert r == {"bad_checksum": 3, "split_incomplete": 2, "malformed": 1}, r
PY
notes=$(jstat "['notes']")
python3 - "$notes" <<'PY' || fail "notes: $notes"
import ast, sys
n = ast.literal_eval(sys.argv[1])
want = {"hj212_no_qn": 1, "hj212_no_flag": 1, "hj212_datatime_ms": 1, "hj212_pw_length": 2,
        "hj212_st_unlisted": 1, "hj212_split_flag_alone": 1, "hj212_long_packet": 1,
        "hj212_crc_modbus": 2, "hj212_crc_modbus_swapped": 2, "hj212_split_reassembled": 1,
        "hj212_split_part_resent": 1, "hj212_upload_cmd": 1, "hj212_notice_cmd": 1,
        "hj212_request_cmd": 1, "hj212_reply_cmd": 4}
bad = {k: (n.get(k), v) for k, v in want.items() if n.get(k) != v}
assert not bad, bad
PY
pass "rejects only for bad CRCs, the incomplete split and PNO > PNUM; every leniency and command counted"

curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" >"$T/metrics.txt" || fail "/metrics"
grep -q '^collector_notes_total{note="hj212_reply_cmd"} 4$' "$T/metrics.txt" ||
  fail "notes not in /metrics: $(grep notes "$T/metrics.txt")"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
  fail "promtool check metrics: $(cat "$T/promtool.log")"
pass "/metrics exports the notes (promtool-clean)"
grep -c "outside HJ 212-2017 Table 5" "$T/collector.log" | grep -qx 1 || fail "ST warning not logged once"
stop_collector || fail "exit status"
