/*
 * fork_bomb.c - hostile sample: a classic fork bomb in the test runner.
 * The process rlimit stops it, the deadline ends the run, the grader
 * kills every process it left (it is their subreaper), and results.json
 * is written as usual with the run's tests at zero.
 */
#include <unistd.h>

__attribute__((constructor)) static void hostile_fork_bomb(void)
{
    for (;;)
        (void)fork();
}
