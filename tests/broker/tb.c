/* Support for the broker suite; see tb.h. */
#include "tb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* ------------------------------------------------------------------ */
/* Files and directories                                               */
/* ------------------------------------------------------------------ */

static char temp_root[256];

static int make_temp_dir(char *out, size_t cap, const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if ((size_t)snprintf(out, cap, "%s/mqttseal-%s-XXXXXX", base, tag) >= cap)
        return -1;
    return mkdtemp(out) != NULL ? 0 : -1;
}

/* Remove a directory and the plain files in it (no recursion needed). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void remove_temp_root(void)
{
    if (temp_root[0] != '\0' && getenv("MQTTSEAL_TEST_KEEP") == NULL)
        remove_dir(temp_root);
}

void tb_temp_path(char *out, size_t cap, const char *name)
{
    if (temp_root[0] == '\0') {
        if (make_temp_dir(temp_root, sizeof temp_root, "test") != 0) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(remove_temp_root);
    }
    snprintf(out, cap, "%s/%s", temp_root, name);
}

unsigned char *tb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            unsigned char *nb = realloc(buf, cap + 65536);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

const void *tb_memmem(const void *hay, size_t hay_len, const void *needle,
                      size_t needle_len)
{
    const unsigned char *h = hay, *n = needle;

    if (needle_len == 0)
        return hay;
    for (size_t i = 0; i + needle_len <= hay_len; i++) {
        if (h[i] == n[0] && memcmp(h + i, n, needle_len) == 0)
            return h + i;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Time and memory                                                     */
/* ------------------------------------------------------------------ */

int64_t tb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tb_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long tb_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* ------------------------------------------------------------------ */
/* Child processes                                                     */
/* ------------------------------------------------------------------ */

pid_t tb_spawn(char *const argv[], const char *out_path)
{
    pid_t parent = getpid();
    pid_t pid = fork();

    if (pid != 0)
        return pid; /* parent, or -1 */
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent)
        _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path != NULL ? out_path : "/dev/null",
                   O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0)
        _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(argv[0], argv);
    if (strchr(argv[0], '/') == NULL) {
        /* mosquitto lives in /usr/sbin, which is not always on PATH. */
        char path[256];
        snprintf(path, sizeof path, "/usr/sbin/%s", argv[0]);
        execv(path, argv);
        snprintf(path, sizeof path, "/usr/local/sbin/%s", argv[0]);
        execv(path, argv);
    }
    _exit(127);
}

int tb_reap(pid_t pid, int sig)
{
    int status;

    if (pid <= 0)
        return -1;
    if (sig != 0)
        kill(pid, sig);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

int tb_wait_exit(pid_t pid, int timeout_ms)
{
    int status;
    int64_t end = tb_now_ms() + timeout_ms;

    do {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        tb_sleep_ms(10);
    } while (tb_now_ms() < end);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Private mosquitto                                                   */
/* ------------------------------------------------------------------ */

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (s < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

static int connectable(int port)
{
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM, 0), ok;

    if (s < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static void print_log(const tb_broker *b)
{
    char path[300];
    size_t len;
    unsigned char *log;

    snprintf(path, sizeof path, "%s/mosquitto.log", b->dir);
    log = tb_read_file(path, &len);
    fprintf(stderr, "mosquitto log (%s):\n%s\n", path,
            log != NULL ? (char *)log : "(none)");
    free(log);
}

static int broker_spawn(tb_broker *b)
{
    char conf[300], log[300];
    char *argv[] = {"mosquitto", "-c", conf, NULL};
    int64_t end;

    snprintf(conf, sizeof conf, "%s/mosquitto.conf", b->dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", b->dir);
    b->pid = tb_spawn(argv, log);
    if (b->pid < 0) {
        b->pid = 0;
        return -1;
    }
    end = tb_now_ms() + 10000;
    while (tb_now_ms() < end) {
        int status;
        if (connectable(b->port))
            return 0;
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            break;
        }
        tb_sleep_ms(20);
    }
    fprintf(stderr, "mosquitto did not start on 127.0.0.1:%d\n", b->port);
    print_log(b);
    tb_broker_kill(b, SIGKILL);
    return -1;
}

int tb_broker_start(tb_broker *b, const char *extra_conf)
{
    char path[300];
    FILE *f;

    memset(b, 0, sizeof *b);
    if (make_temp_dir(b->dir, sizeof b->dir, "broker") != 0)
        return -1;
    b->port = free_port();
    if (b->port <= 0)
        return -1;
    snprintf(b->uri, sizeof b->uri, "tcp://127.0.0.1:%d", b->port);
    snprintf(path, sizeof path, "%s/mosquitto.conf", b->dir);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "listener %d 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            "persistence_location %s/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "%s%s\n",
            b->port, b->dir,
            /* Started as root, mosquitto switches to the user "mosquitto",
             * which cannot write our private directory. */
            geteuid() == 0 ? "user root\n" : "",
            extra_conf != NULL ? extra_conf : "");
    fclose(f);
    return broker_spawn(b);
}

int tb_broker_open(tb_broker *b)
{
    const char *env = getenv("MQTTSEAL_TEST_BROKER_PORT");

    if (env != NULL && env[0] != '\0') {
        long port = strtol(env, NULL, 10);
        if (port <= 0 || port > 65535)
            return -1;
        memset(b, 0, sizeof *b);
        b->shared = 1;
        b->port = (int)port;
        snprintf(b->uri, sizeof b->uri, "tcp://127.0.0.1:%d", b->port);
        return connectable(b->port) ? 0 : -1;
    }
    return tb_broker_start(b, NULL);
}

int tb_broker_kill(tb_broker *b, int sig)
{
    int status;

    if (b->shared || b->pid <= 0)
        return 0;
    status = tb_reap(b->pid, sig);
    b->pid = 0;
    return status;
}

int tb_broker_restart(tb_broker *b)
{
    if (b->shared)
        return -1;
    if (b->pid > 0)
        tb_broker_kill(b, SIGTERM);
    return broker_spawn(b);
}

void tb_broker_stop(tb_broker *b)
{
    if (b->shared)
        return;
    tb_broker_kill(b, SIGTERM);
    if (b->dir[0] != '\0' && getenv("MQTTSEAL_TEST_KEEP") == NULL)
        remove_dir(b->dir);
    b->dir[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Keys, topics and payloads                                           */
/* ------------------------------------------------------------------ */

mqttseal_keyring *tb_keyring_root(uint32_t key_id)
{
    mqttseal_keyring *kr = NULL;

    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK ||
        mqttseal_keyring_generate(kr, key_id) != MQTTSEAL_OK) {
        fprintf(stderr, "cannot make a keyring\n");
        exit(2);
    }
    return kr;
}

mqttseal_keyring *tb_keyring_grant(const mqttseal_keyring *src, uint32_t key_id,
                                   const char *filter)
{
    mqttseal_keyring *kr = NULL;
    int rc;

    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK)
        exit(2);
    rc = mqttseal_keyring_grant(kr, src, key_id, filter);
    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "grant %s: %s\n", filter, mqttseal_strerror(rc));
        exit(2);
    }
    return kr;
}

mqttseal_ctx *tb_ctx(const mqttseal_keyring *kr)
{
    mqttseal_ctx *ctx = NULL;
    int rc = mqttseal_ctx_new(&ctx, kr);

    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "mqttseal_ctx_new: %s\n", mqttseal_strerror(rc));
        exit(2);
    }
    return ctx;
}

void tb_prefix(char *out, size_t cap, const char *name)
{
    static unsigned counter;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "mqttseal-test/%s/%ld-%lx-%u", name, (long)getpid(),
             (unsigned long)ts.tv_nsec, counter++);
}

void tb_client_id(char *out, size_t cap, const char *name)
{
    static atomic_uint counter;

    snprintf(out, cap, "%s-%ld-%u", name, (long)getpid(),
             atomic_fetch_add(&counter, 1));
}

void tb_random(unsigned char *out, size_t len, uint64_t *state)
{
    uint64_t x = *state;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = (unsigned char)(x >> 32);
    }
    *state = x;
}

static size_t payload_len(uint32_t i)
{
    return 24 + (size_t)((i * 37U) % 277U);
}

size_t tb_payload(unsigned char *out, size_t cap, const char *marker,
                  uint32_t seed, uint32_t i)
{
    char head[96];
    size_t len = payload_len(i);
    int hl = snprintf(head, sizeof head, "%s#%u#", marker, i);
    uint64_t state = ((uint64_t)seed << 32 | i) ^ 0x9e3779b97f4a7c15ULL;

    if (hl < 0 || (size_t)hl > len)
        len = (size_t)hl;
    if (len > cap)
        return 0;
    memcpy(out, head, (size_t)hl);
    tb_random(out + hl, len - (size_t)hl, &state);
    return len;
}

long tb_payload_check(const void *msg, size_t len, const char *marker,
                      uint32_t seed)
{
    const unsigned char *p = msg;
    size_t ml = strlen(marker), at;
    unsigned long i = 0;
    unsigned char expect[512];

    if (len < ml + 3 || memcmp(p, marker, ml) != 0 || p[ml] != '#')
        return -1;
    for (at = ml + 1; at < len && p[at] >= '0' && p[at] <= '9'; at++)
        i = i * 10 + (unsigned long)(p[at] - '0');
    if (at == ml + 1 || at >= len || p[at] != '#' || i > UINT32_MAX)
        return -1;
    if (tb_payload(expect, sizeof expect, marker, seed, (uint32_t)i) != len ||
        memcmp(expect, p, len) != 0)
        return -1;
    return (long)i;
}

int tb_free_port(void)
{
    return free_port();
}

int tb_connectable(int port)
{
    return connectable(port);
}
