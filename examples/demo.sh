#!/usr/bin/env bash
# mqttseal demo: run from anywhere in the repository, as root or not.
#
#   examples/demo.sh
#
# 1. Installs the Debian packages it needs (as root; otherwise prints the
#    apt-get command and exits 1).
# 2. Builds the examples in build-demo/.
# 3. Writes a fresh keyring and starts a private mosquitto on a free
#    127.0.0.1 port.
# 4. Starts the sealed subscriber (examples/sealed_sub.c) and a plain
#    mosquitto_sub on the same topic, publishes one forged plaintext
#    message with mosquitto_pub and a few messages with the sealed
#    publisher (examples/sealed_pub.c).
# 5. Prints side by side what the keyed subscriber received and what the
#    broker delivered to the plain subscriber, then stops everything it
#    started (by pid), also on Ctrl-C.
set -euo pipefail

PACKAGES=(libsodium-dev libpaho-mqtt-dev libcmocka-dev meson ninja-build
          pkg-config mosquitto mosquitto-clients gcc libc6-dev python3)
TOPIC=demo/sensors/kitchen
MESSAGES=("temperature 21.5 C" "humidity 40 %" "door closed")
FORGED="door open (forged by a plain client)"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-demo
export PATH=$PATH:/usr/sbin:/sbin # mosquitto lives in /usr/sbin

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "demo: missing Debian packages: ${missing[*]}" >&2
        say "Install them with:" >&2
        say "  sudo apt-get update &&" \
            "sudo apt-get install -y ${PACKAGES[*]}" >&2
        exit 1
    fi
    say "== installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" \
        >/dev/null
}

build_examples() {
    local log=$work/build.log
    say "== building the examples in build-demo/"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$root" >"$log" 2>&1 ||
            { tail -30 "$log" >&2; die "meson setup failed"; }
    fi
    meson compile -C "$build" examples/keygen examples/sealed_pub \
        examples/sealed_sub >>"$log" 2>&1 ||
        { tail -30 "$log" >&2; die "build failed"; }
}

# Everything started below is stopped here, by pid.
work='' SUB_PID='' PLAIN_PID=''
cleanup() {
    local pid
    for pid in $SUB_PID $PLAIN_PID; do
        if kill "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
        fi
    done
    SUB_PID='' PLAIN_PID=''
    if declare -F broker_stop >/dev/null; then broker_stop; fi
    [ -n "$work" ] && rm -rf "$work"
    work=''
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

wait_for() { # FILE PATTERN: up to 10 s
    local i
    for i in $(seq 1 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "timed out waiting for '$2' in $1"
}

start_subscribers() {
    local n=${#MESSAGES[@]} uri=tcp://127.0.0.1:$BROKER_PORT
    "$build/examples/sealed_sub" -b "$uri" -t "$TOPIC" -k "$work/demo.keyring" \
        -q 1 -C "$n" -W 20 >"$work/sealed.out" 2>"$work/sealed.err" &
    SUB_PID=$!
    # -d adds debug lines (filtered out in show) with "received SUBACK":
    # the cue to publish.
    stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t "$TOPIC" \
        -q 1 -d \
        -C $((n + 1)) -W 20 -F '%x' >"$work/plain.out" 2>&1 &
    PLAIN_PID=$!
    wait_for "$work/sealed.err" "subscribed to"
    wait_for "$work/plain.out" "received SUBACK"
}

publish() {
    # First a forged plaintext message from a plain client, then the
    # sealed publisher: so sealed_sub has judged the forgery before its
    # -C count of genuine messages is reached.
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t "$TOPIC" -q 1 \
        -m "$FORGED"
    printf '%s\n' "${MESSAGES[@]}" |
        "$build/examples/sealed_pub" -b "tcp://127.0.0.1:$BROKER_PORT" \
            -t "$TOPIC" -k "$work/demo.keyring" -q 1
}

wait_subscribers() {
    wait "$SUB_PID" ||
        die "the sealed subscriber failed: $(cat "$work/sealed.err")"
    wait "$PLAIN_PID" || die "mosquitto_sub failed: $(cat "$work/plain.out")"
    SUB_PID='' PLAIN_PID=''
}

show() {
    local -a got hex
    local i h shown opened
    mapfile -t got <"$work/sealed.out"
    mapfile -t hex < <(grep -E '^[0-9a-f]+$' "$work/plain.out")
    say ""
    printf '%-2s %-26s | %s\n' "#" "sealed_sub (holds the key)" \
        "mosquitto_sub (no key): payload in hex"
    printf -- '%s+%s\n' "$(printf -- '-%.0s' {1..30})" \
        "$(printf -- '-%.0s' {1..46})"
    for i in "${!hex[@]}"; do
        h=${hex[$i]}
        shown=${h:0:32}
        [ ${#h} -gt 32 ] && shown="$shown... ($((${#h} / 2)) bytes)"
        opened="(rejected)" # message 1 is the forgery
        [ "$i" -gt 0 ] && opened=${got[$((i - 1))]:-(missing)}
        printf '%-2s %-26s | %s\n' "$((i + 1))" "$opened" "$shown"
    done
    say ""
    say "The broker saw only ciphertext from the sealed publisher. Message 1,"
    say "plaintext forged by mosquitto_pub, never reached sealed_sub's" \
        "callback:"
    grep 'rejected' "$work/sealed.err" | sed 's/^/  /' || true
}

main() {
    cd "$root"
    install_packages
    work=$(mktemp -d "${TMPDIR:-/tmp}/mqttseal-demo.XXXXXX")
    build_examples
    # shellcheck source=../tests/lib/broker.sh
    . "$root/tests/lib/broker.sh"
    "$build/examples/keygen" "$work/demo.keyring" >/dev/null
    say "== fresh keyring $work/demo.keyring" \
        "(mode $(stat -c %a "$work/demo.keyring"))"
    broker_start "$work/broker"
    say "== private mosquitto on 127.0.0.1:$BROKER_PORT" \
        "(pid $BROKER_PID), topic $TOPIC"
    start_subscribers
    publish
    wait_subscribers
    show
}

main "$@"
