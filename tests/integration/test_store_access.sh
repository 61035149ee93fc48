#!/usr/bin/env bash
# Who may touch the database: the read-only commands (stats, query,
# report, the alerts listing) never create, migrate or change it — a
# missing database is a clear error (exit 1) and leaves no file behind —
# while `alerts ack` opens it for writing. Whatever umask the daemon is
# started with, the database, its WAL and shared-memory files are created
# 0640 and exported upload files 0640 in directories of at most 0750.
. "$(dirname "$0")/lib.sh"
start_broker
write_config

# no database yet: every read-only command says so, exits 1, creates nothing
for cmd in "stats" "query --metric pm25" "report --year 2024" "alerts"; do
  set +e
  # shellcheck disable=SC2086
  out=$("$COLLECTOR" $cmd -c "$T/collector.yaml" 2>&1); rc=$?
  set -e
  [ $rc = 1 ] || fail "$cmd on a missing database: exit $rc, expected 1 ($out)"
  grep -q "no database at $T/collector.db" <<<"$out" || fail "$cmd: unclear error: $out"
  [ ! -e "$T/collector.db" ] || fail "$cmd created the database"
done
pass "read-only commands on a missing database: exit 1, clear message, no file created"

# the daemon under a permissive umask still creates private files
umask 022
start_collector
pub xh/air/acc/aqm-01 '{"ts": 1732600000, "pm25": 23.4}'
wait_stat "['stored_messages']" 1 || fail "not stored"
for f in collector.db collector.db-wal collector.db-shm; do
  [ -e "$T/$f" ] || fail "$f missing while the daemon runs"
  m=$(stat -c %a "$T/$f")
  [ "$m" = 640 ] || fail "$f created with mode $m, expected 640"
done
pass "database, WAL and shared memory created 0640 under umask 022"

"$COLLECTOR" upload -c "$T/collector.yaml" --set upload.url=http://127.0.0.1:9/pool \
  --output "$T/export" --day 2024-11-26 >/dev/null 2>&1 || fail "export"
n=0
while read -r m kind path; do
  n=$((n + 1))
  case $kind in
  d) [ $((8#$m & 8#027)) = 0 ] || fail "directory $path has mode $m" ;;
  f) [ $((8#$m & 8#137)) = 0 ] || fail "file $path has mode $m" ;;
  esac
done < <(find "$T/export" -mindepth 1 -printf '%m %y %p\n')
[ "$n" -gt 3 ] || fail "nothing exported"
pass "exported files at most 0640, directories at most 0750"
stop_collector || fail "exit status"
umask 077

# read-only commands leave the database as it is
sum() { sha256sum "$T/collector.db" | cut -d' ' -f1; }
before=$(sum)
"$COLLECTOR" stats -c "$T/collector.yaml" | grep -q "stored" || fail "stats"
"$COLLECTOR" query -c "$T/collector.yaml" --metric pm25 --format csv | grep -q 23.4 || fail "query"
"$COLLECTOR" report -c "$T/collector.yaml" --year 2024 >/dev/null 2>&1 || fail "report"
"$COLLECTOR" alerts -c "$T/collector.yaml" >/dev/null || fail "alerts"
[ "$(sum)" = "$before" ] || fail "a read-only command changed the database"
pass "stats, query, report and the alerts listing read without writing"

# an older schema is refused, not migrated
version=$(sql 'PRAGMA user_version')
sql "PRAGMA user_version = 3"
set +e
out=$("$COLLECTOR" stats -c "$T/collector.yaml" 2>&1); rc=$?
set -e
[ $rc = 1 ] && grep -q "schema version 3, older" <<<"$out" || fail "old schema: $rc $out"
[ "$(sql 'PRAGMA user_version')" = 3 ] || fail "stats migrated the database"
sql "PRAGMA user_version = $version"

# acknowledging writes: it opens the database for writing
set +e
out=$("$COLLECTOR" alerts -c "$T/collector.yaml" ack 42 --by ops 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q "no active alert with id 42" <<<"$out" || fail "alerts ack: $rc $out"
pass "an older schema is refused by readers; alerts ack opens for writing"

# the named values of the day series come from the standards' own names
sql "INSERT INTO water_daily(site, day, class, deciding, is_partial, n_evaluated, n_samples)
     VALUES ('acc', '2024-11-26', 6, 'nh3n', 0, 5, 1), ('acc', '2024-11-27', 3, 'cod', 0, 5, 1)"
sql "INSERT INTO waste_daily(site, day, category, n_bins, overflow_events, hazard_events)
     VALUES ('acc', '2024-11-26', 2, 4, 0, 1)"
out=$("$COLLECTOR" query -c "$T/collector.yaml" --series water_class --site acc \
  --from 2024-11-26 --to 2024-11-29 --format csv) || fail "query water_class"
# GB 3838-2002: class 6 is "worse than V" (劣Ⅴ), 3 is Ⅲ; the 28th has no sample
grep -q '^2024-11-26,acc,6,劣Ⅴ,nh3n' <<<"$out" || fail "water class 6: $out"
grep -q '^2024-11-27,acc,3,Ⅲ,cod' <<<"$out" || fail "water class 3: $out"
grep -q '^2024-11-28,acc,,' <<<"$out" || fail "a day without a sample is missing: $out"
out=$("$COLLECTOR" query -c "$T/collector.yaml" --series waste_daily --site acc --format csv) ||
  fail "query waste_daily"
grep -q '^2024-11-26,acc,2,hazardous,4' <<<"$out" || fail "waste category 2: $out"
pass "water_class and waste_daily series name classes and categories"
