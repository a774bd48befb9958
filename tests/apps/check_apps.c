/*
 * check_apps.c - runs every app program of tests/apps against the real
 * pager program and compares what happened with what was expected.
 *
 * For app <name>: tests/apps/<name>.c names the pager's options on a line
 * "pager-args: ..." (default: none); <name>.trace is the expected trace
 * and <name>.out the expected app output (stdout and stderr together)
 * followed by one line "[exit N]" or "[signal N]" for the app's own end.
 *
 * Each run gets a private directory holding a copy of tests/apps/data/
 * (the pager's working directory, so written-back file pages never touch
 * the checked-in files) and its own socket.  The pager and the app run
 * under a deadline; both are killed when it passes.  Pids are normalized
 * before comparing: in the trace every number inside parentheses, in the
 * output every number after "app " or "pid ", becomes 1, 2, ... in order of
 * first appearance in the trace (then the output).  An app may be C
 * (<name>.c) or C++ (<name>.cpp); when <name>.err exists, the pager's
 * stderr (pids normalized as in the output) must equal it too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_util.h"
#include "vm_proto.h"

#define APPS_MAX 128
#define APP_NAME_MAX 64
#define APP_DEADLINE_MS 20000
#define PIDS_MAX 256

static char app_names[APPS_MAX][APP_NAME_MAX];
static int app_count;

/* One run's private directory and processes. */
struct app_run {
    char dir[256];
    pid_t pager, app;
    int pager_status, app_status;
};

/* Pid normalization: pids[i] becomes i + 1. */
struct pid_map {
    long pids[PIDS_MAX];
    int n;
};

/* Read a whole file into a NUL-terminated malloc'd buffer (NULL: missing). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* qsort order of app names. */
static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Collect the names of the apps (every <name>.trace), sorted. */
static void list_apps(void)
{
    DIR *d = opendir(APPS_SRC_DIR);
    struct dirent *e;
    app_count = 0;
    while (d != NULL && (e = readdir(d)) != NULL && app_count < APPS_MAX) {
        size_t len = strlen(e->d_name);
        if (len > 6 && len - 6 < APP_NAME_MAX &&
            strcmp(e->d_name + len - 6, ".trace") == 0) {
            memcpy(app_names[app_count], e->d_name, len - 6);
            app_names[app_count++][len - 6] = '\0';
        }
    }
    if (d != NULL)
        closedir(d);
    qsort(app_names, (size_t)app_count, APP_NAME_MAX, compare_names);
}

/* Split the "pager-args:" line of the app's source into argv[1..] (argv[0]
 * is the pager); buf holds the words.  Returns argc. */
static int pager_argv(const char *name, char *buf, size_t size, char **argv,
                      int max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.c", APPS_SRC_DIR, name);
    char *src = read_file(path);
    if (src == NULL) { /* a C++ app */
        snprintf(path, sizeof path, "%s/%s.cpp", APPS_SRC_DIR, name);
        src = read_file(path);
    }
    int argc = 0;
    argv[argc++] = (char *)APPS_PAGER;
    const char *line = src != NULL ? strstr(src, "pager-args:") : NULL;
    buf[0] = '\0';
    if (line != NULL) {
        line += strlen("pager-args:");
        size_t len = strcspn(line, "\n");
        snprintf(buf, size, "%.*s", (int)len, line);
    }
    free(src);
    for (char *save, *w = strtok_r(buf, " \t", &save);
         w != NULL && argc < max - 1; w = strtok_r(NULL, " \t", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    return argc;
}

/* Copy src to dst (a small regular file).  Returns 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
    char *data = read_file(src);
    struct stat st;
    if (data == NULL || stat(src, &st) != 0) {
        free(data);
        return -1;
    }
    FILE *f = fopen(dst, "wb");
    int rc = f != NULL &&
             fwrite(data, 1, (size_t)st.st_size, f) == (size_t)st.st_size
             ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(data);
    return rc;
}

/* Make the run's directory with a copy of tests/apps/data/.  Returns 0 or
 * -1. */
static int make_run_dir(struct app_run *run)
{
    snprintf(run->dir, sizeof run->dir, "%s/pagelab-app-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(run->dir) == NULL)
        return -1;
    DIR *d = opendir(APPS_SRC_DIR "/data");
    struct dirent *e;
    int rc = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char src[512], dst[512];
        snprintf(src, sizeof src, "%s/data/%s", APPS_SRC_DIR, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", run->dir, e->d_name);
        if (copy_file(src, dst) != 0)
            rc = -1;
    }
    if (d != NULL)
        closedir(d);
    return rc;
}

/* Remove the run's directory and everything in it. */
static void remove_run_dir(const struct app_run *run)
{
    DIR *d = opendir(run->dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", run->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(run->dir);
}

/* When nonzero, spawn_in runs its program with this open-file limit. */
static rlim_t spawn_nofile;

/* Start argv[0] in dir with stdout to out and stderr to err (the same
 * file when equal), $VM_PAGER_SOCKET = dir/sock.  Returns the pid or -1. */
static pid_t spawn_in(const char *dir, char **argv, const char *out,
                      const char *err)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Die with the test: a killed test leaves no pager waiting forever. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(126);
    char sock[300];
    snprintf(sock, sizeof sock, "%s/sock", dir);
    int o = open(out, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    int e = strcmp(out, err) == 0 ? dup(o)
            : open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || in < 0 || chdir(dir) != 0 ||
        setenv("VM_PAGER_SOCKET", sock, 1) != 0)
        _exit(126);
    dup2(in, STDIN_FILENO);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    struct rlimit rl = { spawn_nofile, spawn_nofile };
    if (spawn_nofile != 0 && setrlimit(RLIMIT_NOFILE, &rl) != 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Milliseconds on the monotonic clock. */
static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait for the processes in pids[0..n) (statuses into st) until the
 * deadline; past it, kill the rest.  Returns 0, or -1 on a timeout. */
static int wait_all(pid_t *pids, int *st, int n, long deadline_ms)
{
    int left = n, rc = 0;
    long end = now_ms() + deadline_ms;
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            if (pids[i] > 0 && waitpid(pids[i], &st[i], WNOHANG) == pids[i]) {
                pids[i] = 0;
                left--;
            }
        }
        if (left > 0 && now_ms() > end) {
            rc = -1;
            for (int i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGKILL);
            end = now_ms() + 60000;
        }
        struct timespec ts = { .tv_nsec = 2 * 1000 * 1000 };
        if (left > 0)
            nanosleep(&ts, NULL);
    }
    return rc;
}

/* The number for pid: its 1-based position in m (added when new). */
static int map_pid(struct pid_map *m, long pid)
{
    for (int i = 0; i < m->n; i++)
        if (m->pids[i] == pid)
            return i + 1;
    if (m->n == PIDS_MAX)
        return 0;
    m->pids[m->n++] = pid;
    return m->n;
}

/* Copy text into a new buffer with the pids renumbered: trace mode maps
 * numbers inside parentheses, output mode numbers after "app "/"pid ". */
static char *normalize(const char *text, struct pid_map *m, int trace)
{
    size_t len = strlen(text);
    char *out = malloc(3 * len + 1), *w = out; /* a pid may grow */
    int depth = 0;
    for (const char *p = text; out != NULL && *p != '\0';) {
        int is_pid = trace ? depth > 0
                           : p - text >= 4 && (strncmp(p - 4, "app ", 4) == 0 ||
                                               strncmp(p - 4, "pid ", 4) == 0);
        if (*p >= '0' && *p <= '9' && is_pid &&
            (p == text || p[-1] < '0' || p[-1] > '9')) {
            char *end;
            long pid = strtol(p, &end, 10);
            w += sprintf(w, "%d", map_pid(m, pid));
            p = end;
            continue;
        }
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        *w++ = *p++;
    }
    if (out != NULL)
        *w = '\0';
    return out;
}

/* Compare actual with the expected file line by line.  Returns NULL when
 * equal, else a malloc'd message naming the first differing line. */
static char *first_difference(const char *expected_path, const char *actual)
{
    char *expected = read_file(expected_path);
    char *msg = NULL;
    if (expected == NULL) {
        if (asprintf(&msg, "cannot read %s", expected_path) < 0)
            msg = NULL;
        return msg;
    }
    const char *e = expected, *a = actual;
    for (int line = 1; *e != '\0' || *a != '\0'; line++) {
        size_t el = strcspn(e, "\n"), al = strcspn(a, "\n");
        if (el != al || memcmp(e, a, el) != 0 || (*e == '\0') != (*a == '\0')) {
            if (asprintf(&msg, "%s line %d: expected '%.*s', got '%.*s'",
                         expected_path, line, (int)el, e, (int)al, a) < 0)
                msg = NULL;
            break;
        }
        e += el + (e[el] == '\n');
        a += al + (a[al] == '\n');
    }
    free(expected);
    return msg;
}

/* Append the app's end ("[exit N]" / "[signal N]") to the file at path. */
static void append_status(const char *path, int status)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    if (WIFSIGNALED(status))
        fprintf(f, "[signal %d]\n", WTERMSIG(status));
    else
        fprintf(f, "[exit %d]\n", WEXITSTATUS(status));
    fclose(f);
}

/* Run app 'name' with the pager; statuses and files land in run.  Returns
 * 0, or -1 when the set-up failed or the deadline passed. */
static int run_app(const char *name, struct app_run *run)
{
    char args[512], *pargv[32], path[512], trace[512], err[512], out[512];
    pager_argv(name, args, sizeof args, pargv, 32);
    if (make_run_dir(run) != 0)
        return -1;
    snprintf(trace, sizeof trace, "%s/trace.txt", run->dir);
    snprintf(err, sizeof err, "%s/pager-stderr.txt", run->dir);
    snprintf(out, sizeof out, "%s/out.txt", run->dir);
    snprintf(path, sizeof path, "%s/%s", APPS_BIN_DIR, name);
    char *aargv[] = { path, NULL };
    pid_t pids[2] = { spawn_in(run->dir, pargv, trace, err),
                      spawn_in(run->dir, aargv, out, out) };
    int st[2] = { 0, 0 };
    run->pager = pids[0];
    run->app = pids[1];
    int rc = pids[0] > 0 && pids[1] > 0
             ? wait_all(pids, st, 2, APP_DEADLINE_MS) : -1;
    run->pager_status = st[0];
    run->app_status = st[1];
    append_status(out, st[1]);
    return rc;
}

/* Read a file of the run's directory, normalized (NULL if missing). */
static char *run_file(const struct app_run *run, const char *file,
                      struct pid_map *m, int trace)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", run->dir, file);
    char *raw = read_file(path);
    char *norm = raw != NULL ? normalize(raw, m, trace) : NULL;
    free(raw);
    return norm;
}

/* Check the trace and the output of a finished run; NULL when both match,
 * else a malloc'd message. */
static char *check_run(const char *name, const struct app_run *run)
{
    struct pid_map m = { .n = 0 };
    char *trace = run_file(run, "trace.txt", &m, 1);
    char *out = run_file(run, "out.txt", &m, 0);
    char *perr = run_file(run, "pager-stderr.txt", &m, 0);
    char expected[512], *msg = NULL;
    if (trace == NULL || out == NULL) {
        msg = strdup("missing trace or output");
    } else if (!WIFEXITED(run->pager_status) ||
               WEXITSTATUS(run->pager_status) != 0) {
        if (asprintf(&msg, "pager ended with status 0x%x: %.200s",
                     run->pager_status, perr != NULL ? perr : "") < 0)
            msg = NULL;
    } else {
        snprintf(expected, sizeof expected, "%s/%s.trace", APPS_SRC_DIR, name);
        msg = first_difference(expected, trace);
        snprintf(expected, sizeof expected, "%s/%s.out", APPS_SRC_DIR, name);
        if (msg == NULL)
            msg = first_difference(expected, out);
        snprintf(expected, sizeof expected, "%s/%s.err", APPS_SRC_DIR, name);
        if (msg == NULL && access(expected, F_OK) == 0)
            msg = first_difference(expected, perr != NULL ? perr : "");
    }
    free(trace);
    free(out);
    free(perr);
    return msg;
}

START_TEST(test_app_matches_expected_trace_and_output)
{
    ck_assert_int_lt(_i, app_count);
    const char *name = app_names[_i];
    char bin[512];
    snprintf(bin, sizeof bin, "%s/%s", APPS_BIN_DIR, name);
    ck_assert_msg(access(bin, X_OK) == 0 && access(APPS_PAGER, X_OK) == 0,
                  "app %s: %s or %s is not built (run make)", name, bin,
                  APPS_PAGER);
    struct app_run run;
    memset(&run, 0, sizeof run);
    int rc = run_app(name, &run);
    char *msg = rc == 0 ? check_run(name, &run) : NULL;
    static char why[1024];
    snprintf(why, sizeof why, "%s", msg != NULL ? msg : "");
    free(msg);
    remove_run_dir(&run);
    ck_assert_msg(rc == 0, "app %s: set-up failed or timed out", name);
    ck_assert_msg(why[0] == '\0', "app %s: %s", name, why);
}
END_TEST

/* Bad pager invocations and the first line each must print. */
static const struct {
    const char *args[3];
    const char *first_line;
} bad_invocations[] = {
    { { "-m", "1" }, "pager: -m must be a number from 2 to 1024 (got '1')" },
    { { "-m", "12x" }, "pager: -m must be a number from 2 to 1024 (got '12x')" },
    { { "-s", "-5" }, "pager: -s must be a number from 0 to 65536 (got '-5')" },
    { { "-s", "65537" },
      "pager: -s must be a number from 0 to 65536 (got '65537')" },
    { { "-x" }, "pager: unknown option -x" },
    { { "-m" }, "pager: missing value for -m" },
    { { "extra" }, "pager: unexpected argument 'extra'" },
    { { "-w", "x" }, "pager: -w must be a number from 0 to 3600 (got 'x')" },
};

/* Run the pager in a fresh run directory with args; wait for it.  The
 * status goes to run->pager_status; the directory is left for the caller.
 * Returns 0, or -1 on a set-up failure or timeout. */
static int run_pager_only(struct app_run *run, const char *const *args)
{
    char *argv[8] = { (char *)APPS_PAGER };
    int argc = 1;
    for (; argc < 7 && args[argc - 1] != NULL; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    if (run->dir[0] == '\0' && make_run_dir(run) != 0)
        return -1;
    char out[512], err[512];
    snprintf(out, sizeof out, "%s/trace.txt", run->dir);
    snprintf(err, sizeof err, "%s/pager-stderr.txt", run->dir);
    pid_t pid = spawn_in(run->dir, argv, out, err);
    return pid > 0 ? wait_all(&pid, &run->pager_status, 1, APP_DEADLINE_MS)
                   : -1;
}

/* The first line of the run's file, copied into line. */
static void first_line_of(const struct app_run *run, const char *file,
                          char *line, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", run->dir, file);
    char *text = read_file(path);
    snprintf(line, size, "%.*s", text != NULL ? (int)strcspn(text, "\n") : 0,
             text != NULL ? text : "");
    free(text);
}

/* Check that the pager run in run (rc: run_pager_only's result) ended
 * with exit status 'status' and first said 'want' on stderr; removes the
 * run's directory. */
static void assert_pager_refused(struct app_run *run, int rc, int status,
                                 const char *want)
{
    char line[512];
    first_line_of(run, "pager-stderr.txt", line, sizeof line);
    remove_run_dir(run);
    ck_assert_int_eq(rc, 0);
    ck_assert(WIFEXITED(run->pager_status));
    ck_assert_int_eq(WEXITSTATUS(run->pager_status), status);
    ck_assert_str_eq(line, want);
}

START_TEST(test_pager_refuses_bad_options)
{
    struct app_run run = { .dir = "" };
    int rc = run_pager_only(&run, bad_invocations[_i].args);
    assert_pager_refused(&run, rc, 2, bad_invocations[_i].first_line);
}
END_TEST

START_TEST(test_pager_refuses_a_path_that_is_not_a_socket)
{
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char sock[300], want[512];
    snprintf(sock, sizeof sock, "%s/plain-file", run.dir);
    FILE *f = fopen(sock, "w");
    if (f != NULL)
        fclose(f);
    const char *args[] = { "-S", sock, NULL };
    int rc = run_pager_only(&run, args);
    snprintf(want, sizeof want, "pager: %s exists and is not a socket", sock);
    assert_pager_refused(&run, rc, 1, want);
}
END_TEST

START_TEST(test_pager_refuses_a_socket_path_too_long)
{
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    const char *args[] = { "-S", longpath, NULL };
    struct app_run run = { .dir = "" };
    int rc = run_pager_only(&run, args);
    char want[512];
    snprintf(want, sizeof want, "pager: socket path is too long (max %zu "
             "bytes): %s", sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
             longpath);
    assert_pager_refused(&run, rc, 1, want);
}
END_TEST

static int raw_connect(const char *path);

START_TEST(test_second_pager_refused_and_sigterm_stops_the_first)
{
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char sock[300], trace[300], err[300], line[512], want[512], started[512];
    snprintf(sock, sizeof sock, "%s/sock", run.dir);
    snprintf(trace, sizeof trace, "%s/first-trace.txt", run.dir);
    snprintf(err, sizeof err, "%s/first-stderr.txt", run.dir);
    char *argv[] = { (char *)APPS_PAGER, NULL };
    pid_t first = spawn_in(run.dir, argv, trace, err);
    int probe = first > 0 ? raw_connect(sock) : -1; /* listening, not just bound */
    int ready = probe >= 0 ? close(probe) : -1;
    const char *none[] = { NULL };
    int rc = ready == 0 ? run_pager_only(&run, none) : -1;
    first_line_of(&run, "pager-stderr.txt", line, sizeof line);
    int st = 0;
    if (first > 0)
        kill(first, SIGTERM);
    int stopped = first > 0 ? wait_all(&first, &st, 1, APP_DEADLINE_MS) : -1;
    int sock_left = access(sock, F_OK) == 0;
    first_line_of(&run, "first-trace.txt", started, sizeof started);
    snprintf(want, sizeof want, "pager: another pager is serving %s", sock);
    remove_run_dir(&run);
    ck_assert_int_eq(ready, 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(WEXITSTATUS(run.pager_status), 1);
    ck_assert_str_eq(line, want);
    ck_assert_int_eq(stopped, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert(!sock_left);
    ck_assert_str_eq(started, "Pager started with 4 physical memory pages");
}
END_TEST

START_TEST(test_app_without_pager_says_it_cannot_connect)
{
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char path[512], out[512], line[512];
    snprintf(path, sizeof path, "%s/zero_read", APPS_BIN_DIR);
    snprintf(out, sizeof out, "%s/out.txt", run.dir);
    char *argv[] = { path, NULL };
    pid_t app = spawn_in(run.dir, argv, out, out);
    int st = 0;
    int rc = app > 0 ? wait_all(&app, &st, 1, APP_DEADLINE_MS) : -1;
    first_line_of(&run, "out.txt", line, sizeof line);
    remove_run_dir(&run);
    ck_assert_int_eq(rc, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert_msg(strstr(line, ": cannot connect to the pager at ") != NULL &&
                  strncmp(line, "app ", 4) == 0, "got '%s'", line);
}
END_TEST

START_TEST(test_pager_without_swap_dir_refuses_to_start)
{
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char *old = getenv("TMPDIR") != NULL ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", "/nonexistent-pagelab-dir", 1);
    const char *none[] = { NULL };
    int rc = run_pager_only(&run, none);
    if (old != NULL)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    assert_pager_refused(&run, rc, 1, "pager: cannot create the swap file in "
                         "/nonexistent-pagelab-dir: No such file or directory");
}
END_TEST

/* addr for the Unix socket at path.  Returns 0, or -1 when too long. */
static int unix_addr(struct sockaddr_un *addr, const char *path)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len >= sizeof addr->sun_path)
        return -1;
    memcpy(addr->sun_path, path, len + 1);
    return 0;
}

/* A raw protocol client connected to path (retrying while the pager
 * starts).  Returns the socket or -1. */
static int raw_connect(const char *path)
{
    struct sockaddr_un addr;
    if (unix_addr(&addr, path) != 0)
        return -1;
    for (long end = now_ms() + APP_DEADLINE_MS; now_ms() < end;) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        struct timespec ts = { .tv_nsec = 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Leave a dead socket file at path, as a crashed pager would. */
static void make_stale_socket(const char *path)
{
    struct sockaddr_un addr;
    if (unix_addr(&addr, path) != 0)
        return;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        unlink(path);
    if (fd >= 0)
        close(fd);
}

/* Say HELLO as pid on a new connection; returns the reply kind (0: none).
 * *fd_out keeps the connection. */
static uint32_t raw_hello(const char *sock, int32_t pid, int *fd_out)
{
    static struct vmproto_reply rp;
    struct vmproto_request rq = { .op = VMPROTO_HELLO, .pid = pid,
                                  .parent = 1 };
    int memfd = -1;
    *fd_out = raw_connect(sock);
    if (*fd_out < 0 || vmproto_send(*fd_out, &rq, sizeof rq, -1) != 0 ||
        vmproto_recv(*fd_out, &rp, sizeof rp, &memfd) != 0)
        return 0;
    if (memfd >= 0)
        close(memfd);
    return rp.kind;
}

/* Whether the peer of fd closes the connection (a receive sees EOF). */
static int raw_closed(int fd)
{
    char buf[sizeof(struct vmproto_reply)];
    return recv(fd, buf, sizeof buf, 0) == 0;
}

/* What the pager says about the bad clients of the next test. */
static const char bad_clients_trace[] =
    "Pager started with 4 physical memory pages\n"
    "vm_create\t(1, 424242)\nvm_create returned 0\nvm_switch\t(424242)\n"
    "\t\t\t\t\treturning to (424242) with pages:\n"
    "vm_create\t(1, 434343)\nvm_create returned 0\n"
    "vm_switch\t(434343)\nvm_destroy\t(434343)\n"
    "vm_switch\t(424242)\nvm_destroy\t(424242)\n";
static const char bad_clients_stderr[] =
    "pager: refused a second process with pid 424242\n"
    "pager: malformed message from process 0\n"
    "pager: protocol error from process 434343 (request 4)\n"
    "pager: protocol error from process 424242 (request 99)\n";

/* A waiting app (queued behind a runner) that sends a request out of turn:
 * returns whether the pager dropped it.  *fd_out keeps the connection. */
static int raw_out_of_turn(const char *sock, int *fd_out)
{
    struct vmproto_request hello = { .op = VMPROTO_HELLO, .pid = 434343,
                                     .parent = 1 };
    struct vmproto_request map = { .op = VMPROTO_MAP };
    *fd_out = raw_connect(sock);
    return *fd_out >= 0 &&
           vmproto_send(*fd_out, &hello, sizeof hello, -1) == 0 &&
           vmproto_send(*fd_out, &map, sizeof map, -1) == 0 &&
           raw_closed(*fd_out);
}

START_TEST(test_pager_drops_bad_clients_and_serves_on)
{
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char sock[300], trace[300], err[300];
    snprintf(sock, sizeof sock, "%s/sock", run.dir);
    snprintf(trace, sizeof trace, "%s/trace.txt", run.dir);
    snprintf(err, sizeof err, "%s/pager-stderr.txt", run.dir);
    make_stale_socket(sock);
    char *argv[] = { (char *)APPS_PAGER, (char *)"-s", (char *)"4", NULL };
    pid_t pager = spawn_in(run.dir, argv, trace, err);
    int a, b, c;
    uint32_t first = raw_hello(sock, 424242, &a);
    uint32_t twin = raw_hello(sock, 424242, &b);
    c = raw_connect(sock);
    int short_dropped = c >= 0 && send(c, "abcd", 4, 0) == 4 && raw_closed(c);
    int d, eager_dropped = raw_out_of_turn(sock, &d);
    uint32_t bogus = 99;
    struct vmproto_request rq = { .op = bogus };
    int bad_dropped = vmproto_send(a, &rq, sizeof rq, -1) == 0 && raw_closed(a);
    int st = 0;
    int rc = pager > 0 ? wait_all(&pager, &st, 1, APP_DEADLINE_MS) : -1;
    for (int *fd = (int[]){ a, b, c, d }, i = 0; i < 4; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    char *got_trace = read_file(trace), *got_err = read_file(err);
    remove_run_dir(&run);
    ck_assert_uint_eq(first, VMPROTO_RUN);
    ck_assert_uint_eq(twin, VMPROTO_REFUSED);
    ck_assert(short_dropped && eager_dropped && bad_dropped);
    ck_assert_int_eq(rc, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_str_eq(got_trace, bad_clients_trace);
    ck_assert_str_eq(got_err, bad_clients_stderr);
    free(got_trace);
    free(got_err);
}
END_TEST

/* Lines of text (NULL: 0). */
static int count_lines(const char *text)
{
    int n = 0;
    for (; text != NULL && *text != '\0'; text++)
        n += *text == '\n';
    return n;
}

/* Wait until no more of the n clients in fds get a reply for 500 ms;
 * returns how many got REFUSED. */
static int count_refusals(const int *fds, int n)
{
    static struct vmproto_reply rp;
    int refused = 0, *done = calloc((size_t)n, sizeof *done);
    for (long quiet = now_ms(); done != NULL && now_ms() - quiet < 500;) {
        for (int i = 0; i < n; i++) {
            struct pollfd pfd = { .fd = fds[i], .events = POLLIN };
            if (done[i] || poll(&pfd, 1, 0) != 1)
                continue;
            done[i] = 1;
            quiet = now_ms();
            refused += vmproto_recv(fds[i], &rp, sizeof rp, NULL) == 0 &&
                       rp.kind == VMPROTO_REFUSED;
        }
        struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    free(done);
    return refused;
}

/* CPU time (user + system, in clock ticks) process pid has used so far. */
static long cpu_ticks(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = read_file(path);
    char *p = stat != NULL ? strrchr(stat, ')') : NULL;
    long utime = -1, stime = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %ld %ld", &utime, &stime) != 2)
        utime = -1;
    free(stat);
    return utime < 0 ? -1 : utime + stime;
}

START_TEST(test_pager_refuses_apps_past_the_open_file_limit)
{
    enum { CLIENTS = 40 };
    struct app_run run = { .dir = "" };
    ck_assert_int_eq(make_run_dir(&run), 0);
    char sock[300], trace[300], err[300];
    snprintf(sock, sizeof sock, "%s/sock", run.dir);
    snprintf(trace, sizeof trace, "%s/trace.txt", run.dir);
    snprintf(err, sizeof err, "%s/pager-stderr.txt", run.dir);
    char *argv[] = { (char *)APPS_PAGER, NULL };
    spawn_nofile = 32;
    pid_t pager = spawn_in(run.dir, argv, trace, err);
    spawn_nofile = 0;
    int runner, fds[CLIENTS];
    uint32_t first = raw_hello(sock, 600000, &runner);
    for (int i = 0; i < CLIENTS; i++) {
        struct vmproto_request hello = { .op = VMPROTO_HELLO,
                                         .pid = 600001 + i, .parent = 1 };
        fds[i] = raw_connect(sock);
        if (fds[i] >= 0)
            vmproto_send(fds[i], &hello, sizeof hello, -1);
    }
    int refused = count_refusals(fds, CLIENTS);
    long ticks = cpu_ticks(pager);
    /* the runner is still served */
    static struct vmproto_reply rp;
    struct vmproto_request map = { .op = VMPROTO_MAP };
    int served = vmproto_send(runner, &map, sizeof map, -1) == 0 &&
                 vmproto_recv(runner, &rp, sizeof rp, NULL) == 0 &&
                 rp.kind == VMPROTO_RUN;
    close(runner);
    for (int i = 0; i < CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    int st = 0;
    int rc = pager > 0 ? wait_all(&pager, &st, 1, APP_DEADLINE_MS) : -1;
    char *got_err = read_file(err);
    char line[512];
    first_line_of(&run, "pager-stderr.txt", line, sizeof line);
    remove_run_dir(&run);
    ck_assert_uint_eq(first, VMPROTO_RUN);
    ck_assert_msg(refused > 0 && refused < CLIENTS, "refused %d: %.300s", refused,
                  got_err != NULL ? got_err : "");
    /* one line per refused app, nothing else: no busy loop */
    ck_assert_int_eq(count_lines(got_err), refused);
    ck_assert_msg(strstr(line, "pager: refused pid ") == line &&
                  strstr(line, ": too many open files (limit 32)") != NULL,
                  "got '%s'", line);
    ck_assert_msg(ticks >= 0 && ticks < 100, "pager used %ld ticks", ticks);
    ck_assert(served);
    ck_assert_int_eq(rc, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(got_err);
}
END_TEST

START_TEST(test_pager_refuses_to_start_without_room_for_apps)
{
    struct app_run run = { .dir = "" };
    const char *none[] = { NULL };
    spawn_nofile = 12;
    int rc = run_pager_only(&run, none);
    spawn_nofile = 0;
    char line[512];
    first_line_of(&run, "pager-stderr.txt", line, sizeof line);
    remove_run_dir(&run);
    ck_assert_int_eq(rc, 0);
    ck_assert(WIFEXITED(run.pager_status));
    ck_assert_int_eq(WEXITSTATUS(run.pager_status), 1);
    ck_assert_msg(strstr(line, "pager: the open-file limit (12) leaves no room "
                               "for apps (") == line, "got '%s'", line);
}
END_TEST

static Suite *make_apps_suite(void)
{
    list_apps();
    Suite *s = suite_create("apps");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_loop_test(core, test_app_matches_expected_trace_and_output, 0,
                        app_count);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_loop_test(limits, test_pager_refuses_bad_options, 0,
                        (int)(sizeof bad_invocations / sizeof bad_invocations[0]));
    tcase_add_test(limits, test_pager_refuses_a_path_that_is_not_a_socket);
    tcase_add_test(limits, test_pager_refuses_a_socket_path_too_long);
    tcase_add_test(limits, test_second_pager_refused_and_sigterm_stops_the_first);
    tcase_add_test(limits, test_app_without_pager_says_it_cannot_connect);
    tcase_add_test(limits, test_pager_without_swap_dir_refuses_to_start);
    tcase_add_test(limits, test_pager_drops_bad_clients_and_serves_on);
    tcase_add_test(limits, test_pager_refuses_apps_past_the_open_file_limit);
    tcase_add_test(limits, test_pager_refuses_to_start_without_room_for_apps);
    return s;
}

CHECK_MAIN(make_apps_suite)
