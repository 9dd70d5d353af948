/* Test-only entry points, compiled only into the test-internal build
 * (-DMQTTSEAL_PRIVATE_APIS, src/meson.build), never into the shipped
 * libraries. The fake clock and the wipe observer live beside what they
 * replace (clock.c, secure.c), under the same macro. */
#include "ctx.h"

int ms_test_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                        size_t *out_len, const char *topic, size_t topic_len,
                        const unsigned char *msg, size_t msg_len,
                        const mqttseal_header *fields)
{
    return ms_seal_fields(ctx, out, out_cap, out_len, topic, topic_len, msg,
                          msg_len, fields, 0);
}
