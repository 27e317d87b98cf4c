// The native `nova` launcher's parts (native/launcher*.c; see native/launcher.c for what it does).
#ifndef NOVA_LAUNCHER_H
#define NOVA_LAUNCHER_H
#include <stddef.h>

#define MAX_REPLY (1024 * 1024)

// launcher-paths.c: the runtime folder (src/core/sys/paths.ts resolvePaths) and the Node fallback.
extern char **g_argv;
int env_set(const char *name);
void runtime_dir(char *out, size_t n);
/** Execs Node on the full CLI with the same argv (bin/nova.mjs or resources/cli/nova.mjs); never returns. */
void fallback(void) __attribute__((noreturn));

// launcher-rpc.c: the token, the socket and the HTTP exchange with the engine.
int read_token(const char *runtime, char *tok, size_t n);
int connect_engine(const char *runtime);
/** Sends the call and reads the whole reply (at most MAX_REPLY bytes); its length, or -1. */
long exchange(int fd, const char *token, const char *body);
/** The HTTP body of the reply just read (de-chunked), or NULL when it is not a complete 200 answer. */
char *http_body(size_t total, size_t *blen);

// launcher-output.c: the Node CLI's lines (src/cli/terminal.ts neutralize, src/cli/output.ts printError).
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void emit_text(const char *s, size_t len);
void flush_to(int fd);
struct json_object;
/** printError of a JSON-RPC error object's data; the exit code, or -1 when it is not Nova's shape. */
int print_error(struct json_object *error);
/** `vm stop`'s text for a stoppedBy value (vm-format.ts STOPPED_BY); unknown values as they are. */
const char *stopped_by_text(const char *key);

#endif
