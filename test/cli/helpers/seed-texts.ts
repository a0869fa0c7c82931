/**
 * The CLI texts of the seed design (/work/shared/seed/rfd-78-workernator.md, "CLI Client"), copied
 * here so the tests do not read outside the repository. They are the UX contract; a change here
 * needs a change to the seed note first.
 */

/** `workernator` alone, without the seed's placeholder lines ("A brief description...", --toggle). */
export const ROOT_HELP_HEAD = `Workernator is a job-runner library, server, and CLI client used for
long-running tasks you don't want to run as part of your core service.

This is the CLI client application, which allows you to start jobs,
stop jobs, get the status of jobs, and tail the output of any job.

Usage:
  workernator [command]

Available Commands:
  completion  Generate the autocompletion script for the specified shell
  help        Help about any command
`;

export const ROOT_HELP_TAIL = `
Use "workernator [command] --help" for more information about a command.
`;

export const JOBS_HELP_HEAD = `This sub-command provides the ability to manage jobs, including
starting, stopping, getting the status, and viewing the output.

Usage:
  workernator jobs [command]

Available Commands:
`;

export const JOBS_COMMANDS = `  start       Start a job in the server
  status      Get the status of a job
  stop        Stop a running job
  tail        View the output of a command
`;

export const JOBS_HELP_TAIL = `Use "workernator jobs [command] --help" for more information about a command.
`;

// The seed writes "mathmatical"; the CLI spells it right, on purpose.
export const START_COMMANDS = `Available Commands:
  command     Run a program with its arguments
  eval        Evaluate a mathematical formula
  fib         Calculate the value of a position in the Fibonacci sequence
  noop        A job that does nothing
  wait        Wait for a set number of seconds before sending an empty HTTP POST request to a URL
`;

export const START_OUTPUT = `Started 'Fibonacci' job, ID: XE38YM
Use 'workernator jobs tail XE38YM' to see the output of this job,
'workernator jobs stop XE38YM' to stop the job.
`;

/** The first lines of `workernator jobs start fib` with no argument, on stderr. */
export const FIB_ARG_ERROR_HEAD = `Error: accepts 1 arg(s), received 0
Usage:
  workernator jobs start fib position [flags]
`;

export const STATUS_PROGRESS = 'Getting info for job XE38YM... DONE!\n\n';

export const STATUS_BLOCK = `Job XE38YM: Fibonacci
Arguments:
  Number:   3
Status:     Complete
Started:    2022-07-07 16:34:03
Finished:   2022-07-07 16:34:04
Duration:   1 second
`;

export const TAIL_OUTPUT_PATTERN = [
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[JOB\] Starting job 'Fibonacci'$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[FIB\] Calculating the value of the 3rd value in the Fibonacci sequence$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[FIB\] Using lookup; value is '1'\.$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[RESULT\] 1$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[JOB\] Complete$/,
];

export const TAIL_END = '\nJob finished, no more output, exiting tail!\n';
