/* pager-args: -m 4 -s 8 -w 1
 * cpp_watchdog_waitpid: a parent waits for its live child with waitpid
 * instead of vm_yield.  The child cannot run until the parent yields, so
 * this is a deadlock: the pager's watchdog kills the blocked parent after
 * 1 s (one line on stderr), destroys it, and the child runs to its end.
 */
#include <cstring>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(p, "shared");
    pid_t child = fork();
    if (child == 0) {
        cout << "child runs and reads " << p << endl;
        return 0;
    }
    cout << "parent waits for its child" << endl;
    waitpid(child, nullptr, 0);
    cout << "not reached" << endl;
    return 0;
}
