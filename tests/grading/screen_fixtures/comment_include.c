/* A comment between # and include. */
#/**/include "../../phase3-optimized/phase3_fault.c"
