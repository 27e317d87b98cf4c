// nova (native launcher): the `nova` a user runs. For the hot lifecycle verbs —
//   nova capsule|container start|stop|restart NAME [-t|--timeout S]
//   nova start|stop|restart container|capsule NAME [-t|--timeout S]
//   nova vm start NAME, nova start vm NAME
//   nova vm stop NAME [--force] [--timeout S], nova stop vm NAME …
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
// Files: this one (argv, the request, the reply), launcher-paths.c (runtime folder, Node fallback),
// launcher-rpc.c (token, socket, HTTP), launcher-output.c (printed text); JSON is json-c's.
#define _GNU_SOURCE
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define MAX_DEPTH 64

// ---- the command line ---------------------------------------------------------------------------

typedef struct {
  const char *method; // capsule.start …
  const char *done;   // "started capsule" …; NULL: the VM's "NAME: STATE — …" line
  const char *name;
  long timeout;       // capsules: seconds; vm.stop: sent as timeoutMs; -1: not sent
  int vm_stop;        // vm.stop: sends "force", prints why the VM went down (stoppedBy)
  int force;
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
  else if (vm && !strcmp(verb, "stop")) f->method = "vm.stop", f->vm_stop = 1;
  else return 0;
  // Capsule stop/restart take -t/--timeout (default 10 s, always sent); `vm stop` --timeout and --force, as
  // src/cli/commands/vm-runtime.ts defines them (no -t; nothing sent unless given).
  int timed = f->timeout >= 0 || f->vm_stop;
  for (int i = 3; i < argc; i++) {
    const char *x = argv[i];
    if (f->vm_stop && !strcmp(x, "--force")) {
      f->force = 1;
    } else if (timed && (!strcmp(x, "--timeout") || (capsule && !strcmp(x, "-t")))) {
      if (i + 1 >= argc || (f->timeout = seconds(argv[++i])) < 0) return 0;
    } else if (timed && !strncmp(x, "--timeout=", 10)) {
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

/** The JSON-RPC request: {"jsonrpc":"2.0","id":1,"method":…,"params":{"name":…[,"timeout":…]}}. */
static const char *request(const fastcmd *f, json_object **req) {
  json_object *params = json_object_new_object();
  *req = json_object_new_object();
  if (!params || !*req) return NULL;
  json_object_object_add(*req, "jsonrpc", json_object_new_string("2.0"));
  json_object_object_add(*req, "id", json_object_new_int(1));
  json_object_object_add(*req, "method", json_object_new_string(f->method));
  json_object_object_add(params, "name", json_object_new_string(f->name));
  if (f->vm_stop) {
    json_object_object_add(params, "force", json_object_new_boolean(f->force));
    if (f->timeout >= 0) json_object_object_add(params, "timeoutMs", json_object_new_int64(f->timeout * 1000));
  } else if (f->timeout >= 0) {
    json_object_object_add(params, "timeout", json_object_new_int64(f->timeout));
  }
  json_object_object_add(*req, "params", params);
  return json_object_to_json_string_ext(*req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/** The reply's body as one JSON object (nothing but whitespace after it), or NULL. */
static json_object *parse_reply(const char *body, size_t blen) {
  json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
  if (!tok || blen > INT_MAX) return NULL;
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  json_object *root = json_tokener_parse_ex(tok, body, (int)blen);
  int whole = root && json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == blen;
  json_tokener_free(tok);
  if (whole && json_object_is_type(root, json_type_object)) return root;
  json_object_put(root);
  return NULL;
}

static const char *member_str(json_object *obj, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/** The Node CLI's line for a result: "started capsule NAME" …, vmPrinters().state: "NAME: STATE — REASON",
 *  or `vm stop`'s "NAME: STATE — how it went down" (vm-runtime.ts, STOPPED_BY in vm-format.ts). */
static void print_result(const fastcmd *f, json_object *result) {
  const char *name = member_str(result, "name");
  if (!name) name = f->name;
  if (f->done) {
    emit("%s ", f->done);
    emit_text(name, strlen(name));
  } else {
    const char *state = member_str(result, "state");
    const char *reason = f->vm_stop ? stopped_by_text(member_str(result, "stoppedBy")) : member_str(result, "reason");
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
}

/** Sends the call; the reply's JSON object, or NULL when nothing is known to have run (fall back). */
static json_object *call(const fastcmd *f) {
  char runtime[PATH_MAX], token[512];
  runtime_dir(runtime, sizeof runtime);
  if (!read_token(runtime, token, sizeof token)) return NULL;
  int fd = connect_engine(runtime);
  json_object *req = NULL;
  const char *body = fd < 0 ? NULL : request(f, &req);
  long got = body ? exchange(fd, token, body) : -1;
  explicit_bzero(token, sizeof token);
  json_object_put(req);
  if (fd >= 0) close(fd);
  size_t blen;
  char *b = got < 0 ? NULL : http_body((size_t)got, &blen);
  return b ? parse_reply(b, blen) : NULL;
}

int main(int argc, char **argv) {
  g_argv = argv;
  if (argc == 2 && !strcmp(argv[1], "--launcher-runtime-dir")) {
    char runtime[PATH_MAX];
    runtime_dir(runtime, sizeof runtime);
    printf("%s\n", runtime);
    return 0;
  }
  fastcmd f;
  if (env_set("NOVA_NO_SOCKET") || env_set("NOVA_HOST") || !parse(argc, argv, &f)) fallback();
  json_object *root = call(&f), *result = NULL, *error = NULL;
  if (!root) fallback();
  if (json_object_object_get_ex(root, "result", &result) && json_object_is_type(result, json_type_object)) {
    print_result(&f, result);
    return 0;
  }
  if (json_object_object_get_ex(root, "error", &error)) {
    int code = print_error(error);
    if (code >= 0) return code;
  }
  fallback();
}
