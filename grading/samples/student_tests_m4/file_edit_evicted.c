/* pager-args: -m 2 -s 4
 * file_edit_evicted: a sample student app test.  A file-backed page is
 * edited, pushed out of memory by swap-backed pages, and read again: the
 * edit must have been written to the file and come back.
 */
#include <stdio.h>
#include <string.h>

#include "vm_app.h"

/* A swap-backed page holding name (vm_map reads the name in the arena). */
static char *arena_string(const char *name)
{
    char *page = vm_map(NULL, 0);
    strcpy(page, name);
    return page;
}

int main(void)
{
    char *name = arena_string("book.txt");
    char *book = vm_map(name, 1);
    printf("block 1 starts: %.15s\n", book);
    memcpy(book, "EDITED", 6);
    char *other = vm_map(NULL, 0);
    strcpy(other, "pushes the book page out");
    printf("other: %s\n", other);
    printf("block 1 now starts: %.15s\n", book);
    return 0;
}
