// nova-capsule-supervisor: the capsule's namespaces and mounts. A private mount namespace (slave
// of the host's) where the overlay root is mounted, so the mount vanishes with the capsule; for an
// ordinary user inside a user namespace (the holder's, joined, or one mapped here: userns.h) and,
// with --netns, a network namespace held for the capsule (capsule-net.h).
#define _GNU_SOURCE
#include "capsule-supervisor.h"
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

// An ordinary user's capsule: the user's namespace holder's user namespace when it can be
// joined, else one mapped here; with the mount (and network) namespace created at the same time.
static int enter_user_namespaces(void) {
  char err[512];
  int joined = 0;
  if (opt.join_pid > 0) {
    if (userns_join(opt.join_pid, opt.join_ino, err, sizeof err) == 0) joined = 1;
    else log_note("nova: %s; mapping a user namespace of its own", err);
  }
  if (joined) {
    if (unshare(CLONE_NEWNS | (opt.net.enabled ? CLONE_NEWNET : 0)) < 0) {
      log_note("nova: cannot create the capsule's namespaces: %s", strerror(errno));
      return -1;
    }
    // pasta sets up while the root is mounted and the runtime creates the container.
    if (opt.net.pasta_len && net_release(&opt.net, err, sizeof err) < 0) {
      log_note("nova: %s", err);
      return -1;
    }
    return 0;
  }
  // pasta may join as soon as the namespaces are mapped (capsule-net.h).
  if (opt.net.pasta_len && opt.net.go_fd > 0) opt.userns.unshared_fd = opt.net.go_fd;
  if (userns_enter(&opt.userns, CLONE_NEWNS | (opt.net.enabled ? CLONE_NEWNET : 0), err, sizeof err) < 0) {
    log_note("nova: %s", err);
    return -1;
  }
  if (opt.userns.unshared_fd > 0) {
    close(opt.net.go_fd); // released by the mapping helper
    opt.net.go_fd = -1;
  }
  return 0;
}

// crun 1.8 refuses hybrid hosts whose v2 tree lists controllers (RECIPES.md). A user namespace
// cannot unmount what the host mounted, but it can cover it with an empty tmpfs.
static int hide_unified_cgroup(void) {
  if (opt.hide_unified && opt.userns.uid_map) {
    if (mount("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555") < 0) {
      log_note("nova: cannot cover /sys/fs/cgroup/unified: %s", strerror(errno));
      return -1;
    }
  } else if (opt.hide_unified && umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    log_note("nova: cannot hide /sys/fs/cgroup/unified: %s", strerror(errno));
    return -1;
  }
  return 0;
}

// Private mount namespace, slave of the host's: host mounts still show up here, ours stay here.
// For an ordinary user it belongs to a user namespace entered at the same time.
int setup_mounts(void) {
  if (opt.userns.uid_map) {
    if (enter_user_namespaces() < 0) return -1;
  } else if (unshare(CLONE_NEWNS) < 0) {
    log_note("nova: cannot create a private mount namespace: %s", strerror(errno));
    return -1;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
    log_note("nova: cannot make the mount namespace private: %s", strerror(errno));
    return -1;
  }
  if (hide_unified_cgroup() < 0) return -1;
  if (!opt.lower) return 0;
  char data[3 * PATH_MAX + 64], target[PATH_MAX];
  // In a user namespace overlayfs cannot write its trusted.overlay.* marks (opaque dirs, redirects):
  // userxattr keeps them in user.overlay.* instead.
  snprintf(data, sizeof data, "%slowerdir=%s,upperdir=%s,workdir=%s", opt.userns.uid_map ? "userxattr," : "", opt.lower, opt.upper, opt.work);
  snprintf(target, sizeof target, "%s/rootfs", opt.bundle);
  if (mount("overlay", target, "overlay", 0, data) < 0) {
    log_note("nova: cannot mount the overlay root: %s", strerror(errno));
    return -1;
  }
  return 0;
}
