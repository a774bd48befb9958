/*
 * runner.c - run an untrusted test runner in a sandboxed process group and
 * collect its output and its check XML log (see runner.h).
 *
 * How a run goes:
 *   1. A scratch directory is made (owned by the sandbox user) and becomes
 *      the program's cwd, HOME and TMPDIR.
 *   2. fork; the child starts a new session, gets stdin from /dev/null,
 *      stdout+stderr on the output pipe, the XML pipe on fd 3, closes every
 *      other descriptor, sets its rlimits, drops to a sandbox uid when root, and
 *      execs the program.
 *   3. The parent polls both pipes until the program exits or the deadline
 *      passes, then kills every process the run left (invariant 1 of
 *      runner.h: the grader is a subreaper, so even a process that escaped
 *      the group with setsid is reparented to us and found), drains the
 *      pipes and removes the scratch directory.
 *
 * Invariants:
 *   1. The grader never blocks on a pipe: reads happen only after poll.
 *   2. Every byte past a bound is read and dropped, so a chatty program
 *      can neither block nor exhaust the grader's memory.
 *
 * Locking: none; the grader is single threaded.
 */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SANDBOX_UID_BASE 61000 /* sandbox uids: 61000..62999 */
#define SANDBOX_UID_SPAN 2000
#define SANDBOX_GID 65534 /* nogroup */
#define XML_FD 3

/* The unprivileged uid this grader's runs use when it is root: one of a
 * range, chosen by process id, with no account behind it.  Concurrent
 * graders on one machine then get separate process budgets (RLIMIT_NPROC
 * counts per uid) and cannot signal each other's tests. */
static uid_t sandbox_uid(void)
{
    static uid_t uid; /* set in the grader before any fork */
    if (uid == 0)
        uid = (uid_t)(SANDBOX_UID_BASE + (unsigned)getpid() % SANDBOX_UID_SPAN);
    return uid;
}

/* A growing buffer with a hard cap (invariant 2). */
struct capbuf {
    char *data;
    size_t len, cap, limit;
    bool truncated;
    bool open;
};

/* Seconds on the monotonic clock. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Become the reaper of every orphan our runs leave behind. */
void runner_init(void)
{
    (void)sandbox_uid(); /* fix the uid in the parent */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        perror("runner_init: prctl(PR_SET_CHILD_SUBREAPER)");
}

/* Append n bytes to b, dropping what exceeds the limit.  Returns 0 or
 * -ENOMEM. */
static int capbuf_add(struct capbuf *b, const char *p, size_t n)
{
    if (b->len + n > b->limit) {
        n = b->limit - b->len;
        b->truncated = true;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Read what is available on fd into b; marks b closed at EOF or error.
 * Returns what read returned (errno set when negative). */
static ssize_t capbuf_read(struct capbuf *b, int fd)
{
    char chunk[16384];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) {
        if (capbuf_add(b, chunk, (size_t)n) != 0)
            b->truncated = true;
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        b->open = false;
    }
    return n;
}

/* Threads currently owned by uid (what RLIMIT_NPROC counts). */
static unsigned count_tasks_of(uid_t uid)
{
    unsigned total = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], line[128];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || stat(path, &st) != 0
            || st.st_uid != uid)
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            unsigned t;
            if (sscanf(line, "Threads: %u", &t) == 1)
                total += t;
        }
        if (f != NULL)
            fclose(f);
    }
    if (d != NULL)
        closedir(d);
    return total;
}

/* Set one rlimit (soft = hard); errors are ignored (best effort). */
static void set_limit(int resource, rlim_t value)
{
    struct rlimit rl = { value, value };
    (void)setrlimit(resource, &rl);
}

/* Child side, after fork: wire descriptors, limits, identity; exec.
 * Never returns. */
static void child_exec(char *const argv[], char *const envp[],
                       const struct runner_limits *lim, const char *scratch,
                       int out_fd, int xml_fd, rlim_t nproc)
{
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0
        || dup2(out_fd, 2) < 0 || dup2(xml_fd, XML_FD) < 0)
        _exit(126);
    for (int fd = XML_FD + 1; fd < 4096; fd++)
        close(fd);
    set_limit(RLIMIT_CPU, lim->cpu_seconds);
    if (lim->mem_mb > 0)
        set_limit(RLIMIT_AS, (rlim_t)lim->mem_mb << 20);
    set_limit(RLIMIT_FSIZE, (rlim_t)lim->fsize_mb << 20);
    set_limit(RLIMIT_NOFILE, 256);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_NPROC, nproc);
    if (geteuid() == 0
        && (fchown(XML_FD, sandbox_uid(), SANDBOX_GID) != 0
            || setgroups(0, NULL) != 0 || setgid(SANDBOX_GID) != 0
            || setuid(sandbox_uid()) != 0))
        _exit(126);
    if (chdir(scratch) != 0)
        _exit(126);
    execve(argv[0], argv, envp);
    fprintf(stderr, "runner: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Kill every process of the run: the group, then every child we still
 * have (orphans are reparented to us), until none is left. */
static void kill_everything(pid_t pgid)
{
    double give_up = now_seconds() + 10.0;
    for (;;) {
        kill(-pgid, SIGKILL);
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char path[300];
            int ppid = 0;
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            FILE *f = fopen(path, "r");
            if (f == NULL)
                continue;
            if (fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) == 1
                && ppid == getpid())
                kill(atoi(e->d_name), SIGKILL);
            fclose(f);
        }
        if (d != NULL)
            closedir(d);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if ((waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
            || now_seconds() > give_up)
            return;
        usleep(1000);
    }
}

/* Remove one entry of the scratch tree (nftw callback, no symlink
 * following). */
static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Make the scratch directory in $TMPDIR (or /tmp), owned by the sandbox
 * user when root.  Returns 0 or -errno. */
static int make_scratch(char *path, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, len, "%s/pagelab-grade-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(path) == NULL)
        return -errno;
    if (geteuid() == 0 && chown(path, sandbox_uid(), SANDBOX_GID) != 0)
        return -errno;
    return 0;
}

/* Poll the pipes until the child exits or the deadline; returns the wait
 * status, or -1 when the deadline passed first. */
static int watch(pid_t pid, int fds[2], struct capbuf *bufs[2],
                 double deadline)
{
    int status;
    for (;;) {
        struct pollfd p[2];
        int n = 0;
        for (int i = 0; i < 2; i++)
            if (bufs[i]->open)
                p[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
        if (poll(p, (nfds_t)n, 20) > 0)
            for (int i = 0, k = 0; i < 2; i++)
                if (bufs[i]->open && (p[k++].revents & (POLLIN | POLLHUP)))
                    capbuf_read(bufs[i], fds[i]);
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        if (now_seconds() > deadline)
            return -1;
    }
}

/* Read what is left on the pipes (the run is dead; bounded wait). */
static void drain(int fds[2], struct capbuf *bufs[2])
{
    double stop = now_seconds() + 1.0;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        while (bufs[i]->open && now_seconds() < stop) {
            if (capbuf_read(bufs[i], fds[i]) < 0 && errno == EAGAIN)
                break;
        }
    }
}

/* Fill res from the wait status (-1: deadline) and buffers. */
static void finish(struct runner_result *res, int status, struct capbuf *out,
                   struct capbuf *xml, double start)
{
    res->seconds = now_seconds() - start;
    res->timed_out = status == -1;
    res->exit_code = (status != -1 && WIFEXITED(status))
                         ? WEXITSTATUS(status) : -1;
    res->signal = (status != -1 && WIFSIGNALED(status)) ? WTERMSIG(status)
                                                        : 0;
    if (out->data == NULL)
        capbuf_add(out, "", 0);
    if (xml->data == NULL)
        capbuf_add(xml, "", 0);
    res->output = out->data;
    res->output_len = out->len;
    res->output_truncated = out->truncated;
    res->xml = xml->data;
    res->xml_len = xml->len;
    res->xml_truncated = xml->truncated;
}

/* Build envp plus the sandbox's own variables: the XML log channel, and
 * HOME and TMPDIR in the scratch directory.  Returns a malloc'd array whose
 * last three strings are malloc'd too (free_env). */
static char **sandbox_env(char *const envp[], const char *scratch)
{
    size_t n = 0;
    while (envp[n] != NULL)
        n++;
    char **env = calloc(n + 4, sizeof *env);
    if (env == NULL)
        return NULL;
    memcpy(env, envp, n * sizeof *env);
    if (asprintf(&env[n], "CK_XML_LOG_FILE_NAME=/dev/fd/%d", XML_FD) < 0
        || asprintf(&env[n + 1], "HOME=%s", scratch) < 0
        || asprintf(&env[n + 2], "TMPDIR=%s", scratch) < 0) {
        free(env);
        return NULL;
    }
    return env;
}

/* Free what sandbox_env made. */
static void free_env(char **env)
{
    size_t n = 0;
    while (env[n] != NULL)
        n++;
    for (size_t i = n >= 3 ? n - 3 : 0; i < n; i++)
        free(env[i]);
    free(env);
}

/* The process budget: absolute for the sandbox user, relative to what we
 * already run otherwise (RLIMIT_NPROC counts per user). */
static rlim_t nproc_budget(const struct runner_limits *lim)
{
    if (geteuid() == 0)
        return count_tasks_of(sandbox_uid()) + lim->nproc;
    return count_tasks_of(getuid()) + lim->nproc;
}

/* Start the child and collect what it writes until it is gone (every
 * process of the run killed).  Returns the wait status, -1 at the
 * deadline, or -2 when fork failed. */
static int supervise(char *const argv[], char **env,
                     const struct runner_limits *lim, const char *scratch,
                     struct capbuf *bufs[2], double start)
{
    int outp[2], xmlp[2];
    if (pipe2(outp, O_CLOEXEC) != 0)
        return -2;
    if (pipe2(xmlp, O_CLOEXEC) != 0) {
        close(outp[0]);
        close(outp[1]);
        return -2;
    }
    rlim_t nproc = nproc_budget(lim);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, env, lim, scratch, outp[1], xmlp[1], nproc);
    close(outp[1]);
    close(xmlp[1]);
    int fds[2] = { outp[0], xmlp[0] };
    int status = -2;
    if (pid > 0) {
        status = watch(pid, fds, bufs, start + lim->wall_seconds);
        kill_everything(pid);
        drain(fds, bufs);
    }
    close(outp[0]);
    close(xmlp[0]);
    return status;
}

/* See runner.h. */
int runner_run(char *const argv[], char *const envp[],
               const struct runner_limits *lim, struct runner_result *res)
{
    char scratch[512];
    memset(res, 0, sizeof *res);
    int err = make_scratch(scratch, sizeof scratch);
    if (err != 0)
        return err;
    char **env = sandbox_env(envp, scratch);
    if (env == NULL) {
        rmdir(scratch);
        return -ENOMEM;
    }
    struct capbuf out = { .limit = RUNNER_MAX_OUTPUT, .open = true };
    struct capbuf xml = { .limit = RUNNER_MAX_XML, .open = true };
    struct capbuf *bufs[2] = { &out, &xml };
    double start = now_seconds();
    int status = supervise(argv, env, lim, scratch, bufs, start);
    free_env(env);
    nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    finish(res, status == -2 ? -1 : status, &out, &xml, start);
    if (status == -2)
        res->timed_out = false;
    return status == -2 ? -EAGAIN : 0;
}

void runner_result_free(struct runner_result *res)
{
    free(res->output);
    free(res->xml);
    memset(res, 0, sizeof *res);
}

/* See runner.h. */
void runner_describe(const struct runner_result *res, char *buf, size_t len)
{
    if (res->timed_out)
        snprintf(buf, len, "timed out after %.1f s", res->seconds);
    else if (res->signal != 0)
        snprintf(buf, len, "killed by signal %d (%s)", res->signal,
                 strsignal(res->signal));
    else
        snprintf(buf, len, "exited %d", res->exit_code);
}
