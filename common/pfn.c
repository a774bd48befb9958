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
 * field in step.
 *
 * Invariants kept here:
 *   1. A record that is on a list is on lists[state] (pfn_link sets state
 *      and links in one step; pfn_unlink takes it off the list its state
 *      names).
 *   2. sizeof(struct pfn) <= 64, so a record never spans two cache lines
 *      more than it must and the database stays small.
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pagefile.h"

_Static_assert(sizeof(struct pfn) <= 64, "struct pfn must fit in 64 bytes");

/* Abort with "function: reason". */
static void pfn_die(const char *func, const char *reason)
{
    fprintf(stderr, "%s: %s\n", func, reason);
    abort();
}

/* Abort (as func) when state is not a real state. */
static void pfn_require_state(const char *func, unsigned state)
{
    if (state >= PFN_STATE_COUNT)
        pfn_die(func, "state out of range");
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
    if (nframes > SIZE_MAX / sizeof(struct pfn))
        return -ENOMEM;
    db->frames = calloc(nframes ? nframes : 1, sizeof(struct pfn));
    if (db->frames == NULL)
        return -ENOMEM;
    db->nframes = nframes;
    for (uint64_t f = 0; f < nframes; f++) {
        struct pfn *p = &db->frames[f];
        list_node_init(&p->link);
        p->vpn = PFN_NO_VPN;
        p->slot = PAGEFILE_NO_SLOT;
        atomic_init(&p->lock, 0);
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
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        list_init(&db->lists[s]);
}

/* The record of frame; aborts when frame >= nframes. */
struct pfn *pfn_get(struct pfn_db *db, uint64_t frame)
{
    if (frame >= db->nframes)
        pfn_die("pfn_get", "frame number out of range");
    return &db->frames[frame];
}

/* The frame number of record p; aborts when p is not one of db's records. */
uint64_t pfn_number(const struct pfn_db *db, const struct pfn *p)
{
    uintptr_t base = (uintptr_t)db->frames;
    uintptr_t addr = (uintptr_t)p;
    if (addr < base || addr >= base + db->nframes * sizeof(struct pfn) ||
        (addr - base) % sizeof(struct pfn) != 0)
        pfn_die("pfn_number", "pointer is not a record of this database");
    return (addr - base) / sizeof(struct pfn);
}

/* Take p off lists[p->state]; aborts when p is on no list. */
void pfn_unlink(struct pfn_db *db, struct pfn *p)
{
    pfn_require_state("pfn_unlink", p->state);
    if (!list_node_linked(&p->link))
        pfn_die("pfn_unlink", "frame is on no list");
    list_remove(&db->lists[p->state], &p->link);
}

/* Set p's state and append p to that state's list; aborts when p is
 * already on a list. */
void pfn_link(struct pfn_db *db, struct pfn *p, enum pfn_state state)
{
    pfn_require_state("pfn_link", state);
    if (list_node_linked(&p->link))
        pfn_die("pfn_link", "frame is already on a list");
    p->state = (uint8_t)state;
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

/* Number of records on state's list. */
uint64_t pfn_count(const struct pfn_db *db, enum pfn_state state)
{
    pfn_require_state("pfn_count", state);
    return list_count(&db->lists[state]);
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
