#!/usr/bin/env bash
# The collector's demo, on one machine, in a few minutes. It installs what it
# needs, builds, and starts real servers on free loopback ports: mosquitto
# (the broker), nginx with WebDAV (standing in for the district data pool),
# a webhook receiver (standing in for the ops centre), and the collector.
# Then a simulated district — air, water, noise and waste sensors across
# Xuhui's 13 streets and towns, with a haze episode and a river discharge —
# and a replayed real station year (Beijing multi-site data, mapped to the
# xujiahui site) flow in. Alerts are shown as they reach the ops centre; at
# the end: stats, active alerts, the compliance report (text and HTML), and
# a day uploaded to the data pool. Everything is stopped at the end; the
# files stay in DEMO_DIR (default ./demo-out).
#   DEMO_DAYS=N   simulated days of the district (default 5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
D=${DEMO_DIR:-$ROOT/demo-out}
DATA=${DATA_DIR:-$ROOT/../shared/data}/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
DAYS=${DEMO_DAYS:-5}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

say "setting up (Debian packages, build)"
bash deploy/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" 2>&1 | grep -E 'error|warning' || true
C=$ROOT/build/collector/collector
SIM=$ROOT/build/devices/sim/devsim
[ -x "$C" ] && [ -x "$SIM" ] || { echo "demo: build failed" >&2; exit 1; }
[ -f "$DATA" ] || { echo "demo: data set not found: $DATA" >&2; exit 1; }

rm -rf "$D"
mkdir -p "$D/broker" "$D/pool/www/pool" "$D/pool/tmp"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
ROOTUSER=""
[ "$(id -u)" = 0 ] && ROOTUSER=1

# --- servers -----------------------------------------------------------
MQ=$(free_port) POOL=$(free_port) HOOK=$(free_port)
sed -e "s|^listener 1883 127.0.0.1|listener $MQ 127.0.0.1|" \
  -e "s|^persistence_location .*|persistence_location $D/broker/|" deploy/mosquitto.conf \
  >"$D/broker/mosquitto.conf"
[ -n "$ROOTUSER" ] && echo "user root" >>"$D/broker/mosquitto.conf"
mosquitto -c "$D/broker/mosquitto.conf" >"$D/broker.log" 2>&1 &
PIDS+=($!)

# The collector refuses a secret file that others than its owner may read.
write_secret() {
  (umask 077 && printf '%s\n' "$2" >"$1")
  chmod 600 "$1"
}
write_secret "$D/pool-password" demo-pool-password
printf 'xh-gw-demo:%s\n' "$(openssl passwd -apr1 demo-pool-password)" >"$D/pool/htpasswd"
cat >"$D/pool/nginx.conf" <<CONF
daemon off;
master_process off;
${ROOTUSER:+user root;}
pid $D/pool/nginx.pid;
error_log $D/pool/error.log;
events { worker_connections 64; }
http {
  access_log $D/pool/access.log;
  client_body_temp_path $D/pool/tmp/body;
  proxy_temp_path $D/pool/tmp/proxy;
  fastcgi_temp_path $D/pool/tmp/fastcgi;
  uwsgi_temp_path $D/pool/tmp/uwsgi;
  scgi_temp_path $D/pool/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$POOL;
    root $D/pool/www;
    location /pool/ {
      auth_basic "district data pool";
      auth_basic_user_file $D/pool/htpasswd;
      dav_methods PUT;
      create_full_put_path on;
    }
  }
}
CONF
nginx -c "$D/pool/nginx.conf" -p "$D/pool" >"$D/nginx.log" 2>&1 &
PIDS+=($!)

write_secret "$D/webhook.secret" demo-webhook-secret
python3 "$ROOT/tests/integration/notify_sink.py" "$HOOK" "$D/ops-centre.jsonl" \
  --secret "$D/webhook.secret" >"$D/webhook.log" 2>&1 &
PIDS+=($!)
for p in $MQ $POOL $HOOK; do wait_port "$p" || { echo "demo: a server did not start" >&2; exit 1; }; done
echo "broker 127.0.0.1:$MQ   data pool http://127.0.0.1:$POOL/pool   ops webhook http://127.0.0.1:$HOOK"

# --- the collector -------------------------------------------------------
cat >"$D/collector.yaml" <<CONF
# Demo configuration; docs/configuration.md lists every key.
gateway: {id: xh-gw-demo, timezone: Asia/Shanghai}
mqtt: {host: 127.0.0.1, port: $MQ, client_id: xh-gw-demo-collector, topics: ["xh/#"]}
storage:
  path: $D/collector.db
  retention: {raw: 0, hourly: 0}   # keep everything: the demo replays 2014
ingest: {max_future: 5m, max_age: 0}
devices:
  profiles: $ROOT/devices/profiles
  registry: $ROOT/deploy/registry.yaml
  unknown: register
rules: {paths: [$ROOT/ruleset/rules]}
rollup: {interval: 1s}
alerts:
  channels:
    - name: ops-centre
      type: webhook
      url: http://127.0.0.1:$HOOK/alerts
      secret_file: $D/webhook.secret
      severities: [warning, major, critical]
upload:
  url: http://127.0.0.1:$POOL/pool
  auth: basic
  username: xh-gw-demo
  password_file: $D/pool-password
  at: "02:00"
http: {listen: ""}
CONF
"$C" check -c "$D/collector.yaml"
say "starting the collector"
"$C" run -c "$D/collector.yaml" 2>"$D/collector.log" &
CPID=$!
PIDS+=($CPID)
until grep -q "subscribed to" "$D/collector.log"; do sleep 0.1; done

say "publishing: a simulated district ($DAYS days, 4 domains, 13 streets, haze + river discharge) and a replayed station year"
START=$(( ($(date +%s) / 3600 - 24 * DAYS) * 3600 ))
"$SIM" district -h 127.0.0.1 -p "$MQ" --days "$DAYS" --start "$START" --episodes --seed 7 \
  >"$D/district.out" 2>"$D/district.log" &
DIST=$!
"$SIM" replay -h 127.0.0.1 -p "$MQ" --csv "$DATA" --site xujiahui --device bj-aotizhongxin \
  --from 2014-01-01 --to 2015-01-01 --max-rate >"$D/replay.out" 2>"$D/replay.log" &
REPL=$!
PIDS+=($DIST $REPL)
seen=0
stats() { "$C" stats -c "$D/collector.yaml" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
alerts = {"firing": 0, "resolved": 0, "reminder": 0}
latest = ""
try:
    for l in open(sys.argv[1]):
        r = json.loads(l)
        if r.get("failed"):
            continue
        b = json.loads(r["body"])
        alerts[b["state"]] = alerts.get(b["state"], 0) + 1
        latest = "%s %s" % (b["state"].upper(), b["message_en"][:90])
except FileNotFoundError:
    pass
d.update(alerts)
print("  received %(received)7d  stored %(stored_readings)8d readings  rejected %(rejected_total)d  rollup pending %(rollup_pending)5d  alerts sent: %(firing)d firing, %(resolved)d resolved" % d)
if latest:
    print("      latest: " + latest)' "$D/ops-centre.jsonl"; }
while kill -0 $DIST 2>/dev/null || kill -0 $REPL 2>/dev/null; do
  sleep 2
  stats || true
done
wait $DIST $REPL || true
cat "$D/district.out" "$D/replay.out" | sed 's/^/  /'
for _ in $(seq 1 180); do
  p=$("$C" stats -c "$D/collector.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rollup_pending"])')
  [ "$p" = 0 ] && break
  stats
  sleep 2
done
sleep 3

say "alerts received by the ops centre (webhook, HMAC-signed)"
python3 - "$D/ops-centre.jsonl" <<'PY' || true
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [json.loads(r["body"]) for r in rows if not r.get("failed")]
count = collections.Counter((e["rule"], e["state"]) for e in ev)
print("  %d notifications. By rule:" % len(ev))
for rule in sorted({r for r, _ in count}):
    print("    %-28s firing %4d  resolved %4d  reminders %3d" % (
        rule, count[(rule, "firing")], count[(rule, "resolved")], count[(rule, "reminder")]))
print("  The first firing of each rule:")
seen = set()
for e in ev:
    if e["state"] == "firing" and e["rule"] not in seen:
        seen.add(e["rule"])
        print("    [%s] %s" % (e["severity"], e["message_en"][:160]))
PY

say "active alerts (collector alerts)"
"$C" alerts -c "$D/collector.yaml" >"$D/alerts.txt" || true
head -n 15 "$D/alerts.txt"

say "collector stats"
"$C" stats -c "$D/collector.yaml"

say "a few derived series"
"$C" query -c "$D/collector.yaml" --series aqi_daily --site xujiahui --from 2014-01-01 --to 2014-01-06
"$C" query -c "$D/collector.yaml" --series water_class --site longhuagang --limit 5 2>/dev/null || true
"$C" query -c "$D/collector.yaml" --series noise_day_night --site xujiahui-road --limit 3 2>/dev/null || true

say "compliance report for the replayed year 2014 (xujiahui)"
"$C" report -c "$D/collector.yaml" --year 2014 --site xujiahui --format text
"$C" report -c "$D/collector.yaml" --year 2014 --format html --output "$D/report-2014.html"
"$C" report -c "$D/collector.yaml" --year "$(date +%Y)" --format html --output "$D/report-$(date +%Y).html"
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --disable-sync --user-data-dir="$D/chromium" \
    --screenshot="$D/report-2014.png" --window-size=1280,2200 "file://$D/report-2014.html" \
    >/dev/null 2>&1 || true
fi
echo "  HTML: $D/report-2014.html and $D/report-$(date +%Y).html${ROOTUSER:+}"
[ -f "$D/report-2014.png" ] && echo "  rendered by headless Chromium: $D/report-2014.png"

say "nightly upload of yesterday to the data pool (run by hand)"
YDAY=$(date -d yesterday +%F)
"$C" upload -c "$D/collector.yaml" --day "$YDAY" || true
Y=${YDAY//-//}
echo "  the pool received for $YDAY:"
(cd "$D/pool/www" && find "pool/xh-gw-demo/$Y" -type f 2>/dev/null | sort |
  while read -r f; do printf '    %-56s %9d bytes\n' "$f" "$(stat -c %s "$f")"; done)
echo "  days in the pool in all (the daemon also caught up on earlier days by itself):" \
  "$(find "$D/pool/www" -name manifest.json | wc -l)"
M=$(find "$D/pool/www/pool/xh-gw-demo/$Y" -name manifest.json -print -quit 2>/dev/null || true)
[ -n "$M" ] && python3 - "$M" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print("  manifest: gateway %s, day %s, revision %s, %d files, %d rows" % (
    m.get("gateway"), m.get("day"), m.get("revision"), len(m.get("files", [])),
    sum(f.get("rows", 0) for f in m.get("files", []))))
PY

say "stopping (SIGTERM: the collector finishes its message and exits 0)"
kill -TERM $CPID
wait $CPID && echo "  collector exited 0"
cat <<DONE

Demo finished. Files are in $D:
  collector.db        the SQLite database (readings, rollups, AQI, alerts, outbox, ledger)
  collector.yaml      the configuration used          collector.log   the daemon's log
  ops-centre.jsonl    every alert the ops centre received
  report-2014.html    the compliance report of the replayed year (open it in a browser)
  pool/www/pool/      what the district data pool received
Try: $C query -c $D/collector.yaml --series aqi_hourly --site tianping --limit 24
DONE
