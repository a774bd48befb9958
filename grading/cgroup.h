/*
 * cgroup.h - limits that hold for a whole run: memory summed over every
 * process of the run, and the number of processes, through a control group
 * of the grader's own.
 *
 * cgroup v2 (one unified hierarchy with the memory and pids controllers
 * enabled for the grader's group) is used where the machine offers it;
 * otherwise cgroup v1's memory and pids hierarchies.  Creating a group
 * needs write access to the grader's own group (root, or a delegated
 * group, as systemd-run --user --scope -p Delegate=yes gives).  When
 * neither works, cg_open fails and the runner falls back to per-process
 * rlimits (RLIMIT_AS times RLIMIT_NPROC bounds the run; see grading/README.md).
 *
 * Invariants:
 *   1. A group is created empty and removed by cg_close only after every
 *      process in it is gone (cg_kill_all first).
 *   2. Memory includes tmpfs pages the run wrote (the kernel charges shmem
 *      to the group that touched it), so private /tmp, /var/tmp and
 *      /dev/shm are bounded by the same limit.
 */
#ifndef PAGELAB_GRADING_CGROUP_H
#define PAGELAB_GRADING_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#define CG_PATH_MAX 512

struct cg {
    int version;                   /* 1 or 2; 0: not open */
    char mem_dir[CG_PATH_MAX];     /* v2: the one group; v1: memory group */
    char pids_dir[CG_PATH_MAX];    /* v1 only: the pids group ("" if none) */
};

/* Create a fresh group below the grader's own with a memory limit of
 * mem_mb MiB (swap included where the kernel accounts it) and at most
 * pids processes.  Returns 0, or -errno when groups cannot be made here
 * (*cg is then closed and cg_enter is a no-op). */
int cg_open(struct cg *cg, unsigned long mem_mb, unsigned pids);

/* Move the calling process into the group (call in the child, before it
 * drops privileges and execs).  Returns 0 or -errno. */
int cg_enter(const struct cg *cg);

/* Kill every process in the group and wait (bounded) until it is empty. */
void cg_kill_all(const struct cg *cg);

/* Whether the run hit its memory limit (the kernel refused or reclaimed
 * memory at the limit, or killed a process for it). */
bool cg_hit_memory_limit(const struct cg *cg);

/* Peak memory of the run in MiB (0 when unknown). */
unsigned long cg_peak_mb(const struct cg *cg);

/* Remove the group (invariant 1); no-op when not open. */
void cg_close(struct cg *cg);

#endif
