/*
 * vm_app.c - the app library: makes an ordinary program an app of the
 * pager program (vm_app.h).
 *
 * On start (a constructor) the app reserves its arena (PROT_NONE), installs
 * a SIGSEGV handler, connects to the pager and says HELLO(parent, pid); the
 * pager calls vm_create and, when the app's turn comes, replies with its
 * page table.  After every reply the library maps each arena page as the
 * table says: the pager's frame (from the memfd it passed) read-only or
 * read-write, or a PROT_NONE overlay.  So plain loads and stores work, and
 * a disallowed one raises SIGSEGV, which becomes a FAULT request; the
 * instruction retries once the pager answers.  fork() is interposed: the
 * child connects on its own and the parent waits until the pager has
 * created it.  exit sends EXIT (vm_destroy).
 *
 * Invariants:
 *   1. app.prot / app.ppage always describe what is mapped in the arena
 *      (a fork child inherits both, so they stay true in the child).
 *   2. Only the running app touches its arena: the library returns to app
 *      code only after a RUN reply.
 *   3. A fault outside the arena is not ours: the default action runs.
 *   4. stdout is unbuffered, so the output of apps appears in run order.
 */
#include "vm_app.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "vm_proto.h"

#define VMAPP_BASE ((uintptr_t)VM_ARENA_BASEADDR)
#define VMAPP_CONNECT_TRIES 500 /* x 10 ms: how long to wait for the pager */

/* The app's view of its arena and its connection (one thread: apps are
 * single-threaded; the SIGSEGV handler runs on that thread). */
static struct {
    int sock;                          /* connection to the pager, or -1 */
    int memfd;                         /* physical memory, or -1 */
    pid_t pid;                         /* whose connection sock is */
    bool active;                       /* managed by the pager */
    uint32_t ppage[VM_ARENA_PAGES];    /* mapped frame per page */
    uint8_t prot[VM_ARENA_PAGES];      /* enum vmproto_prot per page */
} app = { .sock = -1, .memfd = -1 };

/* Set only in --coverage builds (libgcov): lets an app that dies without
 * exit() still count in the coverage report. */
extern void __gcov_dump(void) __attribute__((weak));

/* Save coverage data before a death that skips exit(). */
static void vmapp_save_coverage(void)
{
    if (__gcov_dump != NULL)
        __gcov_dump();
}

/* Print "app PID: what" (with errno's text when err != 0) and exit. */
static void vmapp_die(const char *what, int err)
{
    char line[256];
    int n = snprintf(line, sizeof line, "app %d: %s%s%s\n", (int)getpid(),
                     what, err ? ": " : "", err ? strerror(err) : "");
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        n = 0;
    vmapp_save_coverage();
    _exit(1);
}

/* Map arena page i as (ppage, prot), keeping invariant 1. */
static void vmapp_map_page(unsigned i, uint32_t ppage, uint8_t prot)
{
    void *addr = (void *)(VMAPP_BASE + (uintptr_t)i * VM_PAGESIZE);
    void *got;
    if (prot == VMPROTO_NONE)
        got = mmap(addr, VM_PAGESIZE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);
    else if (app.prot[i] != VMPROTO_NONE && app.ppage[i] == ppage)
        got = mprotect(addr, VM_PAGESIZE, prot == VMPROTO_RW
                       ? PROT_READ | PROT_WRITE : PROT_READ) == 0
              ? addr : MAP_FAILED;
    else
        got = mmap(addr, VM_PAGESIZE,
                   prot == VMPROTO_RW ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED | MAP_FIXED, app.memfd,
                   (off_t)ppage * VM_PAGESIZE);
    if (got != addr)
        vmapp_die("cannot map the arena", errno);
    app.ppage[i] = ppage;
    app.prot[i] = prot;
}

/* Make the arena match the table in rp. */
static void vmapp_apply(const struct vmproto_reply *rp)
{
    for (unsigned i = 0; i < VM_ARENA_PAGES; i++) {
        uint8_t prot = rp->prot[i];
        uint32_t ppage = prot == VMPROTO_NONE ? 0 : rp->ppage[i];
        if (prot > VMPROTO_RW || (prot != VMPROTO_NONE &&
                                  ppage >= rp->memory_pages))
            vmapp_die("the pager sent a bad page table", 0);
        if (prot != app.prot[i] || ppage != app.ppage[i])
            vmapp_map_page(i, ppage, prot);
    }
}

/* Wait for the pager's reply into rp, taking the memfd it may carry. */
static void vmapp_wait(struct vmproto_reply *rp)
{
    int fd = -1;
    if (vmproto_recv(app.sock, rp, sizeof *rp, &fd) != 0)
        vmapp_die("lost the connection to the pager", errno);
    if (fd >= 0 && app.memfd < 0)
        app.memfd = fd;
    else if (fd >= 0)
        close(fd);
    if (rp->kind == VMPROTO_RUN && app.memfd < 0)
        vmapp_die("the pager sent no physical memory", 0);
}

/* Send rq and wait for the reply; a RUN reply's table is applied. */
static void vmapp_call(const struct vmproto_request *rq,
                       struct vmproto_reply *rp)
{
    if (vmproto_send(app.sock, rq, sizeof *rq, -1) != 0)
        vmapp_die("lost the connection to the pager", errno);
    vmapp_wait(rp);
    if (rp->kind == VMPROTO_RUN)
        vmapp_apply(rp);
}

/* The reply buffer (large: kept off the stack, which the handler uses). */
static struct vmproto_reply vmapp_reply;

/* Connect to the pager, waiting up to ~5 s for it to listen. */
static void vmapp_connect(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    vmproto_socket_path(addr.sun_path, sizeof addr.sun_path);
    app.sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (app.sock < 0)
        vmapp_die("socket", errno);
    for (int tries = 0;; tries++) {
        if (connect(app.sock, (struct sockaddr *)&addr, sizeof addr) == 0)
            return;
        if ((errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) ||
            tries == VMAPP_CONNECT_TRIES)
            break;
        struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    char what[160];
    snprintf(what, sizeof what, "cannot connect to the pager at %.100s",
             addr.sun_path);
    vmapp_die(what, errno);
}

/* Join the pager as process getpid() forked from parent, and wait for the
 * first turn.  Returns false when the pager refused us. */
static bool vmapp_join(pid_t parent)
{
    vmapp_connect();
    app.pid = getpid();
    struct vmproto_request rq = { .op = VMPROTO_HELLO, .pid = app.pid,
                                  .parent = parent };
    vmapp_call(&rq, &vmapp_reply);
    app.active = vmapp_reply.kind == VMPROTO_RUN;
    return app.active;
}

/* Let the next SIGSEGV take its default action (and dump no core). */
static void vmapp_default_segv(void)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
}

/* Whether the faulting access was a store. */
static bool vmapp_fault_is_write(const void *ctx, unsigned page)
{
#if defined(__x86_64__)
    (void)page;
    const ucontext_t *uc = ctx;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)ctx; /* a readable page can only fault on a store */
    return app.prot[page] == VMPROTO_R;
#endif
}

/* Report a fault the pager rejected; the retried access then kills us. */
static void vmapp_killed(uintptr_t addr)
{
    char line[128];
    int n = snprintf(line, sizeof line, "app %d: invalid access at 0x%lx: "
                     "killed\n", (int)app.pid, (unsigned long)addr);
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        n = 0;
    app.active = false;
    close(app.sock);
    app.sock = -1;
    vmapp_save_coverage();
    vmapp_default_segv();
}

/* SIGSEGV: an arena access the table disallows becomes vm_fault. */
static void vmapp_on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    int saved = errno;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (!app.active || app.pid != getpid() || a < VMAPP_BASE ||
        a - VMAPP_BASE >= VM_ARENA_SIZE) {
        vmapp_default_segv();
        errno = saved;
        return;
    }
    unsigned page = (unsigned)((a - VMAPP_BASE) / VM_PAGESIZE);
    struct vmproto_request rq = { .op = VMPROTO_FAULT, .addr = a,
                                  .write = vmapp_fault_is_write(ctx, page) };
    vmapp_call(&rq, &vmapp_reply);
    if (vmapp_reply.kind != VMPROTO_RUN)
        vmapp_killed(a);
    errno = saved;
}

/* exit: tell the pager (vm_destroy) unless we are not (or no longer) its
 * app. */
static void vmapp_exit(void)
{
    if (!app.active || app.pid != getpid())
        return;
    struct vmproto_request rq = { .op = VMPROTO_EXIT };
    vmproto_send(app.sock, &rq, sizeof rq, -1);
    close(app.sock);
    app.sock = -1;
    app.active = false;
}

/* Ask the pager for one more arena page (see vm_app.h).  NULL when the
 * pager refuses, or when this process is not an app (errno ENOTCONN). */
void *vm_map(const char *filename, unsigned int block)
{
    if (!app.active) {
        errno = ENOTCONN;
        return NULL;
    }
    struct vmproto_request rq = { .op = VMPROTO_MAP,
                                  .addr = (uintptr_t)filename,
                                  .block = block };
    vmapp_call(&rq, &vmapp_reply);
    return (void *)(uintptr_t)vmapp_reply.result;
}

/* Let the next ready app run; returns when it is our turn again. */
void vm_yield(void)
{
    if (!app.active)
        return;
    struct vmproto_request rq = { .op = VMPROTO_YIELD };
    vmapp_call(&rq, &vmapp_reply);
}

/* fork() as apps see it: the child becomes a managed process
 * (vm_create(parent, child)) before the parent goes on.  Returns -1 with
 * errno EAGAIN when the pager cannot back the child. */
pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    if (real_fork == NULL) {
        void *sym = dlsym(RTLD_NEXT, "fork");
        if (sym == NULL)
            vmapp_die("cannot find the C library's fork", 0);
        memcpy(&real_fork, &sym, sizeof real_fork);
    }
    if (!app.active)
        return real_fork();
    pid_t parent = getpid();
    pid_t child = real_fork();
    if (child == 0) {
        close(app.sock);
        app.active = false;
        if (!vmapp_join(parent))
            _exit(1);
        return 0;
    }
    if (child < 0)
        return child;
    struct vmproto_request rq = { .op = VMPROTO_FORK, .pid = child };
    vmapp_call(&rq, &vmapp_reply);
    if (vmapp_reply.result != 0) {
        waitpid(child, NULL, 0);
        errno = EAGAIN;
        return -1;
    }
    return child;
}

/* Start as an app: reserve the arena, catch its faults, join the pager. */
__attribute__((constructor(101))) static void vmapp_start(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    void *base = (void *)VMAPP_BASE;
    if (mmap(base, VM_ARENA_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
             -1, 0) != base) {
        char what[64];
        snprintf(what, sizeof what, "cannot reserve the arena at %p", base);
        vmapp_die(what, errno);
    }
    struct sigaction sa = { .sa_sigaction = vmapp_on_segv,
                            .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    if (!vmapp_join(getppid()))
        vmapp_die("the pager refused to create this process", 0);
    atexit(vmapp_exit);
}
