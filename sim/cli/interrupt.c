/*
 * interrupt.c: SIGINT and SIGTERM, blocked and polled (interrupt.h).
 */
#include <time.h>

#include "interrupt.h"

void interrupt_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int interrupt_block(void)
{
	sigset_t set;
	interrupt_signals(&set);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

int interrupt_pending(void)
{
	sigset_t set;
	interrupt_signals(&set);
	struct timespec zero = {0, 0};
	int sig = sigtimedwait(&set, NULL, &zero);
	return sig > 0 ? sig : 0;
}
