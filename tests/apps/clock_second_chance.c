/* pager-args: -m 4 -s 8
 * clock_second_chance: pages touched again after the clock cleared their
 * reference bit stay resident; the first unreferenced page in the queue is
 * the one evicted.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = vm_map(NULL, 0);
    p[0][0] = 'a';
    p[1][0] = 'b';
    p[2][0] = 'c';
    p[3][0] = 'd';       /* sweep clears all three bits, evicts page 0 */
    char keep = p[1][0]; /* page 1 referenced again (read fault, rw back) */
    p[4][0] = 'e';       /* page 1 gets a second chance: page 2 goes */
    char back = p[0][0];
    printf("page 1 still %c, page 0 back %c\n", keep, back);
    return 0;
}
