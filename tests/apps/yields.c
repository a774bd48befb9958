/* pager-args: -m 4 -s 8
 * yields: three processes take turns through the FIFO ready queue.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    int who = 0;
    if (fork() == 0)
        who = 1;
    else if (fork() == 0)
        who = 2;
    for (int round = 0; round < 3; round++) {
        printf("process %d round %d\n", who, round);
        vm_yield();
    }
    return 0;
}
