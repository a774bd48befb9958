/* A source of the test harness. */
#include "../../tests/check_util.c"
