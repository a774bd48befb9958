/* pager-args: -m 4 -s 8
 * evict_order: with three usable frames, writing five pages evicts in
 * clock (FIFO) order; dirty victims go to the lowest free swap blocks, and
 * reading the first page back brings it in from its block.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = vm_map(NULL, 0);
    for (int i = 0; i < 5; i++)
        p[i][0] = (char)('A' + i);
    printf("page 0 holds %c\n", p[0][0]);
    printf("page 4 holds %c\n", p[4][0]);
    return 0;
}
