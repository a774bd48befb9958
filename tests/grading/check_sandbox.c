/*
 * check_sandbox.c - the grader's sandbox tested directly: small hostile
 * programs (shell one-liners, and tiny C programs this test compiles into
 * a private directory) run through `grader --sandbox` (grading/
 * sandbox_cli.c), and each test asserts one promise of grading/sandbox.h
 * and runner.h from the outside:
 *
 *   core:   the reference tree, /work, /root and /etc/shadow are invisible;
 *           no network (only lo, the host's 127.0.0.1 unreachable); files
 *           written to /tmp, /var/tmp and /dev/shm are gone after the run;
 *           a setsid'd daemon is gone after the run; the run's uid is not 0
 *           and it holds no capability;
 *   limits: a process fan-out whose sum exceeds --mem-mb is stopped and
 *           reported; a fork bomb is contained by --nproc; a tree deeper
 *           than PATH_MAX leaves nothing; --wall kills a hang.
 *
 * Where bubblewrap cannot run (no user namespaces, no bwrap), every test
 * prints one line saying it is skipped and passes: the sandbox cannot be
 * tested there, and the grader warns about it itself.
 *
 * Invariants:
 *   1. Each test removes what it made (its private directory under BUILD)
 *      and leaves no process behind even when the sandbox fails (the
 *      hostile programs are bounded: the fork bomb stops at a fixed count,
 *      every sleeper ends within seconds).
 *   2. Markers are unique per test process (its pid), so concurrent runs
 *      of this suite do not see each other's files or processes.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_util.h"

#ifndef GRADER_BIN
#error "GRADER_BIN (the grader's path) must be defined"
#endif
#ifndef KIT_DIR
#define KIT_DIR "/work/main"
#endif
#ifndef SCRATCH_DIR
#define SCRATCH_DIR "/tmp"
#endif

#define OUT_MAX 65536

/* One sandboxed run: its output and exit status, and how long it took. */
struct run {
    char out[OUT_MAX];
    int status; /* the grader's exit status (the command's), -1: no exit */
    double seconds;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run `grader --sandbox OPTS... -- /bin/bash -c SCRIPT` (opts: a NULL-
 * terminated list, may be NULL); fills r. */
static void sandbox_run(struct run *r, const char *const *opts,
                        const char *script)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = GRADER_BIN;
    argv[n++] = "--sandbox";
    for (size_t i = 0; opts != NULL && opts[i] != NULL && n < 56; i++)
        argv[n++] = opts[i];
    argv[n++] = "--";
    argv[n++] = "/bin/bash";
    argv[n++] = "-c";
    argv[n++] = script;
    argv[n] = NULL;
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    double start = now();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t got;
    while ((got = read(p[0], r->out + len, sizeof r->out - 1 - len)) > 0)
        len += (size_t)got;
    r->out[len] = '\0';
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->seconds = now() - start;
}

/* Whether the sandbox really runs here: a run sees its own /sandbox
 * working directory.  When not, print why the test is skipped. */
static int sandbox_works(void)
{
    static struct run r;
    sandbox_run(&r, NULL, "[ \"$PWD\" = /sandbox ] && echo SANDBOXED");
    if (strstr(r.out, "SANDBOXED") != NULL)
        return 1;
    printf("check_sandbox: skipped: bubblewrap cannot make a sandbox on "
           "this machine (%.200s)\n", r.out);
    return 0;
}

/* Whether any process has marker in its command line. */
static int process_with(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d != NULL && !found && (e = readdir(d)) != NULL) {
        char path[300], cmd[4096];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[n] = '\0';
        found = strstr(cmd, marker) != NULL;
    }
    if (d != NULL)
        closedir(d);
    return found;
}

/* Processes owned by uid. */
static int processes_of(uid_t uid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9'
            && stat(path, &st) == 0 && st.st_uid == uid)
            n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A private directory for the test's programs, readable by the sandbox
 * user (it is bound read-only into the sandbox). */
static void scratch_make(char *dir, size_t len)
{
    snprintf(dir, len, "%s/check-sandbox-XXXXXX", SCRATCH_DIR);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    chmod(dir, 0755);
}

static void scratch_remove(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Compile the C source text into dir/name (cc -O1); asserts it built. */
static void compile(const char *dir, const char *name, const char *source)
{
    char path[512], cmd[1400];
    snprintf(path, sizeof path, "%s/%s.c", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(source, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cc -O1 -o '%s/%s' '%s' 2>&1", dir, name,
             path);
    ck_assert_msg(system(cmd) == 0, "cannot compile %s", path);
}

START_TEST(test_reference_and_host_are_invisible)
{
    if (!sandbox_works())
        return;
    struct run r;
    sandbox_run(&r, NULL,
                "for p in /work /root /home /var/lib /etc/shadow "
                "/etc/passwd " KIT_DIR " " KIT_DIR "/phase1-single/fault.c "
                KIT_DIR "/build; do [ -e \"$p\" ] && echo \"VISIBLE $p\"; "
                "done; ls / | tr '\\n' ' '; echo; echo DONE");
    ck_assert_msg(strstr(r.out, "DONE") != NULL, "the probe did not run:\n%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "VISIBLE") == NULL,
                  "host paths are visible in the sandbox:\n%s", r.out);
}
END_TEST

START_TEST(test_no_network)
{
    if (!sandbox_works())
        return;
    /* A listener on the host's loopback, reachable from here. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s, 4), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    close(c);
    char script[512];
    snprintf(script, sizeof script,
             "if (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null; then "
             "echo CONNECTED; fi; "
             "awk 'NR > 2 { sub(\":\", \"\", $1); print \"IF \" $1 }' "
             "/proc/self/net/dev; echo DONE",
             ntohs(a.sin_port));
    struct run r;
    sandbox_run(&r, NULL, script);
    close(s);
    ck_assert_msg(strstr(r.out, "DONE") != NULL, "the probe did not run:\n%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "CONNECTED") == NULL,
                  "the sandbox reached the host's 127.0.0.1:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "IF lo") != NULL, "no lo:\n%s", r.out);
    for (const char *p = strstr(r.out, "IF "); p != NULL;
         p = strstr(p + 3, "IF "))
        ck_assert_msg(strncmp(p, "IF lo\n", 6) == 0,
                      "an interface other than lo:\n%s", r.out);
}
END_TEST

START_TEST(test_tmp_writes_vanish)
{
    if (!sandbox_works())
        return;
    char script[1024], path[256];
    const char *dirs[] = { "/tmp", "/var/tmp", "/dev/shm" };
    snprintf(script, sizeof script,
             "for d in /tmp /var/tmp /dev/shm; do "
             "echo x > $d/pagelab-sbx-%d && echo WROTE; "
             "mkdir -p $d/pagelab-sbx-dir-%d/a/b && echo WROTE; done",
             (int)getpid(), (int)getpid());
    struct run r;
    sandbox_run(&r, NULL, script);
    int wrote = 0;
    for (const char *p = r.out; (p = strstr(p, "WROTE")) != NULL; p++)
        wrote++;
    ck_assert_msg(wrote == 6, "the writes failed inside:\n%s", r.out);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/pagelab-sbx-%d", dirs[i],
                 (int)getpid());
        ck_assert_msg(access(path, F_OK) != 0, "%s outlived the run", path);
        snprintf(path, sizeof path, "%s/pagelab-sbx-dir-%d", dirs[i],
                 (int)getpid());
        ck_assert_msg(access(path, F_OK) != 0, "%s outlived the run", path);
    }
}
END_TEST

START_TEST(test_setsid_daemon_is_gone)
{
    if (!sandbox_works())
        return;
    char marker[64], script[512];
    snprintf(marker, sizeof marker, "pagelab-sbx-daemon-%d", (int)getpid());
    snprintf(script, sizeof script,
             "setsid bash -c 'trap \"\" HUP TERM; while :; do sleep 1; done "
             "# %s' < /dev/null > /dev/null 2>&1 & "
             "(setsid bash -c 'sleep 30 # %s' < /dev/null > /dev/null 2>&1 &); "
             "sleep 0.3; echo STARTED",
             marker, marker);
    struct run r;
    sandbox_run(&r, NULL, script);
    ck_assert_msg(strstr(r.out, "STARTED") != NULL, "no daemon:\n%s", r.out);
    usleep(200000);
    ck_assert_msg(!process_with(marker), "a daemon outlived the run");
}
END_TEST

START_TEST(test_runs_unprivileged_without_capabilities)
{
    if (!sandbox_works())
        return;
    struct run r;
    sandbox_run(&r, NULL,
                "echo \"UID $(id -u) EUID $(id -u)\"; "
                "grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status; "
                "echo DONE");
    ck_assert_msg(strstr(r.out, "DONE") != NULL, "no probe:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "UID 0 ") == NULL, "runs as uid 0:\n%s",
                  r.out);
    for (const char *p = strstr(r.out, "Cap"); p != NULL;
         p = strstr(p + 3, "Cap")) {
        const char *v = strchr(p, ':');
        ck_assert_ptr_nonnull(v);
        v += strspn(v + 1, " \t") + 1;
        ck_assert_msg(strncmp(v, "0000000000000000", 16) == 0,
                      "holds capabilities:\n%s", r.out);
    }
}
END_TEST

static const char *hog_source =
    "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
    "#include <sys/wait.h>\n"
    "int main(void) {\n"
    "  for (int i = 0; i < 8; i++) if (fork() == 0) {\n"
    "    size_t n = (size_t)48 << 20; volatile char *p = malloc(n);\n"
    "    for (size_t k = 0; p != NULL && k < n; k += 4096) p[k] = 1;\n"
    "    sleep(2); _exit(0); }\n"
    "  while (wait(NULL) > 0) ;\n"
    "  return 0; }\n";

START_TEST(test_memory_fanout_is_stopped_and_reported)
{
    if (!sandbox_works())
        return;
    char dir[512], script[700];
    scratch_make(dir, sizeof dir);
    compile(dir, "hog", hog_source);
    snprintf(script, sizeof script, "'%s/hog'; echo \"HOG $?\"", dir);
    const char *opts[] = { "--ro", dir, "--mem-mb", "128", "--wall", "20",
                           NULL };
    struct run r;
    sandbox_run(&r, opts, script);
    scratch_remove(dir);
    ck_assert_msg(strstr(r.out, "reached the memory limit") != NULL,
                  "8 x 48 MiB under a 128 MiB limit was not reported "
                  "(status %d; with cgroup v1, memory.failcnt may stay 0 "
                  "while memory.oom_control counts oom_kill):\n%s",
                  r.status, r.out);
    ck_assert_msg(r.seconds < 15, "took %.1f s", r.seconds);
}
END_TEST

static const char *bomb_source =
    "#include <stdio.h>\n#include <unistd.h>\n"
    "int main(void) {\n"
    "  int n = 0;\n"
    "  for (; n < 2000; n++) { pid_t p = fork(); if (p < 0) break;\n"
    "    if (p == 0) { sleep(3); _exit(0); } }\n"
    "  printf(\"FORKED %d\\n\", n); fflush(stdout); return 0; }\n";

START_TEST(test_fork_bomb_is_contained)
{
    if (!sandbox_works())
        return;
    char dir[512], script[700];
    scratch_make(dir, sizeof dir);
    compile(dir, "bomb", bomb_source);
    snprintf(script, sizeof script, "echo \"UID $(id -u)\"; '%s/bomb'", dir);
    const char *opts[] = { "--ro", dir, "--nproc", "40", "--wall", "10",
                           NULL };
    struct run r;
    sandbox_run(&r, opts, script);
    scratch_remove(dir);
    const char *f = strstr(r.out, "FORKED "), *u = strstr(r.out, "UID ");
    ck_assert_msg(f != NULL && u != NULL, "no count:\n%s", r.out);
    int forked = atoi(f + 7);
    ck_assert_msg(forked < 100, "forked %d processes under --nproc 40",
                  forked);
    uid_t uid = (uid_t)atoi(u + 4);
    if (uid != getuid()) {
        usleep(200000);
        ck_assert_msg(processes_of(uid) == 0,
                      "processes of uid %u outlived the run", (unsigned)uid);
    }
}
END_TEST

static const char *deep_source =
    "#include <stdio.h>\n#include <sys/stat.h>\n#include <unistd.h>\n"
    "int main(int argc, char **argv) {\n"
    "  for (int b = 2; b < argc; b++) {\n"
    "    if (chdir(argv[b]) != 0) continue;\n"
    "    long len = 0;\n"
    "    for (int i = 0; i < 200; i++) {\n"
    "      if (mkdir(argv[1], 0755) != 0 || chdir(argv[1]) != 0) break;\n"
    "      len++; }\n"
    "    printf(\"DEPTH %ld\\n\", len); }\n"
    "  return 0; }\n";

START_TEST(test_deep_tree_leaves_nothing)
{
    if (!sandbox_works())
        return;
    char dir[512], name[128], script[1024], path[256];
    snprintf(name, sizeof name, "pagelab-sbx-deep-%d-0123456789",
             (int)getpid());
    scratch_make(dir, sizeof dir);
    compile(dir, "deep", deep_source);
    snprintf(script, sizeof script,
             "'%s/deep' %s /tmp /var/tmp /dev/shm /sandbox", dir, name);
    const char *opts[] = { "--ro", dir, NULL };
    struct run r;
    sandbox_run(&r, opts, script);
    scratch_remove(dir);
    int deep = 0;
    for (const char *p = r.out; (p = strstr(p, "DEPTH ")) != NULL; p++)
        deep += atol(p + 6) * (long)(strlen(name) + 1) > 4096;
    ck_assert_msg(deep == 4, "the trees were not deeper than PATH_MAX:\n%s",
                  r.out);
    const char *dirs[] = { "/tmp", "/var/tmp", "/dev/shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        ck_assert_msg(access(path, F_OK) != 0, "%s outlived the run", path);
    }
}
END_TEST

START_TEST(test_time_limit_kills_a_hang)
{
    if (!sandbox_works())
        return;
    char marker[64], script[256];
    snprintf(marker, sizeof marker, "pagelab-sbx-hang-%d", (int)getpid());
    snprintf(script, sizeof script,
             "trap '' TERM INT HUP; sleep 100 # %s", marker);
    const char *opts[] = { "--wall", "1", NULL };
    struct run r;
    sandbox_run(&r, opts, script);
    ck_assert_msg(r.status == 124, "status %d, not 124:\n%s", r.status,
                  r.out);
    ck_assert_msg(strstr(r.out, "ran out of time") != NULL, "%s", r.out);
    ck_assert_msg(r.seconds < 5, "the hang took %.1f s", r.seconds);
    ck_assert_msg(!process_with(marker), "the hang outlived the run");
}
END_TEST

static Suite *make_sandbox_suite(void)
{
    Suite *s = suite_create("sandbox");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_reference_and_host_are_invisible);
    tcase_add_test(core, test_no_network);
    tcase_add_test(core, test_tmp_writes_vanish);
    tcase_add_test(core, test_setsid_daemon_is_gone);
    tcase_add_test(core, test_runs_unprivileged_without_capabilities);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_memory_fanout_is_stopped_and_reported);
    tcase_add_test(limits, test_fork_bomb_is_contained);
    tcase_add_test(limits, test_deep_tree_leaves_nothing);
    tcase_add_test(limits, test_time_limit_kills_a_hang);
    return s;
}

CHECK_MAIN(make_sandbox_suite)
