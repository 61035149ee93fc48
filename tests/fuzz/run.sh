#!/bin/sh
# Build (incrementally, with clang and -DCOLLECTOR_FUZZ=ON) and run every
# libFuzzer target for SECONDS each, over a scratch copy of its seed corpus.
# The git corpus is not touched unless a target crashes: then the crashing
# inputs are copied into corpus/<target>/ so they replay as regression tests
# (fuzz_replay/<target>) once fixed, and the script fails.
#
# usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]   (default BUILD_DIR: build-fuzz)
#   TARGETS="decode_senml decode_hj212"   run a subset
#   FUZZ_NO_BUILD=1                       use the binaries already in BUILD_DIR
#   FUZZ_RUNS=N                           stop each target after N executions
#                                         (SECONDS still bounds the time)
set -eu

secs=${1:?usage: run.sh SECONDS [BUILD_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-${BUILD_DIR:-$root/build-fuzz}}

wanted() { # target
    [ -z "${TARGETS:-}" ] && return 0
    case " $TARGETS " in *" $1 "*) return 0 ;; esac
    return 1
}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    CC=clang cmake -S "$root" -B "$build" -DCOLLECTOR_FUZZ=ON >/dev/null
    for src in "$here"/fuzz_*.c; do
        target=$(basename "$src" .c)
        target=${target#fuzz_}
        wanted "$target" || continue
        [ "$target" = decode_json ] && [ ! -f "$root/devices/decode_json.c" ] && continue
        cmake --build "$build" --target "fuzz_$target" -j "$(nproc 2>/dev/null || echo 2)" \
            >"$build/fuzz_build_$target.log" 2>&1 || {
            tail -n 30 "$build/fuzz_build_$target.log"
            echo "run.sh: cannot build fuzz_$target" >&2
            exit 2
        }
    done
fi

failed=0
found=0

for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    case "$name" in fuzz_replay_*) continue ;; esac
    target=${name#fuzz_}
    wanted "$target" || continue
    found=$((found + 1))
    work=$(mktemp -d)
    mkdir -p "$work/corpus" "$work/artifacts"
    if [ -d "$here/corpus/$target" ]; then
        cp "$here/corpus/$target"/* "$work/corpus/" 2>/dev/null || true
    fi
    dict=
    if [ -f "$here/$target.dict" ]; then
        dict="-dict=$here/$target.dict"
    fi
    echo "== $target: ${secs}s"
    runs=
    [ -n "${FUZZ_RUNS:-}" ] && runs="-runs=$FUZZ_RUNS"
    # shellcheck disable=SC2086
    if "$bin" -max_total_time="$secs" $runs -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        $dict -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/log" || true
        echo "   corpus: $(ls "$work/corpus" | wc -l) inputs after the run"
    else
        failed=1
        tail -n 60 "$work/log"
        for a in "$work/artifacts"/*; do
            [ -f "$a" ] || continue
            sum=$(sha1sum "$a" | cut -c1-16)
            cp "$a" "$here/corpus/$target/$(basename "$a" | cut -d- -f1)-$sum"
            echo "   saved $(basename "$a") as corpus/$target/$(basename "$a" | cut -d- -f1)-$sum"
        done
    fi
    rm -rf "$work"
done

if [ "$found" -eq 0 ]; then
    echo "run.sh: no fuzz_* binaries in $build/tests/fuzz (configure with CC=clang -DCOLLECTOR_FUZZ=ON)" >&2
    exit 2
fi
exit "$failed"
