#include "secure.h"

#include <sodium.h>
#include <stdatomic.h>

#ifdef MQTTSEAL_PRIVATE_APIS
/* The test-internal build only (src/meson.build). */
typedef void wipe_observer_fn(const void *p, size_t n);

static _Atomic(wipe_observer_fn *) wipe_observer;
#endif

void *ms_secure_alloc(size_t n)
{
    /* sodium_malloc aborts before sodium_init; every entry point that
     * allocates keys may be the process's first mqttseal call. */
    if (sodium_init() < 0) {
        return NULL;
    }
    return sodium_malloc(n);
}

void ms_secure_free(void *p, size_t n)
{
    if (p == NULL) {
        return;
    }
    sodium_memzero(p, n);
#ifdef MQTTSEAL_PRIVATE_APIS
    wipe_observer_fn *fn = atomic_load(&wipe_observer);
    if (fn != NULL) {
        fn(p, n);
    }
#endif
    sodium_free(p);
}

#ifdef MQTTSEAL_PRIVATE_APIS
void ms_test_set_wipe_observer(void (*fn)(const void *p, size_t n))
{
    atomic_store(&wipe_observer, fn);
}
#endif
