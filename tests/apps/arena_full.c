/* pager-args: -m 4 -s 4
 * arena_full: the arena holds 256 pages; once every page is valid vm_map
 * returns NULL.  All 255 file-backed pages show one block through one
 * frame, so one read makes them all readable.  File-backed pages need no swap, so four swap blocks do.
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    int mapped = 1;
    char *last = name;
    for (char *p; (p = vm_map(name, 0)) != NULL; mapped++)
        last = p;
    printf("mapped %d pages, last at %p\n", mapped, (void *)last);
    app_print_line("last page", last); /* one read fills all 255 PTEs */
    printf("one more gives %p\n", vm_map(NULL, 0));
    return 0;
}
