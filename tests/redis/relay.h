/*
 * A sniffer for the redis suite: a TCP relay on a free 127.0.0.1 port
 * that passes one connection through to 127.0.0.1:target and keeps a
 * copy of every byte it carried, both ways.
 */
#ifndef MQTTSEAL_TESTS_RELAY_H
#define MQTTSEAL_TESTS_RELAY_H

#include <pthread.h>
#include <stddef.h>

typedef struct relay {
    int port;   /* connect here */
    int target; /* ... to reach 127.0.0.1:target */
    int listen_fd;
    pthread_t thread;
    unsigned char *seen; /* both directions, in order */
    size_t seen_len, seen_cap;
} relay;

/* Listen and serve one connection in a thread. 0 or -1. */
int relay_start(relay *rl, int target);

/* Wait until the connection has ended (both sides closed or one). */
void relay_stop(relay *rl);

/* Whether the bytes carried contain s. */
int relay_saw(const relay *rl, const char *s);

void relay_free(relay *rl);

#endif
