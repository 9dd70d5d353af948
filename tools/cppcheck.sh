#!/bin/sh
# Static analysis: cppcheck on the libraries (src/, src/paho/, src/redis/:
# cppcheck descends into subdirectories) and the CLI
# (tools/), as the 'lint' meson suite runs it:
#
#   tools/cppcheck.sh [SOURCE_ROOT]
#
# Zero findings is the bar. A deliberate exception is made where the code
# is, with an inline "cppcheck-suppress <id>" comment that says why; there
# is no suppression list here. Exit 77 (meson's "skipped") without cppcheck.
set -eu

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v cppcheck >/dev/null 2>&1; then
    echo "cppcheck not found: skipped"
    exit 77
fi

# Only directories that hold C sources; tools/ may not exist yet.
dirs=
for d in "$root/src" "$root/tools"; do
    if [ -d "$d" ] && find "$d" -name '*.c' | grep -q .; then
        dirs="$dirs $d"
    fi
done

# -D__GNUC__ selects the configuration we build (attributes on), so
# cppcheck does not also try every #if combination; --check-config is
# not used because system headers are not given to it on purpose
# (--library=posix describes them instead).
# shellcheck disable=SC2086
exec cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
    --enable=warning,style,performance,portability \
    --library=posix -D__GNUC__ -D_POSIX_C_SOURCE=200809L \
    -I "$root/include" -I "$root/src" -I "$root/src/paho" -I "$root/src/redis" \
    -I "$root/tools" \
    --template='{file}:{line}: {severity} ({id}): {message}' \
    $dirs
