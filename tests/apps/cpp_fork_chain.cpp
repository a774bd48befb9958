/* pager-args: -m 4 -s 16
 * cpp_fork_chain: a fork chain in the course's style (each generation
 * forks the next, writes its own copy-on-write copy and yields), with
 * cout for the output.
 */
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(p, "gen0");
    int gen = 0;
    while (gen < 3 && fork() == 0) {
        gen++;
        p[3] = static_cast<char>('0' + gen);
    }
    vm_yield();
    cout << "generation " << gen << " sees " << p << endl;
    vm_yield();
    return 0;
}
