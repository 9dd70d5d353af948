/*
 * Fuzz the trust-list text parser (docs/FORMAT.md section 14) and the
 * signer-key text parser.
 *
 * Every input: a failure leaves *out NULL and a NUL-terminated diag. A
 * trust list that loads must serialise, reload, and serialise again to
 * the same text (a fixed point); its require filters must match
 * themselves read as topics when they hold no wildcard.
 *
 * Input: trust-list text, as is (also tried as signer-key text).
 */
#include <string.h>

#include "fuzz.h"
#include "mqttseal/mqttseal.h"
#include "trust.h"

static char *serialise(const mqttseal_trust *t, size_t *len)
{
    size_t need = 0, again = 0;
    char *text;

    FUZZ_ASSERT(mqttseal_trust_to_string(t, NULL, 0, &need) ==
                MQTTSEAL_E_BUFFER);
    text = malloc(need + 1);
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(mqttseal_trust_to_string(t, text, need + 1, &again) ==
                MQTTSEAL_OK);
    FUZZ_ASSERT(again == need && strlen(text) == need);
    *len = need;
    return text;
}

static void check_diag(const mqttseal_diag *d)
{
    FUZZ_ASSERT(memchr(d->message, '\0', sizeof d->message) != NULL);
}

static void signer_text(const uint8_t *data, size_t size)
{
    mqttseal_signer *s = NULL;
    mqttseal_diag d;
    int rc = mqttseal_signer_load_string(&s, (const char *)data, size, &d);

    check_diag(&d);
    FUZZ_ASSERT((rc == MQTTSEAL_OK) == (s != NULL));
    mqttseal_signer_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqttseal_trust *t = NULL, *t2 = NULL;
    mqttseal_diag d;
    size_t n1 = 0, n2 = 0;
    char *a, *b;
    int rc = mqttseal_trust_load_string(&t, (const char *)data, size, &d);

    check_diag(&d);
    signer_text(data, size);
    if (rc != MQTTSEAL_OK) {
        FUZZ_ASSERT(t == NULL);
        return 0;
    }
    a = serialise(t, &n1);
    rc = mqttseal_trust_load_string(&t2, a, n1, &d);
    FUZZ_ASSERT(rc == MQTTSEAL_OK);
    b = serialise(t2, &n2);
    FUZZ_ASSERT(n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    mqttseal_trust_free(t);
    mqttseal_trust_free(t2);
    return 0;
}
