#!/usr/bin/env bash
# Delivery to a real Prometheus Alertmanager (API v2): a firing outbox entry
# appears with its labels and annotations; firing rows of the alerts table
# are re-posted, so the alert outlives Alertmanager's resolve_timeout; the
# resolved entry ends it. Alerts the channel does not route are not re-posted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/notify_lib.sh"
AM=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
[ -x "$AM" ] || fail "$AM not found: deploy/setup.sh installs prometheus-alertmanager"
AM_PORT=$(free_port)
mkdir -p "$T/am"
# resolve_timeout 6s: without the re-posts the alert would end within 6 s.
cat >"$T/am.yml" <<CONF
global:
  resolve_timeout: 6s
route:
  receiver: devnull
receivers:
  - name: devnull
CONF
"$AM" --config.file="$T/am.yml" --storage.path="$T/am" --web.listen-address="127.0.0.1:$AM_PORT" \
  --cluster.listen-address= --log.level=info >>"$T/alertmanager.log" 2>&1 &
PIDS+=("$!")
wait_port "$AM_PORT" || fail "alertmanager did not start"
http_get() { # URL: the body, or exit 1 unless the answer is 200
  python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" 2>/dev/null
}
for _ in $(seq 1 100); do
  http_get "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null && break
  sleep 0.1
done
am_alerts() { http_get "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true&silenced=true&inhibited=true"; }

start_broker
write_config \
  "alerts:" \
  "  channels:" \
  "    - {name: am, type: alertmanager, url: 'http://127.0.0.1:$AM_PORT/', repost: 2s," \
  "       generator_url: 'http://gw-xh-01.example:9464', severities: [major, critical]," \
  "       backoff_min: 200ms, backoff_max: 1s}"
start_collector

insert_alert 7 pm25_1h "site=xujiahui" firing critical xujiahui 180
insert_alert 8 noise_night "site=tianping" firing warning tianping 60
enqueue am firing 7 "$(event_json 7 firing pm25_1h critical xujiahui 180)"
for _ in $(seq 1 100); do
  am_alerts >"$T/am1.json" && grep -q pm25_1h "$T/am1.json" && break
  sleep 0.1
done
python3 - "$T/am1.json" <<'PY' || fail "alert in Alertmanager: $(cat "$T/am1.json")"
import json, sys
alerts = json.load(open(sys.argv[1]))
a = [x for x in alerts if x["labels"].get("alertname") == "pm25_1h"]
assert len(a) == 1, alerts
a = a[0]
l, an = a["labels"], a["annotations"]
assert l["severity"] == "critical" and l["site"] == "xujiahui" and l["domain"] == "air", l
assert l["device"] == "aq-xujiahui" and l["metric"] == "pm25" and l["gateway"] == "it-gw", l
assert l["team"] == "env-ops", l
assert an["summary"] == "PM2.5 hourly mean 180 ug/m3 at xujiahui is above 75", an
assert an["summary_zh"].startswith("xujiahui PM2.5 小时均值 180"), an
assert an["value"] == "180" and an["threshold"] == "75" and an["unit"] == "ug/m3", an
assert an["source"] == "GB 3095-2012 table 1" and an["runbook_url"] == "https://wiki/pm25", an
assert a["startsAt"].startswith("2024-11-26T00:00:00"), a["startsAt"]
assert a["generatorURL"] == "http://gw-xh-01.example:9464/alerts/7", a["generatorURL"]
assert a["status"]["state"] == "active", a["status"]
PY
pass "firing entry shows in Alertmanager with labels, annotations, startsAt, generatorURL"

# Re-posts keep it active past resolve_timeout (6 s), as the same alert.
updated=()
for _ in 1 2 3 4 5 6 7; do
  sleep 2
  am_alerts >"$T/am2.json" || fail "alertmanager query"
  u=$(python3 -c 'import json,sys
a=[x for x in json.load(open(sys.argv[1])) if x["labels"]["alertname"]=="pm25_1h"]
assert len(a)==1, a
print(a[0]["updatedAt"])' "$T/am2.json") || fail "pm25_1h not exactly once: $(cat "$T/am2.json")"
  updated+=("$u")
done
n_updates=$(printf '%s\n' "${updated[@]}" | sort -u | wc -l)
[ "$n_updates" -ge 3 ] || fail "only $n_updates distinct updatedAt: ${updated[*]}"
grep -q noise_night "$T/am2.json" && fail "a warning alert was re-posted to a major/critical channel"
pass "still active after 14 s (resolve_timeout 6 s): $n_updates re-posts seen; routing respected"

# Resolution: the alerts row ends and the resolved entry is delivered.
sql "UPDATE alerts SET state = 'resolved', ended_at = $NOW_MS WHERE id = 7"
enqueue am resolved 7 "$(event_json 7 resolved pm25_1h critical xujiahui 60 \
  "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)")"
wait_sql "select delivered_at is not null from outbox where channel = 'am' and event = 'resolved'" 1 ||
  fail "resolved entry not delivered"
am_alerts >"$T/am3.json" || fail "alertmanager query"
grep -q pm25_1h "$T/am3.json" && fail "still active after resolve: $(cat "$T/am3.json")"
sleep 3 # a re-post must not bring it back
am_alerts >"$T/am3.json" || fail "alertmanager query"
grep -q pm25_1h "$T/am3.json" && fail "active again after a re-post"
[ "$(jstat "['delivery']['am']['delivered']")" = 2 ] || fail "delivered count"
pass "resolved entry ends the alert in Alertmanager; no re-post after it"
stop_collector || fail "collector exit status"
