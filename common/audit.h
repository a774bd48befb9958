/*
 * audit.h - checks every invariant of the shared data while quiescent and
 * reports the first violation in one readable sentence:
 *
 *   1. every frame is on exactly the list its state names (or, flagged
 *      in flight/cached, on none); list rings and counts are sound;
 *   2. list counts plus flagged frames add up to the frame count;
 *   3. VALID and TRANSITION PTEs and their frames point at each other,
 *      with VALID <-> ACTIVE and TRANSITION <-> MODIFIED/STANDBY;
 *   4. every allocated page-file slot is owned by exactly one DISK PTE or
 *      one frame, and every DISK PTE's / STANDBY frame's slot is allocated
 *      (bitmap and PTEs agree).
 */
#ifndef PAGELAB_AUDIT_H
#define PAGELAB_AUDIT_H

#include <stddef.h>

#include "stage.h"

/* 0 when every invariant holds; -1 with the first violation in msg. */
int audit_core(struct stage_core *core, char *msg, size_t msglen);

#endif
