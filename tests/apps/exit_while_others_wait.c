/* pager-args: -m 4 -s 8
 * exit_while_others_wait: the parent exits first; the children then run in
 * the order they were forked (FIFO), each seeing the copy of the page it
 * inherited.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    for (int i = 0; i < 3; i++) {
        p[0] = (char)('0' + i);
        if (fork() == 0) {
            printf("child %d sees %c\n", i, p[0]);
            return 0;
        }
    }
    printf("parent exits\n");
    return 0;
}
