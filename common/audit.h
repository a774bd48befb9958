/*
 * audit.h - checks every invariant of the shared data while quiescent and
 * reports the first violation in one readable sentence:
 *
 *   1. every frame is on exactly the list its state names (or, flagged
 *      in flight/held, on none); list rings and counts are sound;
 *   2. list counts plus flagged frames add up to the frame count;
 *   3. VALID and TRANSITION PTEs and their frames point at each other,
 *      with VALID <-> ACTIVE and TRANSITION <-> MODIFIED/STANDBY;
 *   4. every allocated page-file slot is owned by exactly one DISK PTE or
 *      one frame, and every DISK PTE's / STANDBY frame's slot is allocated
 *      (bitmap and PTEs agree);
 *   5. (audit_dirty) the phase's dirty rule, one of enum audit_dirty_rule.
 */
#ifndef PAGELAB_AUDIT_H
#define PAGELAB_AUDIT_H

#include <stddef.h>

#include "stage.h"

/* 0 when every invariant holds; -1 with the first violation in msg. */
int audit_core(struct stage_core *core, char *msg, size_t msglen);

/* The dirty rule: what a VALID page's dirty bit says about its slot.
 * Every phase keeps one of these; audit_dirty checks it. */
enum audit_dirty_rule {
    /* phase1, phase2: a writable page is dirty; a page is dirty exactly
     * when its frame owns no slot (writing a page releases its stale
     * slot); a MODIFIED frame owns no slot. */
    AUDIT_DIRTY_MEANS_NO_SLOT,
    /* phase3: a page is writable exactly when it is dirty; a dirty page
     * may keep its old slot, which write-back then rewrites in place. */
    AUDIT_DIRTY_MEANS_WRITABLE,
};

/* Check the dirty rule on every ACTIVE frame not in flight (and, for
 * AUDIT_DIRTY_MEANS_NO_SLOT, every MODIFIED one) while quiescent; call it
 * after audit_core, which matched each such frame with its PTE.  0, or -1
 * with the first violation in msg. */
int audit_dirty(struct stage_core *core, enum audit_dirty_rule rule,
                char *msg, size_t msglen);

#endif
