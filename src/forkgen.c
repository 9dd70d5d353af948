/* See forkgen.h. The generation word is read on every seal: one load
 * and one compare, about a nanosecond. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and madvise are not POSIX */
#include "forkgen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mqttseal/mqttseal.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14; older headers lack the name */
#endif

static _Atomic uint64_t *gen_word; /* in the wipe-on-fork page */
static _Atomic uint64_t last_gen;  /* ordinary memory: a child inherits it */
static _Atomic uint64_t fallback;  /* if no page could be mapped */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void child_after_fork(void)
{
    atomic_store_explicit(gen_word, 0, memory_order_relaxed);
}

static void setup(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t n = page > 0 ? (size_t)page : 4096U;
    const int prot = PROT_READ | PROT_WRITE;
    /* fd -1 is what MAP_ANONYMOUS asks for (Linux mmap(2)); cppcheck's
     * posix model does not know the flag. */
    /* cppcheck-suppress invalidFunctionArg */
    void *p = mmap(NULL, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        gen_word = &fallback;
    } else {
        /* Best effort: without it the atfork handler still zeroes it. */
        (void)madvise(p, n, MADV_WIPEONFORK);
        gen_word = p;
    }
    atomic_store(&last_gen, 1);
    atomic_store(gen_word, 1);
    (void)pthread_atfork(NULL, NULL, child_after_fork);
}

int ms_forkgen_init(void)
{
    return pthread_once(&once, setup) == 0 ? MQTTSEAL_OK : MQTTSEAL_E_NOMEM;
}

/* Only in a child of fork(): hand out a generation no context of this
 * process was started under. */
static uint64_t renew(void)
{
    uint64_t expect = 0;
    uint64_t fresh = atomic_fetch_add(&last_gen, 1) + 1;

    if (!atomic_compare_exchange_strong(gen_word, &expect, fresh)) {
        return expect; /* another thread renewed it first */
    }
    return fresh;
}

uint64_t ms_forkgen_current(void)
{
    uint64_t g = atomic_load_explicit(gen_word, memory_order_relaxed);

    return g != 0 ? g : renew();
}
