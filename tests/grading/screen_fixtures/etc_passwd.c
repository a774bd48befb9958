/* A system file that is no header. */
#include "/etc/passwd"
