/* A private redis-server on 127.0.0.1 (tr.h). */
#include "tr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

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
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* Connectable and answering: anything but -LOADING (an AOF being
 * replayed) to a PING; -NOAUTH counts as ready. */
static int ready(int port)
{
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
    char buf[64] = {0};

    if (s < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        write(s, "PING\r\n", 6) == 6 && read(s, buf, sizeof buf - 1) > 0)
        ok = strncmp(buf, "-LOADING", 8) != 0;
    close(s);
    return ok;
}

static int spawn(tr_redis *r)
{
    char conf[260], log[260];
    pid_t parent = getpid();

    snprintf(conf, sizeof conf, "%s/redis.conf", r->dir);
    snprintf(log, sizeof log, "%s/redis.out", r->dir);
    r->pid = fork();
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        if (freopen(log, "a", stdout) == NULL)
            _exit(126);
        dup2(1, 2);
        execlp("redis-server", "redis-server", conf, (char *)NULL);
        execl("/usr/bin/redis-server", "redis-server", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; r->pid > 0 && i < 500; i++) {
        int st;
        if (ready(r->port) && access(r->sock, F_OK) == 0)
            return 0;
        if (waitpid(r->pid, &st, WNOHANG) == r->pid)
            break;
        sleep_ms(20);
    }
    fprintf(stderr, "redis-server did not start on 127.0.0.1:%d (see %s)\n",
            r->port, log);
    tr_redis_kill(r, SIGKILL);
    return -1;
}

int tr_redis_start(tr_redis *r, int aof, const char *extra_conf)
{
    char path[260];
    const char *tmp = getenv("TMPDIR");
    FILE *f;

    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s/mqttseal-redis-XXXXXX",
             tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(r->dir) == NULL || (r->port = free_port()) <= 0)
        return -1;
    snprintf(r->sock, sizeof r->sock, "%s/redis.sock", r->dir);
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d", r->port);
    snprintf(path, sizeof path, "%s/redis.conf", r->dir);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fprintf(f,
            "bind 127.0.0.1\nport %d\nprotected-mode yes\n"
            "unixsocket %s\nunixsocketperm 700\n"
            "dir %s\nlogfile \"\"\ndaemonize no\nsave \"\"\n"
            "appendonly %s\nappendfsync always\n%s\n",
            r->port, r->sock, r->dir, aof ? "yes" : "no",
            extra_conf != NULL ? extra_conf : "");
    fclose(f);
    return spawn(r);
}

int tr_redis_start_tls(tr_redis *r, const char *certdir,
                       const char *auth_clients, const char *extra_conf)
{
    char conf[2048];
    int port = free_port(), rc;

    if (port <= 0)
        return -1;
    snprintf(conf, sizeof conf,
             "tls-port %d\ntls-cert-file %s/server.crt\n"
             "tls-key-file %s/server.key\ntls-ca-cert-file %s/ca.crt\n"
             "tls-auth-clients %s\n%s\n",
             port, certdir, certdir, certdir, auth_clients,
             extra_conf != NULL ? extra_conf : "");
    rc = tr_redis_start(r, 0, conf);
    r->tls_port = port;
    return rc;
}

void tr_redis_kill(tr_redis *r, int sig)
{
    int st;

    if (r->pid <= 0)
        return;
    kill(r->pid, sig != 0 ? sig : SIGTERM);
    while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->pid = 0;
}

int tr_redis_restart(tr_redis *r)
{
    tr_redis_kill(r, SIGTERM);
    return spawn(r);
}

void tr_redis_stop(tr_redis *r)
{
    char cmd[300];

    tr_redis_kill(r, SIGTERM);
    if (r->dir[0] != '\0' && getenv("MQTTSEAL_TEST_KEEP") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", r->dir);
    }
    r->dir[0] = '\0';
}
