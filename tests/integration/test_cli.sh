#!/usr/bin/env bash
# The command-line contract: exit codes, --help on every subcommand,
# file:line errors from `check`, --set and ${ENV} in values, the shipped
# example configuration valid, and docs/configuration.md in step with the
# key tables it is generated from.
. "$(dirname "$0")/lib.sh"
BROKER_PORT=1883
write_config

"$COLLECTOR" --help >/dev/null || fail "--help"
for c in run check stats query config rollup; do
  "$COLLECTOR" $c --help | grep -q usage || fail "$c --help"
done
set +e
"$COLLECTOR" frobnicate >/dev/null 2>&1; [ $? = 2 ] || fail "unknown command must exit 2"
"$COLLECTOR" check >/dev/null 2>&1; [ $? = 2 ] || fail "check without -c must exit 2"
set -e
"$COLLECTOR" check -c "$T/collector.yaml" >/dev/null || fail "valid config rejected"
pass "exit codes and --help"

cat >"$T/bad.yaml" <<'CONF'
gateway: {id: x}
mqtt:
  port: seventy
  qos: 7
  colour: blue
storage:
  synchronous: sometimes
ingest: {max_future: 5 minutes}
CONF
set +e
out=$("$COLLECTOR" check -c "$T/bad.yaml" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "invalid config must exit 2 (got $rc)"
for want in "bad.yaml:3: 'port' must be an integer" "bad.yaml:4: 'qos' = 7 is out of range" \
  "bad.yaml:5: unknown key 'mqtt.colour'" "bad.yaml:7: 'synchronous' must be one of normal, full" \
  "bad.yaml:8: 'max_future' must be a duration"; do
  grep -qF "$want" <<<"$out" || fail "missing error '$want' in: $out"
done
pass "config errors reported as file:line, all at once, exit 2"

printf 'gateway: {id: x}\nmqtt: [1, 2\n' >"$T/syntax.yaml"
set +e
out=$("$COLLECTOR" check -c "$T/syntax.yaml" 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -qE "syntax.yaml:[0-9]+: " <<<"$out" || fail "YAML syntax error: $out"
pass "YAML syntax errors carry file:line"

# a bad device profile
mkdir -p "$T/profiles"
cp "$SRC_DIR"/devices/profiles/*.yaml "$T/profiles/"
cat >"$T/profiles/broken.yaml" <<'CONF'
name: broken
domain: air
decoder: carrier-pigeon
interval: 1h
topics: ["xh/air/{site}/{device}"]
fields:
  pm25: {metric: pm25, unit: ug/m3, from_unit: furlongs}
CONF
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" --set devices.profiles="$T/profiles" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "bad profile must fail check"
grep -qF "broken.yaml:3: unknown decoder 'carrier-pigeon'" <<<"$out" || fail "decoder error: $out"
grep -qF "broken.yaml:7: no conversion known from 'furlongs'" <<<"$out" || fail "unit error: $out"
pass "profile errors as file:line"

# --set and environment references
XH_TEST_PORT=2883 "$COLLECTOR" check -c "$T/collector.yaml" --set 'mqtt.port=${XH_TEST_PORT}' >/dev/null ||
  fail "\${ENV} in --set"
"$COLLECTOR" check -c "$T/collector.yaml" --set 'mqtt.port=${XH_UNSET_PORT:-1884}' >/dev/null ||
  fail "\${ENV:-default}"
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" --set 'mqtt.port=${XH_UNSET_PORT}' 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q "XH_UNSET_PORT is not set" <<<"$out" || fail "unset variable: $out"
pass "--set overrides and \${NAME} / \${NAME:-default}"

# the shipped example is complete and valid; docs are generated from the tables
# (checked where it is, as the README says: it names the checkout's profiles,
# registry and the plan's ruleset relative to deploy/)
out=$(cd "$SRC_DIR" && "$COLLECTOR" check -c deploy/collector.yaml.example) || fail "example config invalid"
grep -q "33 rules" <<<"$out" || fail "the example does not load the plan's ruleset: $out"
bash "$SRC_DIR/deploy/gen-config.sh" checkout "$COLLECTOR" >"$T/example.yaml"
diff -u "$SRC_DIR/deploy/collector.yaml.example" "$T/example.yaml" >&2 ||
  fail "deploy/collector.yaml.example is out of date: regenerate it with 'deploy/gen-config.sh checkout'"
"$COLLECTOR" config --markdown >"$T/keys.md"
python3 - "$T/keys.md" "$SRC_DIR/docs/configuration.md" <<'PY' || fail "docs/configuration.md is out of date: regenerate its tables with 'collector config --markdown'"
import sys
keys = open(sys.argv[1]).read().strip()
doc = open(sys.argv[2]).read()
sys.exit(0 if keys in doc else 1)
PY
pass "example config valid; docs/configuration.md lists every key"

# the manual pages come from the same tables: every key, every command, clean roff
"$COLLECTOR" config --man >"$T/collector.yaml.5"
"$COLLECTOR" help --man >"$T/collector.1"
for k in $(sed -n 's/^| `\([a-z0-9_.]*\)` |.*/\1/p' "$T/keys.md"); do
  grep -qF ".B ${k//-/\\-}" "$T/collector.yaml.5" || fail "collector.yaml(5) lacks $k"
done
for c in $("$COLLECTOR" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p'); do
  grep -qF ".SS \"collector $c\"" "$T/collector.1" || fail "collector(1) lacks the command $c"
done
if command -v groff >/dev/null; then
  for m in "$T/collector.yaml.5" "$T/collector.1"; do
    warn=$(groff -man -ww -z "$m" 2>&1)
    [ -z "$warn" ] || fail "groff warns about $(basename "$m"): $warn"
  done
fi
pass "collector(1) and collector.yaml(5) list every command and key, without groff warnings"

# secrets never appear in output
echo "s3cret-pw" >"$T/pw"
"$COLLECTOR" check -c "$T/collector.yaml" --set mqtt.username=u --set mqtt.password_file="$T/pw" >"$T/out.txt" 2>&1
! grep -q s3cret "$T/out.txt" || fail "password printed"
pass "password not printed"

# rule errors are reported by check (file:line) and stop the daemon (exit 2)
printf 'rules:\n  - name: pm25_hot\n    source: test\n    series: reading\n    when: {op: "~", value: 3}\n' >"$T/bad-rules.yaml"
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" --set "rules.paths=$T/bad-rules.yaml" 2>&1); rc=$?
"$COLLECTOR" run -c "$T/collector.yaml" --set "rules.paths=$T/bad-rules.yaml" >/dev/null 2>&1; rc2=$?
set -e
[ $rc = 2 ] && grep -qE "bad-rules.yaml:5: " <<<"$out" || fail "rule error not reported: $out"
[ $rc2 = 2 ] || fail "run with bad rules should exit 2, got $rc2"
"$COLLECTOR" check -c "$T/collector.yaml" --set "rules.paths=$SRC_DIR/ruleset/rules" | grep -q "33 rules" ||
  fail "the plan's ruleset does not load"
pass "rule errors as file:line from check; the daemon refuses them; the plan's ruleset loads"
