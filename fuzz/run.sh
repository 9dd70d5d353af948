#!/bin/sh
# Run one libFuzzer harness for a while:
#
#   fuzz/run.sh HARNESS SECONDS [libFuzzer options...]
#
# HARNESS is open, header, keyring, replay_state, filter, trust or
# signed (a fuzz_ prefix is accepted). The first run configures a clang
# build in build-hard-fuzz/ (or $MQTTSEAL_FUZZ_BUILD) with -Dfuzzing=true and
# address and undefined sanitizers that abort on the first report. The
# fuzzer works on a copy of fuzz/corpus/HARNESS kept in the build dir, so
# what it learns carries over to the next run without touching the
# checked-in seeds; crashes land in BUILD/fuzz-work/HARNESS/artifacts/
# (add them to fuzz/corpus/HARNESS/ as regression inputs once fixed).
# Prints the final execs and coverage (cov: edges, ft: features).
# Runs one fuzzer process: the CI machine has two cores for everyone.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 HARNESS SECONDS [libFuzzer options...]" >&2
    exit 2
fi
h=${1#fuzz_}
secs=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${MQTTSEAL_FUZZ_BUILD:-$root/build-hard-fuzz}

if [ ! -d "$here/corpus/$h" ]; then
    echo "$0: no harness '$h' (fuzz/corpus/$h is missing)" >&2
    exit 2
fi
if ! command -v clang > /dev/null ||
    [ -z "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer*' 2>/dev/null)" ]; then
    echo "$0: needs clang with libFuzzer; as root run:" >&2
    echo "  apt-get update && apt-get install -y clang libclang-rt-14-dev" >&2
    exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
    setup_log=$(mktemp)
    CC=clang CXX=clang++ meson setup "$build" "$root" \
        -Dfuzzing=true -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all \
        -Dtests=disabled -Dpaho=disabled > "$setup_log" 2>&1 ||
        { cat "$setup_log"; rm -f "$setup_log"; exit 1; }
    rm -f "$setup_log"
fi
ninja -C "$build" "fuzz/fuzz_$h" > /dev/null

work=$build/fuzz-work/$h
mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$here/corpus/$h/"* "$work/corpus/" 2>/dev/null || true
dict=
[ -f "$here/$h.dict" ] && dict=-dict=$here/$h.dict

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log=$work/last.log
status=0
# shellcheck disable=SC2086
"$build/fuzz/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" \
    $dict "$@" "$work/corpus" > "$log" 2>&1 || status=$?

# The last status line ("#N DONE cov: C ft: F corp: ...") and the totals.
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz_$h: ${secs}s, ${execs:-?} execs; $last"
if [ $status -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|invariant failed|Test unit written' "$log" >&2 || true
    echo "fuzz_$h: FAILED (exit $status), log: $log" >&2
    exit 1
fi
echo "corpus: $(ls "$work/corpus" | wc -l) inputs in $work/corpus; log: $log"
