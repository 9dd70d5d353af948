#!/usr/bin/env bash
# Issue 14, bad input: each hostile or broken keyring update on a
# device's control topic is refused with a clear reason on the agent's
# stderr and in its status, and leaves its keyring file, its version
# file and its running keys untouched. The operator side refuses to
# grant more than its own keyring holds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_broker
M=$MQTTSEAL
H=(--host 127.0.0.1 --port "$PORT")
CP="$PFX/ctl"

"$M" keygen root.keyring > /dev/null
"$M" signer-keygen operator.signer > operator.pub 2> /dev/null
"$M" signer-keygen rogue.signer > rogue.pub 2> /dev/null
for d in d1 d2; do
    "$M" enroll "$d.device" > "$d.req"
    "$M" trust add "$d.trust" operator operator.pub "$PFX/fleet/#" > /dev/null
done
ID1=$(cut -d' ' -f3 d1.req)
ID2=$(cut -d' ' -f3 d2.req)

"$M" agent --device d1.device --keyring d1.keyring --trust d1.trust \
    -h 127.0.0.1 -p "$PORT" --control-prefix "$CP" --id "$PFX-d1" \
    > d1.out 2> d1.err &
BG_PIDS+=($!)
sleep 0.5

grant() {  # grant DEVICE OUT [extra...] FILTER: push a keyring to DEVICE
    local d=$1 out=$2
    shift 2
    "$M" grant --keyring root.keyring --out "$out" --force --push \
        --signer operator.signer --device "$d.req" "${H[@]}" \
        --control-prefix "$CP" "$@" > /dev/null
}
capture() {  # capture ID FILE: the retained update on ID's topic
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "$CP/$1/keyring" -C 1 -W 5 \
        -N > "$2"
}
put() {  # put FILE: publish FILE retained on d1's control topic
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "$CP/$ID1/keyring" -r -q 1 \
        -f "$1"
}
wait_log() {  # wait_log N: until d1.err has N 'refused keyring update'
    local i
    for i in $(seq 1 100); do
        [ "$(grep -c 'refused keyring update' d1.err)" -ge "$1" ] && return 0
        sleep 0.05
    done
    fail "agent did not log refusal $1: $(cat d1.err)"
}
snapshot() { sha256sum d1.keyring d1.keyring.version > "$1"; }

grant d1 d1.keyring "$PFX/fleet/#"
capture "$ID1" v1.update
"$M" rotate --keyring root.keyring --push --signer operator.signer \
    "${H[@]}" --control-prefix "$CP" d1.keyring > /dev/null
"$M" status "${H[@]}" --control-prefix "$CP" --expect-key 2 --devices 1 \
    --wait 10 > /dev/null || fail "rotation not applied"
snapshot good.sum
grant d2 d2.keyring "$PFX/fleet/#"
capture "$ID2" d2.update

n=0
check() {  # check REGEX: refusal n logged with REGEX; nothing changed
    n=$((n + 1))
    wait_log "$n"
    grep 'refused keyring update' d1.err | tail -1 | grep -Eq -- "$1" ||
        fail "refusal $n does not match /$1/: $(tail -1 d1.err)"
    snapshot now.sum
    cmp -s good.sum now.sum || fail "refusal $n changed the keyring files"
}

put d2.update                         # for another device
check 'for another device.*code 44'
"$M" grant --keyring root.keyring --out rogue.keyring --force --push \
    --signer rogue.signer --device d1.req "${H[@]}" --control-prefix "$CP" \
    "$PFX/fleet/#" > /dev/null        # not signed by a trusted operator
check 'signer.*not in the trust list.*code 38'
put v1.update                         # an older version: rollback
check 'not above the applied version.*code 45'
head -c 100 v1.update > short.update  # truncated
put short.update
check 'malformed update.*code 13'
# Valid updates for d1 made under another prefix, never delivered as is.
"$M" grant --keyring root.keyring --out spare.keyring --force --push \
    --signer operator.signer --device d1.req "${H[@]}" \
    --control-prefix "$PFX/spare" "$PFX/fleet/#" > /dev/null
capture_spare() {
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "$PFX/spare/$ID1/keyring" \
        -C 1 -W 5 -N > "$1"
}
capture_spare fresh.update
python3 - fresh.update tampered.update <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[60] ^= 1                            # a byte of the sealed keyring
open(sys.argv[2], "wb").write(b)
PY
put tampered.update                   # tampered
check 'signature invalid.*code 41'
grant d1 scope.keyring "$PFX/other/#" # more than the operator is trusted for
check 'outside signer .operator.*code 47'

# The operator side: a keyring that holds only $PFX/fleet/# cannot grant
# more (nothing is pushed).
expect 2 "grant" -- "$M" grant --keyring spare.keyring --out more.keyring \
    --push --signer operator.signer --device d1.req "${H[@]}" \
    --control-prefix "$CP" "$PFX/other/#"
[ ! -e more.keyring ] || fail "a keyring was written"

# After all that the device still runs on its applied keyring: a valid,
# newer update still applies.
grant d1 d1.keyring "$PFX/fleet/#"
for i in $(seq 1 100); do
    [ "$(grep -c 'applied update' d1.err)" = 3 ] && break
    sleep 0.05
done
[ "$(grep -c 'applied update' d1.err)" = 3 ] || fail "$(cat d1.err)"
"$M" status "${H[@]}" --control-prefix "$CP" > status.out
grep -q "^$ID1 .* applied$" status.out || fail "status: $(cat status.out)"
cat d1.err
