#!/usr/bin/env bash
# pub and sub against a real private mosquitto on 127.0.0.1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL
need_broker
B=(-h 127.0.0.1 -p "$PORT")
P=$PFX

"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out a.keyring "$P/site/a/#"
"$M" grant --keyring root.keyring --out site.keyring "$P/site/#"

# 1. keygen -> grant -> pub | sub round trip (with -v, -l, -q 1).
start_sub s1.out s1.err "${B[@]}" --keyring site.keyring -t "$P/site/#" \
    -v -C 4 -W 20
"$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/temp" -m 21.5
printf 'line one\n\nline three\n' |
    "$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/log" -l -q 1
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC: $(cat s1.err)"
printf '%s\n' "$P/site/a/temp 21.5" "$P/site/a/log line one" \
    "$P/site/a/log " "$P/site/a/log line three" | diff -u - s1.out ||
    fail "round trip output"
grep -q rejected s1.err && fail "unexpected rejection: $(cat s1.err)"

# 2. A device granted site/a/# cannot open site/b/x: sub reports the topic
#    and the reason on one line, keeps running, and prints the next one.
start_sub s2.out s2.err "${B[@]}" --keyring a.keyring -t "$P/site/#" -C 1 \
    -W 20
"$M" pub "${B[@]}" --keyring root.keyring -t "$P/site/b/x" -m bsecret
"$M" pub "${B[@]}" --keyring root.keyring -t "$P/site/a/y" -m after
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC"
[ "$(cat s2.out)" = after ] || fail "device printed: $(cat s2.out)"
grep -qx "mqttseal: sub: rejected message on '$P/site/b/x': no key granted for this topic" \
    s2.err || fail "no rejection line: $(cat s2.err)"
grep -q bsecret s2.out s2.err && fail "site/b/x leaked"

# 3. mosquitto_sub sees only ciphertext from mqttseal pub.
"$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/secret" -r \
    -m "plaintext-marker-$$"
mosquitto_sub "${B[@]}" -t "$P/site/a/secret" -C 1 -W 10 -N > raw.env
[ -s raw.env ] || fail "mosquitto_sub received nothing"
grep -qF "plaintext-marker-$$" raw.env && fail "broker saw the plaintext"
"$M" inspect raw.env | grep -Eq '^key id: +1$' ||
    fail "not an envelope: $(od -c raw.env | head -3)"
[ "$("$M" open --keyring site.keyring --topic "$P/site/a/secret" < raw.env)" \
  = "plaintext-marker-$$" ] || fail "the captured envelope does not open"
# The retained sealed message also reaches a late mqttseal sub; -R ignores it.
"$M" sub "${B[@]}" --keyring a.keyring -t "$P/site/a/secret" -C 1 -W 10 \
    > ret.out
[ "$(cat ret.out)" = "plaintext-marker-$$" ] || fail "retained: $(cat ret.out)"
rc=0
"$M" sub "${B[@]}" --keyring a.keyring -t "$P/site/a/secret" -C 1 -W 2 -R \
    > retR.out 2> retR.err || rc=$?
[ "$rc" = 5 ] && [ ! -s retR.out ] || fail "-R printed a retained message"
grep -qx "mqttseal: sub: timed out after 2 s (-W) with 0 messages printed" \
    retR.err || fail "-W message: $(cat retR.err)"

# 4. mqttseal sub rejects a mosquitto_pub plaintext and keeps running.
start_sub s4.out s4.err "${B[@]}" --keyring a.keyring -t "$P/site/a/plain" \
    -C 1 -W 20
mosquitto_pub "${B[@]}" -t "$P/site/a/plain" -m "forged-plaintext"
"$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/plain" -m sealed
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC"
[ "$(cat s4.out)" = sealed ] || fail "sub printed: $(cat s4.out)"
grep -qx "mqttseal: sub: rejected message on '$P/site/a/plain': not an mqttseal envelope (plaintext or foreign payload)" \
    s4.err || fail "plaintext not reported: $(cat s4.err)"

# 5. MQTT 5, -f, -s, -n, -N, several -t, -i, -L, QoS 2.
printf 'file\0bytes' > msg.bin
start_sub s5.out s5.err "${B[@]}" -V mqttv5 --keyring site.keyring \
    -t "$P/site/a/f" -t "$P/site/a/n" -N -C 3 -W 20 -i "sub-$$"
"$M" pub "${B[@]}" -V 5 --keyring a.keyring -t "$P/site/a/f" -f msg.bin -q 2
"$M" pub -L "mqtt://127.0.0.1:$PORT/$P/site/a/f" --keyring a.keyring -s \
    < msg.bin
"$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/n" -n
wait_sub
[ "$SUB_RC" = 0 ] || fail "v5 sub exited $SUB_RC: $(cat s5.err)"
cat msg.bin msg.bin | cmp - s5.out || fail "binary payloads differ"

# 6. A sealed will: published by the broker when the client vanishes.
start_sub s6.out s6.err "${B[@]}" --keyring site.keyring -t "$P/site/a/will" \
    -v -C 1 -W 20
watcher=$SUB_PID
start_sub v.out v.err "${B[@]}" --keyring a.keyring -t "$P/none" -k 5 \
    --will-topic "$P/site/a/will" --will-payload "gone" --will-qos 1 -W 30
{ kill -KILL "$SUB_PID" && wait "$SUB_PID"; } 2> /dev/null || true
SUB_PID=$watcher
wait_sub
[ "$SUB_RC" = 0 ] || fail "will not received: $(cat s6.err)"
[ "$(cat s6.out)" = "$P/site/a/will gone" ] || fail "will: $(cat s6.out)"
# ... and it is sealed: plain subscribers cannot read it.
expect 2 "grants no key for the will topic '$P/site/b/will'" -- \
    "$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/a/x" -m 1 \
    --will-topic "$P/site/b/will"

# 7. Errors with a broker: a topic the keyring cannot seal, no broker.
expect 2 "keyring 'a.keyring' grants no key for topic '$P/site/b/x'" -- \
    "$M" pub "${B[@]}" --keyring a.keyring -t "$P/site/b/x" -m 1
free=$(broker_free_port)
expect 3 "pub: cannot connect to 127.0.0.1:$free: .*check -h and -p" -- \
    "$M" pub -h 127.0.0.1 -p "$free" --keyring a.keyring -t "$P/x" -m 1
expect 3 "sub: cannot connect to 127.0.0.1:$free" -- \
    "$M" sub -h 127.0.0.1 -p "$free" --keyring a.keyring -t "$P/x"

# 8. Many QoS 1 and 2 messages, in order, quickly (Paho's default allows
#    one in flight at about 10 messages/s; 500 would take a minute).
for q in 1 2; do
    start_sub s8.out s8.err "${B[@]}" -V 5 --keyring a.keyring \
        -t "$P/site/a/many" -q "$q" -C 500 -W 20
    seq 500 | "$M" pub "${B[@]}" -V "$([ "$q" = 1 ] && echo 311 || echo 5)" \
        --keyring a.keyring -t "$P/site/a/many" -l -q "$q"
    wait_sub
    [ "$SUB_RC" = 0 ] || fail "QoS $q: sub exited $SUB_RC: $(tail -1 s8.err)"
    seq 500 | cmp -s - s8.out || fail "QoS $q: messages lost or reordered"
done

# 9. SIGTERM ends sub with status 0.
start_sub s9.out s9.err "${B[@]}" --keyring a.keyring -t "$P/#"
kill -TERM "$SUB_PID"
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC on SIGTERM"
echo ok
