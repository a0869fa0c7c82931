/* job.c: J, from fork to exec. Each step is one call and one fail(); the order matters and is
 * explained where it does. */
#define _GNU_SOURCE
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "report.h"
#include "signals.h"

/* Used when the job's environment has no PATH. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

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

	report_to_pipe(a->report_fd);
	/* One stream: the job's stdout and stderr interleave as written in the one output pipe. */
	if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
		fail(STEP_STDIO, "stderr");
	if (a->stdin_fd >= 0 && dup2(a->stdin_fd, STDIN_FILENO) < 0)
		fail(STEP_STDIO, "stdin");
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		fail(STEP_RLIMIT_CORE, NULL);
	drop_privileges(opts->uid, opts->gid);
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
