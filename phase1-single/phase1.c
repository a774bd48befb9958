/*
 * phase1.c - phase1-single's life cycle and its operations table: create
 * (the shared core plus the fault handler), audit (the shared invariants
 * plus phase1's own), destroy.  The state machine itself is in the files
 * every stage has (phase2 and phase3 keep the same names):
 *   fault.c   the fault: dispatch on the PTE format, one function per
 *             fault transition (zero, rescue, page in, upgrade)
 *   frames.c  getting a frame: free list, else standby (repurpose), else
 *             make room; putting one back
 *   trim.c    trimming: ACTIVE -> MODIFIED / STANDBY (the clock)
 *   write.c   write-back: MODIFIED -> STANDBY
 * Calls go one way, with no cycle: phase1.c -> fault.c -> frames.c ->
 * trim.c and write.c (frames.c makes room by calling them); phase1.c's ops
 * also call trim.c and write.c directly.
 *
 * Invariants phase1 adds to audit.h's (checked by phase1_audit):
 *   1. A writable VALID page is dirty.
 *   2. A VALID page is dirty exactly when its frame owns no slot.
 *   3. A MODIFIED frame owns no slot (its stale one was released when the
 *      page was written).
 *
 * Locking: none; phase1 runs in one thread (create refuses more).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "phase1_impl.h"

/* Build a phase1 stage from cfg.  Returns 0, or -EINVAL (bad or
 * multithreaded configuration), -ENOMEM, or stage_core_init's error, with
 * one sentence in err; nothing is left allocated on failure. */
static int phase1_create(const struct stage_config *cfg, struct stage **out,
                         char *err, size_t errlen)
{
    if (cfg->user_threads > 1) {
        snprintf(err, errlen,
                 "phase1 runs one user thread, not %u (use phase2 for more)",
                 cfg->user_threads);
        return -EINVAL;
    }
    struct stage *s = stage_alloc(_Alignof(struct stage), sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "phase1: out of memory");
        return -ENOMEM;
    }
    int rc = stage_core_init(&s->core, cfg, &phase1_ops, s, err, errlen);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Release everything s owns (no access may be in progress). */
static void phase1_destroy(struct stage *s)
{
    stage_core_destroy(&s->core);
    free(s);
}

/* phase1 has no system threads: the faulting thread does their work. */
static int phase1_start(struct stage *s)
{
    (void)s;
    return 0;
}

static void phase1_stop(struct stage *s)
{
    (void)s;
}

/* Check every shared invariant (audit.h) and phase1's own (1-3: the
 * dirty rule of audit.h's AUDIT_DIRTY_MEANS_NO_SLOT) while quiescent.
 * 0, or -1 with the first violation in msg. */
static int phase1_audit(struct stage *s, char *msg, size_t msglen)
{
    if (audit_core(&s->core, msg, msglen) != 0)
        return -1;
    return audit_dirty(&s->core, AUDIT_DIRTY_MEANS_NO_SLOT, msg, msglen);
}

const struct stage_ops phase1_ops = {
    .name = "phase1",
    .create = phase1_create,
    .destroy = phase1_destroy,
    .fault = phase1_fault,
    .trim = phase1_trim,
    .write_modified = phase1_write_modified,
    .start = phase1_start,
    .stop = phase1_stop,
    .audit = phase1_audit,
    .core = stage_core_of,
};
