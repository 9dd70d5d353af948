# Shared helpers for the mqttseal CLI tests (sourced by each test script).
#
# Environment (set by tests/cli/meson.build):
#   MQTTSEAL                   path of the built mqttseal program
#   MQTTSEAL_SRC               the source tree (docs, vectors, tests/lib)
#   MQTTSEAL_TEST_BROKER_PORT  use this running broker instead of starting
#                              a private one (tests/run.sh sets it)

: "${MQTTSEAL:?set MQTTSEAL to the built mqttseal program}"
: "${MQTTSEAL_SRC:?set MQTTSEAL_SRC to the source tree}"
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/mqttseal-cli.XXXXXX")
BG_PIDS=()
OWN_BROKER=0

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "$OWN_BROKER" = 1 ]; then
        broker_stop
    fi
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
umask 022  # the CLI, not the umask, must make keyrings private

. "$MQTTSEAL_SRC/tests/lib/broker.sh"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A topic prefix no other test (or run) uses on a shared broker.
PFX="clitest/$$-$RANDOM"

# need_broker: sets PORT, starting a private broker unless one is shared.
need_broker() {
    if [ -n "${MQTTSEAL_TEST_BROKER_PORT:-}" ]; then
        PORT=$MQTTSEAL_TEST_BROKER_PORT
    else
        broker_start "$T/broker"
        OWN_BROKER=1
        PORT=$BROKER_PORT
    fi
}

# expect CODE REGEX -- CMD...: CMD exits with CODE, its stderr is exactly
# one line and matches the extended regex REGEX.
expect() {
    local code=$1 re=$2 rc=0 lines
    shift 3
    "$@" > "$T/expect.out" 2> "$T/expect.err" || rc=$?
    [ "$rc" = "$code" ] ||
        fail "'$*' exited $rc, expected $code; stderr: $(cat "$T/expect.err")"
    lines=$(wc -l < "$T/expect.err")
    [ "$lines" = 1 ] ||
        fail "'$*' wrote $lines lines on stderr, expected one: $(cat "$T/expect.err")"
    grep -Eq -- "$re" "$T/expect.err" ||
        fail "'$*' stderr does not match /$re/: $(cat "$T/expect.err")"
}

# start_sub OUT ERR ARGS...: run 'mqttseal sub -d ARGS' in the background
# (pid in SUB_PID) and wait until it has subscribed.
start_sub() {
    local out=$1 err=$2 i
    shift 2
    "$MQTTSEAL" sub -d "$@" > "$out" 2> "$err" &
    SUB_PID=$!
    BG_PIDS+=("$SUB_PID")
    for i in $(seq 1 200); do
        grep -q "subscribed to" "$err" 2>/dev/null && return 0
        kill -0 "$SUB_PID" 2>/dev/null || break
        sleep 0.05
    done
    fail "mqttseal sub did not subscribe: $(cat "$err")"
}

# wait_sub: wait for the sub started last; sets SUB_RC.
wait_sub() {
    SUB_RC=0
    wait "$SUB_PID" || SUB_RC=$?
}

# check_mode FILE 600
check_mode() {
    local m
    m=$(stat -c %a "$1")
    [ "$m" = "$2" ] || fail "$1 has mode $m, expected $2"
}
