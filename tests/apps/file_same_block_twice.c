/* pager-args: -m 4 -s 8
 * file_same_block_twice: two vm_map calls for the same (file, block) in
 * one process share one frame; a write through one address shows through
 * the other, and a map of a resident block gets its access at once.
 */
#include <stdio.h>
#include <string.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("book.txt");
    char *a = vm_map(name, 1);
    memcpy(a, "SHARE", 5);
    char *b = vm_map(name, 1);
    app_print_line("second mapping", b);
    b[5] = '!';
    printf("first mapping sees %c at two addresses: %s\n", a[5],
           a != b ? "yes" : "no");
    return 0;
}
