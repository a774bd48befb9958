/* pager-args: -m 4 -s 2
 * swap_full: each swap-backed page reserves a block at vm_map; with two
 * blocks the third vm_map returns NULL, and the first two still work.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    char *c = vm_map(NULL, 0);
    printf("third map %s\n", c == NULL ? "refused" : "granted");
    a[0] = 'a';
    b[0] = 'b';
    char x = a[0], y = b[0];
    printf("pages hold %c %c\n", x, y);
    return 0;
}
