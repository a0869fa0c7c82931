/* init.c: I, the tiny init. It waits until S has placed it in its cgroups, sets up the namespaces
 * from the inside, forks the job (J), says when J's exec succeeded, forwards signals to J, reaps
 * every zombie, and reports J's wait status when J ends. Then it exits, and the kernel kills
 * whatever is left in the namespace, daemonized grandchildren too (pid_namespaces(7)).
 *
 * I was made by a raw clone3, so glibc's thread descriptor still holds S's tid: I must not use
 * raise(), abort() or pthreads. fork() is fine (it rewrites the tid in the child). */
#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"
#include "mounts.h"
#include "net.h"
#include "report.h"
#include "signals.h"

static void ignore_signal(int sig)
{
	(void)sig;
}

/* The watched signals stay blocked (S blocked them before the clone) and are taken with
 * sigwaitinfo. A handler is still installed for each: the kernel drops a signal sent to a
 * namespace's init if its disposition is SIG_DFL, and an inherited SIG_IGN for SIGCHLD would make
 * zombies reap themselves before we can read J's status. */
static void catch_watched_signals(void)
{
	struct sigaction sa = { .sa_handler = ignore_signal, .sa_flags = SA_RESTART };
	sigset_t watched;

	sigemptyset(&sa.sa_mask);
	watched_signals(&watched);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&watched, sig) == 1 && sigaction(sig, &sa, NULL) < 0)
			fail(STEP_SIGNALS, NULL);
	}
}

static void wait_for_release(int sync_fd)
{
	char byte;
	char why[64];
	int n = xread(sync_fd, &byte, 1, why, sizeof why);

	if (n == 0)
		_exit(1);
	if (n < 0)
		fail(STEP_SYNC, why);
	if (byte != SYNC_RELEASE)
		fail_with(STEP_SYNC, EPROTO, "unexpected byte");
	if (close(sync_fd) < 0)
		fail(STEP_SYNC, NULL);
}

/* J's report pipe is CLOEXEC: EOF without a record means J's exec succeeded. */
static void wait_for_exec(pid_t job, int exec_report_fd, int report_fd)
{
	struct report r;
	char why[64];
	int n = xread(exec_report_fd, &r, sizeof r, why, sizeof why);

	if (n < 0)
		fail(STEP_REPORT, why);
	if (n > 0) {
		/* J failed before exec: reap it, then pass its record on to S. */
		while (waitpid(job, NULL, 0) < 0 && errno == EINTR)
			;
		r.detail[sizeof r.detail - 1] = '\0';
		(void)report_send(report_fd, REPORT_ERROR, (enum step)r.step, r.value, r.detail);
		_exit(1);
	}
	if (close(exec_report_fd) < 0)
		fail(STEP_REPORT, NULL);
	if (report_send(report_fd, REPORT_RUNNING, 0, 0, NULL) < 0)
		_exit(1);
}

/* Forwards signals to J and reaps every child until J itself is reaped; returns J's wait status. */
static int wait_for_job(pid_t job)
{
	sigset_t watched;

	watched_signals(&watched);
	for (;;) {
		int sig = sigwaitinfo(&watched, NULL);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fail(STEP_SUPERVISE, "sigwaitinfo");
		}
		if (is_forwarded_signal(sig)) {
			/* J is unreaped until we return, so its pid is still its own. */
			if (kill(job, sig) < 0)
				fail(STEP_SUPERVISE, "kill");
			continue;
		}
		/* SIGCHLD: one pending signal may stand for many exits, so reap until none is left. */
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid < 0 && errno == EINTR)
				continue;
			if (pid < 0 && errno != ECHILD)
				fail(STEP_SUPERVISE, "waitpid");
			if (pid <= 0)
				break;
			if (pid == job)
				return status;
		}
	}
}

_Noreturn void run_init(const struct init_args *a)
{
	const struct shim_options *opts = a->opts;
	struct job_args job_args = {
		.opts = opts, .exec_fd = a->exec_fd, .stdin_fd = a->stdin_fd, .report_fd = -1,
	};
	int exec_pipe[2];
	pid_t job;
	int status;

	report_to_pipe(a->report_fd);
	catch_watched_signals();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(STEP_PDEATHSIG, NULL);
	/* This also closes the race with S dying before the prctl: S's end of the sync pipe is closed
	 * then, and the read sees EOF. (getppid() cannot tell: in a new PID namespace it returns 0.) */
	wait_for_release(a->sync_fd);
	/* A session of its own: nothing outside (the server's terminal or process group) can signal the
	 * job directly, only through S and I; and the job has no controlling terminal to abuse. */
	if (setsid() < 0)
		fail(STEP_SETSID, NULL);
	setup_mounts(opts);
	if (!opts->host_net)
		loopback_up();
	if (sethostname(opts->job_id, strlen(opts->job_id)) < 0)
		fail(STEP_SETHOSTNAME, opts->job_id);

	if (pipe2(exec_pipe, O_CLOEXEC) < 0)
		fail(STEP_PIPE, NULL);
	job = fork();
	if (job < 0)
		fail(STEP_FORK, NULL);
	if (job == 0) {
		report_to_pipe(exec_pipe[1]);
		if (close(exec_pipe[0]) < 0 || close(a->report_fd) < 0)
			fail(STEP_CLOSE_FDS, NULL);
		job_args.report_fd = exec_pipe[1];
		run_job(&job_args);
	}
	if (close(exec_pipe[1]) < 0 || (a->exec_fd >= 0 && close(a->exec_fd) < 0) ||
	    (a->stdin_fd >= 0 && close(a->stdin_fd) < 0))
		fail(STEP_CLOSE_FDS, NULL);

	wait_for_exec(job, exec_pipe[0], a->report_fd);
	status = wait_for_job(job);
	if (report_send(a->report_fd, REPORT_EXIT, 0, status, NULL) < 0)
		_exit(1);
	_exit(0);
}
