/* job.c: J, from fork to exec. Each step is one call and one fail(); the order matters and is
 * explained where it does. */
#define _GNU_SOURCE
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"
#include "signals.h"

/* Used when the job's environment has no PATH. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* The capabilities a root job keeps: Docker's default set less CAP_MKNOD (its /dev is fixed). Root
 * in its own namespaces, no more: no CAP_SYS_ADMIN (no mount or umount, so no undoing /proc or the
 * masks), no CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_MKNOD, CAP_DAC_READ_SEARCH,
 * CAP_NET_ADMIN, CAP_SYS_TIME, CAP_SYS_BOOT, CAP_BPF, CAP_PERFMON... Every other job keeps none. */
static const int root_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
	CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

static uint64_t job_capabilities(uid_t uid)
{
	uint64_t caps = 0;

	if (uid != 0)
		return 0;
	for (size_t i = 0; i < sizeof root_caps / sizeof root_caps[0]; i++)
		caps |= 1ULL << root_caps[i];
	return caps;
}

/* While still root (PR_CAPBSET_DROP needs CAP_SETPCAP): what no exec can ever give back. */
static void limit_bounding_set(uint64_t keep)
{
	char detail[16];

	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			snprintf(detail, sizeof detail, "%d", cap);
			fail(STEP_CAP_BOUNDING, detail);
		}
	}
	/* EINVAL: a kernel before 4.3, which has no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(STEP_CAP_BOUNDING, "ambient");
}

/* After the id changes: effective and permitted become `keep`, inheritable empty (a non-root job
 * lost the first two with its uid already; this also clears an inherited inheritable set). Raw
 * syscalls: the shim is static and has no libcap. */
static void set_capabilities(uint64_t keep)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3], got[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof data);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].effective = (uint32_t)(keep >> (32 * i));
		data[i].permitted = data[i].effective;
	}
	if (syscall(SYS_capset, &header, data) < 0)
		fail(STEP_CAPSET, NULL);
	memset(got, 0xff, sizeof got);
	if (syscall(SYS_capget, &header, got) < 0)
		fail(STEP_CAPSET, "capget");
	if (memcmp(data, got, sizeof data) != 0)
		fail_with(STEP_CAPSET, EPERM, "did not stick");
}

static void drop_privileges(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	/* Groups first, while we still may; the job keeps no supplementary groups, not even root's. */
	if (setgroups(0, NULL) < 0)
		fail(STEP_SETGROUPS, NULL);
	if (setresgid(gid, gid, gid) < 0)
		fail(STEP_SETGID, NULL);
	if (setresuid(uid, uid, uid) < 0)
		fail(STEP_SETUID, NULL);
	/* Trust, but verify (a setuid that silently did less would leave the job root). */
	if (getgroups(0, NULL) != 0)
		fail_with(STEP_SETGROUPS, EPERM, "groups remain");
	if (getresgid(&rgid, &egid, &sgid) < 0 || rgid != gid || egid != gid || sgid != gid)
		fail_with(STEP_SETGID, EPERM, "did not stick");
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid != uid || euid != uid || suid != uid)
		fail_with(STEP_SETUID, EPERM, "did not stick");
}

/* Marks every fd from 3 up close-on-exec rather than closing it, so the report pipe and the
 * --open-exec fd still work until the exec succeeds, and nothing else reaches the job. */
static void close_inherited_fds(void)
{
	DIR *dir;
	struct dirent *entry;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (errno != ENOSYS && errno != EINVAL)
		fail(STEP_CLOSE_FDS, NULL);
	/* Before Linux 5.11: walk /proc/self/fd, which is the namespace's fresh /proc by now. */
	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		fail(STEP_CLOSE_FDS, "/proc/self/fd");
	while ((errno = 0, entry = readdir(dir)) != NULL) {
		int fd = atoi(entry->d_name);
		int flags;

		if (fd < 3 || fd == dirfd(dir))
			continue;
		flags = fcntl(fd, F_GETFD);
		if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
			fail(STEP_CLOSE_FDS, entry->d_name);
	}
	if (errno != 0)
		fail(STEP_CLOSE_FDS, "/proc/self/fd");
	if (closedir(dir) < 0)
		fail(STEP_CLOSE_FDS, "/proc/self/fd");
}

/* Like execvpe, but it reports the most relevant failure: EACCES if a candidate in a directory we
 * may search could not be run, otherwise the first error that is not "not here" (ENOENT when
 * nothing was found). No /bin/sh fallback for ENOEXEC. */
static _Noreturn void exec_search(char **argv)
{
	const char *path = getenv("PATH");
	const char *name = argv[0];
	size_t name_len = strlen(name);
	bool denied = false;

	if (path == NULL)
		path = DEFAULT_PATH;
	for (const char *dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		size_t dir_len = end == dir ? 1 : (size_t)(end - dir); /* "" means the current directory */
		char file[PATH_MAX];

		if (dir_len + 1 + name_len < sizeof file) {
			memcpy(file, end == dir ? "." : dir, dir_len);
			file[dir_len] = '/';
			memcpy(file + dir_len + 1, name, name_len + 1);
			execve(file, argv, environ);
			switch (errno) {
			case EACCES:
				/* Only a file we may not run counts, not a directory we may not search. */
				file[dir_len] = '\0';
				if (access(file, X_OK) == 0)
					denied = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
			case ENAMETOOLONG:
				break;
			default:
				fail(STEP_EXEC, name);
			}
		}
		if (*end == '\0')
			break;
		dir = end;
	}
	fail_with(STEP_EXEC, denied ? EACCES : ENOENT, name);
}

_Noreturn void run_job(const struct job_args *a)
{
	const struct shim_options *opts = a->opts;
	struct rlimit no_core = { 0, 0 };
	uint64_t caps = job_capabilities(opts->uid);

	report_to_pipe(a->report_fd);
	/* One stream: the job's stdout and stderr interleave as written in the one output pipe. */
	if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
		fail(STEP_STDIO, "stderr");
	if (a->stdin_fd >= 0 && dup2(a->stdin_fd, STDIN_FILENO) < 0)
		fail(STEP_STDIO, "stdin");
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		fail(STEP_RLIMIT_CORE, NULL);
	limit_bounding_set(caps);
	drop_privileges(opts->uid, opts->gid);
	set_capabilities(caps);
	/* After the set*id calls: changing credentials clears the parent-death signal. I is the parent;
	 * if it dies the kernel kills the namespace anyway, this only makes it immediate. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(STEP_PDEATHSIG, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(STEP_NO_NEW_PRIVS, NULL);
	/* As the job user, so a directory it may not enter fails here with EACCES. */
	if (chdir(opts->cwd) < 0)
		fail(STEP_CHDIR, opts->cwd);
	close_inherited_fds();
	/* Last, so no forwarded signal is lost before exec: one that arrives while blocked stays pending
	 * and is delivered, with its default action, as soon as it is unblocked. */
	reset_signals();

	if (a->exec_fd >= 0) {
		/* The fd is CLOEXEC, which is fine for binaries; a #! script would fail with ENOENT because
		 * its interpreter could no longer open /dev/fd/N. */
		execveat(a->exec_fd, "", opts->argv, environ, AT_EMPTY_PATH);
		fail(STEP_EXEC, opts->argv[0]);
	}
	if (strchr(opts->argv[0], '/') != NULL) {
		execve(opts->argv[0], opts->argv, environ);
		fail(STEP_EXEC, opts->argv[0]);
	}
	exec_search(opts->argv);
}
