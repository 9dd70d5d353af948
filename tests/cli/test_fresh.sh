#!/usr/bin/env bash
# Freshness and persistent replay state (issue 11): pub stamps by default
# and seals -r as retained; sub --replay-state refuses a replay across a
# restart; --max-age, --fresh and --retained-max-age refuse what is old
# or unstamped; sub prints its counts on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL
need_broker
B=(-h 127.0.0.1 -p "$PORT")
P=$PFX

"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out dev.keyring "$P/#"

# capture TOPIC OUT PUB-ARGS...: run 'mqttseal pub -t TOPIC PUB-ARGS' until
# a plain mosquitto_sub has received one envelope, and keep its raw bytes.
capture() {
    local topic=$1 out=$2 i pid
    shift 2
    mosquitto_sub "${B[@]}" -t "$topic" -C 1 -N -W 10 > "$out" &
    pid=$!
    for i in $(seq 1 100); do
        "$M" pub "${B[@]}" --keyring dev.keyring -t "$topic" "$@"
        sleep 0.1
        [ -s "$out" ] && break
    done
    wait "$pid" || fail "mosquitto_sub captured nothing on $topic"
}

# wait_for FILE REGEX: until a line of FILE matches (5 s).
wait_for() {
    local i
    for i in $(seq 1 100); do
        grep -Eq -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.05
    done
    fail "no line /$2/ in $1: $(cat "$1")"
}

# 1. pub stamps by default; --no-timestamp leaves the time out.
capture "$P/ts" ts.env -m stamped
"$M" inspect ts.env > ts.out
grep -Eq '^timestamp: +[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z \([0-9]+ ms\)$' ts.out ||
    fail "pub did not stamp by default: $(cat ts.out)"
grep -qx 'flags:           0x01' ts.out || fail "flags: $(cat ts.out)"
capture "$P/nots" nots.env -m plain --no-timestamp
"$M" inspect nots.env | grep -qx 'timestamp:       none' ||
    fail "--no-timestamp: $("$M" inspect nots.env)"

# 2. pub -r seals as retained (flags bit 1, authenticated) and stamps.
"$M" pub "${B[@]}" --keyring dev.keyring -t "$P/ret" -r -m kept
mosquitto_sub "${B[@]}" -t "$P/ret" -C 1 -N -W 10 > ret.env
"$M" inspect ret.env > ret.out
grep -qx 'flags:           0x03' ret.out || fail "pub -r flags: $(cat ret.out)"
grep -q '^timestamp: .* ms)$' ret.out || fail "pub -r stamp: $(cat ret.out)"
[ "$("$M" open --keyring dev.keyring --topic "$P/ret" < ret.env)" = kept ] ||
    fail "the retained envelope does not open"

# 3. --replay-state: a sub is stopped and restarted; an envelope it
#    printed before, published again raw, is refused after the restart.
printf once | "$M" seal --keyring dev.keyring --topic "$P/rp" --timestamp \
    > once.env
printf next | "$M" seal --keyring dev.keyring --topic "$P/rp" --timestamp \
    > next.env
start_sub r1.out r1.err "${B[@]}" --keyring dev.keyring -t "$P/rp" \
    --replay-state rp.state
[ -f rp.state ] || fail "no state file written at start"
check_mode rp.state 600
mosquitto_pub "${B[@]}" -t "$P/rp" -f once.env
wait_for r1.out '^once$'
kill -TERM "$SUB_PID"
wait_sub
[ "$SUB_RC" = 0 ] || fail "sub exited $SUB_RC on SIGTERM: $(cat r1.err)"
grep -qx 'mqttseal sub: 1 opened, 0 refused' r1.err ||
    fail "no counts on exit: $(cat r1.err)"
start_sub r2.out r2.err "${B[@]}" --keyring dev.keyring -t "$P/rp" \
    --replay-state rp.state -C 1 -W 20
grep -q "loaded replay state 'rp.state'" r2.err || fail "$(cat r2.err)"
mosquitto_pub "${B[@]}" -t "$P/rp" -f once.env
REPLAY='replayed message \(already accepted\)|message older than the replay window'
wait_for r2.err "rejected message on '$P/rp': ($REPLAY)"
mosquitto_pub "${B[@]}" -t "$P/rp" -f next.env
wait_sub
[ "$SUB_RC" = 0 ] || fail "restarted sub exited $SUB_RC: $(cat r2.err)"
[ "$(cat r2.out)" = next ] || fail "restarted sub printed: $(cat r2.out)"
grep -Eqx "mqttseal sub: 1 opened, 1 refused; ($REPLAY): 1" r2.err ||
    fail "counts: $(cat r2.err)"
# Without the state file a restarted sub is fooled: what the test proves.
"$M" sub "${B[@]}" --keyring dev.keyring -t "$P/rp" -C 1 -W 20 > r3.out &
p3=$!
BG_PIDS+=("$p3")
for i in $(seq 1 100); do
    mosquitto_pub "${B[@]}" -t "$P/rp" -f once.env
    sleep 0.1
    [ -s r3.out ] && break
done
wait "$p3" || fail "control sub failed"
[ "$(cat r3.out)" = once ] || fail "control: $(cat r3.out)"

# ... also after SIGKILL, from the periodic save.
printf third | "$M" seal --keyring dev.keyring --topic "$P/rp" --timestamp \
    > third.env
start_sub k1.out k1.err "${B[@]}" --keyring dev.keyring -t "$P/rp" \
    --replay-state rp.state --save-interval 1
mosquitto_pub "${B[@]}" -t "$P/rp" -f third.env
wait_for k1.out '^third$'
sleep 2.5
{ kill -KILL "$SUB_PID" && wait "$SUB_PID"; } 2> /dev/null || true
start_sub k2.out k2.err "${B[@]}" --keyring dev.keyring -t "$P/rp" \
    --replay-state rp.state -W 3
mosquitto_pub "${B[@]}" -t "$P/rp" -f third.env
wait_sub
[ "$SUB_RC" = 5 ] && [ ! -s k2.out ] ||
    fail "replay after SIGKILL: rc $SUB_RC, printed $(cat k2.out)"
grep -Eq "rejected message on '$P/rp': ($REPLAY)" k2.err ||
    fail "replay after SIGKILL not refused: $(cat k2.err)"

# 4. --max-age: an envelope older than it is refused, a fresh one opens.
printf old | "$M" seal --keyring dev.keyring --topic "$P/age" --timestamp \
    > old.env
printf bare | "$M" seal --keyring dev.keyring --topic "$P/age" > bare.env
printf live | "$M" seal --keyring dev.keyring --topic "$P/ret-live" \
    --timestamp > live.env
sleep 2.2
start_sub a1.out a1.err "${B[@]}" --keyring dev.keyring -t "$P/age" \
    --max-age 1 -C 1 -W 20
mosquitto_pub "${B[@]}" -t "$P/age" -f old.env
mosquitto_pub "${B[@]}" -t "$P/age" -f bare.env
"$M" pub "${B[@]}" --keyring dev.keyring -t "$P/age" -m young
wait_sub
[ "$SUB_RC" = 0 ] || fail "--max-age sub exited $SUB_RC: $(cat a1.err)"
[ "$(cat a1.out)" = young ] || fail "--max-age printed: $(cat a1.out)"
grep -q "rejected message on '$P/age': message timestamp older than the maximum age" \
    a1.err || fail "old message not refused as stale: $(cat a1.err)"
grep -q "rejected message on '$P/age': message has no timestamp" a1.err ||
    fail "unstamped message not refused: $(cat a1.err)"
grep -qx 'mqttseal sub: 1 opened, 2 refused; message timestamp older than the maximum age: 1; message has no timestamp but a maximum age is required: 1' \
    a1.err || fail "counts: $(cat a1.err)"

# --fresh (fleet defaults) refuses pub --no-timestamp, opens pub.
start_sub f1.out f1.err "${B[@]}" --keyring dev.keyring -t "$P/fl" --fresh \
    -C 1 -W 20
"$M" pub "${B[@]}" --keyring dev.keyring -t "$P/fl" -m bare --no-timestamp
"$M" pub "${B[@]}" --keyring dev.keyring -t "$P/fl" -m stamped
wait_sub
[ "$(cat f1.out)" = stamped ] || fail "--fresh printed: $(cat f1.out)"
grep -q "rejected message on '$P/fl': message has no timestamp" f1.err ||
    fail "--fresh took an unstamped message: $(cat f1.err)"

# 5. Retained: what pub -r sealed as retained gets --retained-max-age; an
#    envelope sealed live and re-published retained does not (the RETAIN
#    bit of the delivery is not trusted).
#    Both envelopes are older than --max-age 1 by now.
mosquitto_pub "${B[@]}" -t "$P/ret-live" -r -f live.env
start_sub t1.out t1.err "${B[@]}" --keyring dev.keyring -t "$P/ret" \
    -t "$P/ret-live" --max-age 1 --retained-max-age 3600 -v -W 3
wait_sub
[ "$SUB_RC" = 5 ] || fail "retained sub exited $SUB_RC: $(cat t1.err)"
[ "$(cat t1.out)" = "$P/ret kept" ] || fail "retained: $(cat t1.out)"
grep -q "rejected message on '$P/ret-live': message timestamp older" t1.err ||
    fail "a live envelope retained by the broker was exempt: $(cat t1.err)"
mosquitto_pub "${B[@]}" -t "$P/ret-live" -r -n
mosquitto_pub "${B[@]}" -t "$P/ret" -r -n

# 6. Errors: one line each, nothing connects first.
expect 1 "--save-interval needs --replay-state" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a --save-interval 5
expect 1 "--retained-max-age needs --max-age or --fresh" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a --retained-max-age 5
expect 1 "--skew '0' is not a number of seconds" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a --skew 0
expect 1 "--max-age 'x' is not a number of seconds" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a --max-age x
printf 'MQSRPL03 not really' > bad.state
chmod 600 bad.state
expect 2 "replay state 'bad.state' is corrupt, truncated or not saved with this keyring" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a -W 2 --replay-state bad.state
[ "$(cat bad.state)" = 'MQSRPL03 not really' ] || fail "bad.state overwritten"
cp rp.state other.state
chmod 620 other.state
expect 2 "replay state 'other.state' is owned by another user or writable by group or others" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a -W 2 --replay-state other.state
"$M" keygen other.keyring > /dev/null
chmod 600 other.state
expect 2 "replay state 'other.state' is corrupt, truncated or not saved with this keyring" -- \
    "$M" sub "${B[@]}" --keyring other.keyring -t a -W 2 --replay-state other.state
expect 2 "sub: cannot save replay state to 'nodir/x.state': No such file" -- \
    "$M" sub "${B[@]}" --keyring dev.keyring -t a -W 2 --replay-state nodir/x.state
echo ok
