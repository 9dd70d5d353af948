/*
 * Fallback main for the fuzz harnesses when they are built without
 * libFuzzer (-Dfuzzing=false, the default): every argument is a file or
 * a directory of files, and each file is passed once to
 * LLVMFuzzerTestOneInput, in name order. This is how a normal build
 * compiles every harness and how `meson test --suite fuzz` replays the
 * checked-in corpora (the dav1d fuzzer's approach).
 *
 * Each input is copied into a buffer of exactly its size, so a sanitizer
 * or valgrind sees any read past the end.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* The input being run, named on a crash (async-signal-safe). */
static const char *current;

static void on_crash(int sig)
{
    static const char pre[] = "\ncrashing input: ";

    if (current != NULL) {
        (void)!write(2, pre, sizeof pre - 1);
        (void)!write(2, current, strlen(current));
        (void)!write(2, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;
    int rc = 1;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot size\n", path);
        goto out;
    }
    /* malloc(0) may return NULL: keep one byte, pass the true size. */
    buf = malloc(size > 0 ? (size_t)size : 1U);
    if (buf == NULL ||
        (size > 0 && fread(buf, 1, (size_t)size, f) != (size_t)size)) {
        fprintf(stderr, "%s: cannot read\n", path);
        goto out;
    }
    current = path;
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    current = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file directly in dir (not recursive). */
static int run_dir(const char *dir, unsigned long *count)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            char **grown = realloc(names, (cap ? cap * 2 : 64) * sizeof *grown);
            if (grown == NULL) {
                rc = 1;
                break;
            }
            names = grown;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
        if (names[n] == NULL) {
            rc = 1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof *names, by_name);
    }
    for (i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    for (i = 1; i < argc; i++) {
        struct stat st;
        int rc;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = run_dir(argv[i], &count);
        } else {
            rc = run_file(argv[i]);
            count++;
        }
        if (rc != 0) {
            return 1;
        }
    }
    if (count == 0) {
        /* An empty corpus would make the replay test pass vacuously. */
        fprintf(stderr, "%s: no inputs found\n", argv[0]);
        return 1;
    }
    printf("%s: %lu inputs ran without failure\n", argv[0], count);
    return 0;
}
