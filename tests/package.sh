#!/usr/bin/env bash
# The Debian package, end to end, on this machine (a CI step of tests/run.sh;
# needs root, as dpkg does): builds it with deploy/package.sh, installs it,
# checks the collector user, the state directory and the unit
# (systemd-analyze verify, and a security exposure of at most 2.5), runs
# `collector check` on the packaged configuration as the collector user
# (the plan's ruleset must load), removes the package (configuration, data
# and user stay) and purges it (nothing of it is left). Works where systemd
# is not running, as in a container.
#   PKG_DEB=FILE  test this .deb instead of building one
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
PKG=xuhui-collector
T=$(mktemp -d "${TMPDIR:-/tmp}/collector-pkg.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "run as root (dpkg installs the package)"
  exec sudo -E bash "$0" "$@"
fi
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "ok installed"; then
  fail "$PKG is installed on this machine already; this test installs and purges it"
fi
getent passwd collector >/dev/null && fail "a user 'collector' exists already"

t0=$(date +%s)
if [ -n "${PKG_DEB:-}" ]; then
  deb=$PKG_DEB
else
  deb=$(bash deploy/package.sh 2>"$T/package.log" | tail -n 1) ||
    { tail -n 40 "$T/package.log" >&2; fail "deploy/package.sh failed"; }
  grep '^package: lintian: [0-9]* errors' "$T/package.log" | sed 's/^package: //' || true
fi
[ -f "$deb" ] || fail "deploy/package.sh printed no package path"
pass "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $(($(date +%s) - t0)) s"

# What the package will create: every path of it that does not exist yet.
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^/\?$' |
  while read -r p; do [ -e "$p" ] || echo "$p"; done >"$T/new-paths"
extra=(/var/lib/collector /etc/collector /etc/collector/credentials
  /etc/systemd/system/multi-user.target.wants/collector.service)
for p in "${extra[@]}"; do [ -e "$p" ] && fail "$p exists before the install"; done
grep -q '^/usr/bin/collector$' "$T/new-paths" || fail "/usr/bin/collector exists before the install"

# Minimal images tell dpkg not to install documentation (path-exclude in
# /etc/dpkg/dpkg.cfg.d/): such a file is not expected to appear.
is_excluded() {
  local p=$1 rule pat out=1
  while read -r rule pat; do
    # shellcheck disable=SC2053
    [[ $p == $pat ]] || continue
    [ "$rule" = path-exclude ] && out=0 || out=1
  done < <(cat /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/* 2>/dev/null | grep -E '^path-(ex|in)clude[= ]' |
    sed 's/[= ]/ /')
  return $out
}

# ---- install ----------------------------------------------------------------
dpkg -i "$deb" >"$T/install.log" 2>&1 || fail "dpkg -i: $(cat "$T/install.log")"
getent passwd collector >/dev/null || fail "no collector user after install"
getent group collector >/dev/null || fail "no collector group after install"
[ "$(stat -c '%a %U %G' /var/lib/collector)" = "750 collector collector" ] ||
  fail "/var/lib/collector is $(stat -c '%a %U %G' /var/lib/collector), not 750 collector collector"
for f in /usr/bin/collector /usr/bin/devsim /etc/collector/collector.yaml /etc/collector/registry.yaml \
  /lib/systemd/system/collector.service /usr/share/man/man1/collector.1.gz \
  /usr/share/man/man5/collector.yaml.5.gz /usr/share/collector/prometheus/collector-alerts.yml; do
  [ -e "$f" ] || is_excluded "$f" || fail "$f not installed"
done
[ -n "$(ls /usr/share/collector/profiles/*.yaml)" ] || fail "no profiles installed"
[ -n "$(ls /usr/share/collector/rules/*.yaml)" ] || fail "no rules installed"
grep -qx /etc/collector/collector.yaml <(dpkg-query --showformat='${Conffiles}\n' -W "$PKG" |
  awk '{print $1}') || fail "collector.yaml is not a conffile"
pass "installed: user and group collector, /var/lib/collector 750, conffiles, profiles, rules, unit, man pages, alerting rules"

# the packaged configuration, as the unit runs it
want=$(/usr/bin/collector check -c deploy/collector.yaml.example | sed -n 's/.* \([0-9][0-9]*\) rules.*/\1/p')
[ "${want:-0}" -gt 0 ] || fail "the checkout's ruleset does not load"
out=$(setpriv --reuid=collector --regid=collector --init-groups \
  /usr/bin/collector check -c /etc/collector/collector.yaml 2>&1) ||
  fail "collector check as the collector user: $out"
grep -q " $want rules" <<<"$out" || fail "the plan's $want rules are not loaded: $out"
pass "collector check -c /etc/collector/collector.yaml as the collector user: $out"

# man pages render; the unit passes verify and scores as required
if command -v man >/dev/null && [ -e /usr/share/man/man1/collector.1.gz ]; then
  man -l /usr/share/man/man1/collector.1.gz 2>&1 | grep -q "collector check" ||
    fail "collector(1) does not render"
  man -l /usr/share/man/man5/collector.yaml.5.gz 2>&1 | grep -q "mqtt.client_id" ||
    fail "collector.yaml(5) does not list the keys"
fi
systemd-analyze verify /lib/systemd/system/collector.service >"$T/verify.log" 2>&1 ||
  fail "systemd-analyze verify: $(cat "$T/verify.log")"
systemd-analyze security --offline=true --no-pager /lib/systemd/system/collector.service \
  >"$T/security.log" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for collector.service: \([0-9.]*\).*/\1/p' "$T/security.log")
[ -n "$score" ] || fail "no exposure score: $(tail -3 "$T/security.log")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "exposure $score is above 2.5"
pass "systemd-analyze verify passes; security exposure $score (at most 2.5)"

# ---- reinstall (an upgrade): the operator's edits and the data stay --------------
echo "# edited by the operator" >>/etc/collector/collector.yaml
echo data >/var/lib/collector/collector.db
chown collector:collector /var/lib/collector/collector.db
dpkg -i "$deb" >"$T/reinstall.log" 2>&1 || fail "dpkg -i over the installed package: $(cat "$T/reinstall.log")"
grep -q "edited by the operator" /etc/collector/collector.yaml || fail "reinstall lost the configuration"
[ "$(cat /var/lib/collector/collector.db)" = data ] || fail "reinstall touched the database"
pass "installed again over itself: the edited configuration and the database stay"

# ---- remove: configuration, data and user stay ----------------------------------
systemctl enable collector.service >"$T/enable.log" 2>&1 || fail "systemctl enable: $(cat "$T/enable.log")"
[ -L /etc/systemd/system/multi-user.target.wants/collector.service ] || fail "enable made no link"
dpkg -r "$PKG" >"$T/remove.log" 2>&1 || fail "dpkg -r: $(cat "$T/remove.log")"
[ ! -e /usr/bin/collector ] || fail "/usr/bin/collector left after remove"
[ -f /var/lib/collector/collector.db ] || fail "remove deleted the database"
grep -q "edited by the operator" /etc/collector/collector.yaml || fail "remove lost the configuration"
getent passwd collector >/dev/null || fail "remove deleted the user (its files stay)"
pass "dpkg -r keeps the configuration, the database and the user"

# ---- purge: nothing is left -------------------------------------------------------
dpkg -P "$PKG" >"$T/purge.log" 2>&1 || fail "dpkg -P: $(cat "$T/purge.log")"
left=()
while read -r p; do [ -e "$p" ] || [ -L "$p" ] && left+=("$p"); done <"$T/new-paths"
for p in "${extra[@]}"; do [ -e "$p" ] || [ -L "$p" ] && left+=("$p"); done
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
! getent passwd collector >/dev/null || fail "user collector left after purge"
! getent group collector >/dev/null || fail "group collector left after purge"
! dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "installed" || fail "dpkg still knows $PKG"
! ls /var/lib/systemd/deb-systemd-helper-enabled/ 2>/dev/null | grep -q collector ||
  fail "systemd enablement state left after purge"
pass "dpkg -P leaves nothing behind (files, unit link, user, group) in $(($(date +%s) - t0)) s in all"
