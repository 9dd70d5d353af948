/* UTC times in the text formats (keyring, trust list). */
#include "utctime.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so that no timegm or TZ setting is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, unsigned v[3])
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    v[2] = doy - (153 * mp + 2) / 5 + 1;
    v[1] = mp < 10 ? mp + 3 : mp - 9;
    v[0] = (unsigned)(yoe + era * 400 + (v[1] <= 2));
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dim[m - 1] + (m == 2 && leap);
}

int ms_utc_parse(const char *s, size_t n, int64_t *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    static const unsigned at[6] = {0, 5, 8, 11, 14, 17};
    unsigned v[6];

    if (n != sizeof shape - 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i])
            return -1;
    }
    for (size_t k = 0; k < 6; k++) {
        const char *p = s + at[k];
        v[k] = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    }
    v[0] = v[0] * 100 + (unsigned)(s[2] - '0') * 10 + (unsigned)(s[3] - '0');
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        v[2] > days_in_month(v[0], v[1]) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return -2;
    *out = days_from_civil(v[0], v[1], v[2]) * 86400 +
           (int64_t)(v[3] * 3600 + v[4] * 60 + v[5]);
    return *out >= 1 ? 0 : -2; /* 0 would read back as "never" */
}

void ms_utc_format(char out[MS_UTC_LEN + 1], int64_t t)
{
    char buf[64];
    unsigned d[3];
    unsigned s = (unsigned)(t % 86400);

    civil_from_days(t / 86400, d);
    snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02uZ", d[0], d[1],
             d[2], s / 3600, s / 60 % 60, s % 60);
    memcpy(out, buf, MS_UTC_LEN);
    out[MS_UTC_LEN] = '\0';
}
