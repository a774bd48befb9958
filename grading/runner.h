/*
 * runner.h - run one untrusted program (a test runner built from a
 * student's code) in its own process under a deadline and resource limits,
 * and collect its output and its check XML log.
 *
 * The program gets a clean environment (only what the caller passes), its
 * own session and process group, a fresh scratch directory as cwd, HOME and
 * TMPDIR, and rlimits on CPU, address space, file size, open files and
 * processes.  When the grader runs as root the program runs as an
 * unprivileged uid of its own (no account; see runner.c), so it can write
 * neither the grader's results nor the kit.  Where bubblewrap works
 * (sandbox.h) the program also gets its own view of the file system (only
 * the system and the directories the caller names), no network, and
 * private tmpfs mounts; where a control group can be made (cgroup.h),
 * memory and processes are limited for the run as a whole.
 *
 * Two pipes only this run can see carry what the grader believes: check's
 * XML log (fd 3, named to check as /dev/fd/3) and the completion records
 * of tests/check_util.h (fd 4, announced with a fresh random token in
 * PAGELAB_RECORD): nothing written to any file path can change them.
 *
 * Invariants:
 *   1. When runner_run returns, no process started by the run is left
 *      (the grader is a child subreaper; every descendant is killed).
 *   2. Output and XML are each bounded (RUNNER_MAX_OUTPUT / RUNNER_MAX_XML);
 *      a program that writes more is truncated, never blocked forever.
 */
#ifndef PAGELAB_GRADING_RUNNER_H
#define PAGELAB_GRADING_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

#define RUNNER_MAX_OUTPUT (64u * 1024u)
#define RUNNER_MAX_XML (4u * 1024u * 1024u)
#define RUNNER_MAX_RECORDS (1024u * 1024u)
#define RUNNER_TOKEN_LEN 32 /* hex digits of the per-run record token */

struct runner_limits {
    double wall_seconds;      /* deadline for the whole run */
    unsigned cpu_seconds;     /* RLIMIT_CPU per process */
    unsigned long mem_mb;     /* RLIMIT_AS (0: unlimited, e.g. sanitizers) */
    unsigned long fsize_mb;   /* RLIMIT_FSIZE */
    unsigned nproc;           /* processes/threads of the run's user */
    unsigned long run_mem_mb; /* memory of all its processes (0: none) */
    const struct sandbox_view *view; /* what it sees (NULL: system only) */
};

struct runner_result {
    int exit_code;            /* exit status, or -1 when killed */
    int signal;               /* terminating signal, 0 when exited */
    bool timed_out;           /* killed at the deadline */
    double seconds;           /* wall time */
    char *output;             /* stdout+stderr, NUL-terminated, bounded */
    size_t output_len;
    bool output_truncated;
    char *xml;                /* what was written on the log pipe */
    size_t xml_len;
    bool xml_truncated;
    char *records;            /* what was written on the record pipe */
    size_t records_len;
    char token[RUNNER_TOKEN_LEN + 1]; /* the run's record token */
    bool sandboxed;           /* ran under bwrap */
    bool memory_limit_hit;    /* the run reached run_mem_mb */
    unsigned long peak_mb;    /* peak memory of the run (0: unknown) */
};

/* Make the calling process a child subreaper and probe the sandbox (once,
 * before any run). */
void runner_init(void);

/* The uid and gid untrusted runs use (the caller's own when not root). */
unsigned runner_sandbox_uid(void);
unsigned runner_sandbox_gid(void);

/* Run argv[0] (a path) with exactly the environment envp (NULL-terminated
 * "K=V" strings; CK_XML_LOG_FILE_NAME is added).  Fills *res (free with
 * runner_result_free).  Returns 0 when the program was started, -errno when
 * it could not be (no pipe, no fork, no scratch directory). */
int runner_run(char *const argv[], char *const envp[],
               const struct runner_limits *lim, struct runner_result *res);

void runner_result_free(struct runner_result *res);

/* `grader --sandbox ...` (sandbox_cli.c): argv after "--sandbox".
 * Returns the process exit status. */
int runner_cli(int argc, char **argv);

/* One line describing how the run ended: "exited 0", "killed by signal 9
 * (Killed)", "timed out after 30.0 s". */
void runner_describe(const struct runner_result *res, char *buf, size_t len);

#endif
