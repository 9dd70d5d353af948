/* See state_file.h. */
#include "state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "keyring.h"
#include "replay.h"

#define TAG_BYTES 32U
#define TAG_REC (4U + TAG_BYTES)

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* tag = BLAKE2b-256 keyed with the state key of key_id over body. */
static int tag_of(const mqttseal_keyring *kr, uint32_t key_id,
                  const unsigned char *body, size_t len,
                  unsigned char tag[TAG_BYTES])
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    int rc = ms_keyring_state_key(kr, key_id, key);

    if (rc == MQTTSEAL_OK) {
        crypto_generichash(tag, TAG_BYTES, body, len, key, sizeof key);
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* The distinct key ids of kr, ascending, in a malloc'd array. */
static int key_ids(const mqttseal_keyring *kr, uint32_t **ids, size_t *n)
{
    size_t count = mqttseal_keyring_count(kr), i, k = 0;
    mqttseal_key_info info;
    uint32_t *v = malloc((count ? count : 1) * sizeof *v);

    if (v == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    for (i = 0; i < count; i++) {
        if (mqttseal_keyring_entry(kr, i, &info) == MQTTSEAL_OK) {
            v[k++] = info.key_id;
        }
    }
    qsort(v, k, sizeof *v, cmp_u32);
    for (i = 0, count = 0; i < k; i++) {
        if (count == 0 || v[count - 1] != v[i]) {
            v[count++] = v[i];
        }
    }
    *ids = v;
    *n = count;
    return MQTTSEAL_OK;
}

int ms_state_write(const mqttseal_keyring *kr, const char *path,
                   const unsigned char *body, size_t body_len)
{
    uint32_t *ids = NULL;
    unsigned char *file, *p;
    size_t n = 0, i;
    int rc = key_ids(kr, &ids, &n);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    if (n == 0 || (file = malloc(body_len + 4U + n * TAG_REC)) == NULL) {
        free(ids);
        return n == 0 ? MQTTSEAL_E_INVALID : MQTTSEAL_E_NOMEM;
    }
    memcpy(file, body, body_len);
    p = file + body_len;
    put32(p, (uint32_t)n);
    for (i = 0, p += 4; i < n && rc == MQTTSEAL_OK; i++, p += TAG_REC) {
        put32(p, ids[i]);
        rc = tag_of(kr, ids[i], body, body_len, p + 4);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_write_atomic(path, file, body_len + 4U + n * TAG_REC);
    }
    free(ids);
    free(file);
    return rc;
}

/* Every tag kr can check must verify, and at least one must. */
static int check_tags(const mqttseal_keyring *kr, const unsigned char *buf,
                      size_t body_len, size_t len)
{
    const unsigned char *p = buf + body_len;
    unsigned char tag[TAG_BYTES];
    uint32_t n;
    size_t i, good = 0;

    if (len - body_len < 4U) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    n = get32(p);
    if ((len - body_len - 4U) / TAG_REC != n ||
        (len - body_len - 4U) % TAG_REC != 0) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    for (i = 0, p += 4; i < n; i++, p += TAG_REC) {
        if (tag_of(kr, get32(p), buf, body_len, tag) != MQTTSEAL_OK) {
            continue; /* a key id this receiver does not hold */
        }
        if (sodium_memcmp(tag, p + 4, TAG_BYTES) != 0) {
            return MQTTSEAL_E_STATE_CORRUPT;
        }
        good++;
    }
    return good > 0 ? MQTTSEAL_OK : MQTTSEAL_E_STATE_CORRUPT;
}

static int owner_ok(const struct stat *st)
{
    return (st->st_uid == geteuid() || st->st_uid == 0) &&
           (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static int read_fd(int fd, unsigned char **out, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    size_t got = 0, size;
    ssize_t n = 0;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size >= SIZE_MAX) {
        return MQTTSEAL_E_IO;
    }
    if (!owner_ok(&st)) {
        return MQTTSEAL_E_FILE_OWNER;
    }
    size = (size_t)st.st_size;
    /* One spare byte, so a file that grew shows up as a longer read. */
    if ((buf = malloc(size + 1U)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    while (got <= size) {
        n = read(fd, buf + got, size + 1U - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    if (n < 0 || got != size) {
        free(buf);
        return MQTTSEAL_E_IO;
    }
    *out = buf;
    *len = size;
    return MQTTSEAL_OK;
}

int ms_state_read(const mqttseal_keyring *kr, const char *path,
                  unsigned char **body, size_t *body_len)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int fd, rc;

    *body = NULL;
    *body_len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return MQTTSEAL_E_IO;
    }
    rc = read_fd(fd, &buf, &len);
    close(fd);
    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_body_len(buf, len, body_len);
    }
    if (rc == MQTTSEAL_OK) {
        rc = check_tags(kr, buf, *body_len, len);
    }
    if (rc != MQTTSEAL_OK) {
        free(buf);
        *body_len = 0;
        return rc;
    }
    *body = buf;
    return MQTTSEAL_OK;
}
