/*
 * infra_server.h - the pager program's app server: the Unix-domain socket,
 * the non-preemptive FIFO scheduler, and the calls into the student's pager
 * (vm_create, vm_switch, vm_fault, vm_map, vm_destroy) with their trace.
 */
#ifndef PAGELAB_INFRA_SERVER_H
#define PAGELAB_INFRA_SERVER_H

/* Listen on the Unix socket at path (a stale socket file there is
 * replaced; a live pager there or a non-socket file is refused).  Sizes the
 * number of apps to the open-file limit (RLIMIT_NOFILE): apps beyond it are
 * refused one by one.  Returns 0, or -1 with one line printed on stderr
 * (also when the limit leaves room for no app).  Precondition:
 * infra_machine_init and vm_init have run. */
int infra_server_open(const char *path);

/* Serve apps until the last one has exited (returns 0), or until SIGINT or
 * SIGTERM (returns 1).  Closes and unlinks the socket before returning.
 * watchdog_s > 0: a runner blocked (not running on a CPU) for that many
 * seconds without a request is killed with one line on stderr, and the
 * others go on; 0 turns the watchdog off. */
int infra_server_run(unsigned watchdog_s);

#endif
