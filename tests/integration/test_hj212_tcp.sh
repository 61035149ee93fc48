#!/usr/bin/env bash
# HJ 212-2017 over TCP into the real daemon: a datalogger (written here in
# Python, with its own CRC per Appendix A) sends hourly air data and
# real-time water data with Flag=5; each packet is stored, then answered
# with the 9014 data response; a packet with a bad CRC is rejected and not
# answered; the registry maps the MN to its site; HJ 212 over MQTT works too.
. "$(dirname "$0")/lib.sh"
start_broker
HJ_PORT=$(free_port)
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
  - {id: longhuagang, name: 龙华港, kind: water, water_body: river}
devices:
  - {id: 010000A8900016F000169DC0, site: xujiahui, profile: air-station}
  - {id: 020000B8900016F000169DC1, site: longhuagang, profile: water-buoy}
CONF
write_config
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
start_collector --set ingest.hj212_listen=127.0.0.1:$HJ_PORT
wait_port "$HJ_PORT" || fail "listener not up"

PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$HJ_PORT" >"$T/client.out" <<'PY' || fail "datalogger: $(cat "$T/client.out")"
import socket, sys
from hj212_client import crc, frame

# the standard's own vector first: CRC of its example segment is 1C80
ex = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
assert len(ex) == 101 and crc(ex.encode()) == 0x1C80

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
air = ("QN=20241126080000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
       "CP=&&DataTime=20241126070000;a34004-Avg=35.0,a34004-Flag=N;a34002-Avg=52,a34002-Flag=N;"
       "a21005-Avg=0.8,a21005-Flag=N;a01006-Avg=101.3,a01006-Flag=N&&")
water = ("QN=20241126080000002;ST=21;CN=2011;PW=123456;MN=020000B8900016F000169DC1;Flag=5;"
         "CP=&&DataTime=20241126075500;w01001-Rtd=7.4,w01001-Flag=N;w01009-Rtd=1.6,w01009-Flag=N;"
         "w21003-Rtd=2.3,w21003-Flag=N&&")
for seg, qn in ((air, "20241126080000001"), (water, "20241126080000002")):
    s.sendall(frame(seg))
    reply = f.readline().decode()
    body = reply[6:-6]
    assert reply.startswith("##%04d" % len(body)), reply
    assert reply.endswith("%04X\r\n" % crc(body.encode())), reply
    fields = dict(kv.split("=", 1) for kv in body.split(";") if "=" in kv and not kv.startswith("CP"))
    assert fields["QN"] == qn and fields["CN"] == "9014" and fields["ST"] == "91", reply
    print("ack", qn)
bad = frame(air.replace("20241126080000001", "20241126080000003"))
bad = bad[:-6] + (b"0000\r\n" if not bad.endswith(b"0000\r\n") else b"1111\r\n")
s.sendall(bad)
s.settimeout(1.5)
try:
    extra = f.readline()
    assert not extra, "a packet with a bad CRC was acknowledged: %r" % extra
except socket.timeout:
    pass
print("no ack for bad crc")
PY
grep -q "ack 20241126080000002" "$T/client.out" || fail "no ack"
pass "two HJ 212 packets over TCP stored and answered with 9014; CRC vector 1C80"

wait_stat "['stored_messages']" 2 || fail "stored"
[ "$(jstat "['rejected'].get('bad_checksum', 0)")" = 1 ] || fail "bad CRC not rejected"
# 2024-11-26 07:00 local = 2024-11-25T23:00Z = 1732575600 s
v=$(sql "select r.value from readings r join metrics m on m.id = r.metric_id join devices d on d.id = r.device_id
         where m.name = 'pm25' and d.name = '010000A8900016F000169DC0' and r.ts = 1732575600000")
[ "$v" = 35.0 ] || [ "$v" = 35 ] || fail "pm25 at DataTime: '$v'"
p=$(sql "select r.value from readings r join metrics m on m.id = r.metric_id where m.name = 'pres'")
python3 -c "import sys; sys.exit(0 if abs($p - 1013.0) < 1e-9 else 1)" || fail "pressure 101.3 kPa stored as $p hPa"
do=$(sql "select r.value from readings r join metrics m on m.id = r.metric_id where m.name = 'do'")
[ "$do" = 1.6 ] || fail "DO $do"
site=$(sql "select site from devices where name = '020000B8900016F000169DC1'")
[ "$site" = longhuagang ] || fail "site from registry: $site"
pass "values at DataTime (UTC+8), kPa -> hPa, registry site by MN; bad CRC rejected"

# HJ 212 as an MQTT payload on the station's topic
PYTHONPATH="$SRC_DIR/tests/integration" python3 - >"$T/pkt" <<'PY'
import sys
from hj212_client import frame
sys.stdout.buffer.write(frame("QN=20241126090000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
                              "CP=&&DataTime=20241126080000;a34004-Avg=41.5,a34004-Flag=N&&"))
PY
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/010000A8900016F000169DC0 -f "$T/pkt"
wait_stat "['stored_messages']" 3 || fail "HJ 212 over MQTT"
pass "HJ 212 packet as an MQTT payload stored"

# SenML on the same station (decoder: auto), with a unit the profile converts
pub xh/air/xujiahui/010000A8900016F000169DC0 \
  '[{"bn":"010000A8900016F000169DC0:","bt":1732586400,"n":"pm25","u":"ug/m3","v":22},{"n":"temp","u":"Cel","v":12.5},{"n":"pres","u":"kPa","v":101.0}]'
wait_stat "['stored_messages']" 4 || fail "SenML"
t=$(sql "select r.value from readings r join metrics m on m.id = r.metric_id where m.name = 'temp' and r.ts = 1732586400000")
[ "$t" = 12.5 ] || fail "SenML temp $t"
p=$(sql "select r.value from readings r join metrics m on m.id = r.metric_id where m.name = 'pres' and r.ts = 1732586400000")
python3 -c "import sys; sys.exit(0 if abs($p - 1010.0) < 1e-9 else 1)" || fail "SenML kPa not converted: $p"
pass "SenML with units (Cel, kPa -> hPa) stored"
stop_collector || fail "exit status"
grep -q "hj212: stopped after 3 packets, 2 acknowledged" "$T/collector.log" || fail "listener summary"
