/*
 * Key distribution in the CLI (issue 14, docs/FORMAT.md section 15):
 * enrollment requests, pushing sealed keyring updates (grant --push,
 * rotate --push), the device agent and the operator's status view.
 */
#ifndef MQTTSEAL_CLI_KD_H
#define MQTTSEAL_CLI_KD_H

#include "cli.h"

#define KD_PREFIX_DEFAULT "mqttseal/ctl"

/* A parsed enrollment request. */
struct kd_request {
    unsigned char id[MQTTSEAL_DEVICEIDBYTES];
    unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES];
    char id_hex[2 * MQTTSEAL_DEVICEIDBYTES + 1];
};

/* What --push needs. */
struct kd_push {
    int enabled;
    const char *host, *prefix, *signer, *device;
    int port;
    int64_t lifetime; /* seconds an update stays valid */
};

/* Long options grant and rotate take for pushing (values 512..). */
enum {
    KD_OPT_PUSH = 512,
    KD_OPT_SIGNER,
    KD_OPT_DEVICE,
    KD_OPT_HOST,
    KD_OPT_PORT,
    KD_OPT_PREFIX,
    KD_OPT_LIFETIME
};
#define KD_PUSH_LONG_OPTIONS                                                   \
    {"push", no_argument, NULL, KD_OPT_PUSH},                                  \
        {"signer", required_argument, NULL, KD_OPT_SIGNER},                    \
        {"device", required_argument, NULL, KD_OPT_DEVICE},                    \
        {"host", required_argument, NULL, KD_OPT_HOST},                        \
        {"port", required_argument, NULL, KD_OPT_PORT},                        \
        {"control-prefix", required_argument, NULL, KD_OPT_PREFIX},            \
    {                                                                          \
        "update-lifetime", required_argument, NULL, KD_OPT_LIFETIME            \
    }

extern const char kd_push_help[];

void kd_push_init(struct kd_push *p);
/* Handle option c; -1 if it is not a push option, else an exit code. */
int kd_push_option(struct kd_push *p, const char *cmd, int c, const char *arg);
/* After parsing: --push needs --signer (grant: --device too). */
int kd_push_check(const struct kd_push *p, const char *cmd, int need_device);

/* Parse a request line (from a file's first non-comment line). */
int kd_request_load(const char *path, struct kd_request *r);

/* "<device keyring>.device": where grant --push keeps the request. */
int kd_request_path(char *buf, size_t cap, const char *keyring_path);

/* Seal kr for the device of keyring_path's request and publish it
 * retained on <prefix>/<id>/keyring. Prints one line. Exit code. */
int kd_push_keyring(const struct kd_push *p, const char *keyring_path,
                    const mqttseal_keyring *kr);

/* Copy the request file next to the device keyring (grant --push). */
int kd_request_store(const char *req_path, const char *keyring_path);

/* MQTT side (kd_mqtt.c, or a stub without Paho). */
int kd_publish_retained(const struct kd_push *p, const char *topic,
                        const unsigned char *payload, size_t len);

int cmd_enroll(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
