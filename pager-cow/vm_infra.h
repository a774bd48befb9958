/*
 * vm_infra.h - what the infrastructure (the 'pager' program, or the test
 * kernel in tests/pager) gives the student's pager.
 *
 * The simulated MMU reads the current page table, page_table_base_register:
 * one entry per arena page.  An access is allowed when the entry enables it
 * (read_enable for loads; write_enable for stores).  write_enable without
 * read_enable is illegal.  ppage names a page of vm_physmem.
 */
#ifndef PAGELAB_VM_INFRA_H
#define PAGELAB_VM_INFRA_H

#include "vm_arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned int ppage : 20;
    unsigned int read_enable : 1;
    unsigned int write_enable : 1;
} page_table_entry_t;

typedef struct {
    page_table_entry_t ptes[VM_ARENA_PAGES];
} page_table_t;

/* The page table the MMU uses for the running process. */
extern page_table_t *page_table_base_register;

/* Physical memory: memory_pages * VM_PAGESIZE bytes. */
extern void *const vm_physmem;

/* Copy block 'block' of file 'filename' (NULL: the swap file) into buf
 * (VM_PAGESIZE bytes), or buf into it.  Return 0, or -1 when the file
 * cannot be opened or the block does not lie entirely inside the file
 * (reads) / cannot be written. */
int file_read(const char *filename, unsigned int block, void *buf);
int file_write(const char *filename, unsigned int block, const void *buf);

#ifdef __cplusplus
}
#endif

#endif
