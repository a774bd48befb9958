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
 * flight (READING, WRITING) or because the stage holds it off every list
 * (HELD; phase3: in a thread's private frame cache).
 *
 * A stage may keep the frames of one state on no list at all
 * (pfn_db_unlist).  Phase3 does so for ACTIVE: its clock finds active
 * frames through the PTEs, so an active list would be bookkeeping that
 * nobody reads, written by every fault on every core.  (Windows does the
 * same: an active page is on no PFN list; working-set lists track it.)
 *
 * Invariants (checked by audit.c when the system is quiescent):
 *   1. A frame with no off-list flag is on exactly lists[state], unless
 *      its state is unlisted; a flagged frame, or one in an unlisted
 *      state, is on no list of the database.
 *   2. The list counts, the flagged frames and the unflagged frames in
 *      unlisted states add up to nframes.
 *   3. ACTIVE frames: vpn names a VALID PTE whose frame is this one.
 *      MODIFIED/STANDBY: vpn names a TRANSITION PTE whose frame is this one.
 *      FREE: vpn == PFN_NO_VPN.
 *   4. STANDBY frames own a page-file slot (slot != PAGEFILE_NO_SLOT).
 *
 * Locking: none here.  Phase1 is single threaded; phase2/3 protect each
 * list with its own lock and each record with a per-frame lock (the
 * 'stage_word' is the stage's own: phase3 keeps its frame lock bit there).
 */
#ifndef PAGELAB_PFN_H
#define PAGELAB_PFN_H

#include <stdatomic.h>
#include <stdbool.h>
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
    PFN_FLAG_HELD = 1u << 2,    /* held by the stage off every list
                                   (phase3: in a thread's private frame
                                   cache) */
    PFN_FLAG_REWRITE = 1u << 3, /* rescued/dirtied during a write: the
                                   finished write is stale (phase2/3) */
};

/* The flags that take a frame off its list (REWRITE only qualifies a
 * write in flight). */
#define PFN_OFF_LIST_FLAGS \
    (PFN_FLAG_READING | PFN_FLAG_WRITING | PFN_FLAG_HELD)

/* One record per cache line (aligned to 64 bytes, the database aligned
 * too): two cores working on neighbouring frames never fight over a
 * line, and a record's lock and links arrive in one miss. */
struct pfn {
    _Alignas(64) struct list_node link; /* on lists[state] unless a flag or
                                           an unlisted state says not */
    uint64_t vpn;          /* owning virtual page, or PFN_NO_VPN */
    uint64_t slot;         /* page-file slot holding a copy, or PAGEFILE_NO_SLOT */
    uint8_t state;         /* enum pfn_state */
    uint8_t flags;         /* enum pfn_flag bits */
    /* The stage's own per-frame word; common/ never reads it (phase3
     * packs a lock bit, the tag of the cache holding the frame and the
     * frame's age into it: see phase3-optimized/sync.c). */
    _Atomic uint32_t stage_word;
};

struct pfn_db {
    struct pfn *frames;   /* read on every lookup: kept off the lines */
    uint64_t nframes;     /* that list links and counts write */
    unsigned unlisted;    /* bit s: frames in state s are on no list */
    _Alignas(64) struct list lists[PFN_STATE_COUNT];
};

/* Allocate nframes records, all FREE and on the free list in frame order.
 * Returns 0, or -ENOMEM. */
int pfn_db_init(struct pfn_db *db, uint64_t nframes);
void pfn_db_destroy(struct pfn_db *db);
/* From now on keep frames in 'state' on no list: pfn_link only sets the
 * state, pfn_unlink leaves the frame as it is, pfn_pop finds nothing and
 * pfn_count counts the unflagged records in the state (a scan: for tests
 * and audits, not for a fast path).  Call it before any frame enters the
 * state; aborts when its list is not empty. */
void pfn_db_unlist(struct pfn_db *db, enum pfn_state state);
/* Are frames in 'state' kept on its list (not pfn_db_unlist'ed)? */
bool pfn_listed(const struct pfn_db *db, enum pfn_state state);

/* Frame number <-> record.  Abort on an out-of-range number/pointer. */
struct pfn *pfn_get(struct pfn_db *db, uint64_t frame);
uint64_t pfn_number(const struct pfn_db *db, const struct pfn *p);

/* Take p off the list of its current state (p must be on it, unless the
 * state is unlisted). */
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
