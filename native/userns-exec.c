// nova-userns-exec: runs one command as root inside a fresh user namespace with the calling
// user's mapping (0 = the user, 1… = their subordinate ids): what `podman unshare` is to podman.
// The engine of an ordinary user runs through it what must act on files owned by a capsule's
// subordinate ids: image unpacks (owners remapped), snapshot tars, removals.
//   nova-userns-exec --newuidmap P --newgidmap P --uid-map 0:1000:1,1:100000:65536 --gid-map … -- CMD ARGS
// With --hold PIDFILE instead of a command it is the user's namespace holder (what podman's
// rootless pause process is): it maps its namespace once, writes "PID INODE" (the namespace's
// inode, so a reused pid is told apart) to PIDFILE, says "ready PID INODE" on stdout and sleeps;
// capsule supervisors join its namespace (setns) instead of mapping one each. It exits when
// PIDFILE is removed or replaced (its folder removed, a newer holder), or on SIGTERM/SIGKILL;
// running capsules keep the namespace.
#include "userns.h"
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>

static int hold(const char *pidfile) {
  // An engine killed while it waited for "ready" must not kill us with it: the pid file finds us.
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct stat st;
  if (stat("/proc/self/ns/user", &st) < 0) return perror("nova-userns-exec: /proc/self/ns/user"), 1;
  char text[64], tmp[PATH_MAX];
  int len = snprintf(text, sizeof text, "%d %llu\n", (int)getpid(), (unsigned long long)st.st_ino);
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", pidfile, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, text, len) != len || close(fd) < 0 || rename(tmp, pidfile) < 0) {
    fprintf(stderr, "nova-userns-exec: cannot write %s: %s\n", pidfile, strerror(errno));
    unlink(tmp);
    return 1;
  }
  int in = inotify_init1(IN_CLOEXEC);
  if (in < 0 || inotify_add_watch(in, pidfile, IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
    fprintf(stderr, "nova-userns-exec: cannot watch %s: %s\n", pidfile, strerror(errno));
    unlink(pidfile);
    return 1;
  }
  if (chdir("/") < 0) { /* keeps no folder busy; nothing else needs it */ }
  printf("ready %s", text);
  fflush(stdout);
  int null_fd = open("/dev/null", O_RDWR);
  dup2(null_fd, 0), dup2(null_fd, 1), dup2(null_fd, 2);
  if (null_fd > 2) close(null_fd);
  char buf[4096];
  while (read(in, buf, sizeof buf) < 0 && errno == EINTR) {
  }
  return 0; // the pid file was removed or replaced: no one finds us any more
}

int main(int argc, char **argv) {
  static struct option longs[] = {{"newuidmap", 1, 0, 'u'}, {"newgidmap", 1, 0, 'g'}, {"uid-map", 1, 0, 'U'}, {"gid-map", 1, 0, 'G'}, {"hold", 1, 0, 'H'}, {0, 0, 0, 0}};
  const char *hold_file = NULL;
  struct userns_map m = {0};
  int c;
  while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
    switch (c) {
      case 'u': m.newuidmap = optarg; break;
      case 'g': m.newgidmap = optarg; break;
      case 'U': m.uid_map = optarg; break;
      case 'G': m.gid_map = optarg; break;
      case 'H': hold_file = optarg; break;
      default: return 2;
    }
  }
  if (!m.newuidmap || !m.newgidmap || !m.uid_map || !m.gid_map || (hold_file ? optind < argc : optind >= argc)) {
    fprintf(stderr, "usage: %s --newuidmap P --newgidmap P --uid-map MAP --gid-map MAP (-- CMD [ARGS] | --hold PIDFILE)\n", argv[0]);
    return 2;
  }
  char err[512];
  if (userns_enter(&m, 0, err, sizeof err) < 0) {
    fprintf(stderr, "nova-userns-exec: %s\n", err);
    return 125;
  }
  if (hold_file) return hold(hold_file);
  execvp(argv[optind], argv + optind);
  fprintf(stderr, "nova-userns-exec: cannot run %s: %s\n", argv[optind], strerror(errno));
  return 127;
}
