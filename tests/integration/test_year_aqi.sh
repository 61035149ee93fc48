#!/usr/bin/env bash
# One station year through the real broker and daemon, checked against an
# independent oracle. devsim replays Aotizhongxin 2014 (8760 hourly rows) as
# site xujiahui; once the daemon has stored every row and finished its
# rollups, its daily AQI series (HJ 633-2012: aqi, level, primary pollutant
# for all 365 days) and its 2014 report (PM2.5 annual mean and validity,
# good-day ratio, the PM2.5 < 35 target, rule editions) must equal what
# oracle_aqi2012.py computes from the CSV alone, with exact fractions and no
# product code. Part 2: the first 10 days published again into a fresh
# database, shuffled and every message twice, must give the same daily rows,
# and re-sending day 5 after the rollups finished must change nothing.
. "$(dirname "$0")/lib.sh"
ORACLE=$(cd "$(dirname "$0")" && pwd)/oracle_aqi2012.py
oracle() { python3 "$ORACLE" "$@"; }
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
TABLE=${STANDARDS_DIR:-$DATA_DIR/../standards}/hj633_iaqi.csv
SITE=xujiahui
TOPIC=xh/air/$SITE/replay-aotizhongxin
FROM=2014-01-01 TO=2015-01-01 TO10=2014-01-11
[ -f "$CSV" ] || fail "data set not found at $CSV"
[ -f "$TABLE" ] || fail "HJ 633-2012 Table 1 not found at $TABLE"

# --- the oracle, on its own --------------------------------------------------
oracle selftest "$TABLE" || fail "oracle self-test (README vectors and worked examples)"
oracle compute "$TABLE" "$CSV" "$FROM" "$TO" "$T/oracle.json" || fail "oracle"
n_rows=$(oracle count "$CSV" "$FROM" "$TO")
[ "$n_rows" -gt 8000 ] || fail "only $n_rows rows of 2014 in $CSV"

# --- part 1: the year, in order ----------------------------------------------
# The 2014 data are far older than the default retention (raw 30 d, hourly
# 5 years): keep everything, so that no pruning pass races the rollups or
# turns the late re-send below into "late data for a pruned day".
KEEP=(--set storage.retention.raw=0 --set storage.retention.hourly=0)
start_broker
write_config
start_collector "${KEEP[@]}"
t0=$SECONDS
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site "$SITE" \
  --from "$FROM" --to "$TO" --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" "$n_rows" 120 || fail "not all $n_rows rows of 2014 stored"
note "replayed and stored $n_rows rows in $((SECONDS - t0)) s"
t1=$SECONDS
wait_stat "['rollup_pending']" 0 120 || fail "rollups of 2014 did not finish"
note "rollups done in $((SECONDS - t1)) s"

"$COLLECTOR" query -c "$T/collector.yaml" --series aqi_daily --site "$SITE" --from "$FROM" \
  --to "$TO" --format csv >"$T/aqi_daily.csv" 2>>"$T/query.log" || fail "query --series aqi_daily"
oracle check-daily "$T/oracle.json" "$T/aqi_daily.csv" "$FROM" "$TO" ||
  fail "daily AQI series of 2014 differs from the oracle"
pass "daily AQI, level and primary pollutant of all 365 days of 2014 match the oracle"

"$COLLECTOR" report -c "$T/collector.yaml" --year 2014 --site "$SITE" --format json \
  >"$T/report.json" 2>>"$T/query.log" || fail "report --year 2014"
oracle check-report "$T/oracle.json" "$T/report.json" "$SITE" ||
  fail "2014 report differs from the oracle"
pass "2014 report: PM2.5 annual mean, valid days, good-day ratio and target match the oracle"

# --- part 2: the first 10 days shuffled, each message twice, fresh database ---
stop_collector || fail "collector did not stop cleanly"
rm -f "$T"/collector.db*
start_collector "${KEEP[@]}"
seed=${AQI_SHUFFLE_SEED:-$((RANDOM * 32768 + RANDOM))}
note "shuffle seed $seed (AQI_SHUFFLE_SEED=$seed to repeat)"
oracle payloads "$CSV" "$FROM" "$TO10" >"$T/days10.jsonl"
oracle payloads "$CSV" "$FROM" "$TO10" --shuffle-dup "$seed" >"$T/shuffled.jsonl"
n10=$(wc -l <"$T/days10.jsonl")
[ "$(wc -l <"$T/shuffled.jsonl")" = $((2 * n10)) ] || fail "shuffled payloads"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$TOPIC" -l <"$T/shuffled.jsonl" ||
  fail "mosquitto_pub of the shuffled days"
wait_stat "['received']" $((2 * n10)) 60 || fail "not all $((2 * n10)) messages received"
[ "$(jstat "['stored_messages']")" = "$n10" ] || fail "stored $(jstat "['stored_messages']"), not $n10"
[ "$(jstat "['duplicates']")" = "$n10" ] || fail "duplicates $(jstat "['duplicates']"), not $n10"
wait_stat "['rollup_pending']" 0 60 || fail "rollups of the shuffled days did not finish"
"$COLLECTOR" query -c "$T/collector.yaml" --series aqi_daily --site "$SITE" --from "$FROM" \
  --to "$TO10" --format csv >"$T/aqi_10d.csv" 2>>"$T/query.log" || fail "query of 10 days"
oracle check-daily "$T/oracle.json" "$T/aqi_10d.csv" "$FROM" "$TO10" ||
  fail "daily AQI of the shuffled, duplicated days differs from the oracle"
oracle same-days "$T/aqi_daily.csv" "$T/aqi_10d.csv" "$FROM" "$TO10" ||
  fail "shuffled, duplicated days give other daily rows than the in-order year"
pass "$n10 rows shuffled and sent twice give the same daily rows as the in-order replay"

# day 5 again, after the rollups finished: all duplicates, nothing may change
oracle payloads "$CSV" 2014-01-05 2014-01-06 >"$T/day5.jsonl"
k=$(wc -l <"$T/day5.jsonl")
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$TOPIC" -l <"$T/day5.jsonl" ||
  fail "mosquitto_pub of day 5"
wait_stat "['received']" $((2 * n10 + k)) 60 || fail "late day 5 not received"
[ "$(jstat "['stored_messages']")" = "$n10" ] || fail "late duplicates were stored as new"
[ "$(jstat "['duplicates']")" = $((n10 + k)) ] || fail "late day 5 not counted as duplicates"
wait_stat "['rollup_pending']" 0 60 || fail "rollups after the late day 5 did not finish"
"$COLLECTOR" query -c "$T/collector.yaml" --series aqi_daily --site "$SITE" --from "$FROM" \
  --to "$TO10" --format csv >"$T/aqi_10d_late.csv" 2>>"$T/query.log" || fail "query after day 5"
oracle same-days "$T/aqi_10d.csv" "$T/aqi_10d_late.csv" "$FROM" "$TO10" ||
  fail "re-sending day 5 after the rollups changed the daily rows"
pass "re-sending day 5 ($k rows) after the rollups changes nothing"
