#!/usr/bin/env bash
# README.md, "Running a sealed deployment from the shell", run literally:
# every '$ ' command of that section, in order, with port 1883 replaced by
# a free loopback port. The test fails if the section has a command this
# script does not run (or runs one it does not have), and checks the
# results that the section describes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

doc=$MQTTSEAL_SRC/README.md
awk '/^## Running a sealed deployment from the shell$/ {on = 1; next}
     /^## / {on = 0}
     on && /^\$ / {sub(/^\$ /, ""); print}' "$doc" > doc.cmds
[ "$(wc -l < doc.cmds)" -ge 15 ] || fail "section not found in $doc"

mqttseal() { "$MQTTSEAL" "$@"; }
PORT=$(broker_free_port)
ran=()

# step 'COMMAND as written in the section': run it; RC, step.out, step.err.
step() {
    ran+=("$1")
    RC=0
    eval "${1//1883/$PORT}" > step.out 2> step.err || RC=$?
}
ok() {  # ok: the last step succeeded and wrote nothing on stderr
    [ "$RC" = 0 ] || fail "'${ran[-1]}' exited $RC: $(cat step.err)"
    [ ! -s step.err ] || fail "'${ran[-1]}' wrote: $(cat step.err)"
}
out_is() {  # out_is LINE...: stdout is exactly these lines
    printf '%s\n' "$@" | diff -u - step.out || fail "'${ran[-1]}' output"
}
sorted_out_is() {
    printf '%s\n' "$@" | diff -u - <(sort step.out) ||
        fail "'${ran[-1]}' output"
}

# 1. A broker (the section runs it in a terminal of its own).
ran+=("mosquitto -p 1883")
read -r -a argv <<< "mosquitto -p $PORT"
"${argv[@]}" > mosquitto.log 2>&1 &
BG_PIDS+=("$!")
for i in $(seq 1 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break
    sleep 0.05
done

# 2. A root key.
step "mqttseal keygen root.keyring"
ok
check_mode root.keyring 600

# 3. Device keyrings.
step "mqttseal grant --keyring root.keyring --out sensor-a.keyring 'site/a/#'"
ok
step "mqttseal grant --keyring root.keyring --out sensor-b.keyring 'site/b/#'"
ok
step "mqttseal grant --keyring root.keyring --out dashboard.keyring 'site/#'"
ok
check_mode dashboard.keyring 600
step "mqttseal grant --list sensor-a.keyring"
ok
grep -Eq '^1 +yes +never +site/a/#$' step.out || fail "grant --list"

# 4. Publish and subscribe.
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-a.keyring -t site/a/temp -m 21.5 -r"
ok
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-b.keyring -t site/b/temp -m 19.0 -r"
ok
step "mqttseal sub -h 127.0.0.1 -p 1883 --keyring dashboard.keyring -t 'site/#' -v -C 2"
ok
sorted_out_is "site/a/temp 21.5" "site/b/temp 19.0"
step "mqttseal sub -h 127.0.0.1 -p 1883 --keyring sensor-a.keyring -t site/b/temp -W 2"
[ "$RC" = 5 ] && [ ! -s step.out ] || fail "sensor-a read site/b/temp"
printf '%s\n' \
    "mqttseal: sub: rejected message on 'site/b/temp': no key granted for this topic" \
    "mqttseal: sub: timed out after 2 s (-W) with 0 messages printed" \
    "mqttseal sub: 0 opened, 1 refused; no key granted for this topic: 1" |
    diff -u - step.err || fail "rejection report"
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-a.keyring -t site/b/temp -m 99"
[ "$RC" = 2 ] || fail "sensor-a published on site/b/temp"
grep -qx "mqttseal: keyring 'sensor-a.keyring' grants no key for topic 'site/b/temp' (see: mqttseal grant --list sensor-a.keyring)" \
    step.err || fail "pub error: $(cat step.err)"

# 5. What the broker sees.
step "mosquitto_sub -h 127.0.0.1 -p 1883 -t site/a/temp -C 1 -F %x > captured.hex"
ok
grep -qi "$(printf 21.5 | od -An -tx1 | tr -d ' \n')" captured.hex &&
    fail "the broker saw the plaintext"
step "mqttseal inspect --hex captured.hex"
ok
grep -qx 'key id:          1' step.out || fail "inspect: $(cat step.out)"
grep -qx 'payload length:  4 bytes' step.out || fail "inspect payload length"
step "mqttseal inspect --hex --keyring dashboard.keyring --topic site/a/temp captured.hex"
ok
grep -qx 'open:            OK' step.out || fail "inspect does not open"
step "mqttseal inspect --hex --keyring sensor-b.keyring --topic site/a/temp captured.hex"
[ "$RC" = 4 ] || fail "sensor-b opened site/a/temp"
grep -qx 'open:            failed: no key granted for this topic' step.out ||
    fail "inspect failure line"
grep -qx "mqttseal: cannot open the envelope for topic 'site/a/temp' with 'sensor-b.keyring': no key granted for this topic (see what the keyring grants: mqttseal grant --list)" \
    step.err || fail "inspect error: $(cat step.err)"

# 6. Rotate, with an overlap.
step "mqttseal rotate --keyring root.keyring --retire-old-after 7d sensor-a.keyring dashboard.keyring"
ok
grep -Eq '^root root.keyring: primary id 2; id 1 expires [0-9-]+T[0-9:]+Z$' \
    step.out || fail "rotate: $(cat step.out)"
grep -q '^device dashboard.keyring: primary id 2; id 1 expires' step.out ||
    fail "rotate did not regenerate the dashboard"
step "mqttseal grant --list dashboard.keyring"
ok
grep -Eq '^1 +[0-9-]+T[0-9:]+Z +site/#$' step.out || fail "old id expiry"
grep -Eq '^2 +yes +never +site/#$' step.out || fail "new primary id"
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-a.keyring -t site/a/temp -m 22.0 -r"
ok
step "mosquitto_sub -h 127.0.0.1 -p 1883 -t site/a/temp -C 1 -F %x | mqttseal inspect --hex"
ok
grep -qx 'key id:          2' step.out || fail "not sealed under id 2"
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-b.keyring -t site/b/temp -m 19.5 -r"
ok
step "mqttseal sub -h 127.0.0.1 -p 1883 --keyring dashboard.keyring -t 'site/#' -v -C 2"
ok
sorted_out_is "site/a/temp 22.0" "site/b/temp 19.5"

# 7. Regenerate the remaining device keyrings.
step "mqttseal rotate --keyring root.keyring --regenerate-only sensor-b.keyring"
ok
grep -q '^device sensor-b.keyring: primary id 2; id 1 expires' step.out ||
    fail "regenerate: $(cat step.out)"
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring sensor-b.keyring -t site/b/temp -m 19.7 -r"
ok
step "mqttseal sub -h 127.0.0.1 -p 1883 --keyring dashboard.keyring -t 'site/#' -v -C 2"
ok
sorted_out_is "site/a/temp 22.0" "site/b/temp 19.7"
# ... and sensor B now seals under id 2 (checked with the seal/inspect
# commands, which the section does not need).
printf x | "$MQTTSEAL" seal --keyring sensor-b.keyring --topic site/b/x |
    "$MQTTSEAL" inspect | grep -qx 'key id:          2' ||
    fail "sensor-b was not regenerated"

# The section and this script ran the same commands, in the same order.
printf '%s\n' "${ran[@]}" | diff -u doc.cmds - ||
    fail "README.md and this test disagree (see the diff above)"
echo ok
