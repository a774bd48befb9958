/* pager-args: -m 4 -s 8
 * yield_alone: a yield with nobody else ready returns to the same process
 * (no vm_switch) with its pages unchanged.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    p[0] = 'y';
    vm_yield();
    printf("still %c\n", p[0]);
    return 0;
}
