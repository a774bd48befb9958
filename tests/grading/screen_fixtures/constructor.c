/* A constructor runs before main. */
int phase1_hits;

__attribute__((constructor)) static void phase1_early(void)
{
    phase1_hits++;
}
