/*
 * vm_arena.h - the shape of every process's arena (shared by the pager,
 * the infrastructure and app programs).
 *
 * Both constants may be overridden at build time (-DVM_PAGESIZE=...,
 * -DVM_ARENA_SIZE=...).  The arena starts at VM_ARENA_BASEADDR and holds
 * VM_ARENA_SIZE / VM_PAGESIZE pages.
 */
#ifndef PAGELAB_VM_ARENA_H
#define PAGELAB_VM_ARENA_H

#ifndef VM_PAGESIZE
#define VM_PAGESIZE 65536u
#endif
#ifndef VM_ARENA_BASEADDR
#define VM_ARENA_BASEADDR ((void *)0x600000000ull)
#endif
#ifndef VM_ARENA_SIZE
#define VM_ARENA_SIZE 0x01000000u
#endif
#define VM_ARENA_PAGES (VM_ARENA_SIZE / VM_PAGESIZE)

#endif
