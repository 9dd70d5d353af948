/* clock_gettime(CLOCK_REALTIME) is served by the vDSO on Linux: reading
 * the clock on the message path costs no system call. */
#include "clock.h"

#include <stdatomic.h>
#include <time.h>

#ifdef MQTTSEAL_PRIVATE_APIS
/* The test-internal build only (src/meson.build): a fake clock. */
static _Atomic uint64_t fake_now_ms;
#endif

static uint64_t read_ms(clockid_t id, uint64_t margin)
{
    struct timespec ts;
#ifdef MQTTSEAL_PRIVATE_APIS
    uint64_t fake = atomic_load_explicit(&fake_now_ms, memory_order_relaxed);

    if (fake != 0) {
        return fake;
    }
#endif
    if (clock_gettime(id, &ts) != 0 || ts.tv_sec < 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U +
           margin;
}

uint64_t ms_clock_now_ms(void)
{
    return read_ms(CLOCK_REALTIME, 0);
}

uint64_t ms_clock_upper_ms(void)
{
    /* The coarse clock lags by at most a scheduler tick (4 ms at
     * HZ=250); the margin covers that with room to spare. */
    return read_ms(CLOCK_REALTIME_COARSE, MS_CLOCK_COARSE_MARGIN_MS);
}

#ifdef MQTTSEAL_PRIVATE_APIS
void ms_clock_set_fake(uint64_t now_ms)
{
    atomic_store(&fake_now_ms, now_ms);
}
#endif
