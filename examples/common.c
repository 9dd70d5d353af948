/* Flags, errors, message sources and the subscriber loop (see common.h). */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTClient.h>

#ifdef EX_SEALED
#include <mqttseal/paho.h>
#endif

static volatile sig_atomic_t ex_stop;
static const char *ex_prog = "example";
static const char *ex_broker; /* named in connect errors */

static void on_signal(int sig)
{
    (void)sig;
    ex_stop = 1;
}

_Noreturn void ex_die(const char *what, const char *detail)
{
    if (strcmp(what, "connect") == 0 && ex_broker != NULL) {
        fprintf(stderr, "%s: connect to %s: %s\n", ex_prog, ex_broker, detail);
    } else {
        fprintf(stderr, "%s: %s: %s\n", ex_prog, what, detail);
    }
    exit(1);
}

static const char *ex_strerror(int rc)
{
#ifdef EX_SEALED
    return mqttseal_paho_strerror(rc);
#else
    const char *s = MQTTClient_strerror(rc);
    return s != NULL ? s : "unknown error";
#endif
}

void ex_check(int rc, const char *what)
{
    char buf[200];

    if (rc == 0) {
        return;
    }
    snprintf(buf, sizeof buf, "%s (code %d)", ex_strerror(rc), rc);
    ex_die(what, buf);
}

static _Noreturn void usage(const ex_opts *o, enum ex_kind kind)
{
    fprintf(stderr,
            "usage: %s -t TOPIC [-b URI] [-k KEYRING] [-q 0|1|2] "
            "[-V 311|5] [-i ID]\n%s",
            o->prog,
            kind == EX_PUB
                ? "         [-m MESSAGE [-n COUNT]] [-r] [-L WILL_TOPIC] [-T]\n"
                  "  Publishes MESSAGE COUNT times, or each line of stdin.\n"
                : "         [-C COUNT] [-W SECONDS] [-v]\n"
                  "  Prints each message received; -C exits after COUNT.\n");
    exit(1);
}

static long number(const ex_opts *o, const char *flag, const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0) {
        char buf[64];

        snprintf(buf, sizeof buf, "not a count: '%s'", s);
        (void)o;
        ex_die(flag, buf);
    }
    return v;
}

static void set_version(ex_opts *o, const char *s)
{
    if (strcmp(s, "311") == 0 || strcmp(s, "31") == 0) {
        o->version = MQTTVERSION_3_1_1;
    } else if (strcmp(s, "5") == 0) {
        o->version = MQTTVERSION_5;
    } else {
        ex_die("-V", "MQTT version must be 311 or 5");
    }
}

static void defaults(ex_opts *o, const char *argv0)
{
    const char *slash = strrchr(argv0, '/');

    memset(o, 0, sizeof *o);
    o->prog = slash != NULL ? slash + 1 : argv0;
    ex_prog = o->prog;
    o->broker = "tcp://127.0.0.1:1883";
    o->version = MQTTVERSION_3_1_1;
    o->count = 1;
}

/* -b -t -k -m -i -L: 1 when c was one of them. */
static int string_flag(ex_opts *o, int c)
{
    static const char letters[] = "btkmiL";
    const char **slots[] = {&o->broker,  &o->topic,     &o->keyring,
                            &o->message, &o->client_id, &o->will};
    const char *at = strchr(letters, c);

    if (c == 0 || at == NULL) {
        return 0;
    }
    *slots[at - letters] = optarg;
    return 1;
}

static void parse_flag(ex_opts *o, int c, enum ex_kind kind)
{
    if (string_flag(o, c)) {
        return;
    }
    switch (c) {
    case 'n':
        o->count = number(o, "-n", optarg);
        break;
    case 'C':
        o->limit = number(o, "-C", optarg);
        break;
    case 'W':
        o->timeout = (int)number(o, "-W", optarg);
        break;
    case 'q':
        o->qos = (int)number(o, "-q", optarg);
        break;
    case 'V':
        set_version(o, optarg);
        break;
    case 'r':
        o->retained = 1;
        break;
    case 'v':
        o->verbose = 1;
        break;
    case 'T':
        o->content_type = 1;
        break;
    default:
        usage(o, kind);
    }
}

void ex_parse(int argc, char **argv, ex_opts *o, enum ex_kind kind)
{
    int c;

    defaults(o, argv[0]);
    while ((c = getopt(argc, argv, "b:t:k:m:i:L:n:C:W:q:V:rvTh")) != -1) {
        parse_flag(o, c, kind);
    }
    ex_broker = o->broker;
    if (optind != argc || o->topic == NULL) {
        usage(o, kind);
    }
    if (o->qos > 2) {
        ex_die("-q", "QoS must be 0, 1 or 2");
    }
#ifdef EX_SEALED
    if (o->keyring == NULL) {
        ex_die("-k", "a keyring file is required");
    }
#endif
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *ex_next_message(ex_opts *o)
{
    size_t n;

    if (ex_stop) {
        return NULL;
    }
    if (o->message != NULL) {
        return o->sent < o->count ? (o->sent++, o->message) : NULL;
    }
    if (fgets(o->line, sizeof o->line, stdin) == NULL) {
        return NULL;
    }
    n = strlen(o->line);
    if (n > 0 && o->line[n - 1] == '\n') {
        o->line[n - 1] = '\0';
    }
    o->sent++;
    return o->line;
}

const char *ex_client_id(const ex_opts *o, char *buf, size_t cap)
{
    if (o->client_id != NULL) {
        return o->client_id;
    }
    snprintf(buf, cap, "%s-%ld", o->prog, (long)getpid());
    return buf;
}

void ex_sub_init(ex_sub *s, const ex_opts *o)
{
    s->o = o;
    atomic_init(&s->received, 0);
    atomic_init(&s->lost, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
}

void ex_sub_destroy(ex_sub *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

void ex_sub_wake(ex_sub *s)
{
    pthread_mutex_lock(&s->lock);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void ex_sub_print(ex_sub *s, const char *topic, int topic_len,
                  const void *payload, int len)
{
    long n;

    if (s->o->limit > 0 && atomic_load(&s->received) >= s->o->limit) {
        return; /* past -C: drop quietly while shutting down */
    }
    if (s->o->verbose) {
        printf("%.*s ", topic_len > 0 ? topic_len : (int)strlen(topic), topic);
    }
    printf("%.*s\n", len, (const char *)payload);
    n = atomic_fetch_add(&s->received, 1) + 1;
    if (s->o->limit > 0 && n >= s->o->limit) {
        ex_sub_wake(s);
    }
}

void ex_sub_lost(ex_sub *s, const char *cause)
{
    fprintf(stderr, "%s: connection lost%s%s\n", s->o->prog,
            cause != NULL ? ": " : "", cause != NULL ? cause : "");
    atomic_store(&s->lost, 1);
    ex_sub_wake(s);
}

void ex_sub_ready(const ex_opts *o)
{
    fprintf(stderr, "%s: subscribed to %s\n", o->prog, o->topic);
}

static int sub_done(ex_sub *s)
{
    return ex_stop || atomic_load(&s->lost) ||
           (s->o->limit > 0 && atomic_load(&s->received) >= s->o->limit);
}

static int sub_status(ex_sub *s, int timed_out)
{
    if (atomic_load(&s->lost)) {
        return 1;
    }
    if (timed_out) {
        fprintf(stderr, "%s: timed out after %d s with %ld of %ld messages\n",
                s->o->prog, s->o->timeout, (long)atomic_load(&s->received),
                s->o->limit);
        return 1;
    }
    return 0;
}

int ex_sub_wait(ex_sub *s)
{
    struct timespec end, tick;
    int timed_out = 0;

    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += s->o->timeout;
    pthread_mutex_lock(&s->lock);
    while (!sub_done(s)) {
        clock_gettime(CLOCK_REALTIME, &tick);
        if (s->o->timeout > 0 && tick.tv_sec >= end.tv_sec) {
            timed_out = 1;
            break;
        }
        tick.tv_nsec += 100000000L; /* re-check signals every 100 ms */
        if (tick.tv_nsec >= 1000000000L) {
            tick.tv_sec++;
            tick.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &tick);
    }
    pthread_mutex_unlock(&s->lock);
    return sub_status(s, timed_out);
}

void ex_latch_init(ex_latch *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
}

void ex_latch_destroy(ex_latch *l)
{
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
}

void ex_latch_set(ex_latch *l, int rc, const char *why)
{
    pthread_mutex_lock(&l->lock);
    l->rc = rc;
    snprintf(l->why, sizeof l->why, "%s", why != NULL ? why : "");
    l->done = 1;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

void ex_latch_wait(ex_latch *l, int seconds, const char *what)
{
    struct timespec end;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += seconds;
    pthread_mutex_lock(&l->lock);
    while (!l->done && rc == 0) {
        rc = pthread_cond_timedwait(&l->cond, &l->lock, &end);
    }
    pthread_mutex_unlock(&l->lock);
    if (!l->done) {
        ex_die(what, "timed out");
    }
    if (l->rc != 0 && l->why[0] != '\0') {
        ex_die(what, l->why);
    }
    ex_check(l->rc, what);
    l->done = 0; /* ready for the next operation */
}

void ex_on_success(void *context, MQTTAsync_successData *d)
{
    (void)d;
    ex_latch_set(context, 0, NULL);
}

void ex_on_failure(void *context, MQTTAsync_failureData *d)
{
    ex_latch_set(context, d != NULL && d->code != 0 ? d->code : -1,
                 d != NULL ? d->message : NULL);
}

void ex_on_success5(void *context, MQTTAsync_successData5 *d)
{
    (void)d;
    ex_latch_set(context, 0, NULL);
}

void ex_on_failure5(void *context, MQTTAsync_failureData5 *d)
{
    char why[96];

    if (d != NULL && d->message == NULL && d->reasonCode != 0) {
        snprintf(why, sizeof why, "%s", MQTTReasonCode_toString(d->reasonCode));
    } else {
        snprintf(why, sizeof why, "%s",
                 d != NULL && d->message != NULL ? d->message : "");
    }
    ex_latch_set(context, d != NULL && d->code != 0 ? d->code : -1, why);
}

#ifdef EX_SEALED
static void print_rejection(void *context, const mqttseal_paho_rejection *r)
{
    const ex_opts *o = context;

    fprintf(stderr, "%s: rejected a message on '%.*s': %s\n", o->prog,
            (int)r->topic_len, r->topic, mqttseal_paho_strerror(r->reason));
}

struct mqttseal_paho *ex_keyring(const ex_opts *o)
{
    mqttseal_diag diag;
    mqttseal_paho *ms = mqttseal_paho_load(o->keyring, &diag);

    if (ms == NULL) {
        ex_die("keyring", diag.message);
    }
    if (o->content_type) {
        ex_check(mqttseal_paho_set_options(ms, MQTTSEAL_PAHO_OPT_CONTENT_TYPE),
                 "options");
    }
    /* o outlives ms: the programs free ms before returning from main. */
    ex_check(mqttseal_paho_set_reject_callback(ms, print_rejection,
                                               (void *)(uintptr_t)o),
             "reject callback");
    return ms;
}
#endif
