/* pager-args: -m 4 -s 8
 * block_out_of_range: a block exists only if it lies entirely inside the
 * file; short.txt has no block 0 and book.txt no block 2.  Touching such a
 * page kills the app after "block out of range".
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("book.txt");
    char *gone = vm_map(name, 2);
    char *last = vm_map(name, 1);
    app_print_line("block 1", last);
    printf("block 2 byte %d\n", gone[0]);
    return 0;
}
