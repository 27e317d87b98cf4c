// nova-capsule-supervisor: one run of the capsule. `runtime run -d` (or create, then start once
// pasta is up), its output relayed to the log, the capsule's first process reaped as our child
// (we are its subreaper) with its exit status and OOM kills, then `runtime delete -f`.
#define _GNU_SOURCE
#include "capsule-supervisor.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ORPHANS 32

static pid_t orphan_pid[MAX_ORPHANS];
static int orphan_status[MAX_ORPHANS];
static int orphans;

// One run's state, shared by its loop and what happens as each child is reaped.
struct run {
  struct run_result r;
  int first, create; // create: `create` + `start` instead of `run -d` (pasta still setting up)
  char pid_file[PATH_MAX];
  pid_t runtime, capsule;
  int runtime_done, capsule_done, failed, deleted;
};

// fork + exec with default signals and mask (ignored signals and the mask survive exec).
static pid_t spawn_runtime(char *const extra[], int out_fd, int err_fd) {
  char *argv[64];
  int n = 0;
  for (int i = 0; i < opt.runtime_len && n < 48; i++) argv[n++] = opt.runtime[i];
  for (int i = 0; extra[i] && n < 63; i++) argv[n++] = extra[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid != 0) return pid;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  int null_fd = open("/dev/null", O_RDWR);
  dup2(null_fd, 0);
  dup2(out_fd >= 0 ? out_fd : null_fd, 1);
  dup2(err_fd >= 0 ? err_fd : null_fd, 2);
  execv(argv[0], argv);
  dprintf(2, "nova: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

// A child reaped before we knew it was the capsule (it can exit before the runtime does).
static int take_orphan(pid_t pid, int *status) {
  for (int i = 0; i < orphans; i++) {
    if (orphan_pid[i] != pid) continue;
    *status = orphan_status[i];
    orphan_pid[i] = orphan_pid[--orphans];
    orphan_status[i] = orphan_status[orphans];
    return 1;
  }
  return 0;
}

static long read_number_file(const char *path) {
  char buf[32] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? strtol(buf, NULL, 10) : 0;
}

// oom_kill counter of the capsule's memory cgroup (v1 memory.oom_control or v2 memory.events).
static long oom_kills(void) {
  if (!opt.cgroup) return 0;
  const char *files[] = {"/sys/fs/cgroup/memory%s/memory.oom_control", "/sys/fs/cgroup%s/memory.events"};
  for (int i = 0; i < 2; i++) {
    char path[PATH_MAX], buf[1024] = {0};
    snprintf(path, sizeof path, files[i], opt.cgroup);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    char *p = n > 0 ? strstr(buf, "oom_kill ") : NULL;
    if (p) return strtol(p + 9, NULL, 10);
  }
  return 0;
}

// Runs a runtime verb to its end; its exit status (125: not run).
static int runtime_verb(char *const args[]) {
  pid_t pid = spawn_runtime(args, -1, -1);
  int status = 125 << 8;
  while (pid > 0 && waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 125;
  }
  if (pid <= 0) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void delete_container(void) {
  char *del[] = {"delete", "-f", (char *)opt.id, NULL};
  runtime_verb(del);
}

// The first run of a capsule whose pasta is still setting up: the runtime creates the container
// meanwhile, and it is started once the network is up. 0, or the run's failure code.
static int start_when_connected(void) {
  char err[512] = "";
  if (net_wait(&opt.net, sig_fd, err, sizeof err) < 0) {
    log_note("nova: %s", err);
    return 125;
  }
  char *start[] = {"start", (char *)opt.id, NULL};
  int code = runtime_verb(start);
  if (code != 0) log_note("nova: %s start failed (exit %d)", opt.runtime[0], code);
  return code;
}

// `runtime run -d` (or create) ended: the capsule's pid, or the run failed. The first run reports.
static void runtime_exited(struct run *run, int status) {
  run->runtime_done = 1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    run->failed = 1;
    run->r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    run->capsule = (pid_t)read_number_file(run->pid_file);
    int code = run->capsule > 0 && run->create ? start_when_connected() : 0;
    if (run->capsule <= 0) run->failed = 1, run->r.code = 125;
    else if (code) {
      // Never started: the created container goes (its init is reaped as an orphan).
      run->failed = 1, run->r.code = code, run->capsule = 0;
      delete_container();
      run->deleted = 1;
    } else if (take_orphan(run->capsule, &status)) run->capsule_done = 1, run->r.code = status;
    else run->r.code = -1;
  }
  if (run->first) report(run->failed ? "failed %ld\n" : "ready %ld\n", run->failed ? run->r.code : (long)run->capsule);
}

// Every child that ended: the runtime, the capsule, pasta, or one we learn about later.
static void reap_children(struct run *run) {
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p == run->runtime) {
      runtime_exited(run, status);
    } else if (run->capsule && p == run->capsule) {
      run->capsule_done = 1;
      run->r.code = status;
    } else if (net_reaped(&opt.net, p, status)) {
      // pasta: net_wait reports it when the network was not up yet
    } else if (orphans < MAX_ORPHANS) {
      orphan_pid[orphans] = p;
      orphan_status[orphans++] = status;
    }
  }
}

// Until the capsule has exited (or the runtime failed) and its output is in the log; the
// highest OOM kill count seen while it ran.
static long relay_until_done(struct run *run, struct stream *so, struct stream *se) {
  long long drain_until = 0;
  long oom = 0;
  for (;;) {
    struct pollfd fds[3] = {{sig_fd, POLLIN, 0}, {so->fd, POLLIN, 0}, {se->fd, POLLIN, 0}};
    int ready = poll(fds, 3, 100);
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
      }
    }
    reap_children(run);
    if (so->fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) stream_pump(so);
    if (se->fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) stream_pump(se);
    if (run->capsule && !run->capsule_done) {
      long n = oom_kills();
      if (n > oom) oom = n;
    }
    if ((run->failed && run->runtime_done) || run->capsule_done) {
      // The pipes close when every holder is gone; something that escaped may keep them open.
      if (!drain_until) drain_until = mono_ms() + 2000;
      if ((so->fd < 0 && se->fd < 0) || mono_ms() > drain_until) break;
    }
  }
  return oom;
}

struct run_result run_once(int first) {
  struct run run = {.first = first};
  // Exits recorded during an earlier run are of that run's processes: a reused pid must not
  // pass for this run's capsule having ended, and a full table must not hide its exit.
  orphans = 0;
  path_in_dir(run.pid_file, "container.pid");
  unlink(run.pid_file);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    run.r.code = 125;
    return run.r;
  }
  // create + start instead of run -d while pasta is still setting up (see start_when_connected).
  run.create = first && net_pending(&opt.net);
  char *run_args[] = {"run", "-d", "--bundle", (char *)opt.bundle, "--pid-file", run.pid_file, (char *)opt.id, NULL};
  char *create_args[] = {"create", "--bundle", (char *)opt.bundle, "--pid-file", run.pid_file, (char *)opt.id, NULL};
  run.runtime = spawn_runtime(run.create ? create_args : run_args, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  if (run.runtime < 0) {
    close(out[0]);
    close(err[0]);
    log_note("nova: cannot fork: %s", strerror(errno));
    if (first) report("failed %ld\n", 125);
    run.r.code = 125;
    return run.r;
  }
  static struct stream so, se;
  so = (struct stream){.fd = out[0], .name = "stdout"};
  se = (struct stream){.fd = err[0], .name = "stderr"};
  long oom = relay_until_done(&run, &so, &se);
  if (so.fd >= 0) close(so.fd);
  if (se.fd >= 0) close(se.fd);
  if (!run.failed) {
    run.r.started = 1;
    int status = run.r.code;
    run.r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    long n = oom_kills(); // the cgroup lives until delete
    run.r.oom_killed = (n > oom ? n : oom) > 0;
    delete_container();
  } else if (run.runtime_done && !run.deleted) {
    delete_container();
  }
  return run.r;
}
