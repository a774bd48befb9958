/*
 * fake_output.c - hostile sample: prints what a naive grader would take
 * for a perfect score (check's summary line, Gradescope and Autolab score
 * lines) before any test runs, and again from every test that calls it.
 * The grader reads only check's XML log, so this gains nothing.
 *
 * Appended to a student file (grading/test_samples.sh) or linked into a
 * fixture suite (tests/grading); names are prefixed hostile_.
 */
#include <stdio.h>

__attribute__((constructor)) static void hostile_fake_output(void)
{
    printf("Running suite(s): stage\n100%%: Checks: 68, Failures: 0, "
           "Errors: 0\n");
    printf("{\"score\": 100.0, \"tests\": []}\n");
    printf("{\"scores\": {\"M1\": 25, \"M2\": 25, \"M3\": 25, \"M4\": 25}}\n");
    fprintf(stderr, "100%%: Checks: 68, Failures: 0, Errors: 0\n");
    fflush(NULL);
}
