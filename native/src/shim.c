/* workernator-shim: starts one job in its own namespaces and cgroups, on behalf of the server.
 *
 * Node cannot make namespace syscalls itself (it is multithreaded), so it spawns this program once
 * per job. The contract with the TypeScript launcher (also in README.md):
 *
 *   workernator-shim [OPTIONS] -- EXECUTABLE [ARGS...]
 *
 *   --job-id ID        required, at most 64 bytes; becomes the hostname
 *   --cgroup DIR       repeatable: a cgroup (v1: one per hierarchy) the job is placed in
 *   --cgroup2 DIR      a cgroup v2 directory: born there with clone3(CLONE_INTO_CGROUP), or, where
 *                      the kernel cannot, placed there through cgroup.procs like --cgroup
 *   --user NAME|UID    default nobody          --root   same as --user 0
 *   --group NAME|GID   default nogroup (0 for root); names come from /etc/passwd, /etc/group only
 *   --net isolated|host  default isolated: a new network namespace with only lo, up
 *   --cwd DIR          default /tmp, entered as the job user
 *   --tmp-size BYTES   size of the private /tmp and /dev/shm tmpfs mounts, default 67108864
 *   --open-exec        open EXECUTABLE as root and execveat() it (the job user needs no access to
 *                      its directory); it must be a binary, not a #! script
 *   --stdin-file PATH  open PATH as root; it becomes the job's stdin
 *   --mask PATH        repeatable, absolute: hidden from the job (an empty read-only tmpfs over a
 *                      directory, /dev/null over a file); skipped if it does not exist
 *
 *   fd 0 the job's stdin, fd 1 the job's output (the job's stdout and stderr both go there), fd 2
 *   the shim's own diagnostics (human text), fd 3 the status pipe. The environment is the job's.
 *   EXECUTABLE without a '/' is searched in the job's PATH (default /usr/local/bin:/usr/bin:/bin).
 *
 * Status lines on fd 3, each newline-terminated and written with one write():
 *
 *   running PID                 the job's exec succeeded. PID is the host pid of I, the init of
 *                               the job's PID namespace (not of the job process itself): SIGKILL
 *                               to it ends the whole job.
 *   exit CODE                   the job exited by itself             } the last line; S exits 0
 *   signal SIGNO [core]         the job was killed by a signal       }
 *   error STEP ERRNO [DETAIL]   a step failed; the last line; S exits 125. DETAIL is one token:
 *                               every byte outside 0x21-0x7e, and '%', is written as %XX.
 *
 * `running` comes first when the job ran. Without it, an `error` means the job never ran and
 * nothing of it is left; a `signal` means I was killed (a cgroup kill, the OOM killer) before the
 * exec. After `running`, `error` only comes from the `supervise` and `report` steps: the shim lost
 * track of the job and has killed it. Bad usage is `error usage 22 MESSAGE`.
 *
 * Node stops a job by sending SIGTERM, SIGINT or SIGHUP to S: S forwards it to I, I to the job. If
 * Node dies, S dies (PR_SET_PDEATHSIG), and I with it, and with I the whole namespace.
 *
 * The processes: S is this program as spawned, in the host's namespaces and the server's cgroup.
 * It clones I into new PID, mount, UTS, IPC (and network) namespaces; I blocks on the sync pipe
 * until S has placed it in its cgroups, so nothing runs outside them and nothing is moved after it
 * started. I sets up the namespaces (mounts.c), forks J, which drops privileges (a root job keeps
 * Docker's default capabilities less CAP_MKNOD, any other job none: job.c) and execs the job. Failures in
 * I and J travel to S as records over pipes (report.h); S alone writes to fd 3.
 *
 * S exits only after it has reaped I, and the kernel lets an init be reaped only after every other
 * process of its namespace is gone (zap_pid_ns_processes() in kernel/pid_namespace.c waits for
 * them): when Node sees S exit, nothing of the job is running. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "options.h"
#include "report.h"
#include "signals.h"

/* clone3 has no glibc wrapper; a zero stack makes it fork-like: the child returns here too. */
static pid_t clone_init(const struct shim_options *opts, int cgroup_fd, bool *born_in_cgroup)
{
	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	struct clone_args args;
	long pid;

	if (!opts->host_net)
		flags |= CLONE_NEWNET;
	memset(&args, 0, sizeof args);
	args.flags = flags;
	args.exit_signal = SIGCHLD;
	*born_in_cgroup = false;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid >= 0) {
			*born_in_cgroup = true;
			return (pid_t)pid;
		}
		/* Kernels before 5.7, or a cgroup that cannot take it: S writes cgroup.procs instead. */
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EOPNOTSUPP)
			return -1;
		args.flags = flags;
		args.cgroup = 0;
	}
	pid = syscall(SYS_clone3, &args, sizeof args);
	/* Before Linux 5.3. Flags come first on every architecture but s390 (not a target); the stack
	 * and tid arguments are all zero, so their per-architecture order does not matter. */
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	return (pid_t)pid;
}

static void join_cgroup(const char *dir, pid_t pid)
{
	char path[PATH_MAX];
	char text[24];
	int fd, len;
	ssize_t written;

	if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int)sizeof path)
		fail_with(STEP_CGROUP_PROCS, ENAMETOOLONG, dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(STEP_CGROUP_PROCS, path);
	len = snprintf(text, sizeof text, "%d", (int)pid);
	written = write(fd, text, (size_t)len);
	if (written < 0)
		fail(STEP_CGROUP_PROCS, path);
	if (written != len)
		fail_with(STEP_CGROUP_PROCS, EIO, path);
	if (close(fd) < 0)
		fail(STEP_CGROUP_PROCS, path);
}

static void place_in_cgroups(pid_t init, const struct shim_options *opts, bool born_in_cgroup2)
{
	for (size_t i = 0; i < opts->cgroup_count; i++)
		join_cgroup(opts->cgroups[i], init);
	if (opts->cgroup2 != NULL && !born_in_cgroup2)
		join_cgroup(opts->cgroup2, init);
}

/* The last line: how the job ended, or why it never ran. Returns S's exit code. */
static int report_end(struct report *final, int init_status)
{
	int status = final->value;
	char detail[32];

	switch (final->kind) {
	case REPORT_ERROR:
		final->detail[sizeof final->detail - 1] = '\0';
		status_error((enum step)final->step, final->value, final->detail);
		return 125;
	case REPORT_EXIT:
		if (WIFEXITED(status))
			status_line("exit %d", WEXITSTATUS(status));
		else
			status_line("signal %d%s", WTERMSIG(status), WCOREDUMP(status) ? " core" : "");
		return 0;
	default:
		/* I died without a word: killed (cgroup.kill, OOM, SIGKILL from Node), or a bug. */
		if (WIFSIGNALED(init_status)) {
			status_line("signal %d", WTERMSIG(init_status));
			return 0;
		}
		snprintf(detail, sizeof detail, "exited-%d", WEXITSTATUS(init_status));
		status_error(STEP_INIT, EPROTO, detail);
		return 125;
	}
}

/* Relays I's records to fd 3 and Node's signals to I, until I is reaped and its pipe is drained. */
static int supervise(pid_t init, int report_fd)
{
	struct report final = { 0 };
	bool eof = false, reaped = false;
	int init_status = 0;
	sigset_t watched;
	char why[64];
	int sfd;

	watched_signals(&watched);
	sfd = signalfd(-1, &watched, SFD_CLOEXEC);
	if (sfd < 0)
		fail(STEP_SUPERVISE, "signalfd");
	while (!eof || !reaped) {
		struct pollfd fds[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = eof ? -1 : report_fd, .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(STEP_SUPERVISE, "poll");
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (xread(sfd, &si, sizeof si, why, sizeof why) <= 0)
				fail(STEP_SUPERVISE, "signalfd");
			if (si.ssi_signo != SIGCHLD) {
				if (!reaped && kill(init, (int)si.ssi_signo) < 0)
					fail(STEP_SUPERVISE, "kill");
			} else if (!reaped) {
				pid_t pid = waitpid(init, &init_status, WNOHANG);

				if (pid < 0)
					fail(STEP_SUPERVISE, "waitpid");
				if (pid == init) {
					reaped = true;
					report_to_status_fd(0); /* its pid may be reused from now on */
				}
			}
		}
		if (fds[1].revents != 0) {
			struct report r;
			int n = xread(report_fd, &r, sizeof r, why, sizeof why);

			if (n < 0)
				fail(STEP_REPORT, why);
			if (n == 0)
				eof = true;
			else if (r.kind == REPORT_RUNNING)
				status_line("running %d", (int)init);
			else
				final = r;
		}
	}
	return report_end(&final, init_status);
}

int main(int argc, char **argv)
{
	struct shim_options opts;
	pid_t node = getppid();
	int exec_fd = -1, stdin_fd = -1, cgroup_fd = -1;
	int sync_pipe[2], report_pipe[2];
	bool born_in_cgroup2;
	sigset_t watched;
	pid_t init;

	if (fcntl(STATUS_FD, F_GETFD) < 0) {
		dprintf(STDERR_FILENO, "workernator-shim: fd 3 must be the status pipe\n");
		return 125;
	}
	report_to_status_fd(0);
	/* First thing, so a stop request is never lost: from here on a forwarded signal waits in the
	 * queue of S, then of I, until the job runs. I inherits the mask; both take them from a queue. */
	reset_signals();
	watched_signals(&watched);
	if (sigprocmask(SIG_BLOCK, &watched, NULL) < 0)
		fail(STEP_SIGNALS, NULL);
	/* A pipe whose reader died is an EPIPE to handle, not a reason for S (or I) to die unreported. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fail(STEP_SIGNALS, NULL);
	parse_options(argc, argv, &opts);
	resolve_identity(&opts);

	/* If Node dies, S dies, then I (its own pdeathsig), and with I the namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(STEP_PDEATHSIG, NULL);
	if (getppid() != node)
		_exit(125); /* Node died before the prctl: no one is listening */

	/* With root rights and in the host's namespaces: the job user may not be able to open these. */
	if (opts.open_exec && (exec_fd = open(opts.argv[0], O_PATH | O_CLOEXEC)) < 0)
		fail(STEP_OPEN_EXEC, opts.argv[0]);
	if (opts.stdin_file != NULL && (stdin_fd = open(opts.stdin_file, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0)
		fail(STEP_OPEN_STDIN, opts.stdin_file);
	if (opts.cgroup2 != NULL && (cgroup_fd = open(opts.cgroup2, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fail(STEP_OPEN_CGROUP, opts.cgroup2);
	if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(report_pipe, O_CLOEXEC) < 0)
		fail(STEP_PIPE, NULL);

	init = clone_init(&opts, cgroup_fd, &born_in_cgroup2);
	if (init < 0)
		fail(STEP_CLONE, opts.cgroup2);
	if (init == 0) {
		struct init_args args = {
			.opts = &opts, .sync_fd = sync_pipe[0], .report_fd = report_pipe[1],
			.exec_fd = exec_fd, .stdin_fd = stdin_fd,
		};

		report_to_pipe(report_pipe[1]);
		if (close(STATUS_FD) < 0 || close(sync_pipe[1]) < 0 || close(report_pipe[0]) < 0 ||
		    (cgroup_fd >= 0 && close(cgroup_fd) < 0))
			fail(STEP_CLOSE_FDS, NULL);
		run_init(&args);
	}

	/* From here on a failure kills and reaps I before it is reported. */
	report_to_status_fd(init);
	if (close(sync_pipe[0]) < 0 || close(report_pipe[1]) < 0 || (exec_fd >= 0 && close(exec_fd) < 0) ||
	    (stdin_fd >= 0 && close(stdin_fd) < 0) || (cgroup_fd >= 0 && close(cgroup_fd) < 0))
		fail(STEP_CLOSE_FDS, NULL);
	place_in_cgroups(init, &opts, born_in_cgroup2);
	{
		const char release = SYNC_RELEASE;
		char why[64];

		/* EPIPE: I was killed before its release (cgroup kill, OOM); supervise() reports the signal. */
		if (xwrite(sync_pipe[1], &release, 1, why, sizeof why) < 0 && errno != EPIPE)
			fail(STEP_SYNC, why);
	}
	if (close(sync_pipe[1]) < 0)
		fail(STEP_SYNC, NULL);
	return supervise(init, report_pipe[0]);
}
