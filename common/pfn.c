/*
 * pfn.c - the page frame number database: one record per physical frame
 * and one list per state.
 *
 * State diagram (the list a frame is on is its state; see pfn.h):
 *
 *   FREE --fault--> ACTIVE --trim, dirty--> MODIFIED --write-back--> STANDBY
 *                    ^  |                      |                       |
 *                    |  +------trim, clean-----|---------------------->|
 *                    +------rescue-------------+-----------------------+
 *   STANDBY --repurpose--> ACTIVE for another page (old PTE becomes DISK)
 *   ACTIVE / MODIFIED / STANDBY --page released--> FREE
 *
 * Transition table: every edge above is made by the stage with pfn_move
 * (or pfn_pop + pfn_link); this module only keeps the lists and the state
 * field in step.  For a state the stage unlisted (pfn_db_unlist) the same
 * calls keep only the state field.
 *
 * Invariants kept here:
 *   1. A record that is on a list is on lists[state] (pfn_link sets state
 *      and links in one step; pfn_unlink takes it off the list its state
 *      names).
 *   2. sizeof(struct pfn) == 64 and the records start on a cache line:
 *      a record is exactly one line, never two, and never shares one.
 *   3. A fresh database holds every frame FREE, on the free list in frame
 *      order, with vpn = PFN_NO_VPN and slot = PAGEFILE_NO_SLOT.
 *
 * Misuse (a frame number out of range, a pointer that is not a record of
 * this database, unlinking a record that is on no list) aborts with
 * "function: reason".
 *
 * Locking: none; see pfn.h.
 */
#include "pfn.h"
#include "panic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagefile.h"

_Static_assert(sizeof(struct pfn) == 64, "struct pfn is one cache line");

/* Abort (as func) when state is not a real state. */
static void pfn_require_state(const char *func, unsigned state)
{
    if (state >= PFN_STATE_COUNT)
        panic(func, "state out of range");
}

/* Allocate and initialise nframes FREE records on the free list, in frame
 * order.  Returns 0, or -ENOMEM (db left empty).  nframes == 0 gives an
 * empty database. */
int pfn_db_init(struct pfn_db *db, uint64_t nframes)
{
    db->frames = NULL;
    db->nframes = 0;
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        list_init(&db->lists[s]);
    db->unlisted = 0;
    if (nframes > SIZE_MAX / sizeof(struct pfn))
        return -ENOMEM;
    size_t bytes = (nframes ? nframes : 1) * sizeof(struct pfn);
    db->frames = aligned_alloc(_Alignof(struct pfn), bytes);
    if (db->frames == NULL)
        return -ENOMEM;
    memset(db->frames, 0, bytes);
    db->nframes = nframes;
    for (uint64_t f = 0; f < nframes; f++) {
        struct pfn *p = &db->frames[f];
        list_node_init(&p->link);
        p->vpn = PFN_NO_VPN;
        p->slot = PAGEFILE_NO_SLOT;
        atomic_init(&p->stage_word, 0);
        pfn_link(db, p, PFN_FREE);
    }
    return 0;
}

/* Free the records; db becomes an empty database. */
void pfn_db_destroy(struct pfn_db *db)
{
    free(db->frames);
    db->frames = NULL;
    db->nframes = 0;
    db->unlisted = 0;
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        list_init(&db->lists[s]);
}

/* Keep frames in 'state' on no list (see pfn.h); aborts when its list is
 * not empty. */
void pfn_db_unlist(struct pfn_db *db, enum pfn_state state)
{
    pfn_require_state("pfn_db_unlist", state);
    if (list_count(&db->lists[state]) != 0)
        panic("pfn_db_unlist", "the state's list is not empty");
    db->unlisted |= 1u << state;
}

/* Are frames in 'state' kept on its list? */
bool pfn_listed(const struct pfn_db *db, enum pfn_state state)
{
    pfn_require_state("pfn_listed", state);
    return (db->unlisted & (1u << state)) == 0;
}

/* The record of frame; aborts when frame >= nframes. */
struct pfn *pfn_get(struct pfn_db *db, uint64_t frame)
{
    if (frame >= db->nframes)
        panic("pfn_get", "frame number out of range");
    return &db->frames[frame];
}

/* The frame number of record p; aborts when p is not one of db's records. */
uint64_t pfn_number(const struct pfn_db *db, const struct pfn *p)
{
    uintptr_t base = (uintptr_t)db->frames;
    uintptr_t addr = (uintptr_t)p;
    if (addr < base || addr >= base + db->nframes * sizeof(struct pfn) ||
        (addr - base) % sizeof(struct pfn) != 0)
        panic("pfn_number", "pointer is not a record of this database");
    return (addr - base) / sizeof(struct pfn);
}

/* Take p off lists[p->state]; aborts when p is on no list.  A frame in
 * an unlisted state is on none: nothing to do. */
void pfn_unlink(struct pfn_db *db, struct pfn *p)
{
    pfn_require_state("pfn_unlink", p->state);
    if (!pfn_listed(db, p->state))
        return;
    if (!list_node_linked(&p->link))
        panic("pfn_unlink", "frame is on no list");
    list_remove(&db->lists[p->state], &p->link);
}

/* Set p's state and append p to that state's list (unless the state is
 * unlisted); aborts when p is already on a list. */
void pfn_link(struct pfn_db *db, struct pfn *p, enum pfn_state state)
{
    pfn_require_state("pfn_link", state);
    if (list_node_linked(&p->link))
        panic("pfn_link", "frame is already on a list");
    p->state = (uint8_t)state;
    if (pfn_listed(db, state))
        list_push_tail(&db->lists[state], &p->link);
}

/* Move p from its current list to the tail of state's list. */
void pfn_move(struct pfn_db *db, struct pfn *p, enum pfn_state state)
{
    pfn_unlink(db, p);
    pfn_link(db, p, state);
}

/* Remove and return the head of state's list (state unchanged), or NULL. */
struct pfn *pfn_pop(struct pfn_db *db, enum pfn_state state)
{
    pfn_require_state("pfn_pop", state);
    struct list_node *n = list_pop_head(&db->lists[state]);
    return n == NULL ? NULL : list_entry(n, struct pfn, link);
}

/* Number of records on state's list; for an unlisted state, the records
 * in the state with no off-list flag (the ones its list would hold). */
uint64_t pfn_count(const struct pfn_db *db, enum pfn_state state)
{
    pfn_require_state("pfn_count", state);
    if (pfn_listed(db, state))
        return list_count(&db->lists[state]);
    uint64_t n = 0;
    for (uint64_t f = 0; f < db->nframes; f++)
        n += db->frames[f].state == state &&
             (db->frames[f].flags & PFN_OFF_LIST_FLAGS) == 0;
    return n;
}

/* "free", "active", "modified", "standby"; "?" outside the enum. */
const char *pfn_state_name(enum pfn_state s)
{
    static const char *const names[PFN_STATE_COUNT] = {
        [PFN_FREE] = "free",
        [PFN_ACTIVE] = "active",
        [PFN_MODIFIED] = "modified",
        [PFN_STANDBY] = "standby",
    };
    return (unsigned)s < PFN_STATE_COUNT ? names[s] : "?";
}
