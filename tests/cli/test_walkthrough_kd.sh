#!/usr/bin/env bash
# README.md, "Distributing keys", run literally: every '$ ' command of
# that section, in order, with port 1883 replaced by a free loopback
# port (the broker and the agent run in the background, as the section
# runs them in terminals of their own). The test fails if the section has
# a command this script does not run (or runs one it does not have), and
# checks the results that the section describes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

doc=$MQTTSEAL_SRC/README.md
awk '/^## Distributing keys$/ {on = 1; next}
     /^## / {on = 0}
     on && /^\$ / {sub(/^\$ /, ""); print}' "$doc" > doc.cmds
[ "$(wc -l < doc.cmds)" -ge 12 ] || fail "section not found in $doc"

mqttseal() { "$MQTTSEAL" "$@"; }
PORT=$(broker_free_port)
ran=()

step() {
    ran+=("$1")
    RC=0
    eval "${1//1883/$PORT}" > step.out 2> step.err || RC=$?
}
ok() {
    [ "$RC" = 0 ] || fail "'${ran[-1]}' exited $RC: $(cat step.err)"
}
background() {  # background COMMAND OUT: run it as the section does
    ran+=("$1")
    eval "${1//1883/$PORT}" > "$2" 2> "$2.err" &
    BG_PIDS+=("$!")
}

# 1. A broker, an operator, a device.
background "mosquitto -p 1883" mosquitto.log
for i in $(seq 1 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break
    sleep 0.05
done
step "mkdir ops dev"; ok
step "mqttseal keygen ops/fleet-root.keyring"; ok
step "mqttseal signer-keygen ops/operator.signer > ops/operator.pub"; ok
grep -Eq '^signer [A-Za-z0-9+/=]{44}$' ops/operator.pub || fail "operator.pub"

# 2. Enrolling the device.
step "mqttseal enroll dev/pump-1.device > dev/pump-1.req"; ok
grep -Eq '^mqttseal-enroll 1 [0-9a-f]{16} [A-Za-z0-9+/=]{44}$' dev/pump-1.req ||
    fail "request: $(cat dev/pump-1.req)"
[ "$(stat -c %a dev/pump-1.device)" = 600 ] || fail "device key mode"
ID=$(cut -d' ' -f3 dev/pump-1.req)
step "cp ops/operator.pub dev/"; ok
step "mqttseal trust add dev/pump-1.trust operator dev/operator.pub 'plant/#'"; ok
background "mqttseal agent --host 127.0.0.1 --port 1883 --device dev/pump-1.device --keyring dev/pump-1.keyring --trust dev/pump-1.trust --sub 'plant/#'" agent.out
for i in $(seq 1 100); do
    grep -q "listening on mqttseal/ctl/$ID/keyring" agent.out.err && break
    sleep 0.05
done
grep -q "listening on" agent.out.err || fail "agent: $(cat agent.out.err)"
step "cp dev/pump-1.req ops/"; ok

# 3. Granting over MQTT.
step "mqttseal grant --keyring ops/fleet-root.keyring --out ops/pump-1.keyring --push --signer ops/operator.signer --device ops/pump-1.req --host 127.0.0.1 --port 1883 'plant/pump-1/#'"
ok
grep -Eq "^pushed ops/pump-1.keyring to device $ID: update version [0-9]+ on mqttseal/ctl/$ID/keyring \([0-9]+ bytes\)$" \
    step.out || fail "grant --push: $(cat step.out)"
[ -f ops/pump-1.keyring.device ] || fail "request not kept"
step "mqttseal status --host 127.0.0.1 --port 1883 --expect-key 1 --devices 1"
ok
grep -Eq "^$ID +[0-9]+ +1 +1 +applied$" step.out || fail "status: $(cat step.out)"
[ "$(stat -c %a dev/pump-1.keyring)" = 600 ] || fail "device keyring mode"
[ -s dev/pump-1.keyring.version ] || fail "no version file"

# 4. Rotating the fleet without restarts.
step "mqttseal rotate --keyring ops/fleet-root.keyring --retire-old-after 7d --push --signer ops/operator.signer --host 127.0.0.1 --port 1883 ops/pump-1.keyring"
ok
grep -Eq '^device ops/pump-1.keyring: primary id 2; id 1 expires' step.out ||
    fail "rotate: $(cat step.out)"
grep -q "^pushed ops/pump-1.keyring to device $ID" step.out || fail "no push"
step "mqttseal status --host 127.0.0.1 --port 1883 --expect-key 2 --devices 1"
ok
grep -Eq "^$ID +[0-9]+ +2 +1,2 +applied$" step.out || fail "status: $(cat step.out)"
step "mqttseal pub -h 127.0.0.1 -p 1883 --keyring ops/pump-1.keyring -t plant/pump-1/flow -m 3.2"
ok
for i in $(seq 1 100); do
    grep -qx "plant/pump-1/flow 3.2" agent.out && break
    sleep 0.05
done
grep -qx "plant/pump-1/flow 3.2" agent.out || fail "agent did not open it"
[ "$(grep -c 'applied update' agent.out.err)" = 2 ] ||
    fail "agent: $(cat agent.out.err)"
# ... under the new id, without a restart.
printf x | "$MQTTSEAL" seal --keyring dev/pump-1.keyring --topic plant/pump-1/x |
    "$MQTTSEAL" inspect | grep -qx 'key id:          2' ||
    fail "the device keyring does not seal under id 2"

printf '%s\n' "${ran[@]}" | diff -u doc.cmds - ||
    fail "README.md and this test disagree (see the diff above)"
echo ok
