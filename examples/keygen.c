/*
 * keygen: write a fresh keyring with one random root key ("#"), primary,
 * mode 0600. The demo uses it; the mqttseal CLI has a fuller keygen.
 *
 *   keygen demo.keyring [KEY_ID]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <mqttseal/mqttseal.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "keygen: %s: %s\n", what, mqttseal_strerror(rc));
    return 1;
}

static int parse_id(const char *s, uint32_t *id)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX) {
        fprintf(stderr, "keygen: not a key id: '%s'\n", s);
        return 1;
    }
    *id = (uint32_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    mqttseal_keyring *kr = NULL;
    uint32_t id = 1;
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: keygen KEYRING_FILE [KEY_ID]\n");
        return 1;
    }
    if (argc == 3 && parse_id(argv[2], &id) != 0) {
        return 1;
    }
    if ((rc = mqttseal_keyring_new(&kr)) != MQTTSEAL_OK) {
        return fail("new keyring", rc);
    }
    rc = mqttseal_keyring_generate(kr, id);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_keyring_save_file(kr, argv[1]);
    }
    mqttseal_keyring_free(kr);
    if (rc != MQTTSEAL_OK) {
        return fail(argv[1], rc);
    }
    printf("keygen: wrote %s (root key id %lu, primary)\n", argv[1],
           (unsigned long)id);
    return 0;
}
