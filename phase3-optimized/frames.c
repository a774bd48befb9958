/*
 * frames.c - where faults get their frames: per-thread contexts, private
 * frame caches refilled in batches from the free and standby lists, lazy
 * repurposing, and giving frames back.
 *
 * Transitions this file performs:
 *
 *   frame before          frame after            function
 *   FREE / STANDBY        HELD (a thread's       frames_refill (a batch,
 *   (on its list)         cache, off the lists)  phase3_list_grab)
 *   HELD, STANDBY         FREE in hand; owner's  phase3_repurpose
 *                         PTE TRANSITION -> DISK
 *   HELD, FREE            FREE in hand           phase3_frame_get
 *   in hand               HELD again, or FREE    phase3_frame_put
 *                         on the free list
 *
 * A frame taken off a list for a thread is marked PFN_FLAG_HELD and
 * tagged with the thread's context (phase3_pfn_set_tag) and sits on no
 * list.
 * A frame that came from standby keeps its owner, its slot and its
 * TRANSITION PTE while cached: the owner can still fault it back (a rescue
 * from the cache) until the caching thread repurposes it, which it does
 * only when it needs the frame.  Refill takes up to cache_max frames with
 * one list lock round trip per list (cache_max is 1 when
 * PHASE3_OPT_FRAME_CACHE is off: the same code then pops one frame at a
 * time, as phase2 does).
 *
 * Invariants:
 *   1. A frame is HELD with tag t iff it is in t's array or in t's hands
 *      (popped, not yet mapped or given back); a cached frame is on no list.
 *   2. A cache array may hold stale entries (frames rescued meanwhile); an
 *      entry counts only if the frame is still HELD with the array's tag.
 *      Only the owner thread adds entries: refill, only into an empty
 *      array, and frame_put, of a frame from its own hands (so in no
 *      array); a frame therefore never appears twice in one array.
 *   3. A frame in hand is FREE (unowned) before it is mapped.
 *
 * Lock order: region -> pfn -> list -> cache (phase3_impl.h).  Refill holds
 * a list lock and trylocks frames; it takes the cache lock last.
 */
#include "phase3_impl.h"
#include "panic.h"

#include <errno.h>
#include <string.h>

/* The calling thread's context, claimed on first use; NULL when all
 * P3_MAX_THREADS are taken.  Holds nothing; takes events briefly. */
struct p3_thread *phase3_thread(struct stage *s)
{
    struct p3_thread *t = pthread_getspecific(s->key);
    if (t != NULL)
        return t;
    lock_acquire(&s->events);
    for (unsigned i = 0; i < P3_MAX_THREADS && t == NULL; i++) {
        if (!s->thread_used[i]) {
            s->thread_used[i] = true;
            t = &s->threads[i];
        }
    }
    lock_release(&s->events);
    if (t == NULL)
        return NULL;
    phase3_cache_lock(t);
    t->count = 0;
    phase3_cache_unlock(t);
    t->last_hard_vpn = PFN_NO_VPN;
    pthread_setspecific(s->key, t);
    return t;
}

/* Give back every frame still tagged for t: FREE ones to the free list,
 * standby ones (still owned) to the standby list.  Returns how many.
 * Holds nothing; takes the cache lock, then each frame's pfn and list. */
static unsigned frames_drain_one(struct stage *s, struct p3_thread *t)
{
    uint64_t frames[P3_CACHE_MAX];
    phase3_cache_lock(t);
    unsigned n = t->count;
    memcpy(frames, t->frames, n * sizeof frames[0]);
    t->count = 0;
    phase3_cache_unlock(t);
    unsigned given = 0;
    for (unsigned i = 0; i < n; i++) {
        struct pfn *p = pfn_get(&s->core.pfns, frames[i]);
        phase3_pfn_lock(p);
        if ((p->flags & PFN_FLAG_HELD) && phase3_pfn_tag(p) == t->tag) {
            p->flags &= (uint8_t)~PFN_FLAG_HELD;
            phase3_pfn_set_tag(p, 0);
            phase3_list_link(s, p, p->state);
            given++;
        }
        phase3_pfn_unlock(p);
    }
    return given;
}

/* Thread-exit destructor of the context key: drain the cache, free the
 * context for another thread. */
void phase3_thread_release(void *ctx)
{
    struct p3_thread *t = ctx;
    struct stage *s = t->stage;
    if (frames_drain_one(s, t) > 0)
        phase3_frames_available(s);
    lock_acquire(&s->events);
    s->thread_used[t->tag - 1] = false;
    lock_release(&s->events);
}

/* Drain every claimed context's cache (frame starvation, tests,
 * shutdown).  Contexts nobody has claimed hold no frames (a claim starts
 * empty, a release drains) and are skipped without taking their cache
 * locks: a starving thread may drain thousands of times a second, and
 * taking all P3_MAX_THREADS cache locks each time moved as many cache
 * lines between the cores.  A context claimed just after the check starts
 * empty, so skipping it loses nothing. */
void phase3_drain_caches(struct stage *s)
{
    unsigned given = 0;
    for (unsigned i = 0; i < P3_MAX_THREADS; i++)
        if (atomic_load_explicit(&s->thread_used[i], memory_order_relaxed))
            given += frames_drain_one(s, &s->threads[i]);
    if (given > 0)
        phase3_frames_available(s);
}

/* STANDBY -> taken: repurpose standby frame p (HELD for t): its owner's
 * PTE becomes DISK with the frame's slot, the frame becomes FREE.  Returns
 * false when the owner rescued it first.  Holds nothing; takes the
 * owner's region, then p's lock. */
bool phase3_repurpose(struct stage *s, struct p3_thread *t, struct pfn *p,
                      uint64_t vpn)
{
    bool done = false;
    phase3_region_lock(s, vpn);
    phase3_pfn_lock(p);
    if ((p->flags & PFN_FLAG_HELD) && phase3_pfn_tag(p) == t->tag &&
        p->state == PFN_STANDBY && p->vpn == vpn) {
        pte_cell_t *cell = &s->core.ptes[vpn];
        pte_t old = pte_load(cell);
        if (pte_format(old) != PTE_TRANSITION ||
            pte_frame(old) != pfn_number(&s->core.pfns, p))
            panic("phase3_repurpose", "standby frame's PTE does not name it");
        pte_store(cell, pte_make_disk(p->slot));
        p->vpn = PFN_NO_VPN;
        p->slot = PAGEFILE_NO_SLOT;
        p->state = PFN_FREE;
        done = true;
    }
    phase3_pfn_unlock(p);
    phase3_region_unlock(s, vpn);
    if (done)
        stats_inc(s->core.stats, STAT_REPURPOSE);
    return done;
}

/* Move up to want frames from the list of state st into out[] (frame
 * numbers), HELD for t.  Returns the number taken. */
static unsigned frames_take_from_list(struct stage *s, struct p3_thread *t,
                                      enum pfn_state st, uint64_t *out,
                                      unsigned want, uint64_t *left)
{
    struct pfn *ps[P3_CACHE_MAX];
    unsigned n = phase3_list_grab(s, st, PFN_FLAG_HELD, t->tag, ps, want,
                                  left);
    for (unsigned i = 0; i < n; i++)
        out[i] = pfn_number(&s->core.pfns, ps[i]);
    return n;
}

/* Refill t's (empty) cache: free frames first, then standby frames.
 * When few frames are left, replenishes the pool (phase3_replenish: the
 * trimmer is woken, or with direct reclaim this thread trims and writes
 * itself).  Returns frames added. */
static unsigned frames_refill(struct stage *s, struct p3_thread *t)
{
    uint64_t got[P3_CACHE_MAX];
    uint64_t free_left, standby_left = 0;
    unsigned n = frames_take_from_list(s, t, PFN_FREE, got, s->cache_max,
                                &free_left);
    if (free_left < s->low_water) {
        n += frames_take_from_list(s, t, PFN_STANDBY, got + n,
                                   s->cache_max - n,
                            &standby_left);
        if (free_left + standby_left < s->low_water)
            phase3_replenish(s);
    }
    phase3_cache_lock(t);
    memcpy(t->frames + t->count, got, n * sizeof got[0]);
    t->count += n;
    phase3_cache_unlock(t);
    return n;
}

/* Make cached frame p usable by t: true when p is now a FREE frame in t's
 * hands, false when the entry was stale or its page was rescued. */
static bool frames_claim(struct stage *s, struct p3_thread *t,
                         struct pfn *p)
{
    phase3_pfn_lock(p);
    bool mine = (p->flags & PFN_FLAG_HELD) && phase3_pfn_tag(p) == t->tag;
    enum pfn_state st = mine ? (enum pfn_state)p->state : PFN_FREE;
    uint64_t vpn = mine ? p->vpn : PFN_NO_VPN;
    phase3_pfn_unlock(p);
    if (!mine)
        return false;
    if (st == PFN_FREE)
        return true;
    return phase3_repurpose(s, t, p, vpn);
}

/* Pop frames from t's cache until one can be claimed.  True with *frame. */
static bool frames_cache_take(struct stage *s, struct p3_thread *t,
                              uint64_t *frame)
{
    for (;;) {
        phase3_cache_lock(t);
        if (t->count == 0) {
            phase3_cache_unlock(t);
            return false;
        }
        uint64_t f = t->frames[--t->count];
        phase3_cache_unlock(t);
        if (frames_claim(s, t, pfn_get(&s->core.pfns, f))) {
            *frame = f;
            return true;
        }
    }
}

/* Fill t's cache if it is empty; frames it now holds (tests, benches). */
static unsigned frames_fill_if_empty(struct stage *s, struct p3_thread *t)
{
    phase3_cache_lock(t);
    unsigned n = t->count;
    phase3_cache_unlock(t);
    return n > 0 ? n : frames_refill(s, t);
}

/* FREE / STANDBY -> taken by a fault: get a FREE frame into t's hands:
 * from the cache, refilled from the lists; when they are empty, take back
 * other threads' cached frames, then wait for (or, with the system
 * threads stopped, do) trimming and writing.  The frame generation is
 * read only once the cache is found empty (before the lists are looked
 * at, so a frame listed after the look still wakes the wait): every fault
 * reading it would pull the line each batch writes over to this core.
 * Returns 0 with *frame, -ENOSPC / -EIO when write-back cannot free
 * anything.  Holds no lock on entry or exit. */
int phase3_frame_get(struct stage *s, struct p3_thread *t, uint64_t *frame)
{
    for (;;) {
        if (frames_cache_take(s, t, frame))
            return 0;
        uint64_t gen = phase3_frame_gen(s);
        if (frames_fill_if_empty(s, t) > 0)
            continue;
        phase3_drain_caches(s);
        if (frames_fill_if_empty(s, t) > 0)
            continue;
        int r = phase3_wait_frame(s, gen);
        if (r < 0)
            return r;
    }
}

/* A frame for read-ahead: from t's cache, refilled once if empty; never
 * waits.  Returns 0 with *frame, or -EAGAIN.  Holds nothing. */
int phase3_frame_get_nowait(struct stage *s, struct p3_thread *t,
                            uint64_t *frame)
{
    if (frames_cache_take(s, t, frame))
        return 0;
    if (frames_fill_if_empty(s, t) > 0 && frames_cache_take(s, t, frame))
        return 0;
    return -EAGAIN;
}

/* Taken -> FREE (a fault failed or lost a race): give back a frame t got
 * but did not map, into t's cache, or onto the free list when the cache
 * is full.  Holds nothing. */
void phase3_frame_put(struct stage *s, struct p3_thread *t, uint64_t frame)
{
    phase3_cache_lock(t);
    if (t->count < s->cache_max) {
        t->frames[t->count++] = frame;
        phase3_cache_unlock(t);
        return;
    }
    phase3_cache_unlock(t);
    struct pfn *p = pfn_get(&s->core.pfns, frame);
    phase3_pfn_lock(p);
    p->flags &= (uint8_t)~PFN_FLAG_HELD;
    phase3_pfn_set_tag(p, 0);
    phase3_list_link(s, p, PFN_FREE);
    phase3_pfn_unlock(p);
    phase3_frames_available(s);
}

/* Clear the in-hand marks of frame p before it is given an owner.  Holds:
 * the region lock of the page it will map (p is in the caller's hands). */
void phase3_frame_take(struct stage *s, struct pfn *p)
{
    (void)s;
    phase3_pfn_lock(p);
    p->flags &= (uint8_t)~PFN_FLAG_HELD;
    phase3_pfn_set_tag(p, 0);
    phase3_pfn_unlock(p);
}

/* Frames in the calling thread's cache. */
unsigned phase3_cached_frames(struct stage *s)
{
    struct p3_thread *t = phase3_thread(s);
    if (t == NULL)
        return 0;
    phase3_cache_lock(t);
    unsigned n = t->count;
    phase3_cache_unlock(t);
    return n;
}

void phase3_cache_drain(struct stage *s)
{
    phase3_drain_caches(s);
}

unsigned phase3_cache_fill(struct stage *s)
{
    struct p3_thread *t = phase3_thread(s);
    return t == NULL ? 0 : frames_fill_if_empty(s, t);
}
