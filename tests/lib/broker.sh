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

# Shared with redis.sh: wait until a server started in the background
# listens on 127.0.0.1:PORT (0), or has died or taken 5 s (1, its log
# printed); stop one by its pid.
daemon_wait() { # NAME PID PORT LOG
    local i
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    echo "$1 did not start on 127.0.0.1:$3; log:" >&2
    cat "$4" >&2
    return 1
}

daemon_stop() { # PID (may be empty)
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null || true
    fi
}

broker_start() {
    local dir=$1
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
    export BROKER_PORT BROKER_PID
    daemon_wait mosquitto "$BROKER_PID" "$BROKER_PORT" "$dir/mosquitto.log"
}

broker_stop() {
    daemon_stop "${BROKER_PID:-}"
    BROKER_PID=
}
