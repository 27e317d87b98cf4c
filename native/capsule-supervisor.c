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
// Files: this one (the command line, the restart loop, the files the engine reads),
// capsule-supervisor-ns.c (namespaces, mounts), capsule-supervisor-run.c (one run: runtime,
// reaping, exit status), capsule-supervisor-log.c (logs/console.log).
#define _GNU_SOURCE
#include "capsule-supervisor.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct options opt;
int sig_fd = -1;

static long long clock_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long now_ms(void) { return clock_ms(CLOCK_REALTIME); }

long long mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

void path_in_dir(char *out, const char *name) { snprintf(out, PATH_MAX, "%s/%s", opt.dir, name); }

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

void report(const char *fmt, long value) {
  dprintf(1, fmt, value);
  int null_fd = open("/dev/null", O_WRONLY);
  dup2(null_fd, 1); // the engine reads one line; later runs report to nobody
  close(null_fd);
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

// exit.json: how the last run ended and whether the policy restarts it.
static void write_exit_record(const struct run_result *r, int restarts, int again) {
  char signame[24] = "", exit_text[256];
  if (r->signal) snprintf(signame, sizeof signame, ",\"signal\":\"SIG%s\"", sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
  snprintf(exit_text, sizeof exit_text, "{\"code\":%d%s,\"at\":%lld%s,\"restarts\":%d,\"restarting\":%s}\n", r->code, signame, now_ms(),
           r->oom_killed ? ",\"oomKilled\":true" : "", restarts, again ? "true" : "false");
  write_atomic("exit.json", exit_text);
}

// Runs the capsule until it ends for good: its restart policy (re-read after each run) says.
static void supervise(void) {
  for (int restarts = 0;; restarts++) {
    long long started = mono_ms();
    struct run_result r = run_once(restarts == 0);
    char policy[32];
    restart_policy(policy, sizeof policy);
    int again = r.started && !stop_requested() && (!strcmp(policy, "always") || (!strcmp(policy, "on-failure") && r.code != 0));
    write_exit_record(&r, restarts, again);
    if (!again) break;
    // Back off 0.2 s → 10 s, reset after a run that lasted 10 s; a stop request ends the wait.
    long backoff = mono_ms() - started > 10000 ? 200 : 200L << (restarts < 6 ? restarts : 6);
    if (backoff > 10000) backoff = 10000;
    for (long waited = 0; waited < backoff && !stop_requested(); waited += 100) sleep_ms(100);
    if (stop_requested()) break;
    log_note("nova: restarting (policy %s, restart %d)", policy, restarts + 1);
  }
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
  char log_path[PATH_MAX];
  path_in_dir(log_path, "logs/console.log");
  log_open(log_path);
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
  supervise();
  net_stop(&opt.net);
  log_close();
  char pid_path[PATH_MAX];
  path_in_dir(pid_path, "supervisor.pid");
  unlink(pid_path);
  return 0;
}
