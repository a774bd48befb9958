/*
 * phase2_impl.h - what the files of phase2-locks share (users of the stage
 * see phase2.h only).  The lock hierarchy is drawn in phase2.c.
 *
 * The stage's meaning of a VALID PTE's bits (as in phase1):
 *   writable  mapped read-write (only after a write fault);
 *   dirty     the page file holds no current copy: trimming makes the page
 *             MODIFIED.  A clean page owns a slot with the same bytes and
 *             goes straight to STANDBY when trimmed;
 *   accessed  set when mapped (and by the soft MMU on every access); the
 *             trimmer's clock clears it and gives the page a second chance.
 * Slot rule: a frame's slot is PAGEFILE_NO_SLOT exactly when the page is
 * dirty; making a page writable frees its now-stale slot.
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
    atomic_uint in_flight;        /* faults and passes inside the gate */
    atomic_uint_fast64_t gate_entries; /* bumped by every gate entry */
    atomic_bool quiescing;        /* the gate is closed */
    struct phase2_hook hooks[PHASE2_HOOK_COUNT]; /* test-only */
};
STAGE_CORE_FIRST(struct stage);

/* phase2.c: run the test hook at point, if one is set. */
void phase2_hook(struct stage *s, enum phase2_hook_point point, uint64_t vpn);

/* phase2.c: locks by what they protect. */
struct lock *phase2_region_lock(struct stage *s, uint64_t vpn);
struct lock *phase2_frame_lock(struct stage *s, uint64_t frame);

/* phase2.c: list operations; the frame's lock is held on entry and exit,
 * the list lock is taken inside.  add links f as 'state' (f on no list);
 * del unlinks f from the list of its state.  add calls phase2_list_gained. */
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
/* Current count of list 'state' (may be stale by the time it is used). */
uint64_t phase2_count(struct stage *s, enum pfn_state state);

/* phase2.c: the quiesce gate around every fault and system pass. */
void phase2_gate_enter(struct stage *s);
void phase2_gate_exit(struct stage *s);

/* fault.c: ops->fault, and one attempt at it inside the gate (0, -errno,
 * or PHASE2_NO_FRAME with nothing changed). */
int phase2_fault(struct stage *s, uint64_t va, bool is_write);
int phase2_fault_page(struct stage *s, uint64_t vpn, bool is_write);

/* trim.c: the system's work (see stage_ops.trim / write_modified). */
int phase2_trim(struct stage *s, unsigned max_pages);
int phase2_write_modified(struct stage *s, unsigned max_pages);

/* threads.c */
int phase2_start(struct stage *s);
void phase2_stop(struct stage *s);
/* Wake the trimmer / writer if their thresholds say there is work. */
void phase2_kick(struct stage *s);
/* A fault found no frame: get the system to make one (wait for the
 * threads, or trim and write inline when they are not running).  0: retry
 * the fault; or a negative errno to return from it. */
int phase2_wait_for_frame(struct stage *s);
/* A fault must wait for the write of a WRITING frame (whose lock it holds):
 * begin registers it and returns the generation to wait past; end waits
 * (no lock held).  The writer calls finished, frame lock held, after
 * clearing WRITING. */
uint64_t phase2_write_wait_begin(struct stage *s);
void phase2_write_wait_end(struct stage *s, uint64_t gen);
void phase2_write_finished(struct stage *s);
/* List 'state' gained a frame: wake the user threads that can use it
 * (waiters for a frame when it is FREE or STANDBY; inline waiters always)
 * and kick a worker whose threshold now says there is work. */
void phase2_list_gained(struct stage *s, enum pfn_state state);

#endif
