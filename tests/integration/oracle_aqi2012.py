#!/usr/bin/env python3
"""Independent oracle for the daily AQI (HJ 633-2012) and the annual PM2.5
statistics (GB 3095-2012 validity), computed straight from the Beijing CSV.

Written for tests/integration/test_year_aqi.sh; it shares no code with the
product. Every concentration is an exact fractions.Fraction built from the
CSV text, so an IAQI that is exactly an integer is never rounded up by float
noise. Definitions (shared/standards/README.md §1, §2, §3a and "Decisions"):

- hourly value: the CSV cell (NA / blank = missing); CO mg/m3 = CSV / 1000
- daily mean (SO2, NO2, PM10, PM2.5, CO): mean of the day's available hours,
  valid with >= 20 of them; O3 daily 1-h max: the same validity
- O3 MDA8: windows ending 08:00..24:00 over hours E-8..E-1 of the day, each
  with >= 6 hours; valid with >= 14 windows, or fewer (>= 1) when MDA8 > 160
- IAQI: eq. 1 on Table 1 (hj633_iaqi.csv), rounded up; 500 above the table;
  MDA8 > 800 takes the O3 1-h IAQI (note 3)
- daily AQI: max of the 7 sub-indices, only when all 7 are valid; level 1-6;
  primary pollutants (AQI > 50) joined by "+" in so2,no2,pm10,pm25,co,o3 order
- annual PM2.5: mean of valid daily means; valid with >= 324 days and every
  month >= 27 (February >= 25); good-day ratio = 100 * days AQI <= 100 / days
  with a valid AQI

Subcommands (all print to stdout, diagnostics to stderr, exit 1 on mismatch):
  selftest TABLE                              README worked examples / vectors
  compute TABLE CSV FROM TO OUT.json          the oracle's days and annual stats
  count CSV FROM TO                           rows with at least one value (devsim)
  payloads CSV FROM TO [--shuffle-dup SEED]   devsim-shaped JSON lines
  check-daily ORACLE.json GOT.csv FROM TO     compare `query --series aqi_daily`
  check-report ORACLE.json GOT.json SITE      compare `report --format json`
  same-days A.csv B.csv FROM TO               two aqi_daily outputs agree
"""
import csv
import datetime
import json
import math
import random
import sys
from fractions import Fraction

POLS = ["so2", "no2", "pm10", "pm25", "co", "o3"]  # primary-pollutant order
CSV_COL = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "pm25": "PM2.5", "co": "CO", "o3": "O3"}
DAILY_COL = {"so2": "so2_24h", "no2": "no2_24h", "pm10": "pm10_24h", "pm25": "pm25_24h",
             "co": "co_24h"}
# devsim replay's value columns (CSV header -> JSON key), in payload order
DEVSIM_COLS = [("PM2.5", "pm25"), ("PM10", "pm10"), ("SO2", "so2"), ("NO2", "no2"),
               ("CO", "co_ugm3"), ("O3", "o3"), ("TEMP", "temp"), ("PRES", "pres"),
               ("DEWP", "dewp"), ("RAIN", "rain"), ("WSPM", "wspm")]
TZ = datetime.timezone(datetime.timedelta(hours=8))


def missing(text):
    return text is None or text.strip() == "" or text.strip().lower() in ("na", "nan", "null")


def load_table(path):
    """hj633_iaqi.csv -> {column: [(bp, iaqi), ...]} with undefined cells left out."""
    table = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            iaqi = int(row["iaqi"])
            for col, cell in row.items():
                if col == "iaqi" or cell.strip() == "":
                    continue
                table.setdefault(col, []).append((Fraction(cell.strip()), iaqi))
    for col in table:
        table[col].sort()
    return table


def iaqi(table, col, c):
    """HJ 633-2012 eq. 1, rounded up; None when c is above the column's table
    (the caller decides: 500 cap, or note 3 for o3_8h)."""
    pts = table[col]
    if c < 0:
        raise ValueError("negative concentration %s for %s" % (c, col))
    for (bp_lo, i_lo), (bp_hi, i_hi) in zip(pts, pts[1:]):
        if bp_lo <= c <= bp_hi:
            return math.ceil(Fraction(i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo)
    return None


def iaqi_capped(table, col, c):
    v = iaqi(table, col, c)
    return 500 if v is None else v


def level_of(aqi):
    for top, lvl in ((50, 1), (100, 2), (150, 3), (200, 4), (300, 5)):
        if aqi <= top:
            return lvl
    return 6


def day_indicators(hours):
    """hours: {hour: {pol: Fraction}} of one local day -> indicator dict; a
    value is None when the indicator is not valid that day."""
    ind = {}
    for p in ("so2", "no2", "pm10", "pm25", "co"):
        vals = [hours[h][p] for h in range(24) if h in hours and p in hours[h]]
        ind[p] = (sum(vals, Fraction(0)) / len(vals)) if len(vals) >= 20 else None
    o3 = {h: hours[h]["o3"] for h in range(24) if h in hours and "o3" in hours[h]}
    ind["o3_1h"] = max(o3.values()) if len(o3) >= 20 else None
    windows = []
    for end in range(8, 25):
        vals = [o3[h] for h in range(end - 8, end) if h in o3]
        if len(vals) >= 6:
            windows.append(sum(vals, Fraction(0)) / len(vals))
    mda8 = max(windows) if windows else None
    if mda8 is not None and not (len(windows) >= 14 or mda8 > 160):
        mda8 = None
    ind["o3_8h"] = mda8
    ind["n_windows"] = len(windows)
    return ind


def day_aqi(table, ind):
    """-> (aqi or None, level or None, primary string, sub-indices dict)."""
    sub = {}
    for p in ("so2", "no2", "pm10", "pm25", "co"):
        if ind[p] is not None:
            sub[p] = iaqi_capped(table, DAILY_COL[p], ind[p])
    if ind["o3_1h"] is not None:
        sub["o3_1h"] = iaqi_capped(table, "o3_1h", ind["o3_1h"])
    if ind["o3_8h"] is not None:
        v = iaqi(table, "o3_8h", ind["o3_8h"])
        if v is None:  # note 3: MDA8 above 800 -> the O3 1-h IAQI
            v = sub.get("o3_1h")
        if v is not None:
            sub["o3_8h"] = v
    if len(sub) < 7:
        return None, None, "", sub
    aqi = max(sub.values())
    primary = ""
    if aqi > 50:
        names = []
        for p in POLS:
            keys = ("o3_1h", "o3_8h") if p == "o3" else (p,)
            if any(sub[k] == aqi for k in keys):
                names.append(p)
        primary = "+".join(names)
    return aqi, level_of(aqi), primary, sub


def read_rows(csv_path, d_from, d_to):
    """Rows whose local date is in [d_from, d_to), in file order."""
    out = []
    with open(csv_path, newline="") as f:
        for r in csv.DictReader(f):
            d = datetime.date(int(r["year"]), int(r["month"]), int(r["day"]))
            if d_from <= d < d_to:
                out.append((d, int(r["hour"]), r))
    return out


def hourly(rows):
    """{date: {hour: {pol: Fraction}}} with CO in mg/m3."""
    days = {}
    for d, h, r in rows:
        vals = {}
        for p in POLS:
            text = r[CSV_COL[p]]
            if missing(text):
                continue
            v = Fraction(text.strip())
            vals[p] = v / 1000 if p == "co" else v
        days.setdefault(d, {})[h] = vals
    return days


def date_range(d_from, d_to):
    d = d_from
    while d < d_to:
        yield d
        d += datetime.timedelta(days=1)


def compute(table, csv_path, d_from, d_to):
    hrs = hourly(read_rows(csv_path, d_from, d_to))
    days = []
    for d in date_range(d_from, d_to):
        ind = day_indicators(hrs.get(d, {}))
        aqi, lvl, primary, sub = day_aqi(table, ind)
        days.append({"date": d.isoformat(), "aqi": aqi, "level": lvl, "primary": primary,
                     "sub": sub,
                     "pm25": None if ind["pm25"] is None else float(ind["pm25"]),
                     "mda8": None if ind["o3_8h"] is None else float(ind["o3_8h"]),
                     "_pm25": ind["pm25"]})
    pm = [x["_pm25"] for x in days if x["_pm25"] is not None]
    per_month = {}
    for x in days:
        if x["_pm25"] is not None:
            per_month[x["date"][:7]] = per_month.get(x["date"][:7], 0) + 1
    months_ok = True
    for d in date_range(d_from, d_to):
        key = d.strftime("%Y-%m")
        need = 25 if d.month == 2 else 27
        if per_month.get(key, 0) < need:
            months_ok = False
    valid_aqi = [x["aqi"] for x in days if x["aqi"] is not None]
    good = sum(1 for a in valid_aqi if a <= 100)
    mean = sum(pm, Fraction(0)) / len(pm) if pm else None
    annual = {
        "pm25_annual_mean": None if mean is None else float(mean),
        "pm25_annual_mean_exact": None if mean is None else "%d/%d" % (mean.numerator,
                                                                       mean.denominator),
        "pm25_valid_days": len(pm),
        "pm25_valid_days_per_month": per_month,
        "pm25_annual_valid": len(pm) >= 324 and months_ok,
        "aqi_valid_days": len(valid_aqi),
        "good_days": good,
        "good_day_ratio": (100.0 * good / len(valid_aqi)) if valid_aqi else None,
    }
    for x in days:
        del x["_pm25"]
    return {"days": days, "annual": annual}


def parse_date(s):
    return datetime.date.fromisoformat(s)


# ---------------------------------------------------------------- subcommands

def cmd_selftest(table_path):
    t = load_table(table_path)
    ok = True

    def expect(what, got, want):
        nonlocal ok
        if got != want:
            print("selftest: %s = %r, expected %r" % (what, got, want), file=sys.stderr)
            ok = False

    # README §7.3 vectors (HJ 633-2012 column); None = above the table
    vectors = [
        ("pm25_24h", "0", 0), ("pm25_24h", "10", 15), ("pm25_24h", "35", 50),
        ("pm25_24h", "35.4", 51), ("pm25_24h", "35.5", 51), ("pm25_24h", "36", 52),
        ("pm25_24h", "50", 69), ("pm25_24h", "75", 100), ("pm25_24h", "75.4", 101),
        ("pm25_24h", "76", 102), ("pm25_24h", "100", 132), ("pm25_24h", "115", 150),
        ("pm25_24h", "150", 200), ("pm25_24h", "250", 300), ("pm25_24h", "350", 400),
        ("pm25_24h", "500", 500), ("pm25_24h", "501", None), ("pm10_24h", "50.5", 51),
        ("pm10_24h", "100", 75), ("pm10_24h", "150", 100), ("pm10_24h", "151", 101),
        ("pm10_24h", "420", 300), ("pm10_24h", "600", 500), ("co_24h", "0.5", 13),
        ("co_24h", "1.9", 48), ("co_24h", "2.0", 50), ("co_24h", "2.5", 63),
        ("co_24h", "3.9", 98), ("co_24h", "4.0", 100), ("co_24h", "4.5", 103),
        ("co_24h", "14.0", 150), ("so2_24h", "50", 50), ("so2_24h", "100", 75),
        ("so2_24h", "475", 150), ("so2_24h", "800", 200), ("so2_24h", "1600", 300),
        ("no2_24h", "40", 50), ("no2_24h", "60", 75), ("no2_24h", "80", 100),
        ("no2_24h", "200", 160), ("o3_1h", "160", 50), ("o3_1h", "180", 75),
        ("o3_1h", "200", 100), ("o3_1h", "400", 200), ("o3_1h", "800", 300),
        ("o3_1h", "1200", 500), ("o3_8h", "100", 50), ("o3_8h", "130", 75),
        ("o3_8h", "160", 100), ("o3_8h", "265", 200), ("o3_8h", "266", 201),
        ("o3_8h", "800", 300), ("o3_8h", "801", None),
    ]
    for col, c, want in vectors:
        expect("IAQI %s(%s)" % (col, c), iaqi(t, col, Fraction(c)), want)
    # float noise: CO 2200 ug/m3 = 2.2 mg/m3 is exactly IAQI 55, but the naive
    # float formula gives 55.00000000000001 and would round it up to 56
    expect("IAQI co_24h(2200/1000)", iaqi(t, "co_24h", Fraction("2200") / 1000), 55)
    # README §1b worked example (2012): SO2 10, NO2 45, PM10 80, CO 0.8, O3 1h 180,
    # MDA8 150, PM2.5 60 -> 10, 57, 65, 20, 75, 92, 82; AQI 92, primary O3
    ind = {"so2": Fraction(10), "no2": Fraction(45), "pm10": Fraction(80),
           "co": Fraction("0.8"), "o3_1h": Fraction(180), "o3_8h": Fraction(150),
           "pm25": Fraction(60)}
    aqi, lvl, primary, sub = day_aqi(t, ind)
    expect("worked example sub-indices",
           [sub[k] for k in ("so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25")],
           [10, 57, 65, 20, 75, 92, 82])
    expect("worked example AQI/level/primary", (aqi, lvl, primary), (92, 2, "o3"))
    # note 3: MDA8 801 with O3 1h 180 -> the O3 sub-index is 75
    ind2 = dict(ind, o3_8h=Fraction(801))
    expect("note 3 O3 8h sub-index", day_aqi(t, ind2)[3]["o3_8h"], 75)
    # ties: PM10 100 (75) = O3 1h 180 (75) = MDA8 130 (75) -> "pm10+o3", O3 once
    ind3 = {"so2": Fraction(5), "no2": Fraction(10), "pm10": Fraction(100),
            "co": Fraction("0.5"), "o3_1h": Fraction(180), "o3_8h": Fraction(130),
            "pm25": Fraction(10)}
    expect("tie primary", day_aqi(t, ind3)[:3], (75, 2, "pm10+o3"))
    # AQI <= 50 has no primary pollutant; a missing indicator means no AQI
    ind4 = dict(ind3, pm10=Fraction(20), o3_1h=Fraction(100), o3_8h=Fraction(60))
    expect("clean day", day_aqi(t, ind4)[:3], (32, 1, ""))
    expect("missing indicator", day_aqi(t, dict(ind3, co=None))[:3], (None, None, ""))
    # MDA8 rules: 17 windows, >= 6 hours each, >= 14 windows or > 160
    full = {h: {"o3": Fraction(h)} for h in range(24)}
    d = day_indicators(full)
    expect("MDA8 of 0..23", d["o3_8h"], Fraction(16 + 23, 2))
    expect("windows of a full day", d["n_windows"], 17)
    gap = {h: {"o3": Fraction(200)} for h in range(24) if h < 8 or h > 18}
    d = day_indicators(gap)  # only the windows ending 08, 09, 10 have >= 6 hours
    expect("sparse high MDA8 counts", (d["n_windows"], d["o3_8h"]), (3, Fraction(200)))
    low = {h: {"o3": Fraction(50)} for h in range(24) if h < 8 or h > 18}
    expect("sparse low MDA8 invalid", day_indicators(low)["o3_8h"], None)
    expect("19 hours -> no daily mean",
           day_indicators({h: {"pm25": Fraction(1)} for h in range(19)})["pm25"], None)
    expect("20 hours -> daily mean",
           day_indicators({h: {"pm25": Fraction(h)} for h in range(20)})["pm25"],
           Fraction(19, 2))
    if not ok:
        return 1
    print("oracle selftest: %d IAQI vectors and the worked examples agree" % len(vectors))
    return 0


def cmd_compute(table_path, csv_path, d_from, d_to, out):
    res = compute(load_table(table_path), csv_path, parse_date(d_from), parse_date(d_to))
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    a = res["annual"]
    print("oracle: %d days, %d with a valid AQI, good-day ratio %s%%; PM2.5 annual mean %s "
          "over %d valid days (annual %s)" % (
              len(res["days"]), a["aqi_valid_days"],
              "NA" if a["good_day_ratio"] is None else "%.6f" % a["good_day_ratio"],
              "NA" if a["pm25_annual_mean"] is None else "%.6f" % a["pm25_annual_mean"],
              a["pm25_valid_days"], "valid" if a["pm25_annual_valid"] else "NOT valid"))
    return 0


def cmd_count(csv_path, d_from, d_to):
    n = 0
    for _, _, r in read_rows(csv_path, parse_date(d_from), parse_date(d_to)):
        if any(not missing(r.get(col)) for col, _ in DEVSIM_COLS):
            n += 1
    print(n)
    return 0


def cmd_payloads(csv_path, d_from, d_to, seed=None):
    """One JSON payload per row (pollutants only, missing values left out);
    with a seed: every row twice, all shuffled."""
    lines = []
    for d, h, r in read_rows(csv_path, parse_date(d_from), parse_date(d_to)):
        ts = int(datetime.datetime(d.year, d.month, d.day, h, tzinfo=TZ).timestamp())
        parts = ['"ts": %d' % ts]
        for col, key in DEVSIM_COLS[:6]:
            if not missing(r[col]):
                parts.append('"%s": %s' % (key, r[col].strip()))
        if len(parts) > 1:
            lines.append("{" + ", ".join(parts) + "}")
    if seed is not None:
        lines = lines * 2
        random.Random(seed).shuffle(lines)
    for line in lines:
        print(line)
    return 0


def read_daily_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        header = rows and list(rows[0].keys()) or []
    return header, rows


def cmd_check_daily(oracle_path, got_path, d_from, d_to):
    with open(oracle_path) as f:
        want = {x["date"]: x for x in json.load(f)["days"]}
    header, rows = read_daily_csv(got_path)
    for col in ("date", "aqi", "level", "primary"):
        if col not in header:
            print("aqi_daily CSV lacks column %r (header %s)" % (col, header), file=sys.stderr)
            return 1
    dates = [d.isoformat() for d in date_range(parse_date(d_from), parse_date(d_to))]
    got_dates = [r["date"].strip() for r in rows]
    if got_dates != dates:
        extra = sorted(set(got_dates) - set(dates))[:5]
        lack = sorted(set(dates) - set(got_dates))[:5]
        print("aqi_daily has %d rows, expected %d (one per day in order); unexpected %s, "
              "missing %s" % (len(got_dates), len(dates), extra, lack), file=sys.stderr)
        return 1
    diffs = []
    for r in rows:
        w = want[r["date"].strip()]
        exp = ("" if w["aqi"] is None else str(w["aqi"]),
               "" if w["level"] is None else str(w["level"]), w["primary"])
        got = (r["aqi"].strip(), r["level"].strip(), r["primary"].strip())
        # an integer printed as 57.0 would not be an integer column
        if got != exp:
            diffs.append((r["date"], got, exp, w))
    if diffs:
        print("%d of %d days differ (aqi, level, primary); first ones:" % (len(diffs), len(rows)),
              file=sys.stderr)
        for date, got, exp, w in diffs[:8]:
            print("  %s got %s, oracle %s; oracle sub-indices %s, PM2.5 mean %s, MDA8 %s" % (
                date, got, exp, w["sub"], w["pm25"], w["mda8"]), file=sys.stderr)
        return 1
    n_aqi = sum(1 for r in rows if r["aqi"].strip())
    print("aqi_daily: %d days agree with the oracle (%d with an AQI)" % (len(rows), n_aqi))
    return 0


def close(a, b, rel=1e-6, abs_=0.0):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def cmd_check_report(oracle_path, got_path, site):
    with open(oracle_path) as f:
        want = json.load(f)["annual"]
    with open(got_path) as f:
        doc = json.load(f)
    sites = [s for s in doc.get("sites", []) if s.get("site") == site]
    if len(sites) != 1:
        print("report: %d objects for site %r in 'sites'" % (len(sites), site), file=sys.stderr)
        return 1
    s = sites[0]
    errs = []
    for key in ("pm25_annual_mean", "pm25_valid_days", "pm25_annual_valid", "good_day_ratio",
                "aqi_valid_days", "standard_editions", "targets"):
        if key not in s:
            errs.append("no key %r in the site object" % key)
    if errs:
        print("report: " + "; ".join(errs), file=sys.stderr)
        return 1
    wm, gm = want["pm25_annual_mean"], s["pm25_annual_mean"]
    if not ((wm is None and gm is None) or close(gm, wm)):
        errs.append("pm25_annual_mean %r, oracle %r (= %s)" % (gm, wm,
                                                              want["pm25_annual_mean_exact"]))
    for key in ("pm25_valid_days", "aqi_valid_days"):
        if type(s[key]) is not int or s[key] != want[key]:
            errs.append("%s %r, oracle %r" % (key, s[key], want[key]))
    if s["pm25_annual_valid"] is not want["pm25_annual_valid"]:
        errs.append("pm25_annual_valid %r, oracle %r (valid days per month %s)" % (
            s["pm25_annual_valid"], want["pm25_annual_valid"],
            want["pm25_valid_days_per_month"]))
    wr, gr = want["good_day_ratio"], s["good_day_ratio"]
    if not ((wr is None and gr is None) or close(gr, wr, abs_=1e-6)):
        errs.append("good_day_ratio %r, oracle %r (%d of %d days)" % (
            gr, wr, want["good_days"], want["aqi_valid_days"]))
    eds = s["standard_editions"]
    for ed in ("HJ 633-2012", "GB 3095-2012"):
        if not isinstance(eds, list) or ed not in eds:
            errs.append("standard_editions %r lacks %r" % (eds, ed))
    # the PM2.5 annual-mean target: 35 ug/m3 (GB 3095-2012 Grade II)
    if want["pm25_annual_valid"]:
        status = "met" if Fraction(want["pm25_annual_mean_exact"]) < 35 else "not_met"
    else:
        status = "insufficient_data"
    tg = [t for t in (s["targets"] or []) if isinstance(t, dict)
          and "pm2" in str(t.get("rule", "")).lower().replace(".", "")
          and isinstance(t.get("target"), (int, float)) and t["target"] == 35]
    annual = [t for t in tg if any(w in str(t.get("rule", "")).lower()
                                   for w in ("annual", "year", "mean"))]
    tg = annual or tg
    if not tg:
        errs.append("no PM2.5 target with target 35 in %r" % (s["targets"],))
    for t in tg:
        if t.get("status") != status:
            errs.append("target %r: status %r, oracle %r" % (t, t.get("status"), status))
        # the value may be shown rounded (GB/T 8170: an integer), not more
        v = t.get("value")
        if v is not None and (wm is None or not isinstance(v, (int, float))
                              or abs(v - wm) > 0.5 + 1e-6):
            errs.append("target %r: value, oracle annual mean %r" % (t, wm))
    if errs:
        print("report for %s differs from the oracle:\n  %s" % (site, "\n  ".join(errs)),
              file=sys.stderr)
        return 1
    print("report: PM2.5 mean %s over %d days (%s), good-day ratio %s%% over %d days, "
          "target %s" % (gm, s["pm25_valid_days"],
                         "valid" if s["pm25_annual_valid"] else "not valid",
                         gr, s["aqi_valid_days"], status))
    return 0


def cmd_same_days(a_path, b_path, d_from, d_to):
    """Rows of the range must be identical in both outputs (columns ending in
    _at, such as a computation time stamp, are left out)."""
    ha, ra = read_daily_csv(a_path)
    hb, rb = read_daily_csv(b_path)
    if ha != hb:
        print("headers differ: %s vs %s" % (ha, hb), file=sys.stderr)
        return 1
    cols = [c for c in ha if not c.endswith("_at")]
    dates = {d.isoformat() for d in date_range(parse_date(d_from), parse_date(d_to))}
    pa = [tuple(r[c] for c in cols) for r in ra if r["date"].strip() in dates]
    pb = [tuple(r[c] for c in cols) for r in rb if r["date"].strip() in dates]
    if len(pa) != len(dates) or pa != pb:
        print("aqi_daily rows differ (%s):" % ",".join(cols), file=sys.stderr)
        shown = 0
        for x, y in zip(pa, pb):
            if x != y and shown < 5:
                print("  %s\n  %s" % (x, y), file=sys.stderr)
                shown += 1
        if len(pa) != len(pb) or len(pa) != len(dates):
            print("  %d vs %d rows for %d days" % (len(pa), len(pb), len(dates)),
                  file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "selftest":
        return cmd_selftest(*args)
    if cmd == "compute":
        return cmd_compute(*args)
    if cmd == "count":
        return cmd_count(*args)
    if cmd == "payloads":
        seed = None
        if len(args) == 5 and args[3] == "--shuffle-dup":
            seed, args = int(args[4]), args[:3]
        return cmd_payloads(*args, seed=seed)
    if cmd == "check-daily":
        return cmd_check_daily(*args)
    if cmd == "check-report":
        return cmd_check_report(*args)
    if cmd == "same-days":
        return cmd_same_days(*args)
    print("unknown subcommand %r" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
