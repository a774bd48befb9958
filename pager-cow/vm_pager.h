/*
 * vm_pager.h - the pager the student writes (pager.c), called by the
 * infrastructure.  Names and meaning follow EECS 482 project 3.
 *
 * Every call runs on behalf of the current process (the last vm_switch).
 * The pager may only touch memory through vm_physmem, move pages with
 * file_read / file_write, and control access through the page table that
 * page_table_base_register points at (see vm_infra.h).
 */
#ifndef PAGELAB_VM_PAGER_H
#define PAGELAB_VM_PAGER_H

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called once, before anything else: memory_pages physical pages (page 0
 * becomes the pinned zero page) and swap_blocks blocks of swap. */
void vm_init(unsigned memory_pages, unsigned swap_blocks);

/* A new process child_pid, forked from parent_pid.  If parent_pid is not
 * managed by the pager the child's arena is empty; otherwise the child
 * gets a copy of the parent's arena (swap-backed pages shared
 * copy-on-write, file-backed pages shared).  Returns 0, or -1 when there
 * are not enough free swap blocks to back the child (eager reservation).
 * Does not switch to the child. */
int vm_create(pid_t parent_pid, pid_t child_pid);

/* Make pid the current process: sets page_table_base_register. */
void vm_switch(pid_t pid);

/* The current process touched addr and the page table did not allow the
 * access (write_flag: a store).  Returns 0 once the access is allowed, or
 * -1 when addr is outside the valid part of the arena or a file read fails. */
int vm_fault(const void *addr, bool write_flag);

/* The current process exits: free its page table, swap-backed frames and
 * swap blocks (no I/O). */
void vm_destroy(void);

/* Make the lowest invalid arena page valid and return its address.
 * filename NULL: a swap-backed page (reserves one swap block).  Otherwise a
 * file-backed page for block 'block' of the file whose name is the C string
 * at arena address filename.  Returns NULL when the arena is full, no swap
 * block can be reserved, or the name does not lie entirely inside the valid
 * part of the arena (or cannot be read in). */
void *vm_map(const char *filename, unsigned block);

#ifdef __cplusplus
}
#endif

#endif
