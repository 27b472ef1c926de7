/* fdshim.c - stands in for a command (sort, cat, sh...) that a workbook
 * program executes, to see which file descriptors it was given.
 *
 * The checker puts a folder of links to this binary, named after common
 * commands, first in PATH. Before doing anything else the shim asks each
 * descriptor from 3 up whether it is open (fcntl F_GETFD, portable), writes
 * one line to $WB_FDLOG ("NAME ok" or "NAME leaked 3,4"), then executes the
 * real command: the first one of that name in PATH that is not in
 * $WB_SHIM_DIR, with the arguments unchanged. A descriptor open here was
 * open in the program at exec time without close-on-exec: a leak (the
 * checker's wbrun gives the program only 0, 1 and 2).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    char leaked[1024] = "";
    size_t used = 0;
    const char *name, *log, *shim_dir, *path;
    char line[1300], dir[PATH_MAX], full[PATH_MAX + 256];
    long max = sysconf(_SC_OPEN_MAX);

    (void)argc;
    /* First, before this process opens anything of its own. */
    if (max < 0 || max > 4096)
        max = 4096;
    for (int fd = 3; fd < max; fd++)
        if (fcntl(fd, F_GETFD) != -1 && used + 16 < sizeof leaked)
            used += (size_t)snprintf(leaked + used, sizeof leaked - used,
                                     "%s%d", used ? "," : "", fd);

    name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    log = getenv("WB_FDLOG");
    if (log != NULL) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        int n = snprintf(line, sizeof line, "%s %s%s%s\n", name,
                         used ? "leaked" : "ok", used ? " " : "", leaked);
        if (fd != -1) {
            if (write(fd, line, (size_t)n) != n)
                perror("fdshim: write");
            close(fd);
        }
    }

    shim_dir = getenv("WB_SHIM_DIR");
    path = getenv("PATH");
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);

        if (len > 0 && len < sizeof dir) {
            memcpy(dir, path, len);
            dir[len] = '\0';
            if (shim_dir == NULL || strcmp(dir, shim_dir) != 0) {
                snprintf(full, sizeof full, "%s/%s", dir, name);
                execv(full, argv);
                if (errno != ENOENT && errno != EACCES && errno != ENOTDIR)
                    break;
            }
        }
        path = colon ? colon + 1 : NULL;
    }
    fprintf(stderr, "fdshim: %s: not found\n", name);
    return 127;
}
