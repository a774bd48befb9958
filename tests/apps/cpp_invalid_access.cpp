/* pager-args: -m 4 -s 8
 * cpp_invalid_access: a C++ app touches the page after its last valid
 * one.  The trace shows the rejected fault, then the returning-to line
 * and the page table, then the app is destroyed; its forked child, which
 * was waiting, runs on.
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
    strcpy(p, "valid");
    if (fork() == 0) {
        cout << "child reads " << p << endl;
        return 0;
    }
    cout << "parent writes past its arena" << endl;
    p[VM_PAGESIZE] = 'x';
    cout << "not reached" << endl;
    return 0;
}
