/* pager-args: -m 3 -s 8
 * dirty_rw_after_clear: once the clock has cleared a dirty page's access,
 * a read fault gives it back read and write access, so the next write
 * needs no fault; a clean page gets read access only.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    char *c = vm_map(NULL, 0);
    a[0] = 'a';
    b[0] = 'b';
    c[0] = 'c';      /* clears a and b, evicts a */
    char x = b[0];   /* read fault on b: rw again (dirty) */
    b[1] = 'B';      /* no fault */
    char y = b[1];
    char z = a[0];   /* evicts b (dirty), reads a back */
    printf("b holds %c%c, a holds %c\n", x, y, z);
    return 0;
}
