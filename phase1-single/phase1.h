/*
 * phase1.h - phase1-single: the Windows-NT-style page state machine run by
 * one thread.
 *
 * The stage is used only through its operations table (see common/stage.h):
 * create, fault, trim, write_modified, start/stop (no-ops: phase1 has no
 * system threads), audit, core, destroy.  The faulting thread does all the
 * system's work itself: when no frame is free it trims and writes modified
 * pages, then retries.
 *
 * phase1 is single threaded: create refuses user_threads > 1.
 */
#ifndef PAGELAB_PHASE1_H
#define PAGELAB_PHASE1_H

#include "stage.h"

extern const struct stage_ops phase1_ops;

#endif
