#!/usr/bin/env bash
# inspect on the known-answer vectors (tests/vectors): every documented
# field, exactly; raw, hex, base64 and stdin input; opening with a keyring;
# the malformed vectors.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL
V=$MQTTSEAL_SRC/tests/vectors
[ -f "$V/envelopes.txt" ] && [ -f "$V/malformed.txt" ] ||
    fail "known-answer vectors missing in $V"

/usr/bin/python3 "$(dirname "$0")/vectors.py" "$V" "$T" > list
[ "$(grep -c '^good ' list)" -ge 10 ] || fail "too few vectors: $(cat list)"

while read -r kind name err rest; do
    topic=$(cat "$name.topic")
    if [ "$kind" = good ]; then
        # Without a key: exactly the documented fields, from every input.
        "$M" inspect "$name.env" > out || fail "$name: inspect failed"
        diff -u "$name.expect" out || fail "$name: fields differ"
        "$M" inspect < "$name.env" | cmp -s - "$name.expect" ||
            fail "$name: stdin"
        "$M" inspect --hex "$name.hex" | cmp -s - "$name.expect" ||
            fail "$name: --hex"
        "$M" inspect --base64 - < "$name.b64" | cmp -s - "$name.expect" ||
            fail "$name: --base64"
        # With the vector's keyring and topic: OK.
        "$M" inspect --keyring "$name.keyring" --topic "$topic" \
            "$name.env" > out || fail "$name: does not open"
        { cat "$name.expect"; echo "open:            OK"; } | diff -u - out ||
            fail "$name: open output"
        # The wrong topic: the fields, then the reason; status 4.
        expect 4 "cannot open the envelope for topic 'wrong/topic'.*: authentication failed" -- \
            "$M" inspect --keyring "$name.keyring" --topic wrong/topic \
            "$name.env"
        grep -q '^open: *failed: authentication failed' "$T/expect.out" ||
            fail "$name: no 'open: failed' line"
    elif [ "$err" = OK ]; then
        "$M" inspect --keyring "$name.keyring" --topic "$topic" \
            "$name.env" > out || fail "$name: does not open"
    elif [[ "$err" =~ ^E_(AUTH|UNKNOWN_KEY|NO_GRANT|KEY_EXPIRED)$ ]]; then
        # The header parses; only opening fails.
        "$M" inspect "$name.env" > /dev/null || fail "$name: header"
        expect 4 "$rest" -- "$M" inspect --keyring "$name.keyring" \
            --topic "$topic" "$name.env"
        grep -q "^open: *failed: $rest" "$T/expect.out" || fail "$name"
    else
        expect 4 "^mqttseal: not a valid envelope.*$rest" -- \
            "$M" inspect "$name.env"
        [ ! -s "$T/expect.out" ] || fail "$name: printed fields"
        expect 4 "$rest" -- "$M" inspect --keyring "$name.keyring" \
            --topic "$topic" "$name.env"
    fi
done < list

# Some fields by hand, so a wrong generator cannot hide a wrong printer.
"$M" inspect timestamp.env > ts.out
grep -qx 'timestamp:       2025-11-24T16:00:00.000Z (1764000000000 ms)' \
    ts.out || fail "timestamp field: $(cat ts.out)"
grep -qx 'key id:          4294967295' < <("$M" inspect key-id-max.env) ||
    fail "key id max"
grep -qx 'sequence:        18446744073709551614' \
    < <("$M" inspect seq-2^64-2.env) || fail "seq max"
grep -qx 'header length:   17 bytes' < <("$M" inspect empty-payload.env) ||
    fail "header length"

# Input errors.
expect 2 "the input is not valid hex" -- "$M" inspect --hex timestamp.env
expect 2 "the input is not valid base64" -- "$M" inspect --base64 timestamp.env
expect 2 "cannot read 'nope.bin': No such file or directory" -- \
    "$M" inspect nope.bin
expect 4 "not a valid envelope \\(0 bytes\\): truncated" -- \
    "$M" inspect /dev/null
expect 1 "--keyring and --topic go together" -- \
    "$M" inspect --keyring timestamp.keyring timestamp.env
expect 1 "give one of --hex and --base64" -- \
    "$M" inspect --hex --base64 timestamp.env
expect 1 "give at most one input file" -- "$M" inspect a b
echo ok
