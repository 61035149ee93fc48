#!/usr/bin/env bash
# `collector report` end to end. Part 1: devsim replays a station year
# (Aotizhongxin 2014 as site xujiahui) through the broker and daemon; the
# JSON report must carry the contract's fields, its PM2.5 mean, valid days,
# good-day ratio, percentiles and statuses must equal what this script
# computes from the rollup tables itself, the text must show the PM2.5
# target line, and the HTML must be one well-formed, self-contained page
# with the AQI calendar (rendered headless when chromium is installed).
# Part 2: hand-made water, noise, waste, sewage and air messages with values
# chosen so that every expected figure is known here by hand: one 劣Ⅴ day,
# half the noise days over their limits, exact waste weights, 97 % sewage
# treatment, and a 2026 report split at the 2026-03-01 standards switch.
. "$(dirname "$0")/lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
report() { "$COLLECTOR" report -c "$T/collector.yaml" "$@"; }

# --- part 1: a replayed station year ------------------------------------------
n_rows=$(python3 - "$CSV" <<'PY'
import csv, sys
print(sum(1 for r in csv.DictReader(open(sys.argv[1])) if r["year"] == "2014"))
PY
)
start_broker
write_config
# keep raw and hourly data: 2014 is years before the retention cut-offs
sed -i "s|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 0, hourly: 0}}|" \
  "$T/collector.yaml"
start_collector
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui \
  --from 2014-01-01 --to 2015-01-01 --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" "$n_rows" 120 || fail "not all $n_rows rows of 2014 stored"
wait_stat "['rollup_pending']" 0 120 || fail "rollups of 2014 did not finish"

report --year 2014 --format json >"$T/r.json" 2>"$T/report.err" || fail "report --format json"
report --year 2014 --site xujiahui --format json --output "$T/r1.json" || fail "report --output"
[ ! -e "$T/r1.json.tmp" ] || fail "--output left its .tmp file"
python3 - "$T/r.json" "$T/r1.json" "$T/collector.db" <<'PY' || fail "JSON report contract or values"
import json, math, sqlite3, sys
doc = json.load(open(sys.argv[1]))
one = json.load(open(sys.argv[2]))
db = sqlite3.connect(sys.argv[3])
for k in ("gateway", "year", "generated_at", "timezone", "sites", "gateway_summary",
          "standard_editions", "split", "periods", "plan_targets"):
    assert k in doc, "top-level field %r missing" % k
assert doc["gateway"] == "it-gw" and doc["year"] == 2014 and doc["split"] is False, doc
assert [s["site"] for s in doc["sites"]] == ["xujiahui"], [s["site"] for s in doc["sites"]]
s = doc["sites"][0]
assert s == one["sites"][0] or {k: v for k, v in s.items()} == one["sites"][0], "--site differs"
for k, t in (("site", str), ("year", int), ("pm25_valid_days", int), ("pm25_annual_valid", bool),
             ("aqi_valid_days", int), ("standard_editions", list), ("targets", list),
             ("pm25_annual_mean", float), ("good_day_ratio", float)):
    assert isinstance(s.get(k), t), "site field %r is %r" % (k, s.get(k))
assert "HJ 633-2012" in s["standard_editions"] and "GB 3095-2012" in s["standard_editions"]
rules = {t["rule"]: t for t in s["targets"]}
want = ["pm25_annual_mean", "good_day_ratio", "so2_annual_mean", "so2_p98", "no2_annual_mean",
        "no2_p98", "pm10_annual_mean", "pm10_p95", "pm25_annual_mean_gb3095", "pm25_p95",
        "co_p95", "o3_mda8_p90", "conventional_pollutants"]
assert sorted(rules) == sorted(want), sorted(rules)
for t in s["targets"]:
    for k in ("rule", "value", "target", "status"):
        assert k in t, (k, t)
    assert t["status"] in ("met", "not_met", "insufficient_data"), t
assert rules["good_day_ratio"].get("draft") is True and "draft" not in rules["pm25_annual_mean"]
# the definitions, recomputed here from the rollup tables
pm = [v for (v,) in db.execute(
    "select sd.mean from site_daily sd join metrics m on m.id = sd.metric_id where sd.site = "
    "'xujiahui' and m.name = 'pm25' and sd.is_valid and sd.day like '2014-%'")]
assert s["pm25_valid_days"] == len(pm) > 300, (s["pm25_valid_days"], len(pm))
assert math.isclose(s["pm25_annual_mean"], sum(pm) / len(pm), rel_tol=1e-12)
months = {}
for (d,) in db.execute("select sd.day from site_daily sd join metrics m on m.id = sd.metric_id "
                       "where sd.site = 'xujiahui' and m.name = 'pm25' and sd.is_valid"):
    months[d[5:7]] = months.get(d[5:7], 0) + 1
valid = len(pm) >= 324 and all(months.get("%02d" % m, 0) >= (25 if m == 2 else 27)
                               for m in range(1, 13))
assert s["pm25_annual_valid"] is valid
t = rules["pm25_annual_mean"]
assert t["target"] == 35 and math.isclose(t["value"], s["pm25_annual_mean"], rel_tol=1e-12)
assert t["status"] == ("insufficient_data" if not valid else
                       "met" if s["pm25_annual_mean"] < 35 else "not_met"), t
aqi = [a for (a,) in db.execute("select aqi from aqi_daily where site = 'xujiahui' and "
                                "day like '2014-%' and aqi is not null")]
assert s["aqi_valid_days"] == len(aqi)
assert math.isclose(s["good_day_ratio"], 100.0 * sum(a <= 100 for a in aqi) / len(aqi),
                    rel_tol=1e-12)
levels = s["air"]["aqi_days_by_level"]
assert sum(levels.values()) == len(aqi), levels
def pct(v, p):  # HJ 663: k = 1 + (n-1) p/100, linear between neighbours
    v = sorted(v); k = 1 + (len(v) - 1) * p / 100; i = int(k)
    return v[i - 1] + ((v[i] - v[i - 1]) * (k - i) if i < len(v) else 0)
assert math.isclose(rules["pm25_p95"]["value"], pct(pm, 95), rel_tol=1e-12)
mda8 = [v for (v,) in db.execute("select o3_8h from aqi_daily where site = 'xujiahui' and "
                                 "o3_8h is not null")]
assert math.isclose(rules["o3_mda8_p90"]["value"], pct(mda8, 90), rel_tol=1e-12)
assert rules["o3_mda8_p90"]["target"] == 160 and rules["pm25_p95"]["target"] == 75
assert rules["so2_annual_mean"]["target"] == 60 and rules["no2_p98"]["target"] == 80
for r in ("pm25_p95", "o3_mda8_p90", "so2_annual_mean"):
    assert rules[r]["edition"] == "GB 3095-2012", rules[r]
# one site: the district is that site
g = doc["gateway_summary"]
for k in ("pm25_annual_mean", "pm25_valid_days", "pm25_annual_valid", "good_day_ratio",
          "aqi_valid_days", "targets", "standard_editions"):
    assert g[k] == s[k], (k, g[k], s[k])
print("json: %d targets; PM2.5 %.3f over %d days (%s); good days %.3f %% of %d" % (
    len(rules), s["pm25_annual_mean"], len(pm), "valid" if valid else "not valid",
    s["good_day_ratio"], len(aqi)))
PY
pass "JSON: contract fields, and PM2.5 mean, validity, good-day ratio, percentiles as defined"

report --year 2014 >"$T/r.txt" || fail "report text"
grep -E "PM2\.5 annual mean +[0-9.]+ µg/m³ +< 35 " "$T/r.txt" >/dev/null || fail "no PM2.5 target line: $(head -20 "$T/r.txt")"
grep -q "HJ 633-2012, GB 3095-2012" "$T/r.txt" || fail "text does not name the editions"
pass "text report has the PM2.5 target line and the editions"

report --year 2014 --format html --output "$T/r.html" || fail "report html"
python3 - "$T/r.html" <<'PY' || fail "HTML report"
import html.parser, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}
SVG_VOID = {"rect", "line", "circle", "path", "polyline", "polygon"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.n = {}
    def handle_starttag(self, tag, attrs):
        self.n[tag] = self.n.get(tag, 0) + 1
        for k, v in attrs:
            assert not (v and re.match(r"\s*(https?:)?//", v)), "external reference %s=%s" % (k, v)
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.n[tag] = self.n.get(tag, 0) + 1
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, "</%s> closes %s" % (tag, self.stack[-3:])
        self.stack.pop()
p = P(); p.feed(text); p.close()
assert not p.stack, "unclosed: %s" % p.stack
assert text.startswith("<!DOCTYPE html>") and p.n.get("svg", 0) >= 2, p.n.get("svg")
assert not re.search(r"<(script|link|img|iframe)\b", text), "external or active content"
assert "@import" not in text and "url(" not in text
cells = re.findall(r"<title>2014-\d\d-\d\d · [^<]*</title><rect [^>]*fill=\"(#[0-9A-Fa-f]{6})\"", text)
assert len(cells) == 2 * 365 or len(cells) == 365, len(cells)  # calendar (site; gateway compact)
official = {"#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023", "#e6e6e6"}
assert set(cells) <= official and len(set(cells)) >= 5, set(cells)
assert "stroke-dasharray" in text and "plan target" in text
print("html: %d bytes, %d calendar cells in %d colours" % (len(text), len(cells), len(set(cells))))
PY
pass "HTML: well-formed, self-contained, AQI calendar in the official colours, PM2.5 bars"

if command -v chromium >/dev/null 2>&1; then
  # the report is in Chinese and English: without a CJK font a browser shows boxes
  fc-list :lang=zh family 2>/dev/null | grep -q . ||
    fail "no font for Chinese text: deploy/setup.sh installs fonts-wqy-zenhei"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --screenshot="$T/report.png" \
    --window-size=1280,2400 "file://$T/r.html" >>"$T/chromium.txt" 2>&1 || true
  size=$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)
  [ "$size" -gt 20000 ] || fail "chromium screenshot of the report is $size bytes"
  pass "chromium renders the HTML report ($size-byte PNG)"
else
  note "chromium not installed: the HTML screenshot check is skipped"
fi

set +e
report >/dev/null 2>&1; rc_noyear=$?
report --year 2014 --format pdf >/dev/null 2>&1; rc_fmt=$?
report --year 2014 --site no-such-site >/dev/null 2>&1; rc_site=$?
set -e
[ "$rc_noyear/$rc_fmt/$rc_site" = "2/2/1" ] || fail "exit codes $rc_noyear/$rc_fmt/$rc_site, not 2/2/1"
pass "exit codes: missing --year 2, bad --format 2, unknown site 1"

# --- part 2: water, noise, waste, sewage and a split year, by hand -------------
stop_collector || fail "collector did not stop cleanly"
rm -f "$T"/collector.db*
cat >"$T/registry.yaml" <<'CONF'
sites:
  - {id: longhuagang, name: "龙华港 <river> & \"quotes\"", street: 龙华街道, kind: water, water_body: river}
  - {id: quiet-park, name: 康健园, street: 康健新村街道, kind: noise, noise_zone: "1"}
  - {id: bins-1, name: 垃圾分类点, street: 田林街道, kind: waste}
  - {id: wwtp, name: 龙华水质净化厂, street: 龙华街道, kind: sewage}
  - {id: air-1, name: 测试站, street: 徐家汇街道, kind: air}
devices:
  - {id: wq-1, site: longhuagang, profile: water-buoy}
  - {id: nm-1, site: quiet-park, profile: noise-meter}
  - {id: bin-r, site: bins-1, profile: waste-bin}
  - {id: bin-h, site: bins-1, profile: waste-bin}
  - {id: bin-w, site: bins-1, profile: waste-bin}
  - {id: bin-d, site: bins-1, profile: waste-bin}
  - {id: flow-1, site: wwtp, profile: sewage-flow}
  - {id: aqm-1, site: air-1, profile: air-station}
CONF
sed -i "s|unknown: register|unknown: reject, registry: $T/registry.yaml|" "$T/collector.yaml"
start_collector
python3 - "$T" <<'PY'
import datetime, json, sys
T = sys.argv[1]
tz = datetime.timezone(datetime.timedelta(hours=8))
def ts(y, mo, d, h, mi=0):
    return int(datetime.datetime(y, mo, d, h, mi, tzinfo=tz).timestamp())
out = {}
def msg(topic, payload):
    out.setdefault(topic, []).append(json.dumps(payload))
# water, one sample a day at noon: 2024-05-01 class II, 05-02 劣V (DO 1.5 < 2, NH3-N 2.5 > 2),
# 05-03 class IV (DO 4 >= 3, NH3-N 1.2 <= 1.5, TP 0.25 <= 0.3)
for d, v in ((1, {"ph": 7.2, "do": 6.5, "nh3n": 0.4, "tp": 0.1}),
             (2, {"ph": 7.2, "do": 1.5, "nh3n": 2.5, "tp": 0.3}),
             (3, {"ph": 7.4, "do": 4.0, "nh3n": 1.2, "tp": 0.25})):
    msg("xh/water/longhuagang/wq-1", dict(ts=ts(2024, 5, d, 12), **v))
# noise, zone 1 (55 / 45 dB(A)), one value an hour from 05-01 06:00 to 05-03 05:00:
# 05-01 day 50, night 40 (both comply, night Lmax 55 <= 60); 05-02 day 60, night 50 (both
# over, night Lmax 70 > 45 + 15)
t0 = ts(2024, 5, 1, 6)
for i in range(48):
    t = t0 + 3600 * i
    first = i < 24
    is_day = (datetime.datetime.fromtimestamp(t, tz).hour >= 6 and
              datetime.datetime.fromtimestamp(t, tz).hour < 22)
    laeq = (50 if first else 60) if is_day else (40 if first else 50)
    lmax = laeq + 5 if is_day else (55 if first else 70)
    msg("xh/noise/quiet-park/nm-1", {"ts": t, "laeq": laeq, "lmax": lmax})
# waste, 2024-05-01: deposited = sum of weight increases within the day
for dev, cat, series in (("bin-w", "wet", [(8, 10.0), (12, 25.5), (18, 5.0), (20, 12.0)]),
                         ("bin-r", "recyclable", [(8, 2.0), (12, 6.0)]),
                         ("bin-d", "dry", [(8, 1.0), (20, 9.5)]),
                         ("bin-h", "hazardous", [(8, 0.1), (12, 0.4)])):
    for h, w in series:
        p = {"ts": ts(2024, 5, 1, h), "weight": w, "category": cat, "fill": 50}
        if dev == "bin-h" and h == 12:
            p["hazard"] = True
        msg("xh/waste/bins-1/" + dev, p)
# sewage, 2024-05-01: 24 hourly volumes, inflow 100 and treated 97 m3
for h in range(24):
    msg("xh/sewage/wwtp/flow-1", {"ts": ts(2024, 5, 1, h), "inflow": 100, "treated": 97})
# air, 2026-02-27 and 2026-03-02 (either side of the standards switch), 24 hours each
for d in ((2026, 2, 27), (2026, 3, 2)):
    for h in range(24):
        msg("xh/air/air-1/aqm-1", {"ts": ts(*d, h), "pm25": 50, "pm10": 80, "so2": 10,
                                    "no2": 30, "co": 0.8, "o3": 90})
n = 0
for topic, lines in out.items():
    open("%s/pub-%d.txt" % (T, n), "w").write(topic + "\n" + "\n".join(lines) + "\n")
    n += 1
PY
n_msgs=0
for f in "$T"/pub-*.txt; do
  topic=$(head -1 "$f")
  tail -n +2 "$f" | mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -l ||
    fail "mosquitto_pub $topic"
  n_msgs=$((n_msgs + $(tail -n +2 "$f" | wc -l)))
done
wait_stat "['stored_messages']" "$n_msgs" 60 || fail "not all $n_msgs hand-made messages stored"
"$COLLECTOR" rollup -c "$T/collector.yaml" >>"$T/rollup.log" 2>&1 || fail "collector rollup"
wait_stat "['rollup_pending']" 0 60 || fail "rollups did not finish"

report --year 2024 --format json >"$T/r24.json" || fail "report 2024"
report --year 2026 --format json >"$T/r26.json" || fail "report 2026"
python3 - "$T/r24.json" "$T/r26.json" <<'PY' || fail "hand-computed figures differ"
import json, math, sys
doc = json.load(open(sys.argv[1]))
sites = {s["site"]: s for s in doc["sites"]}
assert sorted(sites) == ["bins-1", "longhuagang", "quiet-park", "wwtp"], sorted(sites)
def rule(s, r):
    m = [t for t in s["targets"] if t["rule"] == r]
    assert len(m) == 1, (r, s["targets"])
    return m[0]
# water: one 劣V day of three classified days
w = sites["longhuagang"]
assert w["display_name"] == '龙华港 <river> & "quotes"', w["display_name"]
assert w["water"]["days_by_class"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0, "6": 1}, w["water"]
assert w["water"]["worse_than_v_days"] == 1 and w["water"]["worst_sample_class"] == 6
assert w["water"]["classified_days"] == 3
t = rule(w, "water_no_worse_than_v")
assert t["status"] == "not_met" and t["value"] == 1 and t["target"] == 0, t
assert "GB 3838-2002" in w["standard_editions"] and w["pm25_annual_mean"] is None
assert [x["rule"] for x in w["targets"]] == ["water_no_worse_than_v"], w["targets"]
# noise: 2 days with Ld and Ln, one within both limits, one over both, one night Lmax over
n = sites["quiet-park"]["noise"]
assert (n["zone"], n["days_with_ld_ln"], n["judged_days"]) == ("1", 2, 2), n
assert n["day_compliance_pct"] == 50 and n["night_compliance_pct"] == 50, n
assert n["night_lmax_exceedance_days"] == 1 and (n["ld_limit"], n["ln_limit"]) == (55, 45), n
for r in ("noise_day_compliance", "noise_night_compliance"):
    t = rule(sites["quiet-park"], r)
    assert t["value"] == 50 and t["status"] == "not_met" and t.get("draft") is True, t
# waste: weights as published
k = sites["bins-1"]["waste"]
want = {"recyclable": 4.0, "hazardous": 0.3, "wet": 22.5, "dry": 8.5}
for c, v in want.items():
    assert math.isclose(k["deposited_kg"][c], v, abs_tol=1e-9), (c, k["deposited_kg"])
assert math.isclose(k["total_kg"], 35.3, abs_tol=1e-9)
assert math.isclose(k["wet_share"], 22.5 / 35.3, rel_tol=1e-9), k["wet_share"]
assert k["hazard_events"] == 1 and k["days"] == 1, k
assert sites["bins-1"]["targets"] == [], sites["bins-1"]["targets"]
# sewage: 2328 / 2400 m3
s = sites["wwtp"]
assert (s["sewage"]["inflow_m3"], s["sewage"]["treated_m3"]) == (2400, 2328), s["sewage"]
t = rule(s, "sewage_treatment_rate")
assert math.isclose(t["value"], 97.0) and t["target"] == 95 and t["status"] == "met", t
assert t.get("draft") is True
# the gateway pools them
g = doc["gateway_summary"]
assert g["sites"] == {"air": 0, "water": 1, "noise": 1, "waste": 1, "sewage": 1}, g["sites"]
assert rule(g, "water_no_worse_than_v")["status"] == "not_met"
assert [z["zone"] for z in g["noise"]["zones"]] == ["1"], g["noise"]
assert math.isclose(g["waste"]["deposited_kg"]["wet"], 22.5)
# 2026 straddles the switch: two periods with their editions, per-period air figures
d26 = json.load(open(sys.argv[2]))
assert d26["split"] is True and len(d26["periods"]) == 2, d26["periods"]
assert [(p["from"], p["to"], p["hj633"]) for p in d26["periods"]] == [
    ("2026-01-01", "2026-03-01", "HJ 633-2012"), ("2026-03-01", "2027-01-01", "HJ 633-2026")]
a = [s for s in d26["sites"] if s["site"] == "air-1"][0]
assert set(a["standard_editions"]) >= {"HJ 633-2012", "HJ 633-2026", "GB 3095-2012",
                                       "GB 3095-2026 (transition)"}, a["standard_editions"]
p1, p2 = a["periods"]
assert (p1["pm25_valid_days"], p2["pm25_valid_days"]) == (1, 1), (p1, p2)
assert p1["pm25_annual_mean"] == 50 and p2["pm25_annual_mean"] == 50
t1 = [t for t in p1["targets"] if t["rule"] == "pm25_annual_mean_gb3095"][0]
t2 = [t for t in p2["targets"] if t["rule"] == "pm25_annual_mean_gb3095"][0]
assert (t1["target"], t1["edition"]) == (35, "GB 3095-2012"), t1
assert (t2["target"], t2["edition"]) == (30, "GB 3095-2026 (transition)"), t2
assert not [t for t in a["targets"] if t.get("kind") == "standard"], "whole-year GB 3095 rule"
print("water 劣V 1 day (not met); noise 50 %%/50 %%; waste %.1f kg, wet %.4f; sewage 97 %%; "
      "2026 split in 2" % (k["total_kg"], k["wet_share"]))
PY
pass "water 劣Ⅴ day counted (not met), noise compliance, waste weights, sewage rate, 2026 split"

report --year 2026 >"$T/r26.txt" || fail "text 2026"
grep -q "straddles a standards switch" "$T/r26.txt" || fail "text does not say 2026 is split"
report --year 2026 --format html --output "$T/r26.html" || fail "html 2026"
grep -q "straddles a standards switch" "$T/r26.html" || fail "HTML does not say 2026 is split"
report --year 2024 --format html --output "$T/r24.html" || fail "html 2024"
grep -q '龙华港 &lt;river&gt; &amp; &quot;quotes&quot;' "$T/r24.html" || fail "site name not escaped"
grep -q '#b71c1c' "$T/r24.html" || fail "no 劣Ⅴ colour in the water timeline"
report --year 2024 | grep -E "Water: days worse than Class V.*✗ NOT MET" >/dev/null ||
  fail "text does not show the water target not met"
pass "split year said in text and HTML; names escaped; water timeline drawn"
stop_collector || fail "exit status"
