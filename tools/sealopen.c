/* mqttseal seal / open: one message from stdin to stdout, binary-safe. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char seal_help[] =
    "Usage: mqttseal seal --keyring KEYRING --topic TOPIC [--timestamp]\n"
    "\n"
    "Read a message from stdin (all of it, any bytes, possibly empty) and\n"
    "write its envelope for TOPIC to stdout, sealed under the keyring's\n"
    "primary key id. Publish the output on exactly TOPIC with any MQTT\n"
    "client; the receiver opens it with 'mqttseal open' or mqttseal sub.\n"
    "\n"
    "Options:\n"
    "  --keyring KEYRING  keyring that grants TOPIC and has a primary id\n"
    "  --topic TOPIC      the exact topic name (no '+' or '#')\n"
    "  --timestamp        include the current time (milliseconds) in the\n"
    "                     authenticated header\n"
    "  --help             print this help\n"
    "\n"
    "Example:\n"
    "  printf 21.5 | mqttseal seal --keyring sensor-a.keyring --topic "
    "site/a/temp > msg.bin\n"
    "\n";

static const char open_help[] =
    "Usage: mqttseal open --keyring KEYRING --topic TOPIC\n"
    "\n"
    "Read one envelope from stdin, verify it for TOPIC and write the\n"
    "original message to stdout, byte for byte. Nothing is written unless\n"
    "the envelope verifies; on failure the reason is printed on stderr and\n"
    "the exit status is 4.\n"
    "\n"
    "Options:\n"
    "  --keyring KEYRING  keyring that grants TOPIC\n"
    "  --topic TOPIC      the exact topic the envelope was published on\n"
    "  --help             print this help\n"
    "\n"
    "Example:\n"
    "  mqttseal open --keyring dashboard.keyring --topic site/a/temp < "
    "msg.bin\n"
    "\n";

struct so_args {
    const char *keyring, *topic;
    int timestamp;
};

static int parse(const char *cmd, int argc, char **argv, struct so_args *a)
{
    static const struct option opts[] = {
        {"keyring", required_argument, NULL, 'k'},
        {"topic", required_argument, NULL, 't'},
        {"timestamp", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int sealing = strcmp(cmd, "seal") == 0, c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->keyring = optarg;
            break;
        case 't':
            a->topic = optarg;
            break;
        case 'T':
            if (!sealing)
                return cli_usage(cmd, "unknown option '--timestamp'");
            a->timestamp = 1;
            break;
        case 'H':
            printf("%s%s", sealing ? seal_help : open_help, cli_exit_help);
            return -1;
        default:
            return cli_bad_option(cmd, argv, c);
        }
    }
    if (optind < argc)
        return cli_usage(cmd,
                         "unexpected argument '%s' (the input is read "
                         "from stdin)",
                         argv[optind]);
    if (a->keyring == NULL)
        return cli_usage(cmd, "--keyring KEYRING is required");
    if (a->topic == NULL)
        return cli_usage(cmd, "--topic TOPIC is required");
    return cli_check_topic(cmd, a->topic);
}

static int read_stdin(size_t max, unsigned char **buf, size_t *len)
{
    if (cli_read_all(stdin, max, buf, len) == 0)
        return CLI_OK;
    if (errno == EFBIG)
        return cli_fail(CLI_FILE,
                        "the input is larger than the %zu bytes "
                        "one MQTT message can carry",
                        max);
    return cli_fail(CLI_FILE, "cannot read stdin: %s", strerror(errno));
}

/* What to do when sealing fails: mostly a keyring that cannot seal. */
static int seal_error(const struct so_args *a, int rc)
{
    switch (rc) {
    case MQTTSEAL_E_NO_GRANT:
        return cli_fail(CLI_FILE,
                        "keyring '%s' grants no key for topic '%s' "
                        "(see: mqttseal grant --list %s)",
                        a->keyring, a->topic, a->keyring);
    case MQTTSEAL_E_NO_PRIMARY:
        return cli_fail(CLI_FILE,
                        "keyring '%s' has no primary key id, so it "
                        "can only open (grant it again with mqttseal grant)",
                        a->keyring);
    case MQTTSEAL_E_KEY_EXPIRED:
        return cli_fail(CLI_FILE,
                        "the primary key id of '%s' has expired "
                        "(regenerate it with mqttseal rotate)",
                        a->keyring);
    default:
        return cli_fail(CLI_FILE, "cannot seal for topic '%s': %s", a->topic,
                        mqttseal_strerror(rc));
    }
}

static int run(int sealing, const struct so_args *a)
{
    mqttseal_ctx *ctx = NULL;
    unsigned char *in = NULL, *out = NULL;
    size_t in_len = 0, cap, out_len = 0;
    int rc = cli_load_ctx(a->keyring, &ctx);

    if (rc != CLI_OK)
        return rc;
    if (a->timestamp)
        (void)mqttseal_ctx_set_timestamps(ctx, 1);
    rc =
        read_stdin(sealing ? MQTTSEAL_PLAINTEXT_MAX : MQTTSEAL_MQTT_PAYLOAD_MAX,
                   &in, &in_len);
    cap = sealing ? MQTTSEAL_SEALED_BYTES(in_len)
                  : MQTTSEAL_OPENED_BYTES(in_len) + 1;
    if (rc == CLI_OK && (out = malloc(cap)) == NULL)
        rc = cli_fail(CLI_FILE, "out of memory");
    if (rc == CLI_OK) {
        rc = sealing ? mqttseal_seal(ctx, out, cap, &out_len, a->topic,
                                     strlen(a->topic), in, in_len)
                     : mqttseal_open(ctx, out, cap, &out_len, a->topic,
                                     strlen(a->topic), in, in_len, 0, NULL);
        if (rc != MQTTSEAL_OK && sealing)
            rc = seal_error(a, rc);
        else if (rc != MQTTSEAL_OK)
            rc = cli_fail(CLI_VERIFY, "cannot open for topic '%s': %s (%s)",
                          a->topic, mqttseal_strerror(rc), cli_open_hint(rc));
        else if (cli_write_all(stdout, out, out_len) != 0)
            rc = cli_fail(CLI_FILE, "cannot write to stdout: %s",
                          strerror(errno));
    }
    cli_wipe_free(in, in_len);
    cli_wipe_free(out, out ? cap : 0);
    mqttseal_ctx_free(ctx);
    return rc;
}

int cmd_seal(int argc, char **argv)
{
    struct so_args a = {0};
    int rc = parse("seal", argc, argv, &a);

    return rc < 0 ? CLI_OK : rc != CLI_OK ? rc : run(1, &a);
}

int cmd_open(int argc, char **argv)
{
    struct so_args a = {0};
    int rc = parse("open", argc, argv, &a);

    return rc < 0 ? CLI_OK : rc != CLI_OK ? rc : run(0, &a);
}
