/*
 * phase3_frames.c - where faults get their frames: per-thread contexts,
 * private frame caches refilled in batches from the free and standby
 * lists, lazy repurposing, and giving frames back.
 *
 * A frame taken off a list for a thread is marked PFN_FLAG_CACHED and
 * tagged with the thread's context (pfn->spare = tag) and sits on no list.
 * A frame that came from standby keeps its owner, its slot and its
 * TRANSITION PTE while cached: the owner can still fault it back (a rescue
 * from the cache) until the caching thread repurposes it, which it does
 * only when it needs the frame.  Refill takes up to cache_max frames with
 * one list lock round trip per list (cache_max is 1 when
 * STAGE_OPT_FRAME_CACHE is off: the same code then pops one frame at a
 * time, as phase2 does).
 *
 * Invariants:
 *   1. A frame is CACHED with tag t iff it is in t's array or in t's hands
 *      (popped, not yet mapped or given back); a cached frame is on no list.
 *   2. A cache array may hold stale entries (frames rescued meanwhile); an
 *      entry counts only if the frame is still CACHED with the array's tag.
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

/* Link p onto the list of state st.  Holds: p's pfn lock (or p is in hand);
 * takes and drops the list lock.  A state kept on no list
 * (STAGE_OPT_UNLISTED_ACTIVE: active frames) has no list to lock: only
 * the frame's state changes, under the locks the caller holds. */
void phase3_list_link(struct stage *s, struct pfn *p, enum pfn_state st)
{
    if (!pfn_listed(&s->core.pfns, st)) {
        pfn_link(&s->core.pfns, p, st);
        return;
    }
    phase3_lock_acquire(&s->lists[st].lock);
    pfn_link(&s->core.pfns, p, st);
    phase3_lock_release(&s->lists[st].lock);
}

/* Take p off the list its state names.  Holds: what phase3_list_link does. */
void phase3_list_unlink(struct stage *s, struct pfn *p)
{
    if (!pfn_listed(&s->core.pfns, p->state))
        return;
    struct p3_lock *l = &s->lists[p->state].lock;
    phase3_lock_acquire(l);
    pfn_unlink(&s->core.pfns, p);
    phase3_lock_release(l);
}

/* Frames on the list of state st (a consistent read under its lock). */
uint64_t phase3_list_count(struct stage *s, enum pfn_state st)
{
    phase3_lock_acquire(&s->lists[st].lock);
    uint64_t n = pfn_count(&s->core.pfns, st);
    phase3_lock_release(&s->lists[st].lock);
    return n;
}

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
static unsigned drain_one(struct stage *s, struct p3_thread *t)
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
        if ((p->flags & PFN_FLAG_CACHED) && p->spare == t->tag) {
            p->flags &= (uint8_t)~PFN_FLAG_CACHED;
            p->spare = 0;
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
    if (drain_one(s, t) > 0)
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
            given += drain_one(s, &s->threads[i]);
    if (given > 0)
        phase3_frames_available(s);
}

/* Take up to want frames off the list of state st into out[], setting
 * 'flag' on each and tagging it with 'tag' (pfn->spare).  Frames whose
 * lock is busy are skipped.  *left gets the frames left on the list.
 * Frames taken for writing are shown to the test hook, if one is set
 * (phase3_set_write_hook).  Returns the number taken.  Holds nothing;
 * takes the list lock and trylocks frames under it (the one way against
 * the order). */
unsigned phase3_list_grab(struct stage *s, enum pfn_state st, uint8_t flag,
                          uint8_t tag, struct pfn **out, unsigned want,
                          uint64_t *left)
{
    struct pfn_db *db = &s->core.pfns;
    struct list *l = &db->lists[st];
    unsigned n = 0;
    phase3_lock_acquire(&s->lists[st].lock);
    struct list_node *node = list_head(l);
    while (node != NULL && n < want) {
        struct pfn *p = list_entry(node, struct pfn, link);
        node = list_next(l, node);
        if (!phase3_pfn_trylock(p))
            continue;
        pfn_unlink(db, p);
        p->flags |= flag;
        p->spare = tag;
        phase3_pfn_unlock(p);
        out[n++] = p;
    }
    *left = pfn_count(db, st);
    phase3_lock_release(&s->lists[st].lock);
    if (flag == PFN_FLAG_WRITING && n > 0 && s->write_hook != NULL)
        s->write_hook(s->write_hook_arg);
    return n;
}

void phase3_set_write_hook(struct stage *s, void (*fn)(void *arg), void *arg)
{
    s->write_hook = fn;
    s->write_hook_arg = arg;
}

/* Move up to want frames from the list of state st into out[] (frame
 * numbers), CACHED for t.  Returns the number taken. */
static unsigned take_from_list(struct stage *s, struct p3_thread *t,
                               enum pfn_state st, uint64_t *out,
                               unsigned want, uint64_t *left)
{
    struct pfn *ps[P3_CACHE_MAX];
    unsigned n = phase3_list_grab(s, st, PFN_FLAG_CACHED, t->tag, ps, want,
                                  left);
    for (unsigned i = 0; i < n; i++)
        out[i] = pfn_number(&s->core.pfns, ps[i]);
    return n;
}

/* Refill t's (empty) cache: free frames first, then standby frames.
 * When few frames are left, replenishes the pool (phase3_replenish: the
 * trimmer is woken, or with direct reclaim this thread trims and writes
 * itself).  Returns frames added. */
static unsigned refill(struct stage *s, struct p3_thread *t)
{
    uint64_t got[P3_CACHE_MAX];
    uint64_t free_left, standby_left = 0;
    unsigned n = take_from_list(s, t, PFN_FREE, got, s->cache_max,
                                &free_left);
    if (free_left < s->low_water) {
        n += take_from_list(s, t, PFN_STANDBY, got + n, s->cache_max - n,
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

/* Repurpose standby frame p (CACHED for t): its owner's PTE becomes DISK
 * with the frame's slot, the frame becomes FREE.  Returns false when the
 * owner rescued it first.  Holds nothing; takes the owner's region, pfn. */
static bool repurpose(struct stage *s, struct p3_thread *t, struct pfn *p,
                      uint64_t vpn)
{
    bool done = false;
    phase3_region_lock(s, vpn);
    phase3_pfn_lock(p);
    if ((p->flags & PFN_FLAG_CACHED) && p->spare == t->tag &&
        p->state == PFN_STANDBY && p->vpn == vpn) {
        pte_cell_t *cell = &s->core.ptes[vpn];
        pte_t old = pte_load(cell);
        if (pte_format(old) != PTE_TRANSITION ||
            pte_frame(old) != pfn_number(&s->core.pfns, p))
            panic("repurpose", "standby frame's PTE does not name it");
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

/* Make cached frame p usable by t: true when p is now a FREE frame in t's
 * hands, false when the entry was stale or its page was rescued. */
static bool claim(struct stage *s, struct p3_thread *t, struct pfn *p)
{
    phase3_pfn_lock(p);
    bool mine = (p->flags & PFN_FLAG_CACHED) && p->spare == t->tag;
    enum pfn_state st = mine ? (enum pfn_state)p->state : PFN_FREE;
    uint64_t vpn = mine ? p->vpn : PFN_NO_VPN;
    phase3_pfn_unlock(p);
    if (!mine)
        return false;
    if (st == PFN_FREE)
        return true;
    return repurpose(s, t, p, vpn);
}

/* Pop frames from t's cache until one can be claimed.  True with *frame. */
static bool cache_take(struct stage *s, struct p3_thread *t, uint64_t *frame)
{
    for (;;) {
        phase3_cache_lock(t);
        if (t->count == 0) {
            phase3_cache_unlock(t);
            return false;
        }
        uint64_t f = t->frames[--t->count];
        phase3_cache_unlock(t);
        if (claim(s, t, pfn_get(&s->core.pfns, f))) {
            *frame = f;
            return true;
        }
    }
}

/* Fill t's cache if it is empty; frames it now holds (tests, benches). */
static unsigned fill_if_empty(struct stage *s, struct p3_thread *t)
{
    phase3_cache_lock(t);
    unsigned n = t->count;
    phase3_cache_unlock(t);
    return n > 0 ? n : refill(s, t);
}

/* Get a FREE frame into t's hands: from the cache, refilled from the
 * lists; when they are empty, take back other threads' cached frames,
 * then wait for (or, with the system threads stopped, do) trimming and
 * writing.  The frame generation is read only once the cache is found
 * empty (before the lists are looked at, so a frame listed after the
 * look still wakes the wait): every fault reading it would pull the
 * line each batch writes over to this core.  Returns 0 with *frame,
 * -ENOSPC / -EIO when write-back cannot free anything.  Holds no lock on
 * entry or exit. */
int phase3_frame_get(struct stage *s, struct p3_thread *t, uint64_t *frame)
{
    for (;;) {
        if (cache_take(s, t, frame))
            return 0;
        uint64_t gen = phase3_frame_gen(s);
        if (fill_if_empty(s, t) > 0)
            continue;
        phase3_drain_caches(s);
        if (fill_if_empty(s, t) > 0)
            continue;
        int r = phase3_wait_frame(s, gen);
        if (r < 0)
            return r;
    }
}

/* A frame for read-ahead: from t's cache, refilled once if empty; never
 * waits.  Returns 0 with *frame, or -EAGAIN.  Holds nothing. */
int phase3_frame_spare(struct stage *s, struct p3_thread *t, uint64_t *frame)
{
    if (cache_take(s, t, frame))
        return 0;
    if (fill_if_empty(s, t) > 0 && cache_take(s, t, frame))
        return 0;
    return -EAGAIN;
}

/* Give back a frame t got but did not map.  Holds nothing. */
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
    p->flags &= (uint8_t)~PFN_FLAG_CACHED;
    p->spare = 0;
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
    p->flags &= (uint8_t)~PFN_FLAG_CACHED;
    p->spare = 0;
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
    return t == NULL ? 0 : fill_if_empty(s, t);
}
