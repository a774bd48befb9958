/*
 * cgroup.c - whole-run memory and process limits through a control group
 * (see cgroup.h).
 *
 * Finding the grader's own group: /proc/self/cgroup names it per
 * hierarchy ("0::/path" for v2, "N:memory:/path" for v1), and
 * /proc/self/mountinfo says where each hierarchy is mounted.  A new group
 * "pagelab-<pid>-<n>" is made below it.
 *
 * Invariants: those of cgroup.h.  Locking: none (the grader is single
 * threaded; cg_enter runs in a freshly forked child).
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Write text to dir/file.  Returns 0 or -errno. */
static int put(const char *dir, const char *file, const char *text)
{
    char path[CG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

/* Read the first number of dir/file; 0 when absent. */
static unsigned long long get(const char *dir, const char *file)
{
    char path[CG_PATH_MAX + 64];
    unsigned long long v = 0;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (f != NULL) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* The value of key in a "key value" file (memory.events); 0 if absent. */
static unsigned long long get_key(const char *dir, const char *file,
                                  const char *key)
{
    char path[CG_PATH_MAX + 64], name[64];
    unsigned long long v, found = 0;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    while (f != NULL && fscanf(f, "%63s %llu", name, &v) == 2)
        if (strcmp(name, key) == 0)
            found = v;
    if (f != NULL)
        fclose(f);
    return found;
}

/* Where the hierarchy holding controller is mounted ("" for v2's unified
 * one when controller is NULL).  Returns 0 or -ENOENT. */
static int mount_point(const char *controller, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[1024];
    int rc = -ENOENT;
    while (f != NULL && rc != 0 && fgets(line, sizeof line, f) != NULL) {
        char mnt[200], fstype[64], opts[512];
        const char *dash = strstr(line, " - ");
        if (dash == NULL
            || sscanf(line, "%*s %*s %*s %*s %199s", mnt) != 1
            || sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        bool match = controller == NULL
                         ? v2
                         : strcmp(fstype, "cgroup") == 0
                               && strstr(opts, controller) != NULL;
        if (match) {
            snprintf(out, len, "%s", mnt);
            rc = 0;
        }
    }
    if (f != NULL)
        fclose(f);
    return rc;
}

/* The grader's own group path in the hierarchy holding controller (NULL:
 * v2's "0::" line).  Returns 0 or -ENOENT. */
static int own_group(const char *controller, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024];
    int rc = -ENOENT;
    while (f != NULL && rc != 0 && fgets(line, sizeof line, f) != NULL) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        line[strcspn(line, "\n")] = '\0';
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        const char *ctrls = c1 + 1;
        bool match = controller == NULL ? *ctrls == '\0'
                                        : strstr(ctrls, controller) != NULL;
        if (match) {
            snprintf(out, len, "%s", c2 + 1);
            rc = 0;
        }
    }
    if (f != NULL)
        fclose(f);
    return rc;
}

/* Make a new group below the grader's own in the hierarchy of controller
 * (NULL: v2).  Fills dir.  Returns 0 or -errno. */
static int make_group(const char *controller, char *dir, size_t len)
{
    static unsigned serial;
    char mnt[200], own[200];
    struct stat st;
    if (mount_point(controller, mnt, sizeof mnt) != 0
        || own_group(controller, own, sizeof own) != 0)
        return -ENOENT;
    if (strcmp(own, "/") == 0)
        own[0] = '\0';
    snprintf(dir, len, "%s%s", mnt, own);
    if (stat(dir, &st) != 0) /* a cgroup namespace hides the prefix */
        snprintf(dir, len, "%s", mnt);
    size_t used = strlen(dir);
    snprintf(dir + used, len - used, "/pagelab-%d-%u", (int)getpid(),
             serial++);
    return mkdir(dir, 0755) == 0 ? 0 : -errno;
}

/* v2: a group with memory.max and pids.max, enabling the controllers
 * for the grader's group's children when needed.  Returns 0 or -errno. */
static int open_v2(struct cg *cg, const char *mem, const char *pids)
{
    char probe[CG_PATH_MAX + 16];
    int err = make_group(NULL, cg->mem_dir, sizeof cg->mem_dir);
    if (err != 0)
        return err;
    snprintf(probe, sizeof probe, "%s/memory.max", cg->mem_dir);
    if (access(probe, F_OK) != 0) {
        char parent[CG_PATH_MAX];
        snprintf(parent, sizeof parent, "%s", cg->mem_dir);
        *strrchr(parent, '/') = '\0';
        (void)put(parent, "cgroup.subtree_control", "+memory +pids");
    }
    if ((err = put(cg->mem_dir, "memory.max", mem)) != 0
        || (err = put(cg->mem_dir, "pids.max", pids)) != 0) {
        rmdir(cg->mem_dir);
        return err;
    }
    (void)put(cg->mem_dir, "memory.swap.max", "0");
    cg->version = 2;
    return 0;
}

/* v1: a memory group and a pids group.  Returns 0 or -errno. */
static int open_v1(struct cg *cg, const char *mem, const char *pids)
{
    int err = make_group("memory", cg->mem_dir, sizeof cg->mem_dir);
    if (err != 0)
        return err;
    if ((err = put(cg->mem_dir, "memory.limit_in_bytes", mem)) != 0) {
        rmdir(cg->mem_dir);
        return err;
    }
    (void)put(cg->mem_dir, "memory.memsw.limit_in_bytes", mem);
    if (make_group("pids", cg->pids_dir, sizeof cg->pids_dir) != 0
        || put(cg->pids_dir, "pids.max", pids) != 0) {
        if (cg->pids_dir[0] != '\0')
            rmdir(cg->pids_dir);
        cg->pids_dir[0] = '\0'; /* RLIMIT_NPROC still bounds processes */
    }
    cg->version = 1;
    return 0;
}

/* See cgroup.h. */
int cg_open(struct cg *cg, unsigned long mem_mb, unsigned pids)
{
    char mem[32], npids[32];
    memset(cg, 0, sizeof *cg);
    snprintf(mem, sizeof mem, "%llu", (unsigned long long)mem_mb << 20);
    snprintf(npids, sizeof npids, "%u", pids);
    if (open_v2(cg, mem, npids) == 0)
        return 0;
    memset(cg, 0, sizeof *cg);
    int err = open_v1(cg, mem, npids);
    if (err != 0)
        memset(cg, 0, sizeof *cg);
    return err;
}

/* See cgroup.h. */
int cg_enter(const struct cg *cg)
{
    if (cg->version == 0)
        return 0;
    int err = put(cg->mem_dir, "cgroup.procs", "0");
    if (err == 0 && cg->pids_dir[0] != '\0')
        err = put(cg->pids_dir, "cgroup.procs", "0");
    return err;
}

/* Kill every process listed in dir/cgroup.procs; returns how many. */
static int kill_listed(const char *dir)
{
    char path[CG_PATH_MAX + 64];
    int pid, n = 0;
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    while (f != NULL && fscanf(f, "%d", &pid) == 1)
        if (kill(pid, SIGKILL) == 0)
            n++;
    if (f != NULL)
        fclose(f);
    return n;
}

/* See cgroup.h. */
void cg_kill_all(const struct cg *cg)
{
    if (cg->version == 0)
        return;
    if (cg->version == 2)
        (void)put(cg->mem_dir, "cgroup.kill", "1");
    for (int i = 0; i < 2000; i++) { /* at most about 2 s */
        int left = kill_listed(cg->mem_dir);
        if (cg->pids_dir[0] != '\0')
            left += kill_listed(cg->pids_dir);
        if (left == 0)
            return;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
}

/* See cgroup.h. */
bool cg_hit_memory_limit(const struct cg *cg)
{
    if (cg->version == 2)
        return get_key(cg->mem_dir, "memory.events", "max") > 0
               || get_key(cg->mem_dir, "memory.events", "oom_kill") > 0;
    if (cg->version == 1)
        return get(cg->mem_dir, "memory.failcnt") > 0
               || get(cg->mem_dir, "memory.memsw.failcnt") > 0
               || get_key(cg->mem_dir, "memory.oom_control", "oom_kill") > 0;
    return false;
}

/* See cgroup.h. */
unsigned long cg_peak_mb(const struct cg *cg)
{
    unsigned long long b = 0;
    if (cg->version == 2)
        b = get(cg->mem_dir, "memory.peak");
    else if (cg->version == 1)
        b = get(cg->mem_dir, "memory.max_usage_in_bytes");
    return (unsigned long)(b >> 20);
}

/* See cgroup.h. */
void cg_close(struct cg *cg)
{
    if (cg->version == 0)
        return;
    cg_kill_all(cg);
    for (int i = 0; i < 100 && rmdir(cg->mem_dir) != 0 && errno == EBUSY; i++)
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    if (cg->pids_dir[0] != '\0')
        rmdir(cg->pids_dir);
    cg->version = 0;
}
