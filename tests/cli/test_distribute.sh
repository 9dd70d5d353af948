#!/usr/bin/env bash
# Issue 14: a rotation pushed to three devices through a real mosquitto
# while they keep publishing and subscribing (mqttseal agent). Every
# device receives every message of every device exactly once across the
# rotation, with no restart; after the old id expires nothing sealed
# under it opens anywhere. Prints how long the pushed rotation took to be
# acknowledged by all three devices.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_broker
M=$MQTTSEAL
H=(--host 127.0.0.1 --port "$PORT")
CP="$PFX/ctl"
N=60

ms() { date +%s%3N; }

"$M" keygen root.keyring > /dev/null
"$M" signer-keygen operator.signer > operator.pub 2> /dev/null
for d in d1 d2 d3; do
    "$M" enroll "$d.device" > "$d.req"
    grep -Eq '^mqttseal-enroll 1 [0-9a-f]{16} [A-Za-z0-9+/=]{44}$' "$d.req" ||
        fail "bad request: $(cat "$d.req")"
    [ "$(stat -c %a "$d.device")" = 600 ] || fail "device key not 0600"
    "$M" trust add "$d.trust" operator operator.pub "$PFX/fleet/#" > /dev/null
    "$M" agent --device "$d.device" --keyring "$d.keyring" --trust "$d.trust" \
        -h 127.0.0.1 -p "$PORT" --control-prefix "$CP" --id "$PFX-$d" \
        --sub "$PFX/fleet/#" --pub "$PFX/fleet/$d/data" --interval 50 \
        --count "$N" --exit-after 16 > "$d.out" 2> "$d.err" &
    BG_PIDS+=($!)
done
sleep 0.5

t0=$(ms)
for d in d1 d2 d3; do
    "$M" grant --keyring root.keyring --out "$d.keyring" --push \
        --signer operator.signer --device "$d.req" "${H[@]}" \
        --control-prefix "$CP" "$PFX/fleet/#" > "$d.grant"
    grep -q "^pushed $d.keyring to device" "$d.grant" || fail "no push: $d"
done
"$M" status "${H[@]}" --control-prefix "$CP" --expect-key 1 --devices 3 \
    --wait 10 > status1.out || fail "grant not acknowledged: $(cat status1.out)"
t1=$(ms)
cp d1.keyring old.keyring
sleep 1

# The rotation: new id 2, old id 1 retired 5 s from now, pushed.
r0=$(ms)
"$M" rotate --keyring root.keyring --retire-old-after 5s --push \
    --signer operator.signer "${H[@]}" --control-prefix "$CP" \
    d1.keyring d2.keyring d3.keyring > rotate.out
r1=$(ms)
"$M" status "${H[@]}" --control-prefix "$CP" --expect-key 2 --devices 3 \
    --wait 10 > status2.out || fail "rotation not acknowledged: $(cat status2.out)"
r2=$(ms)
cat status2.out
[ "$(grep -c ' 2 *1,2 *applied$' status2.out)" = 3 ] ||
    fail "status: $(cat status2.out)"
echo "grant pushed and acknowledged by 3 devices in $((t1 - t0)) ms"
echo "rotate --push took $((r1 - r0)) ms; all 3 devices acknowledged" \
     "key id 2 $((r2 - r0)) ms after the rotation started"

# Wait for the old id to expire, then try it everywhere.
sleep $(( (r0 + 6500 - $(ms)) / 1000 + 1 ))
printf 'stale' | "$M" seal --keyring old.keyring --topic "$PFX/fleet/x" > stale.env
for d in d1 d2 d3; do
    rc=0
    "$M" open --keyring "$d.keyring" --topic "$PFX/fleet/x" < stale.env \
        > /dev/null 2>&1 || rc=$?
    [ "$rc" = 4 ] || fail "$d opened a message under the expired id ($rc)"
done
"$M" pub --keyring old.keyring -h 127.0.0.1 -p "$PORT" -q 1 \
    -t "$PFX/fleet/old/data" -m stale

for p in "${BG_PIDS[@]}"; do wait "$p" || fail "an agent failed"; done
BG_PIDS=()
for d in d1 d2 d3; do
    grep -q "published $N messages" "$d.err" || fail "$d: $(cat "$d.err")"
    [ "$(grep -c 'applied update' "$d.err")" = 2 ] || fail "$d: $(cat "$d.err")"
    grep -q "refused message on $PFX/fleet/old/data: .*expired" "$d.err" ||
        fail "$d did not refuse the expired id: $(cat "$d.err")"
    ! grep -q stale "$d.out" || fail "$d opened the stale message"
    [ -z "$(sort "$d.out" | uniq -d)" ] || fail "$d: duplicates"
    for s in d1 d2 d3; do
        got=$(grep -c "^$PFX/fleet/$s/data $PFX-$s " "$d.out" || true)
        [ "$got" = "$N" ] || fail "$d received $got of $N messages from $s"
    done
    [ "$(cat "$d.keyring.version")" -gt 0 ] || fail "no version file"
    [ "$(stat -c %a "$d.keyring")" = 600 ] || fail "keyring not 0600"
done
echo "3 devices x 3 senders x $N messages: none lost, none duplicated"

# An offline device picks up the newest update when it reconnects: two
# rotations pushed while no agent runs; d1 applies only the newest.
"$M" rotate --keyring root.keyring --push --signer operator.signer \
    "${H[@]}" --control-prefix "$CP" d1.keyring > /dev/null
"$M" rotate --keyring root.keyring --push --signer operator.signer \
    "${H[@]}" --control-prefix "$CP" d1.keyring > /dev/null
"$M" agent --device d1.device --keyring d1.keyring --trust d1.trust \
    -h 127.0.0.1 -p "$PORT" --control-prefix "$CP" --id "$PFX-d1" \
    --exit-after 2 2> d1.late.err
[ "$(grep -c 'applied update' d1.late.err)" = 1 ] ||
    fail "late d1: $(cat d1.late.err)"
grep -q 'primary=4 keys=' d1.late.err || fail "late d1: $(cat d1.late.err)"
echo "an offline device applied the newest of two pushed rotations on reconnect"

# A message under a key id no update ever brings is held, then refused
# with its reason after 10 s even though nothing else arrives (the agent's
# own timer, not the next update, ends the wait).
"$M" keygen --id 77 stranger.keyring > /dev/null
"$M" agent --device d2.device --keyring d2.keyring --trust d2.trust \
    -h 127.0.0.1 -p "$PORT" --control-prefix "$CP" --id "$PFX-d2" \
    --sub "$PFX/fleet/#" --exit-after 13 2> d2.held.err &
held_pid=$!
sleep 1
"$M" pub --keyring stranger.keyring -h 127.0.0.1 -p "$PORT" -q 1 \
    -t "$PFX/fleet/stranger" -m "under an unknown key id"
wait "$held_pid" || fail "agent failed: $(cat d2.held.err)"
[ "$(grep -c 'no update brought its key id within 10 s' d2.held.err)" = 1 ] ||
    fail "held message not refused on time: $(cat d2.held.err)"
echo "a message under an unknown key id was refused after 10 s with no update"
