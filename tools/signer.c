/* mqttseal signer-keygen and signer-pub: Ed25519 signer keys. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char keygen_help[] =
    "Usage: mqttseal signer-keygen [--force] FILE\n"
    "\n"
    "Create FILE, a signer key (a fresh Ed25519 key pair) with mode 0600,\n"
    "and print its public line, 'signer <base64 public key>', on stdout.\n"
    "A context (mqttseal pub --sign FILE) signs every message it seals\n"
    "with it; receivers list the public line in their trust list\n"
    "(mqttseal trust add) to learn who sent what. The secret never leaves\n"
    "FILE: keep it on the one machine that signs.\n"
    "\n"
    "Options:\n"
    "  --force    replace FILE if it exists (atomically); without it an\n"
    "             existing FILE is never overwritten\n"
    "  --help     print this help\n"
    "\n"
    "Example:\n"
    "  mqttseal signer-keygen operator.signer > operator.pub\n"
    "\n";

static const char pub_help[] =
    "Usage: mqttseal signer-pub FILE\n"
    "\n"
    "Print the public line of signer key FILE, 'signer <base64 public\n"
    "key>', on stdout, and its signer id (16 hex digits) on stderr. The\n"
    "public line is not secret: give it to every receiver's trust list.\n"
    "\n"
    "Options:\n"
    "  --help     print this help\n"
    "\n";

/* --force and --help; the single FILE argument in *file. */
static int parse(int argc, char **argv, const char *cmd, const char *help,
                 int allow_force, int *force, const char **file)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'H') {
            printf("%s%s", help, cli_exit_help);
            return -1;
        }
        if (c == 'F' && allow_force) {
            *force = 1;
            continue;
        }
        return cli_bad_option(cmd, argv, c);
    }
    if (optind != argc - 1)
        return cli_usage(cmd, optind == argc ? "name the signer key file"
                                             : "give exactly one file");
    *file = argv[optind];
    return CLI_OK;
}

/* The public line and, on stderr, the id. */
static int print_public(const mqttseal_signer *s, const char *path, int created)
{
    unsigned char id[MQTTSEAL_SIGNERIDBYTES];
    char line[128], hex[2 * MQTTSEAL_SIGNERIDBYTES + 1];
    size_t n = 0;

    if (mqttseal_signer_export(s, line, sizeof line, &n) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot export the public key");
    mqttseal_signer_id(s, id);
    cli_signer_id_hex(id, hex);
    if (cli_write_all(stdout, line, n) != 0)
        return cli_fail(CLI_FILE, "cannot write to stdout: %s",
                        strerror(errno));
    fprintf(stderr, "mqttseal: %s signer key '%s' (signer id %s%s)\n",
            created ? "wrote" : "read", path, hex,
            created ? ", mode 0600" : "");
    return CLI_OK;
}

/* Claim path with O_EXCL (mode 0600) so an existing file is never lost;
 * the save then replaces the empty file atomically. */
static int claim(const char *path, int force, int *created)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    *created = fd >= 0;
    if (fd >= 0) {
        close(fd);
        return CLI_OK;
    }
    if (errno == EEXIST && force)
        return CLI_OK;
    if (errno == EEXIST)
        return cli_fail(CLI_FILE,
                        "'%s' already exists; refusing to overwrite it (use "
                        "--force to replace it)",
                        path);
    return cli_fail(CLI_FILE,
                    "cannot create '%s': %s (check the directory exists and "
                    "is writable)",
                    path, strerror(errno));
}

int cmd_signer_keygen(int argc, char **argv)
{
    mqttseal_signer *s = NULL;
    const char *path = NULL;
    int force = 0, created = 0, rc;

    rc = parse(argc, argv, "signer-keygen", keygen_help, 1, &force, &path);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (mqttseal_signer_generate(&s) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot generate a signer key (out of "
                                  "memory or no system randomness)");
    rc = claim(path, force, &created);
    if (rc == CLI_OK && (rc = mqttseal_signer_save_file(s, path)) != 0) {
        if (created)
            unlink(path);
        rc = cli_fail(CLI_FILE, "cannot write signer key '%s': %s", path,
                      mqttseal_strerror(rc));
    }
    if (rc == CLI_OK)
        rc = print_public(s, path, 1);
    mqttseal_signer_free(s);
    return rc;
}

int cmd_signer_pub(int argc, char **argv)
{
    mqttseal_signer *s = NULL;
    const char *path = NULL;
    int force = 0, rc;

    rc = parse(argc, argv, "signer-pub", pub_help, 0, &force, &path);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_load_signer(path, &s)) != CLI_OK)
        return rc;
    rc = print_public(s, path, 0);
    mqttseal_signer_free(s);
    return rc;
}
