/*
 * Shared pieces of the mqttseal command-line program: exit codes, the
 * one-line error convention, option and value parsing, keyring files and
 * byte I/O. Each subcommand lives in its own file and is declared here.
 */
#ifndef MQTTSEAL_CLI_H
#define MQTTSEAL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mqttseal/mqttseal.h>

/* Exit codes, documented in every --help and in mqttseal(1). */
enum cli_exit {
    CLI_OK = 0,     /* success */
    CLI_USAGE = 1,  /* bad option, missing or invalid argument */
    CLI_FILE = 2,   /* keyring, file or input error */
    CLI_BROKER = 3, /* cannot connect, connection lost, broker refused */
    CLI_VERIFY = 4, /* envelope malformed or failed to open */
    CLI_TIMEOUT = 5 /* sub: -W seconds passed before -C messages */
};

/* The exit-code table as printed at the end of every --help. */
extern const char cli_exit_help[];

/* Subcommands: argv[0] is the subcommand name. Return an exit code. */
int cmd_keygen(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_pub(int argc, char **argv);
int cmd_sub(int argc, char **argv);
int cmd_signer_keygen(int argc, char **argv);
int cmd_signer_pub(int argc, char **argv);
int cmd_trust(int argc, char **argv);

/* ---- errors (cli_error.c) ------------------------------------------ */

/* Print "mqttseal: <message>" as one line on stderr and return code. */
int cli_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A usage error of subcommand cmd: one line naming the problem and the
 * --help to read. Returns CLI_USAGE.
 */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report the option getopt_long just rejected (c is '?' or ':'). */
int cli_bad_option(const char *cmd, char **argv, int c);

/* What to do about an open/parse failure, for the end of an error line. */
const char *cli_open_hint(int err);

/* ---- values (cli_parse.c) ------------------------------------------ */

/* Decimal 0..max, no sign, no junk. Return 0 on success, -1 otherwise. */
int cli_parse_uint(const char *s, unsigned long long max,
                   unsigned long long *out);

/* "90s", "30m", "12h", "7d", "2w", "1d12h" or plain seconds. */
int cli_parse_duration(const char *s, int64_t *seconds);

/* "YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DD" (midnight UTC) or "@UNIXSECONDS". */
int cli_parse_time(const char *s, int64_t *unix_seconds);

/* ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"; buf of at least 32 bytes. */
void cli_format_time(int64_t unix_seconds, char *buf, size_t cap);

/* Check a topic name for sealing/opening; print a usage error if bad. */
int cli_check_topic(const char *cmd, const char *topic);

/* ---- keyrings (cli_keyring.c) -------------------------------------- */

/* A load diagnostic without its leading "line N: " (the caller says
 * where), or rc's text when there is none. */
const char *cli_diag_text(const mqttseal_diag *d, int rc);

/*
 * Load a keyring file; on failure print one line that says what to do and
 * return CLI_FILE (*out stays NULL). Returns CLI_OK on success.
 */
int cli_load_keyring(const char *path, mqttseal_keyring **out);

/* Load a keyring and create a context over it (same error handling). */
int cli_load_ctx(const char *path, mqttseal_ctx **out);

/*
 * Write kr to a new file created with O_EXCL and mode 0600. An existing
 * file is refused unless force, which replaces it atomically. Prints the
 * error; returns CLI_OK or CLI_FILE.
 */
int cli_write_new_keyring(const char *path, const mqttseal_keyring *kr,
                          int force);

/* Replace an existing keyring file atomically (mode 0600). */
int cli_save_keyring(const char *path, const mqttseal_keyring *kr);

/*
 * kr as keyring text in a malloc'd buffer of *len + 1 bytes (NUL-ended)
 * that the caller wipes with cli_wipe_free(text, *len + 1). Returns 0,
 * or -1 (nothing to free).
 */
int cli_keyring_text(const mqttseal_keyring *kr, char **text, size_t *len);

/*
 * Check that every key dev holds is the key root derives for its filter
 * under its id (compared in constant time), so that rotate never grants
 * a device more than it was granted. Prints one line naming path, the key
 * id and the filter and returns CLI_FILE if not; CLI_OK otherwise.
 */
int cli_keyring_check_derived(const mqttseal_keyring *dev, const char *path,
                              const mqttseal_keyring *root,
                              const char *root_path);

/* Write kr as text to stdout. */
int cli_print_keyring(const mqttseal_keyring *kr);

/* Distinct key ids of kr, ascending, into ids (cap entries); count. */
size_t cli_keyring_ids(const mqttseal_keyring *kr, uint32_t *ids, size_t cap);

/* Expiry of key id (first entry with it); 0 = never or absent. */
int64_t cli_keyring_expiry(const mqttseal_keyring *kr, uint32_t id);

/* The whole filter of entry index (any length), malloc'd; NULL on
 * failure. */
char *cli_entry_filter(const mqttseal_keyring *kr, size_t index);

/* What a keyring file cannot hold in a filter, as one clause. */
#define CLI_UNWRITABLE                                                         \
    "a keyring file cannot hold a filter with a space, a tab or a line feed"

/*
 * The first character of filter a keyring file cannot hold ("a space",
 * "a tab" or "a line feed"), its offset in *at; NULL if it can be written.
 */
const char *cli_filter_unwritable(const char *filter, size_t *at);

/* s for a one-line message: LF, tab and CR as \n, \t, \r; cut with
 * "..." to fit cap (at least 8). Returns buf. */
const char *cli_visible(const char *s, char *buf, size_t cap);

/* After cli_keyring_text failed for kr: one line saying why ("cannot
 * write WHAT: the filter ... contains a space ..."); returns CLI_FILE. */
int cli_text_fail(const mqttseal_keyring *kr, const char *what);

/* Whether kr has an entry (id, filter), comparing whole filters. */
int cli_keyring_has(const mqttseal_keyring *kr, uint32_t id,
                    const char *filter);

/* ---- signer keys and trust lists (cli_sign.c) --------------------- */

/* Load a signer-key file; on failure print one line that says what to do
 * and return CLI_FILE (*out stays NULL). */
int cli_load_signer(const char *path, mqttseal_signer **out);

/* Load a trust-list file (same error handling). */
int cli_load_trust(const char *path, mqttseal_trust **out);

/* A signer id as 16 hex digits. */
void cli_signer_id_hex(const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                       char hex[2 * MQTTSEAL_SIGNERIDBYTES + 1]);

/*
 * A public key given as base64, as the export line "signer <base64>", or
 * as the name of a file holding that line. Returns 0 or -1.
 */
int cli_parse_public_key(const char *arg,
                         unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES]);

/* ---- replay state in Redis (cli_redis.c) --------------------------- */

/*
 * Keep ctx's replay state in the Redis at url (mqttseal_redis_new_url),
 * with skew_ms and retained_ms (0: the URL's or the defaults) for the
 * expiry unless the URL names them, and check now that Redis answers.
 * Prints one line and returns CLI_FILE (bad URL, no redis support) or
 * CLI_BROKER (unreachable, refused) on failure.
 */
int cli_redis_attach(mqttseal_ctx *ctx, const char *url, const char *cmd,
                     int debug, uint64_t skew_ms, uint64_t retained_ms);

/* ---- replay-state files (cli_state.c) ------------------------------ */

/*
 * Load ctx's replay state from path. A missing file is the first run:
 * *fresh is set to 1 and CLI_OK returned. Any other failure (unreadable,
 * owned by another user, corrupt, saved with another keyring) prints one
 * line and returns CLI_FILE.
 */
int cli_state_load(mqttseal_ctx *ctx, const char *path, int *fresh);

/* Save ctx's replay state to path atomically; on failure print one line
 * starting with "cmd: " and return CLI_FILE. */
int cli_state_save(mqttseal_ctx *ctx, const char *path, const char *cmd);

/* ---- bytes (cli_io.c) ---------------------------------------------- */

/*
 * Read all of f (at most max bytes) into a malloc'd buffer (never NULL
 * on success, even when empty). Returns 0, or -1 with errno set (EFBIG
 * when over max).
 */
int cli_read_all(FILE *f, size_t max, unsigned char **buf, size_t *len);

/* Write all len bytes to f and flush. Returns 0 or -1 with errno set. */
int cli_write_all(FILE *f, const void *buf, size_t len);

/* Decode hex (whitespace ignored) in place. Returns 0 or -1. */
int cli_unhex(unsigned char *buf, size_t len, size_t *out_len);

/* Decode standard base64 (padding optional, whitespace ignored) in
 * place. Returns 0 or -1. */
int cli_unbase64(unsigned char *buf, size_t len, size_t *out_len);

/* Wipe and free a buffer that may have held secrets. */
void cli_wipe_free(void *buf, size_t len);

#endif /* MQTTSEAL_CLI_H */
