/*
 * runner.c - run an untrusted test runner in a sandboxed process group and
 * collect its output and its check XML log (see runner.h).
 *
 * How a run goes:
 *   1. Sandboxed (bwrap works): the working directory, HOME and TMPDIR are
 *      tmpfs mounts of the run's own (sandbox.h).  Otherwise a scratch
 *      directory is made (owned by the sandbox user) and becomes the
 *      program's cwd, HOME and TMPDIR.
 *   2. A control group is made for the run when possible (cgroup.h), and a
 *      fresh random token for its completion records.
 *   3. fork; the child starts a new session, joins the control group, gets
 *      stdin from /dev/null, stdout+stderr on the output pipe, the XML pipe
 *      on fd 3 and the record pipe on fd 4, closes every other descriptor,
 *      sets its rlimits, drops to the sandbox uid when root, and execs the
 *      program (through bwrap when sandboxed).
 *   4. The parent polls the pipes until the program exits or the deadline
 *      passes, then kills every process the run left (invariant 1 of
 *      runner.h: the grader is a subreaper, so even a process that escaped
 *      the group with setsid is reparented to us and found; the control
 *      group and bwrap's pid namespace catch the rest), drains the pipes
 *      and removes the scratch directory (rm -rf: a tree of any depth).
 *
 * Invariants:
 *   1. The grader never blocks on a pipe: reads happen only after poll.
 *   2. Every byte past a bound is read and dropped, so a chatty program
 *      can neither block nor exhaust the grader's memory.
 *
 * Locking: none; the grader is single threaded.
 */
#include "runner.h"

#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SANDBOX_UID_BASE 61000 /* sandbox uids: 61000..62999 */
#define SANDBOX_UID_SPAN 2000
#define SANDBOX_GID 65534 /* nogroup */
#define XML_FD 3
#define RECORD_FD 4
#define TOKEN_FD 5 /* the token, readable once, never in the environment */
#define NPIPES 3 /* output, XML log, records */

/* The unprivileged uid this grader's runs use when it is root: one of a
 * range, with no account behind it.  grade.sh chooses one for a whole
 * grading run (PAGELAB_SANDBOX_UID, so that the grading tree it prepares
 * belongs to the uid that builds in it); otherwise it is chosen by process
 * id.  Concurrent graders on one machine then get separate process
 * budgets (RLIMIT_NPROC counts per uid) and cannot signal each other's
 * tests. */
static uid_t sandbox_uid(void)
{
    static uid_t uid; /* set in the grader before any fork */
    if (uid != 0)
        return uid;
    const char *fixed = getenv("PAGELAB_SANDBOX_UID");
    unsigned long want = fixed != NULL ? strtoul(fixed, NULL, 10) : 0;
    if (want >= SANDBOX_UID_BASE && want < SANDBOX_UID_BASE + SANDBOX_UID_SPAN)
        uid = (uid_t)want;
    else
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

/* See runner.h. */
unsigned runner_sandbox_uid(void)
{
    return geteuid() == 0 ? sandbox_uid() : getuid();
}

/* See runner.h. */
unsigned runner_sandbox_gid(void)
{
    return geteuid() == 0 ? SANDBOX_GID : getgid();
}

/* Become the reaper of every orphan our runs leave behind; probe the
 * sandbox once, and say so when runs cannot be sandboxed. */
void runner_init(void)
{
    (void)sandbox_uid(); /* fix the uid in the parent */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        perror("runner_init: prctl(PR_SET_CHILD_SUBREAPER)");
    const char *mode = getenv("PAGELAB_SANDBOX");
    if (!sandbox_available(geteuid() == 0 ? sandbox_uid() : 0, SANDBOX_GID)
        && (mode == NULL || strcmp(mode, "off") != 0))
        fprintf(stderr, "grader: warning: bubblewrap cannot make a sandbox "
                "here; tests run without their own view of the file "
                "system (see grading/README.md)\n");
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

/* What the child of one run needs besides argv and envp. */
struct launch {
    const struct runner_limits *lim;
    const char *token;     /* the run's record token */
    const struct cg *cg;
    const char *scratch;   /* cwd when not sandboxed */
    char **bwrap_argv;     /* NULL: not sandboxed */
    int fds[NPIPES];       /* write ends: output, XML, records */
    rlim_t nproc;
};

/* Child side: put the token on TOKEN_FD, the read end of a pipe that
 * holds it (the test runner reads it once, before any code under test, and
 * closes it; a token in the environment would stay readable in
 * /proc/<pid>/environ of bwrap's first process).  0 or -1. */
static int give_token(const char *token)
{
    int p[2];
    size_t n = strlen(token);
    if (pipe(p) != 0 || write(p[1], token, n) != (ssize_t)n
        || close(p[1]) != 0)
        return -1;
    return p[0] == TOKEN_FD ? 0 : dup2(p[0], TOKEN_FD) < 0 ? -1 : close(p[0]);
}

/* Child side, after fork: wire descriptors, limits, identity; exec.
 * Never returns. */
static void child_exec(char *const argv[], char *const envp[],
                       const struct launch *l)
{
    const struct runner_limits *lim = l->lim;
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    if (cg_enter(l->cg) != 0 || devnull < 0 || dup2(devnull, 0) < 0
        || dup2(l->fds[0], 1) < 0 || dup2(l->fds[0], 2) < 0
        || dup2(l->fds[1], XML_FD) < 0 || dup2(l->fds[2], RECORD_FD) < 0
        || give_token(l->token) != 0)
        _exit(126);
    for (int fd = TOKEN_FD + 1; fd < 4096; fd++)
        close(fd);
    set_limit(RLIMIT_CPU, lim->cpu_seconds);
    if (lim->mem_mb > 0)
        set_limit(RLIMIT_AS, (rlim_t)lim->mem_mb << 20);
    set_limit(RLIMIT_FSIZE, (rlim_t)lim->fsize_mb << 20);
    set_limit(RLIMIT_NOFILE, 256);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_NPROC, l->nproc);
    if (geteuid() == 0
        && (fchown(XML_FD, sandbox_uid(), SANDBOX_GID) != 0
            || fchown(RECORD_FD, sandbox_uid(), SANDBOX_GID) != 0
            || setgroups(0, NULL) != 0 || setgid(SANDBOX_GID) != 0
            || setuid(sandbox_uid()) != 0))
        _exit(126);
    if (l->bwrap_argv != NULL) {
        execve(l->bwrap_argv[0], l->bwrap_argv, envp);
    } else {
        if (chdir(l->scratch) != 0)
            _exit(126);
        execve(argv[0], argv, envp);
    }
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

/* Remove a directory tree of any depth, without following links (rm
 * walks with openat, so depth beyond PATH_MAX is no obstacle). */
static void remove_tree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/bin/rm", "rm", "-rf", "--one-file-system", "--", path,
              (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* Make the scratch directory in $TMPDIR (or /tmp), owned by the sandbox
 * user when root (only when not sandboxed: bwrap gives a tmpfs).  Returns
 * 0 or -errno. */
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
static int watch(pid_t pid, int fds[NPIPES], struct capbuf *bufs[NPIPES],
                 double deadline)
{
    int status;
    for (;;) {
        struct pollfd p[NPIPES];
        int n = 0, which[NPIPES];
        for (int i = 0; i < NPIPES; i++)
            if (bufs[i]->open) {
                which[n] = i;
                p[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
            }
        if (poll(p, (nfds_t)n, 20) > 0)
            for (int k = 0; k < n; k++)
                if (p[k].revents & (POLLIN | POLLHUP))
                    capbuf_read(bufs[which[k]], fds[which[k]]);
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        if (now_seconds() > deadline)
            return -1;
    }
}

/* Read what is left on the pipes (the run is dead; bounded wait). */
static void drain(int fds[NPIPES], struct capbuf *bufs[NPIPES])
{
    double stop = now_seconds() + 1.0;
    for (int i = 0; i < NPIPES; i++) {
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        while (bufs[i]->open && now_seconds() < stop) {
            if (capbuf_read(bufs[i], fds[i]) < 0 && errno == EAGAIN)
                break;
        }
    }
}

/* The bytes of b as a NUL-terminated string the result owns. */
static char *take(struct capbuf *b, size_t *len, bool *truncated)
{
    if (b->data == NULL)
        capbuf_add(b, "", 0);
    *len = b->len;
    if (truncated != NULL)
        *truncated = b->truncated;
    return b->data;
}

/* Fill res from the wait status (-1: deadline) and buffers.  bwrap
 * reports a program killed by signal N as exit status 128+N. */
static void finish(struct runner_result *res, int status,
                   struct capbuf *bufs[NPIPES], double start)
{
    res->seconds = now_seconds() - start;
    res->timed_out = status == -1;
    res->exit_code = (status != -1 && WIFEXITED(status))
                         ? WEXITSTATUS(status) : -1;
    res->signal = (status != -1 && WIFSIGNALED(status)) ? WTERMSIG(status)
                                                        : 0;
    if (res->sandboxed && res->exit_code > 128 && res->exit_code < 128 + 65) {
        res->signal = res->exit_code - 128;
        res->exit_code = -1;
    }
    res->output = take(bufs[0], &res->output_len, &res->output_truncated);
    res->xml = take(bufs[1], &res->xml_len, &res->xml_truncated);
    res->records = take(bufs[2], &res->records_len, NULL);
}

/* A fresh random token of RUNNER_TOKEN_LEN hex digits.  0 or -errno. */
static int make_token(char out[RUNNER_TOKEN_LEN + 1])
{
    unsigned char raw[RUNNER_TOKEN_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -EIO;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Build envp plus the sandbox's own variables: the XML log channel, the
 * record channel (its descriptor, and the descriptor the token is read
 * from), HOME and TMPDIR.  Returns a malloc'd array whose last
 * four strings are malloc'd too (free_env). */
static char **sandbox_env(char *const envp[], const char *home,
                          const char *tmp)
{
    size_t n = 0;
    while (envp[n] != NULL)
        n++;
    char **env = calloc(n + 5, sizeof *env);
    if (env == NULL)
        return NULL;
    memcpy(env, envp, n * sizeof *env);
    if (asprintf(&env[n], "CK_XML_LOG_FILE_NAME=/dev/fd/%d", XML_FD) < 0
        || asprintf(&env[n + 1], "PAGELAB_RECORD=%d:@%d", RECORD_FD,
                    TOKEN_FD) < 0
        || asprintf(&env[n + 2], "HOME=%s", home) < 0
        || asprintf(&env[n + 3], "TMPDIR=%s", tmp) < 0) {
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
    for (size_t i = n >= 4 ? n - 4 : 0; i < n; i++)
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
 * deadline, or -2 when a pipe or the fork failed. */
static int supervise(char *const argv[], char **env, struct launch *l,
                     struct capbuf *bufs[NPIPES], double start)
{
    int p[NPIPES][2], made = 0, status = -2;
    while (made < NPIPES && pipe2(p[made], O_CLOEXEC) == 0)
        made++;
    if (made == NPIPES) {
        for (int i = 0; i < NPIPES; i++)
            l->fds[i] = p[i][1];
        l->nproc = nproc_budget(l->lim);
        pid_t pid = fork();
        if (pid == 0)
            child_exec(argv, env, l);
        int fds[NPIPES];
        for (int i = 0; i < NPIPES; i++) {
            close(p[i][1]);
            fds[i] = p[i][0];
        }
        if (pid > 0) {
            status = watch(pid, fds, bufs, start + l->lim->wall_seconds);
            kill_everything(pid);
            cg_kill_all(l->cg);
            drain(fds, bufs);
        }
        made = 0;
        for (int i = 0; i < NPIPES; i++)
            close(fds[i]);
    }
    for (int i = 0; i < made; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
    return status;
}

/* The environment and launch details of one run: sandboxed through bwrap
 * (then l->bwrap_argv is set) or in a scratch directory.  0 or -errno. */
static int prepare(char *const argv[], char *const envp[], struct launch *l,
                   char *scratch, size_t len, char ***env)
{
    static const struct sandbox_view no_binds = { .tmp_mb = 0 };
    scratch[0] = '\0';
    if (sandbox_available(geteuid() == 0 ? sandbox_uid() : 0, SANDBOX_GID)) {
        l->bwrap_argv = sandbox_argv(l->lim->view ? l->lim->view : &no_binds,
                                     argv);
        *env = sandbox_env(envp, SANDBOX_WORKDIR, "/tmp");
    } else {
        int err = make_scratch(scratch, len);
        if (err != 0)
            return err;
        *env = sandbox_env(envp, scratch, scratch);
    }
    l->scratch = scratch;
    return *env == NULL ? -ENOMEM : 0;
}

/* See runner.h. */
int runner_run(char *const argv[], char *const envp[],
               const struct runner_limits *lim, struct runner_result *res)
{
    char scratch[512];
    char **env = NULL;
    struct cg cg = { 0 };
    struct launch l = { .lim = lim, .cg = &cg };
    memset(res, 0, sizeof *res);
    int err = make_token(res->token);
    l.token = res->token;
    if (err == 0)
        err = prepare(argv, envp, &l, scratch, sizeof scratch, &env);
    if (err != 0) {
        if (scratch[0] != '\0')
            remove_tree(scratch);
        return err;
    }
    res->sandboxed = l.bwrap_argv != NULL;
    if (lim->run_mem_mb > 0)
        (void)cg_open(&cg, lim->run_mem_mb, lim->nproc + 16);
    struct capbuf out = { .limit = RUNNER_MAX_OUTPUT, .open = true };
    struct capbuf xml = { .limit = RUNNER_MAX_XML, .open = true };
    struct capbuf rec = { .limit = RUNNER_MAX_RECORDS, .open = true };
    struct capbuf *bufs[NPIPES] = { &out, &xml, &rec };
    double start = now_seconds();
    int status = supervise(argv, env, &l, bufs, start);
    res->memory_limit_hit = cg_hit_memory_limit(&cg);
    res->peak_mb = cg_peak_mb(&cg);
    cg_close(&cg);
    free_env(env);
    sandbox_free_argv(l.bwrap_argv);
    if (scratch[0] != '\0')
        remove_tree(scratch);
    finish(res, status == -2 ? -1 : status, bufs, start);
    if (status == -2)
        res->timed_out = false;
    return status == -2 ? -EAGAIN : 0;
}

void runner_result_free(struct runner_result *res)
{
    free(res->output);
    free(res->xml);
    free(res->records);
    memset(res, 0, sizeof *res);
}

/* See runner.h. */
void runner_describe(const struct runner_result *res, char *buf, size_t len)
{
    if (res->memory_limit_hit && !res->timed_out
        && (res->signal != 0 || res->exit_code != 0))
        snprintf(buf, len, "ran out of memory (its processes together "
                 "reached the run's limit)");
    else if (res->timed_out)
        snprintf(buf, len, "timed out after %.1f s", res->seconds);
    else if (res->signal != 0)
        snprintf(buf, len, "killed by signal %d (%s)", res->signal,
                 strsignal(res->signal));
    else
        snprintf(buf, len, "exited %d", res->exit_code);
}
