/* Top-level assembly; the directive's name split across literals. */
int phase1_before;
__asm__(".inc" "bin \"common/list.h\"");
