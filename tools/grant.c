/* mqttseal grant: device keyrings for topic filters, and --list. */
#include "cli.h"
#include "kd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRANT_MAX_IDS 64

static const char grant_help[] =
    "Usage: mqttseal grant --keyring ROOT [--id N]... [--out FILE [--force]]\n"
    "                      [--push --signer FILE --device REQUEST] FILTER...\n"
    "       mqttseal grant --list KEYRING...\n"
    "\n"
    "Write a device keyring that holds exactly the grants FILTER... derived\n"
    "from the keyring ROOT, and nothing else. A FILTER is an MQTT topic\n"
    "filter of one of these forms:\n"
    "  a/b/#     the subtree: opens and seals a/b and every topic below it\n"
    "  a/b       exactly the topic a/b (not a/b/c)\n"
    "  #         everything (a copy of the root key; rarely what you want)\n"
    "A '+' filter cannot be granted as one key: grant each concrete topic\n"
    "it should match instead (site/a/temp site/b/temp, not site/+/temp).\n"
    "\n"
    "By default the device keyring gets the filters under every unexpired\n"
    "key id of ROOT (with their expiry), and ROOT's primary id becomes its\n"
    "primary, so a device granted during a rotation opens both ids. ROOT\n"
    "may itself be a device keyring: it can grant what its keys cover.\n"
    "The filters a device keyring holds are its grant list: 'mqttseal\n"
    "rotate' regenerates it from them.\n"
    "\n"
    "Options:\n"
    "  --keyring ROOT  the keyring to derive from (required)\n"
    "  --id N          derive only under key id N (repeatable)\n"
    "  --out FILE      write to FILE, created with mode 0600 (default:\n"
    "                  write the keyring text to stdout)\n"
    "  --force         replace FILE if it exists\n"
    "  --list          list what each KEYRING grants: key ids, filters,\n"
    "                  expiry and the primary id; never key bytes\n"
    "  --help          print this help\n"
    "\n"
    "Examples:\n"
    "  mqttseal grant --keyring root.keyring --out sensor-a.keyring "
    "'site/a/#'\n"
    "  mqttseal grant --list sensor-a.keyring\n"
    "\n";

static int list_one(const char *path)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_key_info info;
    uint32_t primary;
    int rc = cli_load_keyring(path, &kr);
    int has_primary;
    size_t count;

    if (rc != CLI_OK)
        return rc;
    has_primary = mqttseal_keyring_primary(kr, &primary) == MQTTSEAL_OK;
    count = mqttseal_keyring_count(kr);
    printf("keyring %s: %zu key%s, ", path, count, count == 1 ? "" : "s");
    if (has_primary)
        printf("primary id %u\n", primary);
    else
        printf("no primary id (opens only, cannot seal)\n");
    printf("%-10s %-7s %-30s %s\n", "ID", "PRIMARY", "EXPIRES", "FILTER");
    for (size_t i = 0; i < count; i++) {
        char when[48] = "never";
        if (mqttseal_keyring_entry(kr, i, &info) != MQTTSEAL_OK)
            continue;
        if (info.expires != 0) {
            cli_format_time(info.expires, when, sizeof when);
            if (info.expires <= (int64_t)time(NULL))
                strcat(when, " (expired)");
        }
        char *f = cli_entry_filter(kr, i);
        printf("%-10u %-7s %-30s %s\n", info.key_id,
               info.is_primary ? "yes" : "", when, f ? f : info.filter);
        free(f);
    }
    mqttseal_keyring_free(kr);
    return CLI_OK;
}

static int check_filters(char **filters, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = mqttseal_filter_check(filters[i], strlen(filters[i]));
        size_t at = 0;
        const char *bad = cli_filter_unwritable(filters[i], &at);
        if (rc == MQTTSEAL_OK && bad != NULL) {
            char vis[200];
            return cli_usage("grant",
                             "cannot grant '%s': it contains %s at byte %zu, "
                             "and " CLI_UNWRITABLE,
                             cli_visible(filters[i], vis, sizeof vis), bad, at);
        }
        if (rc == MQTTSEAL_E_FILTER_PLUS)
            return cli_usage("grant",
                             "cannot grant '%s': a '+' filter cannot be "
                             "granted as one key; grant each concrete topic "
                             "it should match instead",
                             filters[i]);
        if (rc != MQTTSEAL_OK)
            return cli_usage("grant",
                             "'%s' is not a grantable filter: %s (use a/b/# "
                             "or an exact topic)",
                             filters[i], mqttseal_strerror(rc));
    }
    return CLI_OK;
}

/* Key ids of root to derive under: the chosen ones, or every unexpired. */
static size_t pick_ids(const mqttseal_keyring *root, const uint32_t *chosen,
                       size_t n_chosen, uint32_t *ids)
{
    size_t n = 0, all;
    uint32_t every[GRANT_MAX_IDS];

    if (n_chosen > 0) {
        memcpy(ids, chosen, n_chosen * sizeof *ids);
        return n_chosen;
    }
    all = cli_keyring_ids(root, every, GRANT_MAX_IDS);
    for (size_t i = 0; i < all; i++) {
        int64_t exp = cli_keyring_expiry(root, every[i]);
        if (exp == 0 || exp > (int64_t)time(NULL))
            ids[n++] = every[i];
    }
    return n;
}

static int grant_error(const char *root_path, uint32_t id, const char *f,
                       int rc)
{
    if (rc == MQTTSEAL_E_UNKNOWN_KEY)
        return cli_fail(CLI_FILE,
                        "keyring '%s' has no key id %u (see: mqttseal grant "
                        "--list %s)",
                        root_path, id, root_path);
    if (rc == MQTTSEAL_E_NO_GRANT)
        return cli_fail(CLI_FILE,
                        "keyring '%s' cannot grant '%s' under key id %u: it "
                        "holds no key covering it (grant from the root "
                        "keyring)",
                        root_path, f, id);
    if (rc == MQTTSEAL_E_DUPLICATE_KEY)
        return cli_usage("grant", "'%s' is given twice", f);
    return cli_fail(CLI_FILE, "cannot grant '%s' under key id %u: %s", f, id,
                    mqttseal_strerror(rc));
}

/* Fill dev with filters under ids, primary as root's if granted. */
static int derive(mqttseal_keyring *dev, const mqttseal_keyring *root,
                  const char *root_path, const uint32_t *ids, size_t n_ids,
                  char **filters, int n_filters)
{
    uint32_t primary;

    for (size_t i = 0; i < n_ids; i++) {
        for (int j = 0; j < n_filters; j++) {
            int rc = mqttseal_keyring_grant(dev, root, ids[i], filters[j]);
            if (rc != MQTTSEAL_OK)
                return grant_error(root_path, ids[i], filters[j], rc);
        }
    }
    if (mqttseal_keyring_primary(root, &primary) == MQTTSEAL_OK &&
        mqttseal_keyring_set_primary(dev, primary) == MQTTSEAL_OK)
        return CLI_OK;
    /* ROOT's primary was not granted (--id): the newest granted id seals. */
    primary = ids[0];
    for (size_t i = 1; i < n_ids; i++)
        primary = ids[i] > primary ? ids[i] : primary;
    if (mqttseal_keyring_set_primary(dev, primary) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot set the primary key id");
    return CLI_OK;
}

/* "wrote device keyring 'F' (mode 0600): key ids 1, 2; primary 2" */
static void report(const char *path, const mqttseal_keyring *dev)
{
    uint32_t ids[GRANT_MAX_IDS], primary = 0;
    size_t n = cli_keyring_ids(dev, ids, GRANT_MAX_IDS);

    (void)mqttseal_keyring_primary(dev, &primary);
    printf("wrote device keyring '%s' (mode 0600): key id%s", path,
           n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        printf("%s %u", i ? "," : "", ids[i]);
    printf("; primary %u\n", primary);
}

struct grant_args {
    const char *root, *out;
    int force, list;
    uint32_t ids[GRANT_MAX_IDS];
    size_t n_ids;
    struct kd_push push;
};

static int parse(int argc, char **argv, struct grant_args *a)
{
    static const struct option opts[] = {
        {"keyring", required_argument, NULL, 'k'},
        {"id", required_argument, NULL, 'I'},
        {"out", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'F'},
        {"list", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'H'},
        KD_PUSH_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    unsigned long long v;
    int c, rc;

    kd_push_init(&a->push);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->root = optarg;
            break;
        case 'I':
            if (cli_parse_uint(optarg, UINT32_MAX, &v) != 0)
                return cli_usage("grant", "--id takes a decimal key id "
                                          "(0..4294967295)");
            if (a->n_ids == GRANT_MAX_IDS)
                return cli_usage("grant", "too many --id options");
            a->ids[a->n_ids++] = (uint32_t)v;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'F':
            a->force = 1;
            break;
        case 'L':
            a->list = 1;
            break;
        case 'H':
            printf("%s\n%s\n%s", grant_help, kd_push_help, cli_exit_help);
            return -1;
        default:
            if ((rc = kd_push_option(&a->push, "grant", c, optarg)) == -1)
                return cli_bad_option("grant", argv, c);
            if (rc != CLI_OK)
                return rc;
        }
    }
    return CLI_OK;
}

static int list_all(int argc, char **argv, const struct grant_args *a)
{
    int rc = CLI_OK;

    if (a->root || a->out || a->n_ids || a->force)
        return cli_usage("grant", "--list takes only keyring files");
    if (optind == argc)
        return cli_usage("grant", "name the keyring file(s) to list");
    for (int i = optind; i < argc && rc == CLI_OK; i++)
        rc = list_one(argv[i]);
    return rc;
}

int cmd_grant(int argc, char **argv)
{
    struct grant_args a = {0};
    mqttseal_keyring *root = NULL, *dev = NULL;
    uint32_t ids[GRANT_MAX_IDS];
    size_t n_ids;
    int rc = parse(argc, argv, &a);

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (a.list)
        return list_all(argc, argv, &a);
    if (a.root == NULL)
        return cli_usage("grant", "--keyring ROOT is required");
    if (optind == argc)
        return cli_usage("grant", "give at least one topic filter to grant");
    if (a.force && a.out == NULL)
        return cli_usage("grant", "--force needs --out FILE");
    if ((rc = kd_push_check(&a.push, "grant", 1)) != CLI_OK)
        return rc;
    if (a.push.enabled && a.out == NULL)
        return cli_usage("grant", "--push needs --out FILE (the operator "
                                  "keeps the device keyring to rotate it)");
    if ((rc = check_filters(argv + optind, argc - optind)) != CLI_OK)
        return rc;
    if ((rc = cli_load_keyring(a.root, &root)) != CLI_OK)
        return rc;
    n_ids = pick_ids(root, a.ids, a.n_ids, ids);
    if (n_ids == 0) {
        mqttseal_keyring_free(root);
        return cli_fail(CLI_FILE,
                        "keyring '%s' has no unexpired key to grant from "
                        "(run: mqttseal rotate --keyring %s)",
                        a.root, a.root);
    }
    if (mqttseal_keyring_new(&dev) != MQTTSEAL_OK)
        rc = cli_fail(CLI_FILE, "out of memory");
    else
        rc =
            derive(dev, root, a.root, ids, n_ids, argv + optind, argc - optind);
    mqttseal_keyring_free(root);
    if (rc == CLI_OK && a.out == NULL)
        rc = cli_print_keyring(dev);
    else if (rc == CLI_OK)
        rc = cli_write_new_keyring(a.out, dev, a.force);
    if (rc == CLI_OK && a.out != NULL)
        report(a.out, dev);
    if (rc == CLI_OK && a.push.enabled &&
        (rc = kd_request_store(a.push.device, a.out)) == CLI_OK)
        rc = kd_push_keyring(&a.push, a.out, dev);
    mqttseal_keyring_free(dev);
    return rc;
}
