// nova-pty: runs one command on a new pseudo-terminal for an engine that has no terminal of its
// own (the app's and the browser's xterm.js). Node has no pty API; this helper is the whole of it.
//
//   nova-pty COLS ROWS -- ARGV...
//
// fd 0 (pipe)  -> the terminal's input
// fd 1 (pipe)  <- the terminal's output
// fd 3 (pipe)  -> control lines "COLS ROWS\n": a resize (the kernel signals SIGWINCH to the command)
// exit status: the command's exit code, or 128 + signal.
// SIGTERM/SIGHUP to the helper hang up the terminal: the command gets SIGHUP as on a closed window.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hangup = 0;
static void on_hangup(int sig) { (void)sig; hangup = 1; }

static int parse_size(const char *s, unsigned short *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || v < 1 || v > 1000) return -1;
  *out = (unsigned short)v;
  return 0;
}

static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= w;
  }
  return 0;
}

// Applies every complete "COLS ROWS" line in the control buffer.
static void apply_control(int master, char *buf, size_t *len) {
  char *nl;
  while ((nl = memchr(buf, '\n', *len)) != NULL) {
    *nl = '\0';
    unsigned cols, rows;
    if (sscanf(buf, "%u %u", &cols, &rows) == 2 && cols > 0 && rows > 0 && cols <= 1000 && rows <= 1000) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    size_t used = (size_t)(nl - buf) + 1;
    memmove(buf, nl + 1, *len - used);
    *len -= used;
  }
  if (*len >= 64) *len = 0; // a line that long is not a size: drop it
}

static int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int main(int argc, char **argv) {
  struct winsize ws = {0};
  if (argc < 5 || strcmp(argv[3], "--") != 0 || parse_size(argv[1], &ws.ws_col) || parse_size(argv[2], &ws.ws_row)) {
    fprintf(stderr, "usage: nova-pty COLS ROWS -- ARGV...\n");
    return 2;
  }
  int master;
  pid_t pid = forkpty(&master, NULL, NULL, &ws);
  if (pid < 0) {
    perror("nova-pty: forkpty");
    return 1;
  }
  if (pid == 0) {
    close(3);
    execvp(argv[4], &argv[4]);
    fprintf(stderr, "nova-pty: cannot run %s: %s\r\n", argv[4], strerror(errno));
    _exit(127);
  }
  struct sigaction sa = {.sa_handler = on_hangup};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int control = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  int input = 0;
  char buf[16384], ctl[64];
  size_t ctl_len = 0;
  for (;;) {
    if (hangup) {
      kill(-pid, SIGHUP); // the command's process group, as the kernel does on a terminal hangup
      kill(pid, SIGHUP);
      hangup = 0;
    }
    struct pollfd fds[3] = {{.fd = master, .events = POLLIN}, {.fd = input, .events = POLLIN}, {.fd = control, .events = POLLIN}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0 && !(n < 0 && errno == EINTR)) break; // EIO: every holder of the terminal is gone
      if (n > 0 && write_all(1, buf, n) < 0) break;
    }
    if (input >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(input, buf, sizeof buf);
      if (n > 0) write_all(master, buf, n);
      else if (n == 0 || errno != EINTR) input = -1; // the engine stopped writing: keep showing output
    }
    if (control >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(control, ctl + ctl_len, sizeof ctl - ctl_len);
      if (n > 0) {
        ctl_len += (size_t)n;
        apply_control(master, ctl, &ctl_len);
      } else if (n == 0 || errno != EINTR) {
        control = -1;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_status(status);
}
