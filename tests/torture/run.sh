#!/usr/bin/env bash
# The torture suite. Short versions run in CI with the other tests (ctest
# label "torture"); this script runs the full one, on demand, against the
# build in BUILD_DIR (default build/), and prints each scenario's figures
# for docs/reliability.md:
#   - power loss: POWERLOSS_CUTS cut points of the test VFS (2000);
#   - SIGKILL of the collector under QoS 1 load, 20 times;
#   - SIGKILL of the broker (persistence on), queued and under load;
#   - disk full on a real (tmpfs) file system, resumed without a restart;
#   - hostile HJ 212 clients while a good datalogger is answered;
#   - with --soak: 30 minutes at 2,000 msg/s with retention on, sampling
#     RSS, open files, threads and database size every 10 s;
#   - with --fuzz: every fuzz target to 10^7 executions.
#   usage: tests/torture/run.sh [--soak] [--fuzz]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build}
export SRC_DIR=$root
soak=0 fuzz=0
for a in "$@"; do
  case $a in
    --soak) soak=1 ;;
    --fuzz) fuzz=1 ;;
    *) echo "usage: $0 [--soak] [--fuzz]" >&2; exit 2 ;;
  esac
done
failed=0
run() { # name, command...
  local name=$1 t0=$SECONDS
  shift
  echo "== $name"
  if "$@"; then echo "   passed in $((SECONDS - t0)) s"; else echo "   FAILED"; failed=1; fi
}
run "power loss, 2000 cut points" env POWERLOSS_CUTS=2000 "$BUILD_DIR/tests/test_powerloss"
run "collector SIGKILL x 20 under QoS 1 load" \
  env KILL9_ROUNDS=20 KILL9_MESSAGES=60000 KILL9_INTERVAL=1 bash "$root/tests/integration/test_kill9.sh"
run "broker SIGKILL" env TORTURE_MESSAGES=20000 bash "$here/torture_broker_kill9.sh"
run "disk full" env TORTURE_MESSAGES=20000 bash "$here/torture_disk_full.sh"
if [ -f "$root/tests/integration/test_hj212_hostile.sh" ]; then
  run "hostile HJ 212 clients" bash "$root/tests/integration/test_hj212_hostile.sh"
fi
if [ "$soak" = 1 ]; then
  run "soak, 30 min at 2000 msg/s" bash "$here/soak.sh"
fi
if [ "$fuzz" = 1 ]; then
  run "fuzzing to 10^7 executions per target" env FUZZ_RUNS=10000000 bash "$root/tests/fuzz/run.sh" 3600
fi
exit $failed
