/* report.c: failing, records between the shim's processes, and the status lines on fd 3. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const step_names[STEP_COUNT] = {
	[STEP_USAGE] = "usage",
	[STEP_USER] = "user",
	[STEP_GROUP] = "group",
	[STEP_PDEATHSIG] = "pdeathsig",
	[STEP_OPEN_EXEC] = "open-exec",
	[STEP_OPEN_STDIN] = "open-stdin",
	[STEP_OPEN_CGROUP] = "open-cgroup",
	[STEP_SIGNALS] = "signals",
	[STEP_PIPE] = "pipe",
	[STEP_CLONE] = "clone",
	[STEP_CGROUP_PROCS] = "cgroup-procs",
	[STEP_SYNC] = "sync",
	[STEP_SETSID] = "setsid",
	[STEP_MOUNT_PRIVATE] = "mount-private",
	[STEP_MOUNT_PROC] = "mount-proc",
	[STEP_MOUNT_PROC_RO] = "mount-proc-ro",
	[STEP_MOUNT_SYS] = "mount-sys",
	[STEP_MOUNT_DEV] = "mount-dev",
	[STEP_MOUNT_TMP] = "mount-tmp",
	[STEP_MOUNT_SHM] = "mount-shm",
	[STEP_MOUNT_MASK] = "mount-mask",
	[STEP_LO_UP] = "lo-up",
	[STEP_SETHOSTNAME] = "sethostname",
	[STEP_FORK] = "fork",
	[STEP_STDIO] = "stdio",
	[STEP_RLIMIT_CORE] = "rlimit-core",
	[STEP_CAP_BOUNDING] = "cap-bounding",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETGID] = "setgid",
	[STEP_SETUID] = "setuid",
	[STEP_CAPSET] = "capset",
	[STEP_NO_NEW_PRIVS] = "no-new-privs",
	[STEP_CHDIR] = "chdir",
	[STEP_CLOSE_FDS] = "close-fds",
	[STEP_EXEC] = "exec",
	[STEP_REPORT] = "report",
	[STEP_SUPERVISE] = "supervise",
	[STEP_INIT] = "init",
};

const char *step_name(enum step step)
{
	if ((unsigned)step >= STEP_COUNT || step_names[step] == NULL)
		return "unknown";
	return step_names[step];
}

/* Where fail() goes: -1 means fd 3 (we are S), otherwise the report pipe of I or J. */
static int fail_pipe = -1;
static pid_t fail_child;

void report_to_status_fd(pid_t child_to_kill)
{
	fail_pipe = -1;
	fail_child = child_to_kill;
}

void report_to_pipe(int fd)
{
	fail_pipe = fd;
	fail_child = 0;
}

_Noreturn void fail(enum step step, const char *detail)
{
	fail_with(step, errno, detail);
}

_Noreturn void fail_with(enum step step, int err, const char *detail)
{
	if (fail_pipe >= 0) {
		/* Nothing more to do if this fails: S is gone or will report that we died. */
		(void)report_send(fail_pipe, REPORT_ERROR, step, err, detail);
		_exit(127);
	}
	if (fail_child > 0) {
		/* Best effort: the child is ours and unreaped, so its pid cannot have been reused. */
		(void)kill(fail_child, SIGKILL);
		while (waitpid(fail_child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	status_error(step, err, detail);
	_exit(125);
}

static int transfer(int fd, void *buf, size_t len, char *why, size_t why_size, int writing)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = writing ? write(fd, (char *)buf + done, len - done)
				    : read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			snprintf(why, why_size, "%s failed after %zu of %zu bytes", writing ? "write" : "read",
				 done, len);
			errno = err;
			return -1;
		}
		if (n == 0) {
			if (done == 0 && !writing)
				return 0;
			snprintf(why, why_size, "%s %zu of %zu bytes", writing ? "wrote" : "got", done, len);
			errno = EPROTO;
			return -1;
		}
		done += (size_t)n;
	}
	return 1;
}

int xread(int fd, void *buf, size_t len, char *why, size_t why_size)
{
	return transfer(fd, buf, len, why, why_size, 0);
}

int xwrite(int fd, const void *buf, size_t len, char *why, size_t why_size)
{
	return transfer(fd, (void *)buf, len, why, why_size, 1) < 0 ? -1 : 0;
}

int report_send(int fd, enum report_kind kind, enum step step, int value, const char *detail)
{
	struct report r;
	char why[64];

	memset(&r, 0, sizeof r);
	r.kind = kind;
	r.step = step;
	r.value = value;
	if (detail != NULL)
		snprintf(r.detail, sizeof r.detail, "%s", detail);
	return xwrite(fd, &r, sizeof r, why, sizeof why);
}

/* Lines are at most this long; a detail is escaped to at most 3 bytes per byte. */
#define LINE_MAX_BYTES (64 + 3 * REPORT_DETAIL_MAX)

static void write_line(const char *line, size_t len)
{
	for (;;) {
		ssize_t n = write(STATUS_FD, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		/* A line fits in PIPE_BUF, so a pipe takes it whole or not at all. If Node stopped
		 * listening there is no one left to tell but stderr. */
		if (n != (ssize_t)len)
			dprintf(STDERR_FILENO, "workernator-shim: cannot write status line: %s\n",
				n < 0 ? strerror(errno) : "short write");
		return;
	}
}

void status_line(const char *format, ...)
{
	char line[LINE_MAX_BYTES];
	va_list args;
	int len;

	va_start(args, format);
	len = vsnprintf(line, sizeof line - 1, format, args);
	va_end(args);
	if (len < 0)
		len = 0;
	if ((size_t)len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	write_line(line, (size_t)len);
}

/* Percent-escapes every byte that is not printable ASCII other than space, and '%' itself, so a
 * detail is one token on one line whatever bytes a path holds. */
static void escape(const char *in, char *out, size_t out_size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 <= out_size; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		}
	}
	out[o] = '\0';
}

void status_error(enum step step, int err, const char *detail)
{
	char escaped[3 * REPORT_DETAIL_MAX + 1];

	if (detail != NULL && detail[0] != '\0') {
		escape(detail, escaped, sizeof escaped);
		status_line("error %s %d %s", step_name(step), err, escaped);
		dprintf(STDERR_FILENO, "workernator-shim: %s: %s: %s\n", step_name(step), strerror(err), detail);
	} else {
		status_line("error %s %d", step_name(step), err);
		dprintf(STDERR_FILENO, "workernator-shim: %s: %s\n", step_name(step), strerror(err));
	}
}
