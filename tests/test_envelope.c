/* Varints and the envelope header parser: every rule of docs/FORMAT.md
 * section 2, one error each, and sweeps over lengths and bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "mqttseal/mqttseal.h"
#include "varint.h"

static void varint_round_trip(void **state)
{
    static const uint64_t values[] = {0,
                                      1,
                                      127,
                                      128,
                                      255,
                                      16383,
                                      16384,
                                      (1U << 21) - 1,
                                      1U << 21,
                                      UINT32_MAX,
                                      (uint64_t)1 << 56,
                                      UINT64_MAX - 1,
                                      UINT64_MAX};
    unsigned char buf[MS_VARINT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint64_t v = 0;
        size_t n = ms_varint_put(buf, values[i]), used = 0;

        assert_int_equal(n, ms_varint_len(values[i]));
        assert_int_equal(ms_varint_get(&v, buf, n, &used, UINT64_MAX),
                         MQTTSEAL_OK);
        assert_int_equal(used, n);
        assert_true(v == values[i]);
        /* Every strict prefix is truncated. */
        while (n-- > 0) {
            assert_int_equal(ms_varint_get(&v, buf, n, &used, UINT64_MAX),
                             MQTTSEAL_E_TRUNCATED);
        }
    }
}

static void varint_lengths(void **state)
{
    (void)state;
    assert_int_equal(ms_varint_len(127), 1);
    assert_int_equal(ms_varint_len(128), 2);
    assert_int_equal(ms_varint_len((1U << 21) - 1), 3);
    assert_int_equal(ms_varint_len(1U << 21), 4);
    assert_int_equal(ms_varint_len(UINT64_MAX), 10);
}

static void varint_rejects(void **state)
{
    static const unsigned char nonminimal1[] = {0x80, 0x00};
    static const unsigned char nonminimal2[] = {0xff, 0x80, 0x00};
    static const unsigned char overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0x02};
    static const unsigned char eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x81, 0x01};
    static const unsigned char big[] = {0x80, 0x80, 0x80, 0x80, 0x10};
    uint64_t v;
    size_t used;

    (void)state;
    assert_int_equal(ms_varint_get(&v, nonminimal1, 2, &used, UINT64_MAX),
                     MQTTSEAL_E_VARINT);
    assert_int_equal(ms_varint_get(&v, nonminimal2, 3, &used, UINT64_MAX),
                     MQTTSEAL_E_VARINT);
    assert_int_equal(ms_varint_get(&v, overflow, 10, &used, UINT64_MAX),
                     MQTTSEAL_E_VARINT);
    assert_int_equal(ms_varint_get(&v, eleven, 11, &used, UINT64_MAX),
                     MQTTSEAL_E_VARINT);
    /* 2^32 is above a key id's maximum. */
    assert_int_equal(ms_varint_get(&v, big, 5, &used, UINT32_MAX),
                     MQTTSEAL_E_VARINT);
    assert_int_equal(ms_varint_get(&v, big, 5, &used, UINT64_MAX), MQTTSEAL_OK);
}

/* A well-formed envelope with a zero "ciphertext" of n bytes. */
static size_t make_env(unsigned char *buf, const mqttseal_header *h)
{
    size_t hl = ms_header_encode(buf, h);

    memset(buf + hl, 0xA5, h->payload_len + MQTTSEAL_ABYTES);
    return hl + h->payload_len + MQTTSEAL_ABYTES;
}

static mqttseal_header sample(size_t len)
{
    mqttseal_header h;

    memset(&h, 0, sizeof h);
    h.key_id = 7;
    memset(h.session_id, 0x5c, sizeof h.session_id);
    h.seq = 300;
    h.payload_len = len;
    return h;
}

static void header_round_trip(void **state)
{
    unsigned char buf[200];
    mqttseal_header h = sample(10), got;
    size_t n;

    (void)state;
    h.has_timestamp = 1;
    h.timestamp_ms = 1764000000000ULL;
    n = make_env(buf, &h);
    assert_int_equal(mqttseal_header_parse(&got, buf, n), MQTTSEAL_OK);
    assert_int_equal(got.version, 1);
    assert_int_equal(got.suite, 1);
    assert_int_equal(got.key_id, 7);
    assert_true(got.seq == 300);
    assert_true(got.has_timestamp);
    assert_true(got.timestamp_ms == 1764000000000ULL);
    assert_int_equal(got.payload_len, 10);
    assert_int_equal(got.header_len, n - 10 - MQTTSEAL_ABYTES);
    assert_memory_equal(got.session_id, h.session_id, 12);
    assert_int_equal(buf[0], 0x89);
}

static void header_sizes(void **state)
{
    unsigned char buf[MQTTSEAL_HEADER_MAX];
    mqttseal_header h = sample(0);

    (void)state;
    h.key_id = 0;
    h.seq = 0;
    assert_int_equal(ms_header_encode(buf, &h), MQTTSEAL_HEADER_MIN);
    h.key_id = UINT32_MAX;
    h.seq = UINT64_MAX;
    h.has_timestamp = 1;
    h.timestamp_ms = INT64_MAX;
    h.payload_len = MQTTSEAL_PLAINTEXT_MAX;
    assert_int_equal(ms_header_encode(buf, &h), MQTTSEAL_HEADER_MAX);
    /* The documented overhead: key id < 128, seq < 2^21, no timestamp. */
    h = sample(64);
    h.seq = (1U << 21) - 1;
    assert_int_equal(ms_header_encode(buf, &h) + MQTTSEAL_ABYTES, 35);
    h.payload_len = 16383;
    assert_int_equal(ms_header_encode(buf, &h) + MQTTSEAL_ABYTES, 36);
}

static int parse(const unsigned char *b, size_t n)
{
    mqttseal_header h;

    return mqttseal_header_parse(&h, b, n);
}

static void header_errors(void **state)
{
    unsigned char buf[200];
    mqttseal_header h = sample(5);
    size_t n = make_env(buf, &h);

    (void)state;
    assert_int_equal(parse(buf, 0), MQTTSEAL_E_TRUNCATED);
    assert_int_equal(parse((const unsigned char *)"{\"t\":1}", 7),
                     MQTTSEAL_E_NOT_SEALED);
    buf[0] = 0x91; /* version 2 */
    assert_int_equal(parse(buf, n), MQTTSEAL_E_VERSION);
    buf[0] = 0x8a; /* suite 2 */
    assert_int_equal(parse(buf, n), MQTTSEAL_E_SUITE);
    buf[0] = 0x89;
    assert_int_equal(parse(buf, 1), MQTTSEAL_E_TRUNCATED);
    /* Bit 0 (timestamp), bit 1 (sealed as retained) and bit 2 (signed)
     * are defined. */
    for (unsigned bit = 3; bit < 8; bit++) {
        buf[1] = (unsigned char)(1U << bit);
        assert_int_equal(parse(buf, n), MQTTSEAL_E_RESERVED);
    }
    buf[1] = 0x02;
    assert_int_equal(mqttseal_header_parse(&h, buf, n), MQTTSEAL_OK);
    assert_int_equal(h.sealed_retained, 1);
    buf[1] = 0;
    assert_int_equal(parse(buf, n), MQTTSEAL_OK);
    buf[n] = 0;
    assert_int_equal(parse(buf, n + 1), MQTTSEAL_E_TRAILING);
    assert_int_equal(parse(buf, n - 1), MQTTSEAL_E_TRUNCATED);
}

static void header_nonminimal_fields(void **state)
{
    /* vs, flags, key id 1 as "81 00", sid, seq 0, len 0, tag. */
    unsigned char buf[64] = {0x89, 0x00, 0x81, 0x00};
    size_t n = 4 + 12;

    (void)state;
    buf[n++] = 0x00;
    buf[n++] = 0x00;
    n += MQTTSEAL_ABYTES;
    assert_int_equal(parse(buf, n), MQTTSEAL_E_VARINT);
    /* key id 2^32 */
    memcpy(buf, "\x89\x00\x80\x80\x80\x80\x10", 7);
    assert_int_equal(parse(buf, 7 + 12 + 2 + 16), MQTTSEAL_E_VARINT);
}

static void header_oversize(void **state)
{
    unsigned char buf[64];
    mqttseal_header h = sample(0);
    size_t hl;

    (void)state;
    h.payload_len = MS_CT_LEN_MAX;
    hl = ms_header_encode(buf, &h);
    /* Declared maximum but short: truncated. */
    assert_int_equal(parse(buf, hl), MQTTSEAL_E_TRUNCATED);
    h.payload_len = (size_t)MS_CT_LEN_MAX + 1;
    hl = ms_header_encode(buf, &h);
    assert_int_equal(parse(buf, hl), MQTTSEAL_E_OVERSIZE);
}

/* Every truncation of a valid envelope fails, and never reads past it. */
static void header_every_truncation(void **state)
{
    unsigned char buf[200];
    mqttseal_header h = sample(40);
    size_t n, i;

    (void)state;
    h.has_timestamp = 1;
    h.timestamp_ms = 99999999;
    n = make_env(buf, &h);
    for (i = 0; i < n; i++) {
        /* Exactly i bytes on the heap, so ASan sees any over-read. */
        unsigned char *copy = malloc(i ? i : 1);

        assert_non_null(copy);
        memcpy(copy, buf, i);
        assert_int_equal(parse(copy, i), MQTTSEAL_E_TRUNCATED);
        free(copy);
    }
}

static void header_nonce_ad(void **state)
{
    unsigned char nonce[MS_NONCEBYTES], sid[12], ad[64];
    static const unsigned char want[] = {
        0, 1, 2, 3, 4,    5,    6,    7,    8,    9,    10,   11,
        0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    size_t i;

    (void)state;
    for (i = 0; i < 12; i++) {
        sid[i] = (unsigned char)i;
    }
    ms_nonce(nonce, sid, 0x0102030405060708ULL);
    assert_memory_equal(nonce, want, sizeof want);
    assert_int_equal(ms_ad_len(17, 3), 11 + 17 + 2 + 3);
    ms_ad_build(ad, (const unsigned char *)"HHHHHHHHHHHHHHHHH", 17, "a/b", 3);
    assert_memory_equal(ad,
                        "mqttseal/v1HHHHHHHHHHHHHHHHH\x00\x03"
                        "a/b",
                        33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_round_trip),
        cmocka_unit_test(varint_lengths),
        cmocka_unit_test(varint_rejects),
        cmocka_unit_test(header_round_trip),
        cmocka_unit_test(header_sizes),
        cmocka_unit_test(header_errors),
        cmocka_unit_test(header_nonminimal_fields),
        cmocka_unit_test(header_oversize),
        cmocka_unit_test(header_every_truncation),
        cmocka_unit_test(header_nonce_ad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
