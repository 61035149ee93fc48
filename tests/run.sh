#!/usr/bin/env bash
# Builds and runs every test: installs packages (deploy/setup.sh), builds
# the project, runs unit, integration and fuzz-corpus tests and the demo
# (deploy/demo.sh), then rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer and runs the unit tests
# again, with ThreadSanitizer and runs the unit and threaded integration
# tests again, fuzzes each parser for a bounded time when clang is present,
# checks formatting (clang-format), common C bugs (clang-tidy) and banned
# functions, and builds, installs, removes and purges the Debian package
# (tests/package.sh). Exit status 0 only if all pass.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 30, 0 skips)
#   TSAN=0           skip the ThreadSanitizer build and its tests
#   PACKAGE=0        skip the package step
#   ARM64=1          also cross-build the arm64 package and run its unit tests
#                    under qemu-user (tests/package-arm64.sh; about 3 min more)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash deploy/setup.sh || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
failed=0
passed=0
summary=()

step() { # name, command...
  local name=$1
  shift
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
    summary+=("ok      $name")
  else
    failed=$((failed + 1))
    summary+=("FAILED  $name")
  fi
}

build() { # dir, cmake args...
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" >/dev/null &&
    cmake --build "$dir" -j "$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Scanning' || true
  test -x "$dir/collector/collector"
}

lint() {
  local bad=0 files
  files=$(git ls-files '*.c' '*.h' 2>/dev/null || find collector devices ruleset tests -name '*.[ch]')
  if command -v clang-format >/dev/null; then
    # shellcheck disable=SC2086
    clang-format --dry-run -Werror $files || bad=1
  fi
  # Functions we do not use (STYLE.md §10).
  if grep -nE '\b(strcpy|strcat|sprintf|strtok|atoi|atol|gets)\s*\(' $files | grep -v '^\s*/\*'; then
    echo "lint: banned function used" >&2
    bad=1
  fi
  bash tests/lint_arrows.sh || bad=1
  # clang-tidy with the checks of .clang-tidy on the project's own sources
  # (not tests/: they build unterminated and oversized buffers on purpose).
  if command -v clang-tidy >/dev/null && [ -f build/compile_commands.json ]; then
    git ls-files 'base/*.c' 'devices/*.c' 'ruleset/*.c' 'collector/*.c' |
      xargs -P "$jobs" -n 8 clang-tidy -p build --quiet 2>/dev/null || bad=1
  fi
  return $bad
}

step "build" build build
step "tests (unit, integration, fuzz corpora)" \
  ctest --test-dir build --output-on-failure -j "$jobs"
# The README's other command, end to end in a directory of its own: it
# exits non-zero when a server does not start, the collector refuses its
# configuration, or the day does not reach the data pool.
demo() {
  local d rc
  d=$(mktemp -d /tmp/collector-demo.XXXXXX) || return 1
  DEMO_DIR=$d bash deploy/demo.sh
  rc=$?
  rm -rf "$d"
  return $rc
}
step "demo (deploy/demo.sh, end to end)" demo
step "build with ASan+UBSan" build build-asan -DCOLLECTOR_SANITIZE=address,undefined
step "unit tests under ASan+UBSan" \
  env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -L unit -j "$jobs"
if [ "${TSAN:-1}" != 0 ]; then
  # The daemon's threads (ingest, scheduler, delivery, HTTP, HJ 212 listener)
  # under ThreadSanitizer: the unit tests and the integration tests that
  # exercise them together; a race stops the daemon (halt_on_error) and
  # fails its test.
  step "build with TSan" build build-tsan -DCOLLECTOR_SANITIZE=thread
  step "unit and threaded integration tests under TSan" \
    env TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 BUILD_DIR="$here/build-tsan" \
    ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
    -R 'unit/|integration/(test_http|test_reload_channels|test_hj212_tcp)$'
fi
if [ "${FUZZ_SECONDS:-30}" != 0 ] && command -v clang >/dev/null && [ -f tests/fuzz/run.sh ]; then
  step "fuzzing (${FUZZ_SECONDS:-30}s per target)" bash tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"
fi
step "lint (clang-format, clang-tidy, banned functions, arrows between rooms)" lint
if [ "${PACKAGE:-1}" != 0 ]; then
  step "Debian package (build, install, check as the collector user, remove, purge)" \
    bash tests/package.sh
fi
if [ "${ARM64:-0}" = 1 ]; then
  step "arm64 package (cross-built, unit tests under qemu-user)" bash tests/package-arm64.sh
fi

echo
printf '%s\n' "${summary[@]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
