/* pager-args: -m 4 -s 8
 * cpp_arena_constants: 482 code that uses vm_arena.h's constants as
 * objects (their addresses, references to them) and in constant
 * expressions, and walks the arena with them.
 */
#include <cstdint>
#include <iostream>

#include "vm_app.h"

using std::cout;
using std::endl;

static const unsigned int &page_size = VM_PAGESIZE;
static const uintptr_t *arena_size = &VM_ARENA_SIZE;
static char scratch[VM_PAGESIZE / 4096];

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    uintptr_t vpn = reinterpret_cast<uintptr_t>(p) / page_size;
    cout << "page size " << page_size << ", arena pages "
         << *arena_size / VM_PAGESIZE << ", scratch " << sizeof scratch << endl;
    cout << "first page is the base page: " << (vpn == VM_ARENA_BASEPAGE)
         << ", at the base address: " << (p == VM_ARENA_BASEADDR) << endl;
    p[page_size - 1] = 'z';
    cout << "last byte " << p[page_size - 1] << endl;
    return 0;
}
