/*
 * pager_main.c - the 'pager' program: parses its options, sets up the
 * machine (physical memory and swap), initialises the student's pager and
 * serves apps until the last one exits.
 *
 *   pager [-m memory_pages] [-s swap_blocks] [-S socket_path] [-w seconds]
 *
 * Defaults: 4 pages, 256 blocks, the socket from $VM_PAGER_SOCKET or
 * /tmp/pagelab-pager-<uid>.sock, a 10 s watchdog (-w 0: none).  Invariants:
 *   1. Bad options are refused with one line on stderr (exit status 2)
 *      before anything is created.
 *   2. stdout carries only the trace, flushed per line.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "infra_machine.h"
#include "infra_server.h"
#include "vm_pager.h"
#include "vm_proto.h"

struct pager_options {
    unsigned memory_pages;
    unsigned swap_blocks;
    unsigned watchdog_s;
    char socket_path[4096];
};

/* Parse a decimal option value into *out within [lo, hi].  Returns 0, or
 * -1 with the refusal printed. */
static int pager_parse_count(char opt, const char *text, unsigned lo,
                             unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
        v < lo || v > hi) {
        fprintf(stderr, "pager: -%c must be a number from %u to %u (got '%s')\n",
                opt, lo, hi, text);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Fill o from argv.  Returns 0, or -1 with the reason printed. */
static int pager_parse_options(int argc, char **argv, struct pager_options *o)
{
    o->memory_pages = 4;
    o->swap_blocks = 256;
    o->watchdog_s = 10;
    vmproto_socket_path(o->socket_path, sizeof o->socket_path);
    int c;
    opterr = 0;
    while ((c = getopt(argc, argv, ":m:s:S:w:")) != -1) {
        int rc = 0;
        if (c == 'm')
            rc = pager_parse_count('m', optarg, INFRA_MIN_MEMORY_PAGES,
                                   INFRA_MAX_MEMORY_PAGES, &o->memory_pages);
        else if (c == 's')
            rc = pager_parse_count('s', optarg, 0, INFRA_MAX_SWAP_BLOCKS,
                                   &o->swap_blocks);
        else if (c == 'w')
            rc = pager_parse_count('w', optarg, 0, 3600, &o->watchdog_s);
        else if (c == 'S')
            snprintf(o->socket_path, sizeof o->socket_path, "%s", optarg);
        else {
            fprintf(stderr, "pager: %s -%c\n", c == ':' ? "missing value for"
                    : "unknown option", optopt);
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "pager: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct pager_options o;
    if (pager_parse_options(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: pager [-m memory_pages] [-s swap_blocks] "
                        "[-S socket_path] [-w watchdog_seconds]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (infra_machine_init(o.memory_pages, o.swap_blocks) != 0)
        return 1;
    vm_init(o.memory_pages, o.swap_blocks);
    if (infra_server_open(o.socket_path) != 0) {
        infra_machine_fini();
        return 1;
    }
    printf("Pager started with %u physical memory pages\n", o.memory_pages);
    int rc = infra_server_run(o.watchdog_s);
    infra_machine_fini();
    return rc;
}
