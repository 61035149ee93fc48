#!/usr/bin/env bash
# The nightly upload against a real nginx (WebDAV PUT, basic auth) as the
# district data pool, with ten replayed days of a Beijing station and the
# clock simulated by `collector upload --now`:
#   - a day arrives complete: files read back, checksums, row counts and
#     every reading checked against the database and the manifest, every
#     NDJSON line parsed; the manifest is the last PUT;
#   - the pool is down for three nights, then back: the missed days arrive
#     in order, once each, and the ledger says so;
#   - 500 and 429 are retried later, 403 and 401 are configuration errors;
#   - nginx killed in the middle of a throttled transfer: the day is not
#     marked delivered and nothing partial lands; sent again afterwards;
#   - late data for a delivered day sends it again as revision 2;
#   - the daemon: disk nearly full drops the oldest delivered day's raw
#     data first (and says so), retention keeps undelivered days' raw data,
#     a 401 is not retried, SIGTERM interrupts a transfer without marking
#     the day, and a restart catches up the missed days.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/upload_lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
command -v nginx >/dev/null || fail "nginx is not installed (deploy/setup.sh installs it)"
POOL_PORT=$(free_port)
start_broker
write_config "rollup: {interval: 200ms}" "$(upload_yaml "$(POOL_URL)")"
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 0, hourly: 0}}|' "$T/collector.yaml"
# the daemon ingests with uploads off; `collector upload` runs them by hand
start_collector --set upload.url=
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui --limit 240 \
  --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" 240 || fail "not all 240 rows stored"
start_pool
P=$POOL_ROOT/pool/it-gw/2013/03

# ---- one day, complete ----
upload_run --now 2013-03-02T02:00 || fail "upload of 2013-03-01: $(cat "$T/upload.out")"
[ "$(ledger "state || ' ' || revision" 2013-03-01)" = "done 1" ] || fail "ledger: $(ledger state 2013-03-01)"
verify_day "$POOL_ROOT/pool" 2013-03-01 1 || fail "2013-03-01 as received differs"
puts=$(grep -c "^PUT /pool/it-gw/2013/03/01/.* 201 " "$POOL_LOG")
[ "$puts" = 12 ] || fail "$puts PUTs for 2013-03-01, expected 12 files"
grep "^PUT /pool/it-gw/2013/03/01/" "$POOL_LOG" | tail -1 | grep -q "/manifest.json 201" ||
  fail "the manifest was not the last PUT"
[ ! -e "$P/02" ] || fail "2013-03-02 sent before its night"
pass "2013-03-01 delivered: 12 files, checksums and rows match the manifest and the database"

# ---- the pool is down for three nights ----
stop_pool
for night in 03 04 05; do
  if upload_run --now "2013-03-${night}T02:00"; then fail "upload succeeded with the pool down"; fi
done
[ "$(ledger "state || ' ' || attempts" 2013-03-02)" = "failed 3" ] ||
  fail "2013-03-02 after three failed nights: $(ledger "state || ' ' || attempts" 2013-03-02)"
ledger last_error 2013-03-02 | grep -qi "connect" || fail "last error: $(ledger last_error 2013-03-02)"
[ -n "$(ledger next_attempt 2013-03-02)" ] || fail "no retry scheduled"
[ "$(sql "select count(*) from upload_ledger where day > '2013-03-02' and state <> 'pending'")" = 0 ] ||
  fail "a later day was tried while 2013-03-02 was failing"
[ "$(jstat "['upload']['failed_days']")" = 1 ] || fail "stats: failed_days"
[ "$(jstat "['upload']['failing_days']")" -ge 3 ] || fail "stats: failing_days"
start_pool
upload_run --now 2013-03-06T02:00 || fail "catch-up: $(cat "$T/upload.out")"
grep -q "2013-03-05: revision 1 delivered" "$T/upload.out" || fail "catch-up: $(cat "$T/upload.out")"
for d in 02 03 04 05; do
  verify_day "$POOL_ROOT/pool" "2013-03-$d" 1 || fail "2013-03-$d as received differs"
  n=$(grep -c "^PUT /pool/it-gw/2013/03/$d/.* 20[14] " "$POOL_LOG")
  [ "$n" = 12 ] || fail "2013-03-$d: $n successful PUTs, expected 12 (once each)"
done
order=$(grep -o "^PUT /pool/it-gw/2013/03/0[2-5]/manifest.json" "$POOL_LOG" | cut -d/ -f6 | tr '\n' ' ')
[ "$order" = "02 03 04 05 " ] || fail "manifests arrived as: $order"
[ "$(sql "select group_concat(day || ':' || state || ':' || attempts, ' ') from upload_ledger
          where day between '2013-03-02' and '2013-03-05'")" = \
  "2013-03-02:done:4 2013-03-03:done:1 2013-03-04:done:1 2013-03-05:done:1" ] ||
  fail "ledger after catch-up: $(sql "select day, state, attempts from upload_ledger")"
pass "pool down three nights: 2013-03-02..05 arrived in order, once each; ledger agrees"

# ---- status codes ----
for code in 500 429; do
  if upload_run --now 2013-03-07T02:00 --set upload.url="$(POOL_URL s$code)"; then fail "HTTP $code succeeded"; fi
  [ "$(ledger "state || ' ' || last_status" 2013-03-06)" = "failed $code" ] ||
    fail "after HTTP $code: $(ledger "state || ' ' || last_status" 2013-03-06)"
done
if upload_run --now 2013-03-07T02:00 --set upload.url="$(POOL_URL s403)"; then fail "403 succeeded"; fi
[ "$(ledger "state || ' ' || last_status" 2013-03-06)" = "config_error 403" ] || fail "after 403"
grep -q "CONFIGURATION ERROR" "$T/upload.out" || fail "403 not reported as a configuration error"
echo "wrong" >"$T/wrong-password"
if upload_run --now 2013-03-07T02:00 --set upload.password_file="$T/wrong-password"; then fail "401 succeeded"; fi
[ "$(ledger "state || ' ' || last_status" 2013-03-06)" = "config_error 401" ] || fail "after 401"
! grep -rq "pool-Secret-1\|wrong" "$T/upload.out" "$T/upload.log" || fail "a password was printed"
[ ! -e "$P/06/manifest.json" ] || fail "2013-03-06 marked complete on the pool after errors"
upload_run --now 2013-03-07T02:00 || fail "2013-03-06 after fixing the configuration"
verify_day "$POOL_ROOT/pool" 2013-03-06 1 || fail "2013-03-06 as received differs"
pass "500 and 429 retried later, 403 and 401 are configuration errors; delivered once fixed"

# ---- nginx killed mid-transfer ----
start_ts=$(TZ=Asia/Shanghai date -d "2013-03-07 08:00" +%s)
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n 15000 --devices 20 --site bulk \
  --start-ts "$start_ts" >"$T/bulk.out" 2>>"$T/devsim.log" || fail "bulk"
wait_stat "['stored_messages']" 15240 || fail "bulk not stored"
upload_run --now 2013-03-08T02:00 --set upload.max_rate=30000 &
up=$!
for _ in $(seq 1 200); do
  [ -n "$(ls "$T/pool/tmp/body" 2>/dev/null)" ] && break # nginx is receiving a body
  sleep 0.05
done
sleep 1
stop_pool
rc=0
wait $up || rc=$?
[ $rc = 1 ] || fail "upload killed mid-transfer exited $rc"
[ "$(ledger state 2013-03-07)" = failed ] || fail "ledger after the kill: $(ledger state 2013-03-07)"
[ ! -e "$P/07/manifest.json" ] && [ ! -e "$P/07/readings.ndjson.gz" ] ||
  fail "a partial day landed on the pool"
note "killed mid-transfer: $(ledger last_error 2013-03-07)"
start_pool
upload_run --now 2013-03-08T02:00 || fail "2013-03-07 after the restart"
verify_day "$POOL_ROOT/pool" 2013-03-07 1 || fail "2013-03-07 as received differs"
pass "pool killed mid-transfer: day not marked delivered, nothing partial; complete on retry"

# ---- late data: revision 2 ----
upload_run --now 2013-03-09T02:00 || fail "2013-03-08"
late=$(TZ=Asia/Shanghai date -d "2013-03-08 12:30" +%s)
pub xh/air/xujiahui/replay-aotizhongxin "{\"ts\": $late, \"pm25\": 42}"
for _ in $(seq 1 100); do
  [ "$(ledger changed_after_upload 2013-03-08)" = 1 ] && break
  sleep 0.1
done
[ "$(ledger changed_after_upload 2013-03-08)" = 1 ] || fail "late data did not mark 2013-03-08"
upload_run --now 2013-03-09T02:00 || fail "revision 2"
grep -q "2013-03-08: revision 2 delivered" "$T/upload.out" || fail "revision 2: $(cat "$T/upload.out")"
verify_day "$POOL_ROOT/pool" 2013-03-08 2 || fail "2013-03-08 revision 2 differs"
[ "$(ledger "revision || ' ' || changed_after_upload" 2013-03-08)" = "2 0" ] || fail "ledger revision"
pass "late data for a delivered day sent again as revision 2 (with the late reading)"

# ---- the daemon: disk nearly full, retention, catch-up after a restart ----
stop_collector || fail "collector exit"
DEAD=http://127.0.0.1:$(free_port)/pool
start_collector --set upload.url="$DEAD" --set upload.disk_reserve=100000GiB
for _ in $(seq 1 100); do
  grep -q "raw readings of 2013-03-01 dropped early" "$T/collector.log" && break
  sleep 0.1
done
grep -q "DATABASE NEARLY FULL.*dropping the raw readings of 2013-03-01" "$T/collector.log" ||
  fail "the full disk was not reported"
[ "$(sql "select raw_pruned from days where day = '2013-03-01'")" = 2 ] || fail "oldest day not dropped"
[ "$(sql "select count(*) from days where raw_pruned <> 0")" = 1 ] || fail "more than one day dropped"
"$COLLECTOR" stats -c "$T/collector.yaml" --set upload.disk_reserve=100000GiB --json >"$T/stats.json"
python3 -c "import json,sys; u=json.load(open(sys.argv[1]))['upload']
assert u['disk_low'] is True and u['emergency_pruned_days'] == 1, u" "$T/stats.json" ||
  fail "stats: $(cat "$T/stats.json")"
stop_collector || fail "collector exit"
pass "disk nearly full: said so, then dropped the oldest delivered day's raw data only"

start_collector --set upload.url="$DEAD" --set storage.retention.raw=1d
for _ in $(seq 1 100); do
  [ "$(sql "select count(*) from days where raw_pruned = 1")" = 7 ] && break
  sleep 0.1
done
[ "$(sql "select group_concat(day) from days where raw_pruned = 0 and day > '2013-03'")" = "2013-03-09,2013-03-10" ] ||
  fail "retention: $(sql "select day, raw_pruned from days")"
# retention may be done before the upload thread's first try: wait for it
for _ in $(seq 1 100); do
  [ "$(ledger state 2013-03-09)" = failed ] && break
  sleep 0.1
done
[ "$(ledger state 2013-03-09)" = failed ] || fail "daemon did not try 2013-03-09"
stop_collector || fail "collector exit"
pass "retention removed delivered days' raw data and kept the undelivered days'"

# a configuration error (401) in the daemon: tried once, then the pool is left alone
echo "wrong" >"$T/wrong-password"
start_collector --set storage.retention.raw=1d --set upload.password_file="$T/wrong-password"
for _ in $(seq 1 100); do
  [ "$(ledger state 2013-03-09)" = config_error ] && break
  sleep 0.1
done
[ "$(ledger "state || ' ' || last_status" 2013-03-09)" = "config_error 401" ] ||
  fail "daemon with a wrong password: $(ledger "state || ' ' || last_error" 2013-03-09)"
sleep 4 # backoff_min is 1s: a retried failure would have called again by now
n401=$(grep -c "^PUT /pool/it-gw/2013/03/09/readings.ndjson.gz 401 " "$POOL_LOG")
[ "$n401" = 1 ] || fail "the daemon called the pool $n401 times after a 401"
grep -q "held by a configuration error" "$T/collector.log" || fail "the hold was not logged"
stop_collector || fail "collector exit"
pass "daemon: a 401 is a configuration error, not retried (one request in 4 s)"

# SIGTERM in the middle of a (throttled) transfer: the daemon leaves at once, the day waits
start_collector --set storage.retention.raw=1d --set upload.max_rate=2000
for _ in $(seq 1 100); do
  [ "$(ledger state 2013-03-09)" = uploading ] && break
  sleep 0.05
done
sleep 1
t0=$(date +%s%N)
stop_collector || fail "collector exit after SIGTERM during an upload"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "stopping took $ms ms during an upload"
[ "$(ledger state 2013-03-09)" = failed ] || fail "after SIGTERM: $(ledger "state || ' ' || last_error" 2013-03-09)"
[ ! -e "$P/09/manifest.json" ] || fail "2013-03-09 complete on the pool after an interrupted run"
pass "SIGTERM during a transfer: stopped in $ms ms; the day is not marked delivered"

start_collector --set storage.retention.raw=1d
for _ in $(seq 1 150); do
  [ "$(ledger state 2013-03-10)" = done ] && break
  sleep 0.1
done
[ "$(ledger state 2013-03-09)" = done ] && [ "$(ledger state 2013-03-10)" = done ] ||
  fail "daemon catch-up: $(sql "select day, state, last_error from upload_ledger where state <> 'done'")"
[ -e "$P/10/manifest.json" ] || fail "2013-03-10 not on the pool"
stop_collector || fail "collector exit"
start_collector --set storage.retention.raw=1d # retention runs at start, then once a minute
for _ in $(seq 1 100); do
  [ "$(sql "select count(*) from days where raw_pruned = 0 and day > '2013-03'")" = 0 ] && break
  sleep 0.1
done
[ "$(sql "select count(*) from days where raw_pruned = 0 and day > '2013-03'")" = 0 ] ||
  fail "delivered days kept"
stop_collector || fail "collector exit"
[ "$(jstat "['upload']['done_days']")" = 10 ] || fail "stats: done_days"
pass "daemon restart caught up 2013-03-09 and 10; retention followed the upload"
