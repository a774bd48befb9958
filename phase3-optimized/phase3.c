/*
 * phase3.c - phase3-optimized, the top file: building and tearing down
 * the stage, the audit, and the stage_ops table.
 *
 * The stage is phase2's NT-style machine (VALID / TRANSITION / DISK / ZERO
 * PTEs; free, active, modified and standby lists (active frames on no
 * list with PHASE3_OPT_UNLISTED_ACTIVE); a trimmer and a writer
 * woken by condition variables) built for scalability:
 *   fault.c    the fault: lock-free snapshot, prepare outside the lock,
 *              verify; one function per transition; read-ahead
 *   frames.c   per-thread frame caches, lazy repurposing
 *   trim.c     clock with aging, batched trims and unmaps
 *   write.c    slot runs, vectored writes, slot reclaim
 *   threads.c  trimmer / writer threads, waiting for a frame, direct
 *              reclaim
 *   sync.c     the bottom: spin locks with backoff, region and frame
 *              locks, locked list operations, generations and wake-ups
 * Every optimization is switchable at run time through cfg.options (enum
 * phase3_option).
 *
 * Calls go down, never up: phase3.c -> fault.c -> frames.c -> threads.c
 * (waiting for a frame, direct reclaim) -> trim.c, write.c -> sync.c.
 * No cycle between files: a faulting thread that reclaims directly calls
 * down into trim.c and write.c, and they hand frames back through sync.c's
 * generations, not by calling frames.c.
 *
 * Invariants (besides the shared ones that audit_core checks):
 *   1. Each PTE is changed only under its region's lock (the trimmer's and
 *      the soft MMU's accessed-bit updates are compare-exchanges).
 *   2. A HELD frame is in the cache array its tag names (audit checks).
 *   3. While quiescent, no frame lock bit is set.
 *   4. A VALID PTE is writable exactly when it is dirty.
 *   5. A region's valid mask has a bit set exactly for its VALID PTEs.
 *
 * Lock order: see phase3_impl.h.
 */
#include "phase3_impl.h"

#include "audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct pfn) == 64, "a PFN record is one cache line");
_Static_assert(sizeof(struct p3_region) == 64,
               "a region (lock, valid mask, disk sequence) is one cache line");

/* min(a, b), and at least 1. */
static uint64_t phase3_cap(uint64_t a, uint64_t b)
{
    uint64_t m = a < b ? a : b;
    return m > 0 ? m : 1;
}

/* Sizes that follow from the configuration.  The page file's slack (slots
 * beyond virtual - physical) bounds how many frames may be free, on
 * standby, being written or clean with a slot at once: each of those
 * leaves one more page holding a slot, and write-back needs the rest.  So
 * the trimmer keeps at most an eighth of the slack (and a quarter of
 * memory) available (it may overshoot by a trim batch), all private
 * caches together hold at most a quarter of either, and all writers
 * together (system threads and user threads reclaiming directly) write at
 * most a quarter of the slack (at least one write batch) at once.  Clean
 * pages keep their slots only while more than a write batch of slots is
 * free. */
static void phase3_size_stage(struct stage *s, const struct stage_config *cfg)
{
    uint64_t frames = cfg->physical_frames;
    uint64_t slack = cfg->pagefile_slots -
                     (cfg->virtual_pages - cfg->physical_frames);
    uint64_t users = cfg->user_threads;
    uint64_t per = phase3_cap(frames / (4 * users), slack / (4 * users));
    if (!phase3_opt(s, PHASE3_OPT_FRAME_CACHE))
        per = 1;
    s->cache_max = (unsigned)phase3_cap(per, P3_CACHE_MAX);
    s->high_water = (unsigned)phase3_cap(frames / 4,
                                         slack / 8 > 2 ? slack / 8 : 2);
    s->write_budget = (unsigned)phase3_cap(slack / 4 > cfg->write_batch
                                        ? slack / 4 : cfg->write_batch,
                                    PAGEFILE_MAX_BATCH);
    s->low_water = (unsigned)phase3_cap(frames / 8, s->high_water / 2);
    s->slot_reserve = phase3_cap(cfg->write_batch, cfg->pagefile_slots / 2);
    s->nregions = (cfg->virtual_pages + P3_REGION_PAGES - 1) / P3_REGION_PAGES;
    atomic_init(&s->age_threshold, phase3_opt(s, PHASE3_OPT_AGING) ? 2 : 1);
    atomic_init(&s->keep_slots, cfg->pagefile_slots > s->slot_reserve);
    atomic_init(&s->writing, 0);
    atomic_init(&s->wakeups, 0);
}

/* Initialise the locks, condition variables, key and thread contexts.
 * Returns 0 or -ENOMEM / -EAGAIN with nothing left allocated. */
static int phase3_init_sync(struct stage *s)
{
    bool spin = phase3_opt(s, PHASE3_OPT_SPIN_LOCKS);
    s->regions = aligned_alloc(64, s->nregions * sizeof s->regions[0]);
    s->mutexes = spin ? NULL : calloc(s->nregions + PFN_STATE_COUNT,
                                      sizeof s->mutexes[0]);
    if (s->regions == NULL || (!spin && s->mutexes == NULL)) {
        free(s->regions);
        free(s->mutexes);
        return -ENOMEM;
    }
    if (pthread_key_create(&s->key, phase3_thread_release) != 0) {
        free(s->regions);
        free(s->mutexes);
        return -EAGAIN;
    }
    for (uint64_t r = 0; r < s->nregions; r++) {
        phase3_lock_init(&s->regions[r].lock, &phase3_region_class,
                         spin ? NULL : &s->mutexes[r]);
        atomic_init(&s->regions[r].valid, 0);
        atomic_init(&s->regions[r].disk_seq, 0);
    }
    for (int l = 0; l < PFN_STATE_COUNT; l++)
        phase3_lock_init(&s->lists[l].lock, &phase3_list_class,
                         spin ? NULL : &s->mutexes[s->nregions + l]);
    lock_init(&s->events, &phase3_events_class);
    lock_init(&s->trim_lock, &phase3_trim_class);
    pthread_cond_init(&s->trim_cv, NULL);
    pthread_cond_init(&s->write_cv, NULL);
    pthread_cond_init(&s->frame_cv, NULL);
    pthread_cond_init(&s->written_cv, NULL);
    for (unsigned i = 0; i < P3_MAX_THREADS; i++) {
        s->threads[i].tag = (uint8_t)(i + 1);
        s->threads[i].stage = s;
    }
    return 0;
}

/* Undo phase3_init_sync. */
static void phase3_destroy_sync(struct stage *s)
{
    pthread_key_delete(s->key);
    for (uint64_t r = 0; r < s->nregions; r++)
        phase3_lock_destroy(&s->regions[r].lock);
    for (int l = 0; l < PFN_STATE_COUNT; l++)
        phase3_lock_destroy(&s->lists[l].lock);
    lock_destroy(&s->events);
    lock_destroy(&s->trim_lock);
    pthread_cond_destroy(&s->trim_cv);
    pthread_cond_destroy(&s->write_cv);
    pthread_cond_destroy(&s->frame_cv);
    pthread_cond_destroy(&s->written_cv);
    free(s->regions);
    free(s->mutexes);
}

/* stage_ops.create: check cfg, build the shared core and phase3's own
 * structures; system threads not started.  0 or -errno with err set. */
static int phase3_create(const struct stage_config *cfg, struct stage **out,
                         char *err, size_t errlen)
{
    struct stage *s = stage_alloc(_Alignof(struct stage), sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "phase3: out of memory for the stage");
        return -ENOMEM;
    }
    int r = stage_core_init(&s->core, cfg, &phase3_ops, s, err, errlen);
    if (r < 0) {
        free(s);
        return r;
    }
    s->options = cfg->options;
    if (s->options & ~(uint64_t)PHASE3_OPT_ALL) {
        snprintf(err, errlen, "phase3: unknown option bits 0x%llx",
                 (unsigned long long)(s->options & ~(uint64_t)PHASE3_OPT_ALL));
        stage_core_destroy(&s->core);
        free(s);
        return -EINVAL;
    }
    if (phase3_opt(s, PHASE3_OPT_UNLISTED_ACTIVE))
        pfn_db_unlist(&s->core.pfns, PFN_ACTIVE);
    phase3_size_stage(s, cfg);
    r = phase3_init_sync(s);
    if (r < 0) {
        snprintf(err, errlen, "phase3: cannot allocate locks for %" PRIu64
                 " regions", s->nregions);
        stage_core_destroy(&s->core);
        free(s);
        return r;
    }
    *out = s;
    return 0;
}

/* stage_ops.destroy: stop the threads and free everything. */
static void phase3_destroy(struct stage *s)
{
    if (s == NULL)
        return;
    phase3_stop(s);
    phase3_destroy_sync(s);
    stage_core_destroy(&s->core);
    free(s);
}

/* Is frame f in the cache array of its tag?  (Audit helper.) */
static bool phase3_in_cache(struct stage *s, uint64_t f, uint8_t tag)
{
    if (tag == 0 || tag > P3_MAX_THREADS)
        return false;
    struct p3_thread *t = &s->threads[tag - 1];
    for (unsigned i = 0; i < t->count; i++)
        if (t->frames[i] == f)
            return true;
    return false;
}

/* Invariants 4 and 5: a VALID PTE is writable exactly when it is dirty (a
 * write to a clean page must fault, so the page is known to need a write),
 * and the region masks name the VALID PTEs. */
static int phase3_audit_ptes(struct stage *s, char *msg, size_t msglen)
{
    for (uint64_t v = 0; v < s->core.config.virtual_pages; v++) {
        pte_t p = pte_load(&s->core.ptes[v]);
        bool marked = atomic_load(&phase3_region_of(s, v)->valid) >>
                      (v % P3_REGION_PAGES) & 1;
        if ((pte_format(p) == PTE_VALID) != marked) {
            snprintf(msg, msglen, "page %" PRIu64 " is %s but its region's "
                     "valid mask says %s", v, pte_format_name(pte_format(p)),
                     marked ? "valid" : "not valid");
            return -1;
        }
    }
    return 0;
}

/* Phase3's own invariants 2 and 3 (quiescent). */
static int phase3_audit_frames(struct stage *s, char *msg, size_t msglen)
{
    struct pfn_db *db = &s->core.pfns;
    for (uint64_t f = 0; f < db->nframes; f++) {
        struct pfn *p = &db->frames[f];
        if (phase3_pfn_locked(p)) {
            snprintf(msg, msglen, "frame %" PRIu64 " is locked while the "
                     "stage is quiescent", f);
            return -1;
        }
        if ((p->flags & PFN_FLAG_HELD) &&
            !phase3_in_cache(s, f, phase3_pfn_tag(p))) {
            snprintf(msg, msglen, "frame %" PRIu64 " is held (cached) but "
                     "is in no thread's cache", f);
            return -1;
        }
        if (p->flags & ~PFN_FLAG_HELD) {
            snprintf(msg, msglen, "frame %" PRIu64 " has I/O in flight "
                     "while the stage is quiescent", f);
            return -1;
        }
    }
    return 0;
}

/* stage_ops.audit: the shared invariants, then phase3's.  Quiescent. */
static int phase3_audit(struct stage *s, char *msg, size_t msglen)
{
    if (audit_core(&s->core, msg, msglen) != 0 ||
        audit_dirty(&s->core, AUDIT_DIRTY_MEANS_WRITABLE, msg, msglen) ||
        phase3_audit_ptes(s, msg, msglen) != 0)
        return -1;
    return phase3_audit_frames(s, msg, msglen);
}

unsigned phase3_age_threshold(struct stage *s)
{
    return atomic_load(&s->age_threshold);
}

const struct stage_ops phase3_ops = {
    .name = "phase3",
    .create = phase3_create,
    .destroy = phase3_destroy,
    .fault = phase3_fault,
    .trim = phase3_trim,
    .write_modified = phase3_write_modified,
    .start = phase3_start,
    .stop = phase3_stop,
    .audit = phase3_audit,
    .core = stage_core_of,
};
