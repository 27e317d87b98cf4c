// nova-capsule-supervisor: one small process per running capsule (started by
// src/core/capsule/supervisor.ts). It
//   - gives the capsule a private mount namespace (slave of the host's), hides the cgroup v2
//     tree there when crun needs it on hybrid hosts, and mounts the capsule's overlay root in it
//     (so the mount vanishes with the capsule, whatever kills it);
//   - runs `crun|runc run -d`, reports "ready PID" (or "failed CODE") on stdout to the engine;
//   - keeps the capsule's stdout/stderr as timestamped lines in logs/console.log (rotated);
//   - reaps the capsule's first process as child subreaper: exit code, signal, OOM kills go to
//     exit.json; then `runtime delete -f`, and the restart policy (re-read from restart-policy).
//   - for an ordinary user, does all of this inside a user namespace it enters first (userns.h):
//     root there is the user, uids 1… their subordinate ids: the user's namespace holder's
//     (--join-userns, one setns; src/core/capsule/userns-holder.ts) when there is one, else one
//     it maps itself (newuidmap/newgidmap); with --netns also a network namespace it holds for
//     the capsule, connected by pasta or a veth (capsule-net.h).
// C, not Node: it starts on every `nova run container`, and a Node process cost ~60 ms there.
#define _GNU_SOURCE
#include "userns.h"
#include "capsule-net.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STREAM_BUF 65536
#define MAX_ORPHANS 32

struct options {
  const char *dir, *id, *bundle, *lower, *upper, *work, *cgroup;
  long log_max;
  int hide_unified;
  struct userns_map userns; // set (uid_map) for an ordinary user's capsule
  pid_t join_pid;           // --join-userns PID:INODE: the user's namespace holder, joined instead of mapping
  unsigned long long join_ino;
  struct capsule_net net;   // --netns [--pasta ARG…]: the capsule's network namespace is ours
  char **runtime; // argv prefix: path --root ROOT
  int runtime_len;
};

struct stream {
  int fd;
  const char *name;
  char buf[STREAM_BUF];
  size_t len;
};

struct run_result {
  int code;
  int signal; // 0 when it exited normally
  int oom_killed;
  int started; // the runtime started it (otherwise code is the runtime's own exit code)
};

static struct options opt;
static int log_fd = -1;
static off_t log_size;
static char log_path[PATH_MAX];
static int sig_fd = -1;
static pid_t orphan_pid[MAX_ORPHANS];
static int orphan_status[MAX_ORPHANS];
static int orphans;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void path_in_dir(char *out, const char *name) { snprintf(out, PATH_MAX, "%s/%s", opt.dir, name); }

// Temp file + rename: readers never see half a file.
static void write_atomic(const char *name, const char *text) {
  char path[PATH_MAX], tmp[PATH_MAX + 32];
  path_in_dir(path, name);
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  if (n == (ssize_t)strlen(text)) rename(tmp, path);
  else unlink(tmp);
}

static void log_open(void) {
  log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  log_size = log_fd >= 0 && fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

// One log record: "2026-11-22T14:15:10.123Z stdout text".
static void log_line(const char *stream, const char *text, size_t len) {
  if (log_fd < 0) return;
  struct timespec ts;
  struct tm tm;
  char stamp[48];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp + n, sizeof stamp - n, ".%03ldZ %s ", ts.tv_nsec / 1000000, stream);
  struct iovec iov[3] = {{stamp, strlen(stamp)}, {(void *)text, len}, {"\n", 1}};
  ssize_t w = writev(log_fd, iov, 3);
  if (w > 0) log_size += w;
  if (opt.log_max > 0 && log_size > opt.log_max) {
    char old[PATH_MAX + 4];
    close(log_fd);
    snprintf(old, sizeof old, "%s.1", log_path);
    rename(log_path, old);
    log_open();
  }
}

// Nova's own notes go to the capsule's log as stderr lines ("nova: …").
static void log_note(const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  log_line("stderr", text, n < 0 ? 0 : (size_t)n >= sizeof text ? sizeof text - 1 : (size_t)n);
}

// Reads what is there; emits whole lines, or the buffer when a line outgrows it. EOF closes.
static void stream_pump(struct stream *s) {
  ssize_t n = read(s->fd, s->buf + s->len, STREAM_BUF - s->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    if (s->len) log_line(s->name, s->buf, s->len);
    s->len = 0;
    close(s->fd);
    s->fd = -1;
    return;
  }
  s->len += (size_t)n;
  char *start = s->buf, *nl;
  while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->buf)))) {
    log_line(s->name, start, (size_t)(nl - start));
    start = nl + 1;
  }
  s->len -= (size_t)(start - s->buf);
  memmove(s->buf, start, s->len);
  if (s->len == STREAM_BUF) {
    log_line(s->name, s->buf, s->len);
    s->len = 0;
  }
}

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

static void report(const char *fmt, long value) {
  dprintf(1, fmt, value);
  int null_fd = open("/dev/null", O_WRONLY);
  dup2(null_fd, 1); // the engine reads one line; later runs report to nobody
  close(null_fd);
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

static struct run_result run_once(int first) {
  struct run_result r = {0};
  char pid_file[PATH_MAX];
  path_in_dir(pid_file, "container.pid");
  unlink(pid_file);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    r.code = 125;
    return r;
  }
  // create + start instead of run -d while pasta is still setting up (see start_when_connected).
  int create = first && net_pending(&opt.net);
  char *run[] = {"run", "-d", "--bundle", (char *)opt.bundle, "--pid-file", pid_file, (char *)opt.id, NULL};
  char *created[] = {"create", "--bundle", (char *)opt.bundle, "--pid-file", pid_file, (char *)opt.id, NULL};
  pid_t runtime = spawn_runtime(create ? created : run, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  if (runtime < 0) {
    close(out[0]);
    close(err[0]);
    log_note("nova: cannot fork: %s", strerror(errno));
    if (first) report("failed %ld\n", 125);
    r.code = 125;
    return r;
  }
  static struct stream so, se;
  so = (struct stream){.fd = out[0], .name = "stdout"};
  se = (struct stream){.fd = err[0], .name = "stderr"};
  pid_t capsule = 0;
  int runtime_done = 0, capsule_done = 0, failed = 0, deleted = 0;
  long long drain_until = 0;
  long oom = 0;
  for (;;) {
    struct pollfd fds[3] = {{sig_fd, POLLIN, 0}, {so.fd, POLLIN, 0}, {se.fd, POLLIN, 0}};
    int ready = poll(fds, 3, 100);
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
      }
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == runtime) {
        runtime_done = 1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          failed = 1;
          r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        } else {
          capsule = (pid_t)read_number_file(pid_file);
          int code = capsule > 0 && create ? start_when_connected() : 0;
          if (capsule <= 0) failed = 1, r.code = 125;
          else if (code) {
            // Never started: the created container goes (its init is reaped as an orphan).
            failed = 1, r.code = code, capsule = 0;
            delete_container();
            deleted = 1;
          } else if (take_orphan(capsule, &status)) capsule_done = 1, r.code = status;
          else r.code = -1;
        }
        if (first) report(failed ? "failed %ld\n" : "ready %ld\n", failed ? r.code : (long)capsule);
      } else if (capsule && p == capsule) {
        capsule_done = 1;
        r.code = status;
      } else if (net_reaped(&opt.net, p, status)) {
        // pasta: net_wait reports it when the network was not up yet
      } else if (orphans < MAX_ORPHANS) {
        orphan_pid[orphans] = p;
        orphan_status[orphans++] = status;
      }
    }
    if (so.fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) stream_pump(&so);
    if (se.fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) stream_pump(&se);
    if (capsule && !capsule_done) {
      long n = oom_kills();
      if (n > oom) oom = n;
    }
    if ((failed && runtime_done) || capsule_done) {
      // The pipes close when every holder is gone; something that escaped may keep them open.
      if (!drain_until) drain_until = now_ms() + 2000;
      if ((so.fd < 0 && se.fd < 0) || now_ms() > drain_until) break;
    }
  }
  if (so.fd >= 0) close(so.fd);
  if (se.fd >= 0) close(se.fd);
  if (!failed) {
    r.started = 1;
    int status = r.code;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    long n = oom_kills(); // the cgroup lives until delete
    r.oom_killed = (n > oom ? n : oom) > 0;
    delete_container();
  } else if (runtime_done && !deleted) {
    delete_container();
  }
  return r;
}

static int stop_requested(void) {
  char path[PATH_MAX];
  path_in_dir(path, "stop-requested");
  return access(path, F_OK) == 0;
}

// "no" | "on-failure" | "always"; capsule.update rewrites the file while we run.
static void restart_policy(char *out, size_t size) {
  char path[PATH_MAX];
  path_in_dir(path, "restart-policy");
  snprintf(out, size, "no");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, out, size - 1);
  close(fd);
  out[n > 0 ? n : 0] = 0;
  out[strcspn(out, " \n")] = 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

// Private mount namespace, slave of the host's: host mounts still show up here, ours stay here.
// For an ordinary user it belongs to a user namespace entered at the same time.
static int setup_mounts(void) {
  char err[512];
  int joined = 0;
  if (opt.userns.uid_map && opt.join_pid > 0) {
    if (userns_join(opt.join_pid, opt.join_ino, err, sizeof err) == 0) joined = 1;
    else log_note("nova: %s; mapping a user namespace of its own", err);
  }
  if (joined) {
    if (unshare(CLONE_NEWNS | (opt.net.enabled ? CLONE_NEWNET : 0)) < 0) {
      log_note("nova: cannot create the capsule's namespaces: %s", strerror(errno));
      return -1;
    }
    // pasta sets up while the root is mounted and the runtime creates the container.
    if (opt.net.pasta_len && net_release(&opt.net, err, sizeof err) < 0) {
      log_note("nova: %s", err);
      return -1;
    }
  } else if (opt.userns.uid_map) {
    // pasta may join as soon as the namespaces are mapped (capsule-net.h).
    if (opt.net.pasta_len && opt.net.go_fd > 0) opt.userns.unshared_fd = opt.net.go_fd;
    if (userns_enter(&opt.userns, CLONE_NEWNS | (opt.net.enabled ? CLONE_NEWNET : 0), err, sizeof err) < 0) {
      log_note("nova: %s", err);
      return -1;
    }
    if (opt.userns.unshared_fd > 0) {
      close(opt.net.go_fd); // released by the mapping helper
      opt.net.go_fd = -1;
    }
  } else if (unshare(CLONE_NEWNS) < 0) {
    log_note("nova: cannot create a private mount namespace: %s", strerror(errno));
    return -1;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
    log_note("nova: cannot make the mount namespace private: %s", strerror(errno));
    return -1;
  }
  // crun 1.8 refuses hybrid hosts whose v2 tree lists controllers (RECIPES.md). A user namespace
  // cannot unmount what the host mounted, but it can cover it with an empty tmpfs.
  if (opt.hide_unified && opt.userns.uid_map) {
    if (mount("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555") < 0) {
      log_note("nova: cannot cover /sys/fs/cgroup/unified: %s", strerror(errno));
      return -1;
    }
  } else if (opt.hide_unified && umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    log_note("nova: cannot hide /sys/fs/cgroup/unified: %s", strerror(errno));
    return -1;
  }
  if (!opt.lower) return 0;
  char data[3 * PATH_MAX + 64], target[PATH_MAX];
  // In a user namespace overlayfs cannot write its trusted.overlay.* marks (opaque dirs, redirects):
  // userxattr keeps them in user.overlay.* instead.
  snprintf(data, sizeof data, "%slowerdir=%s,upperdir=%s,workdir=%s", opt.userns.uid_map ? "userxattr," : "", opt.lower, opt.upper, opt.work);
  snprintf(target, sizeof target, "%s/rootfs", opt.bundle);
  if (mount("overlay", target, "overlay", 0, data) < 0) {
    log_note("nova: cannot mount the overlay root: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int parse_args(int argc, char **argv) {
  static struct option longs[] = {
      {"dir", 1, 0, 'd'}, {"id", 1, 0, 'i'}, {"bundle", 1, 0, 'b'}, {"lower", 1, 0, 'l'}, {"upper", 1, 0, 'u'},
      {"work", 1, 0, 'w'}, {"cgroup", 1, 0, 'c'}, {"log-max", 1, 0, 'm'}, {"hide-unified", 0, 0, 'h'},
      {"newuidmap", 1, 0, 'N'}, {"newgidmap", 1, 0, 'M'}, {"uid-map", 1, 0, 'U'}, {"gid-map", 1, 0, 'G'},
      {"netns", 0, 0, 'n'}, {"pasta", 1, 0, 'p'}, {"join-userns", 1, 0, 'J'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
    switch (c) {
      case 'd': opt.dir = optarg; break;
      case 'i': opt.id = optarg; break;
      case 'b': opt.bundle = optarg; break;
      case 'l': opt.lower = optarg; break;
      case 'u': opt.upper = optarg; break;
      case 'w': opt.work = optarg; break;
      case 'c': opt.cgroup = optarg; break;
      case 'm': opt.log_max = atol(optarg); break;
      case 'h': opt.hide_unified = 1; break;
      case 'N': opt.userns.newuidmap = optarg; break;
      case 'M': opt.userns.newgidmap = optarg; break;
      case 'U': opt.userns.uid_map = optarg; break;
      case 'G': opt.userns.gid_map = optarg; break;
      case 'n': opt.net.enabled = 1; break;
      case 'J':
        if (sscanf(optarg, "%d:%llu", &opt.join_pid, &opt.join_ino) != 2) return -1;
        break;
      case 'p':
        if (opt.net.pasta_len >= PASTA_MAX_ARGS) return -1;
        opt.net.pasta[opt.net.pasta_len++] = optarg;
        break;
      default: return -1;
    }
  }
  opt.runtime = argv + optind;
  opt.runtime_len = argc - optind;
  if (!opt.dir || !opt.id || !opt.bundle || opt.runtime_len < 1) return -1;
  if (opt.userns.uid_map && (!opt.userns.gid_map || !opt.userns.newuidmap || !opt.userns.newgidmap)) return -1;
  if (opt.lower && (!opt.upper || !opt.work)) return -1;
  if ((opt.net.enabled && !opt.userns.uid_map) || (opt.net.pasta_len && !opt.net.enabled)) return -1; // root: a named netns
  return 0;
}

int main(int argc, char **argv) {
  if (parse_args(argc, argv) < 0) {
    fprintf(stderr,
            "usage: %s --dir D --id ID --bundle B [--cgroup PATH] [--lower L --upper U --work W] [--log-max N] [--hide-unified]"
            " [--newuidmap P --newgidmap P --uid-map MAP --gid-map MAP [--join-userns PID:INODE] [--netns [--pasta ARG]...]] -- RUNTIME [ARGS]\n",
            argv[0]);
    return 2;
  }
  if (chdir(opt.dir) < 0) return 1;
  // Stop goes through the runtime (kill TERM, then KILL); a closing terminal must not end us.
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  // The capsule's first process outlives `runtime run -d`: it becomes our child to reap.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // What a previous run left: its exit record, a stop request, pids.
  const char *stale[] = {"exit.json", "stop-requested", "container.pid", "supervisor.pid"};
  for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) unlink(stale[i]);
  mkdir("logs", 0700);
  path_in_dir(log_path, "logs/console.log");
  log_open();
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d\n", (int)getpid());
  write_atomic("supervisor.pid", pid_text);
  char net_err[512] = "";
  if (net_prepare(&opt.net, net_err, sizeof net_err) < 0 || setup_mounts() < 0 || net_ready(&opt.net, net_err, sizeof net_err) < 0) {
    if (net_err[0]) log_note("nova: %s", net_err);
    net_stop(&opt.net);
    report("failed %ld\n", 125);
    return 1;
  }
  for (int restarts = 0;; restarts++) {
    long long started = now_ms();
    struct run_result r = run_once(restarts == 0);
    char policy[32], exit_text[256];
    restart_policy(policy, sizeof policy);
    int again = r.started && !stop_requested() && (!strcmp(policy, "always") || (!strcmp(policy, "on-failure") && r.code != 0));
    char signame[24] = "";
    if (r.signal) snprintf(signame, sizeof signame, ",\"signal\":\"SIG%s\"", sigabbrev_np(r.signal) ? sigabbrev_np(r.signal) : "?");
    snprintf(exit_text, sizeof exit_text, "{\"code\":%d%s,\"at\":%lld%s,\"restarts\":%d,\"restarting\":%s}\n", r.code, signame, now_ms(),
             r.oom_killed ? ",\"oomKilled\":true" : "", restarts, again ? "true" : "false");
    write_atomic("exit.json", exit_text);
    if (!again) break;
    // Back off 0.2 s → 10 s, reset after a run that lasted 10 s; a stop request ends the wait.
    long backoff = now_ms() - started > 10000 ? 200 : 200L << (restarts < 6 ? restarts : 6);
    if (backoff > 10000) backoff = 10000;
    for (long waited = 0; waited < backoff && !stop_requested(); waited += 100) sleep_ms(100);
    if (stop_requested()) break;
    log_note("nova: restarting (policy %s, restart %d)", policy, restarts + 1);
  }
  net_stop(&opt.net);
  if (log_fd >= 0) close(log_fd);
  char pid_path[PATH_MAX];
  path_in_dir(pid_path, "supervisor.pid");
  unlink(pid_path);
  return 0;
}
