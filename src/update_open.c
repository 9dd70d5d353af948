/*
 * The device side of keyring updates: verify, open, check the grant's
 * scope against the operator's trust entry, and apply atomically.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "clock.h"
#include "device.h"
#include "secure.h"
#include "textfile.h"
#include "trust_internal.h"

#define DOMAIN "mqttseal-update-v1"
#define SEALBYTES 48U
#define SIGBYTES 64U

/* Length of the level of f starting at i. */
static size_t level_len(const char *f, size_t n, size_t i)
{
    size_t j = i;

    while (j < n && f[j] != '/') {
        j++;
    }
    return j - i;
}

/* 1 if every topic grant filter g covers is matched by MQTT filter b.
 * g has no '+'; '#' only as its last level. */
static int within(const char *g, size_t gn, const char *b, size_t bn)
{
    size_t gi = 0, bi = 0;

    for (;;) {
        size_t bl, gl;
        if (bi >= bn + 1) { /* b exhausted */
            return gi >= gn + 1;
        }
        bl = level_len(b, bn, bi);
        if (bl == 1 && b[bi] == '#') {
            return 1;
        }
        if (gi >= gn + 1) {
            return 0; /* g ended; b wants more levels */
        }
        gl = level_len(g, gn, gi);
        if (gl == 1 && g[gi] == '#') {
            return 0; /* g covers a subtree b does not wholly match */
        }
        if (!(bl == 1 && b[bi] == '+') &&
            (bl != gl || memcmp(b + bi, g + gi, bl) != 0)) {
            return 0;
        }
        bi += bl + 1;
        gi += gl + 1;
    }
}

static int entry_in_scope(const mqttseal_keyring *kr, size_t i,
                          const ms_tsigner *e)
{
    char buf[1024];
    size_t n = 0;

    if (mqttseal_keyring_entry_filter(kr, i, buf, sizeof buf, &n) !=
        MQTTSEAL_OK) {
        return 0; /* longer than any filter an operator grants here */
    }
    for (size_t k = 0; k < e->nfilters; k++) {
        if (within(buf, n, e->filters[k].s, e->filters[k].n)) {
            return 1;
        }
    }
    return 0;
}

static int verify(const ms_tsigner *e, const unsigned char *in, size_t body)
{
    unsigned char *m;
    size_t m_len = sizeof DOMAIN + body;
    int ok;

    if ((m = malloc(m_len)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(m, DOMAIN, sizeof DOMAIN);
    memcpy(m + sizeof DOMAIN, in, body);
    ok = crypto_sign_verify_detached(in + body, m, m_len, e->pk) == 0;
    free(m);
    return ok ? MQTTSEAL_OK : MQTTSEAL_E_SIGNATURE;
}

/* Everything up to the box: layout, address, signer, signature, version,
 * expiry. */
static int check_outer(const mqttseal_update_info *info,
                       const mqttseal_device *d, const mqttseal_trust *t,
                       uint64_t last, int64_t now_s, const unsigned char *in,
                       const ms_tsigner **e, mqttseal_diag *diag)
{
    int rc;

    if (sodium_memcmp(info->device_id, ms_device_id_ref(d),
                      MQTTSEAL_DEVICEIDBYTES) != 0) {
        return ms_diag_fail(diag, MQTTSEAL_E_UPDATE_DEVICE, 0,
                            "update is for another device");
    }
    if ((rc = ms_trust_lookup(t, info->signer_id, now_s, e)) != MQTTSEAL_OK) {
        return ms_diag_fail(diag, rc, 0, "update signer: %s",
                            mqttseal_strerror(rc));
    }
    if ((rc = verify(*e, in, MQTTSEAL_UPDATE_HEADERBYTES + info->sealed_len)) !=
        MQTTSEAL_OK) {
        return ms_diag_fail(diag, rc, 0, "update signature invalid");
    }
    if (info->version <= last) {
        return ms_diag_fail(diag, MQTTSEAL_E_UPDATE_ROLLBACK, 0,
                            "update version %" PRIu64
                            " is not above the applied version %" PRIu64,
                            info->version, last);
    }
    if (now_s >= info->expires) {
        return ms_diag_fail(diag, MQTTSEAL_E_UPDATE_EXPIRED, 0,
                            "update expired at %" PRId64, info->expires);
    }
    return MQTTSEAL_OK;
}

static int open_inner(mqttseal_keyring **out, const mqttseal_device *d,
                      const ms_tsigner *e, const unsigned char *c, size_t c_len,
                      mqttseal_diag *diag)
{
    size_t cap = c_len - SEALBYTES + 1;
    unsigned char *text = ms_secure_alloc(cap);
    int rc;

    if (text == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if ((rc = ms_device_open(d, text, c, c_len)) != MQTTSEAL_OK) {
        rc = ms_diag_fail(diag, rc, 0, "sealed keyring does not open");
    } else {
        rc = mqttseal_keyring_load_string(out, (const char *)text, cap - 1,
                                          diag);
    }
    for (size_t i = 0; rc == MQTTSEAL_OK && i < mqttseal_keyring_count(*out);
         i++) {
        if (!entry_in_scope(*out, i, e)) {
            mqttseal_keyring_free(*out);
            *out = NULL;
            rc = ms_diag_fail(diag, MQTTSEAL_E_UPDATE_SCOPE, 0,
                              "entry %zu grants a filter outside signer "
                              "'%s''s trust filters",
                              i + 1, e->name);
        }
    }
    ms_secure_free(text, cap);
    return rc;
}

int mqttseal_update_open(mqttseal_keyring **out, mqttseal_update_info *info,
                         const mqttseal_device *d, const mqttseal_trust *t,
                         uint64_t last_version, int64_t now_s,
                         const unsigned char *in, size_t len,
                         mqttseal_diag *diag)
{
    mqttseal_update_info tmp;
    const ms_tsigner *e = NULL;
    int rc;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    if (out == NULL || d == NULL || t == NULL) {
        return ms_diag_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    }
    *out = NULL;
    if (info == NULL) {
        info = &tmp;
    }
    if ((rc = mqttseal_update_parse(in, len, info)) != MQTTSEAL_OK) {
        return ms_diag_fail(diag, rc, 0, "malformed update: %s",
                            mqttseal_strerror(rc));
    }
    rc = check_outer(info, d, t, last_version, now_s, in, &e, diag);
    if (rc == MQTTSEAL_OK) {
        rc = open_inner(out, d, e, in + MQTTSEAL_UPDATE_HEADERBYTES,
                        info->sealed_len, diag);
    }
    return rc;
}

/* "<path>.version"; 0 when absent. */
static int read_version(const char *vpath, uint64_t *v)
{
    char buf[32], *end = NULL;
    FILE *f = fopen(vpath, "r");
    size_t n;

    *v = 0;
    if (f == NULL) {
        return errno == ENOENT ? MQTTSEAL_OK : MQTTSEAL_E_IO;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    errno = 0;
    *v = strtoull(buf, &end, 10);
    return errno == 0 && end != buf && (*end == '\n' || *end == '\0')
               ? MQTTSEAL_OK
               : MQTTSEAL_E_STATE_CORRUPT;
}

int mqttseal_update_apply(mqttseal_ctx *ctx, const char *keyring_path,
                          const mqttseal_device *d, const mqttseal_trust *t,
                          const unsigned char *in, size_t len,
                          uint64_t *version, mqttseal_diag *diag)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_update_info info;
    char vpath[4096];
    uint64_t last;
    int rc;

    if (keyring_path == NULL ||
        (size_t)snprintf(vpath, sizeof vpath, "%s.version", keyring_path) >=
            sizeof vpath) {
        return ms_diag_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    }
    if ((rc = read_version(vpath, &last)) != MQTTSEAL_OK) {
        return ms_diag_fail(diag, rc, 0, "cannot read %s", vpath);
    }
    rc = mqttseal_update_open(&kr, &info, d, t, last,
                              (int64_t)(ms_clock_now_ms() / 1000U), in, len,
                              diag);
    /* Keyring first: a crash before the version file is written leaves a
     * version that lets the same update apply again, never a newer
     * version without its keyring. */
    if (rc == MQTTSEAL_OK &&
        (rc = mqttseal_keyring_save_file(kr, keyring_path)) == MQTTSEAL_OK) {
        char vtext[32];
        int n = snprintf(vtext, sizeof vtext, "%" PRIu64 "\n", info.version);
        rc = ms_write_atomic(vpath, vtext, (size_t)n);
    }
    if (rc == MQTTSEAL_OK && ctx != NULL) {
        rc = mqttseal_ctx_set_keyring(ctx, kr);
    }
    if (rc == MQTTSEAL_OK && version != NULL) {
        *version = info.version;
    }
    mqttseal_keyring_free(kr);
    return rc;
}
