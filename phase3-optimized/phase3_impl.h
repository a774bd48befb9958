/*
 * phase3_impl.h - private to phase3-optimized: the stage structure, the
 * transition functions (one name per transition, as in phase1 and phase2)
 * and the functions the phase3 source files share.  Tests and drivers
 * include phase3.h only.
 *
 * Files, top to bottom: phase3.c (create, destroy, audit, the ops table);
 * fault.c; frames.c; trim.c; write.c; threads.c; sync.c (the bottom:
 * locks, locked list operations, wait / wake; it calls nothing above it).
 *
 * Lock hierarchy (acquire in increasing rank; lockorder checks it):
 *
 *    5 "p3_trim"    one trim at a time (owns the clock hand)
 *   10 "p3_region"  PTE region locks, nestable in increasing address order
 *   20 "p3_pfn"     the lock bit in a frame's stage word (one at a time)
 *   30 "p3_list"    one lock per PFN list; never two list locks at once
 *   40 "p3_cache"   a thread context's frame cache (a leaf)
 *   50 "p3_events"  the mutex behind the condition variables (a leaf)
 *   (the page file takes no lock: its bitmap is lock-free, callable
 *    holding any of these)
 *
 * Where a path must go against the order (a list lock held, a frame to
 * lock) it uses a trylock and skips the frame when the trylock fails.
 */
#ifndef PAGELAB_PHASE3_IMPL_H
#define PAGELAB_PHASE3_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lock.h"
#include "phase3.h"
#include "stage.h"

#define P3_REGION_PAGES 64        /* PTEs one region lock covers */
#define P3_MAX_THREADS 128        /* thread contexts (caches) per stage */
#define P3_CACHE_MAX 32           /* frames one private cache holds */
#define P3_READ_AHEAD 8           /* most pages one hard fault reads */
#define P3_MAX_WRITERS 2          /* writer threads with MULTI_WRITER */
#define P3_TRIM_MAX_REGIONS 16    /* region locks one trim batch holds */
#define P3_AGE_MAX_THRESHOLD 6    /* aging: highest trim threshold */

/* A lock that is either a test-and-set spin lock with bounded exponential
 * backoff or a pthread mutex (struct lock), chosen when the stage is built
 * (PHASE3_OPT_SPIN_LOCKS).  Both report to lockorder.  The spin lock is a
 * word in the struct; the mutex, used only with the option off, lives
 * elsewhere (phase3_lock_init), so a lock takes 24 bytes and a region's
 * lock, valid mask and disk sequence share one cache line. */
struct p3_lock {
    _Atomic uint32_t spin;              /* spin lock: 1 while held */
    const struct lockorder_class *cls;
    struct lock *mutex;                 /* the mutex, or NULL: spin lock */
};

/* One PTE region on a cache line of its own: faults on different regions
 * never share a line, and a fault finds everything of its region (lock,
 * mask, sequence) in the one line. */
struct p3_region {
    _Alignas(64) struct p3_lock lock;
    /* Changed under lock: bit i set iff PTE (region start + i) is VALID,
     * so the clock skips the rest a word at a time.  Atomic because the
     * clock also peeks at it without the lock, to pass by regions with
     * nothing to visit. */
    _Atomic uint64_t valid;
    /* Changed under lock, read without: bumped each time a DISK PTE of the
     * region is consumed, so a lock-free reader can tell that the DISK
     * entry it read was consumed and recreated meanwhile (ABA: the same
     * slot number, reused for newer data). */
    _Atomic uint64_t disk_seq;
};

/* A thread's context: its private frame cache and its fault history.
 * Claimed on the thread's first fault, released (cache drained) when the
 * thread exits. */
struct p3_thread {
    /* Protected by cache_lock (a p3_cache spin lock). */
    _Alignas(64) _Atomic uint32_t cache_lock;
    unsigned count;
    uint64_t frames[P3_CACHE_MAX];
    /* Owner thread only. */
    uint64_t last_hard_vpn;  /* vpn of the last hard fault, for read-ahead */
    /* Set at claim, read-only while claimed. */
    uint8_t tag;             /* phase3_pfn_tag of the frames it caches (1..) */
    struct stage *stage;
};

struct stage {
    struct stage_core core;
    /* Read-only after create. */
    uint64_t options;          /* enum phase3_option bits */
    unsigned cache_max;        /* frames a private cache holds (<= MAX) */
    unsigned low_water;        /* free+standby below this: trimmer wakes */
    unsigned high_water;       /* trimmer stops above this */
    uint64_t slot_reserve;     /* free slots kept for write-back */
    unsigned write_budget;     /* most frames being written at once */
    uint64_t nregions;
    struct p3_region *regions;
    /* Without PHASE3_OPT_SPIN_LOCKS: the mutexes of the region locks, then
     * of the list locks; NULL with it. */
    struct lock *mutexes;
    pthread_key_t key;         /* -> the calling thread's p3_thread */
    void (*write_hook)(void *);/* tests: phase3_set_write_hook */
    void *write_hook_arg;
    /* The list locks, each on a cache line of its own: every fault takes
     * the active list's (unless active frames are kept on no list,
     * PHASE3_OPT_UNLISTED_ACTIVE), and a line shared with another list's
     * lock (or with the read-only fields above, read on every fault)
     * would move between the cores for both. */
    struct p3_list_lock {
        _Alignas(64) struct p3_lock lock;
    } lists[PFN_STATE_COUNT];

    /* Protected by events.  (Each group written often starts a cache line
     * of its own, away from the read-only fields above.) */
    _Alignas(64) struct lock events;
    pthread_cond_t trim_cv;    /* trimmer waits here */
    pthread_cond_t write_cv;   /* writers wait here */
    pthread_cond_t frame_cv;   /* user threads out of frames wait here */
    pthread_cond_t written_cv; /* rescues of frames being written wait here */
    bool running;
    bool stopping;
    /* Written under events; phase3_drain_caches reads it without. */
    _Atomic bool thread_used[P3_MAX_THREADS];
    bool trim_wanted;
    bool write_wanted;
    unsigned nwriters;
    pthread_t trimmer;
    pthread_t writers[P3_MAX_WRITERS];

    /* Protected by trim_lock. */
    _Alignas(64) struct lock trim_lock;
    uint64_t trim_hand;        /* the clock: next virtual page to visit */
    uint64_t reclaim_hand;     /* next page phase3_reclaim_slots looks at */

    /* Atomics.  A generation is bumped without a lock; a waiter counts
     * itself in (under events) before it checks the generation, and a
     * bumper takes events to broadcast only when it sees a waiter: the
     * Dekker pattern of sync.c (invariant 4), so no wake-up is missed. */
    _Alignas(64) _Atomic uint64_t frame_gen; /* bumped: frames available */
    _Atomic uint64_t write_gen;    /* bumped when a write batch completes */
    _Atomic unsigned frame_waiters; /* threads waiting on frame_cv */
    _Atomic unsigned write_waiters; /* threads waiting on written_cv */
    /* Atomics, no lock, changed by every write batch. */
    _Atomic unsigned writing;      /* frames being written (<= budget) */
    _Atomic uint64_t wakeups;      /* system threads woken by user threads */
    /* Atomics, no lock, read by every fault and trim but seldom changed:
     * a line apart from the ones above, which change all the time. */
    _Alignas(64) _Atomic unsigned age_threshold; /* aging: trim pages at
                                                  * least this old */
    _Atomic bool keep_slots;       /* clean pages may keep their slots */

    struct p3_thread threads[P3_MAX_THREADS];
};
STAGE_CORE_FIRST(struct stage);

/* ---- the transitions (skeleton names, the same in every stage) -------- */

/* fault.c: dispatch on the PTE format, then one function per transition.
 * Each returns 0, -EAGAIN (the PTE changed: the dispatch starts again) or
 * an error; each holds nothing on entry or exit except phase3_map_page. */
int phase3_fault(struct stage *s, uint64_t va, bool is_write);
int phase3_map_page(struct stage *s, uint64_t vpn, uint64_t frame,
                    bool dirty);
int phase3_fault_zero(struct stage *s, struct p3_thread *t, uint64_t vpn,
                      pte_t snap, bool is_write);
int phase3_rescue(struct stage *s, uint64_t vpn, pte_t snap, bool is_write);
int phase3_page_in(struct stage *s, struct p3_thread *t, uint64_t vpn,
                   pte_t snap, bool is_write);
int phase3_upgrade(struct stage *s, uint64_t vpn, pte_t snap);

/* frames.c: per-thread contexts and frame caches, repurposing. */
bool phase3_repurpose(struct stage *s, struct p3_thread *t, struct pfn *p,
                      uint64_t vpn);
int phase3_frame_get(struct stage *s, struct p3_thread *t, uint64_t *frame);
int phase3_frame_get_nowait(struct stage *s, struct p3_thread *t,
                            uint64_t *frame);
void phase3_frame_put(struct stage *s, struct p3_thread *t, uint64_t frame);
void phase3_frame_take(struct stage *s, struct pfn *p);
struct p3_thread *phase3_thread(struct stage *s);
void phase3_thread_release(void *ctx);
void phase3_drain_caches(struct stage *s);

/* trim.c: the clock, ACTIVE -> MODIFIED / STANDBY. */
int phase3_trim(struct stage *s, unsigned max_pages);
unsigned phase3_trim_locked(struct stage *s, unsigned max_pages);

/* write.c: MODIFIED -> STANDBY, and clean pages giving slots back. */
int phase3_write_modified(struct stage *s, unsigned max_pages);
unsigned phase3_reclaim_slots(struct stage *s, unsigned want);
bool phase3_slot_slack(struct stage *s);

/* threads.c: the trimmer and writer threads, waiting for a frame. */
int phase3_start(struct stage *s);
void phase3_stop(struct stage *s);
int phase3_wait_frame(struct stage *s, uint64_t gen);
void phase3_replenish(struct stage *s);

/* ---- sync.c: the bottom (locks, locked list operations, wait/wake) ----- */

/* Is optimization o switched on?  (Read-only after create.)  Inline, as
 * the other small accessors below: they run several times per fault. */
static inline bool phase3_opt(const struct stage *s, enum phase3_option o)
{
    return (s->options & o) != 0;
}

void phase3_lock_init(struct p3_lock *l, const struct lockorder_class *cls,
                      struct lock *mutex);
void phase3_lock_destroy(struct p3_lock *l);
void phase3_lock_acquire(struct p3_lock *l);
bool phase3_lock_try(struct p3_lock *l);
void phase3_lock_release(struct p3_lock *l);
extern const struct lockorder_class phase3_region_class;
extern const struct lockorder_class phase3_list_class;
extern const struct lockorder_class phase3_events_class;
extern const struct lockorder_class phase3_trim_class;

/* The region holding vpn. */
static inline struct p3_region *phase3_region_of(struct stage *s,
                                                 uint64_t vpn)
{
    return &s->regions[vpn / P3_REGION_PAGES];
}

void phase3_set_valid(struct stage *s, uint64_t vpn, bool valid);
void phase3_region_lock(struct stage *s, uint64_t vpn);
void phase3_region_unlock(struct stage *s, uint64_t vpn);

/* A frame's stage word (struct pfn): its lock bit, the tag of the cache
 * holding it, its age (sync.c, invariant 3).  The lock functions are in
 * sync.c; the field accessors are here, inline. */
#define P3_PFN_LOCKED 1u      /* bit 0: the frame's lock */
#define P3_PFN_TAG_SHIFT 8    /* bits 8-15: the tag of the cache holding it */
#define P3_PFN_AGE_SHIFT 16   /* bits 16-23: its age */

void phase3_pfn_lock(struct pfn *p);
bool phase3_pfn_trylock(struct pfn *p);
void phase3_pfn_unlock(struct pfn *p);
bool phase3_pfn_locked(struct pfn *p);

/* Field shift of p's stage word: its value. */
static inline uint8_t phase3_pfn_field(struct pfn *p, unsigned shift)
{
    return (uint8_t)(atomic_load_explicit(&p->stage_word,
                                          memory_order_relaxed) >>
                     shift);
}

/* Set field shift of p's stage word to value, by a fetch_xor from the
 * value its single writer knows (invariant 3 of sync.c). */
static inline void phase3_pfn_set_field(struct pfn *p, unsigned shift,
                                        uint8_t value)
{
    uint32_t old = phase3_pfn_field(p, shift);
    if (old != value)
        atomic_fetch_xor_explicit(&p->stage_word, (old ^ value) << shift,
                                  memory_order_relaxed);
}

/* The tag of the cache holding p (0: none).  Holds: p's lock, or the
 * stage is quiescent. */
static inline uint8_t phase3_pfn_tag(struct pfn *p)
{
    return phase3_pfn_field(p, P3_PFN_TAG_SHIFT);
}

/* Set p's cache tag.  Holds: p's lock. */
static inline void phase3_pfn_set_tag(struct pfn *p, uint8_t tag)
{
    phase3_pfn_set_field(p, P3_PFN_TAG_SHIFT, tag);
}

/* p's age (aging: visits of the clock since the page was last used).
 * Holds: the region lock of p's page. */
static inline uint8_t phase3_pfn_age(struct pfn *p)
{
    return phase3_pfn_field(p, P3_PFN_AGE_SHIFT);
}

/* Set p's age.  Holds: the region lock of p's page (or p in hand, with
 * the region lock of the page it will map). */
static inline void phase3_pfn_set_age(struct pfn *p, uint8_t age)
{
    phase3_pfn_set_field(p, P3_PFN_AGE_SHIFT, age);
}

void phase3_cache_lock(struct p3_thread *t);
void phase3_cache_unlock(struct p3_thread *t);

void phase3_list_link(struct stage *s, struct pfn *p, enum pfn_state st);
void phase3_list_unlink(struct stage *s, struct pfn *p);
uint64_t phase3_list_count(struct stage *s, enum pfn_state st);
unsigned phase3_list_grab(struct stage *s, enum pfn_state st, uint8_t flag,
                          uint8_t tag, struct pfn **out, unsigned want,
                          uint64_t *left);

void phase3_wake_system(struct stage *s, bool trim, bool write);
void phase3_frames_available(struct stage *s);
uint64_t phase3_frame_gen(struct stage *s);
uint64_t phase3_write_gen(struct stage *s);
void phase3_writes_done(struct stage *s);
void phase3_wait_write(struct stage *s, uint64_t gen);

#endif
