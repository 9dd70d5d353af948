#!/usr/bin/env bash
# Instructions per seal and per open (valgrind --tool=callgrind counts
# instructions, which a noisy machine does not change), against raw
# libsodium XChaCha20-Poly1305 and ChaCha20-Poly1305-IETF measured in the
# same run, at 64 B, 1 KiB and 16 KiB.
#   bench/icount.sh [BUILD_DIR] [N]      (defaults: build, 2000)
# Exit status 1 if any operation failed or a count is missing.
set -euo pipefail
build=${1:-build}
n=${2:-2000}
prog=$build/bench/icount
[ -x "$prog" ] || { echo "icount.sh: build $prog first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "icount.sh: needs valgrind" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Instructions per operation of one OP at one SIZE.
ir() {
    valgrind --tool=callgrind --toggle-collect=icount_loop \
        --callgrind-out-file="$tmp/out" "$prog" "$1" "$2" "$n" \
        2>"$tmp/err" >/dev/null || { cat "$tmp/err" >&2; exit 1; }
    local total
    total=$(sed -n 's/^summary: //p' "$tmp/out")
    [ -n "$total" ] && [ "$total" -gt 0 ] || { echo "icount.sh: no count for $1 $2" >&2; exit 1; }
    echo $(( (total + n / 2) / n ))
}

printf '%-8s %9s %9s %9s %9s %9s %9s %9s   %s\n' size raw-x-seal raw-c-seal \
    seal raw-x-open raw-c-open open open-norpl \
    'seal/x seal/c open/x open/c (instructions per operation)'
for size in 64 1024 16384; do
    xs=$(ir raw-x-seal "$size"); cs=$(ir raw-c-seal "$size")
    s=$(ir seal "$size")
    xo=$(ir raw-x-open "$size"); co=$(ir raw-c-open "$size")
    o=$(ir open "$size"); on=$(ir open-noreplay "$size")
    awk -v size="$size" -v xs="$xs" -v cs="$cs" -v s="$s" -v xo="$xo" \
        -v co="$co" -v o="$o" -v on="$on" 'BEGIN {
        printf "%-8s %9d %9d %9d %9d %9d %9d %9d   %.3f %.3f %.3f %.3f\n",
            size, xs, cs, s, xo, co, o, on, s / xs, s / cs, o / xo, o / co }'
done
echo "(open: replay protection on; open-norpl: off. Raw calls MAC the topic as associated data.)"
