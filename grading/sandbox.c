/*
 * sandbox.c - bubblewrap command lines for untrusted runs (see sandbox.h).
 *
 * bwrap is a well-kept, small setuid-free tool (it is what Flatpak runs
 * untrusted applications in); the kit builds its command line and lets it
 * make the namespaces and mounts, instead of doing mount(2) by hand.
 *
 * Invariants: those of sandbox.h.  Locking: none.
 */
#include "sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BWRAP "/usr/bin/bwrap"
#define MAX_ARGS 160

/* The top-level system paths the sandbox shows as the host has them:
 * symbolic links (a merged /usr) are recreated, directories bound
 * read-only. */
static const char *const system_dirs[] = { "/bin", "/lib", "/lib32",
                                            "/lib64", "/libx32", "/sbin",
                                            NULL };
static const char *const etc_files[] = { "/etc/alternatives",
                                         "/etc/ld.so.cache",
                                         "/etc/ld.so.conf",
                                         "/etc/ld.so.conf.d", NULL };

/* An argv under construction. */
struct args {
    char *v[MAX_ARGS + 1];
    size_t n;
    bool overflow;
};

/* Append copies of the strings up to NULL. */
static void add(struct args *a, ...)
{
    va_list ap;
    va_start(ap, a);
    for (const char *s = va_arg(ap, const char *); s != NULL;
         s = va_arg(ap, const char *)) {
        if (a->n == MAX_ARGS || (a->v[a->n] = strdup(s)) == NULL) {
            a->overflow = true;
            break;
        }
        a->n++;
    }
    va_end(ap);
}

/* The system part of the view: /usr, the top-level links or directories,
 * the loader's files. */
static void add_system(struct args *a)
{
    char target[512];
    struct stat st;
    add(a, "--ro-bind", "/usr", "/usr", NULL);
    for (size_t i = 0; system_dirs[i] != NULL; i++) {
        const char *d = system_dirs[i];
        ssize_t n = readlink(d, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            add(a, "--symlink", target, d, NULL);
        } else if (lstat(d, &st) == 0 && S_ISDIR(st.st_mode)) {
            add(a, "--ro-bind", d, d, NULL);
        }
    }
    for (size_t i = 0; etc_files[i] != NULL; i++)
        add(a, "--ro-bind-try", etc_files[i], etc_files[i], NULL);
}

/* The private tmpfs mounts, each size-limited. */
static void add_tmpfs(struct args *a, unsigned long tmp_mb)
{
    static const char *const dirs[] = { "/tmp", "/var/tmp", "/dev/shm",
                                         SANDBOX_WORKDIR, NULL };
    char size[32];
    snprintf(size, sizeof size, "%lu", (tmp_mb ? tmp_mb : 256) << 20);
    for (size_t i = 0; dirs[i] != NULL; i++)
        add(a, "--size", size, "--tmpfs", dirs[i], NULL);
}

/* See sandbox.h. */
char **sandbox_argv(const struct sandbox_view *view, char *const argv[])
{
    struct args *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    add(a, BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
        "--proc", "/proc", "--dev", "/dev", NULL);
    add_system(a);
    add_tmpfs(a, view->tmp_mb);
    for (size_t i = 0; view->ro[i] != NULL; i++)
        add(a, "--ro-bind", view->ro[i], view->ro[i], NULL);
    for (size_t i = 0; view->rw[i] != NULL; i++)
        add(a, "--bind", view->rw[i], view->rw[i], NULL);
    add(a, "--chdir", view->cwd ? view->cwd : SANDBOX_WORKDIR, "--", NULL);
    for (size_t i = 0; argv[i] != NULL; i++)
        add(a, argv[i], NULL);
    char **out = NULL;
    if (!a->overflow && (out = calloc(a->n + 1, sizeof *out)) != NULL)
        memcpy(out, a->v, a->n * sizeof *out);
    else
        for (size_t i = 0; i < a->n; i++)
            free(a->v[i]);
    free(a);
    return out;
}

/* See sandbox.h. */
void sandbox_free_argv(char **argv)
{
    for (size_t i = 0; argv != NULL && argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

/* See sandbox.h. */
bool sandbox_available(uid_t uid, gid_t gid)
{
    static int known = -1;
    if (known >= 0)
        return known;
    const char *mode = getenv("PAGELAB_SANDBOX");
    known = 0;
    if ((mode != NULL && strcmp(mode, "off") == 0) || access(BWRAP, X_OK))
        return known;
    struct sandbox_view view = { .tmp_mb = 1 };
    char *probe[] = { "/bin/true", NULL };
    char **argv = sandbox_argv(&view, probe);
    pid_t pid = argv ? fork() : -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (uid != 0 && (setgroups(0, NULL) != 0 || setgid(gid) != 0
                         || setuid(uid) != 0))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    known = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)
            && WEXITSTATUS(status) == 0;
    sandbox_free_argv(argv);
    return known;
}
