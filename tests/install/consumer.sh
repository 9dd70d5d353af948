#!/usr/bin/env bash
# Installs mqttseal into a custom prefix (a scratch directory, with
# meson setup --prefix) and, outside the source tree, builds
#   - a MQTTClient program with  pkg-config --cflags --libs mqttseal-paho-c
#   - a MQTTAsync program with   find_package(mqttseal) (CMake, mqttseal::paho-a)
# and runs both, and the installed CLI, without LD_LIBRARY_PATH: the
# programs carry an rpath to the prefix, the hooks libraries find their
# sibling libmqttseal through RUNPATH $ORIGIN, the CLI through
# $ORIGIN/../<libdir>. Also checks that every binary resolves the copy in
# the prefix and that the old module mqttseal-paho is gone. When
# libmqttseal-redis was built, a program built with nothing but
# `pkg-config --cflags --libs mqttseal-redis` attaches a Redis backend
# and, when MQTTSEAL_TEST_REDIS_PORT names a running redis-server on
# 127.0.0.1, opens one message through it.
# Usage: tests/install/consumer.sh [BUILD_DIR_FOR_SCRATCH]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d "$(cd "${1:-/tmp}" && pwd)/mqttseal-consumer.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
unset LD_LIBRARY_PATH

echo "consumer: installing into $prefix"
meson setup "$scratch/build" "$top" --prefix="$prefix" -Dtests=disabled \
    -Dbuildtype=debugoptimized > "$scratch/setup.log" ||
    { cat "$scratch/setup.log"; exit 1; }
meson compile -C "$scratch/build" > "$scratch/compile.log" ||
    { cat "$scratch/compile.log"; exit 1; }
meson install -C "$scratch/build" --quiet > /dev/null
libdir=$(meson introspect "$scratch/build" --buildoptions |
    /usr/bin/python3 -c 'import json,sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
echo "consumer: pkg-config files in $PKG_CONFIG_PATH"
ls "$PKG_CONFIG_PATH"
if pkg-config --exists mqttseal-paho; then
    echo "consumer: the old module mqttseal-paho is still installed" >&2
    exit 1
fi

cat > "$scratch/client.c" <<'C'
/* MQTTClient consumer: a handle from a keyring file, a sealed publish
 * refused offline by Paho (no connection), and the core's seal/open. */
#include <mqttseal/paho_client.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    mqttseal_paho *ms = NULL;
    mqttseal_diag diag;
    MQTTClient c;
    unsigned char env[MQTTSEAL_SEALED_BYTES(2)], out[2];
    size_t n = 0, m = 0;
    int rc;

    if (argc != 2)
        return 2;
    {   /* the keyring both programs use */
        mqttseal_keyring *kr = NULL;
        if (mqttseal_keyring_new(&kr) || mqttseal_keyring_generate(kr, 1) ||
            mqttseal_keyring_save_file(kr, argv[1]))
            return 1;
        mqttseal_keyring_free(kr);
    }
    if (mqttseal_paho_from_file(&ms, "/nonexistent/k", &diag) == 0 ||
        strstr(diag.message, "/nonexistent/k") == NULL) {
        fprintf(stderr, "client: a missing keyring was not reported\n");
        return 1;
    }
    if ((rc = mqttseal_paho_from_file(&ms, argv[1], &diag)) != 0) {
        fprintf(stderr, "client: %s\n", diag.message);
        return 1;
    }
    if (mqttseal_seal(mqttseal_paho_ctx(ms), env, sizeof env, &n, "a/b", 3,
                      (const unsigned char *)"hi", 2) != 0 ||
        mqttseal_open(mqttseal_paho_ctx(ms), out, sizeof out, &m, "a/b", 3,
                      env, n, 0, NULL) != 0 ||
        m != 2) {
        fprintf(stderr, "client: seal/open failed\n");
        return 1;
    }
    if (MQTTClient_create(&c, "tcp://127.0.0.1:1", "consumer",
                          MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0)
        return 1;
    rc = mqttseal_MQTTClient_publish(ms, c, "a/b", 2, "hi", 0, 0, NULL);
    printf("client: publish while disconnected: %s\n",
           mqttseal_paho_strerror(rc));
    MQTTClient_destroy(&c);
    mqttseal_paho_free(ms);
    return rc == MQTTCLIENT_DISCONNECTED ? 0 : 1;
}
C

cat > "$scratch/async.c" <<'C'
/* MQTTAsync consumer (CMake): set-callbacks through the hooks, a will
 * sealed by the helper, and the core's seal/open. */
#include <mqttseal/paho_async.h>
#include <stdio.h>
#include <string.h>

static int arrived(void *c, char *t, int tl, MQTTAsync_message *m)
{
    (void)c;
    (void)tl;
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(t);
    return 1;
}

int main(int argc, char **argv)
{
    mqttseal_paho *ms = NULL;
    mqttseal_paho_will *sealed = NULL;
    mqttseal_diag diag;
    MQTTAsync c;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;

    if (argc != 2)
        return 2;
    if (mqttseal_paho_from_file(&ms, argv[1], &diag) != 0) {
        fprintf(stderr, "async: %s\n", diag.message);
        return 1;
    }
    if (MQTTAsync_create(&c, "tcp://127.0.0.1:1", "consumer-a",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0 ||
        mqttseal_MQTTAsync_setCallbacks(ms, c, NULL, NULL, arrived, NULL) !=
            0)
        return 1;
    wo.topicName = "a/status";
    wo.message = "gone";
    co.will = &wo;
    if (mqttseal_MQTTAsync_sealWill(ms, &co, &sealed) != 0 ||
        wo.payload.len != 4 + 33) {
        fprintf(stderr, "async: will not sealed\n");
        return 1;
    }
    printf("async: will sealed into %d bytes with libmqttseal %s\n",
           wo.payload.len, mqttseal_version());
    mqttseal_paho_will_free(sealed);
    MQTTAsync_destroy(&c);
    mqttseal_paho_free(ms);
    return 0;
}
C

cat > "$scratch/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.13)
project(mqttseal_consumer C)
find_package(mqttseal 0.1 REQUIRED)
message(STATUS "mqttseal Paho flavours: ${mqttseal_PAHO_FLAVOURS}")
add_executable(async async.c)
target_link_libraries(async PRIVATE mqttseal::paho-a)
target_link_options(async PRIVATE -Wl,--as-needed)
CM

keyring=$scratch/app.keyring

flags=$(pkg-config --cflags --libs mqttseal-paho-c)
rpath=$(pkg-config --variable=libdir mqttseal-paho-c)
echo "consumer: pkg-config --cflags --libs mqttseal-paho-c: $flags"
# --as-needed, as some distributions link by default: the program must
# still find libmqttseal (through libmqttseal-paho-c's RUNPATH).
cc -std=c11 -Wall -Werror -o "$scratch/client" "$scratch/client.c" \
    -Wl,--as-needed $flags -Wl,-rpath,"$rpath"
"$scratch/client" "$keyring"

cmake -S "$scratch" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    > "$scratch/cmake.log" || { cat "$scratch/cmake.log"; exit 1; }
grep "mqttseal Paho flavours" "$scratch/cmake.log"
cmake --build "$scratch/cmake-build" > "$scratch/cmake-build.log" ||
    { cat "$scratch/cmake-build.log"; exit 1; }
"$scratch/cmake-build/async" "$keyring"

# The installed CLI runs from the prefix: it needs
# install_rpath: install_rpath (src/meson.build: $ORIGIN/../<libdir>) on
# its executable() in tools/meson.build.
if ! "$prefix/bin/mqttseal" --version; then
    echo "consumer: the installed CLI does not run from $prefix" >&2
    exit 1
fi

# Every binary resolves the installed copies, not a build tree's.
for bin in "$scratch/client" "$scratch/cmake-build/async" \
           "$prefix/bin/mqttseal"; do
    if ldd "$bin" | grep -E 'libmqttseal|not found' | grep -v "$prefix"; then
        echo "consumer: $bin does not resolve the installed copy" >&2
        exit 1
    fi
done

pcdir=$prefix/$libdir/pkgconfig
if [ -f "$pcdir/mqttseal-redis.pc" ]; then
    cat > "$scratch/consumer_redis.c" <<'C'
#include <mqttseal/redis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *port = getenv("MQTTSEAL_TEST_REDIS_PORT");
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *tx = NULL, *rx = NULL;
    mqttseal_redis *r = NULL;
    mqttseal_redis_stats st;
    mqttseal_diag d;
    unsigned char env[MQTTSEAL_SEALED_BYTES(5)], out[5];
    char url[128];
    size_t n = 0, m = 0;
    int rc = 1;

    snprintf(url, sizeof url, "redis://127.0.0.1:%s?prefix=consumer-%ld",
             port != NULL ? port : "6379", (long)getpid());
    if (mqttseal_keyring_new(&kr) || mqttseal_keyring_generate(kr, 1) ||
        mqttseal_ctx_new(&tx, kr) || mqttseal_ctx_new(&rx, kr) ||
        mqttseal_redis_new_url(&r, url, &d) ||
        mqttseal_redis_attach(r, rx)) {
        fprintf(stderr, "consumer_redis: setup failed\n");
        goto out;
    }
    if (port != NULL &&
        (mqttseal_seal(tx, env, sizeof env, &n, "a/b", 3,
                       (const unsigned char *)"hello", 5) ||
         mqttseal_open(rx, out, sizeof out, &m, "a/b", 3, env, n, 0, NULL) ||
         mqttseal_open(rx, out, sizeof out, &m, "a/b", 3, env, n, 0, NULL) !=
             MQTTSEAL_E_REPLAY)) {
        fprintf(stderr, "consumer_redis: open through Redis failed\n");
        goto out;
    }
    mqttseal_redis_get_stats(r, &st);
    printf("consumer_redis: %llu check(s) in Redis%s\n",
           (unsigned long long)st.checks,
           port != NULL ? "" : " (no MQTTSEAL_TEST_REDIS_PORT: not used)");
    rc = 0;
out:
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
    return rc;
}
C
    flags=$(pkg-config --cflags --libs mqttseal-redis)
    echo "pkg-config --cflags --libs mqttseal-redis: $flags"
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror \
        -o "$scratch/consumer_redis" "$scratch/consumer_redis.c" $flags \
        -Wl,-rpath,"$prefix/$libdir"
    "$scratch/consumer_redis"
    if ldd "$scratch/consumer_redis" | grep -E 'libmqttseal|not found' |
        grep -v "$prefix"; then
        echo "consumer_redis: not linked against the installed copy" >&2
        exit 1
    fi
    echo "consumer_redis: OK"
fi
echo "consumer: OK"
