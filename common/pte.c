/*
 * pte.c - page table entries: encode, decode and atomically access the
 * 64-bit PTE word described in pte.h.
 *
 * Layout of a word:
 *
 *   bits 0-1    format tag (enum pte_format)
 *   bit  2      writable   (VALID only)
 *   bit  3      accessed   (VALID only)
 *   bit  4      dirty      (VALID only)
 *   bits 12..51 frame number (VALID, TRANSITION) or slot (DISK)
 *
 * Invariants:
 *   1. A ZERO entry is the word 0 and nothing else; every other format has
 *      a nonzero tag, so DISK slot 0 (word 0x3) is never mistaken for ZERO.
 *   2. Bits 5-11 and 52-63 are always 0; the flag bits 2-4 are 0 in
 *      TRANSITION and DISK entries.
 *   3. Shared entries are only touched whole through pte_load, pte_store
 *      and pte_cas (sequentially consistent atomics), never field by field.
 *
 * Misuse (asking a DISK entry for its frame, a number wider than 40 bits,
 * changing a bit of a non-VALID entry) is a caller bug and aborts with
 * "function: reason".
 *
 * Locking: none.  The atomics make a single load or store tear-free; a
 * stage's own locks or CAS loops order sequences of them.
 */
#include "pte.h"
#include "panic.h"

#include <stdio.h>
#include <stdlib.h>

#define PTE_TAG_MASK 0x3ull
#define PTE_BIT_WRITABLE (1ull << 2)
#define PTE_BIT_ACCESSED (1ull << 3)
#define PTE_BIT_DIRTY (1ull << 4)
#define PTE_NUMBER_SHIFT 12

/* Put number into the frame/slot field of a word tagged tag.  Aborts (as
 * func) when number does not fit in PTE_NUMBER_BITS. */
static pte_t pte_encode(const char *func, enum pte_format tag,
                        uint64_t number)
{
    if (number > PTE_NUMBER_MAX)
        panic(func, "number does not fit in 40 bits");
    return (number << PTE_NUMBER_SHIFT) | (uint64_t)tag;
}

/* The number field of p, whatever its format. */
static uint64_t pte_number(pte_t p)
{
    return (p >> PTE_NUMBER_SHIFT) & PTE_NUMBER_MAX;
}

/* Abort (as func) unless p is a VALID entry. */
static void pte_require_valid(const char *func, pte_t p)
{
    if (pte_format(p) != PTE_VALID) {
        char reason[64];
        snprintf(reason, sizeof reason, "entry is %s, not valid",
                 pte_format_name(pte_format(p)));
        panic(func, reason);
    }
}

/* The never-touched entry: the word 0. */
pte_t pte_make_zero(void)
{
    return 0;
}

/* A VALID entry mapping frame (<= PTE_NUMBER_MAX, else abort). */
pte_t pte_make_valid(uint64_t frame, bool writable, bool accessed, bool dirty)
{
    pte_t p = pte_encode("pte_make_valid", PTE_VALID, frame);
    if (writable)
        p |= PTE_BIT_WRITABLE;
    if (accessed)
        p |= PTE_BIT_ACCESSED;
    if (dirty)
        p |= PTE_BIT_DIRTY;
    return p;
}

/* A TRANSITION entry naming frame (<= PTE_NUMBER_MAX, else abort). */
pte_t pte_make_transition(uint64_t frame)
{
    return pte_encode("pte_make_transition", PTE_TRANSITION, frame);
}

/* A DISK entry naming slot (<= PTE_NUMBER_MAX, else abort). */
pte_t pte_make_disk(uint64_t slot)
{
    return pte_encode("pte_make_disk", PTE_DISK, slot);
}

/* The format tag of p. */
enum pte_format pte_format(pte_t p)
{
    return (enum pte_format)(p & PTE_TAG_MASK);
}

/* Frame of a VALID or TRANSITION entry; aborts on ZERO or DISK. */
uint64_t pte_frame(pte_t p)
{
    enum pte_format f = pte_format(p);
    if (f == PTE_DISK)
        panic("pte_frame", "entry is disk");
    if (f == PTE_ZERO)
        panic("pte_frame", "entry is zero");
    return pte_number(p);
}

/* Slot of a DISK entry; aborts on any other format. */
uint64_t pte_slot(pte_t p)
{
    if (pte_format(p) != PTE_DISK) {
        char reason[64];
        snprintf(reason, sizeof reason, "entry is %s, not disk",
                 pte_format_name(pte_format(p)));
        panic("pte_slot", reason);
    }
    return pte_number(p);
}

/* The writable bit of a VALID entry (aborts otherwise). */
bool pte_writable(pte_t p)
{
    pte_require_valid("pte_writable", p);
    return (p & PTE_BIT_WRITABLE) != 0;
}

/* The accessed bit of a VALID entry (aborts otherwise). */
bool pte_accessed(pte_t p)
{
    pte_require_valid("pte_accessed", p);
    return (p & PTE_BIT_ACCESSED) != 0;
}

/* The dirty bit of a VALID entry (aborts otherwise). */
bool pte_dirty(pte_t p)
{
    pte_require_valid("pte_dirty", p);
    return (p & PTE_BIT_DIRTY) != 0;
}

/* p (VALID, checked as func) with bit set to on. */
static pte_t pte_with_bit(const char *func, pte_t p, uint64_t bit, bool on)
{
    pte_require_valid(func, p);
    return on ? (p | bit) : (p & ~bit);
}

/* p (VALID, else abort) with its accessed bit set to accessed. */
pte_t pte_with_accessed(pte_t p, bool accessed)
{
    return pte_with_bit("pte_with_accessed", p, PTE_BIT_ACCESSED, accessed);
}

/* p (VALID, else abort) with its writable bit set to writable. */
pte_t pte_with_writable(pte_t p, bool writable)
{
    return pte_with_bit("pte_with_writable", p, PTE_BIT_WRITABLE, writable);
}

/* p (VALID, else abort) with its dirty bit set to dirty. */
pte_t pte_with_dirty(pte_t p, bool dirty)
{
    return pte_with_bit("pte_with_dirty", p, PTE_BIT_DIRTY, dirty);
}

/* "zero", "valid", "transition", "disk"; "?" for a value outside the enum. */
const char *pte_format_name(enum pte_format f)
{
    switch (f) {
    case PTE_ZERO:
        return "zero";
    case PTE_VALID:
        return "valid";
    case PTE_TRANSITION:
        return "transition";
    case PTE_DISK:
        return "disk";
    }
    return "?";
}

/* Write a readable form of p into buf (always NUL-terminated when len > 0),
 * e.g. "valid{frame 7, rw, accessed, dirty}", "disk{slot 0}", "zero". */
void pte_describe(pte_t p, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return;
    switch (pte_format(p)) {
    case PTE_ZERO:
        snprintf(buf, len, "zero");
        break;
    case PTE_VALID:
        snprintf(buf, len, "valid{frame %llu, %s%s%s}",
                 (unsigned long long)pte_number(p),
                 (p & PTE_BIT_WRITABLE) ? "rw" : "ro",
                 (p & PTE_BIT_ACCESSED) ? ", accessed" : "",
                 (p & PTE_BIT_DIRTY) ? ", dirty" : "");
        break;
    case PTE_TRANSITION:
        snprintf(buf, len, "transition{frame %llu}",
                 (unsigned long long)pte_number(p));
        break;
    case PTE_DISK:
        snprintf(buf, len, "disk{slot %llu}",
                 (unsigned long long)pte_number(p));
        break;
    }
}

/* Atomic whole-word read of a shared PTE. */
pte_t pte_load(const pte_cell_t *cell)
{
    return atomic_load(&cell->word);
}

/* Atomic whole-word write of a shared PTE. */
void pte_store(pte_cell_t *cell, pte_t value)
{
    atomic_store(&cell->word, value);
}

/* Compare-exchange: true when *cell held *expected and now holds desired;
 * false with the current value in *expected otherwise. */
bool pte_cas(pte_cell_t *cell, pte_t *expected, pte_t desired)
{
    return atomic_compare_exchange_strong(&cell->word, expected, desired);
}
