/* Values on the command line: numbers, durations, times, topics. */
#include "cli.h"
#include "utctime.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

int cli_parse_uint(const char *s, unsigned long long max,
                   unsigned long long *out)
{
    unsigned long long v = 0;

    if (s == NULL || *s == '\0')
        return -1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int64_t unit_seconds(char u)
{
    switch (u) {
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    case 'w':
        return 7 * 86400;
    default:
        return 0;
    }
}

int cli_parse_duration(const char *s, int64_t *seconds)
{
    const int64_t limit = (int64_t)100 * 366 * 86400; /* a century */
    int64_t total = 0;

    if (s == NULL || *s == '\0')
        return -1;
    while (*s) {
        int64_t n = 0, unit;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s)) {
            n = n * 10 + (*s++ - '0');
            if (n > limit)
                return -1;
        }
        unit = *s ? unit_seconds(*s++) : 1;
        if (unit == 0 || n > (limit - total) / unit)
            return -1;
        total += n * unit;
    }
    *seconds = total;
    return 0;
}

/* YYYY-MM-DD (midnight UTC), YYYY-MM-DDTHH:MM:SSZ or @SECONDS. The date
 * arithmetic is the core's (src/utctime.c, compiled in here too), so the
 * CLI and the keyring text agree on every time. */
int cli_parse_time(const char *s, int64_t *unix_seconds)
{
    char full[MS_UTC_LEN + 1];
    unsigned long long v;
    size_t n = s != NULL ? strlen(s) : 0;

    if (s != NULL && s[0] == '@') {
        if (cli_parse_uint(s + 1, (unsigned long long)INT64_MAX / 2, &v))
            return -1;
        *unix_seconds = (int64_t)v;
        return 0;
    }
    if (n == 10) {
        memcpy(full, s, 10);
        memcpy(full + 10, "T00:00:00Z", 11);
        s = full;
        n = MS_UTC_LEN;
    }
    return s != NULL && ms_utc_parse(s, n, unix_seconds) == 0 ? 0 : -1;
}

void cli_format_time(int64_t unix_seconds, char *buf, size_t cap)
{
    char out[MS_UTC_LEN + 1];

    if (unix_seconds < 1 || unix_seconds > MS_UTC_MAX) {
        snprintf(buf, cap, "@%lld", (long long)unix_seconds);
        return;
    }
    ms_utc_format(out, unix_seconds);
    snprintf(buf, cap, "%s", out);
}

int cli_check_topic(const char *cmd, const char *topic)
{
    int rc = mqttseal_topic_check(topic, strlen(topic));

    if (rc == MQTTSEAL_E_TOPIC_EMPTY)
        return cli_usage(cmd, "the topic is empty");
    if (rc != MQTTSEAL_OK)
        return cli_usage(cmd,
                         "'%s' is not a topic name: %s (a message is "
                         "sealed for one exact topic, without '+' or '#')",
                         topic, mqttseal_strerror(rc));
    return CLI_OK;
}
