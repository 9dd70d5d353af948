/* mqttseal rotate: new root key id, retire the old, regenerate devices. */
#include "cli.h"
#include "kd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROT_MAX_IDS 256
#define ROT_MAX_FILTERS 256

static const char rotate_help[] =
    "Usage: mqttseal rotate --keyring ROOT [--new-id N]\n"
    "                       [--retire-old-after DURATION | --expire-old AT]\n"
    "                       [--push --signer FILE] [DEVICE_KEYRING...]\n"
    "       mqttseal rotate --keyring ROOT --regenerate-only "
    "DEVICE_KEYRING...\n"
    "\n"
    "Add a fresh root key to ROOT under a new key id and make it primary,\n"
    "so new messages are sealed under it. Optionally set an expiry on every\n"
    "older id: messages under an old id keep opening until then, which\n"
    "gives publishers time to switch. Then regenerate each DEVICE_KEYRING\n"
    "from the filters it holds: the new id is added for the same filters\n"
    "and made primary, the old ids stay (with their expiry), so devices\n"
    "open both ids during the overlap.\n"
    "\n"
    "With --regenerate-only no new id is added: each DEVICE_KEYRING is\n"
    "brought up to date with ROOT (every unexpired id of ROOT, ROOT's\n"
    "primary, ROOT's expiries). Use it for a device keyring that was not\n"
    "listed when ROOT was rotated.\n"
    "\n"
    "Processes that loaded a keyring keep using it: restart mqttseal pub\n"
    "and sub (or reload your application's keyring) after rotating, or\n"
    "--push the device keyrings to devices that run mqttseal agent.\n"
    "\n"
    "Options:\n"
    "  --keyring ROOT           the root keyring (required; holds '#')\n"
    "  --new-id N               the new key id (default: highest id + 1)\n"
    "  --retire-old-after DURATION\n"
    "                           old ids expire DURATION from now: 90s, 30m,\n"
    "                           12h, 7d, 2w, 1d12h or plain seconds\n"
    "  --expire-old AT          old ids expire at AT: YYYY-MM-DDTHH:MM:SSZ,\n"
    "                           YYYY-MM-DD (00:00 UTC) or @UNIXSECONDS\n"
    "  --regenerate-only        add no id; only update DEVICE_KEYRINGs\n"
    "  --help                   print this help\n"
    "\n"
    "Device keyrings are not trusted: every key a DEVICE_KEYRING holds\n"
    "must be the key ROOT derives for its filter and key id. A keyring\n"
    "whose keys do not match its filters (a filter edited to '#', a\n"
    "changed key) is refused, and then nothing at all is written.\n"
    "\n"
    "An expiry that is already earlier is kept. Files are replaced\n"
    "atomically with mode 0600; ROOT is written first, so a device keyring\n"
    "that could not be written can be regenerated later.\n"
    "\n"
    "Example:\n"
    "  mqttseal rotate --keyring root.keyring --retire-old-after 7d \\\n"
    "      sensor-a.keyring dashboard.keyring\n"
    "\n";

struct rot_args {
    const char *root;
    unsigned long long new_id;
    int has_new_id, has_expiry, regen_only;
    int64_t expiry;
    struct kd_push push;
};

static int expired(int64_t exp)
{
    return exp != 0 && exp <= (int64_t)time(NULL);
}

/* The distinct filters a device keyring holds (whole, any length): its
 * grant list, malloc'd; free with free_filters. */
static int device_filters(const char *path, const mqttseal_keyring *dev,
                          char **filters, size_t *n)
{
    size_t count = mqttseal_keyring_count(dev);

    *n = 0;
    for (size_t i = 0; i < count; i++) {
        size_t j;
        char *f = cli_entry_filter(dev, i);
        if (f == NULL)
            return cli_fail(CLI_FILE, "out of memory");
        for (j = 0; j < *n && strcmp(filters[j], f) != 0; j++)
            ;
        if (j < *n) {
            free(f);
            continue;
        }
        if (*n == ROT_MAX_FILTERS) {
            free(f);
            return cli_fail(CLI_FILE, "keyring '%s' holds too many filters",
                            path);
        }
        filters[(*n)++] = f;
    }
    if (*n == 0)
        return cli_fail(CLI_FILE,
                        "keyring '%s' holds no grants to regenerate (create "
                        "it with mqttseal grant)",
                        path);
    return CLI_OK;
}

static void free_filters(char **filters, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(filters[i]);
}

/* Mirror ROOT's ids (unexpired), expiries and primary into dev. */
static int sync_device(mqttseal_keyring *dev, const char *path,
                       const mqttseal_keyring *root, const char *root_path)
{
    char *filters[ROT_MAX_FILTERS];
    uint32_t ids[ROT_MAX_IDS], primary;
    size_t n_f = 0, n_ids = cli_keyring_ids(root, ids, ROT_MAX_IDS);
    int rc = device_filters(path, dev, filters, &n_f);

    for (size_t i = 0; i < n_ids && rc == CLI_OK; i++) {
        int64_t exp = cli_keyring_expiry(root, ids[i]);
        for (size_t j = 0; j < n_f && !expired(exp) && rc == CLI_OK; j++) {
            if (cli_keyring_has(dev, ids[i], filters[j]))
                continue;
            rc = mqttseal_keyring_grant(dev, root, ids[i], filters[j]);
            if (rc != MQTTSEAL_OK)
                rc = cli_fail(CLI_FILE,
                              "cannot regenerate '%s': keyring '%s' cannot "
                              "grant '%s' under key id %u (%s)",
                              path, root_path, filters[j], ids[i],
                              mqttseal_strerror(rc));
        }
        if (rc == CLI_OK &&
            mqttseal_keyring_set_expiry(dev, ids[i], exp) == MQTTSEAL_E_INVALID)
            rc = cli_fail(CLI_FILE, "cannot set an expiry in '%s'", path);
    }
    free_filters(filters, n_f);
    if (rc == CLI_OK && mqttseal_keyring_primary(root, &primary) == 0 &&
        mqttseal_keyring_set_primary(dev, primary) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot make id %u primary in '%s'", primary,
                        path);
    return rc;
}

static int has_root_key(const mqttseal_keyring *kr)
{
    uint32_t ids[ROT_MAX_IDS];
    size_t n = cli_keyring_ids(kr, ids, ROT_MAX_IDS);

    for (size_t i = 0; i < n; i++) {
        if (cli_keyring_has(kr, ids[i], "#"))
            return 1;
    }
    return 0;
}

/* Add the new primary id to root and retire the others. */
static int rotate_root(mqttseal_keyring *root, const struct rot_args *a,
                       uint32_t *new_id)
{
    uint32_t ids[ROT_MAX_IDS];
    size_t n = cli_keyring_ids(root, ids, ROT_MAX_IDS);

    if (!has_root_key(root))
        return cli_fail(CLI_FILE,
                        "keyring '%s' holds no root key ('#'); rotate the "
                        "root keyring it was granted from",
                        a->root);
    if (a->has_new_id) {
        *new_id = (uint32_t)a->new_id;
    } else if (n > 0 && ids[n - 1] == UINT32_MAX) {
        return cli_usage("rotate", "the highest key id is taken; choose one "
                                   "with --new-id N");
    } else {
        *new_id = n > 0 ? ids[n - 1] + 1 : 1;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t cur = cli_keyring_expiry(root, ids[i]);
        if (ids[i] == *new_id)
            return cli_usage("rotate", "key id %u already exists in '%s'",
                             *new_id, a->root);
        if (a->has_expiry && (cur == 0 || cur > a->expiry))
            (void)mqttseal_keyring_set_expiry(root, ids[i], a->expiry);
    }
    if (mqttseal_keyring_generate(root, *new_id) != MQTTSEAL_OK ||
        mqttseal_keyring_set_primary(root, *new_id) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot generate a root key (out of "
                                  "memory or no system randomness)");
    return CLI_OK;
}

static int parse(int argc, char **argv, struct rot_args *a)
{
    static const struct option opts[] = {
        {"keyring", required_argument, NULL, 'k'},
        {"new-id", required_argument, NULL, 'N'},
        {"retire-old-after", required_argument, NULL, 'A'},
        {"expire-old", required_argument, NULL, 'E'},
        {"regenerate-only", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'H'},
        KD_PUSH_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    kd_push_init(&a->push);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        int64_t d;
        switch (c) {
        case 'k':
            a->root = optarg;
            break;
        case 'N':
            if (cli_parse_uint(optarg, UINT32_MAX, &a->new_id) != 0)
                return cli_usage("rotate", "--new-id takes a decimal key id "
                                           "(0..4294967295)");
            a->has_new_id = 1;
            break;
        case 'A':
            if (a->has_expiry || cli_parse_duration(optarg, &d) != 0)
                return cli_usage("rotate",
                                 a->has_expiry
                                     ? "give one of --retire-old-after and "
                                       "--expire-old"
                                     : "--retire-old-after: '%s' is not a "
                                       "duration (e.g. 7d, 12h, 1d12h)",
                                 optarg);
            a->expiry = (int64_t)time(NULL) + d;
            a->has_expiry = 1;
            break;
        case 'E':
            if (a->has_expiry || cli_parse_time(optarg, &d) != 0)
                return cli_usage("rotate",
                                 a->has_expiry
                                     ? "give one of --retire-old-after and "
                                       "--expire-old"
                                     : "--expire-old: '%s' is not a time "
                                       "(YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or "
                                       "@UNIXSECONDS)",
                                 optarg);
            a->expiry = d;
            a->has_expiry = 1;
            break;
        case 'R':
            a->regen_only = 1;
            break;
        case 'H':
            printf("%s\n%s\n%s", rotate_help, kd_push_help, cli_exit_help);
            return -1;
        default:
            if ((rc = kd_push_option(&a->push, "rotate", c, optarg)) == -1)
                return cli_bad_option("rotate", argv, c);
            if (rc != CLI_OK)
                return rc;
        }
    }
    if (a->root == NULL)
        return cli_usage("rotate", "--keyring ROOT is required");
    if (a->regen_only && (a->has_new_id || a->has_expiry))
        return cli_usage("rotate", "--regenerate-only adds no id: it takes "
                                   "neither --new-id nor an expiry");
    if (a->regen_only && optind == argc)
        return cli_usage("rotate", "--regenerate-only needs device keyrings");
    if (a->push.device != NULL)
        return cli_usage("rotate", "--device is for grant: rotate pushes to "
                                   "the device of each DEVICE_KEYRING.device");
    if (a->push.enabled && optind == argc)
        return cli_usage("rotate", "--push needs DEVICE_KEYRING files");
    return kd_push_check(&a->push, "rotate", 0);
}

static void report(const mqttseal_keyring *kr, const char *path,
                   const char *what)
{
    uint32_t ids[ROT_MAX_IDS], primary = 0;
    size_t n = cli_keyring_ids(kr, ids, ROT_MAX_IDS);

    (void)mqttseal_keyring_primary(kr, &primary);
    printf("%s %s: primary id %u", what, path, primary);
    for (size_t i = 0; i < n; i++) {
        int64_t exp = cli_keyring_expiry(kr, ids[i]);
        char when[48];
        if (exp == 0 || ids[i] == primary)
            continue;
        cli_format_time(exp, when, sizeof when);
        printf("; id %u %s %s", ids[i], expired(exp) ? "expired" : "expires",
               when);
    }
    printf("\n");
}

/* Load, check and update every device keyring in memory; nothing is
 * written. */
static int load_devices(int n, char **paths, const mqttseal_keyring *root,
                        const char *root_path, mqttseal_keyring **devs)
{
    for (int i = 0; i < n; i++) {
        int rc = cli_load_keyring(paths[i], &devs[i]);
        if (rc == CLI_OK)
            rc = cli_keyring_check_derived(devs[i], paths[i], root, root_path);
        if (rc == CLI_OK)
            rc = sync_device(devs[i], paths[i], root, root_path);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

static int save_all(const struct rot_args *a, const mqttseal_keyring *root,
                    int n, char **paths, mqttseal_keyring **devs)
{
    int rc = CLI_OK;

    /* ROOT first: it alone holds the new key; devices can be redone. */
    if (!a->regen_only && (rc = cli_save_keyring(a->root, root)) == CLI_OK)
        report(root, a->root, "root");
    for (int i = 0; i < n && rc == CLI_OK; i++) {
        if ((rc = cli_save_keyring(paths[i], devs[i])) == CLI_OK)
            report(devs[i], paths[i], "device");
    }
    return rc;
}

int cmd_rotate(int argc, char **argv)
{
    struct rot_args a = {0};
    mqttseal_keyring *root = NULL, **devs = NULL;
    uint32_t new_id;
    int n, rc = parse(argc, argv, &a);

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    n = argc - optind;
    if ((devs = calloc((size_t)n + 1, sizeof *devs)) == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    rc = cli_load_keyring(a.root, &root);
    if (rc == CLI_OK && !a.regen_only)
        rc = rotate_root(root, &a, &new_id);
    if (rc == CLI_OK)
        rc = load_devices(n, argv + optind, root, a.root, devs);
    if (rc == CLI_OK)
        rc = save_all(&a, root, n, argv + optind, devs);
    for (int i = 0; rc == CLI_OK && a.push.enabled && i < n; i++)
        rc = kd_push_keyring(&a.push, argv[optind + i], devs[i]);
    for (int i = 0; i < n; i++)
        mqttseal_keyring_free(devs[i]);
    free(devs);
    mqttseal_keyring_free(root);
    return rc;
}
