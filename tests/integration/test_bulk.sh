#!/usr/bin/env bash
# 10,000 messages from 100 devices, every 10th sent twice, through a real
# broker: the stored count equals the unique messages published, the
# resent ones are counted as duplicates, and no reading is stored twice.
. "$(dirname "$0")/lib.sh"
start_broker
write_config
start_collector
"$DEVSIM" bulk -h 127.0.0.1 -p "$BROKER_PORT" -n 10000 --devices 100 --dup-every 10 \
  --site bulk >"$T/devsim.out" 2>>"$T/devsim.log" || fail "devsim bulk"
grep -q "published=11000 unique=10000 duplicates=1000" "$T/devsim.out" || fail "devsim: $(cat "$T/devsim.out")"
wait_stat "['received']" 11000 120 || fail "not everything received"
[ "$(jstat "['stored_messages']")" = 10000 ] || fail "stored_messages"
[ "$(jstat "['duplicates']")" = 1000 ] || fail "duplicates"
[ "$(jstat "['stored_readings']")" = 60000 ] || fail "stored_readings"
[ "$(sql 'select count(*) from readings')" = 60000 ] || fail "readings rows"
[ "$(sql 'select count(*) from devices')" = 100 ] || fail "devices registered"
[ "$(sql "select count(distinct site) from devices")" = 1 ] || fail "site from topic"
pass "10,000 unique + 1,000 duplicate messages: 10,000 stored, 1,000 duplicates counted"
# the per-device last_seen and message counts add up once written at exit
stop_collector || fail "collector exit status"
[ "$(sql 'select sum(n_messages) from devices')" = 11000 ] || fail "per-device counts"
[ "$(sql 'select count(*) from devices where last_seen is null')" = 0 ] || fail "last_seen"
pass "device last_seen and counts maintained"
