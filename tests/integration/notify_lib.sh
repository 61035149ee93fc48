# Helpers for the alert delivery tests (sourced after lib.sh). Rule
# evaluation is not needed to test delivery: the tests write alerts and
# outbox rows straight into the running collector's database, as alerts.c
# does (one outbox row per event and channel, next_attempt = created_at = now).

NOW_MS="CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

# event_json ID STATE RULE SEVERITY SITE VALUE [ENDED]: an event as alerts.c writes it
event_json() {
  python3 - "$@" <<'PY'
import json, sys
a = sys.argv[1:]
ended = a[6] if len(a) > 6 else None
print(json.dumps({
    "id": int(a[0]), "rule": a[2], "state": a[1], "severity": a[3], "domain": "air",
    "site": a[4], "device": "aq-" + a[4], "metric": "pm25", "value": float(a[5]),
    "threshold": 75, "unit": "ug/m3", "started_at": "2024-11-26T08:00:00+08:00",
    "ended_at": ended,
    "message_zh": "%s PM2.5 小时均值 %s ug/m3，超过 75" % (a[4], a[5]),
    "message_en": "PM2.5 hourly mean %s ug/m3 at %s is above 75" % (a[5], a[4]),
    "labels": {"team": "env-ops"}, "annotations": {"runbook_url": "https://wiki/pm25"},
    "source": "GB 3095-2012 table 1", "gateway": "it-gw"}, ensure_ascii=False))
PY
}

# enqueue CHANNEL EVENT ALERT_ID PAYLOAD
enqueue() {
  local payload=${4//\'/\'\'}
  sql "INSERT INTO outbox(alert_id, channel, event, payload, created_at, next_attempt)
       VALUES ($3, '$1', '$2', '$payload', $NOW_MS, $NOW_MS)"
}

# insert_alert ID RULE SCOPE STATE SEVERITY SITE VALUE: one row of the alerts table
insert_alert() {
  sql "INSERT INTO alerts(id, rule, scope, state, severity, domain, site, device, metric, value,
         threshold, unit, started_at, last_eval, hits, message_zh, message_en, labels, annotations)
       VALUES ($1, '$2', '$3', '$4', '$5', 'air', '$6', 'aq-$6', 'pm25', $7, 75, 'ug/m3',
         1732579200000, $NOW_MS, 1, '$6 PM2.5 小时均值 $7 ug/m3，超过 75',
         'PM2.5 hourly mean $7 ug/m3 at $6 is above 75', '{\"team\": \"env-ops\"}',
         '{\"runbook_url\": \"https://wiki/pm25\"}')"
}

# wait_sql QUERY VALUE [SECONDS]: poll until the query prints VALUE
wait_sql() {
  local q=$1 want=$2 secs=${3:-30} got=
  for _ in $(seq 1 $((secs * 10))); do
    got=$(sql "$q" 2>/dev/null || echo "?")
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  echo "'$q' gives '$got', expected '$want'" >&2
  return 1
}

# wait_lines FILE N [SECONDS]: until FILE has at least N lines
wait_lines() {
  local f=$1 n=$2 secs=${3:-30}
  for _ in $(seq 1 $((secs * 10))); do
    [ -f "$f" ] && [ "$(wc -l <"$f")" -ge "$n" ] && return 0
    sleep 0.1
  done
  echo "$f has $(wc -l <"$f" 2>/dev/null || echo 0) lines, expected $n" >&2
  return 1
}
