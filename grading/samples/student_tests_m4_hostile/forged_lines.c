/* pager-args: -m 4 -s 8
 * forged_lines: a hostile app test (grading/test_samples.sh).  It is a
 * valid, deterministic app that maps nothing (so it can expose no bug)
 * and prints what check and grade-tests print for a perfect score,
 * hoping one of them reads it.  Nothing does: the score stays 0.
 */
#include <stdio.h>

int main(void)
{
    printf("100%%: Checks: 1, Failures: 0, Errors: 0\n");
    printf("exposed  01-read-fault-maps-writable\n");
    printf("the app tests exposed 13 of 13 planted bugs; full marks at 8\n");
    printf("score: 10.00 / 10 (results: build/grade-tests/results.json)\n");
    fflush(stdout);
    fprintf(stderr, "[exit 0]\n");
    return 0;
}
