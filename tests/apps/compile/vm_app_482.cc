/*
 * vm_app_482.cc - vm_app.h used the way EECS 482 project 3 programs use
 * it.  Never run: tests/apps/build.mk compiles it (-fsyntax-only) as C11
 * and as C++11, 14, 17 and 20 with -Wall -Wextra -Werror, so a header
 * change that breaks either language fails the build of check_apps.
 */
#include "vm_app.h"

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>

/* 482's forms: constant objects with addresses, of 482's types. */
static const unsigned int *page_size_address = &VM_PAGESIZE;
static const uintptr_t &arena_size_ref = VM_ARENA_SIZE;
static void *const *base_address = &VM_ARENA_BASEADDR;
static const uintptr_t *base_page_address = &VM_ARENA_BASEPAGE;

/* The sizes are constant expressions. */
typedef char one_page[VM_PAGESIZE];
static_assert(VM_ARENA_SIZE / VM_PAGESIZE == VM_ARENA_PAGES, "arena pages");

template <typename T, typename U> struct same { static const bool value = false; };
template <typename T> struct same<T, T> { static const bool value = true; };
static_assert(same<decltype(+VM_PAGESIZE), unsigned int>::value, "VM_PAGESIZE type");
static_assert(same<decltype(+VM_ARENA_SIZE), uintptr_t>::value, "VM_ARENA_SIZE type");
static_assert(same<decltype(+VM_ARENA_BASEPAGE), uintptr_t>::value, "VM_ARENA_BASEPAGE type");

/* <sys/types.h> comes with the header: pid_t and ssize_t are known. */
static pid_t no_pid = 0;
static ssize_t no_size = 0;

int vm_app_482_use(void);
int vm_app_482_use(void)
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    vm_yield();
    uintptr_t page = reinterpret_cast<uintptr_t>(p) / VM_PAGESIZE -
                     VM_ARENA_BASEPAGE;
    return static_cast<int>(page + *page_size_address + arena_size_ref +
                            (*base_address != nullptr) + *base_page_address +
                            sizeof(one_page) + no_pid + no_size);
}

#else /* C11 */

#include <stddef.h>

_Static_assert(VM_ARENA_SIZE / VM_PAGESIZE == VM_ARENA_PAGES, "arena pages");
_Static_assert(_Generic(VM_PAGESIZE, unsigned int: 1, default: 0),
               "VM_PAGESIZE type");
_Static_assert(_Generic(VM_ARENA_SIZE, uintptr_t: 1, default: 0),
               "VM_ARENA_SIZE type");
_Static_assert(_Generic(VM_ARENA_BASEPAGE, uintptr_t: 1, default: 0),
               "VM_ARENA_BASEPAGE type");
typedef char one_page[VM_PAGESIZE];

int vm_app_482_use(void);
int vm_app_482_use(void)
{
    char *p = vm_map(NULL, 0);
    vm_yield();
    pid_t no_pid = 0;
    ssize_t no_size = 0;
    uintptr_t page = (uintptr_t)p / VM_PAGESIZE - VM_ARENA_BASEPAGE;
    return (int)(page + sizeof(one_page) + (VM_ARENA_BASEADDR != NULL) +
                 (uintptr_t)no_pid + (uintptr_t)no_size);
}

#endif
