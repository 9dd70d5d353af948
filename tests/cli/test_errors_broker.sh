#!/usr/bin/env bash
# Broker errors of pub and sub (exit status 3): nothing listening, a broker
# that refuses the connection, a connection lost. The brokers here are
# private to this test (they are stopped on purpose) and stopped by pid.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL

"$M" keygen k > /dev/null

# Nothing listening.
free=$(broker_free_port)
expect 3 "^mqttseal: pub: cannot connect to 127.0.0.1:$free: .*\\(is the broker running there\\? check -h and -p\\)$" -- \
    "$M" pub -h 127.0.0.1 -p "$free" --keyring k -t a -m b
expect 3 "^mqttseal: sub: cannot connect to 127.0.0.1:$free: " -- \
    "$M" sub -h 127.0.0.1 -p "$free" --keyring k -t a
expect 3 "^mqttseal: pub: cannot connect to 127.0.0.1:$free: " -- \
    "$M" pub -L "mqtt://127.0.0.1:$free/a" --keyring k -m b

# A broker that refuses anonymous clients: MQTT 3.1.1 and 5 CONNACK codes.
mkdir auth
cat > auth/mosquitto.conf <<CONF
listener $free 127.0.0.1
allow_anonymous false
CONF
mosquitto -c auth/mosquitto.conf > auth/log 2>&1 &
auth_pid=$!
BG_PIDS+=("$auth_pid")
for i in $(seq 1 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$free") 2> /dev/null && break
    sleep 0.05
done
expect 3 "^mqttseal: pub: the broker at 127.0.0.1:$free refused the connection: not authorized \\(check -u and -P\\)$" -- \
    "$M" pub -h 127.0.0.1 -p "$free" --keyring k -t a -m b
expect 3 "^mqttseal: sub: the broker at 127.0.0.1:$free refused the connection: Not authorized \\(check -u and -P\\)$" -- \
    "$M" sub -V 5 -h 127.0.0.1 -p "$free" --keyring k -t a
expect 3 "refused the connection: not authorized" -- \
    "$M" pub -L "mqtt://someone:secret@127.0.0.1:$free/a" --keyring k -m b
grep -q secret "$T/expect.err" && fail "the password appeared in an error"
kill "$auth_pid"
wait "$auth_pid" || true

# A lost connection ends sub with status 3.
broker_start "$T/lost"
lost_pid=$BROKER_PID
start_sub lost.out lost.err -h 127.0.0.1 -p "$BROKER_PORT" --keyring k -t a
kill "$lost_pid"
wait "$lost_pid" || true
BROKER_PID=
wait_sub
[ "$SUB_RC" = 3 ] || fail "sub exited $SUB_RC when the broker went away"
grep -qx "mqttseal: sub: lost the connection to 127.0.0.1:$BROKER_PORT" \
    lost.err || fail "lost: $(cat lost.err)"
echo ok
