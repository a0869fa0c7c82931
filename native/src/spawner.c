/* workernator-spawner: a long-lived forkserver that starts the sandbox shim for the server.
 *
 * Node's child_process.spawn() forks the whole server synchronously in its main thread, and forking
 * a process with a large address space is slow (it was the largest stage of a job's start). So the
 * server spawns this small static program once and asks it to fork+exec the shim for every job.
 * The shim's command line, fds and environment are exactly what Node used to give it.
 *
 *   workernator-spawner SHIM_PATH
 *
 * Requests on fd 0 (from Node): frames of a u32 little-endian length, then that many bytes of
 * NUL-terminated strings, the first naming the request:
 *
 *   spawn\0ID\0ARGC\0ARG1\0...ARGn\0ENV1\0...ENVm\0
 *       fork and exec SHIM_PATH with argv [SHIM_PATH, ARG1..ARGn] and envp [ENV1..ENVm]: fd 0 is
 *       /dev/null, fds 1, 2 and 3 are the write ends of three new pipes (job output, shim
 *       diagnostics, status lines), every other fd is closed, signals are back to default.
 *       At most MAX_CHILDREN unreaped children and MAX_HELD unreleased spawns: beyond, `failed`.
 *   release\0ID\0      Node has opened the read ends of spawn ID: the spawner closes its copies
 *   kill\0PID\0SIGNO\0 send SIGNO to PID if PID is a child not yet reaped (so never a reused pid)
 *
 * Replies on fd 1, one line each, written with one write() (shorter than PIPE_BUF):
 *
 *   ready                                    the spawner runs and waits for requests (first line)
 *   spawned ID PID OUTFD ERRFD STATUSFD      the child runs; open /proc/SPAWNER/fd/N to read each
 *                                            pipe, then send release ID
 *   failed ID STEP ERRNO                     nothing was started (STEP: table, pipe, fork)
 *   exited PID CODE | exited PID signal SIGNO   a child was reaped (after its spawned line)
 *
 * The read ends stay open here until `release`, so what a quick job writes before Node opens its
 * pipes is not lost, even if the shim has already exited. If the exec itself fails, the child writes
 * `error exec-shim ERRNO` on the status pipe (the shim's own format) and exits 125; likewise
 * shim-signals, shim-pdeathsig and shim-fds for the steps before it.
 *
 * Lifetime: PR_SET_PDEATHSIG(SIGKILL), so it dies with the server; the child arms the same for the
 * shim before the exec, so a shim, and with it its job, dies with the spawner. EOF on fd 0 (the
 * server closed the sandbox): it closes the read ends it holds and exits 0 once every child has
 * been reaped, so closing the sandbox does not kill running jobs. A malformed frame is a server bug:
 * a diagnostic on fd 2 and exit 2, which kills every shim. SIGINT, SIGTERM and SIGHUP are ignored:
 * a terminal's Ctrl-C or a service manager's SIGTERM reaches the server, which stops its jobs
 * first; shims still get those signals directly, as before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

/* A frame carries a job's arguments and environment: generous, but bounded. */
#define MAX_FRAME (8u << 20)
/* Children not yet reaped. Each is a shim, so this is far above any sane number of running jobs. */
#define MAX_CHILDREN 8192
/* Spawns whose read ends Node has not released yet: 3 fds each. Node releases at once. */
#define MAX_HELD 256

/* SIGPIPE: a reader that went away is an EPIPE to handle. SIGINT, SIGTERM, SIGHUP: for the server,
 * which stops its jobs first (see the top comment). Back to SIG_DFL in every child. */
static const int ignored_signals[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP };

struct held {
	uint64_t id;
	int fds[3]; /* read ends: job output, shim diagnostics, status */
};

struct spawner {
	const char *shim_path;
	pid_t pid;
	int null_fd;
	int signal_fd;
	bool replies_broken; /* fd 1 gave EPIPE: Node is gone or stopped reading */
	size_t child_count;
	pid_t children[MAX_CHILDREN];
	size_t held_count;
	struct held held[MAX_HELD];
};

static _Noreturn void die(const char *what)
{
	dprintf(STDERR_FILENO, "workernator-spawner: %s: %s\n", what, strerror(errno));
	exit(2);
}

static _Noreturn void die_protocol(const char *what)
{
	dprintf(STDERR_FILENO, "workernator-spawner: bad request from the server: %s\n", what);
	exit(2);
}

static void reply(struct spawner *sp, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct spawner *sp, const char *format, ...)
{
	char line[128];
	char why[64];
	va_list args;
	int len;

	if (sp->replies_broken)
		return;
	va_start(args, format);
	len = vsnprintf(line, sizeof line, format, args);
	va_end(args);
	if (len < 0 || (size_t)len >= sizeof line)
		die_protocol("reply too long");
	if (xwrite(STDOUT_FILENO, line, (size_t)len, why, sizeof why) < 0) {
		if (errno != EPIPE)
			die(why);
		/* Node stopped listening: keep reaping children until EOF, say nothing more. */
		sp->replies_broken = true;
	}
}

static void close_or_die(int fd)
{
	if (close(fd) < 0)
		die("close");
}

/* ---- the child: becomes the shim ---- */

/* Writes `error STEP ERRNO` on the status pipe, as the shim would, and exits 125. */
static _Noreturn void child_fail(int status_fd, const char *step)
{
	char line[64];
	int len = snprintf(line, sizeof line, "error %s %d\n", step, errno);

	/* Best effort: if even this fails, Node sees the status pipe end without a line. */
	if (len > 0)
		(void)!write(status_fd, line, (size_t)len);
	_exit(125);
}

static _Noreturn void become_shim(const struct spawner *sp, char **argv, char **envp, const int write_fds[3])
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int status_fd = write_fds[2];
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	/* The only dispositions setup() changed (an ignored signal would stay ignored across exec). */
	for (size_t i = 0; i < sizeof ignored_signals / sizeof ignored_signals[0]; i++) {
		if (sigaction(ignored_signals[i], &dfl, NULL) < 0)
			child_fail(status_fd, "shim-signals");
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(status_fd, "shim-signals");
	/* The shim arms its own parent-death signal, but only once it runs: if the spawner died before
	 * that, the shim would take its new parent (init) for its server and run on. Armed here, before
	 * the exec (which keeps it: the shim is not set-user-ID), no such window is left. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(status_fd, "shim-pdeathsig");
	if (getppid() != sp->pid)
		_exit(125); /* the spawner is gone: no one is listening */
	/* The pipes are all above fd 4 (null_fd is 3, the signalfd 4), so no dup2 overwrites a source
	 * it still needs; dup2 clears close-on-exec on the copies, and every other fd has it set. */
	if (dup2(sp->null_fd, STDIN_FILENO) < 0 || dup2(write_fds[0], STDOUT_FILENO) < 0 ||
	    dup2(write_fds[1], STDERR_FILENO) < 0 || dup2(status_fd, STATUS_FD) < 0)
		child_fail(status_fd, "shim-fds");
	execve(sp->shim_path, argv, envp);
	child_fail(status_fd, "exec-shim");
}

/* ---- requests ---- */

/* The strings of a frame, in order; `list` is allocated, the strings point into the payload. */
struct fields {
	char **list;
	size_t count;
};

/* Splits a payload into its strings; the payload must end with a NUL. */
static struct fields split_fields(char *payload, size_t len)
{
	struct fields f = { 0 };

	if (len == 0 || payload[len - 1] != '\0')
		die_protocol("a frame must be NUL-terminated strings");
	for (size_t p = 0; p < len; p++)
		f.count += payload[p] == '\0';
	f.list = calloc(f.count, sizeof *f.list);
	if (f.list == NULL)
		die("calloc");
	for (size_t p = 0, i = 0; p < len; p += strlen(payload + p) + 1)
		f.list[i++] = payload + p;
	return f;
}

static uint64_t parse_number(const struct fields *f, size_t index, uint64_t max, const char *what)
{
	const char *text = index < f->count ? f->list[index] : NULL;
	unsigned long long value;
	char *end;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		die_protocol(what);
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || value > max)
		die_protocol(what);
	return value;
}

/* spawn ID ARGC ARG... ENV...: fork and exec the shim; replies spawned or failed. */
static void handle_spawn(struct spawner *sp, const struct fields *f)
{
	uint64_t id = parse_number(f, 1, UINT64_MAX, "spawn: request id");
	size_t argc, envc;
	int read_fds[3] = { -1, -1, -1 }, write_fds[3] = { -1, -1, -1 };
	const char *step = NULL;
	char **argv, **envp;
	int err = 0;
	pid_t pid = -1;

	if (f->count < 3)
		die_protocol("spawn: expected an id and an argument count");
	argc = (size_t)parse_number(f, 2, f->count - 3, "spawn: argument count");
	envc = f->count - 3 - argc;
	if (sp->child_count == MAX_CHILDREN || sp->held_count == MAX_HELD) {
		reply(sp, "failed %llu table %d\n", (unsigned long long)id, EAGAIN);
		return;
	}
	/* argv: the shim's path, the args, NULL; then envp: the env strings, NULL. */
	argv = calloc(argc + 2 + envc + 1, sizeof *argv);
	if (argv == NULL)
		die("calloc");
	envp = argv + argc + 2;
	argv[0] = (char *)sp->shim_path;
	memcpy(argv + 1, f->list + 3, argc * sizeof *argv);
	memcpy(envp, f->list + 3 + argc, envc * sizeof *envp);
	for (int i = 0; i < 3 && step == NULL; i++) {
		int pipe_fds[2];

		if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
			step = "pipe";
			err = errno;
		} else {
			read_fds[i] = pipe_fds[0];
			write_fds[i] = pipe_fds[1];
		}
	}
	if (step == NULL) {
		pid = fork();
		if (pid == 0)
			become_shim(sp, argv, envp, write_fds);
		if (pid < 0) {
			step = "fork";
			err = errno;
		}
	}
	free(argv);
	for (int i = 0; i < 3; i++) {
		if (write_fds[i] >= 0)
			close_or_die(write_fds[i]);
		if (step != NULL && read_fds[i] >= 0)
			close_or_die(read_fds[i]);
	}
	if (step != NULL) {
		reply(sp, "failed %llu %s %d\n", (unsigned long long)id, step, err);
		return;
	}
	sp->children[sp->child_count++] = pid;
	sp->held[sp->held_count++] = (struct held){ id, { read_fds[0], read_fds[1], read_fds[2] } };
	reply(sp, "spawned %llu %d %d %d %d\n", (unsigned long long)id, (int)pid, read_fds[0], read_fds[1],
	      read_fds[2]);
}

/* release ID: Node has its own descriptions of the pipes; close ours. */
static void handle_release(struct spawner *sp, const struct fields *f)
{
	uint64_t id = parse_number(f, 1, UINT64_MAX, "release: request id");

	if (f->count != 2)
		die_protocol("release: expected one field");
	for (size_t i = 0; i < sp->held_count; i++) {
		if (sp->held[i].id != id)
			continue;
		for (int k = 0; k < 3; k++)
			close_or_die(sp->held[i].fds[k]);
		sp->held[i] = sp->held[--sp->held_count];
		return;
	}
	dprintf(STDERR_FILENO, "workernator-spawner: release of unknown spawn %llu ignored\n",
		(unsigned long long)id);
}

static bool is_child(const struct spawner *sp, pid_t pid)
{
	for (size_t i = 0; i < sp->child_count; i++)
		if (sp->children[i] == pid)
			return true;
	return false;
}

/* kill PID SIGNO: only to a child not reaped yet, whose pid therefore cannot have been reused. */
static void handle_kill(struct spawner *sp, const struct fields *f)
{
	pid_t pid = (pid_t)parse_number(f, 1, INT_MAX, "kill: pid");
	int sig = (int)parse_number(f, 2, NSIG - 1, "kill: signal");

	if (f->count != 3 || pid == 0 || sig == 0)
		die_protocol("kill: expected a pid and a signal number");
	if (is_child(sp, pid) && kill(pid, sig) < 0)
		die("kill");
}

static void handle_frame(struct spawner *sp, char *payload, size_t len)
{
	struct fields f = split_fields(payload, len);

	if (strcmp(f.list[0], "spawn") == 0)
		handle_spawn(sp, &f);
	else if (strcmp(f.list[0], "release") == 0)
		handle_release(sp, &f);
	else if (strcmp(f.list[0], "kill") == 0)
		handle_kill(sp, &f);
	else
		die_protocol("unknown request");
	free(f.list);
}

/* Reads one frame; false on EOF before its first byte. */
static bool read_frame(struct spawner *sp)
{
	unsigned char header[4];
	char why[64];
	uint32_t len;
	char *payload;
	int n;

	n = xread(STDIN_FILENO, header, sizeof header, why, sizeof why);
	if (n < 0)
		die(why);
	if (n == 0)
		return false;
	len = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 |
	      (uint32_t)header[3] << 24;
	if (len == 0 || len > MAX_FRAME) {
		dprintf(STDERR_FILENO, "workernator-spawner: bad request from the server: frame of %u bytes (1 to %u)\n",
			len, MAX_FRAME);
		exit(2);
	}
	payload = malloc(len);
	if (payload == NULL)
		die("malloc");
	n = xread(STDIN_FILENO, payload, len, why, sizeof why);
	if (n <= 0) {
		if (n == 0)
			snprintf(why, sizeof why, "got 0 of %u bytes", len);
		die(why);
	}
	handle_frame(sp, payload, len);
	free(payload);
	return true;
}

/* ---- children ---- */

/* Reaps every child that has ended and reports it. */
static void reap(struct spawner *sp)
{
	struct signalfd_siginfo si;
	char why[64];

	/* SIGCHLDs coalesce: one read, then waitpid until nothing is left to reap. */
	if (xread(sp->signal_fd, &si, sizeof si, why, sizeof why) <= 0)
		die("read signalfd");
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			return;
		if (pid < 0)
			die("waitpid");
		if (pid == 0)
			return;
		for (size_t i = 0; i < sp->child_count; i++) {
			if (sp->children[i] == pid) {
				sp->children[i] = sp->children[--sp->child_count];
				break;
			}
		}
		if (WIFEXITED(status))
			reply(sp, "exited %d %d\n", (int)pid, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			reply(sp, "exited %d signal %d\n", (int)pid, WTERMSIG(status));
	}
}

/* ---- start-up ---- */

static void setup(struct spawner *sp, const char *shim_path)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	pid_t server = getppid();
	sigset_t chld;

	sp->shim_path = shim_path;
	sp->pid = getpid();
	/* Die with the server; if it died before the prctl, no one would ever read us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != server)
		exit(2);
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			die("fds 0, 1 and 2 must be open");
	/* Only 0, 1 and 2 are ours: anything else inherited would leak into every shim. */
	if (close_range(3, ~0U, 0) < 0 && errno != ENOSYS)
		die("close_range");
	sigemptyset(&ignore.sa_mask);
	for (size_t i = 0; i < sizeof ignored_signals / sizeof ignored_signals[0]; i++) {
		if (sigaction(ignored_signals[i], &ignore, NULL) < 0)
			die("sigaction");
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
		die("sigprocmask");
	/* In this order they take fds 3 and 4, so every pipe is above them (see become_shim). */
	sp->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sp->null_fd < 0)
		die("open /dev/null");
	sp->signal_fd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sp->signal_fd < 0)
		die("signalfd");
	if (sp->null_fd != 3 || sp->signal_fd != 4) {
		errno = EBADF;
		die("fds 3 and 4 must be free at start");
	}
}

int main(int argc, char **argv)
{
	static struct spawner sp; /* large tables: not on the stack */
	bool requests_open = true;

	if (argc != 2) {
		dprintf(STDERR_FILENO, "usage: workernator-spawner SHIM_PATH\n");
		return 2;
	}
	setup(&sp, argv[1]);
	reply(&sp, "ready\n");
	while (requests_open || sp.child_count > 0) {
		struct pollfd fds[2] = {
			{ .fd = sp.signal_fd, .events = POLLIN },
			{ .fd = requests_open ? STDIN_FILENO : -1, .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[0].revents != 0)
			reap(&sp);
		if (fds[1].revents != 0 && !read_frame(&sp)) {
			/* The server closed the sandbox: what it has not opened, it never will. */
			requests_open = false;
			for (size_t i = 0; i < sp.held_count; i++)
				for (int k = 0; k < 3; k++)
					close_or_die(sp.held[i].fds[k]);
			sp.held_count = 0;
		}
	}
	return 0;
}
