/*
 * subprocess.c: posix_spawn with an argument vector, and a pipe for the child's
 * stdout (subprocess.h). No shell, no fixed-size command line, no truncated path.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "subprocess.h"

#define SUBPROCESS_DEFAULT_MAX_OUTPUT (16u << 20)
#define SUBPROCESS_POLL_MS            10
#define SUBPROCESS_GRACE_POLLS        20 /* after SIGTERM, 200 ms before SIGKILL */

extern char **environ;

static bool same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");
	return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* merged_env: the caller's environment with `extra` set on top; an array of borrowed
 * pointers (free the array only), or NULL when out of memory. */
static char **merged_env(const char *const *extra)
{
	size_t n_env = 0, n_extra = 0;
	while (environ && environ[n_env])
		n_env++;
	while (extra && extra[n_extra])
		n_extra++;
	char **env = calloc(n_env + n_extra + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < n_env; i++) {
		bool replaced = false;
		for (size_t j = 0; j < n_extra && !replaced; j++)
			replaced = same_name(extra[j], environ[i]);
		if (!replaced)
			env[n++] = environ[i];
	}
	for (size_t j = 0; j < n_extra; j++)
		env[n++] = (char *)extra[j];
	return env;
}

static int stop_pending(const sigset_t *stop)
{
	if (!stop)
		return 0;
	struct timespec zero = {0, 0};
	int sig = sigtimedwait(stop, NULL, &zero);
	return sig > 0 ? sig : 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* reaped: waitpid without blocking; true once the child is gone (res filled). */
static bool reaped(pid_t pid, struct subprocess_result *res)
{
	int ws;
	pid_t got = waitpid(pid, &ws, WNOHANG);
	if (got == 0 || (got < 0 && errno == EINTR))
		return false;
	if (got == pid && WIFEXITED(ws)) {
		res->exited = true;
		res->status = WEXITSTATUS(ws);
	} else if (got == pid && WIFSIGNALED(ws)) {
		res->signal = WTERMSIG(ws);
	}
	return true;
}

static void kill_and_reap(pid_t pid, struct subprocess_result *res)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < SUBPROCESS_GRACE_POLLS; i++) {
		if (reaped(pid, res))
			return;
		sleep_ms(SUBPROCESS_POLL_MS);
	}
	kill(pid, SIGKILL);
	while (!reaped(pid, res))
		sleep_ms(1);
}

/* keep: append what was read to the output, up to the limit; the rest is counted only. */
static void keep(struct subprocess_result *res, size_t *cap, size_t max, const char *data, size_t n)
{
	size_t room = max - res->output_len;
	if (n > room) {
		res->truncated = true;
		n = room;
	}
	if (res->output_len + n + 1 > *cap) {
		size_t want = *cap ? *cap : 4096;
		while (want < res->output_len + n + 1)
			want *= 2;
		char *bigger = realloc(res->output, want);
		if (!bigger) {
			res->truncated = true;
			return;
		}
		res->output = bigger;
		*cap = want;
	}
	memcpy(res->output + res->output_len, data, n);
	res->output_len += n;
	res->output[res->output_len] = '\0';
}

/* drain: read the pipe until EOF or a stop signal; true when stopped. */
static bool drain(int fd, const struct subprocess_request *rq, struct subprocess_result *res)
{
	size_t cap = 0, max = rq->max_output ? rq->max_output : SUBPROCESS_DEFAULT_MAX_OUTPUT;
	char chunk[8192];
	for (;;) {
		if ((res->stop_signal = stop_pending(rq->stop)))
			return true;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ready = poll(&p, 1, SUBPROCESS_POLL_MS);
		if (ready <= 0)
			continue; /* a timeout or EINTR: look at the signals again */
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return false;
		if (n > 0)
			keep(res, &cap, max, chunk, (size_t)n);
	}
}

static int start(const struct subprocess_request *rq, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **env = rq->env ? merged_env(rq->env) : environ;
	if (!env)
		return ENOMEM;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (rq->dir)
		posix_spawn_file_actions_addchdir_np(&fa, rq->dir);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int err = posix_spawnp(pid, rq->argv[0], &fa, &attr, (char *const *)rq->argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (env != environ)
		free(env);
	return err;
}

int subprocess_run(const struct subprocess_request *rq, struct subprocess_result *res)
{
	memset(res, 0, sizeof(*res));
	int pipe_fds[2] = {-1, -1};
	if (rq->capture && pipe2(pipe_fds, O_CLOEXEC)) {
		res->error = errno;
		return -1;
	}
	pid_t pid;
	int err = start(rq, rq->capture ? pipe_fds[1] : STDERR_FILENO, &pid);
	if (rq->capture)
		close(pipe_fds[1]);
	if (err) {
		res->error = err;
		if (rq->capture)
			close(pipe_fds[0]);
		return -1;
	}
	bool stopped = rq->capture && drain(pipe_fds[0], rq, res);
	if (rq->capture)
		close(pipe_fds[0]);
	while (!stopped && !reaped(pid, res)) {
		if ((res->stop_signal = stop_pending(rq->stop)))
			stopped = true;
		else
			sleep_ms(SUBPROCESS_POLL_MS);
	}
	if (stopped) {
		res->interrupted = true;
		kill_and_reap(pid, res);
	}
	if (rq->capture && !res->output) {
		res->output = calloc(1, 1);
		if (!res->output)
			res->truncated = true;
	}
	return res->exited && res->status == 0 && !res->interrupted ? 0 : -1;
}

const char *subprocess_describe(const struct subprocess_result *res, char *buf, size_t size)
{
	if (res->error)
		snprintf(buf, size, "cannot start: %s", strerror(res->error));
	else if (res->interrupted)
		snprintf(buf, size, "stopped by signal %d", res->stop_signal);
	else if (res->exited)
		snprintf(buf, size, "exited with status %d", res->status);
	else if (res->signal)
		snprintf(buf, size, "killed by signal %d (%s)", res->signal,
		         strsignal(res->signal));
	else
		snprintf(buf, size, "ended for an unknown reason");
	return buf;
}
