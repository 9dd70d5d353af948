# Start and stop a private mosquitto on a free 127.0.0.1 port.
# Source this file, then:
#   broker_start DIR     sets BROKER_PORT and BROKER_PID (config, log and
#                        persistence live in DIR)
#   broker_stop          stops the broker started above, by its pid
# Only the loopback address is ever used. No persistence: run as root,
# mosquitto drops to its own user and could not write it here anyway;
# tests that restart a broker start their own with persistence.

broker_free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

broker_start() {
    local dir=$1 i
    mkdir -p "$dir"
    BROKER_PORT=$(broker_free_port)
    cat > "$dir/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
max_queued_messages 100000
max_inflight_messages 0
CONF
    mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then
            export BROKER_PORT BROKER_PID
            return 0
        fi
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "mosquitto did not start on 127.0.0.1:$BROKER_PORT; log:" >&2
    cat "$dir/mosquitto.log" >&2
    return 1
}

broker_stop() {
    if [ -n "${BROKER_PID:-}" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill "$BROKER_PID" 2>/dev/null
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    BROKER_PID=
}
