/*
 * pagefile.c - the backing store: a real file of page-sized slots, its
 * slot allocation (a slotmap), and page I/O with pread/pwrite/preadv/
 * pwritev through a descriptor per thread.
 *
 * The file.  With no path it is an unlinked temporary file in $TMPDIR (or
 * /tmp when unset or empty): O_TMPFILE first, falling back to mkstemp +
 * unlink on file systems without it.  With a path, the file is created if
 * it does not exist (and then deleted again by pagefile_destroy); an
 * existing regular file is truncated and reused, and left in place on
 * destroy (it was not ours to delete); anything else there (a directory,
 * a device, a symbolic link) is refused.  Either way the file is sized to
 * slots * page_size with ftruncate, which keeps it sparse: blocks are only
 * allocated by writes, so a full file system shows up as a pwrite failing
 * with ENOSPC, which comes back as -ENOSPC.  Reading a slot never written
 * returns zeros.
 *
 * Slots.  Which slots are allocated is a slotmap (slotmap.h): lock-free
 * claims by next fit, runs of consecutive slots for batched writes, and an
 * in-use count.  pagefile_alloc, _alloc_run, _free, _slot_in_use and
 * _in_use are that map's calls under the page file's names.
 *
 * Invariants:
 *   1. Slot s is allocated iff the slotmap has s in use; pagefile_in_use
 *      is exact when no call is in progress (slotmap.c, invariants 1-3).
 *   2. thread_fd[i] is written at most once after create (from UNOPENED
 *      to a descriptor or SHARED), by the live thread whose index in 'io'
 *      is i (stats_thread_index); each descriptor there is closed once,
 *      by destroy.
 *   3. The I/O counters count only calls that reached the system: an
 *      injected failure or a refused argument is not counted.
 *
 * I/O retries EINTR and short transfers; a transfer that makes no
 * progress is -EIO; any other failure is the negative errno.  An out of
 * range slot is a caller bug and aborts with "function: reason"; a batch
 * size outside 1..PAGEFILE_MAX_BATCH is -EINVAL and a NULL page pointer
 * -EFAULT.  The error hook (pagefile_inject_error) makes the nth call of a
 * kind fail with a chosen error before any I/O; such a call is not counted
 * in the I/O counters.
 *
 * Locking: none; the page file takes no lock, so a stage may call in
 * holding any of its own.  Slots are claimed and freed lock-free by the
 * slotmap; I/O takes no lock either; the I/O counters are per-thread
 * counters (stats.h) and the error hook atomics.
 */
#include "pagefile.h"
#include "panic.h"
#include "slotmap.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGEFILE_OPS 2
/* The counter set 'io': I/O calls of op at index op, pages moved at
 * PAGEFILE_OPS + op. */
#define PAGEFILE_COUNTS (2 * PAGEFILE_OPS)

/* A thread_fd entry: not opened yet, or reopening failed (use pf->fd). */
#define PAGEFILE_FD_UNOPENED (-1)
#define PAGEFILE_FD_SHARED (-2)

struct pagefile {
    /* Set by pagefile_create, read-only afterwards. */
    int fd;
    uint64_t slots;
    size_t page_size;
    char *created_path; /* a path we created and delete on destroy, or NULL */
    struct slotmap *map; /* the allocated slots (lock-free, slotmap.h) */
    struct stats *io;    /* PAGEFILE_COUNTS counters, a block per thread */

    /* Atomics, no lock, almost never written (tests arm them). */
    _Atomic uint64_t inject_countdown[PAGEFILE_OPS]; /* 0: disarmed */
    _Atomic int inject_error[PAGEFILE_OPS];

    /* Each thread's own descriptor of the file, by the thread's index
     * in 'io' (stats_thread_index; see "Per-thread descriptors"); each
     * entry is written once (invariant 2). */
    _Alignas(64) _Atomic int thread_fd[STATS_MAX_THREADS];
};

/* Abort (as func) unless op is a real operation. */
static void pagefile_require_op(const char *func, enum pagefile_op op)
{
    if ((unsigned)op >= PAGEFILE_OPS)
        panic(func, "operation out of range");
}

/* ---- the file ---------------------------------------------------------- */

/* Open an unlinked temporary file in $TMPDIR or /tmp.  Returns the fd, or a
 * negative errno with a sentence in err. */
static int pagefile_open_temp(char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char templ[PATH_MAX];
    if (snprintf(templ, sizeof templ, "%s/pagelab-pagefile-XXXXXX", dir) >=
        (int)sizeof templ) {
        snprintf(err, errlen, "pagefile: the temporary directory's "
                 "name ($TMPDIR, %zu bytes) is too long", strlen(dir));
        return -ENAMETOOLONG;
    }
    fd = mkostemp(templ, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "pagefile: cannot create a temporary page "
                 "file in %s: %s", dir, strerror(e));
        return -e;
    }
    unlink(templ);
    return fd;
}

/* Open path, creating it (*created = true) or truncating an existing
 * regular file.  Returns the fd, or a negative errno with a sentence. */
static int pagefile_open_path(const char *path, bool *created, char *err,
                              size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    *created = fd >= 0;
    if (fd < 0 && errno == EEXIST)
        fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "pagefile: cannot create the page file %s: %s",
                 path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "pagefile: %s is not a regular file", path);
        return -EINVAL;
    }
    return fd;
}

/* Check cfg; 0 or -EINVAL with a sentence. */
static int pagefile_check_config(const struct pagefile_config *cfg, char *err,
                                 size_t errlen)
{
    const char *why = NULL;
    if (cfg == NULL)
        why = "no configuration given";
    else if (cfg->slots == 0)
        why = "the page file needs at least one slot";
    else if (cfg->page_size == 0)
        why = "the page size must be positive";
    else if (cfg->slots > (uint64_t)INT64_MAX / cfg->page_size)
        why = "slots * page size does not fit in a file offset";
    else if (cfg->path != NULL && cfg->path[0] == '\0')
        why = "the page file's path is empty";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "pagefile: %s", why);
    return -EINVAL;
}

/* Open the file cfg asks for and size it.  Returns 0 or a negative errno
 * with a sentence; on success pf->fd and pf->created_path are set. */
static int pagefile_open(struct pagefile *pf, const struct pagefile_config *cfg,
                         char *err, size_t errlen)
{
    bool created = false;
    int fd = cfg->path == NULL ? pagefile_open_temp(err, errlen)
                               : pagefile_open_path(cfg->path, &created, err,
                                                    errlen);
    if (fd < 0)
        return fd;
    if (created && (pf->created_path = strdup(cfg->path)) == NULL) {
        unlink(cfg->path);
        close(fd);
        snprintf(err, errlen, "pagefile: out of memory");
        return -ENOMEM;
    }
    if (ftruncate(fd, (off_t)(cfg->slots * cfg->page_size)) != 0) {
        int e = errno;
        snprintf(err, errlen, "pagefile: cannot size the page file to "
                 "%llu slots: %s", (unsigned long long)cfg->slots,
                 strerror(e));
        if (pf->created_path != NULL)
            unlink(pf->created_path);
        free(pf->created_path);
        pf->created_path = NULL;
        close(fd);
        return -e;
    }
    pf->fd = fd;
    return 0;
}

/* Free what pagefile_create allocated besides the file (NULLs allowed). */
static void pagefile_free_parts(struct pagefile *pf)
{
    slotmap_destroy(pf->map);
    stats_destroy(pf->io);
    free(pf);
}

/* Create the page file and an empty slot map (see the design comment for
 * the file chosen).  Returns 0 with *out, or a negative errno (-EINVAL for
 * a bad cfg, -ENOMEM, or the errno of open/ftruncate) with one sentence in
 * err; nothing is left behind on failure. */
int pagefile_create(const struct pagefile_config *cfg, struct pagefile **out,
                    char *err, size_t errlen)
{
    if (err == NULL)
        errlen = 0; /* no room for a sentence: just the error code */
    int rc = pagefile_check_config(cfg, err, errlen);
    if (rc != 0)
        return rc;
    struct pagefile *pf = aligned_alloc(_Alignof(struct pagefile),
                                        sizeof *pf);
    if (pf == NULL) {
        snprintf(err, errlen, "pagefile: out of memory");
        return -ENOMEM;
    }
    memset(pf, 0, sizeof *pf);
    for (unsigned i = 0; i < STATS_MAX_THREADS; i++)
        atomic_init(&pf->thread_fd[i], PAGEFILE_FD_UNOPENED);
    pf->slots = cfg->slots;
    pf->page_size = cfg->page_size;
    if (slotmap_create(cfg->slots, &pf->map) != 0 ||
        (pf->io = stats_create_set(PAGEFILE_COUNTS)) == NULL) {
        pagefile_free_parts(pf);
        snprintf(err, errlen, "pagefile: out of memory for a bitmap of "
                 "%llu slots", (unsigned long long)cfg->slots);
        return -ENOMEM;
    }
    rc = pagefile_open(pf, cfg, err, errlen);
    if (rc != 0) {
        pagefile_free_parts(pf);
        return rc;
    }
    *out = pf;
    return 0;
}

/* Close the file, delete it if we created it, free everything. */
void pagefile_destroy(struct pagefile *pf)
{
    if (pf == NULL)
        return;
    for (unsigned i = 0; i < STATS_MAX_THREADS; i++) {
        int fd = atomic_load(&pf->thread_fd[i]);
        if (fd >= 0)
            close(fd);
    }
    close(pf->fd);
    if (pf->created_path != NULL)
        unlink(pf->created_path);
    free(pf->created_path);
    pagefile_free_parts(pf);
}

/* ---- slots (the slotmap's calls) ---------------------------------------- */

/* Claim one free slot.  0 with *slot, or -ENOSPC.  Lock-free. */
int pagefile_alloc(struct pagefile *pf, uint64_t *slot)
{
    return slotmap_claim(pf->map, slot);
}

/* Claim up to want (>= 1, else -EINVAL) contiguous free slots.  0 with
 * *first and *got in 1..want, or -ENOSPC.  Lock-free. */
int pagefile_alloc_run(struct pagefile *pf, size_t want, uint64_t *first,
                       size_t *got)
{
    return slotmap_claim_run(pf->map, want, first, got);
}

/* Release an allocated slot.  Aborts (in slotmap_free) on a slot out of
 * range or not allocated. */
void pagefile_free(struct pagefile *pf, uint64_t slot)
{
    slotmap_free(pf->map, slot);
}

/* True when slot (< capacity, else abort) is allocated. */
bool pagefile_slot_in_use(struct pagefile *pf, uint64_t slot)
{
    return slotmap_in_use(pf->map, slot);
}

/* Number of allocated slots (exact when no call is in progress). */
uint64_t pagefile_in_use(struct pagefile *pf)
{
    return slotmap_count(pf->map);
}

/* Number of slots. */
uint64_t pagefile_capacity(const struct pagefile *pf)
{
    return pf->slots;
}

/* ---- I/O ----------------------------------------------------------------- */

/* Consume one armed failure of op: returns the injected error when this
 * call is the one that must fail, 0 otherwise.  Lock-free. */
static int pagefile_injected(struct pagefile *pf, enum pagefile_op op)
{
    uint64_t n = atomic_load(&pf->inject_countdown[op]);
    while (n != 0) {
        if (atomic_compare_exchange_weak(&pf->inject_countdown[op], &n, n - 1))
            return n == 1 ? atomic_load(&pf->inject_error[op]) : 0;
    }
    return 0;
}

/* Per-thread descriptors.  Every pread or pwrite looks its descriptor up
 * and, in a process with more than one thread, takes a reference on the
 * open file it names: an atomic add on that file's count.  With one shared
 * descriptor every I/O of every thread adds on the same cache line, which
 * then moves between the cores twice per call.  So each thread does its
 * I/O through its own descriptor, a second opening of the same file
 * through /proc/self/fd (which works for unlinked files too), kept in
 * thread_fd under the thread's index in the I/O counter set (its block
 * there, stats_thread_index: distinct for live threads, reused by a later
 * thread after one exits, which then shares nothing with a live one).  Where that cannot be
 * opened (no /proc, out of descriptors) the thread uses the shared one:
 * slower, equally correct. */

/* The descriptor the calling thread does its I/O through (see above).
 * Opens it on the thread's first call; lock-free, no read-modify-write. */
static int pagefile_fd_of_caller(struct pagefile *pf)
{
    _Atomic int *slot = &pf->thread_fd[stats_thread_index(pf->io)];
    int fd = atomic_load_explicit(slot, memory_order_acquire);
    if (fd >= 0)
        return fd;
    if (fd == PAGEFILE_FD_SHARED)
        return pf->fd;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", pf->fd);
    int mine = open(path, O_RDWR | O_CLOEXEC);
    /* Only this thread writes its entry (invariant 2); a later thread
     * given the same index after this one exits reads it (the index's
     * hand-over orders the store before that read). */
    atomic_store_explicit(slot, mine >= 0 ? mine : PAGEFILE_FD_SHARED,
                          memory_order_release);
    return mine >= 0 ? mine : pf->fd;
}

/* One system call moving iov[0..cnt-1] at off through fd; its result or
 * -1/errno. */
static ssize_t pagefile_syscall(int fd, enum pagefile_op op,
                                const struct iovec *iov, int cnt, off_t off)
{
    if (cnt == 1)
        return op == PAGEFILE_OP_READ
                   ? pread(fd, iov->iov_base, iov->iov_len, off)
                   : pwrite(fd, iov->iov_base, iov->iov_len, off);
    return op == PAGEFILE_OP_READ ? preadv(fd, iov, cnt, off)
                                  : pwritev(fd, iov, cnt, off);
}

/* Move every byte of iov[0..cnt-1] at off, retrying EINTR and short
 * transfers (iov is consumed).  0, -EIO when a call moves nothing (end of
 * file), or the negative errno of a failed call. */
static int pagefile_transfer(struct pagefile *pf, enum pagefile_op op,
                             struct iovec *iov, int cnt, off_t off)
{
    int fd = pagefile_fd_of_caller(pf);
    while (cnt > 0) {
        stats_add(pf->io, op, 1);
        ssize_t r = pagefile_syscall(fd, op, iov, cnt, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO;
        off += r;
        while (cnt > 0 && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return 0;
}

/* Move n pages between slots first..first+n-1 and pages[].  Aborts (as
 * func) on slots beyond the capacity; -EINVAL for n outside
 * 1..PAGEFILE_MAX_BATCH, -EFAULT for a NULL page, the injected error, or
 * what pagefile_transfer returns.  No lock. */
static int pagefile_io(struct pagefile *pf, const char *func,
                       enum pagefile_op op, uint64_t first, void *const *pages,
                       size_t n)
{
    if (n == 0 || n > PAGEFILE_MAX_BATCH)
        return -EINVAL;
    if (first >= pf->slots || n > pf->slots - first)
        panic(func, "slot beyond the capacity of the page file");
    struct iovec iov[PAGEFILE_MAX_BATCH];
    for (size_t i = 0; i < n; i++) {
        if (pages[i] == NULL)
            return -EFAULT;
        iov[i].iov_base = pages[i];
        iov[i].iov_len = pf->page_size;
    }
    int rc = pagefile_injected(pf, op);
    if (rc != 0)
        return rc;
    rc = pagefile_transfer(pf, op, iov, (int)n,
                           (off_t)(first * pf->page_size));
    if (rc == 0)
        stats_add(pf->io, PAGEFILE_OPS + op, n);
    return rc;
}

/* Read slot into page.  0 or a negative errno (see pagefile_io). */
int pagefile_read(struct pagefile *pf, uint64_t slot, void *page)
{
    return pagefile_io(pf, "pagefile_read", PAGEFILE_OP_READ, slot, &page, 1);
}

/* Write page to slot.  0 or a negative errno (-ENOSPC: file system full). */
int pagefile_write(struct pagefile *pf, uint64_t slot, const void *page)
{
    void *p = (void *)page; /* iovec is not const; pwrite only reads it */
    return pagefile_io(pf, "pagefile_write", PAGEFILE_OP_WRITE, slot, &p, 1);
}

/* Read slots first..first+n-1 into pages[0..n-1] with one vectored call
 * (more only after a short transfer).  0 or a negative errno. */
int pagefile_readv(struct pagefile *pf, uint64_t first, void *const *pages,
                   size_t n)
{
    return pagefile_io(pf, "pagefile_readv", PAGEFILE_OP_READ, first, pages, n);
}

/* Write pages[0..n-1] to slots first..first+n-1 with one vectored call.
 * 0 or a negative errno. */
int pagefile_writev(struct pagefile *pf, uint64_t first,
                    const void *const *pages, size_t n)
{
    return pagefile_io(pf, "pagefile_writev", PAGEFILE_OP_WRITE, first,
                       (void *const *)pages, n);
}

/* System calls made for op so far. */
uint64_t pagefile_io_calls(struct pagefile *pf, enum pagefile_op op)
{
    pagefile_require_op("pagefile_io_calls", op);
    return stats_get(pf->io, op);
}

/* Pages op has moved successfully so far. */
uint64_t pagefile_pages_moved(struct pagefile *pf, enum pagefile_op op)
{
    pagefile_require_op("pagefile_pages_moved", op);
    return stats_get(pf->io, PAGEFILE_OPS + op);
}

/* Arm (nth >= 1) or disarm (nth == 0) a failure of the nth call of op from
 * now.  error should be a negative errno; a positive one is negated and 0
 * becomes -EIO. */
void pagefile_inject_error(struct pagefile *pf, enum pagefile_op op,
                           uint64_t nth, int error)
{
    pagefile_require_op("pagefile_inject_error", op);
    if (error > 0)
        error = -error;
    atomic_store(&pf->inject_error[op], error == 0 ? -EIO : error);
    atomic_store(&pf->inject_countdown[op], nth);
}
