/*
 * machine.h - the simulated hardware: physical frames, a user address
 * range, and an MMU (Linux standing in for Windows AWE).
 *
 * Physical memory is one memfd of nframes pages; frame k is at offset k*PAGE.
 * The memfd is also mapped once, read-write, as the permanent kernel
 * window: machine_frame() gives a frame's address there, so copying a frame
 * to or from the page file costs no mapping call.  The user address range is
 * a reserved PROT_NONE region of virtual_pages pages.
 *
 * Two MMU backends, one contract:
 *   hw    machine_map() mmaps the frame at the page (MAP_SHARED|MAP_FIXED),
 *         read-only or read-write; machine_unmap() lays a PROT_NONE
 *         anonymous overlay over it (never munmap); accesses are plain loads
 *         and stores, and a disallowed one raises SIGSEGV, which the machine
 *         turns into a call of the registered fault handler before the
 *         instruction retries.  No accessed bits: the stage sets 'accessed'
 *         when it maps a page.
 *   soft  translation reads the stage's PTE array (machine_set_page_table);
 *         accessors set the PTE's accessed bit; a page that is not VALID, or
 *         a write to a page that is not writable, calls the fault handler
 *         directly.  machine_map() is a no-op (the PTE is the mapping).
 *
 * The shootdown contract: when machine_unmap() or machine_unmap_batch()
 * returns, no thread can still read or write the frame through the old
 * translation.  (hw: the kernel's TLB shootdown; soft: every thread that
 * was inside an access when unmap began has left it.)  Stages therefore
 * change the PTE first, then unmap, then reuse or write the frame.
 *
 * Locking: the machine takes no stage lock.  map/unmap may run from any
 * thread.  Accessors may only be called by attached threads.
 */
#ifndef PAGELAB_MACHINE_H
#define PAGELAB_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pte.h"

#define MACHINE_PAGE_SHIFT 12
#define MACHINE_PAGE_SIZE (1ul << MACHINE_PAGE_SHIFT)
#define MACHINE_MAX_THREADS 64 /* attached threads at once */

enum machine_mmu { MACHINE_MMU_HW, MACHINE_MMU_SOFT };

struct machine;

struct machine_config {
    uint64_t nframes;       /* physical frames, > 0 */
    uint64_t virtual_pages; /* size of the user range in pages, > 0 */
    enum machine_mmu mmu;
};

/* The stage's fault handler.  Resolve the fault at va (is_write: the access
 * was a store) and return 0 so the access retries, or a negative errno
 * (-EFAULT, -ENOSPC, -EIO, ...) which the accessor then returns. */
typedef int (*machine_fault_fn)(void *ctx, uint64_t va, bool is_write);

/* Build the machine.  hw: refuses (-E2BIG, naming vm.max_map_count) when
 * the frames could need more mappings than the kernel allows.  Returns 0
 * or a negative errno with one sentence in err. */
int machine_create(const struct machine_config *cfg, struct machine **out,
                   char *err, size_t errlen);
/* Unmap everything, close the memfd, restore the previous SIGSEGV handler
 * when this is the last hw machine. */
void machine_destroy(struct machine *m);

/* "hw" / "soft" <-> enum.  machine_mmu_parse returns 0 or -EINVAL. */
const char *machine_mmu_name(enum machine_mmu mmu);
int machine_mmu_parse(const char *name, enum machine_mmu *out);

void machine_set_fault_handler(struct machine *m, machine_fault_fn fn,
                               void *ctx);
/* soft MMU only (ignored by hw): the PTE array translation reads, one cell
 * per virtual page. */
void machine_set_page_table(struct machine *m, pte_cell_t *ptes);

/* TEST HOOK (soft MMU only, ignored by hw; tests only, never stages): fn is
 * called by the accessing thread inside the access window, after the
 * translation and before the load or store, so a test can park a thread
 * there and prove that machine_unmap waits for it.  NULL removes it.  Set
 * it only while no thread is accessing. */
typedef void (*machine_access_hook_fn)(void *ctx, uint64_t va);
void machine_set_access_hook(struct machine *m, machine_access_hook_fn fn,
                             void *ctx);

enum machine_mmu machine_mmu(const struct machine *m);
uint64_t machine_nframes(const struct machine *m);
uint64_t machine_virtual_pages(const struct machine *m);
/* First byte of the user range; virtual page v is at base + v*PAGE. */
uint64_t machine_va_base(const struct machine *m);
/* True when va lies inside the user range. */
bool machine_va_valid(const struct machine *m, uint64_t va);
/* va -> virtual page number; va must be valid. */
uint64_t machine_vpn(const struct machine *m, uint64_t va);
/* Kernel-window address of a frame (aborts on a bad frame number). */
void *machine_frame(struct machine *m, uint64_t frame);

/* Map frame at virtual page vpn, read-only or read-write.  Also upgrades
 * or downgrades an existing mapping.  Returns 0 or a negative errno. */
int machine_map(struct machine *m, uint64_t vpn, uint64_t frame,
                bool writable);
/* Remove the translation of vpn (see the shootdown contract). */
void machine_unmap(struct machine *m, uint64_t vpn);
/* Unmap n pages.  Sorts vpns in place and issues one call per contiguous
 * run (hw); one wait for all of them (soft). */
void machine_unmap_batch(struct machine *m, uint64_t *vpns, size_t n);

/* A user thread attaches before its first access and detaches after its
 * last.  Returns 0, or -EAGAIN when MACHINE_MAX_THREADS are attached. */
int machine_thread_attach(struct machine *m);
void machine_thread_detach(struct machine *m);

/* Read / write the aligned 64-bit word at va, faulting as needed.
 * Return 0, -EFAULT for an address outside the range or misaligned, or the
 * error the fault handler returned. */
int machine_read64(struct machine *m, uint64_t va, uint64_t *value);
int machine_write64(struct machine *m, uint64_t va, uint64_t value);

/* Counters of what the machine did, for benches and tests. */
struct machine_counters {
    uint64_t maps;          /* machine_map calls */
    uint64_t unmap_pages;   /* pages unmapped */
    uint64_t unmap_calls;   /* hw: overlay mmap calls; soft: waits */
    uint64_t faults;        /* fault handler invocations */
};
void machine_counters(const struct machine *m, struct machine_counters *out);

#endif
