#!/usr/bin/env bash
# Retention on a live gateway: with storage.retention.raw = 2d, a week of
# old readings (replayed late, as after an outage) must lose its raw rows
# within a minute while a live device keeps publishing every 0.5 s — the
# live device always leaves its open hour pending for the rollups, which
# must not hold back the pruning of days long complete — and the old days
# keep their daily statistics.
. "$(dirname "$0")/lib.sh"
RAW_RETENTION=config
start_broker
write_config
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 2d}}|' "$T/collector.yaml"
start_collector

# the live device, from now on
(
  i=0
  while :; do
    pub xh/air/xujiahui/live-01 "{\"pm25\": $((20 + i % 7))}" 0 || true
    i=$((i + 1))
    sleep 0.5
  done
) &
PIDS+=($!)

# a week of hourly readings, 9 to 3 days old: all in days before the cutoff
now=$(date +%s)
first=$(((now - 9 * 86400) / 3600 * 3600))
: >"$T/week.jsonl"
for h in $(seq 0 $((6 * 24 - 1))); do
  echo "{\"ts\": $((first + h * 3600)), \"pm25\": $((10 + h % 24)), \"pm10\": $((30 + h % 5))}" >>"$T/week.jsonl"
done
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t xh/air/xujiahui/aqm-02 -l <"$T/week.jsonl" ||
  fail "publish the old week"
old_dev="(SELECT id FROM devices WHERE name = 'aqm-02')"
for _ in $(seq 1 300); do
  [ "$(sql "SELECT count(*) FROM days WHERE raw_pruned = 1")" -ge 6 ] && break
  sleep 0.2
done
live=$(sql "SELECT count(*) FROM readings WHERE device_id = (SELECT id FROM devices WHERE name = 'live-01')")
[ "$live" -gt 0 ] || fail "the live device stored nothing"
t0=$SECONDS
for _ in $(seq 1 600); do
  [ "$(sql "SELECT count(*) FROM readings WHERE device_id = $old_dev")" = 0 ] && break
  sleep 0.1
done
left=$(sql "SELECT count(*) FROM readings WHERE device_id = $old_dev")
[ "$left" = 0 ] || fail "$left raw readings of the old week still there after a minute"
note "old raw days pruned (waited $((SECONDS - t0)) s after the days were marked)"
# the premise: the live device's open hour waits for the rollups meanwhile
[ "$(sql "SELECT count(*) FROM dirty_hours")" -gt 0 ] || fail "no hour pending: not a live gateway"
for _ in $(seq 1 100); do
  live2=$(sql "SELECT count(*) FROM readings WHERE device_id = (SELECT id FROM devices WHERE name = 'live-01')")
  [ "$live2" -gt "$live" ] && break
  sleep 0.1
done
[ "$live2" -gt "$live" ] || fail "the live device stopped storing ($live then $live2)"
pass "a week of old raw readings pruned while a live device publishes every 0.5 s"

# their statistics stay: 6 days of hourly and daily rows for the old device
nd=$(sql "SELECT count(DISTINCT day) FROM daily WHERE device_id = $old_dev")
[ "$nd" -ge 6 ] || fail "daily statistics of the old week: $nd days"
nh=$(sql "SELECT count(*) FROM hourly h JOIN metrics m ON m.id = h.metric_id
          WHERE h.device_id = $old_dev AND m.name = 'pm25'")
[ "$nh" = 144 ] || fail "hourly pm25 statistics of the old week: $nh, not 144"
# one hour worked by hand: the first, pm25 = 10 + 0 = 10
h0=$(sql "SELECT mean FROM hourly h JOIN metrics m ON m.id = h.metric_id
          WHERE h.device_id = $old_dev AND m.name = 'pm25' AND h.hour = ${first}000")
[ "$h0" = 10.0 ] || fail "first hour's pm25 mean: '$h0', not 10.0"
pass "the pruned days keep their hourly and daily statistics"
