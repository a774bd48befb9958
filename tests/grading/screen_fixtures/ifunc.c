/* An ifunc's resolver runs while the program loads. */
static int phase1_real(void) { return 1; }

static int (*phase1_resolve(void))(void) { return phase1_real; }
int phase1_chosen(void) __attribute__((ifunc("phase1_resolve")));
