#!/usr/bin/env bash
# devsim publishes every device profile in every format it supports (JSON,
# SenML, HJ 212 over MQTT): each metric of each run gets exactly devices x
# rounds readings and nothing is rejected; --fault malformed messages all
# land in rejects; HJ 212 over TCP is acknowledged when the collector has
# the listener; the four Beijing stations replay merged onto four Xuhui
# sites with the CSV's values in all three formats.
. "$(dirname "$0")/lib.sh"
start_broker
HJ_PORT=$(free_port)
HAS_TCP=0
"$COLLECTOR" config | grep hj212_listen >/dev/null && HAS_TCP=1
# The example registry's sites, plus the MNs of the fleets sent over TCP.
cp "$SRC_DIR/deploy/registry.yaml" "$T/registry.yaml"
for d in sim-aqm-01:tianping:air-station sim-aqm-02:hunan:air-station \
  sim-wq-01:longhuagang:water-buoy sim-wq-02:caohejinggang:water-buoy; do
  IFS=: read -r id site prof <<<"$d"
  mn=$("$DEVSIM" mn "$id" | cut -d' ' -f2)
  echo "  - {id: $mn, site: $site, profile: $prof}" >>"$T/registry.yaml"
done
listen=
[ $HAS_TCP = 1 ] && listen=", hj212_listen: \"127.0.0.1:$HJ_PORT\""
cat >"$T/collector.yaml" <<CONF
gateway: {id: it-gw}
mqtt: {host: 127.0.0.1, port: $BROKER_PORT, client_id: it-collector-$$, topics: ["xh/#"],
       reconnect_min: 200ms, reconnect_max: 2s}
storage: {path: $T/collector.db}
ingest: {max_future: 0, max_age: 0$listen}
devices: {profiles: $SRC_DIR/devices/profiles, registry: $T/registry.yaml, unknown: register}
log: {level: info}
http: {listen: "127.0.0.1:$(free_port)"}
CONF
start_collector

DAY0=$((1700000000 / 86400 * 86400))
N=2
ROUNDS=3
k=0
sent=0
declare -A WANT
# run PROFILE FORMAT METRICS...: one run in its own simulated day k
run() {
  local prof=$1 fmt=$2 start=$((DAY0 + k * 86400))
  shift 2
  "$DEVSIM" fleet -p "$BROKER_PORT" --profile "$prof" --format "$fmt" -n $N --interval 0 \
    --count $ROUNDS --step 3600 --start $start >>"$T/devsim.out" 2>>"$T/devsim.log" ||
    fail "devsim fleet $prof $fmt"
  local m want=
  for m in "$@"; do want+="$m:$((N * ROUNDS)) "; done
  WANT[$k]="$prof $fmt|${want% }"
  k=$((k + 1))
  sent=$((sent + N * ROUNDS))
}
AIR="co humidity no2 o3 pm10 pm25 pres so2 temp wspm"
WATER="codmn conductivity do nh3n ph tp water_temp"
NOISE="l10 l50 l90 laeq lmax"
for f in json senml; do
  run air-station $f $AIR dewp rain
  run pm-node $f battery humidity pm10_lc pm1_lc pm25_lc temp
  run water-buoy $f $WATER turbidity
  run noise-meter $f $NOISE
  run waste-bin $f battery category fill hazard lid_open overflow weight
  run sewage-flow $f inflow treated
done
run air-station hj212 $AIR
run water-buoy hj212 $WATER
run noise-meter hj212 $NOISE
for p in pm-node waste-bin sewage-flow; do
  rc=0
  "$DEVSIM" fleet -p "$BROKER_PORT" --profile $p --format hj212 --count 1 2>/dev/null || rc=$?
  [ $rc = 2 ] || fail "$p --format hj212 exited $rc, not 2"
done
wait_stat "['received']" $sent || fail "not all $sent messages received"
[ "$(jstat "['rejected_total']")" = 0 ] || fail "rejects: $(sql 'select reason, detail from rejects')"
for i in $(seq 0 $((k - 1))); do
  s=$((DAY0 + i * 86400))
  got=$(sql "select group_concat(name || ':' || c, ' ') from (select m.name, count(*) c
             from readings r join metrics m on m.id = r.metric_id
             where r.ts >= ${s}000 and r.ts < $((s + 86400))000 group by m.name order by m.name)")
  want=$(tr ' ' '\n' <<<"${WANT[$i]#*|}" | sort | tr '\n' ' ')
  [ "$got " = "$want" ] || fail "${WANT[$i]%|*}: readings $got, expected $want"
done
pass "$k fleet runs (6 profiles x json/senml, hj212 for air/water/noise): every metric complete"
pass "hj212 refused with exit 2 for pm-node, waste-bin and sewage-flow"

# Every message of a malformed:1 run is rejected (truncated, non-numeric, bad CRC).
for pf in air-station:json water-buoy:senml noise-meter:hj212; do
  "$DEVSIM" fleet -p "$BROKER_PORT" --profile "${pf%:*}" --format "${pf#*:}" -n $N --interval 0 \
    --count $ROUNDS --step 3600 --start $((DAY0 + k * 86400)) --fault malformed:1 \
    >>"$T/devsim.out" 2>>"$T/devsim.log" || fail "devsim malformed ${pf}"
  k=$((k + 1))
  sent=$((sent + N * ROUNDS))
done
grep -q "faults malformed=$((N * ROUNDS))$" "$T/devsim.out" || fail "malformed count: $(tail -2 "$T/devsim.out")"
wait_stat "['received']" $sent || fail "malformed messages not received"
[ "$(jstat "['rejected_total']")" = $((3 * N * ROUNDS)) ] ||
  fail "rejects: $(sql 'select reason, count(*) from rejects group by 1')"
other=$(sql "select count(*) from rejects where reason not in ('malformed', 'non_numeric', 'bad_checksum')")
[ "$other" = 0 ] || fail "unexpected reject reasons: $(sql 'select reason, count(*) from rejects group by 1')"
pass "--fault malformed:1: all $((3 * N * ROUNDS)) messages rejected ($(sql "select group_concat(reason || '=' || c, ' ')
  from (select reason, count(*) c from rejects group by 1)"))"

if [ $HAS_TCP = 1 ]; then
  for pc in air-station:sim-aqm water-buoy:sim-wq; do
    "$DEVSIM" fleet --profile "${pc%:*}" --format hj212 --tcp 127.0.0.1:$HJ_PORT -n 2 --interval 0 \
      --count $ROUNDS --step 3600 --start $((DAY0 + k * 86400)) >"$T/tcp.out" 2>>"$T/devsim.log" ||
      fail "devsim --tcp ${pc%:*}"
    grep -q "sent=$((2 * ROUNDS)) acked=$((2 * ROUNDS)) retries=0 unacked=0" "$T/tcp.out" ||
      fail "tcp acks: $(cat "$T/tcp.out")"
    mn=$("$DEVSIM" mn "${pc#*:}-02" | cut -d' ' -f2)
    got=$(sql "select count(*) from readings r join devices d on d.id = r.device_id
               where d.name = '$mn' and r.ts >= $((DAY0 + k * 86400))000")
    want=$((ROUNDS * $([ "${pc%:*}" = air-station ] && echo 10 || echo 7)))
    [ "$got" = "$want" ] || fail "TCP ${pc%:*}: $got readings for $mn, expected $want"
    k=$((k + 1))
  done
  pass "HJ 212 over TCP: every packet acknowledged (9014), readings stored under the MN"
else
  note "collector has no HJ 212 listener; TCP not tested"
fi

# Four stations, merged in time order onto four sites, one format per day.
before=$(jstat "['received']")
for df in 2014-01-01:2014-01-02:json 2014-01-02:2014-01-03:senml 2014-01-03:2014-01-04:hj212; do
  IFS=: read -r from to fmt <<<"$df"
  "$DEVSIM" replay -p "$BROKER_PORT" --csv "$DATA_DIR/beijing-multisite" --from "$from" --to "$to" \
    --format "$fmt" >"$T/replay.out" 2>>"$T/devsim.log" || fail "replay $fmt"
  grep -q "^replay: stations=4 rows=96 published=96 skipped=0 " "$T/replay.out" ||
    fail "replay $fmt: $(cat "$T/replay.out")"
done
wait_stat "['received']" $((before + 288)) || fail "replayed messages not received"
python3 - "$DATA_DIR/beijing-multisite" "$T/collector.db" <<'PY' || fail "replayed values differ from the CSV"
import csv, datetime, glob, sqlite3, sys
sites = {"Aotizhongxin": "xujiahui", "Dongsi": "tianping", "Tiantan": "longhua",
         "Wanshouxigong": "caohejing"}
db = sqlite3.connect(sys.argv[2])
tz = datetime.timezone(datetime.timedelta(hours=8))
n = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.csv")):
    for r in csv.DictReader(open(path)):
        t = datetime.datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"]), tzinfo=tz)
        if not (datetime.datetime(2014, 1, 1, tzinfo=tz) <= t < datetime.datetime(2014, 1, 4, tzinfo=tz)):
            continue
        dev = "replay-" + r["station"].lower()
        site, = db.execute("select site from devices where name = ?", (dev,)).fetchone()
        assert site == sites[r["station"]], (dev, site)
        got = dict(db.execute("select m.name, r.value from readings r join metrics m on m.id = r.metric_id"
                              " join devices d on d.id = r.device_id where d.name = ? and r.ts = ?",
                              (dev, int(t.timestamp()) * 1000)))
        for col, name, scale in (("PM2.5", "pm25", 1), ("CO", "co", 1e-3), ("PRES", "pres", 1), ("TEMP", "temp", 1)):
            if r[col] in ("NA", ""):
                assert name not in got, (dev, t, name)
                continue
            assert abs(got[name] - float(r[col]) * scale) < 1e-9, (dev, t, name, got.get(name), r[col])
            n += 1
assert n > 1000, n
PY
pass "replay of the 4 Beijing stations onto 4 sites: values match the CSV in json, senml, hj212"
