// nova launcher: what the Node CLI prints — text shown as src/cli/terminal.ts neutralize shows it
// (control characters made visible) and an engine error as src/cli/output.ts printError prints it.
#define _GNU_SOURCE
#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

static size_t outlen;
static char outbuf[4 * MAX_REPLY];

void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(outbuf + outlen, sizeof outbuf - outlen, fmt, ap);
  va_end(ap);
  if (n > 0) outlen = outlen + (size_t)n < sizeof outbuf ? outlen + (size_t)n : sizeof outbuf - 1;
}

/** Appends text as writeOut/writeErr show it: C0 but \t \n, DEL, C1 as \xNN; U+2028/9, bidi controls as \uNNNN. */
void emit_text(const char *s, size_t len) {
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

void flush_to(int fd) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t w = write(fd, outbuf + off, outlen - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  outlen = 0;
}

static const char *ERROR_CODES[] = {"NOT_FOUND", "INVALID_INPUT", "CONFLICT", "PERMISSION", "HOST_UNSUPPORTED", "TIMEOUT", "CANCELLED", "INTERNAL"};

/** The member's value (NULL for a JSON null or when absent; NULL object: absent). */
static json_object *get(json_object *obj, const char *key) {
  json_object *v = NULL;
  return json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

static const char *str(json_object *v) {
  return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/** "  file:line:column: message" of each NovaFile error, `${x}` of a string or number, else undefined. */
static void emit_errors(json_object *errors) {
  static const char *parts[4] = {"file", "line", "column", "message"};
  size_t n = json_object_array_length(errors);
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(errors, i);
    emit("  ");
    for (int k = 0; k < 4; k++) {
      json_object *v = get(e, parts[k]);
      if (json_object_is_type(v, json_type_string)) emit_text(json_object_get_string(v), (size_t)json_object_get_string_len(v));
      else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) emit_text(json_object_get_string(v), strlen(json_object_get_string(v)));
      else emit("undefined");
      emit(k < 2 ? ":" : k == 2 ? ": " : "\n");
    }
  }
}

int print_error(json_object *error) {
  json_object *data = get(error, "data"), *mnode = get(data, "message"), *details = NULL;
  const char *code = str(get(data, "code")), *message = str(mnode);
  if (!code || !message) return -1;
  int known = 0;
  for (size_t i = 0; i < sizeof ERROR_CODES / sizeof *ERROR_CODES; i++) known |= !strcmp(code, ERROR_CODES[i]);
  if (!known) return -1;
  size_t mlen = (size_t)json_object_get_string_len(mnode);
  int has_details = json_object_object_get_ex(data, "details", &details); // a JSON null counts as given
  const char *fix = str(get(details, "fix"));
  json_object *errors = get(details, "errors");
  emit("nova: %s: ", code);
  emit_text(message, mlen);
  emit("\n");
  if (fix && *fix) {
    emit("  fix: ");
    emit_text(fix, strlen(fix));
    emit("\n");
  }
  if (json_object_is_type(errors, json_type_array) && !memchr(message, '\n', mlen)) emit_errors(errors);
  flush_to(2);
  return !strcmp(code, "INVALID_INPUT") && !has_details ? 2 : 1;
}

// How `nova vm stop` says the VM went down: STOPPED_BY in src/cli/commands/vm-format.ts
// (launcher.test.ts sends every key of it through here and compares).
static const char *STOPPED_BY[][2] = {
    {"guest-agent", "shut down by its guest agent"},
    {"acpi", "powered off after the ACPI power button"},
    {"quit", "QEMU quit (the guest did not power off in time)"},
    {"kill", "QEMU killed"},
    {"not-running", "was not running"},
};

const char *stopped_by_text(const char *key) {
  if (!key) return NULL;
  for (size_t i = 0; i < sizeof STOPPED_BY / sizeof *STOPPED_BY; i++)
    if (!strcmp(key, STOPPED_BY[i][0])) return STOPPED_BY[i][1];
  return key; // a value this table does not know is printed as it came, like the Node CLI
}
