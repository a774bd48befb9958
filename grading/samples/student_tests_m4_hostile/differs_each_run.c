/* pager-args: -m 4 -s 8
 * differs_each_run: a hostile app test (grading/test_samples.sh).  Its
 * output is random, so it would "differ" under every planted bug; the
 * second run on the reference catches it and it is invalid (scores 0).
 */
#include <stdio.h>
#include <string.h>

#include "vm_app.h"

int main(void)
{
    unsigned nonce = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(&nonce, sizeof nonce, 1, f) != 1)
        return 1;
    fclose(f);
    char *p = vm_map(NULL, 0);
    snprintf(p, 32, "%u", nonce);
    printf("nonce %s\n", p);
    return 0;
}
