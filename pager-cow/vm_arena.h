/*
 * vm_arena.h - the shape of every process's arena (shared by the pager,
 * the infrastructure and app programs), with EECS 482's names and types:
 *
 *   VM_PAGESIZE        unsigned int   65536, bytes per page
 *   VM_ARENA_BASEADDR  void *const    0x600000000, the arena's first byte
 *   VM_ARENA_BASEPAGE  uintptr_t      the arena's first virtual page number
 *   VM_ARENA_SIZE      uintptr_t      0x01000000, bytes in the arena
 *   VM_ARENA_PAGES     unsigned int   VM_ARENA_SIZE / VM_PAGESIZE (ours)
 *
 * In C++ the first four are constant objects, as in 482's header (their
 * addresses can be taken, they can be bound to references, and the sizes
 * are constant expressions).  In C they are macros of the same types: C
 * needs constant expressions, and the pager's tables are arrays of
 * VM_ARENA_PAGES entries.  Either form compiles cleanly as C11 and as
 * C++11/14/17/20 with -Wall -Wextra (tests/apps/compile/vm_app_482.cc).
 *
 * VM_PAGESIZE, VM_ARENA_SIZE and VM_ARENA_BASEADDR may be overridden at
 * build time (-DVM_PAGESIZE=...); an overridden one stays a macro, in C++
 * too.  The arena holds VM_ARENA_SIZE / VM_PAGESIZE pages.
 */
#ifndef PAGELAB_VM_ARENA_H
#define PAGELAB_VM_ARENA_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus

#ifndef VM_PAGESIZE
static const unsigned int VM_PAGESIZE = 65536;
#endif
#ifndef VM_ARENA_BASEADDR
static void *const VM_ARENA_BASEADDR = reinterpret_cast<void *>(0x600000000);
#endif
#ifndef VM_ARENA_SIZE
static const uintptr_t VM_ARENA_SIZE = 0x01000000;
#endif
static const uintptr_t VM_ARENA_BASEPAGE =
    reinterpret_cast<uintptr_t>(VM_ARENA_BASEADDR) / VM_PAGESIZE;

#else /* C */

#ifndef VM_PAGESIZE
#define VM_PAGESIZE 65536u
#endif
#ifndef VM_ARENA_BASEADDR
#define VM_ARENA_BASEADDR ((void *)0x600000000ull)
#endif
#ifndef VM_ARENA_SIZE
#define VM_ARENA_SIZE ((uintptr_t)0x01000000)
#endif
#define VM_ARENA_BASEPAGE ((uintptr_t)VM_ARENA_BASEADDR / VM_PAGESIZE)

#endif /* __cplusplus */

#define VM_ARENA_PAGES ((unsigned int)(VM_ARENA_SIZE / VM_PAGESIZE))

#endif
