/* UTC times as the text formats write them: YYYY-MM-DDTHH:MM:SSZ, with
 * no timegm or TZ setting involved. */
#ifndef MQTTSEAL_UTCTIME_H
#define MQTTSEAL_UTCTIME_H

#include <stddef.h>
#include <stdint.h>

/* Latest time the text formats write: 9999-12-31T23:59:59Z. */
#define MS_UTC_MAX INT64_C(253402300799)
#define MS_UTC_LEN 20U

/** Unix seconds of s[0..n). Returns 0, -1 when the shape is wrong, -2
 *  when a field is out of range or the time is not after 1970. */
int ms_utc_parse(const char *s, size_t n, int64_t *out);

/** Write t (1..MS_UTC_MAX) as 20 characters and a NUL. */
void ms_utc_format(char out[MS_UTC_LEN + 1], int64_t t);

#endif
