/* report.h: the steps a start can fail at, how a failure travels to S, and the fd-3 status lines.
 *
 * Every process of the shim fails the same way: `fail(STEP_X, detail)`. In S (the shim as spawned)
 * that writes `error <step> <errno> <detail>` to fd 3 and exits 125; in I and J it sends a
 * `struct report` up the report pipe set with report_to_pipe() and exits 127, and S turns it into
 * the same line. */
#ifndef WORKERNATOR_REPORT_H
#define WORKERNATOR_REPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The status pipe Node gives the shim (write end). */
#define STATUS_FD 3

/* Every step that can fail. Their names (step_name()) are part of the fd-3 protocol: add new ones,
 * never rename one. */
enum step {
	STEP_USAGE,
	STEP_USER,
	STEP_GROUP,
	STEP_PDEATHSIG,
	STEP_OPEN_EXEC,
	STEP_OPEN_STDIN,
	STEP_OPEN_CGROUP,
	STEP_SIGNALS,
	STEP_PIPE,
	STEP_CLONE,
	STEP_CGROUP_PROCS,
	STEP_SYNC,
	STEP_SETSID,
	STEP_MOUNT_PRIVATE,
	STEP_MOUNT_PROC,
	STEP_MOUNT_PROC_RO,
	STEP_MOUNT_SYS,
	STEP_MOUNT_DEV,
	STEP_MOUNT_TMP,
	STEP_MOUNT_SHM,
	STEP_MOUNT_MASK,
	STEP_LO_UP,
	STEP_SETHOSTNAME,
	STEP_FORK,
	STEP_STDIO,
	STEP_RLIMIT_CORE,
	STEP_CAP_BOUNDING,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_CAPSET,
	STEP_NO_NEW_PRIVS,
	STEP_CHDIR,
	STEP_CLOSE_FDS,
	STEP_EXEC,
	STEP_REPORT,    /* a record between the shim's own processes was lost or cut short */
	STEP_SUPERVISE, /* S could not watch the job (signalfd, poll, waitpid) */
	STEP_INIT,      /* I ended without saying why */
	STEP_COUNT
};

const char *step_name(enum step step);

/* What I and J send to S, one fixed-size record per write. It fits in PIPE_BUF, so a write of one
 * record is atomic and is never interleaved with another process's record. */
enum report_kind {
	REPORT_ERROR = 1,   /* I or J -> S: `step` failed with errno `value`; the job did not start */
	REPORT_RUNNING = 2, /* I -> S: J's exec succeeded (J's CLOEXEC pipe hit EOF without a record) */
	REPORT_EXIT = 3,    /* I -> S: J ended; `value` is its wait status */
};

#define REPORT_DETAIL_MAX 1024

struct report {
	int32_t kind;
	int32_t step;
	int32_t value;
	char detail[REPORT_DETAIL_MAX]; /* NUL-terminated, truncated if longer */
};

_Static_assert(sizeof(struct report) <= PIPE_BUF, "a report must be written atomically");

/* fail() in S: write the line to fd 3. If a child is registered, SIGKILL and reap it first, so S
 * never reports before everything it started is gone. */
void report_to_status_fd(pid_t child_to_kill);
/* fail() in I and J: send a REPORT_ERROR record down `fd`. */
void report_to_pipe(int fd);

/* Reports that `step` failed with the current errno, then exits. detail may be NULL. */
_Noreturn void fail(enum step step, const char *detail);
/* Same, with an explicit errno. */
_Noreturn void fail_with(enum step step, int err, const char *detail);

/* Read or write exactly `len` bytes, retrying on EINTR and partial transfers. A transfer cut short
 * by EOF is an error (errno EPROTO) described in `why` ("got 12 of 1036 bytes"). xread returns 1
 * when it read everything, 0 on EOF before the first byte, -1 on error. xwrite returns 0 or -1. */
int xread(int fd, void *buf, size_t len, char *why, size_t why_size);
int xwrite(int fd, const void *buf, size_t len, char *why, size_t why_size);

/* Sends one record; returns 0 or -1 (errno set). */
int report_send(int fd, enum report_kind kind, enum step step, int value, const char *detail);

/* S only: writes one newline-terminated status line to fd 3 with a single write(). */
void status_line(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* S only: writes `error <step> <errno>[ <escaped detail>]` to fd 3 and a readable form to fd 2. */
void status_error(enum step step, int err, const char *detail);

#endif
