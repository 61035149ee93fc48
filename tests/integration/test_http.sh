#!/usr/bin/env bash
# The HTTP endpoint against real clients: a known load (good and bad
# messages), then /metrics is linted by promtool and its counters equal
# `collector stats --json`; a real Prometheus scrapes it and its query API
# shows the series; /healthz and /readyz answer with a JSON body; /status
# renders in headless Chromium; an alert page that does not exist is a
# 404; an address other than loopback is refused without a token file, and
# with one every request needs the bearer token.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not found: deploy/setup.sh installs prometheus"
PROM=${PROMETHEUS:-/usr/bin/prometheus}
[ -x "$PROM" ] || fail "$PROM not found: deploy/setup.sh installs prometheus"

start_broker
write_config
start_collector
URL="http://127.0.0.1:$HTTP_PORT"
get() { curl -sS -o "$2" -w '%{http_code}' "$URL$1"; }

now=$(date +%s)
for i in $(seq 1 20); do
  pub xh/air/xujiahui/aqm-01 "{\"ts\": $((now - 100 + i)), \"pm25\": $((20 + i)), \"no2\": 30}"
done
pub xh/air/xujiahui/aqm-01 '{"ts": 1, "pm25": '                     # malformed
pub xh/air/xujiahui/aqm-01 "{\"ts\": $now, \"pm25\": \"lots\"}"     # non_numeric
pub xh/nowhere/at/all '{"x": 1}'                                     # unmatched_topic
wait_stat "['received']" 23 || fail "the load did not arrive"

# The database's size moves while the daemon writes (device bookkeeping,
# rollups, WAL checkpoints), so a pair of readings that straddles a write
# is taken again; every other figure must match in the same pair.
compare_metrics() {
  [ "$(get /metrics "$T/metrics.txt")" = 200 ] || fail "/metrics status"
  promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool.log")"
  "$COLLECTOR" stats -c "$T/collector.yaml" --json >"$T/stats.json"
  python3 - "$T/metrics.txt" "$T/stats.json" >"$T/compare.log" 2>&1 <<'PY'
import json, re, sys
m = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name, value = line.rsplit(" ", 1)
    m[name] = float(value)
s = json.load(open(sys.argv[2]))
def eq(metric, want):
    assert m.get(metric) == want, (metric, m.get(metric), want)
eq("collector_messages_received_total", s["received"])
eq("collector_messages_stored_total", s["stored_messages"])
eq("collector_readings_stored_total", s["stored_readings"])
eq("collector_duplicates_total", s["duplicates"])
for reason, n in s["rejected"].items():
    eq('collector_messages_rejected_total{reason="%s"}' % reason, n)
assert sum(v for k, v in m.items() if k.startswith("collector_messages_rejected_total")) == s["rejected_total"] == 3
assert s["received"] == 23 and s["stored_messages"] == 20 and s["stored_readings"] == 40, s
eq("collector_broker_connected", 1)
eq("collector_database_bytes", s["database_bytes"])
assert m["collector_disk_free_bytes"] > 0
assert 'collector_build_info{version="' in open(sys.argv[1]).read()
PY
}
for _ in 1 2 3 4 5; do
  compare_metrics && break
  grep -q "collector_database_bytes" "$T/compare.log" || break
  sleep 0.5
done
if [ -s "$T/compare.log" ]; then fail "metrics differ from stats: $(cat "$T/compare.log") $(cat "$T/metrics.txt")"; fi
pass "/metrics passes promtool and equals collector stats (23 received, 20 stored, 3 rejected)"

[ "$(get /healthz "$T/h.json")" = 200 ] && grep -q '"status":"alive"' "$T/h.json" || fail "/healthz: $(cat "$T/h.json")"
[ "$(get /readyz "$T/r.json")" = 200 ] && grep -q '"ready":true' "$T/r.json" || fail "/readyz: $(cat "$T/r.json")"
[ "$(get /alerts/999999 "$T/a.txt")" = 404 ] || fail "a missing alert is not a 404"
pass "/healthz and /readyz answer 200 with a body; a missing alert is 404"

# /readyz says why when the broker goes away
stop_broker
for _ in $(seq 1 100); do
  [ "$(get /readyz "$T/r.json")" = 503 ] && break
  sleep 0.1
done
grep -q '"broker":"not connected"' "$T/r.json" || fail "/readyz with the broker down: $(cat "$T/r.json")"
start_broker
pass "/readyz is 503 with the reason while the broker is down"

if command -v chromium >/dev/null; then
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/chromium" --dump-dom "$URL/status" >"$T/status.html" 2>"$T/chromium.log" ||
    fail "chromium could not render /status: $(tail -5 "$T/chromium.log")"
  grep -q "collector it-gw" "$T/status.html" || fail "/status: $(head -c 600 "$T/status.html")"
  grep -q "aqm-01" "$T/status.html" || fail "/status lists no device"
  pass "/status renders in headless Chromium with the gateway and its devices"
else
  fail "chromium not found: deploy/setup.sh installs it"
fi

PPORT=$(free_port)
cat >"$T/prometheus.yml" <<CONF
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: collector
    static_configs: [{targets: ["127.0.0.1:$HTTP_PORT"]}]
CONF
"$PROM" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
  --web.listen-address="127.0.0.1:$PPORT" >>"$T/prometheus.log" 2>&1 &
PIDS+=("$!")
wait_port "$PPORT" || fail "prometheus did not start"
q() { curl -sS "http://127.0.0.1:$PPORT/api/v1/query?query=$1"; }
for _ in $(seq 1 120); do
  q collector_messages_received_total | grep -q '"value":\[[0-9.]*,"23"\]' && break
  sleep 0.5
done
q collector_messages_received_total | grep -q '"value":\[[0-9.]*,"23"\]' ||
  fail "Prometheus does not show the series: $(q collector_messages_received_total)"
q up | grep -q '"value":\[[0-9.]*,"1"\]' || fail "Prometheus: target not up: $(q up)"
pass "a real Prometheus scrapes the endpoint and its query API shows the counters"

stop_collector || fail "collector exit"
# an address other than loopback needs a token file
set +e
"$COLLECTOR" run -c "$T/collector.yaml" --set http.listen="0.0.0.0:$(free_port)" >"$T/open.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "token_file" "$T/open.log" || fail "bound a public address without a token: $rc $(cat "$T/open.log")"
echo "s3cret-token-$$" >"$T/http.token"
chmod 600 "$T/http.token"
TPORT=$(free_port)
start_collector --set http.listen="0.0.0.0:$TPORT" --set http.token_file="$T/http.token"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/metrics")
[ "$code" = 401 ] || fail "no token: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "http://127.0.0.1:$TPORT/metrics")
[ "$code" = 401 ] || fail "wrong token: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer s3cret-token-$$" "http://127.0.0.1:$TPORT/metrics")
[ "$code" = 200 ] || fail "right token: $code"
pass "any other address needs http.token_file, and then every request the bearer token"
