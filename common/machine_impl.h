/*
 * machine_impl.h - private to machine.c, machine_hw.c and machine_soft.c:
 * the machine's record and the calls between the front end and the two
 * MMU backends.  Nothing outside common/machine*.c includes this file.
 */
#ifndef PAGELAB_MACHINE_IMPL_H
#define PAGELAB_MACHINE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "stats.h"

#define MACHINE_CACHE_LINE 64

/* The machine's counters: ids in its counter set (struct machine.counts). */
enum machine_count {
    MACHINE_COUNT_MAPS,
    MACHINE_COUNT_UNMAP_PAGES,
    MACHINE_COUNT_UNMAP_CALLS,
    MACHINE_COUNT_FAULTS,
    MACHINE_COUNTS            /* how many */
};

/* One attachable thread slot (soft MMU epochs live here). */
struct machine_slot {
    _Alignas(MACHINE_CACHE_LINE)
    _Atomic bool used;        /* claimed by an attached thread */
    _Atomic uint64_t epoch;   /* odd while the owner is inside an access */
};

struct machine {
    /* Immutable between machine_create and machine_destroy. */
    enum machine_mmu mmu;
    uint64_t id;              /* unique per process, never reused */
    uint64_t nframes;
    uint64_t virtual_pages;
    int memfd;
    uint8_t *window;          /* kernel window: the whole memfd, rw */
    uint8_t *base;            /* user range, virtual_pages pages */
    size_t window_len;
    size_t range_len;
    uint64_t hw_maps_reserved;/* hw: mappings counted against the limit */

    /* Set by the stage before any thread accesses (then read-only). */
    machine_fault_fn fault_fn;
    void *fault_ctx;
    pte_cell_t *ptes;                 /* soft: the page table */
    machine_access_hook_fn access_hook; /* soft: test hook, usually NULL */
    void *access_hook_ctx;

    /* Statistics counted by any thread (MACHINE_COUNT_*), a block per
     * thread (stats.h) so counting never bounces a line between cores;
     * the pointer is set by machine_create, read-only afterwards. */
    struct stats *counts;
    _Alignas(MACHINE_CACHE_LINE)
    _Atomic unsigned attached;        /* slots in use */
    _Atomic unsigned slots_high;      /* slots ever claimed: 1 + top index */

    /* Each slot written only by its owner (epoch) or by attach (used). */
    struct machine_slot slots[MACHINE_MAX_THREADS];
};

/* Count a fault and call the stage's handler; -EFAULT when none is set. */
int machine_call_fault(struct machine *m, uint64_t va, bool is_write);
/* The calling thread's slot in m; aborts naming func when not attached. */
struct machine_slot *machine_thread_slot(struct machine *m, const char *func);

/* machine_hw.c */
int machine_hw_open(struct machine *m, char *err, size_t errlen);
void machine_hw_publish(struct machine *m);
void machine_hw_close(struct machine *m);
int machine_hw_map(struct machine *m, uint64_t vpn, uint64_t frame,
                   bool writable);
void machine_hw_unmap_run(struct machine *m, uint64_t vpn, uint64_t npages);
int machine_hw_access(uint64_t va, uint64_t *value, bool is_write);

/* machine_soft.c */
void machine_soft_shootdown(struct machine *m);
int machine_soft_access(struct machine *m, struct machine_slot *slot,
                        uint64_t va, uint64_t *value, bool is_write);

#endif
