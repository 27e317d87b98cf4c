// nova-capsule-supervisor: the capsule's log, logs/console.log. The capsule's stdout and stderr
// (the runtime's pipes) and Nova's own notes become timestamped lines; the file is rotated to
// console.log.1 past --log-max bytes.
#define _GNU_SOURCE
#include "capsule-supervisor.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static off_t log_size;
static char log_path[PATH_MAX];

static void log_reopen(void) {
  log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  log_size = log_fd >= 0 && fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

void log_open(const char *path) {
  snprintf(log_path, sizeof log_path, "%s", path);
  log_reopen();
}

void log_close(void) {
  if (log_fd >= 0) close(log_fd);
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
    log_reopen();
  }
}

// Nova's own notes go to the capsule's log as stderr lines ("nova: …").
void log_note(const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  log_line("stderr", text, n < 0 ? 0 : (size_t)n >= sizeof text ? sizeof text - 1 : (size_t)n);
}

// Reads what is there; emits whole lines, or the buffer when a line outgrows it. EOF closes.
void stream_pump(struct stream *s) {
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
