#!/usr/bin/env bash
# CPU time per seal and per open, C (build/bench/icount) against JS
# (bindings/js/bench/ops.js). CPU time, not wall time, so that a loaded
# machine inflates it far less; every figure is the median of R runs.
# C: perf's task-clock of a run with N operations minus a run with 1, over
# N - 1; icount's open runs seal their envelopes first, so a C open costs
# (open run - seal run) / (N - 1). JS: ops.js times its own loop
# (process.cpuUsage), which leaves Node's start-up out.
#   bindings/js/bench/cpu.sh [BUILD_DIR] [N] [R]   (build, 100000, 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$top/build}
n=${2:-100000}
r=${3:-5}
icount=$build/bench/icount
[ -x "$icount" ] || { echo "cpu.sh: build $icount first" >&2; exit 2; }
command -v perf > /dev/null || { echo "cpu.sh: needs perf (linux-perf)" >&2; exit 2; }

msec() {  # CPU milliseconds of one command
    perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
per_op() {  # per_op COMMAND... : median over R of (t(N) - t(1)) / (N - 1), ns
    local i
    for i in $(seq "$r"); do
        awk -v a="$(msec "$@" "$n")" -v b="$(msec "$@" 1)" -v n="$n" \
            'BEGIN {printf "%.1f\n", (a - b) * 1e6 / (n - 1)}'
    done | median
}

printf '%6s %9s %9s %9s %9s %7s %7s\n' bytes C-seal JS-seal C-open JS-open \
    'JS/C s' 'JS/C o'
for size in 64 1024 4096; do
    cs=$(per_op "$icount" seal "$size")
    co=$(per_op "$icount" open "$size")
    js=$(for i in $(seq "$r"); do node "$top/bindings/js/bench/ops.js" seal "$size" "$n"; done | median)
    jo=$(for i in $(seq "$r"); do node "$top/bindings/js/bench/ops.js" open "$size" "$n"; done | median)
    awk -v z="$size" -v cs="$cs" -v co="$co" -v js="$js" -v jo="$jo" 'BEGIN {
        o1 = co - cs; o2 = jo
        printf "%6d %9.0f %9.0f %9.0f %9.0f %7.1f %7.1f\n", z, cs, js, o1, o2,
            js / cs, o2 / o1 }'
done
echo "(ns of CPU time per message; open: replay protection on, topic cached)"
