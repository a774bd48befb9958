/*
 * simkernel.h - a small simulated kernel that runs the pager in-process
 * for the tests in tests/pager.
 *
 * It implements vm_infra.h: page_table_base_register, vm_physmem (a static
 * buffer of SIMK_MAX_FRAMES pages, filled with a poison byte at every
 * start so a pager that assumes zeros is caught), and file_read /
 * file_write over real files in a fresh temporary directory (names are
 * relative to it) and a real swap file.  Every file_read / file_write is
 * logged.
 *
 * Its accessor reads and writes arena bytes of the current process the
 * way the MMU would: when the current PTE does not allow the access it
 * calls vm_fault and retries once.
 *
 * Typical test:
 *   simk_start(4, 8);                 // vm_init(4, 8) on a fresh world
 *   vm_create(SIMK_LAUNCHER, 100); vm_switch(100);
 *   char *p = vm_map(NULL, 0);
 *   simk_write_byte(p, 7);            // faults exactly as the MMU would
 *   ck_assert_str_eq(simk_log(), ""); // no I/O happened
 *   vm_destroy();
 *   ck_assert_int_eq(simk_stop(), 0); // swap reservations back to baseline
 */
#ifndef PAGELAB_SIMKERNEL_H
#define PAGELAB_SIMKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vm_infra.h"
#include "vm_pager.h"

#define SIMK_MAX_FRAMES 64u
#define SIMK_LAUNCHER 1 /* a pid the pager never manages */
#define SIMK_FIRST_PID 100
#define SIMK_DATA_SEED 10

/* Accessor results besides 0. */
#define SIMK_FAULT -1   /* outside the arena, or vm_fault returned -1 */
#define SIMK_BROKEN -2  /* the pager broke the MMU contract: vm_fault said 0
                           but the access is still denied, or the PTE is
                           write-only, writable on frame 0, or off memory */

/* A fresh world: temporary directory, swap file of swap_blocks blocks,
 * poisoned physical memory, then vm_init(memory_pages, swap_blocks).
 * 0, or -1 with one line on stderr (memory_pages > SIMK_MAX_FRAMES). */
int simk_start(unsigned memory_pages, unsigned swap_blocks);

/* End the world: checks that swap reservations are back to baseline (a
 * probe process can map min(swap_blocks, arena pages) swap pages), then
 * removes the files.  No process may be current.  0, or -1 with one line
 * on stderr. */
int simk_stop(void);

/* Arena address of virtual page vpn (plus offset). */
void *simk_va(unsigned vpn, size_t offset);

/* Read / write len bytes at arena address va of the current process as
 * the MMU would.  0, SIMK_FAULT or SIMK_BROKEN. */
int simk_read(const void *va, void *buf, size_t len);
int simk_write(void *va, const void *buf, size_t len);
/* One byte: the byte (0..255) or SIMK_FAULT / SIMK_BROKEN. */
int simk_read_byte(const void *va);
int simk_write_byte(void *va, unsigned char value);
/* Write the C string s (with its NUL) at va. */
int simk_write_str(void *va, const char *s);
/* Fill the whole page holding va with value. */
int simk_fill_page(void *va, unsigned char value);

/* The current PTE of the page holding va, as "-", "r" or "rw" ("w" for
 * an illegal write-only entry; "none" when no table is current or va is
 * outside the arena). */
const char *simk_perm(const void *va);
/* The frame the current PTE of the page holding va names. */
unsigned simk_ppage(const void *va);
/* Byte offset of physical frame f, read directly from physical memory. */
unsigned char simk_frame_byte(unsigned frame, size_t offset);

/* Create file name (in the world's directory) of size bytes; every byte
 * of block b is (seed + b) & 0xff.  0 or -1. */
int simk_make_file(const char *name, size_t size, unsigned char seed);
/* Byte at offset of file name, or -1 when it cannot be read. */
int simk_file_byte(const char *name, size_t offset);
/* Byte at offset of swap block block, or -1. */
int simk_swap_byte(unsigned block, size_t offset);
/* Change that byte behind the pager's back (not logged): a page read in
 * afterwards must show it, evidence that the pager read the swap file and
 * kept no copy of its own.  0 or -1. */
int simk_set_swap_byte(unsigned block, size_t offset, unsigned char value);
/* Remove file name; 0 or -1. */
int simk_remove_file(const char *name);

/* The file I/O since the last simk_log_clear (or start): entries such as
 * "read data 0", "write <swap> 1", "read missing 0 failed", joined with
 * "; ".  The string stays valid until the next I/O or clear. */
const char *simk_log(void);
void simk_log_clear(void);

/* Make the nth file_read / file_write from now (1-based) fail with -1
 * (logged as failed); 0 disarms. */
void simk_fail_read(unsigned nth);
void simk_fail_write(unsigned nth);

/* vm_create(SIMK_LAUNCHER, pid) then vm_switch(pid): 0 or -1. */
int simk_spawn(pid_t pid);
/* simk_start then simk_spawn(pid): 0 or -1. */
int simk_begin(unsigned memory_pages, unsigned swap_blocks, pid_t pid);
/* simk_start, then the file "data" of data_blocks blocks (seed
 * SIMK_DATA_SEED), then simk_spawn(SIMK_FIRST_PID): 0 or -1. */
int simk_begin_data(unsigned memory_pages, unsigned swap_blocks,
                    unsigned data_blocks);
/* vm_destroy of the current process (if any), then simk_stop. */
int simk_end(void);
/* Map a swap-backed page, write the C string name into it, and return its
 * address (for vm_map's filename), or NULL. */
char *simk_map_name(const char *name);
/* Perms of arena pages 0 .. npages-1 of the current process, e.g.
 * "rw r - r" (see simk_perm); valid until the next call. */
const char *simk_perms(unsigned npages);

#endif
