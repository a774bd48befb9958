/* A section of its own. */
int phase1_a;
__attribute__((section(".x"))) int phase1_tagged = 1;
