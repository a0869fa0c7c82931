/* signals.h: which signals the shim watches, and putting signals back the way a new program expects. */
#ifndef WORKERNATOR_SIGNALS_H
#define WORKERNATOR_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* SIGTERM, SIGINT and SIGHUP go from Node to S, from S to I and from I to the job (J): that is how
 * Node asks a job to stop. */
bool is_forwarded_signal(int sig);

/* The forwarded signals plus SIGCHLD. S and I keep them blocked from the start and take them with
 * signalfd or sigwaitinfo, so no handler ever runs and no signal slips in between two checks. */
void watched_signals(sigset_t *set);

/* Resets every disposition to SIG_DFL and unblocks every signal: an inherited SIG_IGN would survive
 * exec (SIGCHLD ignored would even make children reap themselves). Fails the `signals` step. */
void reset_signals(void);

#endif
