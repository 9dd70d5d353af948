/* A session's replay id (docs/FORMAT.md section 9). Its own file, so that
 * tests/ct can wrap it: the id is derived from a key but public by design
 * (replay-state files and Redis keep it in the clear). */
#include <sodium.h>
#include <string.h>

#include "replay.h"

void ms_replay_id(unsigned char rid[MQTTSEAL_SESSIONIDBYTES],
                  const unsigned char key[MQTTSEAL_KEYBYTES],
                  const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    static const char dom[] = "mqttseal-rid-v1";
    unsigned char in[sizeof dom - 1 + MQTTSEAL_SESSIONIDBYTES];
    unsigned char h[crypto_generichash_BYTES_MIN];

    memcpy(in, dom, sizeof dom - 1);
    memcpy(in + sizeof dom - 1, sid, MQTTSEAL_SESSIONIDBYTES);
    crypto_generichash(h, sizeof h, in, sizeof in, key, MQTTSEAL_KEYBYTES);
    memcpy(rid, h, MQTTSEAL_SESSIONIDBYTES);
}
