/* The file includes itself once. */
#ifndef SELF_AGAIN
#define SELF_AGAIN
#include "self_include.c"
#endif
int phase1_self;
