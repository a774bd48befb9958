/* pager-args: -m 4 -s 8
 * bad_filename_outside: a filename that is not in the arena (a string in
 * just below it) or is in an invalid arena page makes vm_map
 * return NULL, with no file read.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    const char *below = (const char *)VM_ARENA_BASEADDR - 16;
    printf("below the arena: %p\n", vm_map(below, 0));
    char *beyond = (char *)VM_ARENA_BASEADDR + 5 * VM_PAGESIZE;
    printf("invalid page: %p\n", vm_map(beyond, 0));
    return 0;
}
