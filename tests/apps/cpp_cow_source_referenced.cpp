/* pager-args: -m 5 -s 16
 * cpp_cow_source_referenced: the copy of a resident copy-on-write page
 * reads its source, which sets the source's reference bit (rule 7).  So
 * the parent, now its last sharer, finds it writable without a fault, and
 * the clock's next eviction gives it a second chance and takes the page
 * behind it instead.
 */
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *page[5];
    for (int i = 0; i < 5; i++)
        page[i] = static_cast<char *>(vm_map(nullptr, 0));
    for (int i = 0; i < 5; i++)
        page[i][0] = static_cast<char>('a' + i);
    /* a went to swap; the queue is [b, c, d, e], only e referenced */
    if (fork() == 0) {
        page[2][0] = 'C';  /* evicts b; copies c, which becomes referenced */
        page[0][0] = 'A';  /* c gets its second chance; d is evicted */
        char c0 = page[2][0], a0 = page[0][0];
        cout << "child " << c0 << a0 << endl;
        return 0;
    }
    vm_yield();
    page[2][1] = '!';      /* writable already: no fault */
    cout << "parent " << page[2] << page[3] << endl;
    return 0;
}
