#!/usr/bin/env bash
# Prints a configuration file generated from the collector's own key table
# (`collector config`), with the paths of one installation:
#   checkout  deploy/collector.yaml.example: profiles, registry and the
#             plan's ruleset of this repository, relative to deploy/
#   package   /etc/collector/collector.yaml of the Debian package
# Usage: deploy/gen-config.sh checkout|package [COLLECTOR]
# COLLECTOR is the binary to run (default build/collector/collector); it
# may be a command with an emulator in front, e.g. "qemu-aarch64 build/...".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collector=${2:-$here/build/collector/collector}

case "${1:-}" in
checkout)
  values=(
    'devices.profiles="../devices/profiles"'
    'devices.registry="registry.yaml"'
    'rules.paths=["../ruleset/rules"]'
  )
  ;;
package)
  values=(
    'devices.profiles="/usr/share/collector/profiles"'
    'devices.registry="/etc/collector/registry.yaml"'
    'rules.paths=["/usr/share/collector/rules"]'
  )
  ;;
*)
  echo "usage: $0 checkout|package [COLLECTOR]" >&2
  exit 2
  ;;
esac
args=()
for v in "${values[@]}"; do args+=(--value "$v"); done
# shellcheck disable=SC2086
$collector config "${args[@]}"
