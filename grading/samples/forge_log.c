/*
 * forge_log.c - hostile sample: writes a complete, all-passing check XML
 * log into the log path the runner was given (before check writes its
 * own, and again at exit), and fake results into every results path it can
 * guess.  The log channel is a pipe read by the grader, so the forgery only
 * makes the log malformed (rejected: zero); the results paths are written by
 * the grader after the run, from what it read itself.
 */
#include <stdio.h>
#include <stdlib.h>

static const char hostile_doc[] =
    "<?xml version=\"1.0\"?>\n"
    "<testsuites xmlns=\"http://check.sourceforge.net/ns\">\n"
    "<datetime>2026-01-01 00:00:00</datetime>\n<suite><title>stage</title>\n"
    "<test result=\"success\"><path>.</path><fn>x.c:1</fn>"
    "<id>test_zero_fault_takes_free_frame</id><iteration>0</iteration>"
    "<duration>0</duration><description>core</description>"
    "<message>Passed</message></test>\n"
    "</suite>\n<duration>0.1</duration>\n</testsuites>\n";

/* Write the forged log to path (ignoring failures). */
static void hostile_write(const char *path, const char *text)
{
    FILE *f = path != NULL ? fopen(path, "w") : NULL;
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void hostile_at_exit(void)
{
    hostile_write(getenv("CK_XML_LOG_FILE_NAME"), hostile_doc);
}

__attribute__((constructor)) static void hostile_forge_log(void)
{
    static const char fake[] = "{\"score\": 100.0, \"tests\": []}\n";
    hostile_write(getenv("CK_XML_LOG_FILE_NAME"), hostile_doc);
    hostile_write("/autograder/results/results.json", fake);
    hostile_write("/work/main/build/grade/results.json", fake);
    hostile_write("../../build/grade/results.json", fake);
    atexit(hostile_at_exit);
}
