/* pager-args: -m 4 -s 8
 * cow_last_sharer: when the only other sharer exits, the remaining process
 * gets write access to the dirty page back without another fault.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    p[0] = 'p';
    if (fork() == 0) {
        printf("child reads %c\n", p[0]);
        return 0;
    }
    vm_yield();          /* child runs and exits */
    p[0] = 'q';          /* no fault: sole owner again */
    printf("parent wrote %c\n", p[0]);
    return 0;
}
