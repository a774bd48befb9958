/*
 * pfn.h - the page frame number (PFN) database: one record per physical
 * frame, and the lists frames live on.
 *
 * The list a frame is on is its state:
 *
 *   PFN_FREE      on lists[PFN_FREE]      contents meaningless, no owner
 *   PFN_ACTIVE    on lists[PFN_ACTIVE]    mapped by a VALID PTE (the clock
 *                                         queue the trimmer sweeps)
 *   PFN_MODIFIED  on lists[PFN_MODIFIED]  TRANSITION PTE, dirty: must be
 *                                         written before reuse
 *   PFN_STANDBY   on lists[PFN_STANDBY]   TRANSITION PTE, clean: its slot
 *                                         holds the same bytes
 *
 * Flags mark a frame that is temporarily on no list because I/O is in
 * flight (READING, WRITING) or because it sits in a thread's private cache
 * (CACHED, phase3).
 *
 * Invariants (checked by audit.c when the system is quiescent):
 *   1. A frame with no flag is on exactly lists[state]; a flagged frame is
 *      on no list of the database.
 *   2. The list counts plus the flagged frames add up to nframes.
 *   3. ACTIVE frames: vpn names a VALID PTE whose frame is this one.
 *      MODIFIED/STANDBY: vpn names a TRANSITION PTE whose frame is this one.
 *      FREE: vpn == PFN_NO_VPN.
 *   4. STANDBY frames own a page-file slot (slot != PAGEFILE_NO_SLOT).
 *
 * Locking: none here.  Phase1 is single threaded; phase2/3 protect each
 * list with its own lock and each record with a per-frame lock (the
 * 'lock' word is free for a stage to use as a lock bit).
 */
#ifndef PAGELAB_PFN_H
#define PAGELAB_PFN_H

#include <stdatomic.h>
#include <stdint.h>

#include "list.h"

#define PFN_NO_VPN UINT64_MAX

enum pfn_state {
    PFN_FREE = 0,
    PFN_ACTIVE,
    PFN_MODIFIED,
    PFN_STANDBY,
    PFN_STATE_COUNT
};

enum pfn_flag {
    PFN_FLAG_READING = 1u << 0, /* page-file read into this frame in flight */
    PFN_FLAG_WRITING = 1u << 1, /* page-file write from this frame in flight */
    PFN_FLAG_CACHED = 1u << 2,  /* in a thread's private frame cache */
    PFN_FLAG_REWRITE = 1u << 3, /* rescued/dirtied during a write: the
                                   finished write is stale (phase2/3) */
};

struct pfn {
    struct list_node link; /* on lists[state] unless a flag says otherwise */
    uint64_t vpn;          /* owning virtual page, or PFN_NO_VPN */
    uint64_t slot;         /* page-file slot holding a copy, or PAGEFILE_NO_SLOT */
    uint8_t state;         /* enum pfn_state */
    uint8_t flags;         /* enum pfn_flag bits */
    uint8_t age;           /* phase3 aging: higher = idle longer */
    uint8_t spare;
    _Atomic uint32_t lock; /* free for a stage's per-frame lock bit */
};

struct pfn_db {
    struct pfn *frames;   /* read on every lookup: kept off the lines */
    uint64_t nframes;     /* that list links and counts write */
    _Alignas(64) struct list lists[PFN_STATE_COUNT];
};

/* Allocate nframes records, all FREE and on the free list in frame order.
 * Returns 0, or -ENOMEM. */
int pfn_db_init(struct pfn_db *db, uint64_t nframes);
void pfn_db_destroy(struct pfn_db *db);

/* Frame number <-> record.  Abort on an out-of-range number/pointer. */
struct pfn *pfn_get(struct pfn_db *db, uint64_t frame);
uint64_t pfn_number(const struct pfn_db *db, const struct pfn *p);

/* Take p off the list of its current state (p must be on it). */
void pfn_unlink(struct pfn_db *db, struct pfn *p);
/* Set p's state and append it to that state's list (p on no list). */
void pfn_link(struct pfn_db *db, struct pfn *p, enum pfn_state state);
/* pfn_unlink then pfn_link. */
void pfn_move(struct pfn_db *db, struct pfn *p, enum pfn_state state);
/* Remove and return the head of a state's list, or NULL when empty.  The
 * record keeps its state field; the caller relinks it. */
struct pfn *pfn_pop(struct pfn_db *db, enum pfn_state state);
uint64_t pfn_count(const struct pfn_db *db, enum pfn_state state);

/* "free", "active", "modified", "standby". */
const char *pfn_state_name(enum pfn_state s);

#endif
