#!/usr/bin/env bash
# seal | open: binary-safe round trips, and what open refuses.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

"$M" keygen k > /dev/null
"$M" grant --keyring k --out dev 'bin/#'

roundtrip() {  # roundtrip FILE TOPIC
    "$M" seal --keyring dev --topic "$2" < "$1" > "$1.env"
    "$M" open --keyring k --topic "$2" < "$1.env" > "$1.out"
    cmp "$1" "$1.out" || fail "round trip of $1 differs"
    # The envelope is the plaintext plus 35..38 bytes of overhead.
    local n e
    n=$(stat -c %s "$1")
    e=$(stat -c %s "$1.env")
    [ $((e - n)) -ge 33 ] && [ $((e - n)) -le 38 ] ||
        fail "$1: overhead $((e - n)) bytes"
}

# Every byte value, including NUL and newline.
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' \
    > all256
[ "$(stat -c %s all256)" = 256 ]
roundtrip all256 bin/all
# Empty input.
: > empty
roundtrip empty bin/empty
[ "$(stat -c %s empty.env)" = 33 ] || fail "empty envelope is not 33 bytes"
# 1 MiB of random bytes.
head -c 1048576 /dev/urandom > big
roundtrip big bin/big
# NULs and trailing newlines survive.
printf '\0\n\0\n\n' > nuls
roundtrip nuls bin/nuls

# The plaintext does not appear in the envelope.
printf 'secret-marker-%s' "$RANDOM" > marker
"$M" seal --keyring dev --topic bin/m < marker > marker.env
grep -qF "$(cat marker)" marker.env && fail "plaintext visible in envelope"

# Two seals of the same input differ (fresh session per run).
"$M" seal --keyring dev --topic bin/m < marker > marker2.env
cmp -s marker.env marker2.env && fail "two seals are identical"

# --timestamp adds the 0x01 flag and a timestamp near now.
"$M" seal --keyring dev --topic bin/m --timestamp < marker > ts.env
"$M" inspect ts.env > ts.txt
grep -Eq '^flags: +0x01$' ts.txt || fail "--timestamp flag"
ms=$(sed -n 's/^timestamp: .*(\([0-9]*\) ms)$/\1/p' ts.txt)
now=$(date +%s%3N)
[ $((now - ms)) -ge 0 ] && [ $((now - ms)) -lt 60000 ] ||
    fail "timestamp $ms is not now ($now)"
[ "$("$M" open --keyring dev --topic bin/m < ts.env)" = "$(cat marker)" ]

# open refuses: wrong topic, tampering, truncation, trailing bytes,
# plaintext; nothing reaches stdout.
check_refused() {  # check_refused REGEX TOPIC FILE
    expect 4 "$1" -- "$M" open --keyring dev --topic "$2" < "$3"
    [ ! -s "$T/expect.out" ] || fail "open wrote output on failure"
}
check_refused "cannot open for topic 'bin/other': authentication failed" \
    bin/other marker.env
cp marker.env tampered
printf '\x00' | dd of=tampered bs=1 seek=30 conv=notrunc status=none
check_refused "authentication failed" bin/m tampered
head -c 20 marker.env > truncated
check_refused "truncated envelope" bin/m truncated
{ cat marker.env; printf x; } > trailing
check_refused "trailing bytes" bin/m trailing
check_refused "not an mqttseal envelope.*without mqttseal" bin/m marker
check_refused "no key granted for this topic" other/t \
    <("$M" seal --keyring k --topic other/t < marker)

# seal refuses topics it cannot seal for.
expect 2 "keyring 'dev' grants no key for topic 'other/t'" -- \
    "$M" seal --keyring dev --topic other/t < marker
expect 1 "'bin/\\+' is not a topic name" -- \
    "$M" seal --keyring dev --topic 'bin/+' < marker
expect 1 "--topic TOPIC is required" -- "$M" seal --keyring dev < marker
expect 1 "--keyring KEYRING is required" -- "$M" open --topic a < marker
expect 1 "unexpected argument 'file'" -- \
    "$M" seal --keyring dev --topic bin/m file
expect 1 "unknown option '--timestamp'" -- \
    "$M" open --keyring dev --topic bin/m --timestamp < marker.env
echo ok
