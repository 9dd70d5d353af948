/* mqttseal inspect: an envelope's header fields, and optionally open it. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_help[] =
    "Usage: mqttseal inspect [--hex | --base64] [--keyring KEYRING --topic "
    "TOPIC\n"
    "                        [--trust TRUSTFILE]] [FILE]\n"
    "\n"
    "Read one envelope (a sealed MQTT payload) from FILE, or stdin when FILE\n"
    "is absent or '-', and print its header fields. No key is needed for\n"
    "that, and nothing printed is authenticated until it is opened:\n"
    "  version          format version (1)\n"
    "  suite            cipher suite (1 = XChaCha20-Poly1305-IETF)\n"
    "  flags            raw flags byte\n"
    "  key id           the root key id that sealed it\n"
    "  session id       the sender's session id, 24 hex digits\n"
    "  sequence         the sender's sequence number\n"
    "  timestamp        ISO 8601 UTC and Unix milliseconds, or 'none'\n"
    "  header length    bytes before the ciphertext\n"
    "  signed           'yes' when the flags say a signature is inside\n"
    "                   (only opening can check it), else 'no'\n"
    "  payload length   plaintext bytes\n"
    "  envelope length  total bytes\n"
    "\n"
    "With --keyring and --topic it also opens the envelope for TOPIC and\n"
    "prints 'open: OK', or 'open: failed: REASON' and exits with status 4.\n"
    "With --trust as well, a signed envelope's signature is checked\n"
    "against the trust list (as mqttseal sub --trust does) and it prints\n"
    "'signer: NAME (id HEX), signature verified'; an unknown signer, one\n"
    "outside its filters or expired, a bad signature, or an unsigned\n"
    "envelope on a topic the list requires signed fails to open. Without\n"
    "--trust a signed envelope fails to open (unknown signer).\n"
    "\n"
    "Options:\n"
    "  --hex              the input is hex (whitespace ignored), e.g. from\n"
    "                     mosquitto_sub -F %x\n"
    "  --base64           the input is standard base64 (whitespace ignored)\n"
    "                     (default: the raw envelope bytes)\n"
    "  --keyring KEYRING  keyring to open with (needs --topic)\n"
    "  --topic TOPIC      the exact topic the envelope was published on\n"
    "  --trust TRUSTFILE  trust list to check signatures with (needs\n"
    "                     --keyring and --topic)\n"
    "  --help             print this help\n"
    "\n"
    "Example:\n"
    "  mosquitto_sub -h 127.0.0.1 -t site/a/temp -C 1 -F %x | mqttseal "
    "inspect --hex\n"
    "\n";

enum enc { ENC_RAW, ENC_HEX, ENC_BASE64 };

struct insp_args {
    enum enc enc;
    const char *keyring, *topic, *file, *trust;
};

static void print_header(const mqttseal_header *h, size_t env_len)
{
    printf("version:         %u\n", h->version);
    printf("suite:           %u%s\n", h->suite,
           h->suite == 1 ? " (XChaCha20-Poly1305-IETF)" : "");
    printf("flags:           0x%02x\n", h->flags);
    printf("key id:          %u\n", h->key_id);
    printf("session id:      ");
    for (size_t i = 0; i < sizeof h->session_id; i++)
        printf("%02x", h->session_id[i]);
    printf("\nsequence:        %llu\n", (unsigned long long)h->seq);
    if (h->has_timestamp) {
        char when[48];
        int64_t secs = (int64_t)(h->timestamp_ms / 1000);
        cli_format_time(secs, when, sizeof when);
        /* Put the milliseconds before the 'Z'. */
        size_t n = strlen(when);
        if (n > 0 && when[n - 1] == 'Z')
            snprintf(when + n - 1, sizeof when - (n - 1), ".%03uZ",
                     (unsigned)(h->timestamp_ms % 1000));
        printf("timestamp:       %s (%llu ms)\n", when,
               (unsigned long long)h->timestamp_ms);
    } else {
        printf("timestamp:       none\n");
    }
    printf("header length:   %zu bytes\n", h->header_len);
    printf("signed:          %s\n", h->is_signed ? "yes" : "no");
    printf("payload length:  %zu bytes\n", h->payload_len);
    printf("envelope length: %zu bytes\n", env_len);
}

static void print_signer(mqttseal_ctx *ctx, const mqttseal_header *h)
{
    char name[80], hex[2 * MQTTSEAL_SIGNERIDBYTES + 1];

    if (mqttseal_ctx_signer_name(ctx, h->signer_id, name, sizeof name) !=
        MQTTSEAL_OK)
        snprintf(name, sizeof name, "(unnamed)");
    cli_signer_id_hex(h->signer_id, hex);
    printf("signer:          %s (id %s), signature verified\n", name, hex);
}

static int open_it(const struct insp_args *a, mqttseal_ctx *ctx,
                   const unsigned char *env, size_t len)
{
    mqttseal_header h;
    unsigned char *out;
    size_t cap = MQTTSEAL_OPENED_BYTES(len) + 1, out_len = 0;
    int rc;

    if ((out = malloc(cap)) == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    rc = mqttseal_open(ctx, out, cap, &out_len, a->topic, strlen(a->topic), env,
                       len, 0, &h);
    cli_wipe_free(out, cap);
    if (rc == MQTTSEAL_OK) {
        printf("open:            OK\n");
        if (h.is_signed)
            print_signer(ctx, &h);
        return CLI_OK;
    }
    printf("open:            failed: %s\n", mqttseal_strerror(rc));
    fflush(stdout);
    return cli_fail(CLI_VERIFY,
                    "cannot open the envelope for topic '%s' "
                    "with '%s': %s (%s)",
                    a->topic, a->keyring, mqttseal_strerror(rc),
                    cli_open_hint(rc));
}

static int parse(int argc, char **argv, struct insp_args *a)
{
    static const struct option opts[] = {
        {"hex", no_argument, NULL, 'x'},
        {"base64", no_argument, NULL, 'b'},
        {"keyring", required_argument, NULL, 'k'},
        {"topic", required_argument, NULL, 't'},
        {"trust", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'x':
        case 'b':
            if (a->enc != ENC_RAW)
                return cli_usage("inspect", "give one of --hex and --base64");
            a->enc = c == 'x' ? ENC_HEX : ENC_BASE64;
            break;
        case 'k':
            a->keyring = optarg;
            break;
        case 't':
            a->topic = optarg;
            break;
        case 'T':
            a->trust = optarg;
            break;
        case 'H':
            fputs(inspect_help, stdout);
            fputs(cli_exit_help, stdout);
            return -1;
        default:
            return cli_bad_option("inspect", argv, c);
        }
    }
    if (argc - optind > 1)
        return cli_usage("inspect", "give at most one input file");
    a->file = optind < argc ? argv[optind] : "-";
    if ((a->keyring == NULL) != (a->topic == NULL))
        return cli_usage("inspect", "--keyring and --topic go together");
    if (a->trust != NULL && a->keyring == NULL)
        return cli_usage("inspect", "--trust needs --keyring and --topic (the "
                                    "signature is inside the encryption)");
    if (a->topic != NULL)
        return cli_check_topic("inspect", a->topic);
    return CLI_OK;
}

static int read_input(const struct insp_args *a, unsigned char **buf,
                      size_t *len)
{
    FILE *f = stdin;
    int rc, dec;
    /* Encoded input is longer than the envelope it carries. */
    size_t max = a->enc == ENC_RAW ? MQTTSEAL_MQTT_PAYLOAD_MAX
                                   : (size_t)MQTTSEAL_MQTT_PAYLOAD_MAX * 3;

    if (strcmp(a->file, "-") != 0 && (f = fopen(a->file, "rb")) == NULL)
        return cli_fail(CLI_FILE, "cannot read '%s': %s (check the path)",
                        a->file, strerror(errno));
    rc = cli_read_all(f, max, buf, len);
    if (f != stdin)
        fclose(f);
    if (rc != 0)
        return cli_fail(
            CLI_FILE, "cannot read '%s': %s", f == stdin ? "stdin" : a->file,
            errno == EFBIG ? "larger than any MQTT payload" : strerror(errno));
    dec = a->enc == ENC_HEX      ? cli_unhex(*buf, *len, len)
          : a->enc == ENC_BASE64 ? cli_unbase64(*buf, *len, len)
                                 : 0;
    if (dec != 0) {
        free(*buf);
        return cli_fail(CLI_FILE,
                        "the input is not valid %s (drop the %s "
                        "option for raw bytes)",
                        a->enc == ENC_HEX ? "hex" : "base64",
                        a->enc == ENC_HEX ? "--hex" : "--base64");
    }
    return CLI_OK;
}

static int set_trust(mqttseal_ctx *ctx, const char *path)
{
    mqttseal_trust *t = NULL;
    int rc = cli_load_trust(path, &t);

    if (rc == CLI_OK && mqttseal_ctx_set_trust(ctx, t) != MQTTSEAL_OK)
        rc = cli_fail(CLI_FILE, "out of memory");
    mqttseal_trust_free(t);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    struct insp_args a = {0};
    mqttseal_ctx *ctx = NULL;
    mqttseal_header h;
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = parse(argc, argv, &a);

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    /* The keyring first: its errors do not depend on the input. */
    if (a.keyring && (rc = cli_load_ctx(a.keyring, &ctx)) != CLI_OK)
        return rc;
    if (a.trust && (rc = set_trust(ctx, a.trust)) != CLI_OK) {
        mqttseal_ctx_free(ctx);
        return rc;
    }
    if ((rc = read_input(&a, &buf, &len)) != CLI_OK) {
        mqttseal_ctx_free(ctx);
        return rc;
    }
    memset(&h, 0, sizeof h);
    rc = mqttseal_header_parse(&h, buf, len);
    if (rc != MQTTSEAL_OK) {
        rc = cli_fail(CLI_VERIFY, "not a valid envelope (%zu bytes): %s (%s)",
                      len, mqttseal_strerror(rc), cli_open_hint(rc));
    } else {
        print_header(&h, len);
        rc = ctx ? open_it(&a, ctx, buf, len) : CLI_OK;
    }
    free(buf);
    mqttseal_ctx_free(ctx);
    return rc;
}
