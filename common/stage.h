/*
 * stage.h - the one interface phase1, phase2 and phase3 implement, and the
 * core data every phase shares.
 *
 * A phase embeds a struct stage_core (machine, page table, PFN database,
 * page file, stats) and exports a struct stage_ops table (phase1_ops,
 * phase2_ops, phase3_ops).  vmsim, tests/stage and the grader see a phase
 * only through this table, so one driver and one test suite serve all three.
 */
#ifndef PAGELAB_STAGE_H
#define PAGELAB_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "pagefile.h"
#include "pfn.h"
#include "pte.h"
#include "stats.h"
#include "workload.h"

struct stage_config {
    uint64_t virtual_pages;   /* > 0 */
    uint64_t physical_frames; /* 1 .. virtual_pages */
    uint64_t pagefile_slots;  /* >= virtual_pages - physical_frames */
    enum machine_mmu mmu;
    unsigned trim_batch;      /* pages one trim pass takes, >= 1 */
    unsigned write_batch;     /* pages one write-back pass takes, >= 1 */
    unsigned user_threads;    /* most user threads that will run, >= 1 */
    const char *pagefile_path;/* NULL: unlinked temporary file */
    uint64_t options;         /* stage-specific option bits (phase3:
                               * enum phase3_option); others ignore them */
};

/* The original projects' machine: 16 MiB virtual, 2% physical, page file
 * just big enough, hw MMU, batches of 16, one user thread. */
void stage_config_defaults(struct stage_config *cfg);
/* Refuse a configuration with one sentence in err: zero counts, more
 * frames than virtual pages, a page file too small to back the virtual
 * space, sizes that overflow.  Returns 0 or -EINVAL. */
int stage_config_check(const struct stage_config *cfg, char *err,
                       size_t errlen);

struct stage;     /* each phase defines its own, with the core first */
struct stage_ops;

struct stage_core {
    struct stage_config config;
    /* The stage whose fault handler the machine calls (set by
     * stage_core_init, read-only after): see stage_core_init. */
    const struct stage_ops *ops;
    struct stage *owner;
    struct machine *machine;
    pte_cell_t *ptes;       /* one per virtual page, all ZERO at start */
    struct pfn_db pfns;     /* all frames FREE at start */
    struct pagefile *pagefile;
    struct stats *stats;
};

/* Zeroed memory for a stage object of size bytes with alignment align
 * (use _Alignof of the stage's struct: the core's PFN lists and a
 * stage's own lock groups are cache-line aligned, more than malloc
 * promises).  NULL when out of memory; release with free(). */
void *stage_alloc(size_t align, size_t size);

/* Check cfg and build every shared structure; the machine's page table is
 * set to ptes.  With ops, the machine's faults go to ops->fault(owner, ...)
 * through one trampoline, so no stage writes its own adapter (owner is
 * the stage that embeds core as its first member; it need not be fully
 * built yet: no access can fault before create returns).  ops NULL: no
 * fault handler (tests install their own).  Returns 0 or a negative errno
 * with one sentence in err; on failure nothing is left allocated. */
int stage_core_init(struct stage_core *core, const struct stage_config *cfg,
                    const struct stage_ops *ops, struct stage *owner,
                    char *err, size_t errlen);
void stage_core_destroy(struct stage_core *core);
/* PTE of the page holding va (va must be valid). */
pte_cell_t *stage_core_pte(struct stage_core *core, uint64_t va);
/* The core of stage s: every phase embeds its struct stage_core as the
 * first member of struct stage (each checks it with STAGE_CORE_FIRST), so
 * this one function is every phase's ops->core. */
struct stage_core *stage_core_of(struct stage *s);
#define STAGE_CORE_FIRST(type) \
    _Static_assert(offsetof(type, core) == 0, \
                   #type ": the stage_core must be the first member")

/* The one rule of a stale copy, shared by every phase: frame f's page has
 * been (or is about to be) written, so the copy in f's page-file slot no
 * longer holds it.  Release the slot, if f has one, and record that f has
 * none.  The caller owns f (phase1: always; phase2/3: f's frame lock is
 * held, or f is off every list and claimed by the caller). */
void stage_drop_stale_slot(struct stage_core *core, struct pfn *f);

struct stage_ops {
    const char *name; /* "phase1", ... */
    /* Build a stage (system threads not yet running).  0 or -errno, with
     * one sentence in err. */
    int (*create)(const struct stage_config *cfg, struct stage **out,
                  char *err, size_t errlen);
    /* Stop threads if running, release everything. */
    void (*destroy)(struct stage *s);
    /* Resolve a fault at va.  0, or -EFAULT (address outside the range),
     * -ENOSPC (page file full), -EIO (I/O error; no data lost). */
    int (*fault)(struct stage *s, uint64_t va, bool is_write);
    /* One step of the system's work, run by the caller's thread (phase1's
     * faulting thread calls these itself; phase2/3's trimmer and writer
     * loop over them; tests call them to drive transitions one at a time
     * while the system threads are stopped).
     * trim: move up to max_pages active pages to modified/standby (clock,
     *   honouring accessed bits).  Returns pages trimmed (0 when none could
     *   be) or -errno.
     * write_modified: write up to max_pages modified pages to the page file
     *   and move them to standby.  Returns pages written or -errno
     *   (-ENOSPC, -EIO: the pages stay modified, nothing is lost). */
    int (*trim)(struct stage *s, unsigned max_pages);
    int (*write_modified)(struct stage *s, unsigned max_pages);
    /* Start / stop the system threads (trimmer, writer).  phase1: no-ops.
     * While they are stopped, a fault that finds no frame does the trim and
     * write itself, as in phase1. */
    int (*start)(struct stage *s);
    void (*stop)(struct stage *s);
    /* Check every invariant while quiescent (no access in progress;
     * system threads stopped or parked).  0, or -1 with the first violation
     * in msg. */
    int (*audit)(struct stage *s, char *msg, size_t msglen);
    /* The shared data, for tests and drivers. */
    struct stage_core *(*core)(struct stage *s);
};

/* Run nthreads user threads on cfg against s (threads attach to the
 * machine), wait for them, and merge their results into *res.  Returns 0
 * when every stamp checked out, -1 otherwise. */
int stage_run_workload(const struct stage_ops *ops, struct stage *s,
                       const struct workload_config *cfg, unsigned nthreads,
                       struct workload_result *res);

#endif
