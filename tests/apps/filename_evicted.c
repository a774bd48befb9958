/* pager-args: -m 2 -s 4
 * filename_evicted: when the page holding the filename is not readable,
 * vm_map brings it in exactly as a read fault would (an eviction and a
 * swap read) before reading the name.
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    char *other = vm_map(NULL, 0);
    other[0] = 'o';                 /* evicts the name page to swap */
    char *n = vm_map(name, 0);      /* the pager reads the name back in */
    app_print_line("mapped", n);
    return 0;
}
