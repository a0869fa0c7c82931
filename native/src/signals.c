/* signals.c: the watched signals and resetting dispositions. */
#define _GNU_SOURCE
#include "signals.h"

#include <errno.h>

#include "report.h"

bool is_forwarded_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

void watched_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		/* SIGKILL, SIGSTOP and the signals glibc keeps for itself refuse with EINVAL. */
		if (sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL)
			fail(STEP_SIGNALS, NULL);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		fail(STEP_SIGNALS, NULL);
}
