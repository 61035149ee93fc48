#!/usr/bin/env bash
# Tiered retention: raw readings older than storage.retention.raw are
# removed (with uploads off; test_upload covers "only once uploaded"),
# hourly and daily statistics stay; late data for a pruned day is merged
# into the kept statistics instead of replacing them.
. "$(dirname "$0")/lib.sh"
RAW_RETENTION=config
start_broker
write_config "rollup: {interval: 200ms}"
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 2d}}|' "$T/collector.yaml"
start_collector
now=$(date +%s)
old=$(( (now - 5 * 86400) / 3600 * 3600 ))   # an hour five days ago
recent=$(( (now - 3600) / 3600 * 3600 ))
pub xh/air/xujiahui/aqm-01 "{\"ts\": $old, \"pm25\": 10}"
pub xh/air/xujiahui/aqm-01 "{\"ts\": $((old + 1800)), \"pm25\": 20}"
pub xh/air/xujiahui/aqm-01 "{\"ts\": $recent, \"pm25\": 33}"
wait_stat "['stored_readings']" 3 || fail "stored"
for _ in $(seq 1 100); do
  [ "$(sql "select count(*) from readings where ts < ${recent}000")" = 0 ] && break
  sleep 0.1
done
[ "$(sql "select count(*) from readings where ts < ${recent}000")" = 0 ] || fail "old raw readings not removed"
[ "$(sql "select count(*) from readings")" = 1 ] || fail "recent reading removed"
h=$(sql "select n || ' ' || mean from hourly where hour = ${old}000")
[ "$h" = "2 15.0" ] || fail "hourly statistics of the pruned day: '$h'"
# the old reading's local day (the gateway's zone, UTC+8) is marked; the day
# before it may be too when the reading falls before 06:00 (its noise night)
old_day=$(TZ=Asia/Shanghai date -d "@$old" +%F)
[ "$(sql "select raw_pruned from days where day = '$old_day'")" = 1 ] || fail "day $old_day not marked pruned"
[ "$(sql "select count(*) from days where raw_pruned = 1 and day > '$old_day'")" = 0 ] ||
  fail "a day after $old_day marked pruned"
pass "raw readings older than 2 days removed; hourly statistics kept (n=2, mean 15)"

# late reading for the pruned hour: merged, n=3, mean = (15*2 + 60)/3 = 30
pub xh/air/xujiahui/aqm-01 "{\"ts\": $((old + 2700)), \"pm25\": 60}"
for _ in $(seq 1 100); do
  [ "$(sql "select n from hourly where hour = ${old}000")" = 3 ] && break
  sleep 0.1
done
h=$(sql "select n || ' ' || mean from hourly where hour = ${old}000")
[ "$h" = "3 30.0" ] || fail "late data not merged: '$h'"
[ "$(sql "select count(*) from readings where ts < ${recent}000")" = 0 ] || fail "late raw reading kept"
d=$(sql "select round(mean, 6) from site_daily sd join metrics m on m.id = sd.metric_id
         where m.name = 'pm25' and day = '$old_day'")
[ "$d" = 30.0 ] || fail "daily mean not recomputed from merged hour: '$d'"
pass "late data for a pruned day merged into its statistics (n=3, mean 30)"
