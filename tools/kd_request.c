/* mqttseal enroll, enrollment requests, and pushing keyring updates. */
#include "kd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static const char enroll_help[] =
    "Usage: mqttseal enroll [--signer FILE] DEVICE_KEY\n"
    "\n"
    "On a device: create DEVICE_KEY, the device's own X25519 key pair (mode\n"
    "0600), unless it exists, and print its enrollment request on stdout:\n"
    "  mqttseal-enroll 1 <device id> <public key> [<signer public key>]\n"
    "The request is public: copy it to the operator (or publish it). The\n"
    "private key never leaves DEVICE_KEY. With --signer FILE the device\n"
    "also gets an Ed25519 signer key (created if FILE does not exist) and\n"
    "its public key joins the request.\n"
    "\n"
    "Options:\n"
    "  --signer FILE  also create/use the device's signer key FILE\n"
    "  --help         print this help\n"
    "\n"
    "Example:\n"
    "  mqttseal enroll sensor-a.device > sensor-a.req\n"
    "\n";

const char kd_push_help[] =
    "Pushing (docs/FORMAT.md section 15):\n"
    "  --push                 seal each device keyring to its device and\n"
    "                         publish it retained on\n"
    "                         PREFIX/<device id>/keyring\n"
    "  --signer FILE          the operator's signer key (signs updates)\n"
    "  --device REQUEST       (grant) the device's enrollment request; kept\n"
    "                         as <keyring>.device for later pushes\n"
    "  --host HOST, --port N  the broker (default localhost 1883)\n"
    "  --control-prefix P     control topic prefix (default " KD_PREFIX_DEFAULT
    ")\n"
    "  --update-lifetime D    updates expire after D (default 30d)\n";

void kd_push_init(struct kd_push *p)
{
    memset(p, 0, sizeof *p);
    p->host = "localhost";
    p->port = 1883;
    p->prefix = KD_PREFIX_DEFAULT;
    p->lifetime = 30 * 86400;
}

int kd_push_option(struct kd_push *p, const char *cmd, int c, const char *arg)
{
    unsigned long long v;

    switch (c) {
    case KD_OPT_PUSH:
        p->enabled = 1;
        return CLI_OK;
    case KD_OPT_SIGNER:
        p->signer = arg;
        return CLI_OK;
    case KD_OPT_DEVICE:
        p->device = arg;
        return CLI_OK;
    case KD_OPT_HOST:
        p->host = arg;
        return CLI_OK;
    case KD_OPT_PREFIX:
        if (arg[0] == '\0' || strpbrk(arg, "+#") != NULL)
            return cli_usage(cmd, "--control-prefix: a topic without "
                                  "wildcards");
        p->prefix = arg;
        return CLI_OK;
    case KD_OPT_PORT:
        if (cli_parse_uint(arg, 65535, &v) != 0 || v == 0)
            return cli_usage(cmd, "--port takes 1..65535");
        p->port = (int)v;
        return CLI_OK;
    case KD_OPT_LIFETIME:
        if (cli_parse_duration(arg, &p->lifetime) != 0 || p->lifetime <= 0)
            return cli_usage(cmd,
                             "--update-lifetime: '%s' is not a "
                             "duration (90s, 30m, 12h, 7d)",
                             arg);
        return CLI_OK;
    default:
        return -1;
    }
}

int kd_push_check(const struct kd_push *p, const char *cmd, int need_device)
{
    if (!p->enabled) {
        if (p->signer || p->device)
            return cli_usage(cmd, "--signer and --device go with --push");
        return CLI_OK;
    }
    if (p->signer == NULL)
        return cli_usage(cmd, "--push needs --signer FILE (the operator's "
                              "signer key)");
    if (need_device && p->device == NULL)
        return cli_usage(cmd, "--push needs --device REQUEST (the output of "
                              "mqttseal enroll on the device)");
    return CLI_OK;
}

static void hex(char *out, const unsigned char *p, size_t n)
{
    sodium_bin2hex(out, 2 * n + 1, p, n);
}

static int b64_32(const char *s, size_t n, unsigned char out[32])
{
    size_t bl = 0;
    const char *end = NULL;

    return n == 44 &&
           sodium_base642bin(out, 32, s, n, NULL, &bl, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           bl == 32 && end == s + n;
}

static int parse_request(char *line, struct kd_request *r)
{
    char *f[6], *save = NULL;
    int n = 0;

    for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && n < 6;
         t = strtok_r(NULL, " \t\r\n", &save))
        f[n++] = t;
    if (n < 4 || n > 5 || strcmp(f[0], "mqttseal-enroll") != 0 ||
        strcmp(f[1], "1") != 0 || strlen(f[2]) != 16 ||
        !b64_32(f[3], strlen(f[3]), r->pk))
        return -1;
    mqttseal_device_id_of(r->id, r->pk);
    hex(r->id_hex, r->id, sizeof r->id);
    return strcmp(r->id_hex, f[2]) == 0 ? 0 : -2;
}

int kd_request_load(const char *path, struct kd_request *r)
{
    char line[512];
    FILE *f = fopen(path, "r");
    int rc = -1;

    if (f == NULL)
        return cli_fail(CLI_FILE, "cannot read enrollment request '%s': %s",
                        path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        rc = parse_request(line, r);
        break;
    }
    fclose(f);
    if (rc == -2)
        return cli_fail(CLI_FILE,
                        "enrollment request '%s': the device id "
                        "is not the hash of its public key",
                        path);
    if (rc != 0)
        return cli_fail(CLI_FILE,
                        "'%s' is not an enrollment request "
                        "('mqttseal-enroll 1 <id> <key>', from "
                        "mqttseal enroll)",
                        path);
    return CLI_OK;
}

int kd_request_path(char *buf, size_t cap, const char *keyring_path)
{
    return (size_t)snprintf(buf, cap, "%s.device", keyring_path) < cap ? 0 : -1;
}

int kd_request_store(const char *req_path, const char *keyring_path)
{
    struct kd_request r;
    char dst[4096], b64[45];
    FILE *f;
    int rc = kd_request_load(req_path, &r);

    if (rc != CLI_OK)
        return rc;
    if (kd_request_path(dst, sizeof dst, keyring_path) != 0 ||
        (f = fopen(dst, "w")) == NULL)
        return cli_fail(CLI_FILE, "cannot write '%s.device'", keyring_path);
    sodium_bin2base64(b64, sizeof b64, r.pk, 32,
                      sodium_base64_VARIANT_ORIGINAL);
    fprintf(f, "mqttseal-enroll 1 %s %s\n", r.id_hex, b64);
    return fclose(f) == 0 ? CLI_OK
                          : cli_fail(CLI_FILE, "cannot write '%s'", dst);
}

/* Versions only grow: the larger of now in ms and the last pushed + 1,
 * remembered in "<keyring>.pushed". */
static uint64_t next_version(const char *keyring_path)
{
    char path[4096];
    struct timeval tv;
    uint64_t last = 0, now;
    FILE *f;

    snprintf(path, sizeof path, "%s.pushed", keyring_path);
    if ((f = fopen(path, "r")) != NULL) {
        char buf[32] = "";
        if (fgets(buf, sizeof buf, f) != NULL)
            last = strtoull(buf, NULL, 10);
        fclose(f);
    }
    gettimeofday(&tv, NULL);
    now = (uint64_t)tv.tv_sec * 1000U + (uint64_t)tv.tv_usec / 1000U;
    now = now > last ? now : last + 1;
    if ((f = fopen(path, "w")) != NULL) {
        fprintf(f, "%" PRIu64 "\n", now);
        fclose(f);
    }
    return now;
}

int kd_push_keyring(const struct kd_push *p, const char *keyring_path,
                    const mqttseal_keyring *kr)
{
    struct kd_request r;
    mqttseal_signer *op = NULL;
    unsigned char *u = NULL;
    char req[4096];
    size_t need = 0;
    uint64_t version;
    int64_t expires = (int64_t)time(NULL) + p->lifetime;
    int rc;

    if (kd_request_path(req, sizeof req, keyring_path) != 0)
        return cli_fail(CLI_FILE, "path too long: %s", keyring_path);
    if (access(req, R_OK) != 0)
        return cli_fail(CLI_FILE,
                        "no enrollment request '%s' for device "
                        "keyring '%s' (grant it once with --push "
                        "--device REQUEST)",
                        req, keyring_path);
    if ((rc = kd_request_load(req, &r)) != CLI_OK ||
        (rc = cli_load_signer(p->signer, &op)) != CLI_OK)
        return rc;
    version = next_version(keyring_path);
    if (mqttseal_update_seal(NULL, 0, &need, op, r.pk, version, expires, kr) !=
            MQTTSEAL_E_BUFFER ||
        (u = malloc(need)) == NULL ||
        mqttseal_update_seal(u, need, &need, op, r.pk, version, expires, kr) !=
            MQTTSEAL_OK) {
        rc =
            cli_fail(CLI_FILE, "cannot seal the update for '%s'", keyring_path);
    } else {
        char topic[1024];
        snprintf(topic, sizeof topic, "%s/%s/keyring", p->prefix, r.id_hex);
        rc = kd_publish_retained(p, topic, u, need);
        if (rc == CLI_OK)
            printf("pushed %s to device %s: update version %" PRIu64
                   " on %s (%zu bytes)\n",
                   keyring_path, r.id_hex, version, topic, need);
    }
    free(u);
    mqttseal_signer_free(op);
    return rc;
}

static int print_request(const mqttseal_device *d, const char *signer)
{
    unsigned char pk[32], id[MQTTSEAL_DEVICEIDBYTES];
    char b64[45], idh[17];

    mqttseal_device_public_key(d, pk);
    mqttseal_device_id_of(id, pk);
    hex(idh, id, sizeof id);
    sodium_bin2base64(b64, sizeof b64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    printf("mqttseal-enroll 1 %s %s", idh, b64);
    if (signer != NULL) {
        mqttseal_signer *s = NULL;
        int rc = cli_load_signer(signer, &s);
        if (rc != CLI_OK)
            return rc;
        mqttseal_signer_public_key(s, pk);
        mqttseal_signer_free(s);
        sodium_bin2base64(b64, sizeof b64, pk, 32,
                          sodium_base64_VARIANT_ORIGINAL);
        printf(" %s", b64);
    }
    printf("\n");
    return CLI_OK;
}

int cmd_enroll(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signer", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const char *signer = NULL, *path;
    mqttseal_device *d = NULL;
    mqttseal_diag diag;
    int c, rc = CLI_OK;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'H') {
            printf("%s%s", enroll_help, cli_exit_help);
            return CLI_OK;
        }
        if (c != 'S')
            return cli_bad_option("enroll", argv, c);
        signer = optarg;
    }
    if (optind != argc - 1)
        return cli_usage("enroll", "name one DEVICE_KEY file");
    path = argv[optind];
    if (access(path, F_OK) == 0) {
        if (mqttseal_device_load_file(&d, path, &diag) != MQTTSEAL_OK)
            return cli_fail(CLI_FILE, "device key '%s': %s", path,
                            diag.message);
        fprintf(stderr,
                "mqttseal enroll: using the existing device key "
                "'%s'\n",
                path);
    } else if (mqttseal_device_generate(&d) != MQTTSEAL_OK ||
               mqttseal_device_save_file(d, path) != MQTTSEAL_OK) {
        mqttseal_device_free(d);
        return cli_fail(CLI_FILE, "cannot create device key '%s'", path);
    }
    if (signer != NULL && access(signer, F_OK) != 0) {
        mqttseal_signer *s = NULL;
        if (mqttseal_signer_generate(&s) != MQTTSEAL_OK ||
            mqttseal_signer_save_file(s, signer) != MQTTSEAL_OK)
            rc = cli_fail(CLI_FILE, "cannot create signer key '%s'", signer);
        mqttseal_signer_free(s);
    }
    if (rc == CLI_OK)
        rc = print_request(d, signer);
    mqttseal_device_free(d);
    return rc;
}
