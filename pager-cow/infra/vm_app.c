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
 * The arena is ordinary memory to the C library and to system calls too.
 * stdout and stderr are line-buffered in buffers larger than the arena, so
 * stdio copies arena bytes into its buffer (user code: a disabled page
 * faults as usual) and never passes arena memory to write(2) itself.  The
 * data-buffer system calls an app calls directly (read, write, pread,
 * pwrite, readv, writev, send, sendto, recv, recvfrom) are interposed:
 * each arena page of the buffer is faulted in first, in address order, as
 * the access the kernel will make would (a read for write/send, a write
 * for read/recv); a call that still fails with EFAULT (memory too small
 * for the whole buffer at once) is retried a few times, then fails.
 *
 * Invariants:
 *   1. app.prot / app.ppage always describe what is mapped in the arena
 *      (a fork child inherits both, so they stay true in the child).
 *   2. Only the running app touches its arena: the library returns to app
 *      code only after a RUN reply.
 *   3. A fault outside the arena is not ours: the default action runs.
 *   4. Output never waits in a buffer while another app runs: stdout and
 *      stderr are flushed at every newline and before every request made
 *      outside the SIGSEGV handler (vm_map, vm_yield, fork, exit) and
 *      before a killed app's last words.  So the output of apps appears in
 *      run order.  (The handler does not flush otherwise: a fault may come
 *      from inside stdio's own copy into the buffer.)
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
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "vm_proto.h"

#define VMAPP_BASE ((uintptr_t)VM_ARENA_BASEADDR)
#define VMAPP_CONNECT_TRIES 500 /* x 10 ms: how long to wait for the pager */
#define VMAPP_SYSCALL_TRIES 4   /* tries of a system call failing with EFAULT */
/* A stdio buffer larger than the arena: stdio then never writes a caller's
 * bytes straight from the caller's memory (glibc does so only for a run of
 * whole buffers). */
#define VMAPP_STDIO_BUFFER ((size_t)VM_ARENA_SIZE + VM_PAGESIZE)

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

/* Write out what stdio holds (invariant 4). */
static void vmapp_flush(void)
{
    fflush(stdout);
    fflush(stderr);
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
    vmapp_flush(); /* the app dies here: a half-done stdio call is moot */
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
    fflush(NULL);
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
    vmapp_flush();
    vmapp_call(&rq, &vmapp_reply);
    return (void *)(uintptr_t)vmapp_reply.result;
}

/* Let the next ready app run; returns when it is our turn again. */
void vm_yield(void)
{
    if (!app.active)
        return;
    struct vmproto_request rq = { .op = VMPROTO_YIELD };
    vmapp_flush();
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
    vmapp_flush(); /* else the child would print the parent's text again */
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

/* Give f a line buffer larger than the arena (MAP_NORESERVE: only what
 * is used costs memory). */
static void vmapp_buffer(FILE *f)
{
    void *buf = mmap(NULL, VMAPP_STDIO_BUFFER, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED || setvbuf(f, buf, _IOLBF, VMAPP_STDIO_BUFFER) != 0)
        vmapp_die("cannot buffer stdout and stderr", errno);
}

/* Start as an app: reserve the arena, catch its faults, join the pager. */
__attribute__((constructor(101))) static void vmapp_start(void)
{
    void *base = (void *)VMAPP_BASE;
    if (mmap(base, VM_ARENA_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
             -1, 0) != base) {
        char what[64];
        snprintf(what, sizeof what, "cannot reserve the arena at %p", base);
        vmapp_die(what, errno);
    }
    vmapp_buffer(stdout);
    vmapp_buffer(stderr);
    struct sigaction sa = { .sa_sigaction = vmapp_on_segv,
                            .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    if (!vmapp_join(getppid()))
        vmapp_die("the pager refused to create this process", 0);
    atexit(vmapp_exit);
}

/* Make the arena page holding addr allow the access a load (write false)
 * or store (write true) at addr needs: the FAULT a touch at addr would
 * send, when the page does not allow it yet.  A rejected fault kills the
 * app as the touch would have. */
static void vmapp_touch(uintptr_t addr, bool write)
{
    unsigned page = (unsigned)((addr - VMAPP_BASE) / VM_PAGESIZE);
    uint8_t prot = app.prot[page];
    if (prot == VMPROTO_RW || (prot == VMPROTO_R && !write))
        return;
    struct vmproto_request rq = { .op = VMPROTO_FAULT, .addr = addr,
                                  .write = write };
    vmapp_call(&rq, &vmapp_reply);
    if (vmapp_reply.kind != VMPROTO_RUN) {
        vmapp_killed(addr);
        raise(SIGSEGV);
    }
}

/* Whether [buf, buf + len) overlaps the arena (and this process is an
 * app); then [*lo, *hi) is the overlap. */
static bool vmapp_arena_part(const void *buf, size_t len, uintptr_t *lo,
                             uintptr_t *hi)
{
    uintptr_t a = (uintptr_t)buf;
    uintptr_t end = len > UINTPTR_MAX - a ? UINTPTR_MAX : a + len;
    *lo = a > VMAPP_BASE ? a : VMAPP_BASE;
    *hi = end < VMAPP_BASE + VM_ARENA_SIZE ? end : VMAPP_BASE + VM_ARENA_SIZE;
    return app.active && app.pid == getpid() && *lo < *hi;
}

/* Fault in the arena part of [buf, buf + len), page by page in address
 * order, for the access the kernel is about to make: a read (write
 * false) or a write (true).  Returns whether the range touches the
 * arena. */
static bool vmapp_prefault(const void *buf, size_t len, bool write)
{
    uintptr_t lo, hi;
    if (!vmapp_arena_part(buf, len, &lo, &hi))
        return false;
    for (uintptr_t a = lo; a < hi; a = (a / VM_PAGESIZE + 1) * VM_PAGESIZE)
        vmapp_touch(a, write);
    return true;
}

/* Fault in every buffer of iov[0..n) (and the array itself). */
static bool vmapp_prefault_iov(const struct iovec *iov, int n, bool write)
{
    bool arena = vmapp_prefault(iov, n > 0 ? (size_t)n * sizeof *iov : 0,
                                false);
    for (int i = 0; i < n; i++)
        arena |= vmapp_prefault(iov[i].iov_base, iov[i].iov_len, write);
    return arena;
}

/* Whether a system call that returned r should be tried again: it failed
 * with EFAULT on a range in the arena (a page was disabled again while
 * another was faulted in) and tries are left. */
static bool vmapp_again(long r, bool arena, int *tries)
{
    return r < 0 && errno == EFAULT && arena && ++*tries < VMAPP_SYSCALL_TRIES;
}

/* The interposed data-buffer system calls: the buffer is faulted in as the
 * kernel will access it, then the call is made (see the design comment). */
ssize_t write(int fd, const void *buf, size_t len)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, false);
        r = syscall(SYS_write, fd, buf, len);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t read(int fd, void *buf, size_t len)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, true);
        r = syscall(SYS_read, fd, buf, len);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, false);
        r = syscall(SYS_pwrite64, fd, buf, len, off);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, true);
        r = syscall(SYS_pread64, fd, buf, len, off);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault_iov(iov, n, false);
        r = syscall(SYS_writev, fd, iov, n);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault_iov(iov, n, true);
        r = syscall(SYS_readv, fd, iov, n);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *to, socklen_t tolen)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, false);
        r = syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *from, socklen_t *fromlen)
{
    long r;
    for (int tries = 0;;) {
        bool arena = vmapp_prefault(buf, len, true);
        r = syscall(SYS_recvfrom, fd, buf, len, flags, from, fromlen);
        if (!vmapp_again(r, arena, &tries))
            return r;
    }
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return recvfrom(fd, buf, len, flags, NULL, NULL);
}
