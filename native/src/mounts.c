/* mounts.c: the filesystem a job sees. Private propagation, a fresh /proc with its kernel knobs
 * read-only, a fresh read-only /sys, a minimal /dev, private /tmp and /dev/shm, and masked paths. */
#define _GNU_SOURCE
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* The /proc entries that change the host, not the namespace: bound onto themselves read-only, as
 * bubblewrap and runc do. Missing ones (a kernel without sysrq) are skipped. */
static const char *const proc_read_only[] = {
	"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
};

/* What runc masks by default: kernel memory, the kernel's keyrings and timers, hardware details and
 * firmware tables, energy counters (a side channel). Directories get an empty read-only tmpfs,
 * files /dev/null. /sys/fs/cgroup is an empty directory of the fresh sysfs already; masking it too
 * keeps it that way should /sys ever be bound from the host instead. */
static const char *const default_masks[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/fs/cgroup", "/sys/devices/virtual/powercap",
};

/* The device nodes a job gets, bound from the host's /dev (each skipped if the host has none):
 * what bubblewrap's --dev gives. No disks, no terminals, no /dev/mem: the host's /dev is covered. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const char *const dev_links[][2] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static void bind_read_only(const char *path)
{
	if (mount(path, path, NULL, MS_BIND, NULL) < 0) {
		if (errno == ENOENT)
			return;
		fail(STEP_MOUNT_PROC_RO, path);
	}
	/* A bind remount sets the mount's flags to exactly these, so keep proc's nosuid,nodev,noexec. */
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL) < 0)
		fail(STEP_MOUNT_PROC_RO, path);
}

static void mount_tmpfs(const char *path, unsigned long long size, enum step step)
{
	char data[64];

	snprintf(data, sizeof data, "mode=1777,size=%llu", size);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		fail(step, path);
}

/* A fresh sysfs over the host's /sys and everything mounted under it (cgroups, debugfs, securityfs,
 * bpf), read-only; its network devices are those of the job's network namespace. */
static void setup_sys(void)
{
	const unsigned long flags = MS_RDONLY | NOSUID_NODEV_NOEXEC;

	if (mount("sysfs", "/sys", "sysfs", flags, NULL) == 0)
		return;
	/* EBUSY: the host network's sysfs is the host's own superblock, which the kernel will not mount
	 * again right on top of itself. On top of an empty tmpfs it will (read-only, as a mount). */
	if (errno != EBUSY || mount("tmpfs", "/sys", "tmpfs", flags, "size=4k") < 0 ||
	    mount("sysfs", "/sys", "sysfs", flags, NULL) < 0)
		fail(STEP_MOUNT_SYS, "/sys");
}

/* A tmpfs on /dev with a few of the host's nodes bound in, then made read-only. The host's nodes
 * are opened (O_PATH) before the tmpfs covers them and bound from /proc/self/fd. */
static void setup_dev(void)
{
	enum { NODES = sizeof dev_nodes / sizeof dev_nodes[0] };
	int fds[NODES];
	char path[64], source[64];

	for (size_t i = 0; i < NODES; i++) {
		snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
		fds[i] = open(path, O_PATH | O_CLOEXEC);
		if (fds[i] < 0 && errno != ENOENT)
			fail(STEP_MOUNT_DEV, path);
	}
	if (mount("tmpfs", "/dev", "tmpfs", NOSUID_NODEV_NOEXEC, "mode=755,size=64k") < 0)
		fail(STEP_MOUNT_DEV, "/dev");
	for (size_t i = 0; i < NODES; i++) {
		int target;

		if (fds[i] < 0)
			continue;
		snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
		snprintf(source, sizeof source, "/proc/self/fd/%d", fds[i]);
		target = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (target < 0 || close(target) < 0)
			fail(STEP_MOUNT_DEV, path);
		/* The bind keeps the flags of the host's /dev mount, so the node works under a nodev tmpfs. */
		if (mount(source, path, NULL, MS_BIND, NULL) < 0)
			fail(STEP_MOUNT_DEV, path);
		if (close(fds[i]) < 0)
			fail(STEP_MOUNT_DEV, path);
	}
	for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++) {
		snprintf(path, sizeof path, "/dev/%s", dev_links[i][0]);
		if (symlink(dev_links[i][1], path) < 0)
			fail(STEP_MOUNT_DEV, path);
	}
	if (mkdir("/dev/shm", 0755) < 0)
		fail(STEP_MOUNT_DEV, "/dev/shm");
	if (mount(NULL, "/dev", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL) < 0)
		fail(STEP_MOUNT_DEV, "/dev");
}

/* Hides `path`: an empty read-only tmpfs over a directory, /dev/null over anything else. A path
 * that does not exist (here: in the job's mount namespace, after /tmp is private) is skipped. */
static void mask(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return;
		fail(STEP_MOUNT_MASK, path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, "mode=755,size=4k") < 0)
			fail(STEP_MOUNT_MASK, path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		fail(STEP_MOUNT_MASK, path);
	}
}

void setup_mounts(const struct shim_options *opts)
{
	/* First, so nothing below propagates back to the host's mounts (or to other jobs' copies). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(STEP_MOUNT_PRIVATE, "/");
	/* Over the host's /proc: a procfs shows the PID namespace of the process that mounts it. */
	if (mount("proc", "/proc", "proc", NOSUID_NODEV_NOEXEC, NULL) < 0)
		fail(STEP_MOUNT_PROC, "/proc");
	for (size_t i = 0; i < sizeof proc_read_only / sizeof proc_read_only[0]; i++)
		bind_read_only(proc_read_only[i]);
	setup_sys();
	setup_dev();
	mount_tmpfs("/tmp", opts->tmp_size, STEP_MOUNT_TMP);
	/* POSIX shared memory is files in /dev/shm, which an IPC namespace does not cover. */
	mount_tmpfs("/dev/shm", opts->tmp_size, STEP_MOUNT_SHM);
	/* Last: a masked path under /tmp is hidden already, and /dev/null is the job's own. */
	for (size_t i = 0; i < sizeof default_masks / sizeof default_masks[0]; i++)
		mask(default_masks[i]);
	for (size_t i = 0; i < opts->mask_count; i++)
		mask(opts->masks[i]);
}
