#include "secure.h"

#include <sodium.h>
#include <stdatomic.h>

typedef void wipe_observer_fn(const void *p, size_t n);

static _Atomic(wipe_observer_fn *) wipe_observer;

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
    wipe_observer_fn *fn;

    if (p == NULL) {
        return;
    }
    sodium_memzero(p, n);
    fn = atomic_load(&wipe_observer);
    if (fn != NULL) {
        fn(p, n);
    }
    sodium_free(p);
}

void ms_test_set_wipe_observer(void (*fn)(const void *p, size_t n))
{
    atomic_store(&wipe_observer, fn);
}
