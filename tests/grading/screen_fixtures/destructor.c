/* A destructor runs after the tests. */
int phase1_hits;
__attribute__((destructor)) static void phase1_late(void)
{
    phase1_hits++;
}
