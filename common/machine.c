/*
 * machine.c - the simulated machine's front end: physical memory (a memfd
 * of nframes pages), the kernel window, the user range, thread attachment,
 * argument checks, counters, and dispatch to the MMU backend
 * (machine_hw.c: real mappings and SIGSEGV; machine_soft.c: a software MMU
 * over the stage's PTEs).
 *
 * Invariants:
 *   1. Frame k is the memfd's bytes [k*PAGE, (k+1)*PAGE) and is always
 *      reachable, read-write, at window + k*PAGE.
 *   2. The user range [base, base + range_len) stays reserved for the
 *      machine's whole life: unmapping overlays it, never munmaps it.
 *   3. A slot is 'used' iff exactly one live thread has it; that thread's
 *      attachment record (thread-local) names the machine by pointer and
 *      by its never-reused id, so a stale record cannot match a new machine
 *      that happens to get the same address.
 *   4. Debug builds (PAGELAB_DEBUG) fill every frame with MACHINE_POISON at
 *      creation, so a stage that hands out a frame without zeroing it reads
 *      0xA5 bytes instead of a lucky zero.
 *
 * Locking: none here.  Counters are per-thread blocks (stats.h) and
 * slots atomics; configuration set with the setters must be set before
 * threads access the machine.
 */
#include "machine_impl.h"
#include "panic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MACHINE_POISON 0xA5
#define MACHINE_TLS_ATTACH 8 /* machines one thread may be attached to */

/* One thread's attachment to one machine. */
struct machine_attachment {
    struct machine *m;
    uint64_t id;
    unsigned slot;
    unsigned depth; /* nested attaches of the same thread; 0: entry free */
};

static __thread struct machine_attachment machine_tls[MACHINE_TLS_ATTACH];
static _Atomic uint64_t machine_next_id = 1;

/* enum -> "hw" / "soft" ("unknown" for any other value). */
const char *machine_mmu_name(enum machine_mmu mmu)
{
    switch (mmu) {
    case MACHINE_MMU_HW:
        return "hw";
    case MACHINE_MMU_SOFT:
        return "soft";
    }
    return "unknown";
}

/* "hw" / "soft" -> enum.  Returns 0, or -EINVAL for any other name. */
int machine_mmu_parse(const char *name, enum machine_mmu *out)
{
    if (name != NULL && strcmp(name, "hw") == 0)
        *out = MACHINE_MMU_HW;
    else if (name != NULL && strcmp(name, "soft") == 0)
        *out = MACHINE_MMU_SOFT;
    else
        return -EINVAL;
    return 0;
}

/* Refuse a configuration that cannot describe a machine.  Returns 0 or
 * -EINVAL with one sentence in err. */
static int machine_config_check(const struct machine_config *cfg, char *err,
                                size_t errlen)
{
    const uint64_t max_pages = (uint64_t)SIZE_MAX >> MACHINE_PAGE_SHIFT;
    const char *why = NULL;
    if (cfg == NULL)
        why = "no configuration given";
    else if (cfg->mmu != MACHINE_MMU_HW && cfg->mmu != MACHINE_MMU_SOFT)
        why = "mmu must be hw or soft";
    else if (cfg->nframes == 0 || cfg->virtual_pages == 0)
        why = "nframes and virtual_pages must be greater than 0";
    else if (cfg->nframes > PTE_NUMBER_MAX || cfg->nframes > max_pages)
        why = "nframes is too large to address";
    else if (cfg->virtual_pages > max_pages)
        why = "virtual_pages is too large to address";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "machine_create: %s", why);
    return -EINVAL;
}

/* Refuse frames that could not all be backed by real memory (the debug
 * poison touches every one).  Returns 0 or -ENOMEM with one sentence. */
static int machine_memory_check(uint64_t nframes, char *err, size_t errlen)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 0; /* unknown: let the kernel decide */
    uint64_t ram_mib = (uint64_t)pages * (uint64_t)size >> 20;
    uint64_t want_mib = nframes >> (20 - MACHINE_PAGE_SHIFT);
    if (want_mib <= ram_mib)
        return 0;
    snprintf(err, errlen, "machine_create: %llu frames (%llu MiB) exceed "
             "the physical memory of this computer (%llu MiB)",
             (unsigned long long)nframes, (unsigned long long)want_mib,
             (unsigned long long)ram_mib);
    return -ENOMEM;
}

/* Undo a partial machine_memory_setup after 'what' failed (errno set):
 * unmap the window and close the memfd if they exist.  Returns -errno
 * with one sentence in err. */
static int machine_setup_failed(struct machine *m, const char *what,
                                char *err, size_t errlen)
{
    int saved = errno;
    if (m->window != NULL)
        munmap(m->window, m->window_len);
    if (m->memfd >= 0)
        close(m->memfd);
    m->window = NULL;
    m->memfd = -1;
    snprintf(err, errlen, "machine_create: %s failed: %s", what,
             strerror(saved));
    return -saved;
}

/* Create the memfd, the kernel window and the reserved user range.
 * Returns 0, -ENOMEM when the frames exceed real memory, or a negative
 * errno, with one sentence in err; on failure nothing is left mapped or
 * open. */
static int machine_memory_setup(struct machine *m, char *err, size_t errlen)
{
    int rc = machine_memory_check(m->nframes, err, errlen);
    if (rc != 0)
        return rc;
    m->window = NULL;
    m->memfd = memfd_create("pagelab-frames", MFD_CLOEXEC);
    if (m->memfd < 0)
        return machine_setup_failed(m, "memfd_create", err, errlen);
    if (ftruncate(m->memfd, (off_t)m->window_len) != 0)
        return machine_setup_failed(m, "ftruncate of the frame memfd", err,
                                    errlen);
    void *window = mmap(NULL, m->window_len, PROT_READ | PROT_WRITE,
                        MAP_SHARED, m->memfd, 0);
    if (window == MAP_FAILED)
        return machine_setup_failed(m, "mmap of the kernel window", err,
                                    errlen);
    m->window = window;
    void *base = mmap(NULL, m->range_len, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return machine_setup_failed(m, "mmap of the user range", err, errlen);
    m->base = base;
    return 0;
}

/* Build the machine (see machine.h).  Returns 0, -EINVAL for a bad
 * configuration, -ENOMEM for more frames than real memory (or no memory),
 * -E2BIG (hw) past vm.max_map_count, or the system's errno; one sentence
 * in err.  Nothing is left allocated on failure. */
int machine_create(const struct machine_config *cfg, struct machine **out,
                   char *err, size_t errlen)
{
    int rc = machine_config_check(cfg, err, errlen);
    if (rc != 0)
        return rc;
    size_t size = (sizeof(struct machine) + MACHINE_CACHE_LINE - 1) /
                  MACHINE_CACHE_LINE * MACHINE_CACHE_LINE;
    struct machine *m = aligned_alloc(MACHINE_CACHE_LINE, size);
    if (m == NULL) {
        snprintf(err, errlen, "machine_create: out of memory");
        return -ENOMEM;
    }
    memset(m, 0, size);
    if ((m->counts = stats_create_set(MACHINE_COUNTS)) == NULL) {
        free(m);
        snprintf(err, errlen, "machine_create: out of memory");
        return -ENOMEM;
    }
    m->mmu = cfg->mmu;
    m->id = atomic_fetch_add(&machine_next_id, 1);
    m->nframes = cfg->nframes;
    m->virtual_pages = cfg->virtual_pages;
    m->window_len = (size_t)cfg->nframes << MACHINE_PAGE_SHIFT;
    m->range_len = (size_t)cfg->virtual_pages << MACHINE_PAGE_SHIFT;
    if (m->mmu == MACHINE_MMU_HW && (rc = machine_hw_open(m, err, errlen)))
        goto fail;
    if ((rc = machine_memory_setup(m, err, errlen)) != 0) {
        if (m->mmu == MACHINE_MMU_HW)
            machine_hw_close(m);
        goto fail;
    }
#ifdef PAGELAB_DEBUG
    memset(m->window, MACHINE_POISON, m->window_len);
#endif
    if (m->mmu == MACHINE_MMU_HW)
        machine_hw_publish(m);
    *out = m;
    return 0;
fail:
    stats_destroy(m->counts);
    free(m);
    return rc;
}

/* Tear the machine down: stop routing its faults, unmap the user range and
 * the window, close the memfd.  No thread may be accessing it. */
void machine_destroy(struct machine *m)
{
    if (m == NULL)
        return;
    if (m->mmu == MACHINE_MMU_HW)
        machine_hw_close(m);
    munmap(m->base, m->range_len);
    munmap(m->window, m->window_len);
    close(m->memfd);
    stats_destroy(m->counts);
    free(m);
}

/* Route m's faults to fn(ctx, ...).  Set before any thread accesses. */
void machine_set_fault_handler(struct machine *m, machine_fault_fn fn,
                               void *ctx)
{
    m->fault_fn = fn;
    m->fault_ctx = ctx;
}

/* soft: the PTE array translation reads (hw keeps it but never reads it).
 * Set before any thread accesses. */
void machine_set_page_table(struct machine *m, pte_cell_t *ptes)
{
    m->ptes = ptes;
}

/* Test hook (see machine.h); set only while no thread accesses. */
void machine_set_access_hook(struct machine *m, machine_access_hook_fn fn,
                             void *ctx)
{
    m->access_hook = fn;
    m->access_hook_ctx = ctx;
}

/* The backend m was built with. */
enum machine_mmu machine_mmu(const struct machine *m)
{
    return m->mmu;
}

/* Frames of physical memory. */
uint64_t machine_nframes(const struct machine *m)
{
    return m->nframes;
}

/* Pages of the user range. */
uint64_t machine_virtual_pages(const struct machine *m)
{
    return m->virtual_pages;
}

/* Address of virtual page 0. */
uint64_t machine_va_base(const struct machine *m)
{
    return (uint64_t)(uintptr_t)m->base;
}

/* True when va is inside the user range (one unsigned compare). */
bool machine_va_valid(const struct machine *m, uint64_t va)
{
    return va - machine_va_base(m) < m->range_len;
}

/* va -> vpn; aborts on an address outside the range. */
uint64_t machine_vpn(const struct machine *m, uint64_t va)
{
    if (!machine_va_valid(m, va))
        panic("machine_vpn", "address outside the user range");
    return (va - machine_va_base(m)) >> MACHINE_PAGE_SHIFT;
}

/* Kernel-window address of frame; aborts on a frame past nframes. */
void *machine_frame(struct machine *m, uint64_t frame)
{
    if (frame >= m->nframes)
        panic("machine_frame", "frame number out of range");
    return m->window + (frame << MACHINE_PAGE_SHIFT);
}

/* Map frame at vpn (see machine.h).  Returns 0, -EINVAL for a vpn or frame
 * out of range, or the mapping call's negative errno (hw; the page is then
 * left unmapped). */
int machine_map(struct machine *m, uint64_t vpn, uint64_t frame,
                bool writable)
{
    if (vpn >= m->virtual_pages || frame >= m->nframes)
        return -EINVAL;
    stats_add(m->counts, MACHINE_COUNT_MAPS, 1);
    if (m->mmu == MACHINE_MMU_HW)
        return machine_hw_map(m, vpn, frame, writable);
    return 0; /* soft: the stage's PTE is the mapping */
}

/* Remove vpn's translation and return only when no thread can still use
 * it (the shootdown contract).  Aborts on a vpn out of range. */
void machine_unmap(struct machine *m, uint64_t vpn)
{
    machine_unmap_batch(m, &vpn, 1);
}

/* qsort order for vpns. */
static int machine_vpn_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Unmap n pages (see machine.h): hw sorts vpns and issues one overlay per
 * run of contiguous pages (duplicates count once); soft waits once.
 * Aborts on a vpn out of range. */
void machine_unmap_batch(struct machine *m, uint64_t *vpns, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (vpns[i] >= m->virtual_pages)
            panic("machine_unmap_batch", "vpn out of range");
    if (m->mmu == MACHINE_MMU_SOFT) {
        stats_add(m->counts, MACHINE_COUNT_UNMAP_PAGES, n);
        machine_soft_shootdown(m);
        return;
    }
    if (n > 1)
        qsort(vpns, n, sizeof(*vpns), machine_vpn_cmp);
    size_t start = 0;
    uint64_t run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && vpns[i] == vpns[i - 1])
            continue; /* duplicate: already in the run */
        if (i < n && vpns[i] == vpns[start] + run) {
            run++;
            continue;
        }
        machine_hw_unmap_run(m, vpns[start], run);
        start = i;
        run = 1;
    }
}

/* The calling thread's attachment record for m, or NULL. */
static struct machine_attachment *machine_attachment_find(struct machine *m)
{
    for (int i = 0; i < MACHINE_TLS_ATTACH; i++)
        if (machine_tls[i].depth > 0 && machine_tls[i].m == m &&
            machine_tls[i].id == m->id)
            return &machine_tls[i];
    return NULL;
}

/* Claim a free slot of m.  Returns its index, or -EAGAIN when all
 * MACHINE_MAX_THREADS are taken. */
static int machine_slot_claim(struct machine *m)
{
    for (unsigned i = 0; i < MACHINE_MAX_THREADS; i++) {
        bool expected = false;
        if (atomic_compare_exchange_strong(&m->slots[i].used, &expected,
                                           true)) {
            atomic_fetch_add(&m->attached, 1);
            unsigned high = atomic_load(&m->slots_high);
            while (high < i + 1 &&
                   !atomic_compare_exchange_weak(&m->slots_high, &high, i + 1))
                ;
            return (int)i;
        }
    }
    return -EAGAIN;
}

/* Attach the calling thread to m.  Attaching again while attached nests
 * (one detach per attach).  Returns 0, or -EAGAIN when MACHINE_MAX_THREADS
 * threads (or MACHINE_TLS_ATTACH machines for this thread) are attached. */
int machine_thread_attach(struct machine *m)
{
    struct machine_attachment *a = machine_attachment_find(m);
    if (a != NULL) {
        a->depth++;
        return 0;
    }
    for (int i = 0; i < MACHINE_TLS_ATTACH; i++) {
        if (machine_tls[i].depth != 0)
            continue;
        int slot = machine_slot_claim(m);
        if (slot < 0)
            return slot;
        machine_tls[i] = (struct machine_attachment){
            .m = m, .id = m->id, .slot = (unsigned)slot, .depth = 1};
        return 0;
    }
    return -EAGAIN;
}

/* Undo one attach; the last one frees the slot.  Aborts when the thread is
 * not attached to m. */
void machine_thread_detach(struct machine *m)
{
    struct machine_attachment *a = machine_attachment_find(m);
    if (a == NULL)
        panic("machine_thread_detach", "thread is not attached");
    if (--a->depth > 0)
        return;
    atomic_store(&m->slots[a->slot].used, false);
    atomic_fetch_sub(&m->attached, 1);
    a->m = NULL;
}

/* The calling thread's slot; aborts naming func when not attached. */
struct machine_slot *machine_thread_slot(struct machine *m, const char *func)
{
    struct machine_attachment *a = machine_attachment_find(m);
    if (a == NULL)
        panic(func, "thread is not attached to the machine");
    return &m->slots[a->slot];
}

/* Count a fault and hand it to the stage.  Returns the handler's result,
 * or -EFAULT when no handler is set. */
int machine_call_fault(struct machine *m, uint64_t va, bool is_write)
{
    stats_add(m->counts, MACHINE_COUNT_FAULTS, 1);
    if (m->fault_fn == NULL)
        return -EFAULT;
    return m->fault_fn(m->fault_ctx, va, is_write);
}

/* Check the caller and va for an accessor, then run the access on the
 * backend.  Both backends insist on attachment, so a stage that forgets to
 * attach a thread fails the same way whichever MMU it runs on. */
static int machine_access(struct machine *m, uint64_t va, uint64_t *value,
                          bool is_write)
{
    struct machine_slot *slot = machine_thread_slot(
        m, is_write ? "machine_write64" : "machine_read64");
    if (!machine_va_valid(m, va) || (va & 7) != 0)
        return -EFAULT;
    if (m->mmu == MACHINE_MMU_HW)
        return machine_hw_access(va, value, is_write);
    return machine_soft_access(m, slot, va, value, is_write);
}

/* Read the word at va (see machine.h).  0, -EFAULT, or the handler's
 * error.  Aborts when the calling thread is not attached. */
int machine_read64(struct machine *m, uint64_t va, uint64_t *value)
{
    return machine_access(m, va, value, false);
}

/* Write the word at va (see machine.h).  0, -EFAULT, or the handler's
 * error.  Aborts when the calling thread is not attached. */
int machine_write64(struct machine *m, uint64_t va, uint64_t value)
{
    return machine_access(m, va, &value, true);
}

/* Snapshot of m's counters (each read atomically, not all at once). */
void machine_counters(const struct machine *m, struct machine_counters *out)
{
    uint64_t c[MACHINE_COUNTS];
    stats_sum(m->counts, c);
    out->maps = c[MACHINE_COUNT_MAPS];
    out->unmap_pages = c[MACHINE_COUNT_UNMAP_PAGES];
    out->unmap_calls = c[MACHINE_COUNT_UNMAP_CALLS];
    out->faults = c[MACHINE_COUNT_FAULTS];
}
