/*
 * pagefile.h - the backing store: a real file of page-sized slots.
 *
 * By default the file is an unlinked temporary file under $TMPDIR (or /tmp);
 * a path may be given instead.  Slots are allocated from a lock-free slot
 * bitmap (slotmap.h: next fit, a 64-bit word at a time) and can be claimed
 * as contiguous runs for batched writes.  Pages move with pread/pwrite/
 * pwritev straight from and to the machine's kernel window, each thread
 * through its own descriptor of the file (so threads do not share its
 * reference count).
 *
 * Invariants:
 *   1. A slot is allocated iff it was handed out by pagefile_alloc(_run)
 *      and not freed since; no slot is handed out twice at once.
 *   2. pagefile_in_use equals the number of allocated slots when no call
 *      is in progress.
 *
 * Errors come back as negative errno values, never as silent corruption:
 * -ENOSPC when no slot is free (or the file system is full), -EIO (or the
 * system's errno) when a read or write fails or is short.  An error hook lets
 * tests make the Nth read or write fail.
 *
 * Locking: none is taken, so a stage may call in holding any of its locks.
 * Slots are claimed and released with atomic operations on the bitmap's
 * words (lock-free); I/O needs no lock.
 */
#ifndef PAGELAB_PAGEFILE_H
#define PAGELAB_PAGEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGEFILE_NO_SLOT UINT64_MAX
#define PAGEFILE_MAX_BATCH 64 /* most pages one vectored write moves */

struct pagefile;

struct pagefile_config {
    uint64_t slots;      /* capacity, > 0 */
    size_t page_size;    /* bytes per slot (MACHINE_PAGE_SIZE) */
    const char *path;    /* NULL: unlinked temporary file in $TMPDIR */
};

enum pagefile_op { PAGEFILE_OP_READ, PAGEFILE_OP_WRITE };

/* Create the file and an empty bitmap.  Returns 0 or a negative errno with
 * one sentence in err. */
int pagefile_create(const struct pagefile_config *cfg, struct pagefile **out,
                    char *err, size_t errlen);
/* Close (and, for a temporary file, delete) the file; free the bitmap. */
void pagefile_destroy(struct pagefile *pf);

/* Claim one free slot.  Returns 0 and the slot, or -ENOSPC. */
int pagefile_alloc(struct pagefile *pf, uint64_t *slot);
/* Claim up to 'want' contiguous free slots (at least 1).  Returns 0 with
 * *first and *got (1..want), or -ENOSPC when no slot is free. */
int pagefile_alloc_run(struct pagefile *pf, size_t want, uint64_t *first,
                       size_t *got);
/* Release an allocated slot; aborts on a slot that is not allocated. */
void pagefile_free(struct pagefile *pf, uint64_t slot);
bool pagefile_slot_in_use(struct pagefile *pf, uint64_t slot);
uint64_t pagefile_in_use(struct pagefile *pf);
uint64_t pagefile_capacity(const struct pagefile *pf);

/* Move one page between a slot and memory.  Return 0 or a negative errno. */
int pagefile_read(struct pagefile *pf, uint64_t slot, void *page);
int pagefile_write(struct pagefile *pf, uint64_t slot, const void *page);
/* Read / write n pages (1..PAGEFILE_MAX_BATCH) to consecutive slots
 * first..first+n-1 with one vectored call. */
int pagefile_readv(struct pagefile *pf, uint64_t first, void *const *pages,
                   size_t n);
int pagefile_writev(struct pagefile *pf, uint64_t first,
                    const void *const *pages, size_t n);

/* I/O calls made so far (a vectored call counts once) and pages moved. */
uint64_t pagefile_io_calls(struct pagefile *pf, enum pagefile_op op);
uint64_t pagefile_pages_moved(struct pagefile *pf, enum pagefile_op op);

/* Test hook: the nth (1-based, counted from now) call of kind op fails
 * with error (a negative errno); nth == 0 disarms. */
void pagefile_inject_error(struct pagefile *pf, enum pagefile_op op,
                           uint64_t nth, int error);

#endif
