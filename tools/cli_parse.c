/* Values on the command line: numbers, durations, times, topics. */
#include "cli.h"

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

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned mp = m > 2 ? m - 3 : m + 9;
    unsigned doy = (153 * mp + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

int cli_parse_time(const char *s, int64_t *unix_seconds)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    unsigned long long v;

    if (s != NULL && s[0] == '@') {
        if (cli_parse_uint(s + 1, (unsigned long long)INT64_MAX / 2, &v))
            return -1;
        *unix_seconds = (int64_t)v;
        return 0;
    }
    if (s == NULL || strlen(s) < 10)
        return -1;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    if (s[10] != '\0') {
        int m = 0;
        if (sscanf(s + 10, "T%2d:%2d:%2dZ%n", &h, &mi, &se, &m) != 3 ||
            m != 10 || s[20] != '\0')
            return -1;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > month_days(y, mo) || h > 23 || mi > 59 || se > 59 || h < 0 ||
        mi < 0 || se < 0)
        return -1;
    *unix_seconds = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                    h * 3600 + mi * 60 + se;
    return 0;
}

void cli_format_time(int64_t unix_seconds, char *buf, size_t cap)
{
    struct tm tm;
    time_t t = (time_t)unix_seconds;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "@%lld", (long long)unix_seconds);
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
