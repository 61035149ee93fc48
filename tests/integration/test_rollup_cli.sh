#!/usr/bin/env bash
# `collector rollup` on a database with pending device-hours: on a terminal
# it shows its progress (device-hours done and pending, rate, time left) on
# stderr; piped, it prints its one result line and nothing else. Either way
# the statistics it computes are those the daemon computed.
. "$(dirname "$0")/lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
command -v script >/dev/null || fail "script(1) (util-linux) is needed for a terminal"
start_broker
write_config
start_collector --set storage.retention.hourly=0
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui \
  --from 2014-03-01 --to 2014-03-05 --max-rate >/dev/null 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" 96 60 || fail "not all 96 rows stored"
wait_stat "['rollup_pending']" 0 60 || fail "the daemon's rollups did not finish"
stop_collector || fail "collector did not stop cleanly"
sql "SELECT * FROM aqi_daily ORDER BY site, day" >"$T/daemon.txt"
[ "$(wc -l <"$T/daemon.txt")" = 4 ] || fail "expected 4 daily AQI rows from the daemon"

# every hour pending again
redo() {
  sql "DELETE FROM aqi_daily; INSERT OR IGNORE INTO dirty_hours(hour, device_id)
       SELECT DISTINCT hour, device_id FROM hourly"
  [ "$(sql "SELECT count(*) FROM dirty_hours")" = 96 ] || fail "96 device-hours pending"
}

redo
"$COLLECTOR" rollup -c "$T/collector.yaml" >"$T/out.txt" 2>"$T/err.txt" || fail "rollup (piped)"
[ "$(cat "$T/out.txt")" = "rollup: 96 device-hours recomputed" ] || fail "piped output: $(cat "$T/out.txt")"
[ ! -s "$T/err.txt" ] || fail "piped rollup wrote to stderr: $(cat "$T/err.txt")"
pass "piped: one result line, no progress"

redo
script -qec "'$COLLECTOR' rollup -c '$T/collector.yaml'" /dev/null >"$T/tty.txt" 2>&1 ||
  fail "rollup (terminal)"
tr '\r' '\n' <"$T/tty.txt" >"$T/tty-lines.txt"
grep -qE '^rollup: [0-9]+ device-hours done, [0-9]+ pending, [0-9]+/s' "$T/tty-lines.txt" ||
  fail "no progress line on a terminal: $(cat "$T/tty-lines.txt")"
grep -q '^rollup: 96 device-hours recomputed' "$T/tty-lines.txt" || fail "no result line on a terminal"
pass "terminal: progress (done, pending, rate) and the result line"

sql "SELECT * FROM aqi_daily ORDER BY site, day" >"$T/cli.txt"
diff "$T/daemon.txt" "$T/cli.txt" >/dev/null || fail "collector rollup computed other daily AQI rows"
pass "collector rollup recomputes the daemon's daily AQI rows exactly"
