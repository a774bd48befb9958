/*
 * hang.c - hostile sample: the test runner ignores SIGTERM and sleeps
 * forever.  The deadline kills it (SIGKILL); its tests score zero.
 */
#include <signal.h>
#include <unistd.h>

__attribute__((constructor)) static void hostile_hang(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    for (;;)
        pause();
}
