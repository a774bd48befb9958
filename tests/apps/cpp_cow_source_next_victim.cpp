/* pager-args: -m 3 -s 8
 * cpp_cow_source_next_victim: the child writes a copy-on-write page whose
 * source is the clock's next victim (resident, unreferenced, at the head).
 * The clock evicts the source (written to swap: it is dirty) and its frame
 * becomes the child's copy, with no copy and no read; the source gets no
 * reference bit, so the parent reads it back from swap.
 */
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *a = static_cast<char *>(vm_map(nullptr, 0));
    char *b = static_cast<char *>(vm_map(nullptr, 0));
    char *c = static_cast<char *>(vm_map(nullptr, 0));
    a[0] = 'a';
    strcpy(b, "b0");
    c[0] = 'c';            /* clears a and b, evicts a: queue [b, c] */
    if (fork() == 0) {
        b[1] = '1';        /* b is the next victim: it becomes the copy */
        cout << "child b " << b << endl;
        return 0;
    }
    vm_yield();
    cout << "parent b " << b << endl;
    return 0;
}
