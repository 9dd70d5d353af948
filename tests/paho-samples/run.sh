#!/usr/bin/env bash
# Applies the .ed scripts to Paho's samples, checks the changed-line
# counts, builds the ports and runs them through private mosquitto
# brokers on 127.0.0.1 (README.md). Usage: run.sh PAHO_CHECKOUT BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
paho=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
I=$top/include
w=$(mktemp -d)
bpid=
cleanup() { [ -n "$bpid" ] && kill "$bpid" 2>/dev/null; rm -rf "$w"; }
trap cleanup EXIT
cd "$w"
mkdir orig port
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
start_broker() { # CONF
    [ "$(id -u)" = 0 ] && echo "user root" >> "$1"
    /usr/sbin/mosquitto -c "$1" > "$1.log" 2>&1 & bpid=$!
    sleep 0.5
}
stop_broker() { kill "$bpid"; wait "$bpid" 2>/dev/null || true; bpid=; }

status=0
for f in MQTTClient_publish MQTTClient_subscribe MQTTAsync_publish \
         MQTTAsync_subscribe paho_c_pub paho_c_sub; do
    cp "$paho/src/samples/$f.c" orig/
    cp orig/$f.c port/
    (cat "$here/$f.ed"; echo w) | ed -s port/$f.c
    new=$({ diff --unchanged-line-format= --old-line-format= \
          --new-line-format='%L' orig/$f.c port/$f.c || true; } | wc -l)
    echo "$f.c: $new lines added or changed"
    case $f in MQTT*) [ "$new" -le 6 ] || { echo "  more than 6"; status=1; } ;; esac
done
cp "$paho/src/samples/pubsub_opts.c" "$paho/src/samples/pubsub_opts.h" port/

"$B/tools/mqttseal" keygen app.keyring > /dev/null
export MQTTSEAL_KEYRING=$w/app.keyring
build() { # NAME FLAVOUR [extra sources]
    local n=$1 f=$2
    shift 2
    sed "s#tcp://mqtt.eclipseprojects.io:1883#tcp://127.0.0.1:$port#" \
        port/$n.c > $n.c
    cc -std=gnu11 -w -o $n $n.c "$@" -Iport -I"$I" -L"$B/src/paho" \
        -L"$B/src" -lmqttseal-paho-$f -lpaho-mqtt3$f -lmqttseal \
        -Wl,-rpath,"$B/src/paho:$B/src"
}

# The basic samples over TCP.
port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > tcp.conf
start_broker tcp.conf
build MQTTClient_publish c; build MQTTClient_subscribe c
build MQTTAsync_publish a; build MQTTAsync_subscribe a
for pair in "MQTTClient_subscribe MQTTClient_publish" \
            "MQTTAsync_subscribe MQTTAsync_publish" \
            "MQTTClient_subscribe MQTTAsync_publish" \
            "MQTTAsync_subscribe MQTTClient_publish"; do
    set -- $pair
    ( sleep 3; echo Q ) | timeout 30 ./$1 > sub.out 2>&1 & sp=$!
    sleep 1
    timeout 30 ./$2 > pub.out 2>&1 || true
    wait $sp || true
    if grep -q "Hello World!" sub.out; then echo "OK   $2 -> $1"
    else echo "FAIL $2 -> $1"; cat pub.out sub.out; status=1; fi
done
( timeout 10 mosquitto_sub -p "$port" -t 'MQTT Examples' -C 1 > plain.out 2>&1 || true ) & pp=$!
sleep 1; timeout 30 ./MQTTClient_publish > /dev/null || true; wait $pp || true
if [ -s plain.out ] && ! grep -q "Hello World" plain.out; then
    echo "OK   a plain subscriber saw $(wc -c < plain.out) bytes of ciphertext"
else echo "FAIL plain subscriber: $(cat plain.out)"; status=1; fi
stop_broker

# paho_c_pub and paho_c_sub over TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out server.crt -days 2 -extfile ext.cnf 2>/dev/null
port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\ncafile %s/ca.crt\ncertfile %s/server.crt\nkeyfile %s/server.key\n' \
    "$port" "$w" "$w" "$w" > tls.conf
start_broker tls.conf
build paho_c_pub as port/pubsub_opts.c
build paho_c_sub as port/pubsub_opts.c
url=ssl://127.0.0.1:$port
timeout 60 ./paho_c_sub -c "$url" --cafile ca.crt -t 'tls/#' -V 5 -q 1 > sub.out 2>&1 & sp=$!
sleep 1.5
timeout 30 ./paho_c_pub -c "$url" --cafile ca.crt -t tls/data -m "hello over tls" \
    -q 1 -V 5 --will-topic tls/status --will-payload "publisher gone" > pub.out 2>&1 || true
sleep 0.5; kill -INT $sp; wait $sp || true
if grep -q "hello over tls" sub.out; then echo "OK   paho_c_pub -> paho_c_sub over TLS"
else echo "FAIL paho_c_pub -> paho_c_sub over TLS"; cat pub.out sub.out; status=1; fi
stop_broker
exit $status
