// The capsule supervisor's parts (native/capsule-supervisor*.c; see capsule-supervisor.c for
// what it does).
#ifndef NOVA_CAPSULE_SUPERVISOR_H
#define NOVA_CAPSULE_SUPERVISOR_H
#define _GNU_SOURCE
#include "userns.h"
#include "capsule-net.h"
#include <stddef.h>
#include <sys/types.h>

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

struct run_result {
  int code;
  int signal; // 0 when it exited normally
  int oom_killed;
  int started; // the runtime started it (otherwise code is the runtime's own exit code)
};

// capsule-supervisor.c: the command line, the restart loop and the files the engine reads.
extern struct options opt;
extern int sig_fd; // SIGCHLD, as a signalfd
/** Wall-clock time (what exit.json's "at" says); mono_ms for durations, which a clock step must not stretch. */
long long now_ms(void);
long long mono_ms(void);
void path_in_dir(char *out, const char *name);
/** The one line the engine reads on stdout ("ready PID", "failed CODE"); later ones go nowhere. */
void report(const char *fmt, long value);

// capsule-supervisor-log.c: logs/console.log, the capsule's output as timestamped lines.
#define STREAM_BUF 65536
struct stream {
  int fd;
  const char *name;
  char buf[STREAM_BUF];
  size_t len;
};
void log_open(const char *path);
void log_close(void);
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void stream_pump(struct stream *s);

// capsule-supervisor-run.c: one run of the capsule, from `runtime run` to `runtime delete`.
struct run_result run_once(int first);

// capsule-supervisor-ns.c: the capsule's namespaces (user, mount, network) and its mounts.
int setup_mounts(void);

#endif
