/*
 * sandbox.h - the file-system and namespace view an untrusted run gets,
 * through bubblewrap (bwrap, Debian package bubblewrap).
 *
 * What a sandboxed program sees:
 *   - the system read-only: /usr (and /bin, /lib, /lib64, /sbin as the host
 *     has them), /etc/alternatives and the dynamic loader's cache: enough to
 *     run the compiler, make and the test binaries; no other /etc file, no
 *     /home, /root, /work, /var;
 *   - the directories the caller names, at the same path, read-only or
 *     read-write (the grading tree; nothing of the reference);
 *   - private, size-limited tmpfs mounts on /tmp, /var/tmp, /dev/shm and
 *     its working directory /sandbox, which vanish with the run;
 *   - a fresh /proc of its own pid namespace, a minimal /dev;
 *   - no network (its own empty network namespace), its own IPC and UTS
 *     namespaces, a new session (no terminal to inject keys into).
 * It runs as an unprivileged uid (the caller drops to it before exec'ing
 * bwrap) inside a user namespace, so it holds no capability anywhere.
 *
 * Invariants:
 *   1. When the pid namespace's first process dies, the kernel kills every
 *      other process of the run (bwrap --die-with-parent ties that process
 *      to the bwrap the runner started).
 *   2. Nothing the run writes outside the read-write directories outlives
 *      it (every other writable place is one of its tmpfs mounts).
 */
#ifndef PAGELAB_GRADING_SANDBOX_H
#define PAGELAB_GRADING_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_MAX_BINDS 8
#define SANDBOX_WORKDIR "/sandbox"

struct sandbox_view {
    const char *ro[SANDBOX_MAX_BINDS + 1]; /* NULL-terminated host paths */
    const char *rw[SANDBOX_MAX_BINDS + 1]; /* NULL-terminated host paths */
    const char *cwd;         /* working directory; NULL: SANDBOX_WORKDIR */
    unsigned long tmp_mb;    /* size of each tmpfs (0: 256 MiB) */
};

/* Whether bwrap is installed and can make its namespaces here when run
 * as uid/gid (0: as the caller), probed once before any run.
 * PAGELAB_SANDBOX=off in the environment turns the sandbox off (trusted
 * runs, debugging). */
bool sandbox_available(uid_t uid, gid_t gid);

/* The argv that runs argv under bwrap with view: a malloc'd NULL-
 * terminated array (free with sandbox_free_argv).  NULL on ENOMEM. */
char **sandbox_argv(const struct sandbox_view *view, char *const argv[]);

void sandbox_free_argv(char **argv);

#endif
