/*
 * pte.h - page table entries: one 64-bit word per virtual page.
 *
 * Formats, told apart by an explicit 2-bit tag in bits 0-1:
 *
 *   ZERO        tag 0, the whole word is 0: never touched (demand zero).
 *   VALID       tag 1: bit 2 writable, bit 3 accessed, bit 4 dirty,
 *               bits 12..51 frame number.
 *   TRANSITION  tag 2: bits 12..51 frame number (the frame is on the
 *               modified or standby list, contents still in memory).
 *   DISK        tag 3: bits 12..51 page-file slot.
 *
 * Because the tag of a DISK entry is nonzero, disk slot 0 is the word 0x3
 * and can never be confused with a ZERO entry.
 *
 * Shared PTEs live in pte_cell_t and are read and written whole with
 * atomic 64-bit loads, stores and compare-exchange; never through
 * bitfield read-modify-write.
 */
#ifndef PAGELAB_PTE_H
#define PAGELAB_PTE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t pte_t; /* a PTE value (a snapshot) */

typedef struct pte_cell {
    _Atomic uint64_t word; /* a PTE in a page table */
} pte_cell_t;

enum pte_format {
    PTE_ZERO = 0,
    PTE_VALID = 1,
    PTE_TRANSITION = 2,
    PTE_DISK = 3,
};

#define PTE_NUMBER_BITS 40                 /* frame / slot field width */
#define PTE_NUMBER_MAX ((1ull << PTE_NUMBER_BITS) - 1)

/* Constructors.  frame / slot must be <= PTE_NUMBER_MAX (aborts otherwise). */
pte_t pte_make_zero(void);
pte_t pte_make_valid(uint64_t frame, bool writable, bool accessed, bool dirty);
pte_t pte_make_transition(uint64_t frame);
pte_t pte_make_disk(uint64_t slot);

/* Decoders. */
enum pte_format pte_format(pte_t p);
/* Frame of a VALID or TRANSITION entry; aborts on any other format. */
uint64_t pte_frame(pte_t p);
/* Slot of a DISK entry; aborts on any other format. */
uint64_t pte_slot(pte_t p);
/* Bits of a VALID entry; abort on any other format. */
bool pte_writable(pte_t p);
bool pte_accessed(pte_t p);
bool pte_dirty(pte_t p);
/* A VALID entry with one bit changed; aborts on any other format. */
pte_t pte_with_accessed(pte_t p, bool accessed);
pte_t pte_with_writable(pte_t p, bool writable);
pte_t pte_with_dirty(pte_t p, bool dirty);

/* "zero", "valid", "transition", "disk". */
const char *pte_format_name(enum pte_format f);
/* Human-readable form, e.g. "valid{frame 7, rw, accessed, dirty}". */
void pte_describe(pte_t p, char *buf, size_t len);

/* Whole-word atomic access to a shared PTE (sequentially consistent). */
pte_t pte_load(const pte_cell_t *cell);
void pte_store(pte_cell_t *cell, pte_t value);
/* Replace *cell with desired if it still holds *expected.  Returns true on
 * success; on failure stores the current value in *expected. */
bool pte_cas(pte_cell_t *cell, pte_t *expected, pte_t desired);

#endif
