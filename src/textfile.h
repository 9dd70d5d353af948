/* Reading small text files that hold keys or trust decisions, with the
 * owner and permission checks ssh applies, and the diagnostics they
 * share (used by the keyring, signer-key and trust-list files). */
#ifndef MQTTSEAL_TEXTFILE_H
#define MQTTSEAL_TEXTFILE_H

#include <stddef.h>

#include "mqttseal/mqttseal.h"

#if defined(__GNUC__) || defined(__clang__)
#define MS_DIAG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MS_DIAG_PRINTF(f, a)
#endif

/* How a file must be protected. */
typedef enum ms_file_kind {
    MS_FILE_SECRET = 0, /* no access for group or others: E_KEYRING_PERMS */
    MS_FILE_PUBLIC = 1, /* not writable by group or others: E_FILE_OWNER */
    MS_FILE_KEYRING = 2 /* as SECRET, worded for keyrings, up to 64 MiB */
} ms_file_kind;

/** Fill diag ("line N: ..." when line > 0) and return rc. */
MS_DIAG_PRINTF(4, 5)
int ms_diag_fail(mqttseal_diag *diag, int rc, unsigned line, const char *fmt,
                 ...);

/**
 * Read the whole regular file path into guarded memory (*buf, *cap bytes
 * to give ms_secure_free; *len bytes of text). Refuses a file owned by
 * another user than the caller or root (E_FILE_OWNER) and one whose mode
 * kind forbids. @return OK, E_IO, E_FILE_OWNER, E_KEYRING_PERMS, E_NOMEM.
 */
int ms_file_read(const char *path, ms_file_kind kind, char **buf, size_t *cap,
                 size_t *len, mqttseal_diag *diag);

#endif
