/*
 * infra_machine.h - the pager program's hardware: physical memory (a memfd
 * mapped at vm_physmem), the page table register, the swap file, and the
 * file_read / file_write calls the student's pager makes (vm_infra.h).
 */
#ifndef PAGELAB_INFRA_MACHINE_H
#define PAGELAB_INFRA_MACHINE_H

#include <stdbool.h>

/* Limits of the pager's -m and -s options. */
#define INFRA_MIN_MEMORY_PAGES 2u
#define INFRA_MAX_MEMORY_PAGES 1024u
#define INFRA_MAX_SWAP_BLOCKS 65536u

/* Create physical memory (memory_pages frames, mapped at vm_physmem) and an
 * unlinked swap file of swap_blocks blocks in $TMPDIR (default /tmp).
 * Returns 0, or -1 after printing one line on stderr and undoing partial
 * work.  Precondition: limits above hold; not yet set up. */
int infra_machine_init(unsigned memory_pages, unsigned swap_blocks);

/* Release memory and the swap file (idempotent). */
void infra_machine_fini(void);

/* The memfd holding physical memory (for passing to apps), or -1. */
int infra_machine_memfd(void);

/* Frames of physical memory. */
unsigned infra_machine_memory_pages(void);

#endif
