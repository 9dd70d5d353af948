/* mqttseal: the command-line program. Dispatches to one subcommand. */
#include "cli.h"
#include "kd.h"

#include <stdio.h>
#include <string.h>

typedef int (*cmd_fn)(int argc, char **argv);

static const struct command {
    const char *name;
    cmd_fn fn;
    const char *summary;
} commands[] = {
    {"keygen", cmd_keygen, "create a keyring with a fresh root key"},
    {"grant", cmd_grant, "write a device keyring for topic filters; --list"},
    {"rotate", cmd_rotate,
     "add a new key id, retire the old one, "
     "regenerate device keyrings"},
    {"inspect", cmd_inspect,
     "print an envelope's header; open it with a "
     "keyring"},
    {"seal", cmd_seal, "seal stdin to stdout for a topic"},
    {"open", cmd_open, "open stdin to stdout for a topic"},
    {"pub", cmd_pub, "publish sealed messages (like mosquitto_pub)"},
    {"sub", cmd_sub,
     "subscribe and print opened messages (like "
     "mosquitto_sub)"},
    {"signer-keygen", cmd_signer_keygen,
     "create a signer key; print its public line"},
    {"signer-pub", cmd_signer_pub, "print a signer key's public line"},
    {"trust", cmd_trust, "add signers, require signatures, list a trust list"},
    {"enroll", cmd_enroll,
     "create a device key pair; print its enrollment request"},
    {"agent", cmd_agent,
     "device side: apply pushed keyring updates while running"},
    {"status", cmd_status, "show which key ids devices report holding"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: mqttseal <command> [options] [arguments]\n"
                 "\n"
                 "Seal MQTT payloads end to end: only holders of a topic's key "
                 "can read or\nforge messages on it; the broker sees "
                 "ciphertext.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'mqttseal <command> --help' for the options of one "
            "command, and\n'man mqttseal' for the whole manual.\n"
            "  mqttseal --version   print the version\n\n%s",
            cli_exit_help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mqttseal %s (library %s)\n", MQTTSEAL_VERSION_STRING,
               mqttseal_version());
        return CLI_OK;
    }
    if (mqttseal_init() != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot initialise libsodium (is the "
                                  "system random source available?)");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    return cli_fail(
        CLI_USAGE,
        "unknown command '%s' (commands: keygen, grant, rotate, "
        "inspect, seal, open, pub, sub, signer-keygen, "
        "signer-pub, trust, enroll, agent, status; see: mqttseal --help)",
        argv[1]);
}
