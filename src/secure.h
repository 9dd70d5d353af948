/* Guarded memory for key material (sodium_malloc), wiped on free. */
#ifndef MQTTSEAL_SECURE_H
#define MQTTSEAL_SECURE_H

#include <stddef.h>

/** sodium_malloc'd, guard-paged memory; NULL on failure. */
void *ms_secure_alloc(size_t n);

/** Wipe n bytes (the internal build lets a test observer check them),
 * then sodium_free. */
void ms_secure_free(void *p, size_t n);

#ifdef MQTTSEAL_PRIVATE_APIS
/**
 * Tests only (the internal build): fn is called with every block ms_secure_free
 * wiped, just before it is released, so a test can check it holds only zeros
 * without reading freed memory. NULL removes the observer.
 */
void ms_test_set_wipe_observer(void (*fn)(const void *p, size_t n));
#endif

#endif
