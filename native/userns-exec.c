// nova-userns-exec: runs one command as root inside a fresh user namespace with the calling
// user's mapping (0 = the user, 1… = their subordinate ids): what `podman unshare` is to podman.
// The engine of an ordinary user runs through it what must act on files owned by a capsule's
// subordinate ids: image unpacks (owners remapped), snapshot tars, removals.
//   nova-userns-exec --newuidmap P --newgidmap P --uid-map 0:1000:1,1:100000:65536 --gid-map … -- CMD ARGS
#include "userns.h"
#include <getopt.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  static struct option longs[] = {{"newuidmap", 1, 0, 'u'}, {"newgidmap", 1, 0, 'g'}, {"uid-map", 1, 0, 'U'}, {"gid-map", 1, 0, 'G'}, {0, 0, 0, 0}};
  struct userns_map m = {0};
  int c;
  while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
    switch (c) {
      case 'u': m.newuidmap = optarg; break;
      case 'g': m.newgidmap = optarg; break;
      case 'U': m.uid_map = optarg; break;
      case 'G': m.gid_map = optarg; break;
      default: return 2;
    }
  }
  if (!m.newuidmap || !m.newgidmap || !m.uid_map || !m.gid_map || optind >= argc) {
    fprintf(stderr, "usage: %s --newuidmap P --newgidmap P --uid-map MAP --gid-map MAP -- CMD [ARGS]\n", argv[0]);
    return 2;
  }
  char err[512];
  if (userns_enter(&m, 0, err, sizeof err) < 0) {
    fprintf(stderr, "nova-userns-exec: %s\n", err);
    return 125;
  }
  execvp(argv[optind], argv + optind);
  fprintf(stderr, "nova-userns-exec: cannot run %s: %s\n", argv[optind], strerror(errno));
  return 127;
}
