/*
 * phase1_impl.h - what the files of phase1-single share (not for users of
 * the stage: they see phase1.h only).
 *
 * The stage's meaning of a VALID PTE's bits:
 *   writable  the page is mapped read-write (only after a write fault);
 *   dirty     the page file holds no current copy of the page, so trimming
 *             it makes it MODIFIED (it must be written before its frame can
 *             be reused).  A page that is not dirty owns a slot with the
 *             same bytes and goes straight to STANDBY when trimmed.
 *   accessed  set when the page is mapped (the hw MMU has no accessed bit;
 *             the soft MMU also sets it on every access); the trimmer's
 *             clock clears it and gives the page a second chance.
 */
#ifndef PAGELAB_PHASE1_IMPL_H
#define PAGELAB_PHASE1_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "phase1.h"

/* No locks: phase1 runs in one thread.  Everything below is touched only
 * by that thread (and by the machine's fault path, which is the same
 * thread taking a fault). */
struct stage {
    struct stage_core core; /* machine, PTEs, PFN database, page file, stats */
};
STAGE_CORE_FIRST(struct stage);

/* The transitions, one function each, with the same names in every stage
 * (phase2_..., phase3_...).  Contracts above their definitions; every one
 * is written by the student except phase1_frame_put (given).
 *
 * fault.c: the dispatch, the mapping step every fault ends in, and one
 * function per fault transition. */
int phase1_fault(struct stage *s, uint64_t va, bool is_write);
int phase1_map_page(struct stage *s, uint64_t vpn, struct pfn *frame,
                    bool writable, bool dirty);
int phase1_fault_zero(struct stage *s, uint64_t vpn, bool is_write);
int phase1_rescue(struct stage *s, uint64_t vpn, pte_t pte, bool is_write);
int phase1_page_in(struct stage *s, uint64_t vpn, pte_t pte, bool is_write);
int phase1_upgrade(struct stage *s, uint64_t vpn, pte_t pte, bool is_write);

/* frames.c: getting a frame for a fault (free, else standby repurposed,
 * else trim and write back) and putting one back when the fault failed
 * (phase1_frame_put is given). */
void phase1_repurpose(struct stage *s, struct pfn *frame);
int phase1_frame_get(struct stage *s, struct pfn **out);
void phase1_frame_put(struct stage *s, struct pfn *frame);

/* trim.c: ACTIVE -> MODIFIED / STANDBY (the clock). */
int phase1_trim(struct stage *s, unsigned max_pages);

/* write.c: MODIFIED -> STANDBY (write-back to the page file). */
int phase1_write_modified(struct stage *s, unsigned max_pages);

#endif
