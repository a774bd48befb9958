/* pager-args: -m 4 -s 8
 * crash_abort: an app that dies without exiting (abort) is destroyed like
 * any other; its pages are freed and the next ready process runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    p[0] = 'z';
    if (fork() == 0) {
        printf("child reads %c\n", p[0]);
        return 0;
    }
    printf("parent aborts\n");
    abort();
}
