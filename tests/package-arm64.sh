#!/usr/bin/env bash
# The arm64 package, on an amd64 machine (on demand: ARM64=1 tests/run.sh,
# or run this directly; it adds the arm64 architecture to dpkg and installs
# the cross toolchain and the :arm64 libraries). deploy/package.sh --arch
# arm64 cross-builds with Debian's multiarch toolchain, runs the unit tests
# under qemu-user and lints the package; then the packaged binary itself,
# unpacked, checks the packaged configuration under qemu-aarch64 and must
# load the plan's ruleset.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
T=$(mktemp -d "${TMPDIR:-/tmp}/collector-arm64.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

t0=$(date +%s)
deb=$(bash deploy/package.sh --arch arm64 2>"$T/package.log" | tail -n 1) ||
  { tail -n 60 "$T/package.log" >&2; fail "deploy/package.sh --arch arm64 failed"; }
[ -f "$deb" ] || fail "no package path printed"
grep -E '^package: (unit tests passed|lintian: [0-9]+ errors)' "$T/package.log" | sed 's/^package: //'
[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || fail "not an arm64 package"
pass "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB); unit tests passed under qemu-user"

dpkg-deb -x "$deb" "$T/root"
readelf -h "$T/root/usr/bin/collector" | grep -q "Machine: *AArch64" || fail "collector is not an aarch64 binary"
r=$T/root
out=$(qemu-aarch64 "$r/usr/bin/collector" check -c "$r/etc/collector/collector.yaml" \
  --set "devices.profiles=$r/usr/share/collector/profiles" \
  --set "devices.registry=$r/etc/collector/registry.yaml" \
  --set "rules.paths=$r/usr/share/collector/rules" 2>&1) || fail "check under qemu: $out"
grep -qE " [1-9][0-9]* rules" <<<"$out" || fail "the plan's rules are not loaded: $out"
pass "the packaged aarch64 collector checks the packaged configuration under qemu: ${out#*: }"
pass "arm64 done in $(($(date +%s) - t0)) s"
