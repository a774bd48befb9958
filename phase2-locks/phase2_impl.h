/*
 * phase2_impl.h - what the files of phase2-locks share (users of the stage
 * see phase2.h only): struct stage, the transition functions (one name per
 * transition, as in phase1 and phase3) and sync.c's primitives.
 *
 * The stage's meaning of a VALID PTE's bits (as in phase1):
 *   writable  mapped read-write (only after a write fault);
 *   dirty     the page file holds no current copy: trimming makes the page
 *             MODIFIED.  A clean page owns a slot with the same bytes and
 *             goes straight to STANDBY when trimmed;
 *   accessed  set when mapped (and by the soft MMU on every access); the
 *             trimmer's clock clears it and gives the page a second chance.
 * Slot rule: a frame's slot is PAGEFILE_NO_SLOT exactly when the page is
 * dirty; making a page writable frees its now-stale slot
 * (stage_drop_stale_slot).
 *
 * THE LOCK ORDER.  A thread takes locks only downward along this tree
 * (lockorder enforces the ranks in test builds):
 *
 *   PTE-region lock (rank 20, one per 64 PTEs; at most one held)
 *    +-- frame lock (rank 30, one per physical frame; at most one held)
 *         +-- list lock (rank 40: free, active, modified, standby;
 *         |             at most one held)
 *         (the page-file bitmap takes no lock: common/pagefile is
 *          lock-free, so it may be called holding any of these)
 *   sys lock (rank 90: thread control, wake-ups, the quiesce gate; a
 *             leaf: it may be taken under any lock above, and no lock is
 *             ever taken while it is held)
 *
 * Where the order must be broken.  A list hands out a frame before we know
 * (or hold) its owner's PTE region; a frame found on a list is locked
 * before its list (list -> frame would invert the order).  phase2 never
 * inverts: it takes a SNAPSHOT of the list head (frame number and owner
 * vpn) under the list lock, drops it, takes the locks in order (owner's
 * region, then the frame: phase2_lock_owner), and VERIFIES that the frame
 * is still what the snapshot said (state, no flags, same owner, PTE still
 * pointing at it).  A failed check just retries with a fresh snapshot.  We
 * chose snapshot-then-verify over trylock-and-retry because the verify is
 * needed anyway (a trylock that succeeds still finds a frame that may have
 * moved) and because it never spins on a lock held by a thread that is
 * itself waiting: a blocking acquire in order cannot deadlock.
 */
#ifndef PAGELAB_PHASE2_IMPL_H
#define PAGELAB_PHASE2_IMPL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lock.h"
#include "phase2.h"

/* A fault's internal results: no frame is free or on standby; the page
 * is being written and must not become writable until that finishes. */
#define PHASE2_NO_FRAME (-EAGAIN)
#define PHASE2_BUSY (-EBUSY)

/* Per frame: its lock and the fields it protects that struct pfn lacks. */
struct phase2_frame {
    struct lock lock;
    /* -- protected by 'lock' -- */
    bool claimed; /* taken by a fault, on no list, not yet mapped */
};

/* A frame list's lock and a count readable without it. */
struct phase2_list {
    struct lock lock;
    /* -- written under 'lock', read anywhere (sequentially consistent) -- */
    _Atomic uint64_t count; /* mirror of core.pfns.lists[state].count */
};

/* The gate word: the low PHASE2_GATE_BITS count who is inside the gate,
 * the bits above count entries (one atomic add does both, see sync.c). */
#define PHASE2_GATE_BITS 24
#define PHASE2_GATE_INSIDE ((UINT64_C(1) << PHASE2_GATE_BITS) - 1)
#define PHASE2_GATE_ENTRY (UINT64_C(1) << PHASE2_GATE_BITS)

/* The system threads. */
enum phase2_worker { PHASE2_TRIMMER, PHASE2_WRITER, PHASE2_WORKERS };

struct phase2_hook {
    _Atomic(phase2_hook_fn) fn;
    void *_Atomic arg;
};

struct stage {
    /* -- set at create, then read-only -- */
    struct stage_core core;       /* machine, PTEs, PFNs, page file, stats */
    struct lock *regions;         /* one per PHASE2_PTES_PER_LOCK PTEs */
    uint64_t nregions;
    struct phase2_frame *frames;  /* one per physical frame */
    struct phase2_list lists[PFN_STATE_COUNT];
    uint64_t low_water;           /* free+standby below this: trim, write */
    uint64_t high_water;          /* trim until free+standby+modified >= */
    uint64_t write_threshold;     /* modified pages that wake the writer */

    /* -- protected by sys (a leaf: nothing is taken while it is held) -- */
    struct lock sys;
    pthread_cond_t work_cv[PHASE2_WORKERS]; /* a worker waits for work */
    pthread_cond_t frame_cv;      /* user threads wait for a frame */
    pthread_cond_t gate_cv;       /* quiescer and gated threads wait */
    pthread_cond_t write_done_cv; /* faults wait for a page's write */
    uint64_t writes_done;         /* bumped when a write a fault waits on ends */
    pthread_t threads[PHASE2_WORKERS];
    bool running;                 /* the workers exist */
    bool stopping;                /* the workers must exit */
    bool stalled[PHASE2_WORKERS]; /* last pass did nothing ... */
    uint64_t stalled_gen[PHASE2_WORKERS]; /* ... and kick_gen was this */
    uint64_t kick_gen;            /* bumped by every kick */
    int frame_error;              /* what the last failed pass returned */
    uint64_t error_gen;           /* bumped with each reported error */

    /* -- atomics (sequentially consistent), read without sys -- */
    atomic_uint waiters;          /* user threads waiting for the workers */
    atomic_uint inline_waiters;   /* ... for a frame held by another fault */
    atomic_uint write_waiters;    /* faults waiting for a write to end */
    atomic_bool idle[PHASE2_WORKERS]; /* worker is (about to be) waiting */
    _Atomic uint64_t gate;        /* the gate word (sync.c): entries made
                                     (high bits) and faults and passes
                                     inside (low PHASE2_GATE_BITS bits),
                                     changed together by one atomic op */
    atomic_bool quiescing;        /* the gate is closed */
    struct phase2_hook hooks[PHASE2_HOOK_COUNT]; /* test-only */
};
STAGE_CORE_FIRST(struct stage);

/* ---- fault.c: the fault, one function per transition ------------------- */

/* ops->fault: resolve a fault at va (0, -EFAULT, -ENOSPC, -EIO). */
int phase2_fault(struct stage *s, uint64_t va, bool is_write);
/* Publish frame f as the page at vpn: PTE VALID, then the active list. */
void phase2_map_page(struct stage *s, uint64_t vpn, struct pfn *f,
                     bool writable, bool dirty);
/* ZERO -> VALID and DISK -> VALID with a claimed frame. */
int phase2_fault_zero(struct stage *s, uint64_t vpn, uint64_t frame,
                      bool is_write);
int phase2_page_in(struct stage *s, uint64_t vpn, pte_t pte, uint64_t frame,
                   bool is_write);
/* TRANSITION -> VALID, and VALID read-only -> writable; PHASE2_BUSY with
 * *gen set when the page's write must end first. */
int phase2_rescue(struct stage *s, uint64_t vpn, pte_t pte, bool is_write,
                  uint64_t *gen);
int phase2_upgrade(struct stage *s, uint64_t vpn, pte_t pte, bool is_write,
                   uint64_t *gen);

/* ---- frames.c: getting a frame and putting one back -------------------- */

/* STANDBY -> claimed (the owner's PTE -> DISK); true when claimed. */
bool phase2_repurpose(struct stage *s, uint64_t frame, uint64_t vpn);
/* FREE / STANDBY -> claimed: 0 and *frame, or PHASE2_NO_FRAME. */
int phase2_frame_get(struct stage *s, uint64_t *frame);
/* claimed -> FREE (the fault did not use it). */
void phase2_frame_put(struct stage *s, uint64_t frame);

/* ---- trim.c and write.c: the system's work (stage_ops.trim / write) ----- */

int phase2_trim(struct stage *s, unsigned max_pages);
int phase2_write_modified(struct stage *s, unsigned max_pages);
/* The page file is full: take back clean active pages' slots; how many. */
unsigned phase2_reclaim_slots(struct stage *s);

/* ---- threads.c ---------------------------------------------------------- */

int phase2_start(struct stage *s);
void phase2_stop(struct stage *s);
/* A fault found no frame: get the system to make one (wait for the
 * threads, or trim and write inline when they are not running).  0: retry
 * the fault; or a negative errno to return from it. */
int phase2_wait_for_frame(struct stage *s);

/* ---- sync.c: the bottom (calls nothing above it) ------------------------ */

/* Locks by what they protect. */
struct lock *phase2_region_lock(struct stage *s, uint64_t vpn);
struct lock *phase2_frame_lock(struct stage *s, uint64_t frame);

/* List operations; the frame's lock is held on entry and exit, the list
 * lock is taken inside.  add links f as 'state' (f on no list) and wakes
 * who can use it (phase2_list_gained); del unlinks f from the list of its
 * state. */
void phase2_list_add(struct stage *s, struct pfn *f, enum pfn_state state);
void phase2_list_del(struct stage *s, struct pfn *f);
/* Snapshot up to max frames of list 'state' after skipping 'skip' (frame
 * numbers and owner vpns); returns how many.  peek: the head only, false
 * when empty.  No lock held on entry or exit; the caller verifies what it
 * snapshotted under the frame lock. */
size_t phase2_list_snapshot(struct stage *s, enum pfn_state state,
                            uint64_t skip, uint64_t *frames, uint64_t *vpns,
                            size_t max);
bool phase2_list_peek(struct stage *s, enum pfn_state state, uint64_t *frame,
                      uint64_t *vpn);
/* Snapshot-then-verify for a frame found on list 'state' (the frame's
 * owner is vpn): lock region(vpn), then the frame, and check the snapshot
 * still holds.  true: both held, *pte is vpn's PTE; false: none held.
 * unlock_owner releases both. */
bool phase2_lock_owner(struct stage *s, uint64_t frame, uint64_t vpn,
                       enum pfn_state state, pte_t *pte);
void phase2_unlock_owner(struct stage *s, uint64_t frame, uint64_t vpn);
/* Current count of list 'state' (may be stale by the time it is used);
 * available: free + standby, the frames a fault could take now. */
uint64_t phase2_count(struct stage *s, enum pfn_state state);
uint64_t phase2_available(struct stage *s);

/* The quiesce gate around every fault and system pass.  enter returns the
 * gate word as this entry left it; phase2_gate_alone(s, word), called
 * before the matching exit, is true when nobody else was inside the gate
 * at any moment since that entry. */
uint64_t phase2_gate_enter(struct stage *s);
bool phase2_gate_alone(struct stage *s, uint64_t word);
void phase2_gate_exit(struct stage *s);

/* Run the test hook at point, if one is set. */
void phase2_hook(struct stage *s, enum phase2_hook_point point, uint64_t vpn);

/* Does worker w's threshold say there is work ('busy': the worker's last
 * pass moved pages)?  A lock-free hint. */
bool phase2_work_needed(struct stage *s, enum phase2_worker w, bool busy);
/* Wake a worker whose threshold says there is work and that may be
 * sleeping (no lock held); kick_locked: wake both, sys held. */
void phase2_kick(struct stage *s);
void phase2_kick_locked(struct stage *s);
/* List 'state' gained a frame: wake the user threads that can use it
 * (waiters for a frame when it is FREE or STANDBY; inline waiters always)
 * and kick a worker whose threshold now says there is work. */
void phase2_list_gained(struct stage *s, enum pfn_state state);
/* A fault must wait for the write of a WRITING frame (whose lock it holds):
 * begin registers it and returns the generation to wait past; end waits
 * (no lock held).  The writer calls finished, frame lock held, after
 * clearing WRITING. */
uint64_t phase2_write_wait_begin(struct stage *s);
void phase2_write_wait_end(struct stage *s, uint64_t gen);
void phase2_write_finished(struct stage *s);

#endif
