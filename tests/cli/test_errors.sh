#!/usr/bin/env bash
# Every documented error path: one line on stderr that says what to do,
# and the documented exit status (see 'mqttseal --help').
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

cmds=(keygen grant rotate inspect seal open)
# pub and sub exist only in builds with Paho MQTT C.
PUBSUB=${MQTTSEAL_CLI_PUBSUB:-1}
if [ "$PUBSUB" = 1 ]; then
    cmds+=(pub sub)
else
    expect 1 "pub: this mqttseal was built without Paho MQTT C" -- \
        "$M" pub -t a -m b
fi

# --help of each subcommand: complete, on stdout, status 0.
"$M" --help > help.out
for c in "${cmds[@]}"; do
    grep -q "^  $c " help.out || fail "mqttseal --help lacks $c"
    "$M" "$c" --help > h.out 2> h.err || fail "$c --help failed"
    [ ! -s h.err ] || fail "$c --help wrote to stderr"
    grep -q "^Usage: mqttseal $c " h.out || fail "$c --help: no usage"
    for code in 0 1 2 3 4 5; do
        grep -Eq "^  $code  " h.out || fail "$c --help lacks exit code $code"
    done
done
"$M" --version | grep -Eq '^mqttseal [0-9]+\.[0-9]+\.[0-9]+ ' ||
    fail "--version"

# 1: usage errors.
expect 1 "unknown command 'frobnicate'.*mqttseal --help" -- "$M" frobnicate
rc=0; "$M" > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "no command: status $rc"
for c in "${cmds[@]}"; do
    expect 1 "^mqttseal: $c: unknown option '--bogus' \\(see: mqttseal $c --help\\)$" -- \
        "$M" "$c" --bogus
done
expect 1 "keygen: option '--id' needs a value" -- "$M" keygen --id
expect 1 "keygen: --id takes a decimal key id" -- "$M" keygen --id x k
expect 1 "keygen: --id takes a decimal key id" -- \
    "$M" keygen --id 4294967296 k
# A key pasted in place of an id is never echoed back.
pasted=NC7zFHxGO405C4Ro2Pdy5szBowIgSErD6gaz2KMVKCg=
expect 1 "keygen: --id takes a decimal key id" -- "$M" keygen --id "$pasted" k
! grep -qF "$pasted" "$T/expect.err" || fail "keygen echoed a pasted key"
expect 1 "grant: --id takes a decimal key id" -- \
    "$M" grant --keyring k --id "$pasted" a
! grep -qF "$pasted" "$T/expect.err" || fail "grant echoed a pasted key"
expect 1 "rotate: --new-id takes a decimal key id" -- \
    "$M" rotate --keyring k --new-id "$pasted"
! grep -qF "$pasted" "$T/expect.err" || fail "rotate echoed a pasted key"
expect 1 "keygen: name the keyring file" -- "$M" keygen
expect 1 "keygen: give exactly one keyring file" -- "$M" keygen a b
expect 1 "grant: --keyring ROOT is required" -- "$M" grant 'a/#'
expect 1 "rotate: --keyring ROOT is required" -- "$M" rotate
if [ "$PUBSUB" = 1 ]; then
    expect 1 "pub: unknown option '-Z'" -- "$M" pub -Z
    expect 1 "pub: option '-q' needs a value" -- "$M" pub -q
    expect 1 "pub: -q '3': QoS is 0, 1 or 2" -- "$M" pub -q 3
    expect 1 "pub: -p '0' is not a port" -- "$M" pub -p 0
    expect 1 "sub: -V '4': give 31, 311 or 5" -- "$M" sub -V 4
    expect 1 "pub: --keyring FILE is required" -- "$M" pub -t a -m b
    expect 1 "pub: give the topic with -t" -- "$M" pub --keyring k -m b
    expect 1 "pub: give the message with -m, -f, -s, -l or -n" -- \
        "$M" pub --keyring k -t a
    expect 1 "pub: give only one of" -- "$M" pub --keyring k -t a -m b -n
    expect 1 "pub: 'a/#' is not a topic name" -- "$M" pub --keyring k -t 'a/#' -m b
    expect 1 "pub: -P needs -u" -- "$M" pub --keyring k -t a -m b -P pw
    expect 1 "pub: -L 'http://h/t' is not an mqtt:// or mqtts:// URL" -- \
        "$M" pub --keyring k -L http://h/t -m b
    expect 1 "pub: -L 'mqtts://h' names no topic" -- \
        "$M" pub --keyring k -L mqtts://h -m b
    expect 1 "pub: -L 'mqtt://h' names no topic" -- "$M" pub --keyring k -L mqtt://h -m b
    expect 1 "pub: -L 'mqtt://h:99999/t': bad port" -- \
        "$M" pub --keyring k -L mqtt://h:99999/t -m b
    expect 1 "pub: --will-payload, --will-qos and --will-retain need --will-topic" -- \
        "$M" pub --keyring k -t a -m b --will-payload x
    expect 1 "sub: give at least one topic filter" -- "$M" sub --keyring k
    expect 1 "sub: -t 'a/b#' is not a topic filter" -- "$M" sub --keyring k -t 'a/b#'
    expect 1 "sub: -C '0' is not a count" -- "$M" sub --keyring k -t a -C 0
    expect 1 "sub: -W 'x' is not a number of seconds" -- \
        "$M" sub --keyring k -t a -W x
    expect 1 "unexpected argument 'extra'" -- "$M" sub --keyring k -t a extra
fi

# 2: keyring and file errors.
expect 2 "cannot read keyring 'nope.keyring': No such file or directory \\(create one with: mqttseal keygen nope.keyring\\)" -- \
    "$M" seal --keyring nope.keyring --topic a
if [ "$PUBSUB" = 1 ]; then
    expect 2 "cannot read keyring 'nope.keyring': No such file" -- \
        "$M" pub --keyring nope.keyring -t a -m b
    expect 2 "cannot read keyring 'nope.keyring': No such file" -- \
        "$M" sub --keyring nope.keyring -t a
fi
expect 2 "cannot read keyring 'nope.keyring'" -- \
    "$M" grant --list nope.keyring
expect 2 "cannot read keyring '$T': Is a directory" -- \
    "$M" open --keyring "$T" --topic a
"$M" keygen k > /dev/null
chmod 644 k
expect 2 "keyring 'k' is readable or writable by group or others; refusing to use it \\(run: chmod 600 k\\)" -- \
    "$M" seal --keyring k --topic a
chmod 600 k
printf 'mqttseal-keyring 1\nprimary 1\nkey 1 # notbase64\n' > bad.keyring
chmod 600 bad.keyring
expect 2 "keyring 'bad.keyring' line 3: .*\\(fix that line" -- \
    "$M" seal --keyring bad.keyring --topic a < /dev/null
grep -q notbase64 "$T/expect.err" && fail "a key appeared in an error"
printf 'hello\n' > nohdr.keyring
chmod 600 nohdr.keyring
expect 2 "keyring 'nohdr.keyring' line 1: " -- \
    "$M" inspect --keyring nohdr.keyring --topic a < /dev/null
expect 2 "'k' already exists; refusing to overwrite it \\(use --force" -- \
    "$M" keygen k
expect 2 "cannot create 'nodir/k': No such file or directory" -- \
    "$M" keygen nodir/k
"$M" grant --keyring k --out dev 'a/#'
expect 2 "keyring 'dev' grants no key for topic 'b'" -- \
    "$M" seal --keyring dev --topic b < /dev/null
sed -i '/^primary/d' dev
expect 2 "keyring 'dev' has no primary key id, so it can only open" -- \
    "$M" seal --keyring dev --topic a < /dev/null
expect 2 "cannot read 'missing.bin': No such file or directory" -- \
    "$M" inspect missing.bin
if [ "$PUBSUB" = 1 ]; then
    expect 2 "cannot read 'missing.bin'" -- \
        "$M" pub --keyring k -t a -f missing.bin -h 127.0.0.1 -p 1
fi
sed 's/^key 1 # \(.*\)$/key 1 # \1 expires=2020-01-01T00:00:00Z/' k > old.keyring
chmod 600 old.keyring
expect 2 "keyring 'old.keyring' has no unexpired key to grant from \\(run: mqttseal rotate" -- \
    "$M" grant --keyring old.keyring 'a/#'

# 4: envelope errors.
printf 'x' | "$M" seal --keyring k --topic a > a.env
expect 4 "cannot open for topic 'b': authentication failed" -- \
    "$M" open --keyring k --topic b < a.env
expect 4 "not a valid envelope \\(1 bytes\\): not an mqttseal envelope" -- \
    "$M" inspect <(printf x)

# 3: broker errors (an unused port; a broker that refuses; a lost
#    connection), in test_errors_broker.sh.

# 5: -W timeout (status 5) is covered in test_pubsub.sh.
echo ok
