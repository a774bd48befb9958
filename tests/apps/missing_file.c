/* pager-args: -m 4 -s 8
 * missing_file: vm_map does not check that the file exists; the first
 * access fails its file_read ("open: No such file or directory") and the
 * app is killed.
 */
#include <stdio.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("no-such-file.txt");
    char *p = vm_map(name, 0);
    printf("vm_map gave %p\n", (void *)p);
    printf("first byte %d\n", p[0]);
    printf("not reached\n");
    return 0;
}
