# Start and stop a private redis-server on a free 127.0.0.1 port.
# Source this file (after tests/lib/broker.sh, for broker_free_port and
# daemon_wait/daemon_stop), then:
#   redis_start DIR     sets REDIS_PORT and REDIS_PID (config and log in
#                       DIR); no persistence
#   redis_stop          stops the server started above, by its pid
# Only the loopback address is ever used. Tests that stop or restart
# Redis start their own (tests/redis).

redis_start() {
    local dir=$1
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
    export REDIS_PORT REDIS_PID
    daemon_wait redis-server "$REDIS_PID" "$REDIS_PORT" "$dir/redis.log"
}

redis_stop() {
    daemon_stop "${REDIS_PID:-}"
    REDIS_PID=
}
