/* pager-args: -m 4 -s 4
 * zero_read: a fresh swap-backed page reads as zeros from the pinned zero
 * page (read-only, no file read); the first write then gives it a frame.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    printf("first byte %d\n", p[0]);
    printf("last byte %d\n", p[VM_PAGESIZE - 1]);
    p[10] = 'x';
    char x = p[10], y = p[11];
    printf("after write %c %d\n", x, y);
    return 0;
}
