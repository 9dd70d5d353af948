/* Wall clock in Unix milliseconds (vDSO, no system call), with a fake
 * clock for tests. */
#ifndef MQTTSEAL_CLOCK_H
#define MQTTSEAL_CLOCK_H

#include <stdint.h>

uint64_t ms_clock_now_ms(void);

/** Tests only: 0 restores the real clock. */
void ms_clock_set_fake(uint64_t now_ms);

#endif
