/* pager-args: -m 4 -s 8
 * cpp_yield_pingpong: parent and child take turns with vm_yield, each
 * printing (without a newline until the end of its turn) what the other
 * wrote in a shared file page; output is flushed before every yield, so
 * the turns stay in order.
 */
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "vm_app.h"

using std::cout;
using std::endl;

int main()
{
    char *name = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(name, "notes.txt");
    char *shared = static_cast<char *>(vm_map(name, 0));
    bool child = fork() == 0;
    for (int turn = 0; turn < 3; turn++) {
        cout << (child ? "child" : "parent") << " turn " << turn;
        cout << " sees '" << shared[0] << "'";
        shared[0] = static_cast<char>((child ? 'a' : 'A') + turn);
        cout << " leaves '" << shared[0] << "'\n";
        vm_yield();
    }
    return 0;
}
