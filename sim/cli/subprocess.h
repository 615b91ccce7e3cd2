/*
 * subprocess.h: running another program (the Go oracle, a Go toolchain) the only
 * way poolsim does: posix_spawn with an argument vector, never a shell, so no
 * character of a path or a flag is ever interpreted. One function; every
 * command that starts a program calls it.
 *
 * The child gets /dev/null as stdin, the caller's stderr, and as stdout either
 * a pipe the parent reads into memory (capture) or the caller's stderr (so a
 * tool's chatter never mixes into a --json summary). Its signal mask is empty
 * and SIGINT, SIGTERM and SIGPIPE are back at their defaults, whatever the
 * caller blocks. While it runs, the parent watches `stop` (signals the caller
 * has blocked): one of them kills the child (SIGTERM, then SIGKILL), reaps it
 * and returns with `interrupted` set, within about 20 ms.
 */
#ifndef POOLSIM_SUBPROCESS_H
#define POOLSIM_SUBPROCESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct subprocess_request {
	/* argv[0] is the program: a path, or (without a '/') a name looked up in PATH. */
	const char *const *argv;
	/* "NAME=VALUE" entries set for the child on top of (and replacing) the caller's
	 * environment; NULL-terminated, or NULL for none. */
	const char *const *env;
	const char *dir;      /* the child's working directory, or NULL for ours */
	bool capture;         /* stdout into subprocess_result.output, else to our stderr */
	size_t max_output;    /* with capture: keep at most this many bytes (0 = 16 MiB) */
	const sigset_t *stop; /* blocked signals that end the wait early, or NULL */
};

struct subprocess_result {
	int error;        /* errno when the program could not be started at all, else 0 */
	bool exited;      /* it exited by itself with `status` */
	int status;       /* its exit status, when exited */
	int signal;       /* the signal that ended it, when not exited (0 if not started) */
	bool interrupted; /* one of the stop signals arrived; the child was killed */
	int stop_signal;  /* which one */
	bool truncated;   /* it printed more than max_output bytes (the rest was discarded) */
	char *output;     /* with capture: its stdout, NUL-terminated, malloc'd; free() it */
	size_t output_len;
};

/* subprocess_run: run the program to its end. 0 when it ran and exited with status 0; -1 otherwise
 * (see the result for why). The result always needs free(res->output). */
int subprocess_run(const struct subprocess_request *rq, struct subprocess_result *res);

/* subprocess_describe: one line saying how a failed subprocess_run ended ("exited with status 3",
 * "killed by signal 9", "cannot start: No such file or directory"), into buf. */
const char *subprocess_describe(const struct subprocess_result *res, char *buf, size_t size);

#endif
