#!/usr/bin/env bash
# Runs a command next to a private mosquitto (plain MQTT and WebSockets)
# that nothing outside this machine, or even outside this test, can reach:
#
#   tests/js/netns.sh COMMAND [ARGS...]
#
# Debian's mosquitto 2.0.11 binds its WebSockets listener on every
# interface whatever address the config gives (mosquitto issue 3045), and
# serves WebSockets only next to a plain listener. So broker, command and
# every client run inside a new network namespace whose only interface is
# its own loopback: as root one made with `ip netns add` (deleted on exit),
# otherwise an unprivileged one from `unshare --net --map-root-user`.
# Inside, the broker listens on 127.0.0.1:1883 (MQTT) and :9001
# (WebSockets); the command gets MQTTSEAL_TEST_MQTT_PORT and
# MQTTSEAL_TEST_WS_PORT, and its status is this script's.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
here=$(cd "$(dirname "$0")" && pwd)

if [ "${MQTTSEAL_IN_NETNS:-}" != 1 ]; then
    export MQTTSEAL_IN_NETNS=1
    if [ "$(id -u)" -eq 0 ]; then
        ns=mqttseal-js-$$
        ip netns add "$ns"
        trap 'ip netns del "$ns" 2>/dev/null || true' EXIT INT TERM
        rc=0
        ip netns exec "$ns" "$here/netns.sh" "$@" || rc=$?
        exit $rc
    fi
    exec unshare --net --map-root-user "$here/netns.sh" "$@"
fi

# Inside the namespace.
ip link set lo up
if ip -o link show | grep -v ': lo:' | grep -q .; then
    echo "netns.sh: interfaces other than lo in the namespace" >&2
    exit 1
fi
dir=$(mktemp -d /tmp/mqttseal-js-broker.XXXXXX)
chmod 755 "$dir"
cat > "$dir/mosquitto.conf" <<CONF
listener 1883 127.0.0.1
listener 9001 127.0.0.1
protocol websockets
allow_anonymous true
max_queued_messages 10000
CONF
mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
pid=$!
stop() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap stop EXIT INT TERM
for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null &&
       (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null; then
        break
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$dir/mosquitto.log" >&2; exit 1; }
    sleep 0.05
done
export MQTTSEAL_TEST_MQTT_PORT=1883 MQTTSEAL_TEST_WS_PORT=9001
rc=0
"$@" || rc=$?
exit $rc
