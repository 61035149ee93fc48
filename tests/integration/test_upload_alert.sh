#!/usr/bin/env bash
# The gateway's own health reaches ops staff: when the nightly upload has
# been failing for more than upload.fail_alert_days days, the collector
# raises an `upload_failing` alert through the alert channels, and clears
# it once the days are delivered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/upload_lib.sh"
alert_state() { # RULE: the state of its latest alert, or "none"
  "$COLLECTOR" alerts -c "$T/collector.yaml" --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
rows = [r for r in rows if r["rule"] == sys.argv[1]]
print(rows[0]["state"] if rows else "none")' "$1"
}
start_broker
DEAD=$(free_port) # nothing listens here: the pool is down
write_config "rollup: {interval: 300ms}"
cat >>"$T/collector.yaml" <<CONF
upload: {url: "http://127.0.0.1:$DEAD/pool", fail_alert_days: 1, backoff_min: 1s}
CONF
start_collector
now=$(date +%s)
for d in 3 2 1; do
  pub xh/air/xujiahui/aqm-01 "{\"ts\": $((now - d * 86400)), \"pm25\": 30}"
done
wait_stat "['stored_messages']" 3 || fail "stored"
wait_stat "['rollup_pending']" 0 || fail "rollups"
set +e
"$COLLECTOR" upload -c "$T/collector.yaml" >"$T/upload1.out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "upload to a dead pool should fail with 1, got $rc: $(cat "$T/upload1.out")"
for _ in $(seq 1 100); do
  [ "$(alert_state upload_failing)" = firing ] && break
  sleep 0.1
done
[ "$(alert_state upload_failing)" = firing ] ||
  fail "no upload_failing alert: $("$COLLECTOR" alerts -c "$T/collector.yaml")"
pass "upload failing for more days than upload.fail_alert_days raises an alert"

# the pool comes back: the days are delivered and the alert resolves
POOL_PORT=$DEAD
start_pool
POOL_URL="http://127.0.0.1:$POOL_PORT/pool"
"$COLLECTOR" upload -c "$T/collector.yaml" --set "upload.url=$POOL_URL" --set upload.auth=basic \
  --set "upload.username=$POOL_USER" --set "upload.password_file=$T/pool-password" \
  >"$T/upload2.out" 2>&1 || fail "upload after recovery: $(cat "$T/upload2.out")"
for _ in $(seq 1 100); do
  [ "$(alert_state upload_failing)" = resolved ] && break
  sleep 0.1
done
[ "$(alert_state upload_failing)" = resolved ] ||
  fail "upload_failing not resolved: $("$COLLECTOR" alerts -c "$T/collector.yaml")"
pass "delivered again: the alert resolves"
