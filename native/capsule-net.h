// The network namespace of an ordinary user's capsule (capsule-supervisor.c, --netns). The
// supervisor unshares it together with its user namespace and holds it for the capsule's whole
// life (restarts keep it, as root's named netns keeps a capsule's address). Then either
//   - pasta (--pasta ARG…) connects it to the host: pasta must run in the host's user and
//     network namespaces, so a launcher child is forked before we unshare; it execs
//     `pasta ARG… -f -P pasta.pid <our pid>` once the namespace exists. pasta writes its pid file
//     after its setup (addresses, routes, port listeners), which is when the capsule may start.
//     The launcher is released as soon as the namespaces exist (userns.h, unshared_fd): pasta
//     needs no uid map (it owns the user namespace, so it has its capabilities there, and its
//     files keep the user's own uid), and its setup (tens of ms: it faults in ~70 MB of buffers)
//     runs while the maps are written, the root is mounted and the runtime creates the container,
//     which is started once pasta's pid file is there (net_wait: inotify, not a sleep loop).
//     PR_SET_PDEATHSIG ends pasta with us, whatever ends us; we end it on a normal exit;
//   - or the engine plugs a veth in (through nova privd): we say "netns PID" on stdout and wait
//     for "go" on stdin (EOF: the engine gave up, so do we).
#ifndef NOVA_CAPSULE_NET_H
#define NOVA_CAPSULE_NET_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// static inline: several of the supervisor's files include this, each using a part of it.
#define PASTA_PIDFILE "pasta.pid"
#define PASTA_MAX_ARGS 48

struct capsule_net {
  int enabled;
  char *pasta[PASTA_MAX_ARGS];
  int pasta_len;
  pid_t pasta_pid;
  int go_fd; // releases the launcher (-1 once released)
  int up;    // pasta wrote its pid file: the network is ready
  int pasta_exited, pasta_status; // reaped by the supervisor's loop (net_reaped)
};

// The supervisor reaps every child in one place: pasta's exit is noted here. 1 if it was pasta.
static inline int net_reaped(struct capsule_net *n, pid_t pid, int status) {
  if (n->pasta_pid <= 0 || pid != n->pasta_pid) return 0;
  n->pasta_pid = 0;
  n->pasta_exited = 1;
  n->pasta_status = status;
  return 1;
}

// Forks the launcher while we are still in the host's namespaces. The child sleeps on a pipe.
static inline int net_prepare(struct capsule_net *n, char *err, size_t len) {
  if (!n->enabled || !n->pasta_len) return 0;
  unlink(PASTA_PIDFILE);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return snprintf(err, len, "pipe: %s", strerror(errno)), -1;
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) return snprintf(err, len, "fork: %s", strerror(errno)), -1;
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    char b;
    close(p[1]);
    if (read(p[0], &b, 1) != 1) _exit(0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0), dup2(null_fd, 1), dup2(null_fd, 2);
    char target[16], *argv[PASTA_MAX_ARGS + 6];
    int k = 0;
    snprintf(target, sizeof target, "%d", (int)parent);
    for (int i = 0; i < n->pasta_len; i++) argv[k++] = n->pasta[i];
    argv[k++] = "-f", argv[k++] = "-P", argv[k++] = PASTA_PIDFILE, argv[k++] = target, argv[k] = NULL;
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[0]);
  n->go_fd = p[1];
  n->pasta_pid = child;
  return 0;
}

static inline int pidfile_written(void) {
  char buf[16] = {0};
  int fd = open(PASTA_PIDFILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  return r > 0 && strchr(buf, '\n');
}

// The byte that lets the launcher exec pasta (the namespaces exist and are mapped).
static inline int net_release(struct capsule_net *n, char *err, size_t len) {
  if (n->go_fd < 0) return 0;
  int ok = write(n->go_fd, "x", 1) == 1;
  close(n->go_fd);
  n->go_fd = -1;
  return ok ? 0 : (snprintf(err, len, "cannot start pasta: %s", strerror(errno)), -1);
}

// Called inside the new namespaces. 0 once the capsule's network is ready, or (pasta) once pasta
// is on its way: net_wait then waits for it.
static inline int net_ready(struct capsule_net *n, char *err, size_t len) {
  if (!n->enabled) return 0;
  // Capsule root sits in a nested user namespace, without caps over this netns: let it bind
  // ports below 1024 (an image's web server on :80), as it could in root's capsules.
  int fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, "0\n", 2) < 0) { /* a kernel without the knob: ports ≥1024 only */ }
    close(fd);
  }
  if (!n->pasta_len) {
    char line[16] = {0};
    dprintf(1, "netns %d\n", (int)getpid());
    ssize_t r = read(0, line, sizeof line - 1);
    if (r < 3 || strncmp(line, "go", 2)) return snprintf(err, len, "the engine did not attach the network"), -1;
    n->up = 1;
    return 0;
  }
  return net_release(n, err, len); // normally done already by the mapping helper
}

// pasta's setup still running: the capsule must not start yet.
static inline int net_pending(const struct capsule_net *n) { return n->enabled && n->pasta_len && !n->up; }

// Waits (inotify on the pid file's folder, our cwd) until pasta wrote its pid file, or fails when
// pasta exits first or after 20 s. `sig_fd`: our SIGCHLD signalfd, also woken by pasta's exit.
static inline int net_wait(struct capsule_net *n, int sig_fd, char *err, size_t len) {
  if (!net_pending(n)) return 0;
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in >= 0 && inotify_add_watch(in, ".", IN_CLOSE_WRITE | IN_MOVED_TO) < 0) close(in), in = -1;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (pidfile_written()) break;
    int status;
    if (n->pasta_pid > 0 && waitpid(n->pasta_pid, &status, WNOHANG) == n->pasta_pid) net_reaped(n, n->pasta_pid, status);
    if (n->pasta_exited) {
      status = n->pasta_status;
      if (in >= 0) close(in);
      return snprintf(err, len, "pasta exited (%s %d) before the network was up; see pasta.log in the capsule folder",
                      WIFEXITED(status) ? "code" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)), -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (waited >= 20000) {
      if (in >= 0) close(in);
      return snprintf(err, len, "pasta did not set the network up within 20 s"), -1;
    }
    // Without inotify (or a missed event) the timeout bounds the wait as the old 5 ms loop did.
    struct pollfd fds[2] = {{in, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    if (poll(fds, 2, in >= 0 ? 100 : 5) > 0) {
      char buf[4096];
      if (in >= 0 && (fds[0].revents & POLLIN)) while (read(in, buf, sizeof buf) > 0) {}
      // SIGCHLD is also how the runtime's other children show up: the caller reaps them later.
      if (sig_fd >= 0 && (fds[1].revents & POLLIN)) while (read(sig_fd, buf, sizeof buf) > 0) {}
    }
  }
  if (in >= 0) close(in);
  n->up = 1;
  return 0;
}

static inline void net_stop(struct capsule_net *n) {
  if (n->pasta_pid <= 0) return;
  kill(n->pasta_pid, SIGTERM);
  int status;
  while (waitpid(n->pasta_pid, &status, 0) < 0 && errno == EINTR) {
  }
  n->pasta_pid = 0;
  unlink(PASTA_PIDFILE);
}

#endif
