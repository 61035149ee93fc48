#!/usr/bin/env bash
# The collector's demo, on one machine: installs what it needs, builds,
# starts a real mosquitto on a free loopback port and the collector, then
# runs a simulated district (air stations in Xuhui's 13 streets and towns)
# and replays a real station's year from the Beijing multi-site data set
# (mapped to the xujiahui site). Shows live counts while data flows, then
# the collector's own stats and a few stored readings. Everything runs under
# DEMO_DIR (default ./demo-out) and is stopped at the end; the files stay.
#   DEMO_DAYS=N   days of the replayed year to publish (default 365)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEMO_DIR=${DEMO_DIR:-$ROOT/demo-out}
DATA=${DATA_DIR:-$ROOT/../shared/data}/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
DAYS=${DEMO_DAYS:-365}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "setting up (Debian packages, build)"
bash deploy/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" 2>&1 | grep -E 'error|warning' || true
COLLECTOR=$ROOT/build/collector/collector
DEVSIM=$ROOT/build/devices/sim/devsim
[ -x "$COLLECTOR" ] && [ -x "$DEVSIM" ] || { echo "demo: build failed" >&2; exit 1; }
[ -f "$DATA" ] || { echo "demo: data set not found: $DATA" >&2; exit 1; }

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/broker"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|^listener 1883 127.0.0.1|listener $PORT 127.0.0.1|" \
  -e "s|^persistence_location .*|persistence_location $DEMO_DIR/broker/|" deploy/mosquitto.conf \
  >"$DEMO_DIR/broker/mosquitto.conf"
[ "$(id -u)" = 0 ] && echo "user root" >>"$DEMO_DIR/broker/mosquitto.conf"
say "starting mosquitto on 127.0.0.1:$PORT"
mosquitto -c "$DEMO_DIR/broker/mosquitto.conf" >"$DEMO_DIR/broker.log" 2>&1 &
PIDS+=($!)
sleep 0.5

cat >"$DEMO_DIR/collector.yaml" <<CONF
# Demo configuration (see docs/configuration.md for every key)
gateway: {id: xh-gw-demo, timezone: Asia/Shanghai}
mqtt: {host: 127.0.0.1, port: $PORT, client_id: xh-gw-demo-collector, topics: ["xh/#"]}
storage: {path: $DEMO_DIR/collector.db}
ingest: {max_future: 5m, max_age: 0}
devices:
  profiles: $ROOT/devices/profiles
  registry: $ROOT/deploy/registry.yaml
  unknown: register
http: {listen: ""}
CONF
"$COLLECTOR" check -c "$DEMO_DIR/collector.yaml"
say "starting the collector"
"$COLLECTOR" run -c "$DEMO_DIR/collector.yaml" 2>"$DEMO_DIR/collector.log" &
CPID=$!
PIDS+=($CPID)
until grep -q "subscribed to" "$DEMO_DIR/collector.log"; do sleep 0.1; done

say "publishing: 13 simulated stations (7 simulated days) + a replayed station year"
START=$(( $(date +%s) / 3600 * 3600 - 7 * 86400 ))
"$DEVSIM" fleet -h 127.0.0.1 -p "$PORT" -n 13 --interval 0 --count 168 --step 3600 \
  --start "$START" >"$DEMO_DIR/fleet.out" 2>"$DEMO_DIR/fleet.log" &
FLEET=$!
PIDS+=($FLEET)
TO=$(python3 -c "import datetime; print(datetime.date(2013,3,1) + datetime.timedelta(days=$DAYS))")
"$DEVSIM" replay -h 127.0.0.1 -p "$PORT" --csv "$DATA" --site xujiahui --device bj-aotizhongxin \
  --from 2013-03-01 --to "$TO" --max-rate >"$DEMO_DIR/replay.out" 2>"$DEMO_DIR/replay.log" &
REPLAY=$!
PIDS+=($REPLAY)
while kill -0 $FLEET 2>/dev/null || kill -0 $REPLAY 2>/dev/null; do
  sleep 1
  sqlite3 -cmd '.timeout 1000' "$DEMO_DIR/collector.db" \
    "select printf('  received %7d   stored %7d messages / %8d readings   duplicates %d', received, stored_messages, stored_readings, duplicates) from ingest_stats" 2>/dev/null || true
done
wait $FLEET $REPLAY || true
cat "$DEMO_DIR/fleet.out" "$DEMO_DIR/replay.out"
sleep 1

say "a few malformed messages (kept in the rejects table with their reasons)"
mosquitto_pub -p "$PORT" -q 1 -t xh/air/xujiahui/aqm-xujiahui -m '{"ts": 1732600000, "pm25": 23.4'
mosquitto_pub -p "$PORT" -q 1 -t xh/air/xujiahui/aqm-xujiahui -m '{"ts": 1732600000, "pm25": -7}'
mosquitto_pub -p "$PORT" -q 1 -t xh/air/xujiahui/aqm-xujiahui -m '{"ts": 1732600000, "pm25": "n/a"}'
mosquitto_pub -p "$PORT" -q 1 -t xh/lab/bench/x1 -m '{"ts": 1732600000, "pm25": 5}'
sleep 1
sqlite3 -cmd '.timeout 1000' -box "$DEMO_DIR/collector.db" \
  "select reason, detail from rejects order by id desc limit 4" 2>/dev/null ||
  sqlite3 "$DEMO_DIR/collector.db" "select reason, detail from rejects order by id desc limit 4"

say "collector stats"
"$COLLECTOR" stats -c "$DEMO_DIR/collector.yaml"

say "the replayed station's first day: PM2.5 and CO (CO converted from ug/m3 to mg/m3)"
"$COLLECTOR" query -c "$DEMO_DIR/collector.yaml" --device bj-aotizhongxin --metric pm25 \
  --from 2013-03-01 --to 2013-03-01T06:00
"$COLLECTOR" query -c "$DEMO_DIR/collector.yaml" --device bj-aotizhongxin --metric co \
  --from 2013-03-01 --to 2013-03-01T03:00

say "the simulated district, last hour (PM2.5 per street)"
"$COLLECTOR" query -c "$DEMO_DIR/collector.yaml" --metric pm25 --from $((START + 167 * 3600)) \
  --to $((START + 168 * 3600))

say "stopping (SIGTERM: the collector finishes its message and exits 0)"
kill -TERM $CPID
wait $CPID && echo "collector exited 0"
tail -n 2 "$DEMO_DIR/collector.log"
cat <<DONE

Demo finished. Files are in $DEMO_DIR:
  collector.db     the SQLite database (readings, devices, rejects, counters)
  collector.yaml   the configuration used
  collector.log    the daemon's log
  broker.log       mosquitto's log
Try: $COLLECTOR query -c $DEMO_DIR/collector.yaml --site xujiahui --metric pm25 --format csv | head
DONE
