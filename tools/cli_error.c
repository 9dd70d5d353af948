/* The one-line error convention: "mqttseal: what went wrong (what to do)". */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

const char cli_exit_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  usage error: bad option, missing or invalid argument\n"
    "  2  keyring, file or input error (missing, unreadable, malformed,\n"
    "     group/world-readable, exists without --force, grants no key\n"
    "     for the topic)\n"
    "  3  broker error: cannot connect, connection lost, refused\n"
    "  4  envelope malformed or failed to open (open, inspect)\n"
    "  5  sub: -W timeout passed before -C messages arrived\n";

static void vprint(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static void vprint(const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    /* One line, always: fold any newline an argument may carry. */
    for (char *p = line; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    fprintf(stderr, "mqttseal: %s\n", line);
}

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
    return code;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cli_fail(CLI_USAGE, "%s: %s (see: mqttseal %s --help)", cmd, msg,
                    cmd);
}

int cli_bad_option(const char *cmd, char **argv, int c)
{
    extern int optind, optopt;
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char name[64];

    if (strncmp(arg, "--", 2) == 0) {
        /* A long option: name it without any "=value". */
        size_t n = strcspn(arg, "=");
        snprintf(name, sizeof name, "%.*s", (int)n, arg);
    } else if (optopt > 32 && optopt < 127) {
        snprintf(name, sizeof name, "-%c", optopt);
    } else {
        snprintf(name, sizeof name, "%s", arg);
    }
    if (c == ':')
        return cli_usage(cmd, "option '%s' needs a value", name);
    return cli_usage(cmd, "unknown option '%s'", name);
}

const char *cli_open_hint(int err)
{
    switch (err) {
    case MQTTSEAL_E_NOT_SEALED:
        return "was it published without mqttseal?";
    case MQTTSEAL_E_UNKNOWN_KEY:
        return "bring the keyring up to date: mqttseal rotate "
               "--regenerate-only";
    case MQTTSEAL_E_NO_GRANT:
        return "see what the keyring grants: mqttseal grant --list";
    case MQTTSEAL_E_KEY_EXPIRED:
        return "the sender still uses a retired key id: regenerate its "
               "keyring with mqttseal rotate";
    case MQTTSEAL_E_AUTH:
        return "check the topic and the keyring";
    case MQTTSEAL_E_REPLAY:
    case MQTTSEAL_E_TOO_OLD:
        return "someone published an earlier message again";
    case MQTTSEAL_E_SIG_REQUIRED:
        return "the trust list requires a signature on this topic: a "
               "holder of the topic key may have forged it";
    case MQTTSEAL_E_SIGNER_UNKNOWN:
        return "the signer is not in the trust list: give --trust, or "
               "add it with mqttseal trust add";
    case MQTTSEAL_E_SIGNER_NOT_GRANTED:
        return "the trust list does not let this signer publish on this "
               "topic: see mqttseal trust list";
    case MQTTSEAL_E_SIGNER_EXPIRED:
        return "the signer's trust entry has expired";
    case MQTTSEAL_E_SIGNATURE:
        return "the signature does not verify: the message was altered or "
               "forged";
    default:
        return "check the input and its encoding: --hex, --base64";
    }
}
