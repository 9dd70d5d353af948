/*
 * Fuzz mqttseal_header_parse (and ms_header_decode, which it wraps)
 * against an independent reading of
 * docs/FORMAT.md section 2 (a differential check), and check that a
 * header that parses is the canonical encoding of its fields.
 *
 * Input: an envelope, as is.
 */
#include <string.h>

#include "envelope.h"
#include "fuzz.h"
#include "mqttseal/mqttseal.h"

/* The reference: written from the spec's parsing table, not from
 * src/envelope.c. Returns the error the table gives. */
static int ref_varint(uint64_t *v, const uint8_t *p, size_t len, size_t *pos,
                      uint64_t max)
{
    uint64_t acc = 0;
    size_t i = 0;

    for (;;) {
        uint8_t b;
        if (*pos + i >= len) {
            return MQTTSEAL_E_TRUNCATED;
        }
        b = p[*pos + i];
        if (i == 9 && (b & 0x7eU) != 0) {
            return MQTTSEAL_E_VARINT; /* beyond 64 bits */
        }
        acc |= (uint64_t)(b & 0x7fU) << (7 * i);
        i++;
        if ((b & 0x80U) == 0) {
            if (i > 1 && b == 0) {
                return MQTTSEAL_E_VARINT; /* non-minimal */
            }
            break;
        }
        if (i == 10) {
            return MQTTSEAL_E_VARINT; /* needs more than 10 bytes */
        }
    }
    if (acc > max) {
        return MQTTSEAL_E_VARINT;
    }
    *v = acc;
    *pos += i;
    return MQTTSEAL_OK;
}

static int ref_parse(mqttseal_header *h, const uint8_t *p, size_t len)
{
    size_t pos = 2;
    uint64_t v;
    int rc;

    memset(h, 0, sizeof *h);
    if (len == 0) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if ((p[0] & 0xc0U) != 0x80U) {
        return MQTTSEAL_E_NOT_SEALED;
    }
    if (((p[0] >> 3) & 7U) != 1U) {
        return MQTTSEAL_E_VERSION;
    }
    if ((p[0] & 7U) != 1U) {
        return MQTTSEAL_E_SUITE;
    }
    if (len < 2) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if ((p[1] & 0xf8U) != 0) {
        return MQTTSEAL_E_RESERVED;
    }
    h->version = 1;
    h->suite = 1;
    h->flags = p[1];
    h->has_timestamp = p[1] & 1;
    h->sealed_retained = (p[1] >> 1) & 1;
    h->is_signed = (p[1] >> 2) & 1;
    if ((rc = ref_varint(&v, p, len, &pos, UINT32_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    h->key_id = (uint32_t)v;
    if (len - pos < MQTTSEAL_SESSIONIDBYTES) {
        return MQTTSEAL_E_TRUNCATED;
    }
    memcpy(h->session_id, p + pos, MQTTSEAL_SESSIONIDBYTES);
    pos += MQTTSEAL_SESSIONIDBYTES;
    if ((rc = ref_varint(&h->seq, p, len, &pos, UINT64_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    if (h->has_timestamp && (rc = ref_varint(&h->timestamp_ms, p, len, &pos,
                                             INT64_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    if ((rc = ref_varint(&v, p, len, &pos, UINT64_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    if (v > 268435397U) {
        return MQTTSEAL_E_OVERSIZE;
    }
    h->header_len = pos;
    h->payload_len = (size_t)v;
    if (len - pos < v + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if (len - pos > v + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_TRAILING;
    }
    return MQTTSEAL_OK;
}

static void check_ok(const mqttseal_header *h, const uint8_t *data, size_t size)
{
    unsigned char enc[MQTTSEAL_HEADER_MAX];
    uint8_t *longer;
    mqttseal_header h2;

    FUZZ_ASSERT(h->header_len >= MQTTSEAL_HEADER_MIN);
    FUZZ_ASSERT(h->header_len <= MQTTSEAL_HEADER_MAX);
    FUZZ_ASSERT(h->header_len + h->payload_len + MQTTSEAL_ABYTES == size);
    FUZZ_ASSERT(h->payload_len <= MS_CT_LEN_MAX);
    FUZZ_ASSERT(MQTTSEAL_OPENED_BYTES(size) >= h->payload_len);
    FUZZ_ASSERT(MQTTSEAL_SEALED_BYTES(h->payload_len) >= size);
    /* Minimal varints make the encoding canonical. */
    FUZZ_ASSERT(ms_header_encode(enc, h) == h->header_len);
    FUZZ_ASSERT(memcmp(enc, data, h->header_len) == 0);
    /* One byte fewer is truncated, one more is trailing. */
    FUZZ_ASSERT(ms_header_decode(&h2, data, size - 1) == MQTTSEAL_E_TRUNCATED);
    longer = malloc(size + 1);
    FUZZ_ASSERT(longer != NULL);
    memcpy(longer, data, size);
    longer[size] = 0;
    FUZZ_ASSERT(ms_header_decode(&h2, longer, size + 1) == MQTTSEAL_E_TRAILING);
    free(longer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqttseal_header h, ref, pub;
    int rc = ms_header_decode(&h, data, size);
    int ref_rc = ref_parse(&ref, data, size);

    /* The public view: for a signed envelope, the payload inside. */
    FUZZ_ASSERT(mqttseal_header_parse(&pub, data, size) == rc);
    FUZZ_ASSERT(rc != MQTTSEAL_OK || !h.is_signed ||
                pub.payload_len ==
                    (h.payload_len >= 72 ? h.payload_len - 72 : 0));
    FUZZ_ASSERT(rc != MQTTSEAL_OK || h.is_signed ||
                pub.payload_len == h.payload_len);

    if (rc != ref_rc) {
        fprintf(stderr, "header_parse %d, spec says %d\n", rc, ref_rc);
    }
    FUZZ_ASSERT(rc == ref_rc);
    if (rc != MQTTSEAL_OK) {
        return 0;
    }
    FUZZ_ASSERT(h.version == ref.version && h.suite == ref.suite);
    FUZZ_ASSERT(h.flags == ref.flags);
    FUZZ_ASSERT(!h.has_timestamp == !ref.has_timestamp);
    FUZZ_ASSERT(!h.is_signed == !ref.is_signed);
    FUZZ_ASSERT(h.key_id == ref.key_id && h.seq == ref.seq);
    FUZZ_ASSERT(!h.has_timestamp || h.timestamp_ms == ref.timestamp_ms);
    FUZZ_ASSERT(memcmp(h.session_id, ref.session_id, sizeof h.session_id) == 0);
    FUZZ_ASSERT(h.header_len == ref.header_len);
    FUZZ_ASSERT(h.payload_len == ref.payload_len);
    check_ok(&h, data, size);
    return 0;
}
