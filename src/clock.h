/* Wall clock in Unix milliseconds (vDSO, no system call), with a fake
 * clock in the test-internal build (MQTTSEAL_PRIVATE_APIS). */
#ifndef MQTTSEAL_CLOCK_H
#define MQTTSEAL_CLOCK_H

#include <stdint.h>

uint64_t ms_clock_now_ms(void);

/**
 * A cheap upper bound of now (the coarse clock, ~3 ns instead of ~20 ns,
 * plus MS_CLOCK_COARSE_MARGIN_MS): for replay low-water marks, where a
 * later time only makes the check stricter.
 */
uint64_t ms_clock_upper_ms(void);

#define MS_CLOCK_COARSE_MARGIN_MS 50U

#ifdef MQTTSEAL_PRIVATE_APIS
/** Tests only (the internal build): 0 restores the real clock. */
void ms_clock_set_fake(uint64_t now_ms);
#endif

#endif
