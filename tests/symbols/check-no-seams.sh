#!/bin/sh
# The shipped libraries hold no test-only seam (src/test_seams.c and the
# MQTTSEAL_PRIVATE_APIS parts of clock.c and secure.c), not even as a
# local symbol: check-no-seams.sh LIBRARY...
set -eu
seams='ms_clock_set_fake|ms_test_set_wipe_observer|ms_test_seal_fields|fake_now_ms|wipe_observer'
status=0
for lib in "$@"; do
    if nm -a "$lib" 2>/dev/null | grep -E "($seams)\$"; then
        echo "$lib: holds a test-only seam (above)"
        status=1
    fi
done
[ $status -eq 0 ] && echo "no test-only seams in: $*"
exit $status
