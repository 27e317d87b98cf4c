// nova (native launcher): the `nova` a user runs. For the hot lifecycle verbs —
//   nova capsule|container start|stop|restart NAME [-t|--timeout S]
//   nova start|stop|restart container|capsule NAME [-t|--timeout S]
//   nova vm start NAME, nova start vm NAME
// in human mode, it sends ONE JSON-RPC call to the running engine of this user (`nova serve`,
// src/server/local-socket.ts) exactly as src/cli/fast.ts callLocal does — POST /rpc on
// <runtime>/api.sock with the token of <runtime>/api.token — and prints what the Node CLI prints:
// the same short line on success, printError's text and exit code on an error reply (the engine
// already tried: the command is never run a second time).
// Everything else — other commands, --json, --host/NOVA_HOST, NOVA_NO_SOCKET, options it does not
// parse, no token or socket, a refused connection, a non-200 or malformed reply — execs Node on
// the full CLI with the same argv, environment and file descriptors (bin/nova.mjs in a checkout,
// resources/cli/nova.mjs in the package), so the fallback is invisible.
// The runtime folder resolves like src/core/sys/paths.ts resolvePaths (launcher.test.ts compares
// both); `nova --launcher-runtime-dir` prints it (that test's hook).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REPLY (1024 * 1024)
#define MAX_NODES 65536
#define MAX_DEPTH 64

extern char **environ;
static char **g_argv;

// ---- fallback: exec Node on the full CLI -------------------------------------------------------

static int exists_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int find_node(char *out, size_t n) {
  const char *env = getenv("NOVA_NODE");
  if (env && *env) {
    snprintf(out, n, "%s", env);
    return 1;
  }
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t len = end ? (size_t)(end - path) : strlen(path);
    if (len == 0) snprintf(out, n, "./node");
    else snprintf(out, n, "%.*s/node", (int)len, path);
    if (access(out, X_OK) == 0 && exists_file(out)) return 1;
    if (!end) break;
    path = end + 1;
  }
  return 0;
}

static void fallback(void) {
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    fprintf(stderr, "nova: cannot find the launcher's own path (/proc/self/exe): %s\n", strerror(errno));
    exit(1);
  }
  self[len] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  // A checkout: out/native/nova → bin/nova.mjs. The package: resources/native/nova → resources/cli/nova.mjs.
  char candidate[PATH_MAX + 32], script[PATH_MAX];
  snprintf(candidate, sizeof candidate, "%s/../../bin/nova.mjs", self);
  if (!exists_file(candidate)) snprintf(candidate, sizeof candidate, "%s/../cli/nova.mjs", self);
  if (!exists_file(candidate) || !realpath(candidate, script)) {
    fprintf(stderr, "nova: the command line is missing beside %s (no ../../bin/nova.mjs or ../cli/nova.mjs)\n", self);
    exit(1);
  }
  char node[PATH_MAX];
  if (!find_node(node, sizeof node)) {
    fprintf(stderr, "nova: Node.js 20 or newer is needed for the command line (Arch: pacman -S nodejs; Debian/Ubuntu: apt install nodejs)\n");
    exit(127);
  }
  int argc = 0;
  while (g_argv[argc]) argc++;
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) exit(1);
  args[0] = node;
  args[1] = script;
  for (int i = 1; i < argc; i++) args[i + 1] = g_argv[i];
  execve(node, args, environ);
  fprintf(stderr, "nova: cannot run %s: %s\n", node, strerror(errno));
  exit(errno == ENOENT ? 127 : 126);
}

// ---- paths (src/core/sys/paths.ts resolvePaths, runtime only) ------------------------------------

/** Node's path.posix.normalize (normalizeString) of a non-empty path: join() normalizes the parts joined by "/". */
static void normalize(const char *in, char *out, size_t n) {
  int abs = in[0] == '/';
  size_t inlen = strlen(in);
  int trailing = inlen > 0 && in[inlen - 1] == '/';
  char *res = malloc(inlen * 2 + 4);
  if (!res) exit(1);
  size_t rl = 0, lastSeg = 0;
  const char *p = in;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *s = p;
    while (*p && *p != '/') p++;
    size_t len = (size_t)(p - s);
    if (len == 1 && s[0] == '.') continue;
    if (len == 2 && s[0] == '.' && s[1] == '.') {
      if (rl < 2 || lastSeg != 2 || res[rl - 1] != '.' || res[rl - 2] != '.') {
        if (rl > 2) {
          char *slash = memrchr(res, '/', rl);
          if (!slash) rl = lastSeg = 0;
          else {
            rl = (size_t)(slash - res);
            char *prev = memrchr(res, '/', rl);
            lastSeg = prev ? rl - 1 - (size_t)(prev - res) : rl;
          }
          continue;
        } else if (rl != 0) {
          rl = lastSeg = 0;
          continue;
        }
      }
      if (!abs) {
        if (rl) res[rl++] = '/';
        res[rl++] = '.', res[rl++] = '.';
        lastSeg = 2;
      }
      continue;
    }
    if (rl) res[rl++] = '/';
    memcpy(res + rl, s, len);
    rl += len;
    lastSeg = len;
  }
  res[rl] = 0;
  if (rl == 0) snprintf(out, n, "%s", abs ? "/" : trailing ? "./" : ".");
  else snprintf(out, n, "%s%s%s", abs ? "/" : "", res, trailing ? "/" : "");
  free(res);
}

static int set(const char *name) {
  const char *v = getenv(name);
  return v && *v;
}

static void runtime_dir(char *out, size_t n) {
  char joined[PATH_MAX * 2];
  if (set("NOVA_HOME")) {
    snprintf(joined, sizeof joined, "%s/run", getenv("NOVA_HOME"));
    normalize(joined, out, n);
  } else if (getuid() == 0 && !set("XDG_CONFIG_HOME") && !set("XDG_DATA_HOME") && !set("XDG_RUNTIME_DIR")) {
    snprintf(out, n, "/run/nova");
  } else if (set("XDG_RUNTIME_DIR")) {
    snprintf(joined, sizeof joined, "%s/nova", getenv("XDG_RUNTIME_DIR"));
    normalize(joined, out, n);
  } else {
    snprintf(out, n, "/tmp/nova-%u", (unsigned)getuid());
  }
}

// ---- a small JSON reader (bounded: the reply is at most MAX_REPLY bytes, MAX_DEPTH deep) ---------

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct {
  int type;
  const char *s; // J_STR: decoded UTF-8 (NUL-terminated); J_NUM: the literal; object keys too
  size_t len;
  int first, next; // children (arrays, objects), siblings
  const char *key; // for object members
} jnode;

static jnode nodes[MAX_NODES];
static int nnodes;
static const char *jp, *jend;

static void ws(void) {
  while (jp < jend && (*jp == ' ' || *jp == '\t' || *jp == '\n' || *jp == '\r')) jp++;
}

static void put_utf8(char **o, uint32_t c) {
  char *w = *o;
  if (c < 0x80) *w++ = (char)c;
  else if (c < 0x800) *w++ = (char)(0xc0 | c >> 6), *w++ = (char)(0x80 | (c & 0x3f));
  else if (c < 0x10000) *w++ = (char)(0xe0 | c >> 12), *w++ = (char)(0x80 | ((c >> 6) & 0x3f)), *w++ = (char)(0x80 | (c & 0x3f));
  else *w++ = (char)(0xf0 | c >> 18), *w++ = (char)(0x80 | ((c >> 12) & 0x3f)), *w++ = (char)(0x80 | ((c >> 6) & 0x3f)), *w++ = (char)(0x80 | (c & 0x3f));
  *o = w;
}

static int hex4(const char *p, uint32_t *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return 0;
    *v = *v << 4 | (uint32_t)d;
  }
  return 1;
}

/** A JSON string at jp (after the quote) decoded in place; lone surrogates become U+FFFD as Node writes them. */
static const char *jstring(size_t *len) {
  char *start = (char *)jp, *o = (char *)jp;
  while (jp < jend && *jp != '"') {
    unsigned char c = (unsigned char)*jp;
    if (c < 0x20) return NULL;
    if (c != '\\') {
      *o++ = *jp++;
      continue;
    }
    if (++jp >= jend) return NULL;
    char e = *jp++;
    switch (e) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        uint32_t u;
        if (jend - jp < 4 || !hex4(jp, &u)) return NULL;
        jp += 4;
        if (u >= 0xd800 && u <= 0xdbff && jend - jp >= 6 && jp[0] == '\\' && jp[1] == 'u') {
          uint32_t lo;
          if (hex4(jp + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
            jp += 6;
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
          }
        }
        if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
        // The escape is at least 6 bytes, its UTF-8 at most 4: decoding in place never overtakes jp.
        put_utf8(&o, u);
        break;
      }
      default: return NULL;
    }
  }
  if (jp >= jend) return NULL;
  jp++; // closing quote
  *len = (size_t)(o - start);
  *o = 0; // o <= the closing quote's place: safe
  return start;
}

static int jvalue(int depth);

static int jnew(int type) {
  if (nnodes >= MAX_NODES) return -1;
  jnode *n = &nodes[nnodes];
  memset(n, 0, sizeof *n);
  n->type = type;
  n->first = n->next = -1;
  return nnodes++;
}

static int jvalue(int depth) {
  if (depth > MAX_DEPTH) return -1;
  ws();
  if (jp >= jend) return -1;
  char c = *jp;
  if (c == '{' || c == '[') {
    int obj = c == '{';
    int id = jnew(obj ? J_OBJ : J_ARR);
    if (id < 0) return -1;
    jp++;
    ws();
    int last = -1;
    if (jp < jend && *jp == (obj ? '}' : ']')) {
      jp++;
      return id;
    }
    for (;;) {
      const char *key = NULL;
      if (obj) {
        ws();
        if (jp >= jend || *jp != '"') return -1;
        jp++;
        size_t kl;
        if (!(key = jstring(&kl))) return -1;
        ws();
        if (jp >= jend || *jp != ':') return -1;
        jp++;
      }
      int child = jvalue(depth + 1);
      if (child < 0) return -1;
      nodes[child].key = key;
      if (last < 0) nodes[id].first = child;
      else nodes[last].next = child;
      last = child;
      ws();
      if (jp >= jend) return -1;
      if (*jp == ',') {
        jp++;
        continue;
      }
      if (*jp == (obj ? '}' : ']')) {
        jp++;
        return id;
      }
      return -1;
    }
  }
  if (c == '"') {
    int id = jnew(J_STR);
    if (id < 0) return -1;
    jp++;
    if (!(nodes[id].s = jstring(&nodes[id].len))) return -1;
    return id;
  }
  static const struct { const char *lit; int type; } lits[] = {{"null", J_NULL}, {"true", J_BOOL}, {"false", J_BOOL}};
  for (size_t i = 0; i < 3; i++) {
    size_t l = strlen(lits[i].lit);
    if ((size_t)(jend - jp) >= l && memcmp(jp, lits[i].lit, l) == 0) {
      int id = jnew(lits[i].type);
      if (id < 0) return -1;
      nodes[id].s = lits[i].lit;
      jp += l;
      return id;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    const char *s = jp;
    while (jp < jend && strchr("+-0123456789.eE", *jp)) jp++;
    int id = jnew(J_NUM);
    if (id < 0) return -1;
    nodes[id].s = s;
    nodes[id].len = (size_t)(jp - s);
    return id;
  }
  return -1;
}

static int jget(int obj, const char *key) {
  if (obj < 0 || nodes[obj].type != J_OBJ) return -1;
  int found = -1;
  for (int c = nodes[obj].first; c >= 0; c = nodes[c].next)
    if (strcmp(nodes[c].key, key) == 0) found = c; // the last one wins, as in JSON.parse
  return found;
}

static const char *jstr(int n) {
  return n >= 0 && nodes[n].type == J_STR ? nodes[n].s : NULL;
}

// ---- output (src/cli/terminal.ts neutralize: control characters made visible) -------------------

static size_t outlen;
static char outbuf[4 * MAX_REPLY];

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(outbuf + outlen, sizeof outbuf - outlen, fmt, ap);
  va_end(ap);
  if (n > 0) outlen = outlen + (size_t)n < sizeof outbuf ? outlen + (size_t)n : sizeof outbuf - 1;
}

/** Appends text as writeOut/writeErr show it: C0 but \t \n, DEL, C1 as \xNN; U+2028/9, bidi controls as \uNNNN. */
static void emit_text(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    uint32_t c;
    int n;
    if (*p < 0x80) c = *p, n = 1;
    else if ((*p & 0xe0) == 0xc0 && end - p >= 2) c = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f), n = 2;
    else if ((*p & 0xf0) == 0xe0 && end - p >= 3) c = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f), n = 3;
    else if ((*p & 0xf8) == 0xf0 && end - p >= 4) c = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f), n = 4;
    else c = 0xfffd, n = 1;
    p += n;
    if ((c <= 0x08) || (c >= 0x0b && c <= 0x1f) || (c >= 0x7f && c <= 0x9f)) emit("\\x%02x", c);
    else if (c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) emit("\\u%04x", c);
    else if (c == 0xfffd && n == 1) emit("\xef\xbf\xbd");
    else emit("%.*s", n, (const char *)p - n);
  }
}

static void flush_to(int fd) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t w = write(fd, outbuf + off, outlen - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  outlen = 0;
}

// ---- the command line ---------------------------------------------------------------------------

typedef struct {
  const char *method; // capsule.start …
  const char *done;   // "started capsule" …; NULL: the VM's "NAME: STATE — reason" line
  const char *name;
  long timeout;       // -1: not sent
} fastcmd;

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 63) return 0;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return 0;
  for (size_t i = 1; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_')) return 0;
  return 1;
}

static long seconds(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 4) return -1;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return -1;
  return atol(s);
}

/** 1 when argv is one of the verbs handled here (see the top of the file). */
static int parse(int argc, char **argv, fastcmd *f) {
  if (argc < 4) return 0;
  const char *a = argv[1], *b = argv[2];
  const char *verb, *kind;
  int capsuleNoun = !strcmp(a, "capsule") || !strcmp(a, "container");
  if (capsuleNoun || !strcmp(a, "vm")) verb = b, kind = a;
  else verb = a, kind = b;
  int capsule = !strcmp(kind, "capsule") || !strcmp(kind, "container");
  int vm = !strcmp(kind, "vm");
  if (!capsule && !vm) return 0;
  memset(f, 0, sizeof *f);
  f->timeout = -1;
  if (capsule && !strcmp(verb, "start")) f->method = "capsule.start", f->done = "started capsule";
  else if (capsule && !strcmp(verb, "stop")) f->method = "capsule.stop", f->done = "stopped capsule", f->timeout = 10;
  else if (capsule && !strcmp(verb, "restart")) f->method = "capsule.restart", f->done = "restarted capsule", f->timeout = 10;
  else if (vm && !strcmp(verb, "start")) f->method = "vm.start";
  else return 0;
  for (int i = 3; i < argc; i++) {
    const char *x = argv[i];
    if (f->timeout >= 0 && (!strcmp(x, "-t") || !strcmp(x, "--timeout"))) {
      if (i + 1 >= argc || (f->timeout = seconds(argv[++i])) < 0) return 0;
    } else if (f->timeout >= 0 && !strncmp(x, "--timeout=", 10)) {
      if ((f->timeout = seconds(x + 10)) < 0) return 0;
    } else if (x[0] == '-' || f->name) {
      return 0; // --json, --host, -f, --help, --, a second name …: the full CLI
    } else {
      f->name = x;
    }
  }
  // An invalid name: the full CLI gives the contract's error.
  return f->name && valid_name(f->name);
}

// ---- the call ------------------------------------------------------------------------------------

static int read_token(const char *runtime, char *tok, size_t n) {
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
static int connect_engine(const char *runtime) {
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
static char *http_body(size_t total, size_t *blen) {
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
static long exchange(int fd, const char *token, const char *body) {
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

static const char *ERROR_CODES[] = {"NOT_FOUND", "INVALID_INPUT", "CONFLICT", "PERMISSION", "HOST_UNSUPPORTED", "TIMEOUT", "CANCELLED", "INTERNAL"};

/** printError (src/cli/output.ts) of error.data; the exit code, or -1 when the error is not Nova's shape. */
static int print_error(int error) {
  int data = jget(error, "data");
  const char *code = jstr(jget(data, "code"));
  int mnode = jget(data, "message");
  const char *message = jstr(mnode);
  if (!code || !message) return -1;
  int known = 0;
  for (size_t i = 0; i < sizeof ERROR_CODES / sizeof *ERROR_CODES; i++) known |= !strcmp(code, ERROR_CODES[i]);
  if (!known) return -1;
  int details = jget(data, "details");
  const char *fix = jstr(jget(details, "fix"));
  int errors = jget(details, "errors");
  emit("nova: %s: ", code);
  emit_text(message, nodes[mnode].len);
  emit("\n");
  if (fix && *fix) {
    emit("  fix: ");
    emit_text(fix, strlen(fix));
    emit("\n");
  }
  if (errors >= 0 && nodes[errors].type == J_ARR && !memchr(message, '\n', nodes[mnode].len)) {
    for (int i = nodes[errors].first; i >= 0; i = nodes[i].next) {
      const char *parts[4] = {"file", "line", "column", "message"};
      emit("  ");
      for (int k = 0; k < 4; k++) {
        int v = jget(i, parts[k]);
        if (v >= 0 && (nodes[v].type == J_STR || nodes[v].type == J_NUM)) emit_text(nodes[v].s, nodes[v].len);
        else emit("undefined");
        emit(k < 2 ? ":" : k == 2 ? ": " : "\n");
      }
    }
  }
  flush_to(2);
  return !strcmp(code, "INVALID_INPUT") && details < 0 ? 2 : 1;
}

int main(int argc, char **argv) {
  g_argv = argv;
  char runtime[PATH_MAX];
  if (argc == 2 && !strcmp(argv[1], "--launcher-runtime-dir")) {
    runtime_dir(runtime, sizeof runtime);
    printf("%s\n", runtime);
    return 0;
  }
  fastcmd f;
  if (set("NOVA_NO_SOCKET") || set("NOVA_HOST") || !parse(argc, argv, &f)) fallback();
  runtime_dir(runtime, sizeof runtime);
  char token[512];
  if (!read_token(runtime, token, sizeof token)) fallback();
  int fd = connect_engine(runtime);
  if (fd < 0) {
    explicit_bzero(token, sizeof token);
    fallback();
  }
  char body[256];
  if (f.timeout >= 0) snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"name\":\"%s\",\"timeout\":%ld}}", f.method, f.name, f.timeout);
  else snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"name\":\"%s\"}}", f.method, f.name);
  long got = exchange(fd, token, body);
  explicit_bzero(token, sizeof token);
  close(fd);
  if (got < 0) fallback();
  size_t blen;
  char *b = http_body((size_t)got, &blen);
  if (!b) fallback();
  jp = b;
  jend = b + blen;
  int root = jvalue(0);
  ws();
  if (root < 0 || jp != jend || nodes[root].type != J_OBJ) fallback();
  int result = jget(root, "result"), error = jget(root, "error");
  if (result >= 0 && nodes[result].type == J_OBJ) {
    const char *name = jstr(jget(result, "name"));
    if (!name) name = f.name;
    if (f.done) {
      emit("%s ", f.done);
      emit_text(name, strlen(name));
    } else {
      // vmPrinters().state: "NAME: STATE" and " — REASON" when there is one.
      const char *state = jstr(jget(result, "state")), *reason = jstr(jget(result, "reason"));
      emit_text(name, strlen(name));
      emit(": ");
      if (state) emit_text(state, strlen(state));
      else emit("undefined");
      if (reason && *reason) {
        emit(" \xe2\x80\x94 ");
        emit_text(reason, strlen(reason));
      }
    }
    emit("\n");
    flush_to(1);
    return 0;
  }
  if (error >= 0) {
    int code = print_error(error);
    if (code >= 0) return code;
  }
  fallback();
}
