#!/usr/bin/env bash
# devsim replays two days of a Beijing station through the broker: every
# row is stored at the right UTC hour, and the data set's CO (ug/m3) is
# converted to mg/m3 by the air-station profile.
. "$(dirname "$0")/lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
start_broker
write_config
start_collector
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui --limit 48 \
  --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" 48 || fail "not all 48 rows stored"
# Row 1: 2013-03-01 hour 0 local (UTC+8) = 2013-02-28T16:00Z = 1362067200 s; CO 300 ug/m3.
co=$(sql "select value from readings r join metrics m on m.id = r.metric_id
          where m.name = 'co' and r.ts = 1362067200000")
python3 -c "import sys; sys.exit(0 if abs($co - 0.3) < 1e-12 else 1)" || fail "CO 300 ug/m3 stored as $co, not 0.3 mg/m3"
unit=$(sql "select unit from metrics where name = 'co'")
[ "$unit" = "mg/m3" ] || fail "CO unit $unit"
# Compare every PM2.5 value with the CSV, computed here independently.
python3 - "$CSV" "$T/collector.db" <<'PY' || fail "PM2.5 series differs from the CSV"
import csv, sqlite3, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))[:48]
db = sqlite3.connect(sys.argv[2])
got = dict(db.execute("select r.ts, r.value from readings r join metrics m on m.id = r.metric_id "
                      "where m.name = 'pm25'"))
tz = datetime.timezone(datetime.timedelta(hours=8))
n = 0
for r in rows:
    if r["PM2.5"] in ("NA", ""):
        continue
    t = datetime.datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"]), tzinfo=tz)
    ms = int(t.timestamp()) * 1000
    assert abs(got[ms] - float(r["PM2.5"])) < 1e-9, (ms, got.get(ms), r["PM2.5"])
    n += 1
assert n == len(got), (n, len(got))
PY
pass "48 replayed rows stored at the right hours; CO 300 ug/m3 -> 0.3 mg/m3"
"$COLLECTOR" query -c "$T/collector.yaml" --site xujiahui --metric co --from 2013-03-01 \
  --to 2013-03-01T03:00 --format csv >"$T/q.csv"
[ "$(wc -l <"$T/q.csv")" = 4 ] || fail "query CSV: $(cat "$T/q.csv")"
head -2 "$T/q.csv" | tail -1 | grep -q '^2013-03-01T00:00:00+08:00,xujiahui,replay-aotizhongxin,co,0.29999999999999999,mg/m3$\|^2013-03-01T00:00:00+08:00,xujiahui,replay-aotizhongxin,co,0.3,mg/m3$' ||
  fail "query CSV row: $(head -2 "$T/q.csv")"
pass "query by local time range returns the first three hours as CSV"
