/* mqttseal trust: manage a trust list (who may sign on which topics). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char trust_help[] =
    "Usage: mqttseal trust add [--expires TIME] TRUSTFILE NAME PUBKEY "
    "FILTER...\n"
    "       mqttseal trust require TRUSTFILE FILTER...\n"
    "       mqttseal trust list TRUSTFILE\n"
    "\n"
    "A trust list names the signers a receiver accepts and the MQTT topic\n"
    "filters ('+' and '#' allowed) each may publish on; 'require' filters\n"
    "make receivers refuse unsigned messages on matching topics. Receivers\n"
    "use it with mqttseal sub --trust and mqttseal inspect --trust. It is\n"
    "public data, written with mode 0644; it is refused when writable by\n"
    "group or others or owned by another user.\n"
    "\n"
    "  add      trust signer PUBKEY under NAME (1 to 64 of A-Z a-z 0-9 . _\n"
    "           -) on each FILTER; TRUSTFILE is created if it does not\n"
    "           exist. PUBKEY is the base64 key, the public line\n"
    "           'signer <base64>' of mqttseal signer-keygen/signer-pub, or\n"
    "           a file holding that line\n"
    "  require  refuse unsigned messages on topics matching each FILTER\n"
    "  list     print each signer (name, signer id, filters, expiry) and\n"
    "           each require filter\n"
    "\n"
    "Options:\n"
    "  --expires TIME  (add) the entry ends at TIME: YYYY-MM-DDTHH:MM:SSZ,\n"
    "                  YYYY-MM-DD or @UNIXSECONDS; messages it signed are\n"
    "                  then refused\n"
    "  --help          print this help\n"
    "\n"
    "Example:\n"
    "  mqttseal signer-keygen operator.signer > operator.pub\n"
    "  mqttseal trust add device.trust operator operator.pub 'site/+/cmd'\n"
    "  mqttseal trust require device.trust 'site/+/cmd'\n"
    "\n";

/* The trust list at path, or an empty one when create and it is absent. */
static int load_or_new(const char *path, int create, mqttseal_trust **t)
{
    struct stat st;

    if (!create || stat(path, &st) == 0 || errno != ENOENT)
        return cli_load_trust(path, t);
    if (mqttseal_trust_new(t) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "out of memory");
    return CLI_OK;
}

static int save_list(const char *path, const mqttseal_trust *t)
{
    int rc = mqttseal_trust_save_file(t, path);

    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE,
                        "cannot write trust list '%s': %s (check the "
                        "directory is writable)",
                        path, mqttseal_strerror(rc));
    return CLI_OK;
}

/* The first of filters that is not an MQTT filter, or NULL. */
static const char *bad_filter(char **filters, int n)
{
    mqttseal_trust *scratch = NULL;
    const char *bad = NULL;

    if (mqttseal_trust_new(&scratch) != MQTTSEAL_OK)
        return NULL;
    for (int i = 0; i < n && bad == NULL; i++) {
        if (mqttseal_trust_require(scratch, filters[i]) == MQTTSEAL_E_FILTER)
            bad = filters[i];
    }
    mqttseal_trust_free(scratch);
    return bad;
}

static int add_error(int rc, const char *name, char **filters, int n)
{
    if (rc == MQTTSEAL_E_DUPLICATE_KEY)
        return cli_fail(CLI_FILE, "trust add: this public key is already "
                                  "listed (one entry per signer key)");
    if (rc == MQTTSEAL_E_FILTER) {
        const char *bad = bad_filter(filters, n);
        return cli_usage("trust",
                         "'%s' is not an MQTT topic filter ('+' and '#' "
                         "stand for whole levels, '#' only last)",
                         bad != NULL ? bad : "?");
    }
    if (rc == MQTTSEAL_E_INVALID)
        return cli_usage("trust",
                         "'%s' is not a signer name (1 to 64 of A-Z a-z "
                         "0-9 . _ -)",
                         name);
    return cli_fail(CLI_FILE, "trust add: %s", mqttseal_strerror(rc));
}

static int do_add(int argc, char **argv, int64_t expires)
{
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    mqttseal_trust *t = NULL;
    int rc;

    if (argc < 4)
        return cli_usage("trust", "add needs TRUSTFILE NAME PUBKEY FILTER...");
    if (cli_parse_public_key(argv[2], pk) != 0)
        /* Not echoed: a secret pasted by mistake stays off the screen. */
        return cli_usage("trust",
                         "PUBKEY is neither a base64 public key, nor "
                         "'signer <base64>', nor a file holding that line");
    if ((rc = load_or_new(argv[0], 1, &t)) != CLI_OK)
        return rc;
    rc = mqttseal_trust_add(t, argv[1], pk, (const char *const *)(argv + 3),
                            (size_t)(argc - 3), expires);
    rc = rc == MQTTSEAL_OK ? save_list(argv[0], t)
                           : add_error(rc, argv[1], argv + 3, argc - 3);
    mqttseal_trust_free(t);
    if (rc == CLI_OK) {
        unsigned char id[MQTTSEAL_SIGNERIDBYTES];
        char hex[2 * MQTTSEAL_SIGNERIDBYTES + 1];

        mqttseal_signer_id_of(id, pk);
        cli_signer_id_hex(id, hex);
        printf("trusted signer '%s' (signer id %s) on %d filter%s in '%s'\n",
               argv[1], hex, argc - 3, argc == 4 ? "" : "s", argv[0]);
    }
    return rc;
}

static int do_require(int argc, char **argv)
{
    mqttseal_trust *t = NULL;
    int rc;

    if (argc < 2)
        return cli_usage("trust", "require needs TRUSTFILE FILTER...");
    if ((rc = load_or_new(argv[0], 1, &t)) != CLI_OK)
        return rc;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        if (mqttseal_trust_require(t, argv[i]) != MQTTSEAL_OK)
            rc = cli_usage("trust",
                           "'%s' is not an MQTT topic filter ('+' and '#' "
                           "stand for whole levels, '#' only last)",
                           argv[i]);
    }
    if (rc == CLI_OK)
        rc = save_list(argv[0], t);
    mqttseal_trust_free(t);
    return rc;
}

/* One "signer NAME KEY FILTER... [expires=T]" line, with its id. */
static void list_signer(char *line)
{
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    char hex[2 * MQTTSEAL_SIGNERIDBYTES + 1] = "?";
    char *rest = NULL, *name, *key, *w;
    const char *expires = "never";

    strtok_r(line, " ", &rest);
    name = strtok_r(NULL, " ", &rest);
    key = strtok_r(NULL, " ", &rest);
    if (name == NULL || key == NULL)
        return;
    if (cli_parse_public_key(key, pk) == 0) {
        unsigned char id[MQTTSEAL_SIGNERIDBYTES];

        mqttseal_signer_id_of(id, pk);
        cli_signer_id_hex(id, hex);
    }
    printf("signer %s  id %s  key %s\n  may sign:", name, hex, key);
    while ((w = strtok_r(NULL, " ", &rest)) != NULL) {
        if (strncmp(w, "expires=", 8) == 0)
            expires = w + 8;
        else
            printf(" %s", w);
    }
    printf("\n  expires:  %s\n", expires);
}

static int do_list(int argc, char **argv)
{
    mqttseal_trust *t = NULL;
    char *text, *line, *rest = NULL;
    size_t need = 0;
    int rc;

    if (argc != 1)
        return cli_usage("trust", "list needs exactly one TRUSTFILE");
    if ((rc = cli_load_trust(argv[0], &t)) != CLI_OK)
        return rc;
    (void)mqttseal_trust_to_string(t, NULL, 0, &need);
    if ((text = malloc(need + 1)) == NULL ||
        mqttseal_trust_to_string(t, text, need + 1, &need) != MQTTSEAL_OK) {
        free(text);
        mqttseal_trust_free(t);
        return cli_fail(CLI_FILE, "cannot list trust list '%s'", argv[0]);
    }
    for (line = strtok_r(text, "\n", &rest); line != NULL;
         line = strtok_r(NULL, "\n", &rest)) {
        if (strncmp(line, "signer ", 7) == 0)
            list_signer(line);
        else if (strncmp(line, "require ", 8) == 0)
            printf("require %s (unsigned messages refused)\n", line + 8);
    }
    free(text);
    mqttseal_trust_free(t);
    return CLI_OK;
}

int cmd_trust(int argc, char **argv)
{
    static const struct option opts[] = {
        {"expires", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int64_t expires = 0;
    int c, has_expires = 0;
    const char *sub;

    opterr = 0;
    /* Options anywhere; a filter starting with '-' goes after "--". */
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'H') {
            printf("%s%s", trust_help, cli_exit_help);
            return CLI_OK;
        }
        if (c != 'E')
            return cli_bad_option("trust", argv, c);
        if (cli_parse_time(optarg, &expires) != 0)
            return cli_usage("trust",
                             "--expires '%s' is not a time "
                             "(YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or @SECONDS)",
                             optarg);
        has_expires = 1;
    }
    if (optind == argc)
        return cli_usage("trust", "give add, require or list");
    sub = argv[optind++];
    if (strcmp(sub, "add") == 0)
        return do_add(argc - optind, argv + optind, expires);
    if (has_expires)
        return cli_usage("trust", "--expires goes with add");
    if (strcmp(sub, "require") == 0)
        return do_require(argc - optind, argv + optind);
    if (strcmp(sub, "list") == 0)
        return do_list(argc - optind, argv + optind);
    return cli_usage("trust", "unknown subcommand '%s' (add, require, list)",
                     sub);
}
