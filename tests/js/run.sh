#!/usr/bin/env bash
# The JavaScript binding's tests, as tests/run.sh runs them:
#
#   MQTTSEAL_CLI=build/tools/mqttseal tests/js/run.sh
#
# 1. npm ci in bindings/js (exactly the packages of package-lock.json),
# 2. builds the dashboard (examples/dashboard/build.mjs, esbuild) and
#    type-checks the .d.ts declarations (tsc),
# 3. node --test: every vector of tests/vectors (signed.txt included), the
#    Context tests (with offline C CLI interop) and signed envelopes,
# 4. inside tests/js/netns.sh (a private network namespace with its own
#    mosquitto, MQTT and WebSockets on its loopback): C <-> JS through the
#    broker (signed envelopes too: pub --sign, sub --trust), and the dashboard in Debian's headless Chromium.
# Prints node's TAP and one 'js-check NAME ok|FAILED' line per other check;
# exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
js=$top/bindings/js
status=0

check() {  # check NAME command...
    local name=$1
    shift
    if "$@"; then
        echo "js-check $name ok"
    else
        echo "js-check $name FAILED"
        status=1
    fi
}

if [ -z "${MQTTSEAL_CLI:-}" ] || [ ! -x "$MQTTSEAL_CLI" ]; then
    echo "tests/js/run.sh: set MQTTSEAL_CLI to a built tools/mqttseal" >&2
    exit 1
fi
export MQTTSEAL_CLI

echo "== npm ci (bindings/js/package-lock.json)"
if ! (cd "$js" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "js-check npm-ci FAILED"
    exit 1
fi
echo "js-check npm-ci ok"
check dashboard-build node "$top/examples/dashboard/build.mjs"
check typescript-declarations "$js/node_modules/.bin/tsc" -p "$js"

echo "== node --test: vectors, Context, signed envelopes"
node --test --test-reporter=tap "$js/test/vectors.test.js" \
    "$js/test/context.test.js" "$js/test/sign.test.js" || status=1

echo "== node --test in a private network namespace: broker and Chromium"
"$top/tests/js/netns.sh" node --test --test-reporter=tap \
    --test-concurrency=1 "$js/test/broker.test.js" \
    "$js/test/browser.test.js" || status=1
exit $status
