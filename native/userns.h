// Entering a user namespace with the user's full ID mapping, shared by the capsule supervisor
// and nova-userns-exec. An unprivileged process cannot write a multi-range uid_map for itself:
// the setuid newuidmap/newgidmap (Debian uidmap, Arch shadow) write it from outside, checked
// against /etc/subuid and /etc/subgid. So a helper child stays outside, waits until we have
// unshared, maps us, and exits; then we become root (the user) inside.
#ifndef NOVA_USERNS_H
#define NOVA_USERNS_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// static inline: several files of one program include this, each using a part of it.
struct userns_map {
  const char *newuidmap, *newgidmap;
  const char *uid_map, *gid_map; // "0:1000:1,1:100000:65536" (inside:outside:count, …)
  int unshared_fd;                // > 0: one byte is written here once the namespaces exist (before the maps)
};

// Runs `tool PID a b c …` for a map like "a:b:c,…"; returns its exit status (-1: not run).
static inline int userns_run_map(const char *tool, pid_t pid, const char *map) {
  char buf[1024], pid_text[16], *argv[64];
  int n = 0;
  snprintf(buf, sizeof buf, "%s", map);
  snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
  argv[n++] = (char *)tool;
  argv[n++] = pid_text;
  for (char *tok = strtok(buf, ":,"); tok && n < 62; tok = strtok(NULL, ":,")) argv[n++] = tok;
  argv[n] = NULL;
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    execv(tool, argv);
    _exit(127);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// unshare(CLONE_NEWUSER | extra), mapped by a helper child, then uid/gid 0 inside.
// On failure returns -1 with the reason in err.
static inline int userns_enter(const struct userns_map *m, int extra_flags, char *err, size_t err_len) {
  int go[2], done[2];
  if (pipe(go) < 0 || pipe(done) < 0) return snprintf(err, err_len, "pipe: %s", strerror(errno)), -1;
  pid_t parent = getpid();
  pid_t helper = fork();
  if (helper < 0) return snprintf(err, err_len, "fork: %s", strerror(errno)), -1;
  if (helper == 0) {
    char b;
    close(go[1]);
    close(done[0]);
    unsigned char result = 1;
    if (read(go[0], &b, 1) == 1) {
      int u = userns_run_map(m->newuidmap, parent, m->uid_map);
      int g = u == 0 ? userns_run_map(m->newgidmap, parent, m->gid_map) : -1;
      result = u == 0 && g == 0 ? 0 : u != 0 ? 2 : 3;
    }
    if (write(done[1], &result, 1) < 0) _exit(1);
    _exit(0);
  }
  close(go[0]);
  close(done[1]);
  int unshared = unshare(CLONE_NEWUSER | extra_flags);
  int unshare_errno = errno;
  unsigned char result = 1;
  if (unshared == 0 && write(go[1], "x", 1) == 1) {
    // The namespaces exist: who waits for them (the capsule's pasta) goes on while the maps are written.
    if (m->unshared_fd > 0 && write(m->unshared_fd, "x", 1) < 0) { /* no one waits any more (it reports its own end) */ }
    if (read(done[0], &result, 1) != 1) result = 1;
  }
  close(go[1]);
  close(done[0]);
  int status;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (unshared < 0) return snprintf(err, err_len, "cannot create a user namespace: %s", strerror(unshare_errno)), -1;
  if (result == 2) return snprintf(err, err_len, "%s failed to map uids %s (check /etc/subuid)", m->newuidmap, m->uid_map), -1;
  if (result == 3) return snprintf(err, err_len, "%s failed to map gids %s (check /etc/subgid)", m->newgidmap, m->gid_map), -1;
  if (result != 0) return snprintf(err, err_len, "the uid/gid mapping helper failed"), -1;
  if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0) {
    return snprintf(err, err_len, "cannot become root in the user namespace: %s", strerror(errno)), -1;
  }
  return 0;
}

// Joins the user namespace of `pid` (the user's namespace holder, see nova-userns-exec --hold)
// when it is still the one whose inode is `ino` (pids get reused), then uid/gid 0 inside: no
// newuidmap/newgidmap exec. Needs no privilege: the namespace is the user's own.
static inline int userns_join(pid_t pid, unsigned long long ino, char *err, size_t err_len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return snprintf(err, err_len, "the user namespace holder %d is gone", (int)pid), -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || (unsigned long long)st.st_ino != ino) {
    close(fd);
    return snprintf(err, err_len, "pid %d is no longer the user namespace holder", (int)pid), -1;
  }
  int r = setns(fd, CLONE_NEWUSER);
  int e = errno;
  close(fd);
  if (r < 0) return snprintf(err, err_len, "cannot join the user namespace of the holder %d: %s", (int)pid, strerror(e)), -1;
  if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0) {
    return snprintf(err, err_len, "cannot become root in the user namespace: %s", strerror(errno)), -1;
  }
  return 0;
}
#endif
