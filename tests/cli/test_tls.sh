#!/usr/bin/env bash
# pub and sub over TLS, through a private mosquitto with three TLS
# listeners on 127.0.0.1 and certificates from a throwaway CA made here:
#   L1  the broker's certificate names 127.0.0.1 and localhost
#   L2  a certificate that names another host (for --insecure)
#   L3  TLS 1.3 only, and a client certificate required
set -euo pipefail
. "$(dirname "$0")/lib.sh"
M=$MQTTSEAL
P=$PFX

# --- a throwaway CA, server and client certificates (EC P-256) ---------
ossl() { openssl "$@" 2> ossl.err || fail "openssl $1: $(cat ossl.err)"; }
ca() { # ca NAME: a self-signed CA certificate NAME.pem, key NAME.key
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1 CA" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # leaf NAME CN EXT: NAME.pem/NAME.key signed by ca.pem
    ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    printf '%s\n' "$3" > "$1.ext"
    ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out "$1.pem" -days 2 -extfile "$1.ext"
}
ca ca
ca other
leaf server 127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf wrongname broker.invalid "subjectAltName=DNS:broker.invalid"
leaf client mqttseal-client "extendedKeyUsage=clientAuth"
# mosquitto started as root drops to its own user: let it read them.
chmod 755 "$T"
chmod 644 ./*.key

# --- the broker, stopped by its pid --------------------------------------
P1=$(broker_free_port)
P2=$(broker_free_port)
P3=$(broker_free_port)
mkdir broker
cat > broker/mosquitto.conf <<CONF
per_listener_settings false
allow_anonymous true
set_tcp_nodelay true
listener $P1 127.0.0.1
cafile $T/ca.pem
certfile $T/server.pem
keyfile $T/server.key
listener $P2 127.0.0.1
cafile $T/ca.pem
certfile $T/wrongname.pem
keyfile $T/wrongname.key
listener $P3 127.0.0.1
cafile $T/ca.pem
certfile $T/server.pem
keyfile $T/server.key
require_certificate true
tls_version tlsv1.3
CONF
mosquitto -c broker/mosquitto.conf > broker/mosquitto.log 2>&1 &
BROKER_PID=$!
OWN_BROKER=1
for p in $P1 $P2 $P3; do
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break
        kill -0 "$BROKER_PID" 2>/dev/null ||
            fail "mosquitto did not start: $(cat broker/mosquitto.log)"
        sleep 0.05
    done
done

"$M" keygen root.keyring > /dev/null
"$M" grant --keyring root.keyring --out dev.keyring "$P/#" > /dev/null
K=(--keyring dev.keyring)

# 1. pub -> sub over TLS: -L mqtts:// with --cafile on one side, -h/-p
#    with --cafile on the other. mosquitto_sub over TLS sees ciphertext.
start_sub s1.out s1.err -L "mqtts://127.0.0.1:$P1/$P/t" --cafile ca.pem \
    "${K[@]}" -C 2 -W 20
mosquitto_sub -h 127.0.0.1 -p "$P1" --cafile ca.pem -t "$P/t" -C 1 -W 20 \
    -N > raw.env &
RAW_PID=$!
BG_PIDS+=("$RAW_PID")
sleep 0.3
"$M" pub -h 127.0.0.1 -p "$P1" --cafile ca.pem "${K[@]}" -t "$P/t" \
    -m "tls-secret-$$"
mkdir capath && cp ca.pem capath/ && openssl rehash capath 2> /dev/null ||
    c_rehash capath > /dev/null
"$M" pub -h localhost -p "$P1" --capath capath "${K[@]}" -t "$P/t" -m second
wait_sub
[ "$SUB_RC" = 0 ] || fail "TLS sub exited $SUB_RC: $(cat s1.err)"
printf '%s\n' "tls-secret-$$" second | diff -u - s1.out || fail "TLS round trip"
wait "$RAW_PID" || fail "mosquitto_sub over TLS received nothing"
grep -qF "tls-secret-$$" raw.env && fail "the broker saw the plaintext"
[ "$("$M" open --keyring dev.keyring --topic "$P/t" < raw.env)" = \
  "tls-secret-$$" ] || fail "the envelope captured over TLS does not open"

# 2. A CA that did not sign the broker's certificate: one line, status 3.
expect 3 "cannot connect to 127.0.0.1:$P1 with TLS: certificate verify failed \(the broker's certificate is not signed by --cafile or --capath, or does not name" -- \
    "$M" pub -h 127.0.0.1 -p "$P1" --cafile other.pem "${K[@]}" -t "$P/t" -m x
expect 3 "with TLS: certificate verify failed" -- \
    "$M" sub -L "mqtts://127.0.0.1:$P1/$P/t" --cafile other.pem "${K[@]}" -W 5

# 3. A certificate for another host name: refused, unless --insecure
#    (which skips the name check only: a wrong CA still fails).
rc=0
"$M" pub -h 127.0.0.1 -p "$P2" --cafile ca.pem "${K[@]}" -t "$P/t" -m x \
    2> name.err || rc=$?
[ "$rc" = 3 ] && [ "$(wc -l < name.err)" = 1 ] &&
    grep -q "with TLS: .*must name the host, which --insecure" name.err ||
    fail "a certificate for another host was accepted ($rc): $(cat name.err)"
start_sub s3.out s3.err -h 127.0.0.1 -p "$P2" --cafile ca.pem --insecure \
    "${K[@]}" -t "$P/t3" -C 1 -W 20
"$M" pub -h 127.0.0.1 -p "$P2" --cafile ca.pem --insecure "${K[@]}" \
    -t "$P/t3" -m insecure-ok
wait_sub
[ "$SUB_RC" = 0 ] && [ "$(cat s3.out)" = insecure-ok ] ||
    fail "--insecure: $SUB_RC $(cat s3.out) $(cat s3.err)"
expect 3 "certificate verify failed" -- \
    "$M" pub -h 127.0.0.1 -p "$P2" --cafile other.pem --insecure "${K[@]}" \
    -t "$P/t" -m x

# 4. Client certificates and TLS versions (L3: TLS 1.3 only, a client
#    certificate required).
rc=0
"$M" pub -h 127.0.0.1 -p "$P3" --cafile ca.pem "${K[@]}" -t "$P/t" -m x \
    2> nocert.err || rc=$?
[ "$rc" = 3 ] && [ "$(wc -l < nocert.err)" = 1 ] &&
    grep -q "with TLS: .*--cert and --key" nocert.err ||
    fail "no client certificate was accepted ($rc): $(cat nocert.err)"
start_sub s4.out s4.err -h 127.0.0.1 -p "$P3" --cafile ca.pem \
    --cert client.pem --key client.key --tls-version tlsv1.3 "${K[@]}" \
    -t "$P/t4" -C 2 -W 20
"$M" pub -h 127.0.0.1 -p "$P3" --cafile ca.pem --cert client.pem \
    --key client.key "${K[@]}" -t "$P/t4" -m cert-ok
"$M" pub -h 127.0.0.1 -p "$P3" --cafile ca.pem --cert client.pem \
    --key client.key --tls-version tlsv1.3 "${K[@]}" -t "$P/t4" -m v13-ok
rc=0
"$M" pub -h 127.0.0.1 -p "$P3" --cafile ca.pem --cert client.pem \
    --key client.key --tls-version tlsv1.2 "${K[@]}" -t "$P/t4" -m v12 \
    2> v12.err || rc=$?
[ "$rc" = 3 ] && [ "$(wc -l < v12.err)" = 1 ] &&
    grep -q "with TLS: .*does not offer this TLS version" v12.err ||
    fail "--tls-version tlsv1.2 reached a TLS 1.3-only listener ($rc): $(cat v12.err)"
wait_sub
[ "$SUB_RC" = 0 ] || fail "client-certificate sub: $(cat s4.err)"
printf '%s\n' cert-ok v13-ok | diff -u - s4.out || fail "client certificates"
# TLS 1.2 exactly, where the broker offers it.
"$M" pub -h 127.0.0.1 -p "$P1" --cafile ca.pem --tls-version tlsv1.2 \
    "${K[@]}" -t "$P/t" -m v12-ok

# 5. Option errors, one line each.
expect 1 "--cert, --key and --tls-version need TLS" -- \
    "$M" pub -p "$P1" --cert client.pem --key client.key "${K[@]}" -t x -m x
expect 1 "--cert and --key go together" -- \
    "$M" pub -p "$P1" --cafile ca.pem --cert client.pem "${K[@]}" -t x -m x
expect 1 "--tls-version 'tlsv1.1': give tlsv1.2 or tlsv1.3" -- \
    "$M" pub --cafile ca.pem --tls-version tlsv1.1 "${K[@]}" -t x -m x
expect 2 "--cafile 'nope.pem': No such file" -- \
    "$M" pub --cafile nope.pem "${K[@]}" -t x -m x
expect 2 "--capath 'ca.pem' is not a directory" -- \
    "$M" sub --capath ca.pem "${K[@]}" -t x
# mqtts:// without a port is 8883 (nothing of ours listens there; the
# error names the address either way).
expect 3 "127\.0\.0\.1:8883" -- \
    "$M" pub -L "mqtts://127.0.0.1/$P/t" --cafile ca.pem "${K[@]}" -m x
# Plain MQTT to a TLS listener and TLS to a plain one fail in one line.
expect 3 "cannot connect to 127.0.0.1:$P1" -- \
    "$M" pub -h 127.0.0.1 -p "$P1" "${K[@]}" -t "$P/t" -m x
echo ok
