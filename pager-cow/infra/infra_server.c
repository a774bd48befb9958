/*
 * infra_server.c - serves app processes for the student's pager.
 *
 * Every app holds one SOCK_SEQPACKET connection.  The server reads requests
 * (vm_proto.h), calls the pager on the app's behalf, prints the trace, and
 * answers with the app's page table so the app can map its arena.
 *
 * Scheduling is non-preemptive: at most one app runs; the others wait on
 * the FIFO ready queue.  A new app (HELLO) is created with vm_create and
 * queued; fork leaves the parent running; YIELD queues the runner and runs
 * the head; an exit runs the head.  A rejected fault kills the app
 * (vm_destroy) and the server goes on with the others.
 *
 * States of an app:  CONNECTING --HELLO--> READY <--> RUNNING --> DEAD
 * (a refused HELLO, a lost connection or EXIT lead to DEAD from anywhere).
 *
 * Invariants:
 *   1. srv.running is the only app whose requests (other than EXIT) are
 *      served; it is on no queue.  Every READY app is on srv.ready.
 *   2. Before any pager call on behalf of an app, and before replying to
 *      it, that app is the pager's current process (vm_switch traced).
 *   3. vm_destroy runs exactly once for every app vm_create accepted.
 *   4. A reply's table is checked before it leaves: no write-only page and
 *      no frame past physical memory (a broken pager is reported and the
 *      program exits rather than corrupting an app).
 *   5. The server returns when an app has connected and none is left.
 *   6. An app whose fault was rejected gets the returning-to line and its
 *      page table in the trace, then stays the runner until its connection
 *      closes (it prints its message first), then is destroyed.
 *   7. Each wake-up serves the waiting apps before the runner, so an app
 *      that died while waiting is destroyed before the runner goes on.
 *   8. Open connections never exceed srv.max_conns, sized at start from
 *      the open-file limit with room left for file_read / file_write: a
 *      connection past it is refused (REFUSED, one line on stderr; a
 *      refused fork child fails its parent's fork).  If accept still runs
 *      out of descriptors, the socket is not polled until an app leaves
 *      (no busy loop).
 *   9. The watchdog: a runner that is not waiting for a reply (no fork in
 *      progress) and has been blocked, not running on a CPU, for
 *      srv.watchdog_ms without a request (waitpid on a waiting app, a read
 *      no other app can satisfy) is killed with one line on stderr and
 *      destroyed; the others go on.
 */
#include "infra_server.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "infra_machine.h"
#include "list.h"
#include "vm_infra.h"
#include "vm_pager.h"
#include "vm_proto.h"

enum infra_app_state { APP_CONNECTING, APP_READY, APP_RUNNING, APP_DEAD };

struct infra_app {
    struct list_node ready_link;  /* on srv.ready while READY */
    int fd;                       /* the connection; -1 once DEAD */
    pid_t pid;                    /* 0 until vm_create accepted it */
    enum infra_app_state state;
    int sent_memfd;               /* the memfd went with a reply */
    pid_t fork_wait;              /* FORK received, child not yet created */
    pid_t born;                   /* child created before its FORK came */
    int born_result;              /* vm_create's result for 'born' */
    int killed;                   /* told KILLED; destroyed at its EOF */
};

/* The server (single-threaded: no locks). */
static struct {
    int listen_fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct infra_app **apps;
    size_t napps, cap;
    struct list ready;
    struct infra_app *running;
    pid_t current;                /* last vm_switch; 0: none */
    int served;                   /* an app has said HELLO */
    size_t max_conns;             /* open connections allowed (inv. 8) */
    unsigned long fd_limit;       /* RLIMIT_NOFILE's soft limit */
    int listen_paused;            /* accept ran out of descriptors */
    long watchdog_ms;             /* 0: no watchdog (inv. 9) */
    long runner_since;            /* the runner's last request or reply */
} srv = { .listen_fd = -1 };

/* Descriptors kept free beyond the connections: file_read / file_write
 * (one at a time), a connection being refused, and slack. */
#define INFRA_FD_SPARE 4

static volatile sig_atomic_t infra_stop;

static void infra_app_gone(struct infra_app *app);

/* The pager broke the contract: say how and exit. */
static void infra_pager_broken(const char *what, pid_t pid, unsigned long x)
{
    fflush(stdout);
    fprintf(stderr, "pager: %s (process %d, 0x%lx)\n", what, (int)pid, x);
    infra_machine_fini();
    exit(3);
}

/* Milliseconds on the monotonic clock. */
static long infra_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* State letter and parent of process pid from /proc/pid/stat.  Returns 0,
 * or -1 when the process is gone. */
static int infra_proc_stat(pid_t pid, char *state, pid_t *ppid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')'); /* the name may hold ')' */
    int ppid_i;
    if (close_paren == NULL ||
        sscanf(close_paren + 1, " %c %d", state, &ppid_i) != 2)
        return -1;
    *ppid = (pid_t)ppid_i;
    return 0;
}

/* The pid of the process at the other end of connection fd, or 0. */
static pid_t infra_peer_pid(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return 0;
    return cred.pid;
}

/* Make app the pager's current process (invariant 2). */
static void infra_ensure_current(const struct infra_app *app)
{
    if (srv.current == app->pid)
        return;
    printf("vm_switch\t(%d)\n", (int)app->pid);
    vm_switch(app->pid);
    srv.current = app->pid;
    if (page_table_base_register == NULL)
        infra_pager_broken("vm_switch left page_table_base_register NULL",
                           app->pid, 0);
}

/* Print the current table and copy it into rp, checking it (inv. 4). */
static void infra_fill_table(const struct infra_app *app,
                             struct vmproto_reply *rp)
{
    uintptr_t vbase = (uintptr_t)VM_ARENA_BASEADDR / VM_PAGESIZE;
    printf("\t\t\t\t\treturning to (%d) with pages:\n", (int)app->pid);
    for (unsigned i = 0; i < VM_ARENA_PAGES; i++) {
        page_table_entry_t e = page_table_base_register->ptes[i];
        rp->ppage[i] = e.ppage;
        rp->prot[i] = e.write_enable ? VMPROTO_RW
                      : e.read_enable ? VMPROTO_R : VMPROTO_NONE;
        if (e.write_enable && !e.read_enable)
            infra_pager_broken("write_enable without read_enable",
                               app->pid, (unsigned long)(vbase + i));
        if (!e.read_enable)
            continue;
        if (e.ppage >= infra_machine_memory_pages())
            infra_pager_broken("ppage past physical memory", app->pid,
                               (unsigned long)e.ppage);
        printf("\t\t\t\t\t%s\tvpage 0x%lx\tppage 0x%x\n",
               e.write_enable ? "rw" : "r", (unsigned long)(vbase + i),
               (unsigned)e.ppage);
    }
}

/* Send app a reply of kind; RUN and KILLED print and carry its table (a
 * killed app's table is printed as EECS 482's infrastructure does, before
 * the app dies).  Returns 0, or -1 when the app is gone (the caller then
 * calls infra_app_gone). */
static int infra_reply(struct infra_app *app, uint32_t kind, int64_t result)
{
    static struct vmproto_reply rp;
    memset(&rp, 0, sizeof rp);
    rp.kind = kind;
    rp.result = result;
    rp.memory_pages = infra_machine_memory_pages();
    if (kind == VMPROTO_RUN || kind == VMPROTO_KILLED) {
        infra_ensure_current(app);
        infra_fill_table(app, &rp);
    }
    int pass = app->sent_memfd ? -1 : infra_machine_memfd();
    if (vmproto_send(app->fd, &rp, sizeof rp, pass) != 0)
        return -1;
    app->sent_memfd = 1;
    srv.runner_since = infra_now_ms();
    return 0;
}

/* Resume app with result; a vanished app is destroyed. */
static void infra_resume(struct infra_app *app, int64_t result)
{
    if (infra_reply(app, VMPROTO_RUN, result) != 0)
        infra_app_gone(app);
}

/* Run the head of the ready queue when nothing runs. */
static void infra_schedule(void)
{
    while (srv.running == NULL && !list_empty(&srv.ready)) {
        struct infra_app *next =
            list_entry(list_pop_head(&srv.ready), struct infra_app, ready_link);
        next->state = APP_RUNNING;
        srv.running = next;
        infra_resume(next, 0);
    }
}

/* The app exited, crashed or was killed: destroy it (inv. 3), run the
 * next one. */
static void infra_app_gone(struct infra_app *app)
{
    if (app->state == APP_DEAD)
        return;
    if (app->pid != 0) {
        infra_ensure_current(app);
        printf("vm_destroy\t(%d)\n", (int)app->pid);
        vm_destroy();
        srv.current = 0;
    }
    if (app->state == APP_READY)
        list_remove(&srv.ready, &app->ready_link);
    if (srv.running == app)
        srv.running = NULL;
    app->state = APP_DEAD;
    close(app->fd);
    app->fd = -1;
    srv.listen_paused = 0; /* a descriptor is free again (inv. 8) */
    infra_schedule();
}

/* Find the live app with pid, or NULL. */
static struct infra_app *infra_find(pid_t pid)
{
    for (size_t i = 0; i < srv.napps; i++)
        if (srv.apps[i]->state != APP_DEAD && srv.apps[i]->pid == pid)
            return srv.apps[i];
    return NULL;
}

/* Tell a waiting parent how its fork went. */
static void infra_finish_fork(struct infra_app *parent, int result)
{
    parent->fork_wait = 0;
    parent->born = 0;
    infra_resume(parent, result);
}

/* HELLO: create the app (vm_create) and queue it; settle its parent's
 * fork if the parent is waiting. */
static void infra_on_hello(struct infra_app *app,
                           const struct vmproto_request *rq)
{
    srv.served = 1;
    if (rq->pid <= 0 || infra_find(rq->pid) != NULL) {
        fprintf(stderr, "pager: refused a second process with pid %d\n",
                (int)rq->pid);
        infra_reply(app, VMPROTO_REFUSED, -1);
        infra_app_gone(app);
        return;
    }
    printf("vm_create\t(%d, %d)\n", (int)rq->parent, (int)rq->pid);
    int r = vm_create(rq->parent, rq->pid);
    printf("vm_create returned %d\n", r);
    if (r == 0) {
        app->pid = rq->pid;
        app->state = APP_READY;
        list_push_tail(&srv.ready, &app->ready_link);
    } else {
        infra_reply(app, VMPROTO_REFUSED, r);
        infra_app_gone(app);
    }
    struct infra_app *parent = infra_find(rq->parent);
    if (parent != NULL && parent == srv.running) {
        if (parent->fork_wait == rq->pid) {
            infra_finish_fork(parent, r);
        } else {
            parent->born = rq->pid;
            parent->born_result = r;
        }
    }
    infra_schedule();
}

/* FORK: the child's HELLO may already have been served. */
static void infra_on_fork(struct infra_app *app,
                          const struct vmproto_request *rq)
{
    if (app->born == rq->pid && rq->pid > 0)
        infra_finish_fork(app, app->born_result);
    else
        app->fork_wait = rq->pid;
}

/* FAULT: vm_fault; resume the app, or kill it when the pager says -1. */
static void infra_on_fault(struct infra_app *app,
                           const struct vmproto_request *rq)
{
    infra_ensure_current(app);
    printf("vm_fault\t(%d)\t0x%lx\t%s\n", (int)app->pid,
           (unsigned long)rq->addr, rq->write ? "write" : "read");
    int r = vm_fault((const void *)(uintptr_t)rq->addr, rq->write != 0);
    printf("vm_fault returned %d\n", r);
    if (r != 0) {
        /* It stays the runner until its connection closes, so its last
         * words come before the next app's output. */
        app->killed = 1;
        if (infra_reply(app, VMPROTO_KILLED, r) != 0)
            infra_app_gone(app);
        return;
    }
    uintptr_t page = ((uintptr_t)rq->addr - (uintptr_t)VM_ARENA_BASEADDR) /
                     VM_PAGESIZE;
    page_table_entry_t e = page_table_base_register->ptes[page];
    if (!e.read_enable || (rq->write && !e.write_enable))
        infra_pager_broken("vm_fault returned 0 but the access is still "
                           "disabled", app->pid, (unsigned long)rq->addr);
    infra_resume(app, 0);
}

/* MAP: vm_map on the app's behalf. */
static void infra_on_map(struct infra_app *app,
                         const struct vmproto_request *rq)
{
    infra_ensure_current(app);
    printf("vm_map\t\t(%d)\t0x%lx\t%u\n", (int)app->pid,
           (unsigned long)rq->addr, rq->block);
    void *r = vm_map((const char *)(uintptr_t)rq->addr, rq->block);
    printf("vm_map returned 0x%lx\n", (unsigned long)(uintptr_t)r);
    infra_resume(app, (int64_t)(uintptr_t)r);
}

/* YIELD: the runner goes to the back of the queue. */
static void infra_on_yield(struct infra_app *app)
{
    srv.running = NULL;
    app->state = APP_READY;
    list_push_tail(&srv.ready, &app->ready_link);
    infra_schedule();
}

/* Whether rq is acceptable from app in its state. */
static int infra_request_ok(const struct infra_app *app,
                            const struct vmproto_request *rq)
{
    if (app->state == APP_CONNECTING)
        return rq->op == VMPROTO_HELLO;
    if (app->killed)
        return 0;
    if (rq->op == VMPROTO_EXIT)
        return 1;
    if (app != srv.running || app->fork_wait != 0)
        return 0;
    if (rq->op == VMPROTO_FAULT)
        return rq->addr >= (uintptr_t)VM_ARENA_BASEADDR &&
               rq->addr - (uintptr_t)VM_ARENA_BASEADDR < VM_ARENA_SIZE;
    return rq->op >= VMPROTO_FORK && rq->op <= VMPROTO_YIELD;
}

/* Read and serve one request from app. */
static void infra_serve(struct infra_app *app)
{
    struct vmproto_request rq;
    if (vmproto_recv(app->fd, &rq, sizeof rq, NULL) != 0) {
        if (errno == EPROTO)
            fprintf(stderr, "pager: malformed message from process %d\n",
                    (int)app->pid);
        infra_app_gone(app);
        return;
    }
    if (!infra_request_ok(app, &rq)) {
        fprintf(stderr, "pager: protocol error from process %d (request %u)\n",
                (int)app->pid, rq.op);
        infra_app_gone(app);
        return;
    }
    if (app == srv.running)
        srv.runner_since = infra_now_ms();
    switch (rq.op) {
    case VMPROTO_HELLO: infra_on_hello(app, &rq); break;
    case VMPROTO_FORK: infra_on_fork(app, &rq); break;
    case VMPROTO_FAULT: infra_on_fault(app, &rq); break;
    case VMPROTO_MAP: infra_on_map(app, &rq); break;
    case VMPROTO_YIELD: infra_on_yield(app); break;
    default: infra_app_gone(app); break;
    }
}

/* Open connections (apps not yet reaped count until they are DEAD). */
static size_t infra_open_conns(void)
{
    size_t n = 0;
    for (size_t i = 0; i < srv.napps; i++)
        n += srv.apps[i]->state != APP_DEAD;
    return n;
}

/* Refuse the new connection fd (too many open files, inv. 8): one line,
 * REFUSED, closed.  A refused fork child of the runner fails its parent's
 * fork, whether its FORK came already or is still to come. */
static void infra_refuse_conn(int fd)
{
    pid_t pid = infra_peer_pid(fd), ppid = 0;
    char state;
    fprintf(stderr, "pager: refused pid %d: too many open files (limit %lu)\n",
            (int)pid, srv.fd_limit);
    struct vmproto_reply *rp = calloc(1, sizeof *rp);
    if (rp != NULL) {
        rp->kind = VMPROTO_REFUSED;
        rp->result = -1;
        vmproto_send(fd, rp, sizeof *rp, -1);
        free(rp);
    }
    /* Read what the app sent (its HELLO): closing a Unix socket with unread
     * data would reset the connection before the app reads REFUSED. */
    char drain[sizeof(struct vmproto_request)];
    while (recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0)
        continue;
    close(fd);
    struct infra_app *parent = srv.running;
    if (parent == NULL || pid <= 0 || infra_proc_stat(pid, &state, &ppid) != 0
        || ppid != parent->pid)
        return;
    if (parent->fork_wait == pid) {
        infra_finish_fork(parent, -1);
    } else {
        parent->born = pid;
        parent->born_result = -1;
    }
}

/* Accept a connection as a CONNECTING app, or refuse it past the limit
 * (inv. 8).  Returns 0 or -1 (no memory: the connection is dropped). */
static int infra_accept(void)
{
    int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        fprintf(stderr, "pager: accept: %s: no new apps until one exits\n",
                strerror(errno));
        srv.listen_paused = 1;
        return 0;
    }
    if (fd < 0)
        return errno == EINTR || errno == ECONNABORTED ? 0 : -1;
    if (infra_open_conns() >= srv.max_conns) {
        infra_refuse_conn(fd);
        return 0;
    }
    if (srv.napps == srv.cap) {
        size_t cap = srv.cap ? 2 * srv.cap : 16;
        struct infra_app **a = realloc(srv.apps, cap * sizeof *a);
        if (a == NULL) {
            close(fd);
            return -1;
        }
        srv.apps = a;
        srv.cap = cap;
    }
    struct infra_app *app = calloc(1, sizeof *app);
    if (app == NULL) {
        close(fd);
        return -1;
    }
    app->fd = fd;
    list_node_init(&app->ready_link);
    srv.apps[srv.napps++] = app;
    return 0;
}

/* Free dead apps; returns how many are left. */
static size_t infra_reap(void)
{
    size_t kept = 0;
    for (size_t i = 0; i < srv.napps; i++) {
        if (srv.apps[i]->state == APP_DEAD)
            free(srv.apps[i]);
        else
            srv.apps[kept++] = srv.apps[i];
    }
    srv.napps = kept;
    return kept;
}

/* Whether a pager already answers at path. */
static int infra_socket_live(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int live = connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0;
    close(fd);
    return live;
}

/* Remove a stale socket file at addr's path.  Returns 0, or -1 (printed)
 * when the path is in use or is not a socket. */
static int infra_clear_path(const struct sockaddr_un *addr)
{
    struct stat st;
    if (lstat(addr->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "pager: %s exists and is not a socket\n",
                addr->sun_path);
        return -1;
    }
    if (infra_socket_live(addr)) {
        fprintf(stderr, "pager: another pager is serving %s\n", addr->sun_path);
        return -1;
    }
    unlink(addr->sun_path);
    return 0;
}

/* Descriptors this process has open, or -1.  When not even one more can
 * be opened to count them (EMFILE), every one the limit allows is open. */
static long infra_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct rlimit rl;
    if (d == NULL && errno == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
        return (long)rl.rlim_cur;
    if (d == NULL)
        return -1;
    long n = -1; /* not counting d's own */
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Size srv.max_conns to the open-file limit (inv. 8).  Returns 0, or -1
 * with one line printed when the limit leaves room for no app. */
static int infra_size_to_fd_limit(void)
{
    struct rlimit rl;
    long used = infra_open_fds();
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || used < 0) {
        fprintf(stderr, "pager: cannot read the open-file limit\n");
        return -1;
    }
    rlim_t room = (rlim_t)used + INFRA_FD_SPARE;
    srv.fd_limit = (unsigned long)rl.rlim_cur;
    if (rl.rlim_cur <= room) {
        fprintf(stderr, "pager: the open-file limit (%lu) leaves no room for "
                "apps (%ld open)\n", srv.fd_limit, used);
        return -1;
    }
    rlim_t conns = rl.rlim_cur - room;
    srv.max_conns = conns > 1000000 ? 1000000 : (size_t)conns;
    return 0;
}

/* Listen at path (see infra_server.h). */
int infra_server_open(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "pager: socket path is too long (max %zu bytes): %s\n",
                sizeof addr.sun_path - 1, path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (infra_clear_path(&addr) != 0)
        return -1;
    srv.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (srv.listen_fd < 0 ||
        bind(srv.listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv.listen_fd, 64) != 0) {
        fprintf(stderr, "pager: socket %s: %s\n", path, strerror(errno));
        if (srv.listen_fd >= 0)
            close(srv.listen_fd);
        srv.listen_fd = -1;
        return -1;
    }
    strcpy(srv.path, path);
    list_init(&srv.ready);
    if (infra_size_to_fd_limit() != 0) {
        close(srv.listen_fd);
        unlink(srv.path);
        srv.listen_fd = -1;
        return -1;
    }
    return 0;
}

/* SIGINT / SIGTERM: stop serving at the next wake-up. */
static void infra_on_signal(int sig)
{
    (void)sig;
    infra_stop = 1;
}

/* Install the stop handlers (no SA_RESTART, so poll wakes up). */
static void infra_catch_signals(void)
{
    struct sigaction sa = { .sa_handler = infra_on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Whether the watchdog watches the runner now (inv. 9): it is not
 * waiting for a reply of ours. */
static int infra_watched(void)
{
    return srv.watchdog_ms > 0 && srv.running != NULL &&
           srv.running->fork_wait == 0;
}

/* poll's timeout: until the runner's watchdog deadline, or -1. */
static int infra_watchdog_timeout(void)
{
    if (!infra_watched())
        return -1;
    long left = srv.runner_since + srv.watchdog_ms - infra_now_ms();
    return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Past the deadline, kill a blocked runner (inv. 9); one still running on
 * a CPU is only computing and gets a new deadline. */
static void infra_watchdog(void)
{
    struct infra_app *app = srv.running;
    char state;
    pid_t ppid;
    if (!infra_watched() ||
        infra_now_ms() - srv.runner_since < srv.watchdog_ms)
        return;
    if (infra_proc_stat(app->pid, &state, &ppid) == 0 && state == 'R') {
        srv.runner_since = infra_now_ms();
        return;
    }
    fprintf(stderr, "pager: watchdog: pid %d made no request for %ld s and "
            "is blocked (waiting for another app?): killed\n", (int)app->pid,
            srv.watchdog_ms / 1000);
    if (infra_peer_pid(app->fd) == app->pid)
        kill(app->pid, SIGKILL);
    infra_app_gone(app);
}

/* Wait for events and serve them once.  Returns 0, or -1 on a poll or
 * allocation failure (printed). */
static int infra_poll_once(void)
{
    size_t n = srv.napps;
    struct pollfd *pfd = calloc(n + 1, sizeof *pfd);
    struct infra_app **snap = calloc(n + 1, sizeof *snap);
    int rc = -1;
    if (pfd == NULL || snap == NULL) {
        fprintf(stderr, "pager: out of memory\n");
        goto out;
    }
    pfd[0] = (struct pollfd){ .fd = srv.listen_paused ? -1 : srv.listen_fd,
                              .events = POLLIN };
    for (size_t i = 0; i < n; i++) {
        snap[i] = srv.apps[i];
        pfd[i + 1] = (struct pollfd){ .fd = snap[i]->fd, .events = POLLIN };
    }
    if (poll(pfd, n + 1, infra_watchdog_timeout()) < 0) {
        rc = errno == EINTR ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "pager: poll: %s\n", strerror(errno));
        goto out;
    }
    /* Waiting apps first (their news is an arrival or a death), then the
     * runner: a death is settled before the runner's next request. */
    for (int runner_pass = 0; runner_pass < 2; runner_pass++)
        for (size_t i = 0; i < n; i++)
            if (pfd[i + 1].revents != 0 && snap[i]->state != APP_DEAD &&
                (snap[i] == srv.running) == runner_pass) {
                pfd[i + 1].revents = 0;
                infra_serve(snap[i]);
            }
    rc = 0;
    if ((pfd[0].revents & POLLIN) && infra_accept() != 0)
        fprintf(stderr, "pager: accept: %s\n", strerror(errno));
    infra_watchdog();
out:
    free(pfd);
    free(snap);
    return rc;
}

/* Close every connection and the socket; free the apps. */
static void infra_server_close(void)
{
    for (size_t i = 0; i < srv.napps; i++) {
        if (srv.apps[i]->fd >= 0)
            close(srv.apps[i]->fd);
        free(srv.apps[i]);
    }
    free(srv.apps);
    srv.apps = NULL;
    srv.napps = srv.cap = 0;
    if (srv.listen_fd >= 0) {
        close(srv.listen_fd);
        unlink(srv.path);
    }
    srv.listen_fd = -1;
}

/* Serve until the last app exits (see infra_server.h). */
int infra_server_run(unsigned watchdog_s)
{
    srv.watchdog_ms = (long)watchdog_s * 1000;
    infra_catch_signals();
    int rc = 0;
    while (!(srv.served && infra_reap() == 0)) {
        if (infra_stop) {
            rc = 1;
            break;
        }
        if (infra_poll_once() != 0) {
            rc = 1;
            break;
        }
    }
    infra_server_close();
    return rc;
}
