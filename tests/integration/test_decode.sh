#!/usr/bin/env bash
# `collector decode`: flat JSON, SenML and HJ 212 payloads shown as ingest
# would take them, in text and --json, without a broker and without a
# database. Expected values are worked out here from the formats' rules:
# epoch seconds -> UTC ms; SenML times are bt + t (RFC 8428 §4.5.3), a time
# below 2**28 is relative to the receive time (§4.5.3); HJ 212 DataTime is
# Beijing time (UTC+8); unit conversions from the shipped air-station
# profile (ug/m3 -> mg/m3 / 1000, kPa -> hPa * 10). HJ 212 checksums come
# from CRC implementations written here: Appendix A of HJ 212-2017 (checked
# against the standard's vector 1C80) and Modbus CRC-16 (checked against the
# CRC catalogue's check value 4B37 of "123456789").
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/profiles"
cp "$SRC_DIR"/devices/profiles/*.yaml "$T/profiles/"
# A datalogger model whose firmware sends Modbus CRC-16 (high byte first).
cat >"$T/profiles/zz-modbus-logger.yaml" <<'CONF'
name: modbus-logger
description: test datalogger that checksums with Modbus CRC-16
domain: air
decoder: hj212
hj212_crc: modbus
topics: ["hj212/32/{device}"]
interval: 1h
sample: instant
fields:
  a34004-Rtd: {metric: pm25, unit: ug/m3, min: 0, max: 2000}
CONF
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: xujiahui, name: 徐家汇街道, kind: air}
devices:
  - {id: 010000A8900016F000169DC0, site: xujiahui, profile: air-station}
  - {id: LOGGER0001, site: xujiahui, profile: modbus-logger}
CONF
cat >"$T/collector.yaml" <<CONF
gateway: {id: it-gw, timezone: Asia/Shanghai}
storage: {path: $T/collector.db}
ingest: {max_future: 5m, max_age: 0}
devices: {profiles: $T/profiles, registry: $T/registry.yaml, unknown: register}
CONF

# decode ARGS...: stdout to $T/out, exit code to $RC
decode() {
  RC=0
  "$COLLECTOR" decode -c "$T/collector.yaml" "$@" >"$T/out" 2>"$T/err" || RC=$?
}
has() { grep -qF -- "$1" "$T/out" || fail "output lacks '$1': $(cat "$T/out" "$T/err")"; }
# jcheck PYTHON: run PYTHON with `rows` = the JSON lines of $T/out
jcheck() {
  python3 -c "
import json, sys
rows = [json.loads(l) for l in open('$T/out') if l.strip()]
def by(metric):
    m = [r for r in rows if r.get('metric') == metric]
    assert len(m) == 1, (metric, rows)
    return m[0]
def close(a, b): return abs(a - b) < 1e-9
$1
" || fail "json check failed: $(cat "$T/out")"
}

# --- flat JSON ---------------------------------------------------------------
# ts 1732600000 s = 2024-11-26T05:46:40Z = 13:46:40 in Shanghai; co_ugm3 600
# ug/m3 is co 0.6 mg/m3.
echo '{"ts": 1732600000, "pm25": 23.4, "co_ugm3": 600, "model": 7}' >"$T/ok.json"
decode --topic xh/air/xujiahui/aqm-01 "$T/ok.json"
[ "$RC" = 0 ] || fail "accepted JSON exits $RC"
has "profile   air-station"
has "site      xujiahui"
has "2024-11-26T05:46:40Z (2024-11-26T13:46:40+08:00)"
has "co_ugm3        -> co = 0.6 mg/m3"
has "in range [0, 150]: store"
has "model          -> (no field of profile air-station maps it"
has "result    accepted: 2 readings"
grep -q "aqm-01 (not in the registry: registered at site xujiahui" "$T/out" || fail "device line"
pass "flat JSON in text: profile, site, device, converted value, UTC and local time, range"

echo '{"ts": 1732600000, "pm25": 23.4, "co_ugm3": 600, "pm10": -3}' >"$T/bad.json"
decode --topic xh/air/xujiahui/aqm-01 --json "$T/bad.json"
[ "$RC" = 1 ] || fail "a value out of range exits $RC"
jcheck "
p = by('pm25')
assert p['device'] == 'aqm-01' and close(p['value'], 23.4) and p['unit'] == 'ug/m3'
assert p['ts'] == 1732600000000 and p['flag'] is None and p['verdict'] == 'store'
c = by('co'); assert close(c['value'], 0.6) and c['unit'] == 'mg/m3', c
b = by('pm10'); assert b['verdict'] == 'reject' and b['reject'] == 'out_of_range', b
assert close(b['value'], -3) and '[0, 3000]' in b['detail'], b
assert len(rows) == 3
"
decode --topic xh/air/xujiahui/aqm-01 "$T/bad.json"
[ "$RC" = 1 ] || fail "text mode exits $RC"
has "reject out_of_range: pm10: -3 ug/m3 outside the valid range [0, 3000]"
has "result    rejected: 1 reject"
pass "flat JSON --json: one object per value; out of range rejects with exit 1"

echo '{"ts": 1732600000, "pm25": ' >"$T/broken.json"
decode --topic xh/air/xujiahui/aqm-01 --json "$T/broken.json"
[ "$RC" = 1 ] || fail "broken JSON exits $RC"
jcheck "
assert len(rows) == 1 and rows[0]['reject'] == 'malformed' and rows[0]['detail'], rows
"
pass "broken JSON: one reject object"

# --- SenML -------------------------------------------------------------------
# bt 1732600000: pm25 at bt, temp at bt + 60 s (05:47:40Z), pres 101.0 kPa at
# bt is 1010 hPa; "Cel" is the profile's degC.
cat >"$T/pack.json" <<'JSON'
[{"bn":"aqm-01:","bt":1732600000,"n":"pm25","u":"ug/m3","v":22},
 {"n":"temp","u":"Cel","v":12.5,"t":60},
 {"n":"pres","u":"kPa","v":101.0}]
JSON
decode --topic xh/air/xujiahui/aqm-01 "$T/pack.json"
[ "$RC" = 0 ] || fail "SenML exits $RC: $(cat "$T/out")"
has "temp           -> temp = 12.5 degC  at 2024-11-26T05:47:40Z (2024-11-26T13:47:40+08:00)"
has "pres           -> pres = 1010 hPa"
decode --topic xh/air/xujiahui/aqm-01 --json "$T/pack.json"
[ "$RC" = 0 ] || fail "SenML --json exits $RC"
jcheck "
assert by('pm25')['ts'] == 1732600000000 and close(by('pm25')['value'], 22)
assert by('temp')['ts'] == 1732600060000 and by('temp')['unit'] == 'degC'
assert close(by('pres')['value'], 1010) and by('pres')['unit'] == 'hPa'
assert all(r['device'] == 'aqm-01' for r in rows)
"
pass "SenML on a topic: bt + t, units converted (Cel, kPa -> hPa)"

# Two devices in one pack (two base names), no topic: the decoder alone.
# The second record's t = -5 is relative to the receive time (< 2**28).
cat >"$T/two.json" <<'JSON'
[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1732600000,"n":"temp","u":"Cel","v":23.1},
 {"bn":"urn:dev:ow:10e2073a01080064:","bt":0,"n":"temp","u":"Cel","v":24.0,"t":-5}]
JSON
before=$(date +%s)
decode --json "$T/two.json"
after=$(date +%s)
[ "$RC" = 0 ] || fail "pack without topic exits $RC"
jcheck "
assert len(rows) == 2 and all('metric' not in r and r['name'] == 'temp' for r in rows), rows
a, b = rows
assert a['device'] == 'urn:dev:ow:10e2073a01080063' and close(a['value'], 23.1), a
assert a['unit'] == 'Cel' and a['ts'] == 1732600000000, a
assert b['device'] == 'urn:dev:ow:10e2073a01080064' and close(b['value'], 24.0), b
assert ($before - 5) * 1000 - 1000 <= b['ts'] <= ($after - 5) * 1000 + 1000, b
"
decode "$T/two.json"
[ "$RC" = 0 ] || fail "pack without topic, text, exits $RC"
has "decoder   auto (the format's decoder alone, no profile)"
has "urn:dev:ow:10e2073a01080063 temp = 23.1 Cel  at 2024-11-26T05:46:40Z"
pass "no topic: the decoder's own view (device, name, unit as sent, times)"

# Unmatched topic: the decoder's view, then the reject.
decode --topic other/thing --json "$T/pack.json"
[ "$RC" = 1 ] || fail "unmatched topic exits $RC"
jcheck "
assert [r['name'] for r in rows[:3]] == ['pm25', 'temp', 'pres'], rows
assert rows[3] == {'reject': 'unmatched_topic', 'detail': \"no device profile matches topic 'other/thing'\"}
"
decode --topic other/thing "$T/pack.json"
has "reject    unmatched_topic: no device profile matches topic 'other/thing'"
has "aqm-01 pres = 101 kPa"
pass "unmatched topic: what the decoder found, rejected as unmatched_topic"

# --format chooses the decoder: a SenML array is no flat JSON object.
decode --format json --json "$T/pack.json"
[ "$RC" = 1 ] || fail "--format json on SenML exits $RC"
jcheck "assert len(rows) == 1 and rows[0]['reject'] == 'malformed', rows"
pass "--format json reads the payload as flat JSON"

# --- HJ 212 ------------------------------------------------------------------
PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$T" <<'PY' || fail "packet builder"
import sys
from hj212_client import crc as crc_hj212, frame
T = sys.argv[1]

def write(name, data):
    open(f"{T}/{name}", "wb").write(data)

# DataTime with milliseconds: 2024-11-26 07:00:00.123 Beijing time.
air = ("QN=20241126080000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
       "CP=&&DataTime=20241126070000123;a34004-Avg=35.0,a34004-Flag=N;a01006-Avg=101.3,a01006-Flag=N&&")
write("air.pkt", frame(air))
write("air_badcrc.pkt", frame(air)[:-6] + b"%04X\r\n" % (crc_hj212(air.encode()) ^ 0x0101))
rtd = ("QN=20241126080000002;ST=32;CN=2011;PW=123456;MN=LOGGER0001;Flag=4;"
       "CP=&&DataTime=20241126075500;a34004-Rtd=41.5,a34004-Flag=N&&")
write("modbus.pkt", frame(rtd, "modbus"))
write("modbus_swapped.pkt", frame(rtd, "swapped"))
# The same data as the air station's, but checksummed with Modbus.
write("air_modbus.pkt", frame(air, "modbus"))
# Commands without data: a restart notice asking for an answer, a reply.
restart = ("QN=20241126080000010;ST=22;CN=2081;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
           "CP=&&RestartTime=20241126075900&&")
write("restart.pkt", frame(restart))
ack = "QN=20241126080000011;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
write("ack.pkt", frame(ack))
part = ("QN=20241126090000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
        "PNUM=2;PNO=1;CP=&&DataTime=20241126090000;a34004-Avg=40.0,a34004-Flag=N&&")
write("part.pkt", frame(part))
PY

decode --topic hj212/22/010000A8900016F000169DC0 "$T/air.pkt"
[ "$RC" = 0 ] || fail "HJ 212 exits $RC: $(cat "$T/out" "$T/err")"
has "device    010000A8900016F000169DC0 (registry: site xujiahui, profile air-station)"
has "2024-11-25T23:00:00.123Z (2024-11-26T07:00:00.123+08:00)"
has "hj212_datatime_ms"
has "a01006-Avg     -> pres = 1013 hPa"
has "flag N"
decode --topic hj212/22/010000A8900016F000169DC0 --json "$T/air.pkt"
[ "$RC" = 0 ] || fail "HJ 212 --json exits $RC"
jcheck "
p = by('pm25')
assert p['device'] == '010000A8900016F000169DC0' and close(p['value'], 35.0), p
assert p['ts'] == 1732575600123 and p['flag'] == 'N' and p['unit'] == 'ug/m3', p
assert close(by('pres')['value'], 1013.0)
"
pass "HJ 212 with a millisecond DataTime: UTC+8 -> UTC, kPa -> hPa, flag, registry"

decode --topic hj212/22/010000A8900016F000169DC0 --json "$T/air_badcrc.pkt"
[ "$RC" = 1 ] || fail "bad CRC exits $RC"
jcheck "assert len(rows) == 1 and rows[0]['reject'] == 'bad_checksum' and rows[0]['detail'], rows"
decode --topic hj212/22/010000A8900016F000169DC0 "$T/air_badcrc.pkt"
has "reject    bad_checksum: auto decoder: CRC is"
decode --topic hj212/22/010000A8900016F000169DC0 --json "$T/air_modbus.pkt"
[ "$RC" = 1 ] || fail "a Modbus CRC under profile hj212_crc: hj212 exits $RC"
pass "HJ 212 bad CRC, and a Modbus CRC under the default mode: bad_checksum, exit 1"

decode --topic hj212/32/LOGGER0001 --json "$T/modbus.pkt"
[ "$RC" = 0 ] || fail "Modbus CRC under hj212_crc: modbus exits $RC: $(cat "$T/out")"
# DataTime 2024-11-26 07:55:00 Beijing = 2024-11-25T23:55:00Z = 1732578900 s
jcheck "
p = by('pm25'); assert close(p['value'], 41.5) and p['ts'] == 1732578900000, p
assert p['device'] == 'LOGGER0001'
"
decode --topic hj212/32/LOGGER0001 --json "$T/modbus_swapped.pkt"
[ "$RC" = 1 ] || fail "swapped Modbus CRC under hj212_crc: modbus exits $RC"
jcheck "assert rows[0]['reject'] == 'bad_checksum', rows"
decode "$T/modbus_swapped.pkt"
[ "$RC" = 0 ] || fail "no topic: any CRC mode is accepted, exit $RC"
has "hj212_crc_modbus_swapped"
has "LOGGER0001 a34004-Rtd = 41.5  at 2024-11-25T23:55:00Z (2024-11-26T07:55:00+08:00)  flag N"
pass "CRC modes: modbus profile accepts Modbus, refuses swapped; no topic names the mode"

# Commands that carry no data, on the listener's topics: counted, answered, never rejects.
decode --topic hj212/22/010000A8900016F000169DC0 --json "$T/restart.pkt"
[ "$RC" = 0 ] || fail "2081 exits $RC: $(cat "$T/out")"
PYTHONPATH="$SRC_DIR/tests/integration" python3 - "$T/out" <<'PY' || fail "2081 reply: $(cat "$T/out")"
import json, sys
from hj212_client import crc as crc_hj212
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1 and rows[0]["command"] == 2081 and rows[0]["note"] == "hj212_upload_cmd", rows
reply = rows[0]["reply"].encode()
body = reply[6:-4]
assert reply.startswith(b"##%04d" % len(body)) and reply[-4:] == b"%04X" % crc_hj212(body), reply
assert b"QN=20241126080000010;" in body and b";CN=9014;" in body and b"ST=91;" in body, reply
PY
decode --topic hj212/22/010000A8900016F000169DC0 "$T/ack.pkt"
[ "$RC" = 0 ] || fail "9014 from a device exits $RC"
has "counts it as hj212_reply_cmd"
has "reply     none (a reply is never answered)"
decode --topic hj212/22/010000A8900016F000169DC0 "$T/part.pkt"
[ "$RC" = 0 ] || fail "a split part with its own DataTime exits $RC"
has "split     part PNO=1 of PNUM=2: the TCP listener holds it until every part"
pass "HJ 212 commands without data: the listener's note and answer (9014 with its own CRC); split parts"

# standard input
RC=0
"$COLLECTOR" decode -c "$T/collector.yaml" --topic hj212/22/010000A8900016F000169DC0 --json - \
  <"$T/air.pkt" >"$T/out" || RC=$?
[ "$RC" = 0 ] || fail "stdin exits $RC"
jcheck "assert by('pm25')['ts'] == 1732575600123"
pass "payload from standard input"

# --- usage -------------------------------------------------------------------
usage_rc() { # expected-rc args...
  local want=$1 rc=0
  shift
  "$COLLECTOR" decode "$@" >/dev/null 2>"$T/err" || rc=$?
  [ "$rc" = "$want" ] || fail "decode $* exits $rc, expected $want"
}
usage_rc 2 -c "$T/collector.yaml"
usage_rc 2 -c "$T/collector.yaml" "$T/ok.json" "$T/bad.json"
usage_rc 2 -c "$T/collector.yaml" --format xml "$T/ok.json"
usage_rc 2 "$T/ok.json"
usage_rc 2 -c "$T/collector.yaml" --bogus "$T/ok.json"
usage_rc 2 -c "$T/collector.yaml" "$T/no-such-file"
usage_rc 2 -c "$T/missing.yaml" "$T/ok.json"
usage_rc 0 --help
"$COLLECTOR" --help | grep -q "^  decode " || fail "decode not in collector --help"
pass "bad usage exits 2; --help; listed in collector --help"

[ ! -e "$T/collector.db" ] || fail "decode created the database"
pass "no database was created"

# devices.unknown: reject, and a device outside the registry
decode --set devices.unknown=reject --topic xh/air/xujiahui/aqm-01 --json "$T/ok.json"
[ "$RC" = 1 ] || fail "unknown device under devices.unknown: reject exits $RC"
jcheck "assert rows == [{'reject': 'unknown_device', 'detail': \"device 'aqm-01' is not in the registry\"}], rows"
pass "an unregistered device under devices.unknown: reject is an unknown_device reject"
