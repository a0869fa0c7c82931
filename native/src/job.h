/* job.h: J, the job process: the last steps before exec, as the job user. */
#ifndef WORKERNATOR_JOB_H
#define WORKERNATOR_JOB_H

#include "options.h"

struct job_args {
	const struct shim_options *opts;
	int exec_fd;   /* --open-exec: EXECUTABLE opened by S with root rights (O_PATH|O_CLOEXEC); or -1 */
	int stdin_fd;  /* --stdin-file: the file opened by S with root rights (O_CLOEXEC); or -1 */
	int report_fd; /* CLOEXEC pipe to I: one record if a step fails, EOF once exec succeeded */
};

/* Runs in the child I forks: merges stderr into stdout, drops privileges, enters the working
 * directory, closes inherited fds, resets signals and execs. Never returns: exec or fail. */
_Noreturn void run_job(const struct job_args *args);

#endif
