/* An ifunc's resolver runs while the program loads. */
static int phase1_real(void) { return 1; }

static void *phase1_resolve(void) { return (void *)phase1_real; }
int phase1_chosen(void) __attribute__((ifunc("phase1_resolve")));
