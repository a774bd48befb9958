/*
 * machine_hw.c - the hardware MMU backend: frames really mapped into the
 * user range with mmap, faults really taken as SIGSEGV.
 *
 *   map     mmap(va, PAGE, PROT_READ[|PROT_WRITE], MAP_SHARED|MAP_FIXED,
 *           memfd, frame*PAGE): replaces whatever was at va, so it also
 *           upgrades or downgrades a mapping.
 *   unmap   a PROT_NONE anonymous MAP_FIXED overlay over a run of pages
 *           (never munmap: a hole could be taken by any other mmap in the
 *           process).  The kernel shoots down every CPU's TLB before mmap
 *           returns, which is the machine's shootdown contract.
 *   fault   SIGSEGV with si_addr in some live machine's user range: the
 *           handler calls that machine's fault handler and returns, and the
 *           faulting instruction retries.  The x86-64 page-fault error code
 *           (bit 1 of REG_ERR) says whether it was a write.
 *
 * Every mmap goes through syscall(SYS_mmap): ThreadSanitizer intercepts
 * mmap() and would treat an overlay of a page as fresh memory racing with
 * the accesses before it.
 *
 * The SIGSEGV handler is installed with SA_SIGINFO | SA_NODEFER |
 * SA_ONSTACK:
 *   SA_SIGINFO  for si_addr and the register context;
 *   SA_NODEFER  SIGSEGV is not blocked while the handler runs, so a
 *               siglongjmp out of the handler needs no mask restore and
 *               the accessor can arm its jump buffer with the cheap
 *               sigsetjmp(env, 0) (no sigprocmask system call).  A
 *               sanitizer's wrapper handler (ThreadSanitizer's) may block
 *               SIGSEGV anyway, so the error path unblocks it explicitly
 *               before jumping: one system call, only on errors;
 *   SA_ONSTACK  a thread that set up an alternate signal stack gets a
 *               stack overflow reported instead of a silent death.
 * A handler error jumps back (siglongjmp) to the accessor of the faulting
 * thread, which returns it.  A failing fault outside any accessor cannot
 * return an error and aborts.  Addresses in no machine's range go to the
 * handler that was installed before the first hw machine (its sa_sigaction
 * or sa_handler; SIG_DFL and SIG_IGN: re-arm SIG_DFL and return, so the
 * retried instruction kills the process as it would have without us).
 *
 * Invariants:
 *   1. machine_hw_registry holds exactly the published live hw machines;
 *      a machine is published only once its memory exists and unpublished
 *      before it is unmapped.
 *   2. Our handler is installed iff machine_hw_live > 0; machine_hw_prev is
 *      what was installed before it.
 *   3. machine_hw_reserved is the sum of hw_maps_reserved over live hw
 *      machines, and a machine is created only if that sum plus the
 *      process's current mappings stays under vm.max_map_count.
 *
 * Lock order: machine_hw_lock is a leaf, taken only by create and destroy
 * (never by the signal handler, which reads the registry's atomic slots).
 */
#include "machine_impl.h"
#include "panic.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "machine_hw.c reads the x86-64 page-fault error code (REG_ERR)"
#endif

#define MACHINE_HW_REGISTRY 64      /* live hw machines at once */
#define MACHINE_HW_MAP_SLACK 256    /* mappings kept free for everyone else */
#define MACHINE_HW_PF_WRITE 2       /* x86-64 error code bit: a write */

/* Guarded by machine_hw_lock (the signal handler only reads the slots). */
static pthread_mutex_t machine_hw_lock = PTHREAD_MUTEX_INITIALIZER;
static struct machine *_Atomic machine_hw_registry[MACHINE_HW_REGISTRY];
static unsigned machine_hw_live;        /* opened, not yet closed */
static uint64_t machine_hw_reserved;    /* mappings claimed by live machines */
static struct sigaction machine_hw_prev;

/* Per thread: where a failing fault jumps (NULL outside accessors). */
static __thread sigjmp_buf *machine_hw_env;
static __thread int machine_hw_err;

/* mmap through the system call itself (see the design comment).  Returns
 * the address, or MAP_FAILED with errno set. */
static void *machine_hw_mmap(void *addr, size_t len, int prot, int flags,
                             int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* Count lines of a /proc file (one mapping per line in /proc/self/maps). */
static uint64_t machine_hw_count_lines(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    uint64_t lines = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < got; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}

/* vm.max_map_count, or the kernel's default when it cannot be read. */
static uint64_t machine_hw_max_map_count(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
    unsigned long long v = 65530;
    if (f != NULL) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 65530;
        fclose(f);
    }
    return v;
}

/* Route a fault outside every machine to the handler installed before us
 * (see the design comment). */
static void machine_hw_chain(int sig, siginfo_t *si, void *uc)
{
    if (machine_hw_prev.sa_flags & SA_SIGINFO) {
        machine_hw_prev.sa_sigaction(sig, si, uc);
        return;
    }
    if (machine_hw_prev.sa_handler != SIG_DFL &&
        machine_hw_prev.sa_handler != SIG_IGN) {
        machine_hw_prev.sa_handler(sig);
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL); /* the retried access dies as usual */
}

/* The live machine whose user range holds va, or NULL. */
static struct machine *machine_hw_lookup(uint64_t va)
{
    for (int i = 0; i < MACHINE_HW_REGISTRY; i++) {
        struct machine *m = atomic_load_explicit(&machine_hw_registry[i],
                                                 memory_order_acquire);
        if (m != NULL && machine_va_valid(m, va))
            return m;
    }
    return NULL;
}

/* The SIGSEGV handler: resolve a fault in a machine's range, or chain. */
static void machine_hw_segv(int sig, siginfo_t *si, void *ucv)
{
    uint64_t va = (uint64_t)(uintptr_t)si->si_addr;
    struct machine *m = machine_hw_lookup(va);
    if (m == NULL) {
        machine_hw_chain(sig, si, ucv);
        return;
    }
    const ucontext_t *uc = ucv;
    bool is_write = (uc->uc_mcontext.gregs[REG_ERR] & MACHINE_HW_PF_WRITE);
    int saved_errno = errno;
    int rc = machine_call_fault(m, va, is_write);
    errno = saved_errno;
    if (rc == 0)
        return;
    if (machine_hw_env == NULL) {
        static const char msg[] = "machine_hw_segv: fault handler failed "
                                  "on an access outside the accessors\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)ignored;
        abort();
    }
    machine_hw_err = rc;
    sigset_t segv;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &segv, NULL); /* see the design comment */
    siglongjmp(*machine_hw_env, 1);
}

/* Install our handler, remembering the previous one.  machine_hw_lock
 * held.  Aborts if sigaction fails (it cannot with valid arguments). */
static void machine_hw_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = machine_hw_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &machine_hw_prev) != 0)
        panic("machine_hw_install", "sigaction failed");
}

/* Refuse a machine past vm.max_map_count, else claim its mappings and
 * install the handler for the first hw machine.  Returns 0, -E2BIG or
 * -EAGAIN (too many hw machines) with one sentence in err.  Takes and
 * releases machine_hw_lock. */
int machine_hw_open(struct machine *m, char *err, size_t errlen)
{
    /* Scattered frames split the range: up to two mappings per frame,
     * plus the range's two ends and the kernel window. */
    uint64_t need = 2 * m->nframes + 3;
    uint64_t limit = machine_hw_max_map_count();
    uint64_t now = machine_hw_count_lines("/proc/self/maps");
    int rc = 0;
    pthread_mutex_lock(&machine_hw_lock);
    if (machine_hw_live >= MACHINE_HW_REGISTRY) {
        snprintf(err, errlen, "machine_create: more than %d hw machines "
                 "alive at once", MACHINE_HW_REGISTRY);
        rc = -EAGAIN;
    } else if (m->nframes > limit ||
               need + machine_hw_reserved + now + MACHINE_HW_MAP_SLACK > limit) {
        snprintf(err, errlen, "machine_create: %llu frames could need %llu "
                 "memory mappings, more than vm.max_map_count (%llu) allows; "
                 "raise it (sysctl vm.max_map_count) or use the soft MMU",
                 (unsigned long long)m->nframes, (unsigned long long)need,
                 (unsigned long long)limit);
        rc = -E2BIG;
    } else {
        m->hw_maps_reserved = need;
        machine_hw_reserved += need;
        if (machine_hw_live++ == 0)
            machine_hw_install();
    }
    pthread_mutex_unlock(&machine_hw_lock);
    return rc;
}

/* Make m's faults reach it (its memory now exists).  Takes and releases
 * machine_hw_lock.  Aborts if the registry is full (open counted it). */
void machine_hw_publish(struct machine *m)
{
    pthread_mutex_lock(&machine_hw_lock);
    for (int i = 0; i < MACHINE_HW_REGISTRY; i++) {
        if (atomic_load(&machine_hw_registry[i]) == NULL) {
            atomic_store_explicit(&machine_hw_registry[i], m,
                                  memory_order_release);
            pthread_mutex_unlock(&machine_hw_lock);
            return;
        }
    }
    panic("machine_hw_publish", "registry full");
}

/* Undo machine_hw_open (and publish, if done): forget m, release its
 * mappings and restore the previous handler after the last machine.
 * Takes and releases machine_hw_lock. */
void machine_hw_close(struct machine *m)
{
    pthread_mutex_lock(&machine_hw_lock);
    for (int i = 0; i < MACHINE_HW_REGISTRY; i++)
        if (atomic_load(&machine_hw_registry[i]) == m)
            atomic_store(&machine_hw_registry[i], NULL);
    machine_hw_reserved -= m->hw_maps_reserved;
    if (--machine_hw_live == 0 &&
        sigaction(SIGSEGV, &machine_hw_prev, NULL) != 0)
        panic("machine_hw_close", "sigaction failed");
    pthread_mutex_unlock(&machine_hw_lock);
}

/* Lay the PROT_NONE overlay over npages pages from vpn and count it.
 * Aborts if the kernel refuses: the shootdown contract cannot be broken. */
void machine_hw_unmap_run(struct machine *m, uint64_t vpn, uint64_t npages)
{
    void *va = m->base + (vpn << MACHINE_PAGE_SHIFT);
    size_t len = (size_t)npages << MACHINE_PAGE_SHIFT;
    void *p = machine_hw_mmap(va, len, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
                                  MAP_NORESERVE, -1, 0);
    if (p != va)
        panic("machine_hw_unmap_run", "PROT_NONE overlay failed");
    stats_add(m->counts, MACHINE_COUNT_UNMAP_PAGES, npages);
    stats_add(m->counts, MACHINE_COUNT_UNMAP_CALLS, 1);
}

/* Map frame at vpn.  Returns 0 or the negative errno of mmap, after laying
 * the overlay back so the range keeps no hole. */
int machine_hw_map(struct machine *m, uint64_t vpn, uint64_t frame,
                   bool writable)
{
    void *va = m->base + (vpn << MACHINE_PAGE_SHIFT);
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    void *p = machine_hw_mmap(va, MACHINE_PAGE_SIZE, prot,
                              MAP_SHARED | MAP_FIXED, m->memfd,
                              (off_t)(frame << MACHINE_PAGE_SHIFT));
    if (p == va)
        return 0;
    int rc = -errno;
    machine_hw_mmap(va, MACHINE_PAGE_SIZE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                    -1, 0);
    return rc;
}

/* Load or store the word at va (valid and aligned) with a plain relaxed
 * atomic, letting SIGSEGV resolve faults.  Returns 0 or the error the
 * fault handler returned (delivered by siglongjmp from the handler). */
int machine_hw_access(uint64_t va, uint64_t *value, bool is_write)
{
    sigjmp_buf env;
    sigjmp_buf *outer = machine_hw_env;
    if (sigsetjmp(env, 0) != 0) {
        machine_hw_env = outer;
        return machine_hw_err;
    }
    machine_hw_env = &env;
    atomic_signal_fence(memory_order_seq_cst);
    uint64_t *p = (uint64_t *)(uintptr_t)va;
    if (is_write)
        __atomic_store_n(p, *value, __ATOMIC_RELAXED);
    else
        *value = __atomic_load_n(p, __ATOMIC_RELAXED);
    atomic_signal_fence(memory_order_seq_cst);
    machine_hw_env = outer;
    return 0;
}
