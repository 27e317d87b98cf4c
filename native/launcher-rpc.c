// nova launcher: one call to the running engine — the token of <runtime>/api.token, POST /rpc on
// <runtime>/api.sock (src/server/local-socket.ts), the whole reply read (bounded) and its body.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launcher.h"

int read_token(const char *runtime, char *tok, size_t n) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/api.token", runtime);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  ssize_t r = read(fd, tok, n - 1);
  close(fd);
  if (r <= 0) return 0;
  tok[r] = 0;
  while (r > 0 && (tok[r - 1] == '\n' || tok[r - 1] == ' ' || tok[r - 1] == '\r' || tok[r - 1] == '\t')) tok[--r] = 0;
  if (r == 0 || (size_t)r == n - 1) return 0;
  for (ssize_t i = 0; i < r; i++)
    if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f) return 0; // not a header value we should send
  return 1;
}

/** Connected to <runtime>/api.sock, or -1 (no engine: fall back). */
int connect_engine(const char *runtime) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/api.sock", runtime) >= sizeof sa.sun_path) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    // A full backlog: wait for it to take us, but not forever (nothing was sent yet).
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof err;
    if (errno != EAGAIN && errno != EINPROGRESS) goto fail;
    if (poll(&p, 1, 10000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) goto fail;
  }
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
fail:
  close(fd);
  return -1;
}

static char reply[MAX_REPLY + 1];

/** The HTTP body of the reply (de-chunked), or NULL when it is not a complete 200 answer. */
char *http_body(size_t total, size_t *blen) {
  reply[total] = 0;
  if (strncmp(reply, "HTTP/1.1 200 ", 13) && strncmp(reply, "HTTP/1.0 200 ", 13)) return NULL;
  char *hend = strstr(reply, "\r\n\r\n");
  if (!hend) return NULL;
  *hend = 0;
  char *body = hend + 4;
  size_t have = total - (size_t)(body - reply);
  long clen = -1;
  int chunked = 0;
  for (char *line = strstr(reply, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
    char *h = line + 2;
    if (!strncasecmp(h, "content-length:", 15)) clen = strtol(h + 15, NULL, 10);
    else if (!strncasecmp(h, "transfer-encoding:", 18) && strcasestr(h + 18, "chunked")) chunked = 1;
  }
  if (chunked) {
    char *r = body, *w = body, *end = body + have;
    for (;;) {
      char *eol = memmem(r, (size_t)(end - r), "\r\n", 2);
      if (!eol) return NULL;
      errno = 0;
      unsigned long n = strtoul(r, NULL, 16);
      if (errno || n > (unsigned long)(end - eol)) return NULL;
      r = eol + 2;
      if (n == 0) break;
      if ((size_t)(end - r) < n + 2) return NULL;
      memmove(w, r, n);
      w += n;
      r += n + 2;
    }
    *blen = (size_t)(w - body);
  } else {
    if (clen < 0 || (size_t)clen != have) return NULL;
    *blen = have;
  }
  return body;
}

/** Sends the call and reads the whole reply; the reply's length, or -1 (then nothing is known to have run). */
long exchange(int fd, const char *token, const char *body) {
  char req[8192];
  int n = snprintf(req, sizeof req,
                   "POST /rpc HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   token, strlen(body), body);
  if (n < 0 || (size_t)n >= sizeof req) return -1;
  for (size_t off = 0; off < (size_t)n;) {
    ssize_t w = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  explicit_bzero(req, sizeof req);
  // The engine answers when the work is done (a start can take seconds, a stop its grace period):
  // wait for it like the Node CLI waits for its in-process engine.
  size_t got = 0;
  for (;;) {
    if (got == MAX_REPLY) return -1;
    ssize_t r = read(fd, reply + got, MAX_REPLY - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  return (long)got;
}
