#!/bin/sh
# Test certificates for TLS to Redis, made fresh in DIR by each test run
# (nothing secret is committed): a CA, a server certificate for localhost
# and 127.0.0.1, a client certificate, and a rogue CA with a client
# certificate of its own. EC P-256, valid for two days. cadir/ holds the
# CA in a hashed directory (for cacertdir=).
#   tests/redis/mkcerts.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }

ca() { # ca NAME CN
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 \
        -addext basicConstraints=critical,CA:true \
        -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.crt"
}

leaf() { # leaf NAME CA CN EXT
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" \
        -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2> /dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "mqttseal test CA"
ca rogue-ca "rogue CA"
leaf server ca localhost \
    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client ca consumer "extendedKeyUsage=clientAuth"
leaf rogue-client rogue-ca consumer "extendedKeyUsage=clientAuth"
chmod 644 ./*.crt
mkdir -p cadir
cp ca.crt cadir/
openssl rehash cadir 2> /dev/null || c_rehash cadir > /dev/null
