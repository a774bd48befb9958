/*
 * frames.c - getting a frame for a fault and putting one back: the free
 * list, else the standby list (repurpose), else make room by trimming and
 * writing back.
 *
 * Transitions performed here (see states.dot):
 *   FREE    -> (taken)  phase1_frame_get: the head of the free list
 *   STANDBY -> (taken)  phase1_repurpose, called by phase1_frame_get: the
 *                       old page's PTE goes from TRANSITION to DISK
 *   (taken) -> FREE     phase1_frame_put: the fault that took it failed
 * When both lists are empty, frames_make_room runs phase1_trim (trim.c) and
 * phase1_write_modified (write.c) to fill the standby list.
 *
 * Invariants kept:
 *   1. A frame handed out by phase1_frame_get is on no list and has no page
 *      and no slot; it becomes a page only through phase1_map_page.
 *   2. A standby frame is unmapped (trim.c's order: PTE, unmap, list), so
 *      repurposing it needs no unmap; its slot, holding the page's bytes,
 *      passes to the old page's DISK PTE: nothing is lost or leaked.
 *   3. A frame on the free list has no page and no slot.
 *   4. Making room fails only when nothing could move (write-back failed
 *      and no standby frame waits); then the trimmed pages stay on the
 *      modified list.  No frame on any list at all is a bug (panic).
 *   5. Debug builds poison a frame put on the free list (0xdd) and one just
 *      handed out (0xa5), so stale contents show up.
 *
 * Locking: none; phase1 runs in one thread.
 */
#include <errno.h>
#include <string.h>

#include "phase1_impl.h"
#include "panic.h"

#define POISON_FREE 0xdd /* debug builds: bytes of a frame on the free list */
#define POISON_FRESH 0xa5 /* debug builds: bytes of a frame just taken */

/* Take standby frame f (already off its list) away from its page: the
 * page's PTE goes from TRANSITION to DISK naming f's slot, which now belongs
 * to the PTE; f is left with no page and no slot.  (f was unmapped when it
 * was trimmed, so nothing can still reach it.) */
void phase1_repurpose(struct stage *s, struct pfn *f)
{
#ifdef SOLUTION
    pte_store(&s->core.ptes[f->vpn], pte_make_disk(f->slot));
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    stats_inc(s->core.stats, STAT_REPURPOSE);
#else
    (void)s;
    (void)f; /* TODO: old PTE -> DISK, frame forgets page and slot */
#endif
}

#ifdef SOLUTION
/* There is neither a free nor a standby frame: trim a batch, then write a
 * batch of modified pages (which makes them standby, ready to reuse).
 * Returns 0 when something moved or a standby frame is waiting (try
 * again), or the write-back error when nothing could move. */
static int frames_make_room(struct stage *s)
{
    const struct stage_config *cfg = &s->core.config;
    int trimmed = phase1_trim(s, cfg->trim_batch);
    int written = phase1_write_modified(s, cfg->write_batch);
    if (trimmed > 0 || written > 0 ||
        pfn_count(&s->core.pfns, PFN_STANDBY) > 0)
        return 0;
    if (written < 0)
        return written;
    panic("phase1_frame_get", "every frame is off the lists");
}
#endif

/* Debug builds fill a frame with 'byte' so stale contents show up. */
static void frames_poison(struct stage *s, struct pfn *f, int byte)
{
#ifdef PAGELAB_DEBUG
    uint64_t frame = pfn_number(&s->core.pfns, f);
    memset(machine_frame(s->core.machine, frame), byte, MACHINE_PAGE_SIZE);
#else
    (void)s;
    (void)f;
    (void)byte;
#endif
}

/* Find a frame for a new page: the head of the free list, else the head of
 * the standby list (repurposed), else trim and write back, then retry.
 * *out is on no list, with no page and no slot (contents undefined).
 * Returns 0, or -ENOSPC / -EIO when write-back failed and no frame could be
 * had: then the trimmed pages wait on the modified list, nothing lost. */
int phase1_frame_get(struct stage *s, struct pfn **out)
{
#ifdef SOLUTION
    struct pfn_db *db = &s->core.pfns;
    for (;;) {
        struct pfn *f = pfn_pop(db, PFN_FREE);
        if (f == NULL && (f = pfn_pop(db, PFN_STANDBY)) != NULL)
            phase1_repurpose(s, f);
        if (f != NULL) {
            frames_poison(s, f, POISON_FRESH);
            *out = f;
            return 0;
        }
        int err = frames_make_room(s);
        if (err != 0)
            return err;
    }
#else
    (void)s;
    (void)out;
    return -ENOSYS; /* TODO: free list, else repurpose standby, else trim */
#endif
}

/* Given: return frame f (on no list, taken by phase1_frame_get, its slot
 * already released or handed back) to the free list. */
void phase1_frame_put(struct stage *s, struct pfn *f)
{
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    frames_poison(s, f, POISON_FREE);
    pfn_link(&s->core.pfns, f, PFN_FREE);
}
