/* Calls of functions a submission must not use. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int phase1_bad(int n)
{
    if (n == 1)
        exit(0);
    if (n == 2)
        _exit(0);
    if (n == 3)
        execve("/bin/sh", (char *[]){ "sh", NULL }, (char *[]){ NULL });
    if (n == 4)
        return system("true");
    if (n == 5)
        return (int)syscall(60, 0);
    if (n == 6)
        return getenv("HOME") != NULL;
    return fopen("/etc/passwd", "r") != NULL;
}
