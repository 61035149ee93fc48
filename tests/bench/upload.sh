#!/usr/bin/env bash
# Upload benchmark (run on demand, never in CI): one local day of a fleet
# at one reading a minute — by default 200 devices x 6 metrics x 1440
# minutes = 1,728,000 readings — written straight into a fresh database and
# rolled up, then exported and PUT by the daemon's upload thread to a local
# nginx (WebDAV). Reports the time of the export alone (`collector upload
# --output`), the time and bytes of the upload, and the daemon's peak RSS
# (VmHWM) while uploading next to the same daemon idle on the same database.
# Run it with -d 50 as well: memory must not grow with the day's size.
#   usage: tests/bench/upload.sh [-d DEVICES] [-b BUILD_DIR]
set -euo pipefail
DEVICES=200
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
while getopts "d:b:" o; do
  case $o in
    d) DEVICES=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    *) exit 2 ;;
  esac
done
COLLECTOR=$BUILD/collector/collector
[ -x "$COLLECTOR" ] || { echo "bench: $COLLECTOR missing; build first" >&2; exit 2; }
command -v nginx >/dev/null || { echo "bench: nginx missing (deploy/setup.sh)" >&2; exit 2; }
T=$(mktemp -d /tmp/collector-bench-upload.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
calc() { python3 -c "print($1)"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BROKER_PORT=$(port)
POOL_PORT=$(port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$BROKER_PORT" >"$T/mosquitto.conf"
[ "$(id -u)" = 0 ] && echo "user root" >>"$T/mosquitto.conf"
mosquitto -c "$T/mosquitto.conf" >"$T/broker.log" 2>&1 &
PIDS+=($!)
mkdir -p "$T/www/pool" "$T/tmp"
cat >"$T/nginx.conf" <<CONF
daemon off;
master_process off;
$([ "$(id -u)" = 0 ] && echo "user root;")
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $T/tmp/body;
  proxy_temp_path $T/tmp/proxy;
  fastcgi_temp_path $T/tmp/fastcgi;
  uwsgi_temp_path $T/tmp/uwsgi;
  scgi_temp_path $T/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$POOL_PORT;
    root $T/www;
    location /pool/ { dav_methods PUT; create_full_put_path on; }
  }
}
CONF
nginx -c "$T/nginx.conf" -p "$T" 2>"$T/nginx.log" &
PIDS+=($!)

cat >"$T/c.yaml" <<CONF
gateway: {id: bench-gw}
mqtt: {host: 127.0.0.1, port: $BROKER_PORT, client_id: bench-upload}
storage: {path: $T/c.db, retention: {raw: 0, hourly: 0}}
devices: {profiles: $ROOT/devices/profiles, unknown: register}
upload: {url: "http://127.0.0.1:$POOL_PORT/pool", jitter: 0}
log: {level: info}
CONF
DAY=2024-11-26
T0=$(TZ=Asia/Shanghai date -d "$DAY 00:00" +%s)000
"$COLLECTOR" rollup -c "$T/c.yaml" --set upload.url= >/dev/null # creates the schema
s=$(date +%s%N)
sqlite3 "$T/c.db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO metrics(name, unit) VALUES ('pm25', 'ug/m3'), ('pm10', 'ug/m3'), ('so2', 'ug/m3'),
  ('no2', 'ug/m3'), ('co', 'mg/m3'), ('o3', 'ug/m3');
WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < $DEVICES - 1)
INSERT INTO devices(name, site, profile, source)
  SELECT printf('bench-%03d', i), printf('site-%02d', i / 10), 'air-station', 'registry' FROM d;
WITH RECURSIVE m(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM m WHERE k < 1439)
INSERT INTO readings(ts, device_id, metric_id, value, flags)
  SELECT $T0 + k * 60000, dev.id, met.id, round(10 + met.id * 8 + (abs(random()) % 2000) / 100.0, 1), 0
  FROM m, devices dev, metrics met ORDER BY 1, 2, 3;
INSERT INTO dirty_hours(hour, device_id) SELECT DISTINCT ts / 3600000 * 3600000, device_id FROM readings;
COMMIT;
SQL
n=$(sqlite3 "$T/c.db" "select count(*) from readings")
printf 'day %s: %s devices, %s readings written in %.1f s; rolling up...\n' "$DAY" "$DEVICES" "$n" \
  "$(calc "($(date +%s%N) - $s) / 1e9")"
"$COLLECTOR" rollup -c "$T/c.yaml" --set upload.url= >/dev/null
echo "database: $(du -m "$T/c.db" | cut -f1) MiB; $(nproc) cores, $(uname -m)"

# export alone, to a directory (peak RSS of the child from getrusage)
s=$(date +%s%N)
export_rss=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
  "$COLLECTOR" upload -c "$T/c.yaml" --day "$DAY" --output "$T/out")
export_s=$(calc "($(date +%s%N) - $s) / 1e9")
export_bytes=$(du -cb "$T"/out/bench-gw/2024/11/26/* | tail -1 | cut -f1)

hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# the daemon idle on this database (uploads off), then uploading the day
"$COLLECTOR" run -c "$T/c.yaml" --set upload.url= 2>"$T/idle.log" &
pid=$!
until grep -q "subscribed to" "$T/idle.log"; do sleep 0.1; done
sleep 5
idle=$(hwm_kb $pid)
kill -TERM $pid
wait $pid || true
"$COLLECTOR" run -c "$T/c.yaml" 2>"$T/run.log" &
pid=$!
until grep -q "upload: $DAY revision 1 delivered" "$T/run.log"; do
  kill -0 $pid 2>/dev/null || { cat "$T/run.log" >&2; exit 1; }
  sleep 0.2
done
busy=$(hwm_kb $pid)
kill -TERM $pid
wait $pid || true
line=$(grep "upload: $DAY revision 1 delivered" "$T/run.log")
bytes=$(sed -n 's/.*files, \([0-9]*\) bytes.*/\1/p' <<<"$line")
secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$line")
echo
printf '%-44s %s\n' "readings in the day" "$n"
printf '%-44s %.1f s, %s bytes (%.1f MiB), peak RSS %.1f MB\n' \
  "export to files (collector upload --output)" "$export_s" "$export_bytes" \
  "$(calc "$export_bytes / 1048576")" "$(calc "$export_rss / 1024")"
printf '%-44s %s s, %s bytes sent\n' "daemon: export + PUT of 12 files" "$secs" "$bytes"
printf '%-44s %.1f MB\n' "daemon idle, peak RSS" "$(calc "$idle / 1024")"
printf '%-44s %.1f MB (+%.1f MB)\n' "daemon uploading the day, peak RSS" "$(calc "$busy / 1024")" \
  "$(calc "($busy - $idle) / 1024")"
