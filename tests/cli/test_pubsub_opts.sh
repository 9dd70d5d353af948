#!/usr/bin/env bash
# pub and sub options beyond the basics: -F, --repeat, -c/-x session
# resumption, -D MQTT 5 properties; against a private mosquitto.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL
need_broker
B=(-h 127.0.0.1 -p "$PORT")
P=$PFX

"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out dev.keyring "$P/#" > /dev/null
K=(--keyring dev.keyring)

# 1. -F: topic, payload, length, hex, QoS, retained, escapes; one line
#    per message (a newline after each, as mosquitto_sub), none with -N.
start_sub f.out f.err "${B[@]}" "${K[@]}" -t "$P/f/#" -q 1 -C 2 -W 20 \
    -F '%t|%p|%l|%x|%X|%q|%r|%%|a\tb'
"$M" pub "${B[@]}" "${K[@]}" -t "$P/f/a" -q 1 -m 'hi'
"$M" pub "${B[@]}" "${K[@]}" -t "$P/f/b" -m ''
wait_sub
[ "$SUB_RC" = 0 ] || fail "-F sub: $(cat f.err)"
printf '%s|hi|2|6869|6869|1|0|%%|a\tb\n%s||0|||0|0|%%|a\tb\n' \
    "$P/f/a" "$P/f/b" | diff -u - f.out || fail "-F output"
# mosquitto_sub agrees on the same format for a plain message (the
# specifiers mean the same), apart from the payload it cannot open.
"$M" pub "${B[@]}" "${K[@]}" -t "$P/f/r" -r -m kept
"$M" sub "${B[@]}" "${K[@]}" -t "$P/f/r" -C 1 -W 10 -N -F '%r:%p:%l' > r.out
[ "$(cat r.out)" = "1:kept:4" ] || fail "-F with -N, retained: $(cat r.out)"
"$M" sub "${B[@]}" "${K[@]}" -t "$P/f/r" -C 1 -W 10 -F '%I %U' > t.out
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} [0-9]+\.[0-9]{9}$' \
    t.out || fail "-F %I %U: $(cat t.out)"
expect 1 "-F '%Z': unknown 'Z'" -- "$M" sub "${K[@]}" -t x -F '%Z'
expect 1 "-F 'a\\\\q': unknown 'q'" -- "$M" sub "${K[@]}" -t x -F 'a\q'

# 2. --repeat N (each one sealed anew: the receiver opens N messages, no
#    replay) and --repeat-delay.
start_sub rep.out rep.err "${B[@]}" "${K[@]}" -t "$P/rep" -q 1 -C 3 -W 20
start=$(date +%s%N)
"$M" pub "${B[@]}" "${K[@]}" -t "$P/rep" -q 1 -m again --repeat 3 \
    --repeat-delay 0.3
elapsed=$((($(date +%s%N) - start) / 1000000))
wait_sub
[ "$SUB_RC" = 0 ] || fail "--repeat sub: $(cat rep.err)"
printf 'again\nagain\nagain\n' | diff -u - rep.out || fail "--repeat output"
grep -q rejected rep.err && fail "--repeat: a repeat was refused"
[ "$elapsed" -ge 600 ] || fail "--repeat-delay 0.3 x2 took ${elapsed} ms"
expect 1 "--repeat '0' is not a count" -- \
    "$M" pub "${K[@]}" -t x -m x --repeat 0
expect 1 "--repeat-delay needs --repeat" -- \
    "$M" pub "${K[@]}" -t x -m x --repeat-delay 1
expect 1 "--repeat-delay 'x' is not a number of seconds" -- \
    "$M" pub "${K[@]}" -t x -m x --repeat 2 --repeat-delay x

# 3. -c: a persistent session. Subscribe once with -c, go away, messages
#    published meanwhile (QoS 1) arrive on reconnect. Without -c they
#    are lost. MQTT 3.1.1 and MQTT 5 (-x).
for v in 311 5; do
    id="mqttseal-test-$$-$v"
    X=()
    [ "$v" = 5 ] && X=(-x 600)
    start_sub c1.out c1.err "${B[@]}" -V "$v" "${K[@]}" -t "$P/c$v" -q 1 \
        -c -i "$id" "${X[@]}" -C 1 -W 20
    "$M" pub "${B[@]}" "${K[@]}" -t "$P/c$v" -q 1 -m online
    wait_sub
    [ "$SUB_RC" = 0 ] && [ "$(cat c1.out)" = online ] ||
        fail "-c first run (v$v): $(cat c1.out c1.err)"
    "$M" pub "${B[@]}" "${K[@]}" -t "$P/c$v" -q 1 -m queued1
    "$M" pub "${B[@]}" "${K[@]}" -t "$P/c$v" -q 1 -m queued2
    "$M" sub "${B[@]}" -V "$v" "${K[@]}" -t "$P/c$v" -q 1 -c -i "$id" \
        "${X[@]}" -C 2 -W 20 > c2.out 2> c2.err ||
        fail "-c resumption (v$v): $(cat c2.err)"
    printf 'queued1\nqueued2\n' | diff -u - c2.out ||
        fail "-c: messages queued while away (v$v)"
    # A clean session (no -c) under the same id discards what was queued.
    "$M" sub "${B[@]}" -V "$v" "${K[@]}" -t "$P/c$v" -q 1 -i "$id" -C 1 \
        -W 1 > /dev/null 2>&1 || true
    "$M" pub "${B[@]}" "${K[@]}" -t "$P/c$v" -q 1 -m lost
    rc=0
    "$M" sub "${B[@]}" -V "$v" "${K[@]}" -t "$P/c$v" -q 1 -c -i "$id" \
        "${X[@]}" -C 1 -W 2 > c3.out 2> /dev/null || rc=$?
    [ "$rc" = 5 ] && [ ! -s c3.out ] || fail "clean session kept a queue (v$v)"
done
expect 1 "-c needs a client id \\(-i ID\\)" -- "$M" sub "${K[@]}" -t x -c
expect 1 "-x needs MQTT 5: add -V 5" -- "$M" sub "${K[@]}" -t x -x 60
expect 1 "-x 'y': the session expiry interval" -- \
    "$M" sub "${K[@]}" -t x -V 5 -x y

# 4. -D: MQTT 5 publish properties, visible (in clear) to a plain
#    mosquitto_sub -V 5 and to mqttseal sub -F; the payload stays sealed.
start_sub d.out d.err "${B[@]}" -V 5 "${K[@]}" -t "$P/d" -C 1 -W 20 \
    -F '%p|%C|%E|%P|%R|%D'
mosquitto_sub "${B[@]}" -V 5 -t "$P/d" -C 1 -W 20 \
    -F '%C|%E|%P|%R|%D|%F' > dplain.out &
DP=$!
BG_PIDS+=("$DP")
sleep 0.3
"$M" pub "${B[@]}" -V 5 "${K[@]}" -t "$P/d" -m 'with props' \
    -D publish content-type text/x-demo \
    -D publish message-expiry-interval 3600 \
    -D publish user-property site lab -D publish user-property k v \
    -D publish response-topic "$P/reply" \
    -D publish correlation-data corr-42 \
    -D connect session-expiry-interval 0
wait_sub
[ "$SUB_RC" = 0 ] || fail "-D sub: $(cat d.err)"
E=$(cut -d'|' -f3 d.out)
[ "$E" -ge 3590 ] && [ "$E" -le 3600 ] || fail "message expiry: $(cat d.out)"
[ "$(cut -d'|' -f1,2,4- d.out)" = \
  "with props|text/x-demo|site:lab k:v|$P/reply|corr-42" ] ||
    fail "-D seen by mqttseal sub: $(cat d.out)"
wait "$DP" || fail "mosquitto_sub -V 5 received nothing"
# mosquitto_sub's %F is empty without a payload format indicator.
[ "$(cut -d'|' -f1,3- dplain.out)" = \
  "text/x-demo|site:lab k:v|$P/reply|corr-42|" ] ||
    fail "-D seen by mosquitto_sub: $(cat dplain.out)"
expect 1 "payload-format-indicator: a sealed payload is binary" -- \
    "$M" pub -V 5 "${K[@]}" -t x -m x -D publish payload-format-indicator 1
expect 1 "-D needs MQTT 5: add -V 5" -- \
    "$M" pub "${K[@]}" -t x -m x -D publish content-type a
expect 1 "-D publish bogus: not a property mqttseal sets" -- \
    "$M" pub -V 5 "${K[@]}" -t x -m x -D publish bogus 1
expect 1 "user-property needs a name and a value" -- \
    "$M" pub -V 5 "${K[@]}" -t x -m x -D publish user-property onlyname
expect 1 "-D publish ...: sub publishes nothing" -- \
    "$M" sub -V 5 "${K[@]}" -t x -D publish content-type a
echo ok
