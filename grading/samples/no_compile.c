/*
 * no_compile.c - sample: a submission that does not compile.  The grader
 * gives a zero-point "build" entry carrying the compiler's messages and
 * scores every test of the milestone zero, without crashing.
 */
int hostile_no_compile(void)
{
    return this_name_is_not_declared + ;
}
