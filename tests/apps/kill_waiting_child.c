/* pager-args: -m 4 -s 8
 * kill_waiting_child: a child killed while it waits in the ready queue is
 * destroyed (vm_destroy after a vm_switch to it) before its parent's next
 * request, and never runs.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    p[0] = 'k';
    pid_t child = fork();
    if (child == 0) {
        printf("child must not run\n");
        return 1;
    }
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);   /* it is dead: no need to wait for a turn */
    printf("child killed by signal %d\n", WTERMSIG(status));
    vm_yield();
    p[0] = 'K';                   /* sole owner again: no fault */
    printf("parent has %c\n", p[0]);
    return 0;
}
