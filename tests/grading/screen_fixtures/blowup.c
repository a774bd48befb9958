/* Each level includes itself twice: 2^200 files (limits). */
#include "blowup.c"
#include "blowup.c"
