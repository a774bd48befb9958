/*
 * audit.c - checks every invariant of a stage's shared data while the
 * system is quiescent, and names the first violation in one sentence,
 * e.g. "frame 12 is on the standby list but its state is active".
 *
 * The checks, in the order they run (each a small static function):
 *   1. lists: every list ring is sound and its count right; every node on
 *      lists[s] is a frame record whose state is s and that carries no
 *      off-list flag; the list of an unlisted state (pfn_db_unlist) is
 *      empty.
 *   2. frames: every state and flag is known; an unflagged frame is on a
 *      list unless its state is unlisted, an off-list-flagged one (READING,
 *      WRITING, HELD) or one in an unlisted state is not; the list
 *      counts plus the off-list frames add up to nframes.
 *   3. frames -> PTEs: an ACTIVE frame's vpn names a VALID PTE of this
 *      frame, a MODIFIED/STANDBY frame's a TRANSITION PTE of this frame; a
 *      FREE frame has no vpn and no slot; a STANDBY frame owns a slot.
 *   4. PTEs -> frames: a well-formed word for its tag; a VALID PTE names an
 *      ACTIVE frame, a TRANSITION PTE a MODIFIED or STANDBY frame, and that
 *      frame names this page back.
 *   5. slots: every slot named by a DISK PTE or a frame is inside the page
 *      file and allocated, no slot has two owners, and every allocated slot
 *      has one.
 *   6. (audit_dirty, called by each phase after audit_core) the dirty
 *      rule the phase keeps: writable implies dirty, and either dirty
 *      means "owns no slot" (phase1, phase2) or dirty means writable
 *      (phase3, where a dirty page may keep its slot).
 * PFN_FLAG_REWRITE only qualifies a write in flight, so it does not take a
 * frame off its list.  Frames flagged off-list are not held to checks 3-4
 * from their side (their owner is mid-operation), but a PTE naming one is
 * still checked.
 *
 * Locking: none is taken except the page file's own lock (through
 * pagefile_slot_in_use); the caller guarantees quiescence.
 */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define AUDIT_KNOWN_FLAGS (PFN_OFF_LIST_FLAGS | PFN_FLAG_REWRITE)
#define AUDIT_NO_OWNER UINT64_MAX

struct audit {
    struct stage_core *core;
    char *msg;
    size_t msglen;
    uint64_t *slot_owner; /* per slot: 2*vpn (page) or 2*frame+1, or none */
    uint64_t claimed;     /* slots with an owner */
};

/* Write the violation into the caller's buffer; returns -1. */
__attribute__((format(printf, 2, 3)))
static int audit_fail(struct audit *a, const char *fmt, ...)
{
    if (a->msg != NULL && a->msglen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->msg, a->msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Frame number of a list node, or UINT64_MAX when the node is not the
 * link of one of the database's records. */
static uint64_t audit_node_frame(const struct pfn_db *db,
                                 const struct list_node *n)
{
    uintptr_t base = (uintptr_t)&db->frames[0].link;
    uintptr_t addr = (uintptr_t)n;
    if (db->frames == NULL || addr < base ||
        (addr - base) % sizeof(struct pfn) != 0 ||
        (addr - base) / sizeof(struct pfn) >= db->nframes)
        return UINT64_MAX;
    return (addr - base) / sizeof(struct pfn);
}

/* Check 1 for the list of one state. */
static int audit_list(struct audit *a, enum pfn_state s)
{
    struct pfn_db *db = &a->core->pfns;
    const struct list *l = &db->lists[s];
    if (list_check(l) != 0)
        return audit_fail(a, "the %s list is broken: its links or its count "
                          "(%llu) are wrong", pfn_state_name(s),
                          (unsigned long long)l->count);
    if (!pfn_listed(db, s) && l->count != 0)
        return audit_fail(a, "%s frames are kept on no list, but the %s "
                          "list holds %llu", pfn_state_name(s),
                          pfn_state_name(s), (unsigned long long)l->count);
    for (const struct list_node *n = list_head(l); n != NULL;
         n = list_next(l, n)) {
        uint64_t f = audit_node_frame(db, n);
        if (f == UINT64_MAX)
            return audit_fail(a, "the %s list holds a node that is not a "
                              "frame record", pfn_state_name(s));
        const struct pfn *p = &db->frames[f];
        if (p->state != s)
            return audit_fail(a, "frame %llu is on the %s list but its state "
                              "is %s", (unsigned long long)f,
                              pfn_state_name(s), pfn_state_name(p->state));
        if (p->flags & PFN_OFF_LIST_FLAGS)
            return audit_fail(a, "frame %llu is on the %s list but is flagged "
                              "in flight or held (flags 0x%x)",
                              (unsigned long long)f, pfn_state_name(s),
                              p->flags);
    }
    return 0;
}

/* Check 2: states, flags, list membership and the frame count. */
static int audit_frame_census(struct audit *a)
{
    const struct pfn_db *db = &a->core->pfns;
    uint64_t off_list = 0, on_lists = 0;
    for (uint64_t f = 0; f < db->nframes; f++) {
        const struct pfn *p = &db->frames[f];
        unsigned long long fr = (unsigned long long)f;
        if (p->state >= PFN_STATE_COUNT)
            return audit_fail(a, "frame %llu has state %u, which is not a "
                              "state", fr, p->state);
        if (p->flags & ~AUDIT_KNOWN_FLAGS)
            return audit_fail(a, "frame %llu has unknown flag bits 0x%x", fr,
                              p->flags & ~AUDIT_KNOWN_FLAGS);
        bool off = (p->flags & PFN_OFF_LIST_FLAGS) != 0 ||
                   !pfn_listed(db, p->state);
        if (!off && !list_node_linked(&p->link))
            return audit_fail(a, "frame %llu is %s but on no list", fr,
                              pfn_state_name(p->state));
        if (off && list_node_linked(&p->link))
            return audit_fail(a, "frame %llu is linked into a list, but it is "
                              "%s%s", fr, pfn_state_name(p->state),
                              pfn_listed(db, p->state)
                                  ? " and flagged in flight or held"
                                  : ", a state kept on no list");
        off_list += off;
    }
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        on_lists += db->lists[s].count;
    if (on_lists + off_list != db->nframes)
        return audit_fail(a, "the lists hold %llu frames and %llu are off "
                          "them (in flight, held or unlisted), but there "
                          "are %llu frames",
                          (unsigned long long)on_lists,
                          (unsigned long long)off_list,
                          (unsigned long long)db->nframes);
    return 0;
}

/* The PTE format an unflagged frame in state s must be named by. */
static enum pte_format audit_expected_format(enum pfn_state s)
{
    return s == PFN_ACTIVE ? PTE_VALID : PTE_TRANSITION;
}

/* Check 3 for one unflagged frame that has an owner (not FREE). */
static int audit_frame_owner(struct audit *a, uint64_t f, const struct pfn *p)
{
    const struct stage_core *c = a->core;
    unsigned long long fr = (unsigned long long)f;
    const char *st = pfn_state_name(p->state);
    if (p->vpn == PFN_NO_VPN)
        return audit_fail(a, "frame %llu is %s but names no page", fr, st);
    if (p->vpn >= c->config.virtual_pages)
        return audit_fail(a, "frame %llu is %s but names page %llu, beyond the "
                          "%llu pages", fr, st, (unsigned long long)p->vpn,
                          (unsigned long long)c->config.virtual_pages);
    pte_t pte = pte_load(&c->ptes[p->vpn]);
    enum pte_format want = audit_expected_format(p->state);
    if (pte_format(pte) != want || pte_frame(pte) != f) {
        char have[64];
        pte_describe(pte, have, sizeof have);
        return audit_fail(a, "frame %llu is %s for page %llu, but that page's "
                          "entry is %s instead of %s for this frame", fr, st,
                          (unsigned long long)p->vpn, have,
                          pte_format_name(want));
    }
    if (p->state == PFN_STANDBY && p->slot == PAGEFILE_NO_SLOT)
        return audit_fail(a, "frame %llu is on standby but owns no page-file "
                          "slot", fr);
    return 0;
}

/* Check 3 over every unflagged frame. */
static int audit_frames_to_ptes(struct audit *a)
{
    const struct pfn_db *db = &a->core->pfns;
    for (uint64_t f = 0; f < db->nframes; f++) {
        const struct pfn *p = &db->frames[f];
        if (p->flags & PFN_OFF_LIST_FLAGS)
            continue;
        if (p->state != PFN_FREE) {
            if (audit_frame_owner(a, f, p) != 0)
                return -1;
        } else if (p->vpn != PFN_NO_VPN) {
            return audit_fail(a, "frame %llu is free but still names page %llu",
                              (unsigned long long)f,
                              (unsigned long long)p->vpn);
        } else if (p->slot != PAGEFILE_NO_SLOT) {
            return audit_fail(a, "frame %llu is free but still holds slot %llu",
                              (unsigned long long)f,
                              (unsigned long long)p->slot);
        }
    }
    return 0;
}

/* "page 5", or "no page" for PFN_NO_VPN. */
static void audit_page_name(uint64_t vpn, char *buf, size_t len)
{
    if (vpn == PFN_NO_VPN)
        snprintf(buf, len, "no page");
    else
        snprintf(buf, len, "page %llu", (unsigned long long)vpn);
}

/* Check 4 for the VALID or TRANSITION entry pte of page vpn. */
static int audit_pte_frame(struct audit *a, uint64_t vpn, pte_t pte)
{
    const struct pfn_db *db = &a->core->pfns;
    unsigned long long v = (unsigned long long)vpn;
    const char *fmt = pte_format_name(pte_format(pte));
    uint64_t f = pte_frame(pte);
    if (f >= db->nframes)
        return audit_fail(a, "page %llu is %s for frame %llu, beyond the %llu "
                          "frames", v, fmt, (unsigned long long)f,
                          (unsigned long long)db->nframes);
    const struct pfn *p = &db->frames[f];
    bool ok = pte_format(pte) == PTE_VALID
                  ? p->state == PFN_ACTIVE
                  : p->state == PFN_MODIFIED || p->state == PFN_STANDBY;
    if (!ok)
        return audit_fail(a, "page %llu is %s for frame %llu, but that frame's "
                          "state is %s", v, fmt, (unsigned long long)f,
                          pfn_state_name(p->state));
    if (p->vpn != vpn) {
        char owner[48];
        audit_page_name(p->vpn, owner, sizeof owner);
        return audit_fail(a, "page %llu is %s for frame %llu, but that frame "
                          "belongs to %s", v, fmt, (unsigned long long)f,
                          owner);
    }
    return 0;
}

/* The well-formed word with p's tag and fields: p itself unless p has
 * bits set that its format does not use. */
static pte_t audit_reencode(pte_t p)
{
    switch (pte_format(p)) {
    case PTE_VALID:
        return pte_make_valid(pte_frame(p), pte_writable(p), pte_accessed(p),
                              pte_dirty(p));
    case PTE_TRANSITION:
        return pte_make_transition(pte_frame(p));
    case PTE_DISK:
        return pte_make_disk(pte_slot(p));
    default:
        return pte_make_zero();
    }
}

/* Check 4 over every PTE (DISK entries' slots are left to check 5). */
static int audit_ptes(struct audit *a)
{
    const struct stage_core *c = a->core;
    for (uint64_t vpn = 0; vpn < c->config.virtual_pages; vpn++) {
        pte_t pte = pte_load(&c->ptes[vpn]);
        enum pte_format f = pte_format(pte);
        if (pte != audit_reencode(pte))
            return audit_fail(a, "page %llu has a malformed %s entry 0x%llx",
                              (unsigned long long)vpn, pte_format_name(f),
                              (unsigned long long)pte);
        if ((f == PTE_VALID || f == PTE_TRANSITION) &&
            audit_pte_frame(a, vpn, pte) != 0)
            return -1;
    }
    return 0;
}

/* "page 5" or "frame 3" for an owner code (2*vpn or 2*frame+1). */
static void audit_owner_name(uint64_t owner, char *buf, size_t len)
{
    snprintf(buf, len, "%s %llu", (owner & 1) ? "frame" : "page",
             (unsigned long long)(owner >> 1));
}

/* Record that owner (a page or frame code) holds slot: inside the page
 * file, allocated, and not held by anyone else.  Check 5, one claim. */
static int audit_claim_slot(struct audit *a, uint64_t slot, uint64_t owner)
{
    struct pagefile *pf = a->core->pagefile;
    char who[48];
    audit_owner_name(owner, who, sizeof who);
    if (slot >= pagefile_capacity(pf))
        return audit_fail(a, "%s names slot %llu, beyond the page file's %llu "
                          "slots", who, (unsigned long long)slot,
                          (unsigned long long)pagefile_capacity(pf));
    if (!pagefile_slot_in_use(pf, slot))
        return audit_fail(a, "%s names slot %llu, which is not allocated", who,
                          (unsigned long long)slot);
    if (a->slot_owner[slot] != AUDIT_NO_OWNER) {
        char first[48];
        audit_owner_name(a->slot_owner[slot], first, sizeof first);
        return audit_fail(a, "slot %llu is owned twice, by %s and by %s",
                          (unsigned long long)slot, first, who);
    }
    a->slot_owner[slot] = owner;
    a->claimed++;
    return 0;
}

/* Check 5: claim every DISK PTE's and every frame's slot (each claim is
 * of an allocated slot, none twice); then, unless the claims account for
 * every allocated slot, find the one nobody claimed. */
static int audit_slots(struct audit *a)
{
    const struct stage_core *c = a->core;
    for (uint64_t vpn = 0; vpn < c->config.virtual_pages; vpn++) {
        pte_t pte = pte_load(&c->ptes[vpn]);
        if (pte_format(pte) == PTE_DISK &&
            audit_claim_slot(a, pte_slot(pte), vpn << 1) != 0)
            return -1;
    }
    for (uint64_t f = 0; f < c->pfns.nframes; f++) {
        uint64_t slot = c->pfns.frames[f].slot;
        if (slot != PAGEFILE_NO_SLOT &&
            audit_claim_slot(a, slot, (f << 1) | 1) != 0)
            return -1;
    }
    uint64_t in_use = pagefile_in_use(c->pagefile);
    if (a->claimed == in_use)
        return 0;
    uint64_t cap = pagefile_capacity(c->pagefile);
    for (uint64_t s = 0; s < cap; s++)
        if (a->slot_owner[s] == AUDIT_NO_OWNER &&
            pagefile_slot_in_use(c->pagefile, s))
            return audit_fail(a, "slot %llu is allocated but no page or frame "
                              "owns it", (unsigned long long)s);
    /* every allocated slot is claimed, so the page file miscounts */
    return audit_fail(a, "the page file counts %llu slots in use, but %llu "
                      "are allocated", (unsigned long long)in_use,
                      (unsigned long long)a->claimed);
}

/* Run checks 1-5 on core (quiescent).  Returns 0, or -1 with the first
 * violation in msg (also when the audit itself runs out of memory). */
int audit_core(struct stage_core *core, char *msg, size_t msglen)
{
    struct audit a = {.core = core, .msg = msg, .msglen = msglen};
    if (msg != NULL && msglen > 0)
        msg[0] = '\0';
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        if (audit_list(&a, (enum pfn_state)s) != 0)
            return -1;
    if (audit_frame_census(&a) != 0 || audit_frames_to_ptes(&a) != 0 ||
        audit_ptes(&a) != 0)
        return -1;
    uint64_t cap = pagefile_capacity(core->pagefile);
    a.slot_owner = malloc(cap * sizeof *a.slot_owner);
    if (a.slot_owner == NULL)
        return audit_fail(&a, "the audit ran out of memory for %llu slots",
                          (unsigned long long)cap);
    for (uint64_t s = 0; s < cap; s++)
        a.slot_owner[s] = AUDIT_NO_OWNER;
    int rc = audit_slots(&a);
    free(a.slot_owner);
    return rc;
}

/* Why VALID page p (frame f) breaks 'rule', or NULL when it keeps it. */
static const char *audit_dirty_why(const struct pfn *f, pte_t p,
                                   enum audit_dirty_rule rule)
{
    bool owns_slot = f->slot != PAGEFILE_NO_SLOT;
    if (pte_writable(p) && !pte_dirty(p))
        return "is writable but clean";
    if (rule == AUDIT_DIRTY_MEANS_WRITABLE)
        return pte_dirty(p) && !pte_writable(p) ? "is dirty but read-only"
                                                : NULL;
    if (pte_dirty(p) && owns_slot)
        return "is dirty but its frame still owns a (stale) slot";
    if (!pte_dirty(p) && !owns_slot)
        return "is clean but its frame owns no slot";
    return NULL;
}

/* Check the dirty rule on every settled ACTIVE (and MODIFIED) frame. */
int audit_dirty(struct stage_core *core, enum audit_dirty_rule rule,
                char *msg, size_t msglen)
{
    struct audit a = { .core = core, .msg = msg, .msglen = msglen };
    struct pfn_db *db = &core->pfns;
    for (uint64_t i = 0; i < db->nframes; i++) {
        const struct pfn *f = &db->frames[i];
        if ((f->flags & PFN_OFF_LIST_FLAGS) != 0)
            continue;
        if (f->state == PFN_MODIFIED && rule == AUDIT_DIRTY_MEANS_NO_SLOT &&
            f->slot != PAGEFILE_NO_SLOT)
            return audit_fail(&a, "frame %llu is modified but owns slot "
                              "%llu", (unsigned long long)i,
                              (unsigned long long)f->slot);
        if (f->state != PFN_ACTIVE)
            continue;
        const char *why = audit_dirty_why(f, pte_load(&core->ptes[f->vpn]),
                                          rule);
        if (why != NULL)
            return audit_fail(&a, "page %llu (frame %llu) %s",
                              (unsigned long long)f->vpn,
                              (unsigned long long)i, why);
    }
    return 0;
}
