/* pager-args: -m 4 -s 32
 * many_processes: four processes each write their own pages and yield, so
 * the clock evicts across processes and every page comes back intact.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    int who = 0;
    for (int i = 1; i < 4 && who == 0; i++)
        if (fork() == 0)
            who = i;
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    a[0] = (char)('a' + who);
    vm_yield();
    b[0] = (char)('A' + who);
    vm_yield();
    char x = a[0];
    char y = b[0];
    printf("process %d has %c %c\n", who, x, y);
    return 0;
}
