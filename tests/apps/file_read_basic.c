/* pager-args: -m 4 -s 8
 * file_read_basic: a file-backed vm_map reads nothing; the first access
 * reads the block; the page is readable but a read leaves it clean.
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("book.txt");
    char *b0 = vm_map(name, 0);
    char *b1 = vm_map(name, 1);
    app_print_line("block 1 first line", b1);
    app_print_line("block 0 line 3", b0 + 3 * 16);
    app_print_line("block 1 last line", b1 + VM_PAGESIZE - 16);
    return 0;
}
