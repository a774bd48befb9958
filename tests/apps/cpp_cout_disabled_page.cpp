/* pager-args: -m 3 -s 8
 * cpp_cout_disabled_page: a 482-style C++ app prints arena strings with
 * cout while the clock has disabled their page.  The library copies them
 * through stdout's buffer, so each print is a read fault on the page
 * (vm_fault ... read) and every line comes out; cout.write, which needs no
 * strlen first, used to hand the disabled page straight to write(2) and
 * lose the text (EFAULT, cout failed for good).
 */
#include <cstring>
#include <iostream>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    char *q = static_cast<char *>(vm_map(nullptr, 0));
    char *r = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(p, "page p");
    strcpy(q, "page q");
    strcpy(r, "page r");   /* the clock clears p and q, evicts p */
    cout.write(q, 6);      /* q is resident but disabled */
    cout << endl;
    strcpy(p, "page p again");   /* clears q and r, evicts q */
    cout << r << endl;     /* r: resident, disabled */
    cout << q << endl;     /* q: on disk, read back from swap */
    cout << "cout good: " << cout.good() << endl;
    return 0;
}
