/* pager-args: -m 4 -s 8
 * kills_its_runner: a hostile app test (grading/test_samples.sh).  It
 * kills the test process that started it, hoping a dead runner counts as
 * a bug exposed.  It dies on the reference too, so it is invalid.
 */
#include <signal.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    p[0] = 'k';
    kill(getppid(), SIGKILL);
    return 0;
}
