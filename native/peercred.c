// nova-peercred: prints who is on the other end of a unix socket. Node has no SO_PEERCRED, so
// `nova privd` hands each accepted connection to this helper as fd 3 and reads one line:
//   "<uid> <gid> <pid>\n"
// The kernel fills these in at connect(); nothing the client sends is involved. Exit 1 with a
// reason on stderr when fd 3 is not a connected unix socket.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    fprintf(stderr, "nova-peercred: SO_PEERCRED on fd 3: %s\n", strerror(errno));
    return 1;
  }
  if (cred.pid <= 0) {
    fprintf(stderr, "nova-peercred: the peer has no pid (socket not connected?)\n");
    return 1;
  }
  printf("%u %u %d\n", (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid);
  return 0;
}
