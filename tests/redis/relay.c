/* The sniffing relay (relay.h). */
#define _GNU_SOURCE /* memmem */
#include "relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void keep(relay *rl, const unsigned char *b, size_t n)
{
    if (rl->seen_len + n > rl->seen_cap) {
        size_t cap = (rl->seen_len + n) * 2;
        unsigned char *p = realloc(rl->seen, cap);
        if (p == NULL)
            return;
        rl->seen = p;
        rl->seen_cap = cap;
    }
    memcpy(rl->seen + rl->seen_len, b, n);
    rl->seen_len += n;
}

static int loopback(int port, struct sockaddr_in *a)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)port);
    return socket(AF_INET, SOCK_STREAM, 0);
}

/* Copy both ways until either side closes. */
static void pump(relay *rl, int a, int b)
{
    struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    unsigned char buf[16384];

    for (;;) {
        if (poll(p, 2, 10000) <= 0)
            return;
        for (int i = 0; i < 2; i++) {
            ssize_t n;

            if (p[i].revents == 0)
                continue;
            n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0 || send(p[1 - i].fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
                return;
            keep(rl, buf, (size_t)n);
        }
    }
}

static void *serve(void *arg)
{
    relay *rl = arg;
    struct sockaddr_in a;
    int in = accept(rl->listen_fd, NULL, NULL), out = loopback(rl->target, &a);

    if (in >= 0 && out >= 0 &&
        connect(out, (struct sockaddr *)&a, sizeof a) == 0)
        pump(rl, in, out);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return NULL;
}

int relay_start(relay *rl, int target)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    memset(rl, 0, sizeof *rl);
    rl->target = target;
    rl->listen_fd = loopback(0, &a);
    if (rl->listen_fd < 0 ||
        bind(rl->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(rl->listen_fd, 1) != 0 ||
        getsockname(rl->listen_fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    rl->port = ntohs(a.sin_port);
    return pthread_create(&rl->thread, NULL, serve, rl) == 0 ? 0 : -1;
}

void relay_stop(relay *rl)
{
    pthread_join(rl->thread, NULL);
    close(rl->listen_fd);
}

int relay_saw(const relay *rl, const char *s)
{
    return rl->seen != NULL &&
           memmem(rl->seen, rl->seen_len, s, strlen(s)) != NULL;
}

void relay_free(relay *rl)
{
    free(rl->seen);
    rl->seen = NULL;
}
