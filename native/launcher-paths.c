// nova launcher: the runtime folder, resolved like src/core/sys/paths.ts resolvePaths (runtime only;
// launcher.test.ts compares both), and the fallback that execs Node on the full CLI.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

extern char **environ;
char **g_argv;

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

void fallback(void) {
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

int env_set(const char *name) {
  const char *v = getenv(name);
  return v && *v;
}

void runtime_dir(char *out, size_t n) {
  char joined[PATH_MAX * 2];
  if (env_set("NOVA_HOME")) {
    snprintf(joined, sizeof joined, "%s/run", getenv("NOVA_HOME"));
    normalize(joined, out, n);
  } else if (getuid() == 0 && !env_set("XDG_CONFIG_HOME") && !env_set("XDG_DATA_HOME") && !env_set("XDG_RUNTIME_DIR")) {
    snprintf(out, n, "/run/nova");
  } else if (env_set("XDG_RUNTIME_DIR")) {
    snprintf(joined, sizeof joined, "%s/nova", getenv("XDG_RUNTIME_DIR"));
    normalize(joined, out, n);
  } else {
    snprintf(out, n, "/tmp/nova-%u", (unsigned)getuid());
  }
}
