/*
 * mqttseal sub -F: mosquitto_sub's output format specifiers that make
 * sense for opened messages (the payload is the plaintext).
 */
#include "sub_format.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The specifiers sub_format_print knows, after '%'. */
static const char format_letters[] = "%tplqrmxXIUCDEPR";

int sub_format_check(const char *fmt, char *bad)
{
    for (const char *f = fmt; *f != '\0'; f++) {
        if (*f == '%') {
            if (f[1] == '\0' || strchr(format_letters, f[1]) == NULL) {
                *bad = f[1] == '\0' ? '%' : f[1];
                return -1;
            }
            f++;
        } else if (*f == '\\') {
            if (f[1] == '\0' || strchr("\\0abefnrtv", f[1]) == NULL) {
                *bad = f[1] == '\0' ? '\\' : f[1];
                return -1;
            }
            f++;
        }
    }
    return 0;
}

static void put_hex(FILE *out, const unsigned char *p, size_t n, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        fputc(digits[p[i] >> 4], out);
        fputc(digits[p[i] & 15], out);
    }
}

/* %I: ISO 8601 local time with its offset, as mosquitto_sub prints it. */
static void put_time(FILE *out, int unix_ns)
{
    struct timespec now;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &now);
    if (unix_ns) {
        fprintf(out, "%lld.%09ld", (long long)now.tv_sec, now.tv_nsec);
        return;
    }
    localtime_r(&now.tv_sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
    fputs(buf, out);
}

static void put_prop(FILE *out, MQTTProperties *props,
                     enum MQTTPropertyCodes code)
{
    MQTTProperty *p = MQTTProperties_getProperty(props, code);

    if (p == NULL)
        return;
    if (code == MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL)
        fprintf(out, "%u", (unsigned)p->value.integer4);
    else
        fwrite(p->value.data.data, 1, (size_t)p->value.data.len, out);
}

/* %P: every user property as NAME:VALUE, separated by spaces. */
static void put_user_props(FILE *out, const MQTTProperties *props)
{
    int first = 1;

    for (int i = 0; i < props->count; i++) {
        const MQTTProperty *p = &props->array[i];
        if (p->identifier != MQTTPROPERTY_CODE_USER_PROPERTY)
            continue;
        if (!first)
            fputc(' ', out);
        first = 0;
        fwrite(p->value.data.data, 1, (size_t)p->value.data.len, out);
        fputc(':', out);
        fwrite(p->value.value.data, 1, (size_t)p->value.value.len, out);
    }
}

static void put_spec(FILE *out, char c, const char *topic, size_t tlen,
                     MQTTClient_message *m)
{
    const unsigned char *pl = m->payload;
    size_t n = (size_t)m->payloadlen;

    switch (c) {
    case '%':
        fputc('%', out);
        break;
    case 't':
        fwrite(topic, 1, tlen, out);
        break;
    case 'p':
        fwrite(pl, 1, n, out);
        break;
    case 'l':
        fprintf(out, "%zu", n);
        break;
    case 'q':
        fprintf(out, "%d", m->qos);
        break;
    case 'r':
        fputc(m->retained ? '1' : '0', out);
        break;
    case 'm':
        fprintf(out, "%d", m->msgid);
        break;
    case 'x':
    case 'X':
        put_hex(out, pl, n, c == 'X');
        break;
    case 'I':
    case 'U':
        put_time(out, c == 'U');
        break;
    case 'C':
        put_prop(out, &m->properties, MQTTPROPERTY_CODE_CONTENT_TYPE);
        break;
    case 'D':
        put_prop(out, &m->properties, MQTTPROPERTY_CODE_CORRELATION_DATA);
        break;
    case 'E':
        put_prop(out, &m->properties,
                 MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL);
        break;
    case 'P':
        put_user_props(out, &m->properties);
        break;
    case 'R':
        put_prop(out, &m->properties, MQTTPROPERTY_CODE_RESPONSE_TOPIC);
        break;
    default:
        break;
    }
}

static char unescape(char c)
{
    static const char from[] = "\\0abefnrtv";
    static const char to[] = "\\\0\a\b\033\f\n\r\t\v";

    return to[strchr(from, c) - from];
}

void sub_format_print(FILE *out, const char *fmt, const char *topic,
                      size_t tlen, MQTTClient_message *m)
{
    for (const char *f = fmt; *f != '\0'; f++) {
        if (*f == '%' && f[1] != '\0')
            put_spec(out, *++f, topic, tlen, m);
        else if (*f == '\\' && f[1] != '\0')
            fputc(unescape(*++f), out);
        else
            fputc(*f, out);
    }
}
