/*
 * Fork detection without a system call per message: a generation number
 * that reads differently in a child of fork() than in its parent.
 *
 * The number lives in a page marked MADV_WIPEONFORK (Linux 4.14+, as
 * BoringSSL does), which the kernel zeroes in the child; a pthread_atfork
 * child handler zeroes it too (as OpenSSL bumps a counter), for kernels
 * without the flag. A zero generation is replaced by a new one, larger
 * than any this process has handed out, so a context inherited from the
 * parent can never match it.
 */
#ifndef MQTTSEAL_FORKGEN_H
#define MQTTSEAL_FORKGEN_H

#include <stdint.h>

/** Set up once (idempotent, thread-safe). @return OK, E_NOMEM. */
int ms_forkgen_init(void);

/**
 * The current generation: never 0. A context whose session was started
 * under another generation is in a child of fork() and must start a new
 * session. One relaxed load when nothing forked.
 */
uint64_t ms_forkgen_current(void);

#endif
