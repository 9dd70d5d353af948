#!/usr/bin/env bash
# Signed envelopes from the shell (issue 13): signer-keygen, signer-pub,
# trust add/require/list, pub --sign, sub --trust and inspect --trust,
# with the refusals: an unknown signer, a signer outside its filters, a
# missing signature where one is required.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

# 1. Keys: 0600, public line on stdout, never overwritten, same pub line.
"$M" signer-keygen op.signer > op.pub 2> keygen.err
check_mode op.signer 600
grep -Eqx 'signer [A-Za-z0-9+/]{43}=' op.pub || fail "public line: $(cat op.pub)"
grep -Eq "signer id [0-9a-f]{16}" keygen.err || fail "no id: $(cat keygen.err)"
secret=$(sed -n 's/^secret //p' op.signer)
[ -n "$secret" ] || fail "no secret line"
grep -qF "$secret" op.pub keygen.err && fail "the secret was printed"
expect 2 "already exists" -- "$M" signer-keygen op.signer
"$M" signer-pub op.signer 2>/dev/null | cmp -s - op.pub || fail "signer-pub"
"$M" signer-keygen --force op.signer > op2.pub 2>/dev/null
cmp -s op.pub op2.pub && fail "--force kept the old key"
"$M" signer-keygen --force op.signer > op.pub 2>/dev/null
"$M" signer-keygen rogue.signer > rogue.pub 2>/dev/null
expect 2 "create one with: mqttseal signer-keygen" -- \
    "$M" signer-pub missing.signer
chmod 644 op.signer
expect 2 "chmod 600" -- "$M" signer-pub op.signer
chmod 600 op.signer

# 2. Trust lists: add (file or base64), require, list; refusals.
"$M" trust add dev.trust operator op.pub 'site/+/cmd' 'site/+/status' \
    > add.out
grep -q "trusted signer 'operator'" add.out || fail "trust add: $(cat add.out)"
check_mode dev.trust 644
"$M" trust require dev.trust 'site/+/cmd'
"$M" trust list dev.trust > list.out
grep -q "^signer operator  id [0-9a-f]\{16\}" list.out || fail "list: $(cat list.out)"
grep -q "may sign: site/+/cmd site/+/status" list.out || fail "list filters"
grep -q "^require site/+/cmd" list.out || fail "list require"
expect 2 "already listed" -- "$M" trust add dev.trust again op.pub 'x'
expect 1 "not a signer name" -- "$M" trust add dev.trust 'bad!' rogue.pub x
expect 1 "'a/#/b' is not an MQTT topic filter" -- \
    "$M" trust add dev.trust other rogue.pub 'a/#/b'
expect 1 "PUBKEY is neither" -- "$M" trust add dev.trust other rogue.signer x
expect 1 "not an MQTT topic filter" -- "$M" trust require dev.trust 'a+'
expect 1 "give add, require or list" -- "$M" trust
expect 2 "cannot read trust list 'none.trust'" -- "$M" trust list none.trust
"$M" trust add --expires 2001-01-01 old.trust operator "$(cat op.pub)" '#' \
    > /dev/null
grep -q "expires=2001-01-01T00:00:00Z" old.trust || fail "expiry: $(cat old.trust)"
cp dev.trust loose.trust
chmod 666 loose.trust
expect 2 "writable by group or others" -- "$M" trust list loose.trust

# 3. inspect --trust on sealed files (no broker): signed, unsigned, who.
"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out site.keyring 'site/#' > /dev/null
"$M" grant --keyring root.keyring --out dev.keyring 'site/a/#' > /dev/null
seal() { # seal OUT TOPIC TEXT (unsigned: the CLI seal has no --sign)
    printf '%s' "$3" | "$M" seal --keyring site.keyring --topic "$2" > "$1"
}
/usr/bin/python3 - "$MQTTSEAL_SRC" <<'PY' || fail "python sealing helper"
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "bindings", "python"))
import mqttseal
kr = mqttseal.Keyring.load("site.keyring")
op = mqttseal.Signer.load("op.signer")
rogue = mqttseal.Signer.load("rogue.signer")
def seal(name, topic, text, signer):
    ctx = mqttseal.Context(kr, signer=signer)
    open(name, "wb").write(ctx.seal(topic, text.encode()))
seal("cmd.op", "site/a/cmd", "open", op)
seal("cmd.rogue", "site/a/cmd", "open", rogue)
seal("temp.op", "site/a/temp", "20", op)
PY
seal cmd.plain site/a/cmd forged
"$M" inspect cmd.op | grep -qx 'signed:          yes' || fail "inspect signed"
"$M" inspect cmd.plain | grep -qx 'signed:          no' || fail "inspect unsigned"
"$M" inspect --keyring dev.keyring --topic site/a/cmd --trust dev.trust \
    cmd.op > ins.out
grep -Eqx 'signer: +operator \(id [0-9a-f]{16}\), signature verified' ins.out ||
    fail "inspect --trust: $(cat ins.out)"
expect 4 "requires a signature" -- "$M" inspect --keyring dev.keyring \
    --topic site/a/cmd --trust dev.trust cmd.plain
expect 4 "unknown signer|not in the trust list" -- "$M" inspect \
    --keyring dev.keyring --topic site/a/cmd --trust dev.trust cmd.rogue
expect 4 "may not publish|not let this signer" -- "$M" inspect \
    --keyring dev.keyring --topic site/a/temp --trust dev.trust temp.op
expect 4 "expired" -- "$M" inspect --keyring dev.keyring --topic site/a/cmd \
    --trust old.trust cmd.op
expect 4 "unknown signer|not in the trust list" -- "$M" inspect \
    --keyring dev.keyring --topic site/a/cmd cmd.op
expect 1 "--trust needs --keyring" -- "$M" inspect --trust dev.trust cmd.op

[ "${MQTTSEAL_CLI_PUBSUB:-1}" = 1 ] || exit 0

# 4. Through mosquitto: pub --sign, sub --trust shows the signer; a holder
#    of the site/# topic key forges commands (unsigned, or signed with a
#    key the device does not trust): refused, the operator's goes through.
need_broker
B=(-h 127.0.0.1 -p "$PORT")
P=$PFX
"$M" grant --keyring root.keyring --out psite.keyring "$P/site/#" > /dev/null
"$M" grant --keyring root.keyring --out pdev.keyring "$P/site/a/#" > /dev/null
"$M" trust add p.trust operator op.pub "$P/site/+/cmd" "$P/site/+/status" \
    > /dev/null
"$M" trust require p.trust "$P/site/+/cmd"
start_sub s.out s.err "${B[@]}" --keyring pdev.keyring --trust p.trust \
    -t "$P/site/a/#" -v -C 3 -W 20
"$M" pub "${B[@]}" --keyring psite.keyring -t "$P/site/a/cmd" -m forged
"$M" pub "${B[@]}" --keyring psite.keyring --sign rogue.signer \
    -t "$P/site/a/cmd" -m rogue
"$M" pub "${B[@]}" --keyring psite.keyring --sign op.signer \
    -t "$P/site/a/temp" -m off-grant
"$M" pub "${B[@]}" --keyring psite.keyring --sign op.signer \
    -t "$P/site/a/cmd" -m open
"$M" pub "${B[@]}" --keyring psite.keyring -t "$P/site/a/temp" -m 21
"$M" pub "${B[@]}" --keyring psite.keyring --sign op.signer \
    --will-topic "$P/site/a/status" --will-payload gone \
    -t "$P/site/a/status" -m up
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC: $(cat s.err)"
printf '%s\n' "$P/site/a/cmd [signed by operator] open" \
    "$P/site/a/temp [unsigned] 21" \
    "$P/site/a/status [signed by operator] up" | diff -u - s.out ||
    fail "sub --trust output"
grep -q "rejected message on '$P/site/a/cmd': .*requires a signature" s.err ||
    fail "unsigned command not refused: $(cat s.err)"
grep -q "rejected message on '$P/site/a/cmd': .*not in the trust list\|rejected message on '$P/site/a/cmd': .*unknown" s.err ||
    fail "rogue signer not refused: $(cat s.err)"
grep -q "rejected message on '$P/site/a/temp': " s.err ||
    fail "off-grant signer not refused: $(cat s.err)"
grep -q "forged\|rogue\|off-grant" s.out && fail "a forgery was printed"
expect 2 "cannot read signer key" -- "$M" pub "${B[@]}" \
    --keyring psite.keyring --sign none.signer -t "$P/site/a/cmd" -m x
echo "sign: all passed"
