/* pager-args: -m 2 -s 4
 * file_write_back: a written file-backed page is written back to its file
 * block when evicted, and read from the file again afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    char *n = vm_map(name, 0);
    memcpy(n, "NOTES", 5);          /* the name page is evicted first */
    app_print_line("after write", n);
    app_print_line("name page", name); /* evicts notes: written back */
    app_print_line("read again", n);
    return 0;
}
