/* pool_files.c - a real workload: checksum every file under a folder.
 *
 * The parent walks the folder (default: the current one), maps a checksum
 * task over every regular file's path with Pool.map, and prints each
 * file's checksum, size and path in the format of POSIX `cksum`, so that
 * the system's own cksum can check our answers. Then it does the same work
 * serially in this process, and checks that every answer is the same.
 *
 * The task gets a path, opens and reads the file in the worker, and sends
 * back the CRC and the size, or why it could not. The data never travels
 * through the pool: send the name of the work, not the work, when the
 * workers can reach it themselves. The paths travel in chunks (map's
 * default: about four chunks per worker), because most files are small: a
 * round trip per file would cost as much as checksumming it. A failure is
 * returned as a value in the answer, so an unreadable file fails only its
 * own line. The CRC table is computed once, before the pool starts: each
 * worker has a copy (fork copied it).
 *
 * Python:  with Pool() as pool:
 *              for path, answer in zip(paths, pool.map(cksum_entry, paths)): ...
 *          (pool_files.py)
 * Usage:   ./pool_files [-d DIR] [-n WORKERS]
 * Look for: the lines are in path order whatever order the workers finish
 * in; `cksum FILE` prints the same line. A file that cannot be read is
 * reported for that file, and the rest go on. Not guaranteed: the times
 * (files not in the page cache are read from the disk, and then the disk,
 * not the CPUs, sets the pace; for a small folder the pool's own cost is
 * larger than the work).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

/* ---- the POSIX cksum CRC ----------------------------------------------------
 * CRC-32 with the polynomial 0x04C11DB7, most significant bit first, over
 * the file's bytes and then its length (low byte first, only as many bytes
 * as the length needs), complemented at the end. */
static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i << 24;
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 0x80000000u ? crc << 1 ^ 0x04C11DB7u : crc << 1;
        table[i] = crc;
    }
}

static uint32_t crc_add(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n-- > 0)
        crc = crc << 8 ^ table[(crc >> 24 ^ *p++) & 0xff];
    return crc;
}

static uint32_t crc_finish(uint32_t crc, uint64_t length)
{
    for (; length > 0; length >>= 8) {
        unsigned char byte = (unsigned char)(length & 0xff);
        crc = crc_add(crc, &byte, 1);
    }
    return ~crc;
}

struct digest {
    uint32_t crc;
    uint64_t size;
};

/* Checksum one file. Returns 0, or -1 with a message in why. */
static int cksum_file(const char *path, struct digest *d, char *why, size_t why_len)
{
    unsigned char buf[64 * 1024];
    uint32_t crc = 0;
    uint64_t size = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd == -1) {
        snprintf(why, why_len, "open %s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n == -1) {
            if (errno == EINTR)
                continue;
            snprintf(why, why_len, "read %s: %s", path, strerror(errno));
            (void)close(fd);    /* the read error is the one to report */
            return -1;
        }
        crc = crc_add(crc, buf, (size_t)n);
        size += (uint64_t)n;
    }
    if (close(fd) == -1) {
        snprintf(why, why_len, "close %s: %s", path, strerror(errno));
        return -1;
    }
    memset(d, 0, sizeof *d);    /* its padding too: it travels as bytes */
    d->crc = crc_finish(crc, size);
    d->size = size;
    return 0;
}

/* What travels: a fixed-size record per file, so that pool_map can lay the
 * paths out as an array and send them in chunks; and a fixed-size answer
 * that carries either the digest or the reason it failed. (Errors as
 * values: a file that cannot be read fails only its own record, not the
 * whole chunk it travelled in.) */
#define PATH_ROOM 1024

struct job {
    char path[PATH_ROOM];
};

struct answer {
    int32_t failed;             /* 0: crc and size are good; 1: see why */
    uint32_t crc;
    uint64_t size;
    char why[240];
};

/* The task: a path in, an answer out. */
static int cksum_task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    struct answer a;
    struct digest d;

    if (arg_len != sizeof job || *result_len < sizeof a)
        return pool_fail("cksum_task: wrong sizes");
    memcpy(&job, arg, sizeof job);
    memset(&a, 0, sizeof a);    /* its padding too: it travels as bytes */
    if (cksum_file(job.path, &d, a.why, sizeof a.why) == -1) {
        a.failed = 1;
    } else {
        a.crc = d.crc;
        a.size = d.size;
    }
    memcpy(result, &a, sizeof a);
    *result_len = sizeof a;
    return 0;
}

/* ---- finding the files ------------------------------------------------------ */

struct list {
    char **paths;
    size_t n, cap;
    size_t unreadable;          /* folders that could not be read */
};

static void add_path(struct list *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->paths, l->cap * sizeof *p);
        if (p == NULL)
            die("realloc");
        l->paths = p;
    }
    if ((l->paths[l->n++] = strdup(path)) == NULL)
        die("strdup");
}

/* Every regular file under dir; symbolic links are not followed (as
 * `find DIR -type f` does not), so nothing is counted twice. */
static void walk(const char *dir, struct list *l)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        say_to(STDERR_FILENO, "%s: cannot open folder %s: %s", prog_name(), dir, strerror(errno));
        l->unreadable++;
        return;
    }
    while ((errno = 0, e = readdir(d)) != NULL) {
        char path[PATH_ROOM];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        const char *slash = dir[strlen(dir) - 1] == '/' ? "" : "/";
        if (snprintf(path, sizeof path, "%s%s%s", dir, slash, e->d_name) >= (int)sizeof path) {
            say_to(STDERR_FILENO, "%s: a path under %s is too long for this demo", prog_name(), dir);
            l->unreadable++;
            continue;
        }
        if (lstat(path, &st) == -1)
            continue;                   /* it went away meanwhile */
        if (S_ISDIR(st.st_mode))
            walk(path, l);
        else if (S_ISREG(st.st_mode))
            add_path(l, path);
    }
    if (errno != 0) {
        say_to(STDERR_FILENO, "%s: cannot read folder %s: %s", prog_name(), dir, strerror(errno));
        l->unreadable++;
    }
    if (closedir(d) == -1)
        die("closedir");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char *argv[])
{
    const char *dir = ".";
    long workers = 0;
    long me = (long)getpid();
    int opt;

    prog_init(argc, argv, "[-d DIR] [-n WORKERS]\n"
              "  -d DIR      the folder whose files are read (default .)\n"
              "  -n WORKERS  worker processes in the pool (default: one per CPU)\n"
              "Python: multiprocessing.Pool, map (twin: pool_files.py)");
    while ((opt = get_option(argc, argv, "d:n:")) != -1) {
        if (opt == 'd')
            dir = optarg;
        else
            workers = arg_long(optarg, opt, 1, 64);
    }
    no_operands(argc, argv);
    struct stat st;
    if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
        usage_error("-d %s: not a folder", dir);

    struct list files = { NULL, 0, 0, 0 };
    walk(dir, &files);
    if (files.n > 0)
        qsort(files.paths, files.n, sizeof *files.paths, by_name);

    make_table();               /* before the pool: every worker gets a copy */
    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    int n = pool_size(p);

    /* In parallel: the paths as an array of records, mapped in chunks. */
    double t0 = now_seconds();
    size_t n_jobs = files.n ? files.n : 1;
    struct job *jobs = calloc(n_jobs, sizeof *jobs);
    struct answer *answers = calloc(n_jobs, sizeof *answers);
    struct digest *got = calloc(n_jobs, sizeof *got);
    char *failed = calloc(n_jobs, 1);
    if (jobs == NULL || answers == NULL || got == NULL || failed == NULL)
        die("calloc");
    for (size_t i = 0; i < files.n; i++)
        memcpy(jobs[i].path, files.paths[i], strlen(files.paths[i]) + 1);
    if (pool_map(p, cksum_task, jobs, sizeof jobs[0], answers, sizeof answers[0],
                 files.n, 0) != POOL_OK)
        fatal("map: %s", pool_last_error(p));
    uint64_t bytes = 0;
    size_t errors = 0;
    for (size_t i = 0; i < files.n; i++) {
        if (!answers[i].failed) {
            got[i] = (struct digest){ answers[i].crc, answers[i].size };
            /* The format of POSIX cksum: "%u %d %s\n", checksum, size, path. */
            say("%lu %llu %s", (unsigned long)got[i].crc, (unsigned long long)got[i].size,
                files.paths[i]);
            bytes += got[i].size;
        } else {
            say("parent %-6ld  FAILED: %s", me, answers[i].why);
            failed[i] = 1;
            errors++;
        }
    }
    double t_pool = now_seconds() - t0;
    pool_close(p);
    (void)pool_join(p);         /* map reported every failure */
    pool_free(p);

    /* Serially, in this process: the same files, the same function. */
    t0 = now_seconds();
    size_t same = 0;
    for (size_t i = 0; i < files.n; i++) {
        struct digest d;
        char why[POOL_ERROR_MAX];
        int bad = cksum_file(files.paths[i], &d, why, sizeof why) == -1;
        if (bad == failed[i] && (bad || (d.crc == got[i].crc && d.size == got[i].size)))
            same++;
    }
    double t_serial = now_seconds() - t0;

    say("parent %-6ld  %zu files, %llu bytes under %s", me, files.n, (unsigned long long)bytes,
        dir);
    say("parent %-6ld  Pool(%d) %.3f s, serial %.3f s (speed-up %.2fx)", me, n, t_pool, t_serial,
        t_pool > 0 ? t_serial / t_pool : 0.0);
    if (errors > 0)
        say("parent %-6ld  %zu file%s could not be read; each is reported above, the rest "
            "were done", me, errors, errors == 1 ? "" : "s");
    say("parent %-6ld  self-check: the pool's answers for %zu files equal the serial ones: %s",
        me, files.n, same == files.n ? "OK" : "FAILED");

    for (size_t i = 0; i < files.n; i++)
        free(files.paths[i]);
    free(files.paths);
    free(jobs);
    free(answers);
    free(got);
    free(failed);
    /* Like cksum: status 1 if a file (or a folder) could not be read. */
    return same == files.n && errors == 0 && files.unreadable == 0 ? 0 : 1;
}
