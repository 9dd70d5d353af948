/* mqttseal sub -F FORMAT (sub_format.c). */
#ifndef MQTTSEAL_CLI_SUB_FORMAT_H
#define MQTTSEAL_CLI_SUB_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include <MQTTClient.h>

/* The help text of -F. */
#define SUB_FORMAT_HELP                                                        \
    "  -F FORMAT             print each message as FORMAT instead (then a\n"   \
    "                        newline unless -N): %t topic, %p payload, %l\n"   \
    "                        its length, %x/%X payload in hex, %q QoS, %r\n"   \
    "                        retained (0/1), %m message id, %I ISO 8601\n"     \
    "                        time, %U Unix time with nanoseconds; MQTT 5\n"    \
    "                        properties: %C content type, %D correlation\n"    \
    "                        data, %E message expiry, %P user properties\n"    \
    "                        (NAME:VALUE ...), %R response topic; %%; and\n"   \
    "                        \\n \\t \\\\ \\0 \\a \\b \\e \\f \\r \\v\n"

/* 0 if fmt uses only known specifiers and escapes; else -1 with the bad
 * letter in *bad. */
int sub_format_check(const char *fmt, char *bad);

/* Print opened message m on topic (tlen bytes) as fmt (checked). */
void sub_format_print(FILE *out, const char *fmt, const char *topic,
                      size_t tlen, MQTTClient_message *m);

#endif
