/* mounts.c: private propagation, a fresh /proc, read-only kernel knobs, private /tmp and /dev/shm. */
#define _GNU_SOURCE
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mount.h>

#include "report.h"

/* The /proc entries that change the host, not the namespace: bound onto themselves read-only, as
 * bubblewrap and runc do. Missing ones (a kernel without sysrq) are skipped. */
static const char *const proc_read_only[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus" };

static void bind_read_only(const char *path)
{
	if (mount(path, path, NULL, MS_BIND, NULL) < 0) {
		if (errno == ENOENT)
			return;
		fail(STEP_MOUNT_PROC_RO, path);
	}
	/* A bind remount sets the mount's flags to exactly these, so keep proc's nosuid,nodev,noexec. */
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(STEP_MOUNT_PROC_RO, path);
}

static void mount_tmpfs(const char *path, unsigned long long size, enum step step)
{
	char data[64];

	snprintf(data, sizeof data, "mode=1777,size=%llu", size);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		fail(step, path);
}

void setup_mounts(unsigned long long tmp_size)
{
	/* First, so nothing below propagates back to the host's mounts (or to other jobs' copies). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(STEP_MOUNT_PRIVATE, "/");
	/* Over the host's /proc: a procfs shows the PID namespace of the process that mounts it. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(STEP_MOUNT_PROC, "/proc");
	for (size_t i = 0; i < sizeof proc_read_only / sizeof proc_read_only[0]; i++)
		bind_read_only(proc_read_only[i]);
	mount_tmpfs("/tmp", tmp_size, STEP_MOUNT_TMP);
	/* POSIX shared memory is files in /dev/shm, which an IPC namespace does not cover. */
	mount_tmpfs("/dev/shm", tmp_size, STEP_MOUNT_SHM);
}
