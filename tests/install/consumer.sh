#!/usr/bin/env bash
# Installs the built tree into a scratch prefix and builds a program
# outside the source tree with nothing but
#   pkg-config --cflags --libs mqttseal
# then runs it: it seals and opens one message through the installed
# shared library. When libmqttseal-redis was built, a second program is
# built with nothing but `pkg-config --cflags --libs mqttseal-redis`; it
# attaches a Redis backend and, when MQTTSEAL_TEST_REDIS_PORT names a
# running redis-server on 127.0.0.1, opens one message through it.
# Usage: tests/install/consumer.sh BUILD_DIR
set -euo pipefail
build=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
meson install -C "$build" --destdir "$scratch/root" --quiet > /dev/null
prefix=$(meson introspect "$build" --buildoptions |
    /usr/bin/python3 -c 'import json,sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
libdir=$(meson introspect "$build" --buildoptions |
    /usr/bin/python3 -c 'import json,sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
root=$scratch/root$prefix
cat > "$scratch/consumer.c" <<'C'
#include <mqttseal/mqttseal.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    unsigned char env[MQTTSEAL_SEALED_BYTES(5)], out[5];
    size_t n = 0, m = 0;

    if (mqttseal_keyring_new(&kr) || mqttseal_keyring_generate(kr, 1) ||
        mqttseal_ctx_new(&ctx, kr) ||
        mqttseal_seal(ctx, env, sizeof env, &n, "a/b", 3,
                      (const unsigned char *)"hello", 5) ||
        mqttseal_open(ctx, out, sizeof out, &m, "a/b", 3, env, n, 0, NULL) ||
        m != 5 || memcmp(out, "hello", 5) != 0) {
        fprintf(stderr, "consumer: seal/open through the installed "
                        "library failed\n");
        return 1;
    }
    printf("consumer: sealed 5 bytes into %zu with libmqttseal %s\n", n,
           mqttseal_version());
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    return 0;
}
C
export PKG_CONFIG_PATH=$root/$libdir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$scratch/root
flags=$(pkg-config --cflags --libs mqttseal)
echo "pkg-config --cflags --libs mqttseal: $flags"
cc -std=c11 -Wall -Werror -o "$scratch/consumer" "$scratch/consumer.c" $flags
LD_LIBRARY_PATH=$root/$libdir "$scratch/consumer"
# The build tree must not have been used: the binary resolves the copy.
resolved=$(LD_LIBRARY_PATH=$root/$libdir ldd "$scratch/consumer")
case "$resolved" in
*"$scratch"*libmqttseal*|*libmqttseal*"$scratch"*) ;;
*) echo "consumer: not linked against the installed copy" >&2; exit 1 ;;
esac
echo "consumer: OK"

pcdir=$root/$libdir/pkgconfig
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
        -o "$scratch/consumer_redis" "$scratch/consumer_redis.c" $flags
    LD_LIBRARY_PATH=$root/$libdir "$scratch/consumer_redis"
    resolved=$(LD_LIBRARY_PATH=$root/$libdir ldd "$scratch/consumer_redis")
    case "$resolved" in
    *"$scratch"*libmqttseal-redis*|*libmqttseal-redis*"$scratch"*) ;;
    *) echo "consumer_redis: not linked against the installed copy" >&2
       exit 1 ;;
    esac
    echo "consumer_redis: OK"
fi
