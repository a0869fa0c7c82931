/* init.h: I, PID 1 of the job's PID namespace. */
#ifndef WORKERNATOR_INIT_H
#define WORKERNATOR_INIT_H

#include "options.h"

/* The bytes S sends I over the sync pipe. EOF instead of a byte means S gave up, or died, before
 * releasing I: I then exits without a word (S reports what went wrong, or no one is listening). */
enum sync_byte {
	SYNC_RELEASE = 'R', /* S -> I: you are in every cgroup you belong in; go on with the setup */
};

struct init_args {
	const struct shim_options *opts;
	int sync_fd;   /* read end of the sync pipe from S */
	int report_fd; /* write end of the report pipe to S (CLOEXEC) */
	int exec_fd;   /* passed on to J, see job.h */
	int stdin_fd;  /* passed on to J, see job.h */
};

/* Runs in the process S clones into the new namespaces. Never returns. */
_Noreturn void run_init(const struct init_args *args);

#endif
