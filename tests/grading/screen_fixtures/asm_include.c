/* Top-level .include, its name split across literals. */
int phase1_before;

__asm__(".in" "clude \"/dev/null\"");
