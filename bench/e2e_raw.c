/* The raw-AEAD floor of bench/e2e_throughput, and its clocks. */
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "e2e.h"

double e2e_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double e2e_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0;
    }
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void raw_nonce(unsigned char *nonce, const unsigned char seq_le[8])
{
    memset(nonce, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    memcpy(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES - 8, seq_le, 8);
}

size_t e2e_raw_seal(unsigned char *out, const unsigned char *key, uint64_t seq,
                    const char *topic, size_t topic_len,
                    const unsigned char *msg, size_t len)
{
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    unsigned long long clen = 0;

    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(seq >> (8 * i));
    }
    raw_nonce(nonce, out);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 8, &clen, msg, len,
                                               (const unsigned char *)topic,
                                               topic_len, NULL, nonce, key);
    return 8 + (size_t)clen;
}

int e2e_raw_open(unsigned char *out, size_t *out_len, const unsigned char *key,
                 const char *topic, size_t topic_len,
                 const unsigned char *frame, size_t len)
{
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    unsigned long long mlen = 0;

    *out_len = 0;
    if (len < E2E_RAW_OVERHEAD) {
        return -1;
    }
    raw_nonce(nonce, frame);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, &mlen, NULL, frame + 8, len - 8, (const unsigned char *)topic,
            topic_len, nonce, key) != 0) {
        return -1;
    }
    *out_len = (size_t)mlen;
    return 0;
}
