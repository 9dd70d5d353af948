/* Shared by the vector generators (gen_vectors.c, gen_signed.c). */
#ifndef MQTTSEAL_GEN_VECTORS_H
#define MQTTSEAL_GEN_VECTORS_H

#include <stddef.h>

/** Print "label = <lowercase hex>". */
void gv_hex(const char *label, const unsigned char *p, size_t n);

/** Root key number seed: byte i is i + 0x20 * seed. */
void gv_root_key(unsigned char key[32], unsigned seed);

/** Print node_keys and message_key of topic t under root. */
void gv_print_keys(const unsigned char root[32], const char *t);

/** The 600-byte topic of the long-topic vectors, NUL-terminated. */
void gv_long_topic(char t[601]);

/** Write tests/vectors/signed.txt to stdout; 0 on success. */
int gv_emit_signed(void);

#endif
