/* Regression: a process whose very first mqttseal call reads a keyring
 * file (so nothing has initialised libsodium yet) must not abort. No
 * cmocka set-up may call mqttseal_init before it, so this is plain C. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqttseal/mqttseal.h"

static const char text[] =
    "mqttseal-keyring 1\nprimary 1\n"
    "key 1 # NC7zFHxGO405C4Ro2Pdy5szBowIgSErD6gaz2KMVKCg=\n";

int main(void)
{
    char dir[] = "/tmp/mqttseal-first-XXXXXX", path[64];
    mqttseal_ctx *ctx = NULL;
    mqttseal_diag diag;
    int fd, rc;

    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    snprintf(path, sizeof path, "%s/k", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        return 1;
    }
    close(fd);
    rc = mqttseal_ctx_from_file(&ctx, path, &diag);
    unlink(path);
    rmdir(dir);
    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "first call: %s (%s)\n", mqttseal_strerror(rc),
                diag.message);
        return 1;
    }
    mqttseal_ctx_free(ctx);
    printf("first call loaded a keyring file: OK\n");
    return 0;
}
