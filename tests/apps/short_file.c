/* pager-args: -m 4 -s 8
 * short_file: a file shorter than a block has no block 0: the write fault
 * on it fails and the app is killed.
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("short.txt");
    char *p = vm_map(name, 0);
    p[0] = 'x';
    printf("not reached\n");
    return 0;
}
