#!/bin/sh
# Runs the constant-time test under valgrind (see ct.c):
#   run-ct.sh CT_PROGRAM SUPPRESSIONS
# Any report not in SUPPRESSIONS (libsodium's internals only) fails with
# exit code 1. Exit 77 (meson's "skipped") when valgrind is missing.
set -eu
prog=$1
supp=$2
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found: skipped"
    exit 77
fi
# --expensive-definedness-checks=yes: exact (bit-level) definedness for
# comparisons, which the partly secret base64 characters in ct.c rely on.
exec valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes \
    --expensive-definedness-checks=yes --num-callers=30 \
    --leak-check=no --suppressions="$supp" "$prog"
