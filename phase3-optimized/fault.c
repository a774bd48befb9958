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
#include "phase3_impl.h"
#include "panic.h"

#include <errno.h>
#include <string.h>

#ifdef SOLUTION

/* The PTE of vpn: a lock-free load, or under the region lock (option off). */
static pte_t fault_snapshot(struct stage *s, uint64_t vpn)
{
    if (phase3_opt(s, PHASE3_OPT_LOCKFREE_FAST))
        return pte_load(&s->core.ptes[vpn]);
    phase3_region_lock(s, vpn);
    pte_t p = pte_load(&s->core.ptes[vpn]);
    phase3_region_unlock(s, vpn);
    return p;
}

/* The fault handler (stage_ops.fault, called through common's
 * trampoline): resolve the fault at va by dispatching on a snapshot of
 * its PTE, again while a transition says the PTE changed.  Returns 0,
 * -EFAULT (outside the range), -ENOSPC, -EIO, or -EAGAIN when the thread
 * cannot get a context.  Holds nothing. */
int phase3_fault(struct stage *s, uint64_t va, bool is_write)
{
    if (!machine_va_valid(s->core.machine, va))
        return -EFAULT;
    uint64_t vpn = machine_vpn(s->core.machine, va);
    struct p3_thread *t = phase3_thread(s);
    if (t == NULL)
        return -EAGAIN;
    for (;;) {
        pte_t snap = fault_snapshot(s, vpn);
        int r;
        if (pte_format(snap) == PTE_VALID) {
            if (!is_write || pte_writable(snap)) {
                stats_inc(s->core.stats, STAT_FAULT_SPURIOUS);
                return 0;
            }
            r = phase3_upgrade(s, vpn, snap);
        } else if (pte_format(snap) == PTE_TRANSITION) {
            r = phase3_rescue(s, vpn, snap, is_write);
        } else if (pte_format(snap) == PTE_ZERO) {
            r = phase3_fault_zero(s, t, vpn, snap, is_write);
        } else {
            r = phase3_page_in(s, t, vpn, snap, is_write);
        }
        if (r != -EAGAIN)
            return r;
    }
}

/* Map frame at vpn and publish the VALID PTE (writable and dirty when
 * dirty), marking it in the region's valid mask.  Holds: vpn's region
 * lock.  Returns 0 or the machine's negative errno (nothing changed). */
int phase3_map_page(struct stage *s, uint64_t vpn, uint64_t frame, bool dirty)
{
    int r = machine_map(s->core.machine, vpn, frame, dirty);
    if (r < 0)
        return r;
    pte_store(&s->core.ptes[vpn], pte_make_valid(frame, dirty, true, dirty));
    phase3_set_valid(s, vpn, true);
    return 0;
}

/* Frames one page-in fills: [0] the faulting page, then read-ahead. */
struct fault_fill {
    uint64_t frames[P3_READ_AHEAD];
    unsigned n;
};

/* Get the faulting page's frame into f->frames[0] and remember the
 * region's disk sequence in *seen; -EAGAIN (frame given back) when the
 * PTE no longer equals snap, or frame_get's error.  Holds nothing. */
static int fault_get_frame(struct stage *s, struct p3_thread *t,
                           uint64_t vpn, pte_t snap, struct fault_fill *f,
                           uint64_t *seen)
{
    int r = phase3_frame_get(s, t, &f->frames[0]);
    if (r < 0)
        return r;
    f->n = 1;
    *seen = atomic_load(&phase3_region_of(s, vpn)->disk_seq);
    if (pte_load(&s->core.ptes[vpn]) != snap)
        return -EAGAIN;
    return 0;
}

/* Fill the frames: zeros for a ZERO page, else one (vectored) read of the
 * slots.  Returns 0 or the page file's negative errno.  Holds anything. */
static int fault_fill_frames(struct stage *s, pte_t snap,
                             struct fault_fill *f)
{
    struct machine *m = s->core.machine;
    if (pte_format(snap) == PTE_ZERO) {
        memset(machine_frame(m, f->frames[0]), 0, MACHINE_PAGE_SIZE);
        return 0;
    }
    if (f->n == 1)
        return pagefile_read(s->core.pagefile, pte_slot(snap),
                             machine_frame(m, f->frames[0]));
    void *pages[P3_READ_AHEAD];
    for (unsigned i = 0; i < f->n; i++)
        pages[i] = machine_frame(m, f->frames[i]);
    return pagefile_readv(s->core.pagefile, pte_slot(snap), pages, f->n);
}

/* Publish read-ahead frame i of f as a STANDBY page owning its slot, if
 * its PTE still names that slot; false when it does not (frame unused).
 * Holds: the region lock of vpn (the same region as the page). */
static bool fault_commit_ahead(struct stage *s, uint64_t vpn, pte_t snap,
                               struct fault_fill *f, unsigned i)
{
    uint64_t slot = pte_slot(snap) + i;
    pte_cell_t *cell = &s->core.ptes[vpn + i];
    if (pte_load(cell) != pte_make_disk(slot))
        return false;
    struct pfn *p = pfn_get(&s->core.pfns, f->frames[i]);
    phase3_frame_take(s, p);
    p->vpn = vpn + i;
    p->slot = slot;
    phase3_pfn_set_age(p, 0);
    phase3_list_link(s, p, PFN_STANDBY);
    pte_store(cell, pte_make_transition(f->frames[i]));
    return true;
}

/* Publish frame f->frames[0] for the ZERO/DISK page vpn, and the
 * read-ahead frames; unused frames are marked in f (set to
 * PFN_NO_VPN).  Returns 0 or a map error.  Holds: vpn's region lock. */
static int fault_commit(struct stage *s, uint64_t vpn, pte_t snap,
                        bool is_write, struct fault_fill *f)
{
    bool disk = pte_format(snap) == PTE_DISK;
    bool dirty = is_write;
    int r = phase3_map_page(s, vpn, f->frames[0], dirty);
    if (r < 0)
        return r;
    struct pfn *p = pfn_get(&s->core.pfns, f->frames[0]);
    bool keep = disk && !dirty && phase3_slot_slack(s);
    phase3_frame_take(s, p);
    p->vpn = vpn;
    p->slot = keep ? pte_slot(snap) : PAGEFILE_NO_SLOT;
    phase3_pfn_set_age(p, 0);
    if (disk && !keep)
        pagefile_free(s->core.pagefile, pte_slot(snap));
    if (disk)
        atomic_fetch_add(&phase3_region_of(s, vpn)->disk_seq, 1);
    phase3_list_link(s, p, PFN_ACTIVE);
    f->frames[0] = PFN_NO_VPN;
    unsigned ahead = 0;
    for (unsigned i = 1; i < f->n; i++) {
        if (fault_commit_ahead(s, vpn, snap, f, i)) {
            f->frames[i] = PFN_NO_VPN;
            ahead++;
        }
    }
    stats_inc(s->core.stats, disk ? STAT_FAULT_DISK : STAT_FAULT_ZERO);
    if (disk)
        stats_add(s->core.stats, STAT_PAGE_READ, f->n);
    if (ahead > 0)
        stats_add(s->core.stats, STAT_READ_AHEAD, ahead);
    return 0;
}

/* Fill f's frames (before the lock with PHASE3_OPT_LOCKFREE_FAST, else
 * under it), then under vpn's region lock verify that the PTE still
 * equals snap and no DISK PTE of the region was consumed since *seen
 * (invariant 2) and publish.  Returns 0, -EAGAIN, or a read / map error.
 * Holds nothing on entry or exit. */
static int fault_fill_and_commit(struct stage *s, uint64_t vpn, pte_t snap,
                                 bool is_write, struct fault_fill *f,
                                 uint64_t seen)
{
    _Atomic uint64_t *seq = &phase3_region_of(s, vpn)->disk_seq;
    bool early = phase3_opt(s, PHASE3_OPT_LOCKFREE_FAST);
    int r = 0;
    if (early)
        r = fault_fill_frames(s, snap, f);
    if (r == 0) {
        phase3_region_lock(s, vpn);
        if (pte_load(&s->core.ptes[vpn]) != snap || atomic_load(seq) != seen)
            r = -EAGAIN;
        else if (!early)
            r = fault_fill_frames(s, snap, f);
        if (r == 0)
            r = fault_commit(s, vpn, snap, is_write, f);
        phase3_region_unlock(s, vpn);
    }
    return r;
}

/* Give back the frames of f that were not published. */
static void fault_put_unused(struct stage *s, struct p3_thread *t,
                             struct fault_fill *f)
{
    for (unsigned i = 0; i < f->n; i++)
        if (f->frames[i] != PFN_NO_VPN)
            phase3_frame_put(s, t, f->frames[i]);
}

/* ZERO -> VALID: a demand-zero fault.  A zero-filled frame, mapped
 * read-only with no slot for a read (trimming sends it to the modified
 * list), writable and dirty for a write.  Returns 0, -EAGAIN (PTE
 * changed: retry), -ENOSPC / -EIO (no frame could be freed).  Holds
 * nothing on entry or exit. */
int phase3_fault_zero(struct stage *s, struct p3_thread *t, uint64_t vpn,
                      pte_t snap, bool is_write)
{
    struct fault_fill f = {.n = 0};
    uint64_t seen;
    int r = fault_get_frame(s, t, vpn, snap, &f, &seen);
    if (r == 0)
        r = fault_fill_and_commit(s, vpn, snap, is_write, &f, seen);
    fault_put_unused(s, t, &f);
    return r;
}

/* If p (locked, vpn's region locked) is being written, release both
 * locks, wait for a write batch to end and return true (the fault must
 * start again); otherwise return false with both still held. */
static bool fault_wait_if_writing(struct stage *s, uint64_t vpn,
                                  struct pfn *p)
{
    if (!(p->flags & PFN_FLAG_WRITING))
        return false;
    uint64_t gen = phase3_write_gen(s);
    phase3_pfn_unlock(p);
    phase3_region_unlock(s, vpn);
    phase3_wait_write(s, gen);
    return true;
}

/* Bring TRANSITION frame p (locked, owned by vpn, not being written) back:
 * off its list or out of a thread's cache.  Returns whether the page must
 * be mapped dirty. */
static bool fault_unhook(struct stage *s, struct pfn *p, bool is_write)
{
    bool dirty = p->state == PFN_MODIFIED || is_write;
    if (p->flags & PFN_FLAG_HELD) {
        p->flags &= (uint8_t)~PFN_FLAG_HELD;
        phase3_pfn_set_tag(p, 0);
    } else {
        phase3_list_unlink(s, p);
    }
    stats_inc(s->core.stats, p->state == PFN_MODIFIED ? STAT_RESCUE_MODIFIED
                                                      : STAT_RESCUE_STANDBY);
    if (dirty)
        stage_drop_stale_slot(&s->core, p);
    phase3_pfn_set_age(p, 0);
    phase3_list_link(s, p, PFN_ACTIVE);
    return dirty;
}

/* A read of a page whose frame is being written: take the frame back
 * without waiting for the write.  It becomes ACTIVE but stays WRITING and
 * on no list; the page is mapped read-only (invariant 3), so the bytes
 * being written stay the page's bytes, and the writer, finding the frame
 * ACTIVE, gives it the slot it wrote and files it on the active list
 * (write.c).  Returns false: the page is mapped clean.  Holds: vpn's
 * region lock and p's lock. */
static bool fault_take_from_writer(struct stage *s, struct pfn *p)
{
    p->state = PFN_ACTIVE;
    phase3_pfn_set_age(p, 0);
    stats_inc(s->core.stats, STAT_RESCUE_MODIFIED);
    return false;
}

/* TRANSITION -> VALID: a soft fault, the page's frame still in memory
 * (modified, standby, in a thread's cache, or being written).  A write to
 * a frame being written waits for the write (its contents must not
 * change under it) and retries; a read takes it from the writer.  Returns
 * 0 or -EAGAIN.  Holds nothing on entry or exit. */
int phase3_rescue(struct stage *s, uint64_t vpn, pte_t snap, bool is_write)
{
    phase3_region_lock(s, vpn);
    if (pte_load(&s->core.ptes[vpn]) != snap) {
        phase3_region_unlock(s, vpn);
        return -EAGAIN;
    }
    uint64_t frame = pte_frame(snap);
    struct pfn *p = pfn_get(&s->core.pfns, frame);
    phase3_pfn_lock(p);
    if (p->vpn != vpn || (p->state != PFN_MODIFIED &&
                          p->state != PFN_STANDBY))
        panic("phase3_rescue",
              "transition PTE names a frame it does not own");
    if (is_write && fault_wait_if_writing(s, vpn, p))
        return -EAGAIN;
    bool dirty = p->flags & PFN_FLAG_WRITING ? fault_take_from_writer(s, p)
                                             : fault_unhook(s, p, is_write);
    phase3_pfn_unlock(p);
    if (phase3_map_page(s, vpn, frame, dirty) < 0)
        panic("phase3_rescue",
              "cannot remap a frame that was mapped before");
    phase3_region_unlock(s, vpn);
    stats_inc(s->core.stats, STAT_FAULT_TRANSITION);
    return 0;
}

/* Plan read-ahead for a hard fault at vpn (snapshot snap) in a sequential
 * walk: the following pages of the same region whose PTEs are DISK with
 * the following slots, each given a frame from t's cache (no waiting).
 * Fills f->frames[1..].  Holds nothing. */
static void fault_plan_ahead(struct stage *s, struct p3_thread *t,
                             uint64_t vpn, pte_t snap, struct fault_fill *f)
{
    bool sequential = t->last_hard_vpn != PFN_NO_VPN &&
                      vpn == t->last_hard_vpn + 1;
    t->last_hard_vpn = vpn;
    if (!sequential || !phase3_opt(s, PHASE3_OPT_READ_AHEAD))
        return;
    uint64_t vpages = s->core.config.virtual_pages;
    uint64_t slot = pte_slot(snap);
    while (f->n < P3_READ_AHEAD) {
        uint64_t next = vpn + f->n;
        if (next >= vpages || next / P3_REGION_PAGES != vpn / P3_REGION_PAGES)
            break;
        if (pte_load(&s->core.ptes[next]) != pte_make_disk(slot + f->n))
            break;
        if (phase3_frame_get_nowait(s, t, &f->frames[f->n]) != 0)
            break;
        f->n++;
    }
    t->last_hard_vpn = vpn + f->n - 1;
}

/* DISK -> VALID: a hard fault, with read-ahead of the following pages of
 * a sequential walk (they become STANDBY, their PTEs TRANSITION).  A page
 * read by a read keeps its slot while the page file has slack (invariant
 * 4).  Returns 0, -EAGAIN (PTE changed: retry), -ENOSPC / -EIO (no frame
 * could be freed, or the read failed).  Holds nothing on entry or exit. */
int phase3_page_in(struct stage *s, struct p3_thread *t, uint64_t vpn,
                   pte_t snap, bool is_write)
{
    struct fault_fill f = {.n = 0};
    uint64_t seen;
    int r = fault_get_frame(s, t, vpn, snap, &f, &seen);
    if (r == 0) {
        fault_plan_ahead(s, t, vpn, snap, &f);
        r = fault_fill_and_commit(s, vpn, snap, is_write, &f, seen);
    }
    fault_put_unused(s, t, &f);
    return r;
}

/* VALID read-only -> writable: a write to a clean page makes it writable
 * and dirty and drops its page-file copy.  A frame a read took back from
 * the writer is waited for (invariant 3).  Returns 0, -EAGAIN (PTE
 * changed or waited: retry) or a map error.  Holds nothing on entry or
 * exit. */
int phase3_upgrade(struct stage *s, uint64_t vpn, pte_t snap)
{
    phase3_region_lock(s, vpn);
    pte_t cur = pte_load(&s->core.ptes[vpn]);
    if (pte_format(cur) != PTE_VALID || pte_frame(cur) != pte_frame(snap)) {
        phase3_region_unlock(s, vpn);
        return -EAGAIN;
    }
    int r = 0;
    if (!pte_writable(cur)) {
        uint64_t frame = pte_frame(cur);
        struct pfn *p = pfn_get(&s->core.pfns, frame);
        phase3_pfn_lock(p);
        if (fault_wait_if_writing(s, vpn, p))
            return -EAGAIN;
        /* Not WRITING now, and it stays so: only frames on the modified
         * list are flagged WRITING, and this one is ACTIVE. */
        phase3_pfn_unlock(p);
        r = phase3_map_page(s, vpn, frame, true);
        phase3_pfn_lock(p);
        if (r == 0)
            stage_drop_stale_slot(&s->core, p);
        phase3_pfn_unlock(p);
        stats_inc(s->core.stats, STAT_FAULT_UPGRADE);
    }
    phase3_region_unlock(s, vpn);
    return r;
}

#else /* !SOLUTION: the starter students begin from */

/* Starter: resolve the fault at va: dispatch on a snapshot of its PTE to
 * the transitions below, again while one returns -EAGAIN (see the design
 * comment above and the transition table).  Return 0, -EFAULT, -ENOSPC
 * or -EIO. */
int phase3_fault(struct stage *s, uint64_t va, bool is_write)
{
    (void)s;
    (void)va;
    (void)is_write;
    return -ENOSYS; /* TODO */
}

/* Starter: map frame at vpn, publish the VALID PTE and its valid-mask
 * bit.  Holds: vpn's region lock. */
int phase3_map_page(struct stage *s, uint64_t vpn, uint64_t frame, bool dirty)
{
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
    (void)s;
    (void)vpn;
    (void)snap;
    return -ENOSYS; /* TODO */
}

#endif /* SOLUTION */
