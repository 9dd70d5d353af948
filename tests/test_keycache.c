/* The derived-key cache: hits, LRU eviction order, updates, clearing,
 * and a long random run checked against a simple reference model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keycache.h"

static void key_for(unsigned char k[MQTTSEAL_KEYBYTES], unsigned id,
                    unsigned topic)
{
    for (unsigned i = 0; i < MQTTSEAL_KEYBYTES; i++) {
        k[i] = (unsigned char)(id * 31U + topic * 7U + i);
    }
}

static int get(ms_keycache *c, unsigned id, unsigned topic)
{
    unsigned char k[MQTTSEAL_KEYBYTES], want[MQTTSEAL_KEYBYTES];
    int64_t exp = -1;
    char t[32];
    int n = snprintf(t, sizeof t, "site/%u/t", topic);

    if (!ms_keycache_get(c, id, t, (size_t)n, k, &exp)) {
        return 0;
    }
    key_for(want, id, topic);
    assert_memory_equal(k, want, sizeof k);
    assert_int_equal(exp, (int64_t)topic * 10);
    return 1;
}

static void put(ms_keycache *c, unsigned id, unsigned topic)
{
    unsigned char k[MQTTSEAL_KEYBYTES];
    char t[32];
    int n = snprintf(t, sizeof t, "site/%u/t", topic);

    key_for(k, id, topic);
    assert_int_equal(ms_keycache_put(c, id, t, (size_t)n, k,
                                     (int64_t)topic * 10),
                     MQTTSEAL_OK);
}

static void lru_order(void **state)
{
    ms_keycache *c = NULL;

    (void)state;
    assert_int_equal(ms_keycache_new(&c, 0), MQTTSEAL_E_INVALID);
    assert_int_equal(ms_keycache_new(&c, 3), MQTTSEAL_OK);
    put(c, 1, 1);
    put(c, 1, 2);
    put(c, 1, 3);
    assert_true(get(c, 1, 1)); /* 1 is now most recent: 2 is the LRU */
    put(c, 1, 4);
    assert_false(get(c, 1, 2));
    assert_true(get(c, 1, 1) && get(c, 1, 3) && get(c, 1, 4));
    /* Same topic under another key id is another entry. */
    assert_false(get(c, 2, 1));
    put(c, 2, 1);
    assert_true(get(c, 2, 1) && get(c, 1, 4));
    assert_false(get(c, 1, 1) && get(c, 1, 3)); /* one of them evicted */
    /* Re-putting an existing entry does not grow the cache. */
    put(c, 2, 1);
    put(c, 2, 1);
    assert_true(get(c, 2, 1) && get(c, 1, 4));
    ms_keycache_clear(c);
    assert_false(get(c, 2, 1) || get(c, 1, 4));
    put(c, 3, 3);
    assert_true(get(c, 3, 3));
    ms_keycache_free(c);
}

/* Reference: an array ordered by recency; the cache must agree on every
 * hit and miss over a long random run with many collisions. */
#define CAP 8
#define UNIVERSE 40

static void random_against_model(void **state)
{
    unsigned model[CAP], n = 0;
    uint32_t x = 12345;
    ms_keycache *c = NULL;

    (void)state;
    assert_int_equal(ms_keycache_new(&c, CAP), MQTTSEAL_OK);
    for (int step = 0; step < 20000; step++) {
        unsigned topic, pos;
        int hit;

        x = x * 1103515245U + 12345U;
        topic = (x >> 16) % UNIVERSE;
        for (pos = 0; pos < n && model[pos] != topic; pos++) {
        }
        hit = get(c, 1, topic);
        assert_int_equal(hit, pos < n);
        if (pos < n) {
            memmove(model + 1, model, pos * sizeof model[0]);
        } else {
            put(c, 1, topic);
            n = n < CAP ? n + 1 : CAP;
            memmove(model + 1, model, (n - 1) * sizeof model[0]);
        }
        model[0] = topic;
    }
    ms_keycache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lru_order),
        cmocka_unit_test(random_against_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
