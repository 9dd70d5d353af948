/* mqttseal keygen: a new keyring holding one fresh root key. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char keygen_help[] =
    "Usage: mqttseal keygen [--id N] [--force] FILE\n"
    "\n"
    "Create FILE, a keyring holding one fresh random root key (filter '#')\n"
    "under key id N (default 1), which becomes the primary id. The file is\n"
    "created with mode 0600. Keep it off the devices: give each device a\n"
    "keyring made with 'mqttseal grant' instead.\n"
    "\n"
    "Options:\n"
    "  --id N     key id of the root key, 0..4294967295 (default 1)\n"
    "  --force    replace FILE if it exists (atomically); without it an\n"
    "             existing FILE is never overwritten\n"
    "  --help     print this help\n"
    "\n"
    "Example:\n"
    "  mqttseal keygen root.keyring\n"
    "\n";

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'I'},
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long id = 1;
    int force = 0, c, rc;
    mqttseal_keyring *kr = NULL;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'I':
            if (cli_parse_uint(optarg, UINT32_MAX, &id) != 0)
                /* The value is not echoed: a pasted key must never
                 * reach the terminal or a log through an error. */
                return cli_usage("keygen", "--id takes a decimal key id "
                                           "(0..4294967295)");
            break;
        case 'F':
            force = 1;
            break;
        case 'H':
            printf("%s%s", keygen_help, cli_exit_help);
            return CLI_OK;
        default:
            return cli_bad_option("keygen", argv, c);
        }
    }
    if (optind != argc - 1)
        return cli_usage("keygen", optind == argc
                                       ? "name the keyring file to create"
                                       : "give exactly one keyring file");
    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK ||
        mqttseal_keyring_generate(kr, (uint32_t)id) != MQTTSEAL_OK ||
        mqttseal_keyring_set_primary(kr, (uint32_t)id) != MQTTSEAL_OK) {
        mqttseal_keyring_free(kr);
        return cli_fail(CLI_FILE, "cannot generate a root key (out of "
                                  "memory or no system randomness)");
    }
    rc = cli_write_new_keyring(argv[optind], kr, force);
    mqttseal_keyring_free(kr);
    if (rc == CLI_OK)
        printf("wrote root keyring '%s' (key id %llu, "
               "mode 0600)\n",
               argv[optind], id);
    return rc;
}
