/* Trust lists: which signers a receiver accepts, on which MQTT filters,
 * until when, and which filters require a signature. */
#include "trust.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "trust_internal.h"

/* ---- MQTT filters ----------------------------------------------------- */

int ms_mqtt_filter_check(const char *f, size_t n)
{
    size_t start = 0;

    if (f == NULL || n == 0 || n > MQTTSEAL_TOPIC_MAX ||
        memchr(f, '\0', n) != NULL) {
        return MQTTSEAL_E_FILTER;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i < n && f[i] != '/') {
            continue;
        }
        size_t len = i - start;
        const char *lv = f + start;
        int wild = memchr(lv, '+', len) != NULL || memchr(lv, '#', len) != NULL;
        if (wild && (len != 1 || (lv[0] == '#' && i != n))) {
            return MQTTSEAL_E_FILTER;
        }
        start = i + 1;
    }
    return MQTTSEAL_OK;
}

/* Length of the level starting at s (up to '/' or end). */
static size_t level_len(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    return slash != NULL ? (size_t)(slash - s) : n;
}

int ms_mqtt_filter_match(const char *f, size_t fn, const char *t, size_t tn)
{
    size_t fi = 0, ti = 0;

    for (;;) {
        size_t fl = level_len(f + fi, fn - fi);
        if (fl == 1 && f[fi] == '#') {
            return 1; /* also "a/#" against "a": t ended at the level */
        }
        if (ti > tn) {
            return 0; /* topic ran out while the filter has levels */
        }
        size_t tl = level_len(t + ti, tn - ti);
        if (!(fl == 1 && f[fi] == '+') &&
            (fl != tl || memcmp(f + fi, t + ti, fl) != 0)) {
            return 0;
        }
        fi += fl + 1;
        ti += tl + 1;
        if (fi > fn) {
            return ti > tn;
        }
    }
}

/* ---- Entries ---------------------------------------------------------- */

int ms_trust_name_ok(const char *name, size_t n)
{
    if (n == 0 || n > MS_TRUST_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

int mqttseal_trust_new(mqttseal_trust **out)
{
    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = calloc(1, sizeof **out);
    return *out != NULL ? MQTTSEAL_OK : MQTTSEAL_E_NOMEM;
}

static void filters_free(ms_filter *f, size_t n)
{
    for (size_t i = 0; f != NULL && i < n; i++) {
        free(f[i].s);
    }
    free(f);
}

void mqttseal_trust_free(mqttseal_trust *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->count; i++) {
        filters_free(t->signers[i].filters, t->signers[i].nfilters);
    }
    free(t->signers);
    filters_free(t->require, t->nrequire);
    free(t);
}

/* Copies n counted filters; *out is NULL on failure. */
static int filters_dup(ms_filter **out, const ms_filter *in, size_t n)
{
    ms_filter *f = calloc(n > 0 ? n : 1, sizeof *f);

    *out = NULL;
    for (size_t i = 0; f != NULL && i < n; i++) {
        if ((f[i].s = malloc(in[i].n + 1)) == NULL) {
            filters_free(f, i);
            return MQTTSEAL_E_NOMEM;
        }
        memcpy(f[i].s, in[i].s, in[i].n);
        f[i].s[in[i].n] = '\0';
        f[i].n = in[i].n;
    }
    *out = f;
    return f != NULL ? MQTTSEAL_OK : MQTTSEAL_E_NOMEM;
}

static const ms_tsigner *find(const mqttseal_trust *t,
                              const unsigned char id[MQTTSEAL_SIGNERIDBYTES])
{
    for (size_t i = 0; i < t->count; i++) {
        /* Signer ids are public; sodium_memcmp only keeps src/ free of
         * memcmp on key-derived bytes. */
        if (sodium_memcmp(t->signers[i].id, id, MQTTSEAL_SIGNERIDBYTES) == 0) {
            return &t->signers[i];
        }
    }
    return NULL;
}

static int grow(void **p, size_t *cap, size_t count, size_t elem)
{
    size_t ncap = *cap != 0 ? *cap * 2 : 4;
    void *np;

    if (count < *cap) {
        return MQTTSEAL_OK;
    }
    if ((np = realloc(*p, ncap * elem)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    *p = np;
    *cap = ncap;
    return MQTTSEAL_OK;
}

static int check_entry(const mqttseal_trust *t, const char *name,
                       size_t name_len, const unsigned char *pk,
                       const ms_filter *filters, size_t n_filters,
                       int64_t expires)
{
    unsigned char id[MQTTSEAL_SIGNERIDBYTES];

    if (t == NULL || pk == NULL || filters == NULL || n_filters == 0 ||
        expires < 0 || !ms_trust_name_ok(name, name_len)) {
        return MQTTSEAL_E_INVALID;
    }
    for (size_t i = 0; i < n_filters; i++) {
        if (ms_mqtt_filter_check(filters[i].s, filters[i].n) != MQTTSEAL_OK) {
            return MQTTSEAL_E_FILTER;
        }
    }
    mqttseal_signer_id_of(id, pk);
    return find(t, id) != NULL ? MQTTSEAL_E_DUPLICATE_KEY : MQTTSEAL_OK;
}

int ms_trust_add_n(mqttseal_trust *t, const char *name, size_t name_len,
                   const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES],
                   const ms_filter *filters, size_t n_filters, int64_t expires)
{
    ms_tsigner e;
    int rc = check_entry(t, name, name_len, pk, filters, n_filters, expires);

    if (rc == MQTTSEAL_OK) {
        rc = grow((void **)&t->signers, &t->cap, t->count, sizeof e);
    }
    if (rc == MQTTSEAL_OK) {
        memset(&e, 0, sizeof e);
        rc = filters_dup(&e.filters, filters, n_filters);
    }
    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    memcpy(e.pk, pk, sizeof e.pk);
    mqttseal_signer_id_of(e.id, pk);
    memcpy(e.name, name, name_len);
    e.expires = expires;
    e.nfilters = n_filters;
    t->signers[t->count++] = e;
    return MQTTSEAL_OK;
}

int mqttseal_trust_add(mqttseal_trust *t, const char *name,
                       const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES],
                       const char *const *filters, size_t n_filters,
                       int64_t expires)
{
    ms_filter *f;
    int rc;

    if (name == NULL || filters == NULL || n_filters == 0 ||
        n_filters > 65535) {
        return MQTTSEAL_E_INVALID;
    }
    if ((f = calloc(n_filters, sizeof *f)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    for (size_t i = 0; i < n_filters; i++) {
        f[i].s = (char *)(uintptr_t)filters[i];
        f[i].n = filters[i] != NULL ? strlen(filters[i]) : 0;
    }
    rc = ms_trust_add_n(t, name, strlen(name), pk, f, n_filters, expires);
    free(f);
    return rc;
}

int ms_trust_require_n(mqttseal_trust *t, const char *filter, size_t n)
{
    ms_filter in = {(char *)(uintptr_t)filter, n}, *copy = NULL;
    int rc;

    if (t == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if (ms_mqtt_filter_check(filter, n) != MQTTSEAL_OK) {
        return MQTTSEAL_E_FILTER;
    }
    rc = grow((void **)&t->require, &t->require_cap, t->nrequire, sizeof in);
    if (rc == MQTTSEAL_OK) {
        rc = filters_dup(&copy, &in, 1);
    }
    if (rc == MQTTSEAL_OK) {
        t->require[t->nrequire++] = copy[0];
        free(copy);
    }
    return rc;
}

int mqttseal_trust_require(mqttseal_trust *t, const char *filter)
{
    if (filter == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    return ms_trust_require_n(t, filter, strlen(filter));
}

int ms_trust_copy(mqttseal_trust **out, const mqttseal_trust *t)
{
    mqttseal_trust *c = NULL;
    int rc = mqttseal_trust_new(&c);

    for (size_t i = 0; rc == MQTTSEAL_OK && i < t->count; i++) {
        const ms_tsigner *e = &t->signers[i];
        rc = ms_trust_add_n(c, e->name, strlen(e->name), e->pk, e->filters,
                            e->nfilters, e->expires);
    }
    for (size_t i = 0; rc == MQTTSEAL_OK && i < t->nrequire; i++) {
        rc = ms_trust_require_n(c, t->require[i].s, t->require[i].n);
    }
    if (rc != MQTTSEAL_OK) {
        mqttseal_trust_free(c);
        return rc;
    }
    *out = c;
    return MQTTSEAL_OK;
}

int mqttseal_trust_name(const mqttseal_trust *t,
                        const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                        char *buf, size_t cap)
{
    const ms_tsigner *e;

    if (t == NULL || id == NULL || (buf == NULL && cap != 0)) {
        return MQTTSEAL_E_INVALID;
    }
    if ((e = find(t, id)) == NULL) {
        return MQTTSEAL_E_SIGNER_UNKNOWN;
    }
    if (buf == NULL || strlen(e->name) >= cap) {
        return MQTTSEAL_E_BUFFER;
    }
    memcpy(buf, e->name, strlen(e->name) + 1);
    return MQTTSEAL_OK;
}

/* ---- The open path ---------------------------------------------------- */

static int any_match(const ms_filter *f, size_t n, const char *t, size_t tn)
{
    for (size_t i = 0; i < n; i++) {
        if (ms_mqtt_filter_match(f[i].s, f[i].n, t, tn)) {
            return 1;
        }
    }
    return 0;
}

int ms_trust_check(const mqttseal_trust *t,
                   const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                   const char *topic, size_t topic_len, int64_t now_s,
                   const unsigned char **pk)
{
    const ms_tsigner *e = t != NULL ? find(t, id) : NULL;

    if (e == NULL) {
        return MQTTSEAL_E_SIGNER_UNKNOWN;
    }
    if (e->expires != 0 && now_s >= e->expires) {
        return MQTTSEAL_E_SIGNER_EXPIRED;
    }
    if (!any_match(e->filters, e->nfilters, topic, topic_len)) {
        return MQTTSEAL_E_SIGNER_NOT_GRANTED;
    }
    *pk = e->pk;
    return MQTTSEAL_OK;
}

int ms_trust_required(const mqttseal_trust *t, const char *topic,
                      size_t topic_len)
{
    return t != NULL && any_match(t->require, t->nrequire, topic, topic_len);
}

int ms_trust_lookup(const mqttseal_trust *t,
                    const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                    int64_t now_s, const ms_tsigner **out)
{
    const ms_tsigner *e = t != NULL ? find(t, id) : NULL;

    if (e == NULL) {
        return MQTTSEAL_E_SIGNER_UNKNOWN;
    }
    if (e->expires != 0 && now_s >= e->expires) {
        return MQTTSEAL_E_SIGNER_EXPIRED;
    }
    *out = e;
    return MQTTSEAL_OK;
}
