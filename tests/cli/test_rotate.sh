#!/usr/bin/env bash
# rotate: new primary id, expiry on the old one, regenerated device
# keyrings that open both ids during the overlap, --regenerate-only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out sensor.keyring 'site/a/#' site/b/x
"$M" grant --keyring root.keyring --out dash.keyring 'site/#'
"$M" grant --keyring root.keyring --out late.keyring 'site/a/#'

# Something sealed under id 1 before the rotation.
printf 'old' | "$M" seal --keyring sensor.keyring --topic site/a/t > old.env

"$M" rotate --keyring root.keyring --retire-old-after 7d \
    sensor.keyring dash.keyring > rotate.out
check_mode root.keyring 600
check_mode sensor.keyring 600
grep -q '^primary 2$' root.keyring || fail "root primary is not 2"
[ "$(grep -c ' # ' root.keyring)" = 2 ] || fail "root should hold ids 1, 2"
grep -Eq '^key 1 # \S+ expires=[0-9T:-]+Z$' root.keyring ||
    fail "old root id has no expiry"
grep -Eq '^key 2 # \S+$' root.keyring || fail "new root id expires"
grep -q 'root root.keyring: primary id 2; id 1 expires' rotate.out ||
    fail "rotate report: $(cat rotate.out)"

# The expiry is about 7 days ahead.
exp=$(sed -n 's/^key 1 .* expires=\(.*\)$/\1/p' root.keyring)
d=$(( ($(date -u -d "$exp" +%s) - $(date +%s)) / 3600 ))
[ "$d" -ge 167 ] && [ "$d" -le 168 ] || fail "expiry $exp is not 7d ahead"

# Regenerated device keyring: same filters under 1 and 2, primary 2, id 1
# with the root's expiry.
[ "$(awk '$1 == "key" {print $2, $3}' sensor.keyring | sort | tr '\n' ,)" = \
  "1 site/a/#,1 site/b/x,2 site/a/#,2 site/b/x," ] ||
    fail "sensor keyring: $(cat sensor.keyring)"
grep -q '^primary 2$' sensor.keyring || fail "sensor primary"
[ "$(grep -c "^key 1 .* expires=$exp$" sensor.keyring)" = 2 ] ||
    fail "sensor id 1 lacks the expiry"

# Overlap: new messages are under id 2; both ids open.
printf 'new' | "$M" seal --keyring sensor.keyring --topic site/a/t > new.env
"$M" inspect new.env | grep -Eq '^key id: +2$' || fail "not sealed under 2"
[ "$("$M" open --keyring dash.keyring --topic site/a/t < old.env)" = old ]
[ "$("$M" open --keyring dash.keyring --topic site/a/t < new.env)" = new ]

# A device keyring not listed still has only id 1: it cannot open id 2 ...
expect 4 "unknown key id.*rotate --regenerate-only" -- \
    "$M" open --keyring late.keyring --topic site/a/t < new.env
# ... until it is regenerated.
"$M" rotate --keyring root.keyring --regenerate-only late.keyring > regen.out
grep -q '^primary 2$' late.keyring || fail "late primary"
[ "$("$M" open --keyring late.keyring --topic site/a/t < new.env)" = new ]
grep -q "device late.keyring: primary id 2; id 1 expires $exp" regen.out ||
    fail "regenerate report: $(cat regen.out)"

# Regenerating again changes nothing.
cp late.keyring late.before
"$M" rotate --keyring root.keyring --regenerate-only late.keyring > /dev/null
cmp -s late.keyring late.before || fail "regenerate is not idempotent"

# --expire-old in the past retires id 1 at once; an earlier expiry is
# kept; --new-id picks the id.
"$M" rotate --keyring root.keyring --new-id 10 --expire-old 2020-01-01 \
    dash.keyring > /dev/null
grep -q '^primary 10$' dash.keyring || fail "--new-id 10"
grep -q '^key 1 .* expires=2020-01-01T00:00:00Z$' root.keyring ||
    fail "--expire-old did not move the expiry earlier"
grep -q '^key 2 .* expires=2020-01-01T00:00:00Z$' root.keyring ||
    fail "--expire-old did not retire id 2"
expect 4 "key id has expired" -- \
    "$M" open --keyring dash.keyring --topic site/a/t < old.env
"$M" grant --list dash.keyring | grep -q '(expired)' ||
    fail "--list does not flag expired ids"
# Expired ids are not granted to new devices.
"$M" grant --keyring root.keyring --out fresh.keyring 'site/#'
[ "$(awk '$1 == "key" {print $2}' fresh.keyring)" = 10 ] ||
    fail "grant copied expired ids"
"$M" rotate --keyring root.keyring --expire-old 2030-01-01 > /dev/null
grep -q '^key 1 .* expires=2020-01-01T00:00:00Z$' root.keyring ||
    fail "a later --expire-old extended an earlier expiry"

# Errors: nothing is written when a device keyring cannot be regenerated.
cp root.keyring root.before
expect 2 "cannot read keyring 'missing.keyring'" -- \
    "$M" rotate --keyring root.keyring sensor.keyring missing.keyring
cmp -s root.keyring root.before || fail "rotate wrote root despite an error"
expect 1 "key id 10 already exists" -- \
    "$M" rotate --keyring root.keyring --new-id 10
expect 1 "--retire-old-after: '7x' is not a duration" -- \
    "$M" rotate --keyring root.keyring --retire-old-after 7x
expect 1 "--expire-old: '2030-13-01' is not a time" -- \
    "$M" rotate --keyring root.keyring --expire-old 2030-13-01
expect 1 "give one of --retire-old-after and --expire-old" -- \
    "$M" rotate --keyring root.keyring --retire-old-after 1d \
    --expire-old 2030-01-01
expect 1 "--regenerate-only adds no id" -- \
    "$M" rotate --keyring root.keyring --regenerate-only --new-id 3 x
expect 2 "holds no root key" -- "$M" rotate --keyring sensor.keyring
"$M" grant --keyring root.keyring --out other.keyring 'elsewhere/#'
expect 2 "cannot grant 'site/a/#'" -- \
    "$M" rotate --keyring other.keyring --regenerate-only sensor.keyring
# Device keyrings are not trusted: rotate derives every key a device
# keyring holds from ROOT and refuses one whose key is not what ROOT
# derives for its filter, before writing anything. Widening a device's
# filter by editing the file must not earn it the new root key.
"$M" keygen fleet.keyring > /dev/null
"$M" grant --keyring fleet.keyring --out cam.keyring 'site/cam/#'
"$M" grant --keyring fleet.keyring --out ok.keyring 'site/ok/#'
sed -i 's|^key 1 site/cam/# |key 1 # |' cam.keyring
grep -q '^key 1 # ' cam.keyring || fail "test set-up: filter not widened"
for f in fleet cam ok; do cp $f.keyring $f.before; done
expect 2 "keyring 'cam.keyring'.*key id 1.*'#'.*not the key 'fleet.keyring' derives.*nothing was written" -- \
    "$M" rotate --keyring fleet.keyring ok.keyring cam.keyring
for f in fleet cam ok; do
    cmp -s $f.keyring $f.before || fail "rotate wrote $f.keyring despite the forged device"
done
grep -q '^key 2 ' cam.keyring && fail "the forged device got id 2"
expect 2 "keyring 'cam.keyring'.*key id 1.*'#'" -- \
    "$M" rotate --keyring fleet.keyring --regenerate-only cam.keyring
cmp -s cam.keyring cam.before || fail "--regenerate-only wrote the forged device"

# One changed key byte (same filter) is refused the same way.
"$M" grant --keyring fleet.keyring --out cam.keyring --force 'site/cam/#'
/usr/bin/python3 - cam.keyring <<'PY'
import base64, sys
path = sys.argv[1]
lines = open(path).read().split("\n")
for i, l in enumerate(lines):
    f = l.split(" ")
    if f[0] == "key":
        k = bytearray(base64.b64decode(f[3]))
        k[17] ^= 0x01
        f[3] = base64.b64encode(bytes(k)).decode()
        lines[i] = " ".join(f)
open(path, "w").write("\n".join(lines))
PY
for f in fleet cam ok; do cp $f.keyring $f.before; done
expect 2 "keyring 'cam.keyring'.*key id 1.*'site/cam/#'.*not the key" -- \
    "$M" rotate --keyring fleet.keyring ok.keyring cam.keyring
for f in fleet cam ok; do
    cmp -s $f.keyring $f.before || fail "rotate wrote $f.keyring despite a changed key"
done
# A faithful device keyring still rotates.
"$M" grant --keyring fleet.keyring --out cam.keyring --force 'site/cam/#'
"$M" rotate --keyring fleet.keyring ok.keyring cam.keyring > /dev/null
grep -q '^key 2 site/cam/# ' cam.keyring || fail "honest device not rotated"
echo ok
