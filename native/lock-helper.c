// nova-lock-helper: holds kernel flock(2) locks for one Nova process (Node has no flock). One
// helper serves every lock of its parent, so taking a lock is a pipe round trip, not a process.
// One line per request on stdin, one answer per request on stdout:
//   "L <n> <path>"  → "<n> ok" | "<n> busy" | "<n> error <why>"   (try-lock, never blocks)
//   "U <n>"         → "<n> ok"                                     (release)
// When stdin closes (the Nova process ended, even by kill -9) we exit, and the kernel drops
// every lock with our file descriptors. Started by src/core/sys/lock-helper.ts.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define MAX_HELD 4096

static long held_id[MAX_HELD];
static int held_fd[MAX_HELD];
static int held;

static void lock(long id, const char *path) {
  if (held == MAX_HELD) {
    printf("%ld error too many locks held\n", id);
    return;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    printf("%ld error %s: %s\n", id, path, strerror(errno));
    return;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int busy = errno == EWOULDBLOCK;
    if (busy) printf("%ld busy\n", id);
    else printf("%ld error flock %s: %s\n", id, path, strerror(errno));
    close(fd);
    return;
  }
  held_id[held] = id;
  held_fd[held++] = fd;
  printf("%ld ok\n", id);
}

static void unlock(long id) {
  for (int i = 0; i < held; i++) {
    if (held_id[i] != id) continue;
    close(held_fd[i]);
    held_id[i] = held_id[--held];
    held_fd[i] = held_fd[held];
    break;
  }
  printf("%ld ok\n", id);
}

int main(void) {
  // A terminal's Ctrl-C belongs to the Nova process: it decides when locks go.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    char *end;
    long id = n > 2 ? strtol(line + 2, &end, 10) : 0;
    if (line[0] == 'L' && n > 2 && *end == ' ') lock(id, end + 1);
    else if (line[0] == 'U' && n > 2) unlock(id);
    else printf("0 error bad request\n");
    fflush(stdout);
  }
  return 0;
}
