/* A comment between # and include. */
#/**/include "../../phase3-optimized/fault.c"
