/*
 * vm_app.h - the calls an app program makes (link with the app library).
 * Usable from C and C++, and a drop-in for EECS 482 project 3's vm_app.h:
 * it includes <sys/types.h> and <stdint.h>, and the arena's constants
 * (vm_arena.h) have 482's names, types and, in C++, forms.
 */
#ifndef PAGELAB_VM_APP_H
#define PAGELAB_VM_APP_H

#include <stdint.h>
#include <sys/types.h>

#include "vm_arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ask the pager to map one more arena page (see vm_pager.h's vm_map). */
void *vm_map(const char *filename, unsigned int block);

/* Let the next ready process run (non-preemptive scheduling). */
void vm_yield(void);

#ifdef __cplusplus
}
#endif

#endif
