# Start and stop a private redis-server on a free 127.0.0.1 port.
# Source this file (after tests/lib/broker.sh, for broker_free_port), then:
#   redis_start DIR     sets REDIS_PORT and REDIS_PID (config and log in
#                       DIR); no persistence
#   redis_stop          stops the server started above, by its pid
# Only the loopback address is ever used. Tests that stop or restart
# Redis start their own (tests/redis).

redis_start() {
    local dir=$1 i
    mkdir -p "$dir"
    REDIS_PORT=$(broker_free_port)
    cat > "$dir/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
dir $dir
save ""
appendonly no
daemonize no
CONF
    redis-server "$dir/redis.conf" > "$dir/redis.log" 2>&1 &
    REDIS_PID=$!
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then
            export REDIS_PORT REDIS_PID
            return 0
        fi
        kill -0 "$REDIS_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "redis-server did not start on 127.0.0.1:$REDIS_PORT; log:" >&2
    cat "$dir/redis.log" >&2
    return 1
}

redis_stop() {
    if [ -n "${REDIS_PID:-}" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill "$REDIS_PID" 2>/dev/null
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    REDIS_PID=
}
