#!/usr/bin/env bash
# Installs every Debian package the build, the demo and the tests need.
# Idempotent and quiet when everything is already there. Run as root (or
# with sudo available). Nothing is downloaded from outside Debian.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang clang-format clang-tidy
  libmosquitto-dev mosquitto mosquitto-clients
  libsqlite3-dev sqlite3 libcurl4-openssl-dev libcjson-dev libyaml-dev
  libmicrohttpd-dev zlib1g-dev libcmocka-dev libsystemd-dev
  python3 procps openssl libssl-dev
  nginx prometheus prometheus-alertmanager chromium fonts-wqy-zenhei
  dpkg-dev lintian systemd man-db faketime libfaketime
)
# prometheus: promtool (metrics lint, alerting-rule tests) and a real
# scraper; fonts-wqy-zenhei: Chinese text in rendered HTML reports;
# dpkg-dev, lintian, systemd (systemd-analyze), man-db: the Debian package;
# faketime, libfaketime: tests that run the daemon under a wrong clock.
# Node.js runs the S3-compatible test server (s3rver, from the npm registry).
# Where Node.js and npm are already installed (possibly not from Debian),
# Debian's npm would conflict with them: only install it when missing.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts system services (mosquitto, nginx, alertmanager) where
# systemd runs; the tests and the demo start their own on free loopback
# ports and need none of them.
